// AVX2 fast path of 2x2 stride-2 max pooling (float32), 8 outputs per step. Compiled
// with -mavx2; called only when use_avx2() is true. Contract: pool_ukr in pool.h.
// Like gemm_avx2.cpp it includes no project or std headers with inline code (an
// AVX2-compiled copy of a shared inline function could be picked for portable callers).
#include <immintrin.h>

#include <cstdint>

namespace fastdl {
namespace cpu {
namespace pool_ukr {

namespace {

// The lanes where v replaces the running max cur: v is larger, or v is the window's
// first NaN (a NaN already held is never replaced) -- the scalar rule of pool.cpp.
inline __m256 takes(__m256 cur, __m256 v) {
  const __m256 gt = _mm256_cmp_ps(v, cur, _CMP_GT_OQ);
  const __m256 first_nan = _mm256_and_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q), _mm256_cmp_ps(cur, cur, _CMP_ORD_Q));
  return _mm256_or_ps(gt, first_nan);
}

inline __m256 tap(int t) { return _mm256_castsi256_ps(_mm256_set1_epi32(t)); }

}  // namespace

int64_t max_pool_2x2_row_avx2(const float* r0, const float* r1, int64_t OW, int32_t row_index, int32_t W,
                              float* out, int64_t* idx) {
  // shuffle_ps deinterleaves within 128-bit lanes, so lanes hold outputs in the order
  // 0 1 4 5 2 3 6 7; permuting the results' 64-bit quarters (0xD8) restores it.
  const __m256i iota2 = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
  const __m256i one = _mm256_set1_epi32(1), wv = _mm256_set1_epi32(W);
  int64_t ow = 0;
  for (; ow + 8 <= OW; ow += 8) {
    const __m256 p0 = _mm256_loadu_ps(r0 + 2 * ow), q0 = _mm256_loadu_ps(r0 + 2 * ow + 8);
    const __m256 p1 = _mm256_loadu_ps(r1 + 2 * ow), q1 = _mm256_loadu_ps(r1 + 2 * ow + 8);
    const __m256 a = _mm256_shuffle_ps(p0, q0, 0x88), b = _mm256_shuffle_ps(p0, q0, 0xDD);
    const __m256 c = _mm256_shuffle_ps(p1, q1, 0x88), d = _mm256_shuffle_ps(p1, q1, 0xDD);
    const __m256 tb = takes(a, b), td = takes(c, d);
    const __m256 m0 = _mm256_blendv_ps(a, b, tb), m1 = _mm256_blendv_ps(c, d, td);
    const __m256 t0 = _mm256_blendv_ps(tap(0), tap(1), tb), t1 = _mm256_blendv_ps(tap(2), tap(3), td);
    const __m256 t = takes(m0, m1);
    const __m256 m = _mm256_blendv_ps(m0, m1, t);
    const __m256i code = _mm256_castps_si256(_mm256_blendv_ps(t0, t1, t));
    const __m256 mv = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(m), 0xD8));
    const __m256i cv = _mm256_permute4x64_epi64(code, 0xD8);
    // index = row_index + 2*ow + (code >> 1) * W + (code & 1)
    __m256i i32 = _mm256_add_epi32(_mm256_set1_epi32(row_index + 2 * static_cast<int32_t>(ow)), iota2);
    i32 = _mm256_add_epi32(i32, _mm256_mullo_epi32(_mm256_srli_epi32(cv, 1), wv));
    i32 = _mm256_add_epi32(i32, _mm256_and_si256(cv, one));
    _mm256_storeu_ps(out + ow, mv);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(idx + ow), _mm256_cvtepi32_epi64(_mm256_castsi256_si128(i32)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(idx + ow + 4),
                        _mm256_cvtepi32_epi64(_mm256_extracti128_si256(i32, 1)));
  }
  return ow;
}

void dense_plane_means_avx2(const float* base, int64_t p0, int64_t p1, int64_t C, int64_t sN, int64_t sC,
                            int64_t len, double divisor, float* out) {
  for (int64_t p = p0; p < p1; ++p) {
    const float* r = base + (p / C) * sN + (p % C) * sC;
    __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd(), a2 = _mm256_setzero_pd(), a3 = _mm256_setzero_pd();
    int64_t i = 0;
    for (; i + 16 <= len; i += 16) {
      a0 = _mm256_add_pd(a0, _mm256_cvtps_pd(_mm_loadu_ps(r + i)));
      a1 = _mm256_add_pd(a1, _mm256_cvtps_pd(_mm_loadu_ps(r + i + 4)));
      a2 = _mm256_add_pd(a2, _mm256_cvtps_pd(_mm_loadu_ps(r + i + 8)));
      a3 = _mm256_add_pd(a3, _mm256_cvtps_pd(_mm_loadu_ps(r + i + 12)));
    }
    for (; i + 4 <= len; i += 4) a0 = _mm256_add_pd(a0, _mm256_cvtps_pd(_mm_loadu_ps(r + i)));
    const __m256d a = _mm256_add_pd(_mm256_add_pd(a0, a1), _mm256_add_pd(a2, a3));
    const __m128d h = _mm_add_pd(_mm256_castpd256_pd128(a), _mm256_extractf128_pd(a, 1));
    double sum = _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
    for (; i < len; ++i) sum += static_cast<double>(r[i]);
    out[p] = static_cast<float>(sum / divisor);
  }
}

}  // namespace pool_ukr
}  // namespace cpu
}  // namespace fastdl
