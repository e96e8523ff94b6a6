// float32 array versions of the AVX2 transcendental functions (vec_math_avx2.h,
// vec_math_simd.h): out[i] = f(x[i]) for i < n; out may be x. Call only when use_avx2()
// is true.
#pragma once
#include <cstdint>

namespace fastdl {
namespace vec {

void exp_f32_avx2(const float* x, float* out, int64_t n);
void log_f32_avx2(const float* x, float* out, int64_t n);
void tanh_f32_avx2(const float* x, float* out, int64_t n);
void sigmoid_f32_avx2(const float* x, float* out, int64_t n);
void silu_f32_avx2(const float* x, float* out, int64_t n);
// The exact GELU and its derivative (gelu / gelu_grad with p0 = 0, not the tanh form).
void gelu_f32_avx2(const float* x, float* out, int64_t n);
void gelu_grad_f32_avx2(const float* x, float* out, int64_t n);
void expm1_f32_avx2(const float* x, float* out, int64_t n);
void exp2_f32_avx2(const float* x, float* out, int64_t n);
void erf_f32_avx2(const float* x, float* out, int64_t n);
void erfc_f32_avx2(const float* x, float* out, int64_t n);
void atan_f32_avx2(const float* x, float* out, int64_t n);
void asin_f32_avx2(const float* x, float* out, int64_t n);
void tan_f32_avx2(const float* x, float* out, int64_t n);  // lanes beyond 2^16, inf, NaN: libm's tanf
// out[i] = atan2(y[i * y_step], x[i * x_step]), each step 1 or 0 (a broadcast scalar): atan
// of y / x with the quadrant's +-pi; lanes with a zero, infinite or NaN operand take libm's
// atan2f (its signed-zero and infinity cases).
void atan2_f32_avx2(const float* y, int64_t y_step, const float* x, int64_t x_step, float* out, int64_t n);
void log1p_f32_avx2(const float* x, float* out, int64_t n);
void sin_f32_avx2(const float* x, float* out, int64_t n);
void cos_f32_avx2(const float* x, float* out, int64_t n);
// x ** e for an integer e, 1 <= |e| <= 16, bit for bit PowScalar's float path (elementwise_ops.h):
// the same square-and-multiply in double, 4 lanes a step.
void pow_int_f32_avx2(const float* x, float* out, int64_t n, int e);
// F.elu (alpha) and F.softplus (beta, threshold), parameters as the scalar functors round them.
void elu_f32_avx2(const float* x, float* out, int64_t n, float alpha);
void softplus_f32_avx2(const float* x, float* out, int64_t n, float beta, float threshold);

// The same functions on 16 AVX-512 lanes (vec_math_avx512.cpp; the same code as the AVX2
// ones, vec_math_simd.h). Call only when use_avx512() is true.
void exp_f32_avx512(const float* x, float* out, int64_t n);
void exp2_f32_avx512(const float* x, float* out, int64_t n);
void expm1_f32_avx512(const float* x, float* out, int64_t n);
void log_f32_avx512(const float* x, float* out, int64_t n);
void log1p_f32_avx512(const float* x, float* out, int64_t n);
void tanh_f32_avx512(const float* x, float* out, int64_t n);
void sigmoid_f32_avx512(const float* x, float* out, int64_t n);
void silu_f32_avx512(const float* x, float* out, int64_t n);
void erf_f32_avx512(const float* x, float* out, int64_t n);
void erfc_f32_avx512(const float* x, float* out, int64_t n);
void gelu_f32_avx512(const float* x, float* out, int64_t n);
void gelu_grad_f32_avx512(const float* x, float* out, int64_t n);
void elu_f32_avx512(const float* x, float* out, int64_t n, float alpha);
void softplus_f32_avx512(const float* x, float* out, int64_t n, float beta, float threshold);
void sin_f32_avx512(const float* x, float* out, int64_t n);
void cos_f32_avx512(const float* x, float* out, int64_t n);
void tan_f32_avx512(const float* x, float* out, int64_t n);
void atan_f32_avx512(const float* x, float* out, int64_t n);
void asin_f32_avx512(const float* x, float* out, int64_t n);

}  // namespace vec
}  // namespace fastdl
