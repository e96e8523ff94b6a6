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

// e^(-x^2 / 2) without rounding x^2: x = h + l with h = x's top 12 significant bits, so
// h^2 / 2 is exact and e^(-x^2/2) = e^(-h^2/2) e^(-l (x + h) / 2). (x^2 rounded would cost
// up to ~100 ulp near x = 14, where x^2 / 2 is ~100.) |l| < 2^-11 |x|, so for |x| <= 14.9
// the second exponent is within 0.11 of 0 and its Taylor polynomial to degree 5 is exact to
// 3e-9 relative: a third of exp8's work. Larger |x| (beyond every caller's cap) take exp8.
inline __m256 exp_small8(__m256 t) {  // e^t for |t| <= 0.11
  __m256 p = _mm256_fmadd_ps(splat(1.0f / 120), t, splat(1.0f / 24));
  p = _mm256_fmadd_ps(p, t, splat(1.0f / 6));
  p = _mm256_fmadd_ps(p, t, splat(0.5f));
  p = _mm256_fmadd_ps(p, t, splat(1.0f));
  return _mm256_fmadd_ps(p, t, splat(1.0f));
}
inline __m256 exp_neg_half_square8(__m256 x) {
  const __m256 h = _mm256_and_ps(x, _mm256_castsi256_ps(_mm256_set1_epi32(int(0xFFFFF000u))));
  const __m256 hh = _mm256_mul_ps(_mm256_mul_ps(h, h), splat(-0.5f));
  const __m256 lo = _mm256_mul_ps(_mm256_mul_ps(_mm256_sub_ps(x, h), _mm256_add_ps(x, h)), splat(-0.5f));
  const __m256 far = _mm256_cmp_ps(abs8(x), splat(14.9f), _CMP_GT_OQ);
  const __m256 e_lo = _mm256_movemask_ps(far) ? _mm256_blendv_ps(exp_small8(lo), exp8(lo), far) : exp_small8(lo);
  return _mm256_mul_ps(exp8(hh), e_lo);
}

// Cephes' erff / erfcf coefficients: erf(a) = a T(a^2) for a < 1; erfc(a) = e^(-a^2) / a
// P(1/a^2) for 1 <= a < 2, R(1/a^2) beyond.
constexpr float kErfT[] = {7.853861353153693e-5f, -8.010193625184903e-4f, 5.188327685732524e-3f,
                           -2.685381193529856e-2f, 1.128358514861418e-1f, -3.761262582423300e-1f,
                           1.128379165726710e+0f};
constexpr float kErfcP[] = {2.326819970068386e-2f, -1.387039388740657e-1f, 3.687424674597105e-1f,
                            -5.824733027278666e-1f, 6.210004621745983e-1f, -4.944515323274145e-1f,
                            3.404879937665872e-1f, -2.741127028184656e-1f, 5.638259427386472e-1f};
constexpr float kErfcR[] = {-1.047766399936249e+1f, 1.297719955372516e+1f, -7.495518717768503e+0f,
                            2.921019019210786e+0f, -1.015265279202700e+0f, 4.218463358204948e-1f,
                            -2.820767439740514e-1f, 5.641895067754075e-1f};

// erfc(a) for a >= 1 (NaN passes) from e^(-a^2) given as ea2: only the branches some lane needs.
inline __m256 erfc_tail8(__m256 a, __m256 ea2) {
  const __m256 q = _mm256_div_ps(splat(1.0f), a);
  const __m256 w = _mm256_mul_ps(q, q);
  const __m256 mid = _mm256_cmp_ps(a, splat(2.0f), _CMP_LT_OQ);
  const __m256 tail = _mm256_movemask_ps(mid) == 0xFF ? polevl8(w, kErfcP)
                                                       : _mm256_blendv_ps(polevl8(w, kErfcR), polevl8(w, kErfcP), mid);
  return _mm256_mul_ps(_mm256_mul_ps(ea2, q), tail);
}

// erfc(|x| / sqrt 2) for any x (NaN passes), by Cephes' erff / erfcf in a = |x| / sqrt 2:
// 1 - a T(a^2) below a = 1, else e^(-a^2) / a P(1/a^2) (a < 2) or R(1/a^2), with
// e^(-a^2) = e^(-x^2 / 2) taken from x itself (a carries the rounding of the division by
// sqrt 2, which e^(-a^2) would amplify a^2 times). Beyond |x| = 14.9 erfc is below the
// smallest denormal: |x| is capped there. The tail runs only for blocks with a lane
// there (most of a unit normal's blocks stay below 2 in a, ~a quarter below 1).
inline __m256 erfc_scaled8(__m256 x) {
  const __m256 ax = _mm256_min_ps(splat(14.9f), abs8(x));  // (bound, x): a NaN x passes
  const __m256 a = _mm256_mul_ps(ax, splat(0.7071067811865476f));
  const __m256 small = _mm256_fnmadd_ps(a, polevl8(_mm256_mul_ps(a, a), kErfT), splat(1.0f));
  const __m256 in_small = _mm256_cmp_ps(a, splat(1.0f), _CMP_LT_OQ);  // false for NaN: tail
  if (_mm256_movemask_ps(in_small) == 0xFF) return small;
  return _mm256_blendv_ps(erfc_tail8(a, exp_neg_half_square8(ax)), small, in_small);
}

// erf x: a T(a^2) for a = |x| < 1, else 1 - erfc(a) with e^(-a^2) from the split square
// (exp_neg_square8); x's sign put back. Beyond |x| = 4 erf rounds to +-1: capped there.
inline __m256 exp_neg_square8(__m256 a) {  // e^(-a^2) for |a| <= 4, as exp_neg_half_square8
  const __m256 h = _mm256_and_ps(a, _mm256_castsi256_ps(_mm256_set1_epi32(int(0xFFFFF000u))));
  const __m256 lo = _mm256_mul_ps(_mm256_sub_ps(h, a), _mm256_add_ps(a, h));  // -(a - h)(a + h), |.| < 0.008
  return _mm256_mul_ps(exp8(_mm256_sub_ps(_mm256_setzero_ps(), _mm256_mul_ps(h, h))), exp_small8(lo));
}
inline __m256 erf8(__m256 x) {
  const __m256 a = _mm256_min_ps(splat(4.0f), abs8(x));  // a NaN x passes
  const __m256 small = _mm256_mul_ps(a, polevl8(_mm256_mul_ps(a, a), kErfT));
  const __m256 in_small = _mm256_cmp_ps(a, splat(1.0f), _CMP_LT_OQ);
  __m256 r = small;
  if (_mm256_movemask_ps(in_small) != 0xFF)
    r = _mm256_blendv_ps(_mm256_sub_ps(splat(1.0f), erfc_tail8(a, exp_neg_square8(a))), small, in_small);
  return _mm256_or_ps(r, _mm256_and_ps(x, splat(-0.0f)));
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
