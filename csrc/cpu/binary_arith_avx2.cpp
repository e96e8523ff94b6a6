// AVX2 arithmetic loops (contract: binary_arith.h). Compiled with -mavx2 -mfma; like
// gemm_avx2.cpp it includes no header with inline code that portable files also use, so
// no AVX2 copy of a portable function can reach a caller on a CPU without AVX2.
#include <immintrin.h>

#include <cstdint>

#include "avx2_vec.h"
#include "binary_arith.h"

namespace fastdl {
namespace vec {
namespace {

template <typename T> using V = avx2::Vec<T>;

template <typename T, Arith OP>
struct Op {
  static typename V<T>::R vec(typename V<T>::R a, typename V<T>::R b) {
    if constexpr (OP == Arith::Add) return V<T>::add(a, b);
    else if constexpr (OP == Arith::Sub) return V<T>::sub(a, b);
    else if constexpr (OP == Arith::Mul) return V<T>::mul(a, b);
    else return V<T>::div(a, b);
  }
  static T scalar(T a, T b) {
    if constexpr (OP == Arith::Add) return a + b;
    else if constexpr (OP == Arith::Sub) return a - b;
    else if constexpr (OP == Arith::Mul) return a * b;
    else return a / b;
  }
};

// XS / YS: whether x / y advance (1) or stay (0, a scalar). Two vectors per step keep
// both load ports and the two FP pipes busy.
template <typename T, Arith OP, int XS, int YS>
void loop(const T* x, const T* y, T* out, int64_t n) {
  using W = V<T>;
  using O = Op<T, OP>;
  constexpr int L = W::L;
  const typename W::R xs = W::set1(x[0]), ys = W::set1(y[0]);
  auto xv = [&](int64_t i) { return XS ? W::load(x + i) : xs; };
  auto yv = [&](int64_t i) { return YS ? W::load(y + i) : ys; };
  int64_t i = 0;
  for (; i + 2 * L <= n; i += 2 * L) {
    const typename W::R r0 = O::vec(xv(i), yv(i)), r1 = O::vec(xv(i + L), yv(i + L));
    W::store(out + i, r0);
    W::store(out + i + L, r1);
  }
  for (; i + L <= n; i += L) W::store(out + i, O::vec(xv(i), yv(i)));
  for (; i < n; ++i) out[i] = O::scalar(x[XS * i], y[YS * i]);
}

template <typename T, Arith OP>
void by_steps(const T* x, int64_t xs, const T* y, int64_t ys, T* out, int64_t n) {
  if (xs && ys) return loop<T, OP, 1, 1>(x, y, out, n);
  if (xs) return loop<T, OP, 1, 0>(x, y, out, n);
  loop<T, OP, 0, 1>(x, y, out, n);
}

template <typename T>
void arith(Arith op, const T* x, int64_t xs, const T* y, int64_t ys, T* out, int64_t n) {
  if (n <= 0) return;
  switch (op) {
    case Arith::Add: return by_steps<T, Arith::Add>(x, xs, y, ys, out, n);
    case Arith::Sub: return by_steps<T, Arith::Sub>(x, xs, y, ys, out, n);
    case Arith::Mul: return by_steps<T, Arith::Mul>(x, xs, y, ys, out, n);
    case Arith::Div: return by_steps<T, Arith::Div>(x, xs, y, ys, out, n);
  }
}

// fmod / torch.remainder of one pair the way ew::Fmod / ew::Remainder compute it.
float fmod_scalar(float a, float b, bool python_sign) {
  float r = __builtin_fmodf(a, b);
  if (python_sign && r != 0.0f && ((r < 0.0f) != (b < 0.0f))) r += b;
  return r;
}

// fmod of 4 float pairs in double (binary_arith.h); *bad gets the lanes it cannot do exactly.
__m128 fmod4(__m128 xf, __m128 yf, int* bad) {
  const __m256d a = _mm256_cvtps_pd(xf), b = _mm256_cvtps_pd(yf);
  const __m256d sign = _mm256_set1_pd(-0.0);
  const __m256d q = _mm256_div_pd(a, b);
  const __m256d t = _mm256_round_pd(q, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  __m256d r = _mm256_fnmadd_pd(t, b, a);                                  // a - t b, exact
  r = _mm256_or_pd(_mm256_andnot_pd(sign, r), _mm256_and_pd(sign, a));  // a zero result keeps a's sign
  const __m256d ok = _mm256_and_pd(_mm256_cmp_pd(_mm256_andnot_pd(sign, q), _mm256_set1_pd(536870912.0), _CMP_LT_OQ),
                                   _mm256_cmp_pd(_mm256_andnot_pd(sign, b), _mm256_set1_pd(__builtin_inf()), _CMP_LT_OQ));
  *bad = ~_mm256_movemask_pd(ok) & 0xF;
  return _mm256_cvtpd_ps(r);  // exact: an fmod of floats is a float
}

template <int XS, int YS>
void fmod_loop(const float* x, const float* y, float* out, int64_t n, bool python_sign) {
  const __m256 zero = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 xv = XS ? _mm256_loadu_ps(x + i) : _mm256_set1_ps(x[0]);
    const __m256 yv = YS ? _mm256_loadu_ps(y + i) : _mm256_set1_ps(y[0]);
    int bad_lo, bad_hi;
    const __m128 lo = fmod4(_mm256_castps256_ps128(xv), _mm256_castps256_ps128(yv), &bad_lo);
    const __m128 hi = fmod4(_mm256_extractf128_ps(xv, 1), _mm256_extractf128_ps(yv, 1), &bad_hi);
    __m256 r = _mm256_set_m128(hi, lo);
    if (python_sign) {  // + y where a non-zero result's sign differs from y's (in float, as the functor)
      const __m256 flip = _mm256_and_ps(_mm256_cmp_ps(r, zero, _CMP_NEQ_OQ),
                                        _mm256_xor_ps(_mm256_cmp_ps(r, zero, _CMP_LT_OQ), _mm256_cmp_ps(yv, zero, _CMP_LT_OQ)));
      r = _mm256_blendv_ps(r, _mm256_add_ps(r, yv), flip);
    }
    _mm256_storeu_ps(out + i, r);
    for (int bad = bad_lo | bad_hi << 4; bad; bad &= bad - 1) {
      const int k = __builtin_ctz(bad);
      out[i + k] = fmod_scalar(x[XS * (i + k)], y[YS * (i + k)], python_sign);
    }
  }
  for (; i < n; ++i) out[i] = fmod_scalar(x[XS * i], y[YS * i], python_sign);
}

}  // namespace

void fmod_f32_avx2(const float* x, int64_t x_step, const float* y, int64_t y_step, float* out, int64_t n,
                   bool python_sign) {
  if (x_step && y_step) return fmod_loop<1, 1>(x, y, out, n, python_sign);
  if (x_step) return fmod_loop<1, 0>(x, y, out, n, python_sign);
  fmod_loop<0, 1>(x, y, out, n, python_sign);
}

void arith_f32_avx2(Arith op, const float* x, int64_t x_step, const float* y, int64_t y_step, float* out,
                    int64_t n) {
  arith<float>(op, x, x_step, y, y_step, out, n);
}

void arith_f64_avx2(Arith op, const double* x, int64_t x_step, const double* y, int64_t y_step, double* out,
                    int64_t n) {
  arith<double>(op, x, x_step, y, y_step, out, n);
}

}  // namespace vec
}  // namespace fastdl
