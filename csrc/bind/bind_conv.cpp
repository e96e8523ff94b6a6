#include "registry.h"
#include "../cpu/conv.h"

using namespace fastdl;

FASTDL_BIND(CPU, conv) {
  m.def("im2col", &cpu::im2col, py::arg("x"), py::arg("cols"), py::arg("kh"), py::arg("kw"), py::arg("sh"),
        py::arg("sw"), py::arg("ph"), py::arg("pw"), py::arg("dh"), py::arg("dw"));
  m.def("col2im", &cpu::col2im, py::arg("cols"), py::arg("x_grad"), py::arg("kh"), py::arg("kw"), py::arg("sh"),
        py::arg("sw"), py::arg("ph"), py::arg("pw"), py::arg("dh"), py::arg("dw"));
}
