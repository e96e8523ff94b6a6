#include "gil.h"
#include "registry.h"
#include "../cpu/random.h"

using namespace fastdl;

FASTDL_BIND(CPU, random) {
  // Each random_* returns the new offset (offset + counters consumed).
  m.def("random_uniform", FASTDL_RELEASED(&cpu::random_uniform), py::arg("out"), py::arg("seed"), py::arg("offset"),
        py::arg("low"), py::arg("high"));
  m.def("random_normal", FASTDL_RELEASED(&cpu::random_normal), py::arg("out"), py::arg("seed"), py::arg("offset"),
        py::arg("mean"), py::arg("std"));
  m.def("random_int", FASTDL_RELEASED(&cpu::random_int), py::arg("out"), py::arg("seed"), py::arg("offset"),
        py::arg("low"), py::arg("high"));
  m.def("bernoulli", FASTDL_RELEASED(&cpu::bernoulli), py::arg("out"), py::arg("seed"), py::arg("offset"), py::arg("p"));
  m.def("randperm", FASTDL_RELEASED(&cpu::randperm), py::arg("out"), py::arg("seed"), py::arg("offset"));
  m.def("arange", FASTDL_RELEASED(&cpu::arange), py::arg("out"), py::arg("start"), py::arg("step"));
  m.def("philox4x32_10", FASTDL_RELEASED(&cpu::philox4x32_10), py::arg("counter"), py::arg("key"));
}
