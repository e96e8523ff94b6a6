#include "registry.h"
#include "../cpu/scan.h"

using namespace fastdl;

FASTDL_BIND(CPU, scan) {
  m.def("cumsum", &cpu::cumsum, py::arg("x"), py::arg("out"), py::arg("dim"), py::arg("reverse"));
}
