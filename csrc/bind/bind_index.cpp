#include "gil.h"
#include "registry.h"
#include "../cpu/index.h"

using namespace fastdl;

FASTDL_BIND(CPU, index) {
  m.def("index_select", FASTDL_RELEASED(&cpu::index_select), py::arg("x"), py::arg("dim"), py::arg("index"), py::arg("out"));
  m.def("index_add", FASTDL_RELEASED(&cpu::index_add), py::arg("target"), py::arg("dim"), py::arg("index"), py::arg("src"));
  m.def("index_put", FASTDL_RELEASED(&cpu::index_put), py::arg("target"), py::arg("dim"), py::arg("index"), py::arg("src"),
        py::arg("accumulate"));
  m.def("gather", FASTDL_RELEASED(&cpu::gather), py::arg("x"), py::arg("dim"), py::arg("index"), py::arg("out"));
  m.def("scatter_add", FASTDL_RELEASED(&cpu::scatter_add), py::arg("target"), py::arg("dim"), py::arg("index"), py::arg("src"));
  m.def("scatter", FASTDL_RELEASED(&cpu::scatter), py::arg("target"), py::arg("dim"), py::arg("index"), py::arg("src"));
  m.def("count_nonzero", FASTDL_RELEASED(&cpu::count_nonzero), py::arg("x"));
  m.def("nonzero", FASTDL_RELEASED(&cpu::nonzero), py::arg("x"), py::arg("out"));
}
