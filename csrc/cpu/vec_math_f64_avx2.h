// float64 log and cos on 4 AVX2 lanes for the normal generator's Box-Muller transform
// (normal_avx2.cpp), on its domains only: log of u in (0, 1] (normal doubles), cos of
// x in [0, 2 pi); and the 53-bit integers that and the uniform generator start from. fdlibm's polynomials (e_log.c, k_sin.c, k_cos.c), under 1 ulp each
// there. Include this header ONLY from *_avx2.cpp files (AVX2/FMA instructions inline).
#pragma once
#include <immintrin.h>

#include <cstdint>

namespace fastdl {
namespace vec {

inline __m256d splat_pd(double v) { return _mm256_set1_pd(v); }

// Lanes of small non-negative 64-bit integers (< 2^52) as doubles: OR'd into the
// mantissa of 2^52, then 2^52 subtracted.
inline __m256d small_int_to_pd(__m256i k) {
  const __m256d magic = splat_pd(4503599627370496.0);  // 2^52
  return _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(k, _mm256_castpd_si256(magic))), magic);
}

// philox.h's top53 on 4 lanes: (hi:lo) >> 11 of 32-bit word arrays hi and lo as doubles,
// exactly: hi 2^21 + (lo >> 11), both terms and their sum exact below 2^53 (hi unsigned by
// a sign flip and 2^31). A scalar int64 -> double conversion per value cost more.
inline __m256d top53_pd(const uint32_t* hi, const uint32_t* lo) {
  const __m128i h32 = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(hi)), _mm_set1_epi32(INT32_MIN));
  const __m256d h = _mm256_add_pd(_mm256_cvtepi32_pd(h32), splat_pd(2147483648.0));
  const __m256d l = _mm256_cvtepi32_pd(_mm_srli_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(lo)), 11));
  return _mm256_add_pd(_mm256_mul_pd(h, splat_pd(2097152.0)), l);
}

// log u for normal doubles u > 0 (no zero, denormal, negative, inf or NaN lanes):
// u = 2^e m with m in [sqrt(1/2), sqrt(2)), f = m - 1, s = f / (2 + f), and
// log(1 + f) = f - (f^2/2 - s (f^2/2 + R(s^2))) as fdlibm's __ieee754_log.
inline __m256d log_pos4(__m256d u) {
  const __m256i bits = _mm256_castpd_si256(u);
  __m256d e = _mm256_sub_pd(small_int_to_pd(_mm256_srli_epi64(bits, 52)), splat_pd(1023.0));
  __m256d m = _mm256_castsi256_pd(_mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi64x(0x000FFFFFFFFFFFFFLL)),
                                                  _mm256_set1_epi64x(0x3FF0000000000000LL)));  // [1, 2)
  const __m256d big = _mm256_cmp_pd(m, splat_pd(1.4142135623730951), _CMP_GT_OQ);
  m = _mm256_blendv_pd(m, _mm256_mul_pd(m, splat_pd(0.5)), big);
  e = _mm256_add_pd(e, _mm256_and_pd(big, splat_pd(1.0)));
  const __m256d f = _mm256_sub_pd(m, splat_pd(1.0));
  const __m256d s = _mm256_div_pd(f, _mm256_add_pd(splat_pd(2.0), f));
  const __m256d z = _mm256_mul_pd(s, s), w = _mm256_mul_pd(z, z);
  const __m256d t1 = _mm256_mul_pd(w, _mm256_fmadd_pd(w, _mm256_fmadd_pd(w, splat_pd(1.531383769920937332e-01),
                                                                          splat_pd(2.222219843214978396e-01)),
                                                      splat_pd(3.999999999940941908e-01)));
  const __m256d t2 = _mm256_mul_pd(
      z, _mm256_fmadd_pd(w, _mm256_fmadd_pd(w, _mm256_fmadd_pd(w, splat_pd(1.479819860511658591e-01),
                                                               splat_pd(1.818357216161805012e-01)),
                                            splat_pd(2.857142874366239149e-01)),
                         splat_pd(6.666666666666735130e-01)));
  const __m256d r = _mm256_add_pd(t2, t1);
  const __m256d hfsq = _mm256_mul_pd(_mm256_mul_pd(splat_pd(0.5), f), f);
  // e ln2_hi - ((hfsq - (s (hfsq + R) + e ln2_lo)) - f)
  const __m256d inner = _mm256_fmadd_pd(s, _mm256_add_pd(hfsq, r), _mm256_mul_pd(e, splat_pd(1.90821492927058770002e-10)));
  return _mm256_sub_pd(_mm256_mul_pd(e, splat_pd(6.93147180369123816490e-01)),
                       _mm256_sub_pd(_mm256_sub_pd(hfsq, inner), f));
}

// cos x for x in [0, 2 pi): x = q pi/2 + r with |r| <= pi/4 (x - q HI is exact there, HI
// the double nearest pi/2; the rest of pi/2 is subtracted next), then fdlibm's kernels
// by quadrant: cos r, -sin r, -cos r, sin r.
inline __m256d cos_0_2pi4(__m256d x) {
  const __m256d q = _mm256_round_pd(_mm256_mul_pd(x, splat_pd(0.63661977236758134)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256d r = _mm256_fnmadd_pd(q, splat_pd(1.5707963267948966), x);
  r = _mm256_fnmadd_pd(q, splat_pd(6.123233995736766e-17), r);
  const __m256d z = _mm256_mul_pd(r, r);
  // sin r = r + r^3 (S1 + z P(z))
  __m256d ps = _mm256_fmadd_pd(z, splat_pd(1.58969099521155010221e-10), splat_pd(-2.50507602534068634195e-08));
  ps = _mm256_fmadd_pd(z, ps, splat_pd(2.75573137070700676789e-06));
  ps = _mm256_fmadd_pd(z, ps, splat_pd(-1.98412698298579493134e-04));
  ps = _mm256_fmadd_pd(z, ps, splat_pd(8.33333333332248946124e-03));
  const __m256d sn = _mm256_fmadd_pd(_mm256_mul_pd(z, r), _mm256_fmadd_pd(z, ps, splat_pd(-1.66666666666666324348e-01)), r);
  // cos r = w + (((1 - w) - z/2) + z^2 C(z)), w = 1 - z/2
  __m256d pc = _mm256_fmadd_pd(z, splat_pd(-1.13596475577881948265e-11), splat_pd(2.08757232129817482790e-09));
  pc = _mm256_fmadd_pd(z, pc, splat_pd(-2.75573143513906633035e-07));
  pc = _mm256_fmadd_pd(z, pc, splat_pd(2.48015872894767294178e-05));
  pc = _mm256_fmadd_pd(z, pc, splat_pd(-1.38888888888741095749e-03));
  pc = _mm256_fmadd_pd(z, pc, splat_pd(4.16666666666666019037e-02));
  const __m256d hz = _mm256_mul_pd(splat_pd(0.5), z);
  const __m256d w = _mm256_sub_pd(splat_pd(1.0), hz);
  const __m256d cs = _mm256_add_pd(w, _mm256_fmadd_pd(_mm256_mul_pd(z, z), pc,
                                                     _mm256_sub_pd(_mm256_sub_pd(splat_pd(1.0), w), hz)));
  // quadrant q (0..4; 4 is 0 again): odd ones take sin, 1 and 2 flip the sign
  const __m256i qi = _mm256_castpd_si256(_mm256_add_pd(q, splat_pd(4503599627370496.0)));  // q in the low bits
  const __m256d odd = _mm256_castsi256_pd(_mm256_slli_epi64(qi, 63));
  const __m256i flip_q = _mm256_add_epi64(qi, _mm256_set1_epi64x(1));  // bit 1 set for q = 1, 2
  const __m256d flip = _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_srli_epi64(flip_q, 1), 63));
  return _mm256_xor_pd(_mm256_blendv_pd(cs, sn, odd), flip);
}

}  // namespace vec
}  // namespace fastdl
