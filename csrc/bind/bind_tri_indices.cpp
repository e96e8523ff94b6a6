#include "gil.h"
#include "registry.h"
#include "../cpu/tri_indices.h"

using namespace fastdl;

FASTDL_BIND(CPU, tri_indices) {
  m.def("tri_count", &cpu::tri_count, py::arg("row"), py::arg("col"), py::arg("offset"), py::arg("upper"));
  m.def("tri_indices", FASTDL_RELEASED(&cpu::tri_indices), py::arg("out"), py::arg("row"), py::arg("col"),
        py::arg("offset"), py::arg("upper"));
}
