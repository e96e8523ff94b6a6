// Standard normals for 8 or 32 consecutive counters (philox_avx2.h): the words of draw8 /
// draw32, then philox.h's Box-Muller transform sqrt(-2 log u1) cos(2 pi u2) with log and cos on 4
// double lanes (vec_math_f64_avx2.h) instead of a libm call each (~30 ns of the ~35 ns
// per element). Both are under 1 ulp, as libm's, so z agrees with the scalar
// normal_f64 to about an ulp of double (the stream contract's tolerance with the CUDA
// kernels), and its float32 rounding almost always bit for bit.
// Compiled with -mavx2 -mfma; includes no header with portable inline code.
#include <immintrin.h>

#include <cstdint>

#include "philox_avx2.h"
#include "vec_math_f64_avx2.h"

namespace fastdl {
namespace cpu {
namespace philox_avx2 {

namespace {

// Box-Muller for the B blocks of 8 counters that draw8 / draw32 give.
template <int B>
void normals(const uint32_t (*w)[4][8], double* z) {
  // u1 in (0, 1] and u2 in [0, 1) from the top 53 bits of (w1:w0) and (w3:w2), as normal_f64
  alignas(32) double u1[8 * B], u2[8 * B];
  for (int b = 0; b < B; ++b)
    for (int i = 0; i < 8; i += 4) {
      const __m256d a = vec::top53_pd(&w[b][1][i], &w[b][0][i]), c = vec::top53_pd(&w[b][3][i], &w[b][2][i]);
      _mm256_store_pd(u1 + 8 * b + i, _mm256_mul_pd(_mm256_sub_pd(vec::splat_pd(0x1.0p53), a), vec::splat_pd(0x1.0p-53)));
      _mm256_store_pd(u2 + 8 * b + i, _mm256_mul_pd(c, vec::splat_pd(0x1.0p-53)));
    }
  for (int h = 0; h < 8 * B; h += 4) {
    const __m256d r = _mm256_sqrt_pd(_mm256_mul_pd(vec::splat_pd(-2.0), vec::log_pos4(_mm256_load_pd(u1 + h))));
    const __m256d x = _mm256_mul_pd(vec::splat_pd(6.283185307179586476925286766559), _mm256_load_pd(u2 + h));
    _mm256_storeu_pd(z + h, _mm256_mul_pd(r, vec::cos_0_2pi4(x)));
  }
}

}  // namespace

void normal8(uint64_t seed, uint64_t c0, double (&z)[8]) {
  uint32_t w[4][8];
  draw8(seed, c0, w);
  normals<1>(&w, z);
}

void normal32(uint64_t seed, uint64_t c0, double (&z)[32]) {
  uint32_t w[4][4][8];
  draw32(seed, c0, w);
  normals<4>(w, z);
}

}  // namespace philox_avx2
}  // namespace cpu
}  // namespace fastdl
