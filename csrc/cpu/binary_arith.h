// AVX2 loops of the four arithmetic ops (binary_arith_avx2.cpp) for the elementwise
// kernels' contiguous runs: GCC vectorises the portable loops only as wide as SSE2.
// IEEE +, -, *, / round each result exactly, so the bits equal the scalar loop's.
#pragma once
#include <cstdint>

namespace fastdl {
namespace vec {

enum class Arith : int { Add, Sub, Mul, Div };

// out[i] = x[i * x_step] op y[i * y_step] for i < n, each step 1 or 0 (a broadcast
// scalar), not both 0. Call only when use_avx2() is true.
void arith_f32_avx2(Arith op, const float* x, int64_t x_step, const float* y, int64_t y_step, float* out,
                    int64_t n);
void arith_f64_avx2(Arith op, const double* x, int64_t x_step, const double* y, int64_t y_step, double* out,
                    int64_t n);

// out[i] = fmod(x[i * x_step], y[i * y_step]) (C's, the sign of x) or, with python_sign,
// torch.remainder's (the sign of y: y added to a non-zero result of the other sign, in
// float), for float32. Exact, so bit for bit std::fmod and ew::Remainder: 4 lanes in
// double, where x - trunc(x / y) y has no rounding while |x / y| < 2^29 (then the double
// quotient cannot round across an integer, and trunc(q) y and the difference are exact);
// other lanes (larger quotients, inf, NaN, y = 0) take the C library's fmodf.
void fmod_f32_avx2(const float* x, int64_t x_step, const float* y, int64_t y_step, float* out, int64_t n,
                   bool python_sign);

}  // namespace vec
}  // namespace fastdl
