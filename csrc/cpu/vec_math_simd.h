// float32 exp / exp2 / expm1 / log / log1p / tanh / sigmoid / silu / elu / softplus / erf /
// erfc / GELU / sin / cos / tan / atan / asin written once for any vector width: each function is a template on a vector
// type V (avx2::Vec<float> in avx2_vec.h, 8 lanes; avx512::Vec<float> in avx512_vec.h,
// 16), which names the instructions. Include this header ONLY from *_avx2.cpp /
// *_avx512.cpp files (with avx2_vec.h or avx512_vec.h): its code is that ISA's.
//
// Cephes-style range reduction and polynomials. Max error against float64, in ulps of the
// rounded result, measured by tests/test_vec_math.py and its neighbours over random bit
// patterns and dense grids of the whole float32 range (both widths): exp 1.00, log 0.79,
// tanh 1.37, sigmoid 2.29, silu 2.3, denormal results included (not flushed); +-inf, NaN
// and out-of-range inputs give the IEEE limits. Both widths run the same operations in the
// same order on each lane, so they give the same bits, except where the AVX-512 rcp14
// (erfcx, for erf / erfc / GELU) starts from a closer reciprocal than AVX2's rcp.
// Note on NaN: V::min / V::max return their SECOND operand when either is NaN, so every
// clamp below is written (bound, x) to let a NaN through.
#pragma once
#include <immintrin.h>

#include <cstdint>

namespace fastdl {
namespace vec {
namespace simd {

template <class V> using R = typename V::R;

template <class V> inline R<V> sign_of(R<V> x) { return V::bit_and(x, V::set1(-0.0f)); }

// 2^k for integer lanes k in [-126, 127] (a normal float built from its exponent bits).
template <class V> inline R<V> pow2i(typename V::I k) {
  return V::from_bits(V::template shl<23>(V::iadd(k, V::iset1(127))));
}

// e^r - 1 for x = n ln2 + r with |r| <= ln2/2 (ln2 split in two for an exact reduction),
// by Cephes' degree-7 polynomial r + r^2 P(r) (exact for tiny r); *n receives n.
template <class V> inline R<V> expm1_reduced(R<V> x, R<V>* n) {
  *n = V::round(V::mul(x, V::set1(1.44269504088896341f)));
  R<V> r = V::fnma(*n, V::set1(0.693145751953125f), x);
  r = V::fnma(*n, V::set1(1.428606765330187e-06f), r);
  R<V> p = V::set1(1.9875691500e-4f);
  p = V::fma(p, r, V::set1(1.3981999507e-3f));
  p = V::fma(p, r, V::set1(8.3334519073e-3f));
  p = V::fma(p, r, V::set1(4.1665795894e-2f));
  p = V::fma(p, r, V::set1(1.6666665459e-1f));
  p = V::fma(p, r, V::set1(5.0000001201e-1f));
  return V::fma(p, V::mul(r, r), r);
}

// e^r as above, plus one. The callers clamp x and apply 2^n (exp below, the LSTM cell's
// gate_exp in rnn_cells_simd.h).
template <class V> inline R<V> exp_reduced(R<V> x, R<V>* n) { return V::add(expm1_reduced<V>(x, n), V::set1(1.0f)); }

// p 2^n for integral n in [-152, 129] with one rounding, so that results down to the
// smallest denormal and up to overflow are right: V::scale_pow2 (AVX-512's scalef), or
// 2^n applied in two halves, each in [-76, 65] and so an exact normal float (AVX2). Both
// give the same bits.
template <class V> inline R<V> scale_by_pow2(R<V> p, R<V> n) {
  if constexpr (V::kHasScalef) {
    return V::scale_pow2(p, n);
  } else {
    const typename V::I ni = V::to_int(n);
    const typename V::I n1 = V::template sar<1>(ni);
    return V::mul(V::mul(p, pow2i<V>(n1)), pow2i<V>(V::isub(ni, n1)));
  }
}

// e^x.
template <class V> inline R<V> exp(R<V> x) {
  x = V::max(V::set1(-105.0f), V::min(V::set1(88.8f), x));  // beyond: 0 / inf anyway
  R<V> n;
  const R<V> p = exp_reduced<V>(x, &n);
  return scale_by_pow2<V>(p, n);
}

// 2^x: x = n + r with n = round(x) (r exact, |r| <= 1/2), 2^r = e^(r ln2) by exp's
// polynomial, the scale 2^n applied in two halves as exp.
template <class V> inline R<V> exp2(R<V> x) {
  x = V::max(V::set1(-152.0f), V::min(V::set1(129.0f), x));  // beyond: 0 / inf anyway
  const R<V> n = V::round(x);
  R<V> n2;
  const R<V> p = exp_reduced<V>(V::mul(V::sub(x, n), V::set1(0.693147180559945f)), &n2);  // n2 = 0
  return scale_by_pow2<V>(p, V::add(n, n2));
}

// log x. x = m 2^e with m in [sqrt(1/2), sqrt(2)); log(m) by Cephes' polynomial in
// m - 1. Denormal inputs are scaled by 2^23 first; x < 0 and NaN -> NaN, 0 -> -inf,
// +inf -> +inf.
template <class V> inline R<V> log(R<V> x) {
  const R<V> zero = V::zero();
  // x = m 2^e with m in [0.5, 1): AVX-512's getmant / getexp normalise denormals
  // themselves; otherwise from the bits, denormals scaled by 2^23 first. The same m and e.
  R<V> m, e;
  if constexpr (V::kHasGetexp) {
    m = V::mantissa_half(x);
    e = V::add(V::exponent(x), V::set1(1.0f));
  } else {
    const typename V::Cmp tiny = V::template cmp<_CMP_LT_OQ>(x, V::set1(1.17549435e-38f));  // denormal (or <= 0)
    const R<V> xs = V::blend(x, V::mul(x, V::set1(8388608.0f)), tiny);
    const typename V::I bits = V::bits(xs);
    e = V::to_float(V::isub(V::template shr<23>(bits), V::iset1(126)));
    e = V::sub(e, V::when(tiny, V::set1(23.0f)));
    m = V::from_bits(V::ior(V::iand(bits, V::iset1(0x007FFFFF)), V::iset1(0x3F000000)));
  }
  const typename V::Cmp small = V::template cmp<_CMP_LT_OQ>(m, V::set1(0.707106781186547524f));
  e = V::sub(e, V::when(small, V::set1(1.0f)));
  m = V::sub(V::add(m, V::when(small, m)), V::set1(1.0f));  // 2m-1 or m-1
  const R<V> z = V::mul(m, m);
  R<V> y = V::set1(7.0376836292e-2f);
  y = V::fma(y, m, V::set1(-1.1514610310e-1f));
  y = V::fma(y, m, V::set1(1.1676998740e-1f));
  y = V::fma(y, m, V::set1(-1.2420140846e-1f));
  y = V::fma(y, m, V::set1(1.4249322787e-1f));
  y = V::fma(y, m, V::set1(-1.6668057665e-1f));
  y = V::fma(y, m, V::set1(2.0000714765e-1f));
  y = V::fma(y, m, V::set1(-2.4999993993e-1f));
  y = V::fma(y, m, V::set1(3.3333331174e-1f));
  y = V::mul(V::mul(y, m), z);
  y = V::fma(e, V::set1(-2.12194440e-4f), y);
  y = V::fnma(z, V::set1(0.5f), y);
  R<V> out = V::fma(e, V::set1(0.693359375f), V::add(m, y));
  out = V::blend(out, x, V::template cmp<_CMP_EQ_OQ>(x, V::set1(__builtin_inff())));
  out = V::blend(out, V::set1(-__builtin_inff()), V::template cmp<_CMP_EQ_OQ>(x, zero));
  return V::blend(out, V::set1(__builtin_nanf("")), V::template cmp<_CMP_NGE_UQ>(x, zero));
}

// e^x - 1 for x <= 20 (the caller caps x) without cancellation: e^x - 1 = 2^n (e^r - 1) +
// (2^n - 1), one rounding of an exact scaled product plus an exact 2^n - 1. Below -30 the
// result rounds to -1, so x is clamped there (a NaN x passes the clamp). x's sign bit is
// put back so that -0 gives -0 (the sum gives +0).
template <class V> inline R<V> expm1_capped(R<V> x) {
  R<V> n;
  const R<V> p = expm1_reduced<V>(V::max(V::set1(-30.0f), x), &n);
  const R<V> s = pow2i<V>(V::to_int(n));  // n in [-43, 29]
  return V::bit_or(V::fma(s, p, V::sub(s, V::set1(1.0f))), sign_of<V>(x));
}

// e^x - 1 for any x: above 20 it rounds to e^x.
template <class V> inline R<V> expm1(R<V> x) {
  const R<V> small = expm1_capped<V>(V::min(V::set1(20.0f), x));
  return V::blend(small, exp<V>(x), V::template cmp<_CMP_GT_OQ>(x, V::set1(20.0f)));
}

// log(1 + y) from u = 1 + y rounded: log(u) + (y - (u - 1)) / u, where u - 1 and y - (u - 1)
// (u's rounding error) are exact, so the second term undoes the rounding to first order;
// y itself where u rounds to 1 (tiny y, +-0 kept), +inf at +inf, -inf at -1, NaN below.
template <class V> inline R<V> log1p(R<V> y) {
  const R<V> u = V::add(V::set1(1.0f), y);
  const R<V> d = V::sub(u, V::set1(1.0f));
  const R<V> corr = V::div(V::sub(y, d), u);  // 0 / 0 at y = -1: masked
  const R<V> r = V::add(log<V>(u), V::unless(V::template cmp<_CMP_EQ_OQ>(u, V::zero()), corr));
  const typename V::Cmp keep_y = V::cmp_or(V::template cmp<_CMP_EQ_OQ>(d, V::zero()),
                                           V::template cmp<_CMP_EQ_OQ>(y, V::set1(__builtin_inff())));
  return V::blend(r, y, keep_y);
}

// log(1 + e^t) = max(t, 0) + log1p(e^-|t|): no overflow, and e^t's own (denormal) tail
// for very negative t.
template <class V> inline R<V> log1p_exp(R<V> t) {
  const R<V> e = exp<V>(V::sub(V::zero(), V::abs(t)));
  return V::add(V::max(V::zero(), t), log1p<V>(e));  // (0, t): a NaN t passes
}

// F.elu and F.softplus with their parameters (as float, like the scalar functors):
// x > 0 ? x : alpha (e^x - 1), and x where beta x > threshold, else log(1 + e^(beta x)) / beta.
template <class V> inline R<V> elu(R<V> x, R<V> alpha) {
  const R<V> neg = V::mul(alpha, expm1_capped<V>(V::min(V::zero(), x)));
  return V::blend(neg, x, V::template cmp<_CMP_GT_OQ>(x, V::zero()));
}
template <class V> inline R<V> softplus(R<V> x, R<V> beta, R<V> threshold) {
  const R<V> bx = V::mul(x, beta);
  const R<V> soft = V::div(log1p_exp<V>(bx), beta);
  return V::blend(soft, x, V::template cmp<_CMP_GT_OQ>(bx, threshold));
}

// e^y for y in [-86, 88.7], where the result is a normal float: n = round(y / ln2) by the
// 1.5 * 2^23 shifter (n lands in the low mantissa bits), r = y - n ln2 (ln2 split in two
// as expm1_reduced), e^r by its degree-7 Taylor polynomial (|r| <= ln2 / 2: 1.2e-8
// truncation), 2^n added to the exponent bits. ~1 ulp, half of exp's instructions:
// no clamps and no two-step scaling, so callers check the range (exp_neg_square).
template <class V> inline R<V> exp_normal_range(R<V> y) {
  const R<V> shifted = V::fma(y, V::set1(1.44269504088896341f), V::set1(12582912.0f));
  const R<V> n = V::sub(shifted, V::set1(12582912.0f));
  R<V> r = V::fnma(n, V::set1(0.693145751953125f), y);
  r = V::fnma(n, V::set1(1.428606765330187e-06f), r);
  R<V> p = V::fma(V::set1(1.0f / 5040), r, V::set1(1.0f / 720));
  p = V::fma(p, r, V::set1(1.0f / 120));
  p = V::fma(p, r, V::set1(1.0f / 24));
  p = V::fma(p, r, V::set1(1.0f / 6));
  p = V::fma(p, r, V::set1(0.5f));
  p = V::fma(p, r, V::set1(1.0f));
  p = V::fma(p, r, V::set1(1.0f));
  const typename V::I scale = V::template shl<23>(V::bits(shifted));  // n << 23 (mod 2^32)
  return V::from_bits(V::iadd(V::bits(p), scale));
}

// tanh x: Cephes' odd polynomial for |x| < 0.625, else 1 - 2/(e^{2|x|} + 1) with the
// sign of x put back.
template <class V> inline R<V> tanh(R<V> x) {
  const R<V> ax = V::abs(x);
  const R<V> z = V::mul(x, x);
  R<V> p = V::set1(-5.70498872745e-3f);
  p = V::fma(p, z, V::set1(2.06390887954e-2f));
  p = V::fma(p, z, V::set1(-5.37397155531e-2f));
  p = V::fma(p, z, V::set1(1.33314422036e-1f));
  p = V::fma(p, z, V::set1(-3.33332819422e-1f));
  p = V::fma(V::mul(p, z), x, x);
  // e^{2|x|} where that branch is taken: 2|x| in [1.25, 20] (tanh rounds to 1 from 9), so
  // exp_normal_range serves, without exp's clamps and two-step scaling (~8% of tanh's
  // time); its error shrinks in 1 - 2/(e + 1): max 1.33 -> 1.37 ulp.
  const R<V> e = exp_normal_range<V>(V::min(V::set1(20.0f), V::add(ax, ax)));
  const R<V> big = V::sub(V::set1(1.0f), V::div(V::set1(2.0f), V::add(e, V::set1(1.0f))));
  // NaN lanes take the polynomial, which passes them on (exp_normal_range would not). x's
  // sign bit on both branches: the polynomial gives +0 at x = -0.
  const R<V> r = V::blend(big, p, V::template cmp<_CMP_NGE_UQ>(ax, V::set1(0.625f)));
  return V::bit_or(r, sign_of<V>(x));
}

// 1 / (1 + e^-x) computed as {1 or e^-|x|} / (1 + e^-|x|): never overflows, and keeps
// full relative accuracy for tiny (even denormal) results at very negative x.
template <class V> inline R<V> sigmoid(R<V> x) {
  const R<V> e = exp<V>(V::sub(V::zero(), V::abs(x)));
  const R<V> num = V::blend(e, V::set1(1.0f), V::template cmp<_CMP_GE_OQ>(x, V::zero()));
  return V::div(num, V::add(V::set1(1.0f), e));
}

// x * sigmoid(x); below x = -87 sigmoid(x) is denormal and the error is |x| of its ulps.
template <class V> inline R<V> silu(R<V> x) { return V::mul(x, sigmoid<V>(x)); }

// p(w) = c[0] w^(n-1) + ... + c[n-1] (Horner, highest degree first, as Cephes' polevl).
template <class V, int N> inline R<V> polevl(R<V> w, const float (&c)[N]) {
  R<V> p = V::set1(c[0]);
  for (int i = 1; i < N; ++i) p = V::fma(p, w, V::set1(c[i]));
  return p;
}

// e^(-c v^2) for c = 1/2 or 1 (exact scalings) without losing v^2's rounding: s = v v
// rounded, t = v v - s exact by an FMA, and e^(-c (s + t)) = e^(-c s) (1 - c t) to second
// order in c t <= ulp(s) (s rounded alone would cost up to ~100 ulp near |v| = 14, where
// c s is ~100). |v| is capped at 14.9 first (an inf or 1e30 would make s inf and t -inf; the
// result is 0 there anyway). Blocks with a lane past -86 in the exponent (denormal or zero
// results) or a NaN take exp.
template <class V, int HALF> inline R<V> exp_neg_square(R<V> v) {
  const R<V> av = V::min(V::set1(14.9f), V::abs(v));  // (bound, v): a NaN passes
  const R<V> s = V::mul(av, av);
  const R<V> ct = V::mul(V::set1(HALF ? 0.5f : 1.0f), V::fms(av, av, s));
  const R<V> y = V::mul(V::set1(HALF ? -0.5f : -1.0f), s);
  const bool normal = V::lanes(V::template cmp<_CMP_NGE_UQ>(y, V::set1(-86.0f))) == 0;
  const R<V> e = normal ? exp_normal_range<V>(y) : exp<V>(y);
  return V::fnma(e, ct, e);
}

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
template <class V> inline R<V> erfcx(R<V> a) {
  const R<V> q = V::div(V::sub(a, V::set1(2.0f)), V::add(a, V::set1(2.0f)));
  const R<V> p1 = polevl<V>(q, kErfcxP1);
  const R<V> p = V::fma(q, p1, p1);
  const R<V> d = V::fma(a, V::set1(2.0f), V::set1(1.0f));
  R<V> r = V::rcp(d);
  r = V::mul(r, V::fnma(d, r, V::set1(2.0f)));  // the correction leaves r's error squared
  const R<V> g0 = V::fma(p, r, r);
  const R<V> res = V::fma(V::fnma(g0, a, V::set1(0.5f)), V::set1(2.0f), V::sub(p, g0));
  return V::fma(res, r, g0);
}

// erfc(|x| / sqrt 2) for any x (NaN passes): e^(-x^2 / 2) erfcx(a), a = |x| / sqrt 2, with
// e^(-a^2) taken from x itself (a carries the rounding of the division by sqrt 2, which
// e^(-a^2) would amplify a^2 times). Beyond |x| = 14.9 erfc is below the smallest
// denormal: |x| is capped there.
template <class V> inline R<V> erfc_scaled(R<V> x) {
  const R<V> a = V::mul(V::min(V::set1(14.9f), V::abs(x)), V::set1(0.7071067811865476f));
  return V::mul(exp_neg_square<V, 1>(x), erfcx<V>(a));
}

// erf x: a T(a^2) for a = |x| < 1, else 1 - e^(-a^2) erfcx(a); x's sign put back. Beyond
// |x| = 4 erf rounds to +-1: capped there.
template <class V> inline R<V> erf(R<V> x) {
  const R<V> a = V::min(V::set1(4.0f), V::abs(x));  // a NaN x passes
  const typename V::Cmp in_small = V::template cmp<_CMP_LT_OQ>(a, V::set1(1.0f));
  const unsigned small_lanes = V::lanes(in_small);
  R<V> r;
  if (small_lanes == V::kAllLanes) {
    r = V::mul(a, polevl<V>(V::mul(a, a), kErfT));
  } else {
    r = V::fnma(exp_neg_square<V, 0>(a), erfcx<V>(a), V::set1(1.0f));
    if (small_lanes) r = V::blend(r, V::mul(a, polevl<V>(V::mul(a, a), kErfT)), in_small);
  }
  return V::bit_or(r, sign_of<V>(x));
}

// erfc x: e^(-a^2) erfcx(a) for a = |x|, 2 minus that for x < 0. Beyond a = 10.06 erfc is
// below half the smallest denormal: a is capped at 10.5 (inside erfcx's fitted range).
template <class V> inline R<V> erfc(R<V> x) {
  const R<V> a = V::min(V::set1(10.5f), V::abs(x));  // a NaN x passes
  const R<V> c = V::mul(exp_neg_square<V, 0>(a), erfcx<V>(a));
  return V::blend(c, V::sub(V::set1(2.0f), c), V::template cmp<_CMP_LT_OQ>(x, V::zero()));
}

// 1 + erf(x / sqrt 2) = 2 - erfc(|x| / sqrt 2) for x >= 0, erfc(|x| / sqrt 2) for x < 0:
// no cancellation for negative x (the portable formula 1 + erf loses every digit there).
template <class V> inline R<V> one_plus_erf_scaled(R<V> x) {
  const R<V> c = erfc_scaled<V>(x);
  return V::blend(V::sub(V::set1(2.0f), c), c, V::template cmp<_CMP_LT_OQ>(x, V::zero()));
}

// Exact (erf) GELU, 0.5 x (1 + erf(x / sqrt 2)), and its derivative
// 0.5 (1 + erf(x / sqrt 2)) + x e^(-x^2 / 2) / sqrt(2 pi).
template <class V> inline R<V> gelu(R<V> x) { return V::mul(V::mul(V::set1(0.5f), x), one_plus_erf_scaled<V>(x)); }
template <class V> inline R<V> gelu_grad(R<V> x) {
  const R<V> e = exp_neg_square<V, 1>(x);
  return V::fma(V::mul(x, e), V::set1(0.3989422804014327f), V::mul(V::set1(0.5f), one_plus_erf_scaled<V>(x)));
}

// sin / cos / tan: |x| reduced by pi/2 in double (pi/2 in two parts, FMA) by the ISA's
// HalfPi<V>::reduce (vec_math_avx2.h, vec_math_avx512.cpp), r = |x| - q pi/2 in
// [-pi/4, pi/4] rounded to float, then Cephes' sinf / cosf polynomials in r by quadrant q.
// The double reduction keeps r's relative error ~1e-16 / |r| even next to a multiple of
// pi, up to |x| = 2^16 (sin_cos_or_libm takes larger, infinite or NaN lanes through libm).
constexpr float kSinCosMaxArg = 65536.0f;
template <class V> struct HalfPi;  // static R reduce(R ax, I* q): r rounded to float, q

// *sn = sin r, *cs = cos r, *q the quadrant of |x| = ax within kSinCosMaxArg.
template <class V> inline void sin_cos_reduced(R<V> ax, R<V>* sn, R<V>* cs, typename V::I* q) {
  const R<V> r = HalfPi<V>::reduce(ax, q);
  const R<V> z = V::mul(r, r);
  R<V> s = V::fma(V::set1(-1.9515295891e-4f), z, V::set1(8.3321608736e-3f));
  s = V::fma(s, z, V::set1(-1.6666654611e-1f));
  *sn = V::fma(V::mul(s, z), r, r);
  R<V> c = V::fma(V::set1(2.443315711809948e-5f), z, V::set1(-1.388731625493765e-3f));
  c = V::fma(c, z, V::set1(4.166664568298827e-2f));
  *cs = V::fma(c, V::mul(z, z), V::fnma(V::set1(0.5f), z, V::set1(1.0f)));
}

// sin(q pi/2 + r) (shift 0) or cos (shift 1), for ax = |x| within kSinCosMaxArg.
template <class V> inline R<V> sin_cos_abs(R<V> ax, int shift) {
  R<V> sn, cs;
  typename V::I q;
  sin_cos_reduced<V>(ax, &sn, &cs, &q);
  q = V::iadd(q, V::iset1(shift));
  // odd quadrants take the cosine polynomial; quadrants 2 and 3 flip the sign
  const R<V> flip = V::from_bits(V::template shl<31>(V::template shr<1>(q)));
  return V::bit_xor(V::blend(sn, cs, V::odd(q)), flip);
}

// sin is odd: computed at |x| with x's sign put back (so -0 gives -0).
template <class V> inline R<V> sin(R<V> x) { return V::bit_xor(sin_cos_abs<V>(V::abs(x), 0), sign_of<V>(x)); }
template <class V> inline R<V> cos(R<V> x) { return sin_cos_abs<V>(V::abs(x), 1); }

// tan x = sin / cos of the same reduction, swapped (and the quotient negated) in odd
// quadrants; x's sign put back. Same argument range as sin.
template <class V> inline R<V> tan(R<V> x) {
  R<V> sn, cs;
  typename V::I q;
  sin_cos_reduced<V>(V::abs(x), &sn, &cs, &q);
  const typename V::Cmp odd = V::odd(q);
  const R<V> t = V::div(V::blend(sn, cs, odd), V::blend(cs, sn, odd));
  const R<V> signed_t = V::bit_xor(t, V::when(odd, V::set1(-0.0f)));  // odd: -cos / sin
  return V::bit_xor(signed_t, sign_of<V>(x));
}

// F(x), with the lanes beyond kSinCosMaxArg (or inf / NaN) from libm (__builtin_sinf ...:
// plain calls, no inline code).
template <class V, R<V> (*F)(R<V>), float (*Libm)(float)> inline R<V> sin_cos_or_libm(R<V> x) {
  const unsigned far = V::lanes(V::template cmp<_CMP_NLE_UQ>(V::abs(x), V::set1(kSinCosMaxArg)));  // or NaN
  R<V> v = F(x);
  if (far) {
    alignas(64) float xs[V::L], vs[V::L];
    V::store(xs, x);
    V::store(vs, v);
    for (int i = 0; i < V::L; ++i)
      if (far >> i & 1) vs[i] = Libm(xs[i]);
    v = V::load(vs);
  }
  return v;
}
// static: each ISA's file keeps its own copy (an inline function shared by name could be
// linked from the AVX-512 file into AVX2-only callers).
static inline float libm_sin(float x) { return __builtin_sinf(x); }
static inline float libm_cos(float x) { return __builtin_cosf(x); }
static inline float libm_tan(float x) { return __builtin_tanf(x); }

// atan x (Cephes' atanf): |x| above tan(3 pi / 8) -> pi/2 + atan(-1/|x|), above tan(pi / 8)
// -> pi/4 + atan((|x| - 1) / (|x| + 1)), then an odd polynomial; x's sign put back.
template <class V> inline R<V> atan(R<V> x) {
  const R<V> ax = V::abs(x);
  const typename V::Cmp big = V::template cmp<_CMP_GT_OQ>(ax, V::set1(2.414213562373095f));
  const typename V::Cmp mid = V::template cmp<_CMP_GT_OQ>(ax, V::set1(0.4142135623730950f));  // big too
  const R<V> num = V::blend(V::blend(ax, V::sub(ax, V::set1(1.0f)), mid), V::set1(-1.0f), big);
  const R<V> den = V::blend(V::blend(V::set1(1.0f), V::add(ax, V::set1(1.0f)), mid), ax, big);
  const R<V> t = V::div(num, den);
  const R<V> base = V::blend(V::when(mid, V::set1(0.7853981633974483f)), V::set1(1.5707963267948966f), big);
  const R<V> z = V::mul(t, t);
  R<V> p = V::fma(V::set1(8.05374449538e-2f), z, V::set1(-1.38776856032e-1f));
  p = V::fma(p, z, V::set1(1.99777106478e-1f));
  p = V::fma(p, z, V::set1(-3.33329491539e-1f));
  const R<V> r = V::add(base, V::fma(V::mul(p, z), t, t));
  return V::bit_xor(r, sign_of<V>(x));
}

// asin x (Cephes' asinf): |x| > 1/2 -> pi/2 - 2 asin(sqrt((1 - |x|) / 2)), then an odd
// polynomial; x's sign put back; |x| > 1 and NaN give NaN (the sqrt of a negative).
template <class V> inline R<V> asin(R<V> x) {
  const R<V> ax = V::abs(x);
  const typename V::Cmp big = V::template cmp<_CMP_GT_OQ>(ax, V::set1(0.5f));
  const R<V> zb = V::mul(V::set1(0.5f), V::sub(V::set1(1.0f), ax));
  const R<V> z = V::blend(V::mul(ax, ax), zb, big);
  const R<V> v = V::blend(ax, V::sqrt(zb), big);
  R<V> p = V::fma(V::set1(4.2163199048e-2f), z, V::set1(2.4181311049e-2f));
  p = V::fma(p, z, V::set1(4.5470025998e-2f));
  p = V::fma(p, z, V::set1(7.4953002686e-2f));
  p = V::fma(p, z, V::set1(1.6666752422e-1f));
  const R<V> s = V::fma(V::mul(p, z), v, v);
  const R<V> r = V::blend(s, V::fnma(V::set1(2.0f), s, V::set1(1.5707963267948966f)), big);
  return V::bit_xor(r, sign_of<V>(x));
}

// out[i] = f(x[i]) for i < n (out may be x): whole vectors, then one masked vector for
// the rest (its masked-off lanes are neither read nor written).
template <class V, typename F> inline void map_lanes(const float* x, float* out, int64_t n, F f) {
  int64_t i = 0;
  for (; i + V::L <= n; i += V::L) V::store(out + i, f(V::load(x + i)));
  if (i < n) {
    const typename V::M m = V::first(n - i);
    V::store(out + i, m, f(V::load(x + i, m)));
  }
}

}  // namespace simd
}  // namespace vec
}  // namespace fastdl

// The array kernels of vec_math.h over the functions above, defined once for both widths:
// FASTDL_VEC_MATH_GENERIC_LOOPS(avx2, avx2::Vec<float>) in vec_math_avx2.cpp defines
// exp_f32_avx2 ... softplus_f32_avx2, and likewise for avx512. (Lambdas, not function
// pointers, so that each loop inlines its function.)
#define FASTDL_VEC_MATH_UNARY_LOOP(ISA, V, NAME)                                    \
  void NAME##_f32_##ISA(const float* x, float* out, int64_t n) {                    \
    simd::map_lanes<V>(x, out, n, [](V::R v) { return simd::NAME<V>(v); });        \
  }
// sin / cos / tan: lanes past kSinCosMaxArg through libm (sin_cos_or_libm).
#define FASTDL_VEC_MATH_TRIG_LOOP(ISA, V, NAME)                                                      \
  void NAME##_f32_##ISA(const float* x, float* out, int64_t n) {                                    \
    simd::map_lanes<V>(x, out, n,                                                                    \
                       [](V::R v) { return simd::sin_cos_or_libm<V, simd::NAME<V>, simd::libm_##NAME>(v); }); \
  }
#define FASTDL_VEC_MATH_GENERIC_LOOPS(ISA, V)                                                        \
  FASTDL_VEC_MATH_UNARY_LOOP(ISA, V, exp)                                                            \
  FASTDL_VEC_MATH_UNARY_LOOP(ISA, V, exp2)                                                           \
  FASTDL_VEC_MATH_UNARY_LOOP(ISA, V, expm1)                                                          \
  FASTDL_VEC_MATH_UNARY_LOOP(ISA, V, log)                                                            \
  FASTDL_VEC_MATH_UNARY_LOOP(ISA, V, log1p)                                                          \
  FASTDL_VEC_MATH_UNARY_LOOP(ISA, V, tanh)                                                           \
  FASTDL_VEC_MATH_UNARY_LOOP(ISA, V, sigmoid)                                                        \
  FASTDL_VEC_MATH_UNARY_LOOP(ISA, V, silu)                                                           \
  FASTDL_VEC_MATH_UNARY_LOOP(ISA, V, erf)                                                            \
  FASTDL_VEC_MATH_UNARY_LOOP(ISA, V, erfc)                                                           \
  FASTDL_VEC_MATH_UNARY_LOOP(ISA, V, gelu)                                                           \
  FASTDL_VEC_MATH_UNARY_LOOP(ISA, V, gelu_grad)                                                      \
  FASTDL_VEC_MATH_UNARY_LOOP(ISA, V, atan)                                                           \
  FASTDL_VEC_MATH_UNARY_LOOP(ISA, V, asin)                                                           \
  FASTDL_VEC_MATH_TRIG_LOOP(ISA, V, sin)                                                             \
  FASTDL_VEC_MATH_TRIG_LOOP(ISA, V, cos)                                                             \
  FASTDL_VEC_MATH_TRIG_LOOP(ISA, V, tan)                                                             \
  void elu_f32_##ISA(const float* x, float* out, int64_t n, float alpha) {                           \
    const V::R a = V::set1(alpha);                                                                   \
    simd::map_lanes<V>(x, out, n, [a](V::R v) { return simd::elu<V>(v, a); });                       \
  }                                                                                                  \
  void softplus_f32_##ISA(const float* x, float* out, int64_t n, float beta, float threshold) {      \
    const V::R b = V::set1(beta), t = V::set1(threshold);                                            \
    simd::map_lanes<V>(x, out, n, [b, t](V::R v) { return simd::softplus<V>(v, b, t); });            \
  }
