#include "registry.h"
#include "../cpu/linear.h"

using namespace fastdl;

FASTDL_BIND(CPU, linear) {
  m.def("linear", &cpu::linear, py::arg("x"), py::arg("weight"), py::arg("bias"), py::arg("out"),
        "out = x @ weight^T + bias; x (M, K), weight (N, K), bias (N,) or None, out (M, N) contiguous");
}
