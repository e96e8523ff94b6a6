// Array loops over vec_math_simd.h's functions at 16 AVX-512 lanes (compiled with
// -mavx512f). Like gemm_avx512.cpp this file includes no header with portable inline code,
// so no AVX-512 copy of a shared inline function can reach portable callers.
#include "vec_math.h"

#include "avx512_vec.h"
#include "vec_math_simd.h"

namespace fastdl {
namespace vec {

// vec_math_simd.h's sin / cos / tan reduction at 16 lanes: 8 doubles at a time (the same
// operations per lane as the AVX2 one, so the same bits).
namespace {
__m256 reduce_half_pi8(__m512d x, __m256i* q) {
  const __m512d n = _mm512_roundscale_pd(_mm512_mul_pd(x, _mm512_set1_pd(0.63661977236758134)),
                                         _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512d r = _mm512_fnmadd_pd(n, _mm512_set1_pd(1.5707963267948966), x);
  r = _mm512_fnmadd_pd(n, _mm512_set1_pd(6.123233995736766e-17), r);
  *q = _mm512_cvtpd_epi32(n);
  return _mm512_cvtpd_ps(r);
}
}  // namespace
template <> struct simd::HalfPi<avx512::Vec<float>> {
  static __m512 reduce(__m512 ax, __m512i* q) {
    __m256i q0, q1;
    const __m256 r0 = reduce_half_pi8(_mm512_cvtps_pd(_mm512_castps512_ps256(ax)), &q0);
    const __m256 r1 = reduce_half_pi8(
        _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(ax), 1))), &q1);
    *q = _mm512_inserti64x4(_mm512_castsi256_si512(q0), q1, 1);
    return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(r0)), _mm256_castps_pd(r1), 1));
  }
};

FASTDL_VEC_MATH_GENERIC_LOOPS(avx512, avx512::Vec<float>)

}  // namespace vec
}  // namespace fastdl
