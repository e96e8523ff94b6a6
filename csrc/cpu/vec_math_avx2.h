// float32 math on 8 AVX2 lanes: vec_math_simd.h's width-generic functions (the array
// loops of vec_math_avx2.cpp take them at F8 = 8 lanes) with their sin / cos / tan
// reduction in double at this width. Include this header ONLY from *_avx2.cpp files: its
// inline functions use AVX2/FMA instructions and must never reach portable code.
// Accuracy: see vec_math_simd.h and the tests named there.
// Note on NaN: _mm256_min_ps / _mm256_max_ps return their SECOND operand when either
// is NaN, so every clamp below is written (bound, x) to let a NaN through.
#pragma once
#include <immintrin.h>

#include "avx2_vec.h"
#include "vec_math_simd.h"

namespace fastdl {
namespace vec {

using F8 = avx2::Vec<float>;

inline __m256 splat(float v) { return _mm256_set1_ps(v); }
inline __m256 abs8(__m256 x) { return _mm256_andnot_ps(splat(-0.0f), x); }

// vec_math_simd.h's sin / cos / tan reduction at 8 lanes: 4 doubles at a time.
inline __m128 reduce_half_pi4(__m256d x, __m128i* q) {
  const __m256d n = _mm256_round_pd(_mm256_mul_pd(x, _mm256_set1_pd(0.63661977236758134)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256d r = _mm256_fnmadd_pd(n, _mm256_set1_pd(1.5707963267948966), x);
  r = _mm256_fnmadd_pd(n, _mm256_set1_pd(6.123233995736766e-17), r);
  *q = _mm256_cvtpd_epi32(n);
  return _mm256_cvtpd_ps(r);
}
template <> struct simd::HalfPi<F8> {
  static __m256 reduce(__m256 ax, __m256i* q) {
    __m128i q0, q1;
    const __m128 r0 = reduce_half_pi4(_mm256_cvtps_pd(_mm256_castps256_ps128(ax)), &q0);
    const __m128 r1 = reduce_half_pi4(_mm256_cvtps_pd(_mm256_extractf128_ps(ax, 1)), &q1);
    *q = _mm256_set_m128i(q1, q0);
    return _mm256_set_m128(r1, r0);
  }
};

}  // namespace vec
}  // namespace fastdl
