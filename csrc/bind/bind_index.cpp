#include "registry.h"
#include "../cpu/index.h"

using namespace fastdl;

FASTDL_BIND(CPU, index) {
  m.def("index_select", &cpu::index_select, py::arg("x"), py::arg("dim"), py::arg("index"), py::arg("out"));
  m.def("index_add", &cpu::index_add, py::arg("target"), py::arg("dim"), py::arg("index"), py::arg("src"));
  m.def("index_put", &cpu::index_put, py::arg("target"), py::arg("dim"), py::arg("index"), py::arg("src"),
        py::arg("accumulate"));
  m.def("gather", &cpu::gather, py::arg("x"), py::arg("dim"), py::arg("index"), py::arg("out"));
  m.def("scatter_add", &cpu::scatter_add, py::arg("target"), py::arg("dim"), py::arg("index"), py::arg("src"));
  m.def("count_nonzero", &cpu::count_nonzero, py::arg("x"));
  m.def("nonzero", &cpu::nonzero, py::arg("x"), py::arg("out"));
}
