// Array loops over the 8-lane functions of vec_math_avx2.h (compiled with -mavx2 -mfma).
// Like gemm_avx2.cpp this file includes no header with portable inline code, so no
// AVX2-compiled copy of a shared inline function can reach portable callers.
#include "vec_math.h"

#include "vec_math_avx2.h"

namespace fastdl {
namespace vec {

namespace {

template <typename F>
void map8(const float* x, float* out, int64_t n, F f) { simd::map_lanes<F8>(x, out, n, f); }


}  // namespace

FASTDL_VEC_MATH_GENERIC_LOOPS(avx2, F8)

namespace {
template <int YS, int XS>
void atan2_loop(const float* y, const float* x, float* out, int64_t n) {
  const __m256 pi = splat(3.14159265358979f), sign = splat(-0.0f), inf = splat(__builtin_inff());
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 yv = YS ? _mm256_loadu_ps(y + i) : splat(y[0]);
    const __m256 xv = XS ? _mm256_loadu_ps(x + i) : splat(x[0]);
    const __m256 r = simd::atan<F8>(_mm256_div_ps(yv, xv));
    // x < 0: + pi with y's sign (atan's range is (-pi/2, pi/2)); elsewhere r itself (a -0 kept)
    const __m256 shifted = _mm256_add_ps(r, _mm256_or_ps(pi, _mm256_and_ps(yv, sign)));
    _mm256_storeu_ps(out + i, _mm256_blendv_ps(r, shifted, _mm256_cmp_ps(xv, _mm256_setzero_ps(), _CMP_LT_OQ)));
    const __m256 usual = _mm256_and_ps(
        _mm256_and_ps(_mm256_cmp_ps(abs8(yv), inf, _CMP_LT_OQ), _mm256_cmp_ps(abs8(xv), inf, _CMP_LT_OQ)),
        _mm256_and_ps(_mm256_cmp_ps(yv, _mm256_setzero_ps(), _CMP_NEQ_OQ),
                      _mm256_cmp_ps(xv, _mm256_setzero_ps(), _CMP_NEQ_OQ)));
    for (int odd = ~_mm256_movemask_ps(usual) & 0xFF; odd; odd &= odd - 1) {
      const int k = __builtin_ctz(odd);
      out[i + k] = __builtin_atan2f(y[YS * (i + k)], x[XS * (i + k)]);
    }
  }
  for (; i < n; ++i) out[i] = __builtin_atan2f(y[YS * i], x[XS * i]);
}
}  // namespace

void atan2_f32_avx2(const float* y, int64_t y_step, const float* x, int64_t x_step, float* out, int64_t n) {
  if (y_step && x_step) return atan2_loop<1, 1>(y, x, out, n);
  if (y_step) return atan2_loop<1, 0>(y, x, out, n);
  atan2_loop<0, 1>(y, x, out, n);
}


namespace {
// x^m by squaring and multiplying in double, PowScalar's order of products; M > 0 a
// compile-time exponent (unrolled: no loop or branch per vector), or 0 for m at run time.
template <int M>
__m256d power_pd(__m256d base, int m) {
  __m256d r = _mm256_set1_pd(1.0);
  for (int k = M ? M : m; k; k >>= 1, base = _mm256_mul_pd(base, base))
    if (k & 1) r = _mm256_mul_pd(r, base);
  return r;
}

template <int M>
void pow_int_loop(const float* x, float* out, int64_t n, int e) {
  const int m = e < 0 ? -e : e;
  auto power4 = [m, e](__m256d base) {
    const __m256d r = power_pd<M>(base, m);
    return e < 0 ? _mm256_div_pd(_mm256_set1_pd(1.0), r) : r;
  };
  map8(x, out, n, [&power4](__m256 v) {
    const __m128 lo = _mm256_cvtpd_ps(power4(_mm256_cvtps_pd(_mm256_castps256_ps128(v))));
    const __m128 hi = _mm256_cvtpd_ps(power4(_mm256_cvtps_pd(_mm256_extractf128_ps(v, 1))));
    return _mm256_set_m128(hi, lo);
  });
}
}  // namespace

void pow_int_f32_avx2(const float* x, float* out, int64_t n, int e) {
  if (e == 3) return pow_int_loop<3>(x, out, n, e);
  if (e == 4) return pow_int_loop<4>(x, out, n, e);
  pow_int_loop<0>(x, out, n, e);
}


}  // namespace vec
}  // namespace fastdl
