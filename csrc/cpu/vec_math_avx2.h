// float32 exp / log / tanh / sigmoid / silu on 8 AVX2 lanes (Cephes-style range
// reduction and polynomials). Include this header ONLY from *_avx2.cpp files: its
// inline functions use AVX2/FMA instructions and must never reach portable code.
// Max error against float64, in ulps of the rounded result, measured by
// tests/test_vec_math.py over random bit patterns and dense grids of the whole float32
// range: exp 1.00, log 0.79, tanh 1.27, sigmoid 2.29, silu 2.3, denormal results
// included (not flushed); +-inf, NaN and out-of-range inputs give the IEEE limits.
// Note on NaN: _mm256_min_ps / _mm256_max_ps return their SECOND operand when either
// is NaN, so every clamp below is written (bound, x) to let a NaN through.
#pragma once
#include <immintrin.h>

namespace fastdl {
namespace vec {

inline __m256 splat(float v) { return _mm256_set1_ps(v); }
inline __m256 abs8(__m256 x) { return _mm256_andnot_ps(splat(-0.0f), x); }

// 2^k for integer lanes k in [-126, 127] (a normal float built from its exponent bits).
inline __m256 pow2i(__m256i k) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k, _mm256_set1_epi32(127)), 23));
}

// e^r - 1 for x = n ln2 + r with |r| <= ln2/2 (ln2 split in two for an exact reduction),
// by Cephes' degree-7 polynomial r + r^2 P(r) (exact for tiny r); *n receives n.
inline __m256 expm1_reduced8(__m256 x, __m256* n) {
  *n = _mm256_round_ps(_mm256_mul_ps(x, splat(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(*n, splat(0.693145751953125f), x);
  r = _mm256_fnmadd_ps(*n, splat(1.428606765330187e-06f), r);
  __m256 p = splat(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, splat(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, splat(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, splat(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, splat(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, splat(5.0000001201e-1f));
  return _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r);
}

// e^r as above, plus one. The callers clamp x and apply 2^n (exp8 below, the LSTM cell's
// gate_exp8 in rnn_gate_math_avx2.h).
inline __m256 exp_reduced8(__m256 x, __m256* n) { return _mm256_add_ps(expm1_reduced8(x, n), splat(1.0f)); }

// e^x: the scale 2^n applied in two halves so that results down to the smallest
// denormal and up to overflow come from one rounding.
inline __m256 exp8(__m256 x) {
  x = _mm256_max_ps(splat(-105.0f), _mm256_min_ps(splat(88.8f), x));  // beyond: 0 / inf anyway
  __m256 n;
  const __m256 p = exp_reduced8(x, &n);
  const __m256i ni = _mm256_cvtps_epi32(n);  // in [-152, 129]: each half in [-76, 65]
  const __m256i n1 = _mm256_srai_epi32(ni, 1);
  return _mm256_mul_ps(_mm256_mul_ps(p, pow2i(n1)), pow2i(_mm256_sub_epi32(ni, n1)));
}

// 2^x: x = n + r with n = round(x) (r exact, |r| <= 1/2), 2^r = e^(r ln2) by exp's
// polynomial, the scale 2^n applied in two halves as exp8 (denormal results, overflow).
inline __m256 exp2_8(__m256 x) {
  x = _mm256_max_ps(splat(-152.0f), _mm256_min_ps(splat(129.0f), x));  // beyond: 0 / inf anyway
  const __m256 n = _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 n2;
  const __m256 p = exp_reduced8(_mm256_mul_ps(_mm256_sub_ps(x, n), splat(0.693147180559945f)), &n2);  // n2 = 0
  const __m256i ni = _mm256_cvtps_epi32(_mm256_add_ps(n, n2));
  const __m256i n1 = _mm256_srai_epi32(ni, 1);
  return _mm256_mul_ps(_mm256_mul_ps(p, pow2i(n1)), pow2i(_mm256_sub_epi32(ni, n1)));
}

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

// log x. x = m 2^e with m in [sqrt(1/2), sqrt(2)); log(m) by Cephes' polynomial in
// m - 1. Denormal inputs are scaled by 2^23 first; x < 0 and NaN -> NaN, 0 -> -inf,
// +inf -> +inf.
inline __m256 log8(__m256 x) {
  const __m256 zero = _mm256_setzero_ps();
  const __m256 tiny = _mm256_cmp_ps(x, splat(1.17549435e-38f), _CMP_LT_OQ);  // denormal (or <= 0)
  const __m256 xs = _mm256_blendv_ps(x, _mm256_mul_ps(x, splat(8388608.0f)), tiny);
  const __m256i bits = _mm256_castps_si256(xs);
  __m256 e = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(126)));
  e = _mm256_sub_ps(e, _mm256_and_ps(tiny, splat(23.0f)));
  // mantissa in [0.5, 1)
  __m256 m = _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi32(0x007FFFFF)),
                                                 _mm256_set1_epi32(0x3F000000)));
  const __m256 small = _mm256_cmp_ps(m, splat(0.707106781186547524f), _CMP_LT_OQ);
  e = _mm256_sub_ps(e, _mm256_and_ps(small, splat(1.0f)));
  m = _mm256_sub_ps(_mm256_add_ps(m, _mm256_and_ps(small, m)), splat(1.0f));  // 2m-1 or m-1
  const __m256 z = _mm256_mul_ps(m, m);
  __m256 y = splat(7.0376836292e-2f);
  y = _mm256_fmadd_ps(y, m, splat(-1.1514610310e-1f));
  y = _mm256_fmadd_ps(y, m, splat(1.1676998740e-1f));
  y = _mm256_fmadd_ps(y, m, splat(-1.2420140846e-1f));
  y = _mm256_fmadd_ps(y, m, splat(1.4249322787e-1f));
  y = _mm256_fmadd_ps(y, m, splat(-1.6668057665e-1f));
  y = _mm256_fmadd_ps(y, m, splat(2.0000714765e-1f));
  y = _mm256_fmadd_ps(y, m, splat(-2.4999993993e-1f));
  y = _mm256_fmadd_ps(y, m, splat(3.3333331174e-1f));
  y = _mm256_mul_ps(_mm256_mul_ps(y, m), z);
  y = _mm256_fmadd_ps(e, splat(-2.12194440e-4f), y);
  y = _mm256_fnmadd_ps(z, splat(0.5f), y);
  __m256 out = _mm256_fmadd_ps(e, splat(0.693359375f), _mm256_add_ps(m, y));
  out = _mm256_blendv_ps(out, x, _mm256_cmp_ps(x, splat(__builtin_inff()), _CMP_EQ_OQ));
  out = _mm256_blendv_ps(out, splat(-__builtin_inff()), _mm256_cmp_ps(x, zero, _CMP_EQ_OQ));
  return _mm256_blendv_ps(out, splat(__builtin_nanf("")), _mm256_cmp_ps(x, zero, _CMP_NGE_UQ));
}


// e^x - 1 for x <= 20 (the caller caps x) without cancellation: e^x - 1 = 2^n (e^r - 1) +
// (2^n - 1), one rounding of an exact scaled product plus an exact 2^n - 1. Below -30 the
// result rounds to -1, so x is clamped there (a NaN x passes the clamp). x's sign bit is
// put back so that -0 gives -0 (the sum gives +0).
inline __m256 expm1_capped8(__m256 x) {
  __m256 n;
  const __m256 p = expm1_reduced8(_mm256_max_ps(splat(-30.0f), x), &n);
  const __m256 s = pow2i(_mm256_cvtps_epi32(n));  // n in [-43, 29]
  return _mm256_or_ps(_mm256_fmadd_ps(s, p, _mm256_sub_ps(s, splat(1.0f))), _mm256_and_ps(x, splat(-0.0f)));
}

// e^x - 1 for any x: above 20 it rounds to e^x.
inline __m256 expm1_8(__m256 x) {
  const __m256 small = expm1_capped8(_mm256_min_ps(splat(20.0f), x));
  return _mm256_blendv_ps(small, exp8(x), _mm256_cmp_ps(x, splat(20.0f), _CMP_GT_OQ));
}

// log(1 + y) from u = 1 + y rounded: log(u) + (y - (u - 1)) / u, where u - 1 and y - (u - 1)
// (u's rounding error) are exact, so the second term undoes the rounding to first order;
// y itself where u rounds to 1 (tiny y, +-0 kept), +inf at +inf, -inf at -1, NaN below.
inline __m256 log1p8(__m256 y) {
  const __m256 u = _mm256_add_ps(splat(1.0f), y);
  const __m256 d = _mm256_sub_ps(u, splat(1.0f));
  const __m256 corr = _mm256_div_ps(_mm256_sub_ps(y, d), u);  // 0 / 0 at y = -1: masked
  const __m256 r = _mm256_add_ps(log8(u), _mm256_andnot_ps(_mm256_cmp_ps(u, _mm256_setzero_ps(), _CMP_EQ_OQ), corr));
  const __m256 keep_y = _mm256_or_ps(_mm256_cmp_ps(d, _mm256_setzero_ps(), _CMP_EQ_OQ),
                                     _mm256_cmp_ps(y, splat(__builtin_inff()), _CMP_EQ_OQ));
  return _mm256_blendv_ps(r, y, keep_y);
}

// log(1 + e^t) = max(t, 0) + log1p(e^-|t|): no overflow, and e^t's own (denormal) tail
// for very negative t.
inline __m256 log1p_exp8(__m256 t) {
  const __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), abs8(t)));
  return _mm256_add_ps(_mm256_max_ps(_mm256_setzero_ps(), t), log1p8(e));  // (0, t): a NaN t passes
}

// sin / cos: |x| reduced by pi/2 in double (pi/2 in two parts, FMA), r = |x| - q pi/2 in
// [-pi/4, pi/4] rounded to float, then Cephes' sinf / cosf polynomials in r by quadrant q.
// The double reduction keeps r's relative error ~1e-16 / |r| even next to a multiple of
// pi, up to |x| = 2^16 (the callers take larger, infinite or NaN lanes through libm).
constexpr float kSinCosMaxArg = 65536.0f;

inline __m128 reduce_half_pi4(__m256d x, __m128i* q) {
  const __m256d n = _mm256_round_pd(_mm256_mul_pd(x, _mm256_set1_pd(0.63661977236758134)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256d r = _mm256_fnmadd_pd(n, _mm256_set1_pd(1.5707963267948966), x);
  r = _mm256_fnmadd_pd(n, _mm256_set1_pd(6.123233995736766e-17), r);
  *q = _mm256_cvtpd_epi32(n);
  return _mm256_cvtpd_ps(r);
}

// |x| = q pi/2 + r reduced (reduce_half_pi4), and Cephes' sinf / cosf polynomials in r:
// *sn = sin r, *cs = cos r, *q the quadrant. For |x| within kSinCosMaxArg.
inline void sin_cos_reduced8(__m256 ax, __m256* sn, __m256* cs, __m256i* q) {
  __m128i q0, q1;
  const __m128 r0 = reduce_half_pi4(_mm256_cvtps_pd(_mm256_castps256_ps128(ax)), &q0);
  const __m128 r1 = reduce_half_pi4(_mm256_cvtps_pd(_mm256_extractf128_ps(ax, 1)), &q1);
  const __m256 r = _mm256_set_m128(r1, r0);
  *q = _mm256_set_m128i(q1, q0);
  const __m256 z = _mm256_mul_ps(r, r);
  __m256 s = _mm256_fmadd_ps(splat(-1.9515295891e-4f), z, splat(8.3321608736e-3f));
  s = _mm256_fmadd_ps(s, z, splat(-1.6666654611e-1f));
  *sn = _mm256_fmadd_ps(_mm256_mul_ps(s, z), r, r);
  __m256 c = _mm256_fmadd_ps(splat(2.443315711809948e-5f), z, splat(-1.388731625493765e-3f));
  c = _mm256_fmadd_ps(c, z, splat(4.166664568298827e-2f));
  *cs = _mm256_fmadd_ps(c, _mm256_mul_ps(z, z), _mm256_fnmadd_ps(splat(0.5f), z, splat(1.0f)));
}

// sin(q pi/2 + r) (shift 0) or cos (shift 1), for x = |x| >= 0 within kSinCosMaxArg.
inline __m256 sin_cos_abs8(__m256 ax, int shift) {
  __m256 sn, cs;
  __m256i q;
  sin_cos_reduced8(ax, &sn, &cs, &q);
  q = _mm256_add_epi32(q, _mm256_set1_epi32(shift));
  // odd quadrants take the cosine polynomial; quadrants 2 and 3 flip the sign
  const __m256 odd = _mm256_castsi256_ps(_mm256_slli_epi32(q, 31));
  const __m256 flip = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_srli_epi32(q, 1), 31));
  return _mm256_xor_ps(_mm256_blendv_ps(sn, cs, odd), flip);
}

// tan x = sin / cos of the same reduction, swapped (and the quotient negated) in odd
// quadrants; x's sign put back. Same argument range as sin8.
inline __m256 tan8(__m256 x) {
  __m256 sn, cs;
  __m256i q;
  sin_cos_reduced8(abs8(x), &sn, &cs, &q);
  const __m256 odd = _mm256_castsi256_ps(_mm256_slli_epi32(q, 31));
  const __m256 t = _mm256_div_ps(_mm256_blendv_ps(sn, cs, odd), _mm256_blendv_ps(cs, sn, odd));
  const __m256 signed_t = _mm256_xor_ps(t, _mm256_and_ps(odd, splat(-0.0f)));  // odd: -cos / sin
  return _mm256_xor_ps(signed_t, _mm256_and_ps(x, splat(-0.0f)));
}

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

// sin is odd: computed at |x| with x's sign put back (so -0 gives -0).
inline __m256 sin8(__m256 x) { return _mm256_xor_ps(sin_cos_abs8(abs8(x), 0), _mm256_and_ps(x, splat(-0.0f))); }
inline __m256 cos8(__m256 x) { return sin_cos_abs8(abs8(x), 1); }

// F.elu and F.softplus with their parameters (as float, like the scalar functors):
// x > 0 ? x : alpha (e^x - 1), and x where beta x > threshold, else log(1 + e^(beta x)) / beta.
inline __m256 elu8(__m256 x, __m256 alpha) {
  const __m256 neg = _mm256_mul_ps(alpha, expm1_capped8(_mm256_min_ps(_mm256_setzero_ps(), x)));
  return _mm256_blendv_ps(neg, x, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ));
}
inline __m256 softplus8(__m256 x, __m256 beta, __m256 threshold) {
  const __m256 bx = _mm256_mul_ps(x, beta);
  const __m256 soft = _mm256_div_ps(log1p_exp8(bx), beta);
  return _mm256_blendv_ps(soft, x, _mm256_cmp_ps(bx, threshold, _CMP_GT_OQ));
}

// tanh x: Cephes' odd polynomial for |x| < 0.625, else 1 - 2/(e^{2|x|} + 1) with the
// sign of x put back (e^{2|x|} = inf gives exactly 1).
inline __m256 tanh8(__m256 x) {
  const __m256 ax = abs8(x);
  const __m256 z = _mm256_mul_ps(x, x);
  __m256 p = splat(-5.70498872745e-3f);
  p = _mm256_fmadd_ps(p, z, splat(2.06390887954e-2f));
  p = _mm256_fmadd_ps(p, z, splat(-5.37397155531e-2f));
  p = _mm256_fmadd_ps(p, z, splat(1.33314422036e-1f));
  p = _mm256_fmadd_ps(p, z, splat(-3.33332819422e-1f));
  p = _mm256_fmadd_ps(_mm256_mul_ps(p, z), x, x);
  const __m256 e = exp8(_mm256_add_ps(ax, ax));
  __m256 big = _mm256_sub_ps(splat(1.0f), _mm256_div_ps(splat(2.0f), _mm256_add_ps(e, splat(1.0f))));
  // x's sign bit on both branches: the polynomial gives +0 at x = -0
  const __m256 r = _mm256_blendv_ps(big, p, _mm256_cmp_ps(ax, splat(0.625f), _CMP_LT_OQ));
  return _mm256_or_ps(r, _mm256_and_ps(x, splat(-0.0f)));
}

// 1 / (1 + e^-x) computed as {1 or e^-|x|} / (1 + e^-|x|): never overflows, and keeps
// full relative accuracy for tiny (even denormal) results at very negative x.
inline __m256 sigmoid8(__m256 x) {
  const __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), abs8(x)));
  const __m256 num = _mm256_blendv_ps(e, splat(1.0f), _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ));
  return _mm256_div_ps(num, _mm256_add_ps(splat(1.0f), e));
}

// x * sigmoid(x); below x = -87 sigmoid(x) is denormal and the error is |x| of its ulps.
inline __m256 silu8(__m256 x) { return _mm256_mul_ps(x, sigmoid8(x)); }

// p(w) = c[0] w^(n-1) + ... + c[n-1] (Horner, highest degree first, as Cephes' polevl).
template <int N>
inline __m256 polevl8(__m256 w, const float (&c)[N]) {
  __m256 p = splat(c[0]);
  for (int i = 1; i < N; ++i) p = _mm256_fmadd_ps(p, w, splat(c[i]));
  return p;
}

// e^y for y in [-86, 88.7], where the result is a normal float: n = round(y / ln2) by the
// 1.5 * 2^23 shifter (n lands in the low mantissa bits), r = y - n ln2 (ln2 split in two
// as expm1_reduced8), e^r by its degree-7 Taylor polynomial (|r| <= ln2 / 2: 1.2e-8
// truncation), 2^n added to the exponent bits. ~1 ulp, half of exp8's instructions:
// no clamps and no two-step scaling, so callers check the range (exp_neg_square8).
inline __m256 exp_normal_range8(__m256 y) {
  const __m256 shifted = _mm256_fmadd_ps(y, splat(1.44269504088896341f), splat(12582912.0f));
  const __m256 n = _mm256_sub_ps(shifted, splat(12582912.0f));
  __m256 r = _mm256_fnmadd_ps(n, splat(0.693145751953125f), y);
  r = _mm256_fnmadd_ps(n, splat(1.428606765330187e-06f), r);
  __m256 p = _mm256_fmadd_ps(splat(1.0f / 5040), r, splat(1.0f / 720));
  p = _mm256_fmadd_ps(p, r, splat(1.0f / 120));
  p = _mm256_fmadd_ps(p, r, splat(1.0f / 24));
  p = _mm256_fmadd_ps(p, r, splat(1.0f / 6));
  p = _mm256_fmadd_ps(p, r, splat(0.5f));
  p = _mm256_fmadd_ps(p, r, splat(1.0f));
  p = _mm256_fmadd_ps(p, r, splat(1.0f));
  const __m256i scale = _mm256_slli_epi32(_mm256_castps_si256(shifted), 23);  // n << 23 (mod 2^32)
  return _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(p), scale));
}

// e^(-c v^2) for c = 1/2 or 1 (exact scalings) without losing v^2's rounding: s = v v
// rounded, t = v v - s exact by an FMA, and e^(-c (s + t)) = e^(-c s) (1 - c t) to second
// order in c t <= ulp(s) (s rounded alone would cost up to ~100 ulp near |v| = 14, where
// c s is ~100). |v| is capped at 14.9 first (an inf or 1e30 would make s inf and t -inf; the
// result is 0 there anyway). Blocks with a lane past -86 in the exponent (denormal or zero
// results) or a NaN take exp8.
template <int HALF>
inline __m256 exp_neg_square8(__m256 v) {
  const __m256 av = _mm256_min_ps(splat(14.9f), abs8(v));  // (bound, v): a NaN passes
  const __m256 s = _mm256_mul_ps(av, av);
  const __m256 ct = _mm256_mul_ps(splat(HALF ? 0.5f : 1.0f), _mm256_fmsub_ps(av, av, s));
  const __m256 y = _mm256_mul_ps(splat(HALF ? -0.5f : -1.0f), s);
  const bool normal = _mm256_movemask_ps(_mm256_cmp_ps(y, splat(-86.0f), _CMP_NGE_UQ)) == 0;
  const __m256 e = normal ? exp_normal_range8(y) : exp8(y);
  return _mm256_fnmadd_ps(e, ct, e);
}
inline __m256 exp_neg_half_square8(__m256 x) { return exp_neg_square8<1>(x); }

// Cephes' erff coefficients: erf(a) = a T(a^2) for a < 1.
constexpr float kErfT[] = {7.853861353153693e-5f, -8.010193625184903e-4f, 5.188327685732524e-3f,
                           -2.685381193529856e-2f, 1.128358514861418e-1f, -3.761262582423300e-1f,
                           1.128379165726710e+0f};
// e^(a^2) erfc(a) = (1 + P(q)) / (1 + 2a) with q = (a - 2) / (a + 2) in [-1, 0.6825] for
// a in [0, 10.55] (the form of N. Juffa's erfcf), P(q) = (1 + q) P1(q) so that a = 0 gives
// exactly 1: P1 of degree 8, fitted here by weighted least squares with Lawson iterations
// to scipy's erfcx (1.6e-8 relative; 5.6e-8 with these float32 coefficients and float32
// Horner). One smooth formula over the whole range: no branches on a, and no cancellation
// (erfc is never formed as 1 - erf).
constexpr float kErfcxP1[] = {-3.957398585e-04f, -8.252215921e-04f, 2.138424432e-03f, 6.485790014e-03f,
                              -1.454730891e-02f, -3.965500370e-02f, 2.037107944e-01f, -3.697423935e-01f,
                              2.769784033e-01f};

// e^(a^2) erfc(a) for 0 <= a <= 10.55 (NaN passes). q by a division (P moves by up to
// 0.9 dq near q = -1: a refined reciprocal's 2 ulp showed in the result). The quotient
// (1 + P) / (1 + 2a) as g0 = r (1 + P), r = 1 / (1 + 2a) by rcp and a Newton step, then
// corrected by its residual (1 + P) - g0 (1 + 2a), computed without rounding 1 + 2a.
inline __m256 erfcx8(__m256 a) {
  const __m256 q = _mm256_div_ps(_mm256_sub_ps(a, splat(2.0f)), _mm256_add_ps(a, splat(2.0f)));
  const __m256 p1 = polevl8(q, kErfcxP1);
  const __m256 p = _mm256_fmadd_ps(q, p1, p1);
  const __m256 d = _mm256_fmadd_ps(a, splat(2.0f), splat(1.0f));
  __m256 r = _mm256_rcp_ps(d);
  r = _mm256_mul_ps(r, _mm256_fnmadd_ps(d, r, splat(2.0f)));  // the correction leaves r's error squared
  const __m256 g0 = _mm256_fmadd_ps(p, r, r);
  const __m256 res = _mm256_fmadd_ps(_mm256_fnmadd_ps(g0, a, splat(0.5f)), splat(2.0f), _mm256_sub_ps(p, g0));
  return _mm256_fmadd_ps(res, r, g0);
}

// erfc(|x| / sqrt 2) for any x (NaN passes): e^(-x^2 / 2) erfcx(a), a = |x| / sqrt 2, with
// e^(-a^2) taken from x itself (a carries the rounding of the division by sqrt 2, which
// e^(-a^2) would amplify a^2 times). Beyond |x| = 14.9 erfc is below the smallest
// denormal: |x| is capped there.
inline __m256 erfc_scaled8(__m256 x) {
  const __m256 a = _mm256_mul_ps(_mm256_min_ps(splat(14.9f), abs8(x)), splat(0.7071067811865476f));
  return _mm256_mul_ps(exp_neg_half_square8(x), erfcx8(a));
}

// erf x: a T(a^2) for a = |x| < 1, else 1 - e^(-a^2) erfcx(a); x's sign put back. Beyond
// |x| = 4 erf rounds to +-1: capped there.
inline __m256 erf8(__m256 x) {
  const __m256 a = _mm256_min_ps(splat(4.0f), abs8(x));  // a NaN x passes
  const __m256 in_small = _mm256_cmp_ps(a, splat(1.0f), _CMP_LT_OQ);
  const int small_lanes = _mm256_movemask_ps(in_small);
  __m256 r;
  if (small_lanes == 0xFF) {
    r = _mm256_mul_ps(a, polevl8(_mm256_mul_ps(a, a), kErfT));
  } else {
    r = _mm256_fnmadd_ps(exp_neg_square8<0>(a), erfcx8(a), splat(1.0f));
    if (small_lanes) r = _mm256_blendv_ps(r, _mm256_mul_ps(a, polevl8(_mm256_mul_ps(a, a), kErfT)), in_small);
  }
  return _mm256_or_ps(r, _mm256_and_ps(x, splat(-0.0f)));
}

// erfc x: e^(-a^2) erfcx(a) for a = |x|, 2 minus that for x < 0. Beyond a = 10.06 erfc is
// below half the smallest denormal: a is capped at 10.5 (inside erfcx8's fitted range).
inline __m256 erfc8(__m256 x) {
  const __m256 a = _mm256_min_ps(splat(10.5f), abs8(x));  // a NaN x passes
  const __m256 c = _mm256_mul_ps(exp_neg_square8<0>(a), erfcx8(a));
  return _mm256_blendv_ps(c, _mm256_sub_ps(splat(2.0f), c), _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
}

// 1 + erf(x / sqrt 2) = 2 - erfc(|x| / sqrt 2) for x >= 0, erfc(|x| / sqrt 2) for x < 0:
// no cancellation for negative x (the portable formula 1 + erf loses every digit there).
inline __m256 one_plus_erf_scaled8(__m256 x) {
  const __m256 c = erfc_scaled8(x);
  return _mm256_blendv_ps(_mm256_sub_ps(splat(2.0f), c), c, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
}

// Exact (erf) GELU, 0.5 x (1 + erf(x / sqrt 2)), and its derivative
// 0.5 (1 + erf(x / sqrt 2)) + x e^(-x^2 / 2) / sqrt(2 pi).
inline __m256 gelu8(__m256 x) { return _mm256_mul_ps(_mm256_mul_ps(splat(0.5f), x), one_plus_erf_scaled8(x)); }
inline __m256 gelu_grad8(__m256 x) {
  const __m256 e = exp_neg_half_square8(x);
  return _mm256_fmadd_ps(_mm256_mul_ps(x, e), splat(0.3989422804014327f),
                         _mm256_mul_ps(splat(0.5f), one_plus_erf_scaled8(x)));
}

// Lanes [0, n) of a partial block (n in 1..7) for maskload / maskstore.
inline __m256i tail_mask(long n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

}  // namespace vec
}  // namespace fastdl
