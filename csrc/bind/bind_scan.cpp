#include "gil.h"
#include "registry.h"
#include "../cpu/scan.h"

using namespace fastdl;

FASTDL_BIND(CPU, scan) {
  m.def("cumsum", FASTDL_RELEASED(&cpu::cumsum), py::arg("x"), py::arg("out"), py::arg("dim"), py::arg("reverse"));
}
