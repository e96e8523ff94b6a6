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

}  // namespace

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
