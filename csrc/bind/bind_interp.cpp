#include "gil.h"
#include "registry.h"
#include "../cpu/interp.h"

using namespace fastdl;

FASTDL_BIND(CPU, interp) {
  m.def("interp_linear", FASTDL_RELEASED(&cpu::interp_linear), py::arg("x"), py::arg("out"), py::arg("dim"),
        py::arg("i0"), py::arg("i1"), py::arg("w0"), py::arg("w1"));
  m.def("interp_linear_backward", FASTDL_RELEASED(&cpu::interp_linear_backward), py::arg("g"), py::arg("gx"),
        py::arg("dim"), py::arg("i0"), py::arg("i1"), py::arg("w0"), py::arg("w1"));
}
