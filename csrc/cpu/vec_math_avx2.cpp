// Array loops over the 8-lane functions of vec_math_avx2.h (compiled with -mavx2 -mfma).
// Like gemm_avx2.cpp this file includes no header with portable inline code, so no
// AVX2-compiled copy of a shared inline function can reach portable callers.
#include "vec_math.h"

#include "vec_math_avx2.h"

namespace fastdl {
namespace vec {

namespace {

// Full blocks of 8, then one masked block for the rest.
template <__m256 (*F)(__m256)>
void map8(const float* x, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, F(_mm256_loadu_ps(x + i)));
  if (i < n) {
    const __m256i m = tail_mask(n - i);
    _mm256_maskstore_ps(out + i, m, F(_mm256_maskload_ps(x + i, m)));
  }
}

}  // namespace

void exp_f32_avx2(const float* x, float* out, int64_t n) { map8<exp8>(x, out, n); }
void log_f32_avx2(const float* x, float* out, int64_t n) { map8<log8>(x, out, n); }
void tanh_f32_avx2(const float* x, float* out, int64_t n) { map8<tanh8>(x, out, n); }
void sigmoid_f32_avx2(const float* x, float* out, int64_t n) { map8<sigmoid8>(x, out, n); }
void silu_f32_avx2(const float* x, float* out, int64_t n) { map8<silu8>(x, out, n); }
void gelu_f32_avx2(const float* x, float* out, int64_t n) { map8<gelu8>(x, out, n); }
void gelu_grad_f32_avx2(const float* x, float* out, int64_t n) { map8<gelu_grad8>(x, out, n); }

}  // namespace vec
}  // namespace fastdl
