// random_uniform's values for the 32 counters of one draw32 block on AVX2 lanes: the
// scalar rule of random.cpp, value by value the same bits. Built with -ffp-contract=off
// (CMakeLists.txt), so low + (high - low) u stays a product and a sum, as in the scalar
// code and the CUDA kernel. Compiled with -mavx2 -mfma; includes no header with portable
// inline code.
#include <immintrin.h>

#include <cstdint>

#include "philox_avx2.h"
#include "vec_math_f64_avx2.h"

namespace fastdl {
namespace cpu {
namespace philox_avx2 {

// float: u = (w0 >> 8) 2^-24 (uniform_f32, exact in double too), v = float(low + (high - low) u),
// v < hi ? v : below_hi.
void uniform32(const uint32_t (&w)[4][4][8], double low, double high, float hi, float below_hi, float* o) {
  const __m256d lo = _mm256_set1_pd(low), span = _mm256_set1_pd(high - low), scale = _mm256_set1_pd(0x1.0p-24);
  const __m256 top = _mm256_set1_ps(hi), below = _mm256_set1_ps(below_hi);
  for (int b = 0; b < 4; ++b, o += 8) {
    const __m256i bits = _mm256_srli_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b][0])), 8);
    __m128 half[2];
    for (int h = 0; h < 2; ++h) {
      const __m128i part = h ? _mm256_extracti128_si256(bits, 1) : _mm256_castsi256_si128(bits);
      const __m256d u = _mm256_mul_pd(_mm256_cvtepi32_pd(part), scale);
      half[h] = _mm256_cvtpd_ps(_mm256_add_pd(lo, _mm256_mul_pd(span, u)));
    }
    const __m256 v = _mm256_set_m128(half[1], half[0]);
    _mm256_storeu_ps(o, _mm256_blendv_ps(below, v, _mm256_cmp_ps(v, top, _CMP_LT_OQ)));
  }
}

// double: u = top53(w0, w1) 2^-53 (uniform_f64), v = low + (high - low) u, v < hi ? v : below_hi.
void uniform32(const uint32_t (&w)[4][4][8], double low, double high, double hi, double below_hi, double* o) {
  const __m256d lo = _mm256_set1_pd(low), span = _mm256_set1_pd(high - low), scale = _mm256_set1_pd(0x1.0p-53);
  const __m256d top = _mm256_set1_pd(hi), below = _mm256_set1_pd(below_hi);
  for (int b = 0; b < 4; ++b)
    for (int i = 0; i < 8; i += 4, o += 4) {
      const __m256d u = _mm256_mul_pd(vec::top53_pd(&w[b][1][i], &w[b][0][i]), scale);
      const __m256d v = _mm256_add_pd(lo, _mm256_mul_pd(span, u));
      _mm256_storeu_pd(o, _mm256_blendv_pd(below, v, _mm256_cmp_pd(v, top, _CMP_LT_OQ)));
    }
}

}  // namespace philox_avx2
}  // namespace cpu
}  // namespace fastdl
