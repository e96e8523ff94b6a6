#include "registry.h"
#include "../cpu/gemm.h"

using namespace fastdl;

FASTDL_BIND(CPU, gemm) {
  m.def("matmul", &cpu::matmul, py::arg("a"), py::arg("b"), py::arg("out"), py::arg("alpha") = 1.0,
        py::arg("beta") = 0.0,
        "out = alpha * a @ b + beta * out; a (..., M, K), b (..., K, N), out (..., M, N), same "
        "dtype (float32/float64/int64), identical batch dims, any strides");
  m.def("fma_peak_gflops", &cpu::fma_peak_gflops, py::arg("threads"),
        "measured float32 FMA peak (GFLOP/s) of `threads` threads running a register-only "
        "AVX2 FMA loop: the ceiling for GEMM rates");
}
