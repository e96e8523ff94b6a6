// float32 array versions of the AVX2 transcendental functions (vec_math_avx2.h):
// out[i] = f(x[i]) for i < n; out may be x. Call only when use_avx2() is true.
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
void log1p_f32_avx2(const float* x, float* out, int64_t n);
void sin_f32_avx2(const float* x, float* out, int64_t n);
void cos_f32_avx2(const float* x, float* out, int64_t n);
// F.elu (alpha) and F.softplus (beta, threshold), parameters as the scalar functors round them.
void elu_f32_avx2(const float* x, float* out, int64_t n, float alpha);
void softplus_f32_avx2(const float* x, float* out, int64_t n, float beta, float threshold);

}  // namespace vec
}  // namespace fastdl
