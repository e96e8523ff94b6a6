#include "gil.h"
#include "registry.h"
#include "../cpu/gemm.h"

using namespace fastdl;

namespace {
// GEMM work grows as M*N*K: a (128,128) @ (128,128) has few elements but 2M multiply-adds.
void matmul_released(const TensorArg& a, const TensorArg& b, const TensorArg& out, double alpha, double beta) {
  const int64_t K = a.ndim() ? a.shape.back() : 1;
  GilReleaseIf gil(heavy_call(a, b, out) || out.numel() * K >= (int64_t(1) << 20));
  cpu::matmul(a, b, out, alpha, beta);
}
}  // namespace

FASTDL_BIND(CPU, gemm) {
  m.def("matmul", &matmul_released, py::arg("a"), py::arg("b"), py::arg("out"), py::arg("alpha") = 1.0,
        py::arg("beta") = 0.0,
        "out = alpha * a @ b + beta * out; a (..., M, K), b (..., K, N), out (..., M, N), same "
        "dtype (float32/float64/int64), identical batch dims, any strides");
  m.def("fma_peak_gflops", &cpu::fma_peak_gflops, py::call_guard<py::gil_scoped_release>(), py::arg("threads"),
        "measured float32 FMA peak (GFLOP/s) of `threads` threads running a register-only "
        "AVX2 FMA loop: the ceiling for GEMM rates");
}
