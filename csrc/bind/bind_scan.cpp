#include "gil.h"
#include "registry.h"
#include "../cpu/scan.h"

using namespace fastdl;

FASTDL_BIND(CPU, scan) {
  m.def("cumsum", FASTDL_RELEASED(&cpu::cumsum), py::arg("x"), py::arg("out"), py::arg("dim"), py::arg("reverse"));
  m.def("cum_extreme", FASTDL_RELEASED(&cpu::cum_extreme), py::arg("x"), py::arg("values"), py::arg("indices"),
        py::arg("dim"), py::arg("largest"));
}
