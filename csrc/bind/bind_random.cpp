#include "registry.h"
#include "../cpu/random.h"

using namespace fastdl;

FASTDL_BIND(CPU, random) {
  // Each random_* returns the new offset (offset + counters consumed).
  m.def("random_uniform", &cpu::random_uniform, py::arg("out"), py::arg("seed"), py::arg("offset"),
        py::arg("low"), py::arg("high"));
  m.def("random_normal", &cpu::random_normal, py::arg("out"), py::arg("seed"), py::arg("offset"),
        py::arg("mean"), py::arg("std"));
  m.def("random_int", &cpu::random_int, py::arg("out"), py::arg("seed"), py::arg("offset"),
        py::arg("low"), py::arg("high"));
  m.def("bernoulli", &cpu::bernoulli, py::arg("out"), py::arg("seed"), py::arg("offset"), py::arg("p"));
  m.def("randperm", &cpu::randperm, py::arg("out"), py::arg("seed"), py::arg("offset"));
  m.def("arange", &cpu::arange, py::arg("out"), py::arg("start"), py::arg("step"));
  m.def("philox4x32_10", &cpu::philox4x32_10, py::arg("counter"), py::arg("key"));
}
