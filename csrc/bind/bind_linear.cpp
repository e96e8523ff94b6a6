#include "gil.h"
#include "registry.h"
#include "../cpu/linear.h"

using namespace fastdl;

FASTDL_BIND(CPU, linear) {
  m.def("linear", FASTDL_RELEASED(&cpu::linear), py::arg("x"), py::arg("weight"), py::arg("bias"), py::arg("out"),
        py::arg("activation") = "none",
        "out = act(x @ weight^T + bias); x (M, K), weight (N, K), bias (N,) or None, out (M, N) contiguous; "
        "activation none, relu, tanh or sigmoid (the GEMM's epilogue)");
  m.def("linear_backward", FASTDL_RELEASED(&cpu::linear_backward), py::arg("grad"), py::arg("x"), py::arg("weight"),
        py::arg("grad_x"), py::arg("grad_weight"), py::arg("grad_bias"),
        "grad_x = grad @ weight, grad_weight = grad^T @ x, grad_bias = grad.sum(0); each output optional");
}
