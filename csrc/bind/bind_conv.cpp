#include "gil.h"
#include "registry.h"
#include "../cpu/conv.h"

using namespace fastdl;

FASTDL_BIND(CPU, conv) {
  m.def("im2col", FASTDL_RELEASED(&cpu::im2col), py::arg("x"), py::arg("cols"), py::arg("kh"), py::arg("kw"), py::arg("sh"),
        py::arg("sw"), py::arg("ph"), py::arg("pw"), py::arg("dh"), py::arg("dw"));
  m.def("col2im", FASTDL_RELEASED(&cpu::col2im), py::arg("cols"), py::arg("x_grad"), py::arg("kh"), py::arg("kw"), py::arg("sh"),
        py::arg("sw"), py::arg("ph"), py::arg("pw"), py::arg("dh"), py::arg("dw"));
  m.def("conv2d_forward", FASTDL_RELEASED(&cpu::conv2d_forward), py::arg("x"), py::arg("w"), py::arg("bias"), py::arg("y"),
        py::arg("kh"), py::arg("kw"), py::arg("sh"), py::arg("sw"), py::arg("ph"), py::arg("pw"), py::arg("dh"),
        py::arg("dw"), py::arg("groups"));
  m.def("conv2d_input_grad", FASTDL_RELEASED(&cpu::conv2d_input_grad), py::arg("gy"), py::arg("w"), py::arg("gx"), py::arg("kh"),
        py::arg("kw"), py::arg("sh"), py::arg("sw"), py::arg("ph"), py::arg("pw"), py::arg("dh"), py::arg("dw"),
        py::arg("groups"));
  m.def("conv2d_weight_grad", FASTDL_RELEASED(&cpu::conv2d_weight_grad), py::arg("x"), py::arg("gy"), py::arg("gw"), py::arg("gb"),
        py::arg("kh"), py::arg("kw"), py::arg("sh"), py::arg("sw"), py::arg("ph"), py::arg("pw"), py::arg("dh"),
        py::arg("dw"), py::arg("groups"));
}
