// float32 math on 8 AVX2 lanes: vec_math_simd.h's width-generic functions (the array
// loops of vec_math_avx2.cpp take them at F8 = 8 lanes) with their sin / cos / tan
// reduction in double at this width, and atan / asin, which exist only here. Include this header ONLY from *_avx2.cpp files: its
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

// atan x (Cephes' atanf): |x| above tan(3 pi / 8) -> pi/2 + atan(-1/|x|), above tan(pi / 8)
// -> pi/4 + atan((|x| - 1) / (|x| + 1)), then an odd polynomial; x's sign put back.
inline __m256 atan8(__m256 x) {
  const __m256 ax = abs8(x);
  const __m256 big = _mm256_cmp_ps(ax, splat(2.414213562373095f), _CMP_GT_OQ);
  const __m256 mid = _mm256_andnot_ps(big, _mm256_cmp_ps(ax, splat(0.4142135623730950f), _CMP_GT_OQ));
  const __m256 num = _mm256_blendv_ps(_mm256_blendv_ps(ax, _mm256_sub_ps(ax, splat(1.0f)), mid), splat(-1.0f), big);
  const __m256 den = _mm256_blendv_ps(_mm256_blendv_ps(splat(1.0f), _mm256_add_ps(ax, splat(1.0f)), mid), ax, big);
  const __m256 t = _mm256_div_ps(num, den);
  const __m256 base = _mm256_blendv_ps(_mm256_and_ps(mid, splat(0.7853981633974483f)), splat(1.5707963267948966f), big);
  const __m256 z = _mm256_mul_ps(t, t);
  __m256 p = _mm256_fmadd_ps(splat(8.05374449538e-2f), z, splat(-1.38776856032e-1f));
  p = _mm256_fmadd_ps(p, z, splat(1.99777106478e-1f));
  p = _mm256_fmadd_ps(p, z, splat(-3.33329491539e-1f));
  const __m256 r = _mm256_add_ps(base, _mm256_fmadd_ps(_mm256_mul_ps(p, z), t, t));
  return _mm256_xor_ps(r, _mm256_and_ps(x, splat(-0.0f)));
}


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

// asin x (Cephes' asinf): |x| > 1/2 -> pi/2 - 2 asin(sqrt((1 - |x|) / 2)), then an odd
// polynomial; x's sign put back; |x| > 1 and NaN give NaN (the sqrt of a negative).
inline __m256 asin8(__m256 x) {
  const __m256 ax = abs8(x);
  const __m256 big = _mm256_cmp_ps(ax, splat(0.5f), _CMP_GT_OQ);
  const __m256 zb = _mm256_mul_ps(splat(0.5f), _mm256_sub_ps(splat(1.0f), ax));
  const __m256 z = _mm256_blendv_ps(_mm256_mul_ps(ax, ax), zb, big);
  const __m256 v = _mm256_blendv_ps(ax, _mm256_sqrt_ps(zb), big);
  __m256 p = _mm256_fmadd_ps(splat(4.2163199048e-2f), z, splat(2.4181311049e-2f));
  p = _mm256_fmadd_ps(p, z, splat(4.5470025998e-2f));
  p = _mm256_fmadd_ps(p, z, splat(7.4953002686e-2f));
  p = _mm256_fmadd_ps(p, z, splat(1.6666752422e-1f));
  const __m256 s = _mm256_fmadd_ps(_mm256_mul_ps(p, z), v, v);
  const __m256 r = _mm256_blendv_ps(s, _mm256_fnmadd_ps(splat(2.0f), s, splat(1.5707963267948966f)), big);
  return _mm256_xor_ps(r, _mm256_and_ps(x, splat(-0.0f)));
}


}  // namespace vec
}  // namespace fastdl
