#include "gil.h"
#include "registry.h"
#include "../cpu/sort.h"

using namespace fastdl;

FASTDL_BIND(CPU, sort) {
  m.def("argsort", FASTDL_RELEASED(&cpu::argsort), py::arg("x"), py::arg("indices_out"), py::arg("dim"), py::arg("descending"));
}
