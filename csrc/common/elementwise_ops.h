// Scalar functors of the elementwise ops, shared by the CPU loops (csrc/cpu) and the
// CUDA kernels (cuda/): one definition of what each op computes.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include "hd.h"
#include "special_math.h"

namespace fastdl {
namespace ew {

template <typename T> FASTDL_HD T tmax(T a, T b) { return a > b ? a : b; }
template <typename T> FASTDL_HD T tmin(T a, T b) { return a < b ? a : b; }

// Unary (p0, p1 are op parameters: clamp bounds, leaky slope, scalar exponent).
struct Neg { template <typename T> FASTDL_HD T operator()(T x, double, double) const { return -x; } };
// Floats by fabs (torch's and NumPy's abs(-0.0) is +0.0; the select kept -0.0, and on a
// strided loop compiled to a branch on the sign), integers by the select.
struct Abs {
  template <typename T> FASTDL_HD T operator()(T x, double, double) const {
    if constexpr (std::is_floating_point_v<T>) return std::fabs(x);
    else return x < T(0) ? -x : x;
  }
};
struct Exp { template <typename T> FASTDL_HD T operator()(T x, double, double) const { return std::exp(x); } };
struct Log { template <typename T> FASTDL_HD T operator()(T x, double, double) const { return std::log(x); } };
struct Log1p { template <typename T> FASTDL_HD T operator()(T x, double, double) const { return std::log1p(x); } };
struct Expm1 { template <typename T> FASTDL_HD T operator()(T x, double, double) const { return std::expm1(x); } };
struct Sqrt { template <typename T> FASTDL_HD T operator()(T x, double, double) const { return std::sqrt(x); } };
struct Rsqrt { template <typename T> FASTDL_HD T operator()(T x, double, double) const { return T(1) / std::sqrt(x); } };
struct Tanh { template <typename T> FASTDL_HD T operator()(T x, double, double) const { return std::tanh(x); } };
struct Sin { template <typename T> FASTDL_HD T operator()(T x, double, double) const { return std::sin(x); } };
struct Cos { template <typename T> FASTDL_HD T operator()(T x, double, double) const { return std::cos(x); } };
struct Floor { template <typename T> FASTDL_HD T operator()(T x, double, double) const { return std::floor(x); } };
struct Ceil { template <typename T> FASTDL_HD T operator()(T x, double, double) const { return std::ceil(x); } };
struct Round { template <typename T> FASTDL_HD T operator()(T x, double, double) const { return std::nearbyint(x); } };
struct Reciprocal { template <typename T> FASTDL_HD T operator()(T x, double, double) const { return T(1) / x; } };
struct Sign { template <typename T> FASTDL_HD T operator()(T x, double, double) const { return T((T(0) < x) - (x < T(0))); } };
struct Sigmoid {
  // Stable for large |x|: never evaluates exp of a large positive number.
  template <typename T> FASTDL_HD T operator()(T x, double, double) const {
    if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
    T e = std::exp(x);
    return e / (T(1) + e);
  }
};
// relu and its gradient as PyTorch's (clamp_min / threshold_backward): NaN passes through.
struct Relu { template <typename T> FASTDL_HD T operator()(T x, double, double) const { return x < T(0) ? T(0) : x; } };
struct LeakyRelu { template <typename T> FASTDL_HD T operator()(T x, double slope, double) const { return x > T(0) ? x : T(x * T(slope)); } };
// Its derivative (1 or the slope), used by the backward pass only: g * this is torch's
// leaky_relu_backward in two kernels instead of a compare, a multiply and a select.
struct LeakyReluGrad { template <typename T> FASTDL_HD T operator()(T x, double slope, double) const { return x > T(0) ? T(1) : T(slope); } };
// Activations of nn.functional. Gelu: p0 = 0 exact (erf), 1 tanh approximation;
// GeluGrad is its derivative, used by the backward pass only.
struct Gelu {
  template <typename T> FASTDL_HD T operator()(T x, double approx, double) const {
    if (approx != 0.0) {
      const T u = T(0.7978845608028654) * (x + T(0.044715) * x * x * x);
      return T(0.5) * x * (T(1) + std::tanh(u));
    }
    return T(0.5) * x * (T(1) + std::erf(x * T(0.7071067811865476)));
  }
};
struct GeluGrad {
  template <typename T> FASTDL_HD T operator()(T x, double approx, double) const {
    if (approx != 0.0) {
      const T k = T(0.7978845608028654), c = T(0.044715);
      const T t = std::tanh(k * (x + c * x * x * x));
      return T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * k * (T(1) + T(3) * c * x * x);
    }
    return T(0.5) * (T(1) + std::erf(x * T(0.7071067811865476))) +
           x * std::exp(T(-0.5) * x * x) * T(0.3989422804014327);
  }
};
struct Silu {  // x * sigmoid(x), without exp of a large positive number
  template <typename T> FASTDL_HD T operator()(T x, double, double) const {
    if (x >= T(0)) return x / (T(1) + std::exp(-x));
    const T e = std::exp(x);
    return x * e / (T(1) + e);
  }
};
struct Elu {  // p0 = alpha
  template <typename T> FASTDL_HD T operator()(T x, double alpha, double) const {
    return x > T(0) ? x : T(T(alpha) * std::expm1(x));
  }
};
struct Softplus {  // p0 = beta, p1 = threshold: linear once beta * x exceeds it (PyTorch)
  template <typename T> FASTDL_HD T operator()(T x, double beta, double threshold) const {
    const T bx = x * T(beta);
    return bx > T(threshold) ? x : T(std::log1p(std::exp(bx)) / T(beta));
  }
};
// smooth_l1_loss's term of d = input - target, rounded as its definition in ops composes
// it (each constant rounded to T first): |d| < beta ? (d * d) * (0.5 / beta) : |d| - 0.5 * beta.
struct SmoothL1 {
  template <typename T> FASTDL_HD T operator()(T d, double beta, double) const {
    const T ad = Abs{}(d, 0.0, 0.0);
    return ad < T(beta) ? T(T(d * d) * T(0.5 / beta)) : T(ad - T(0.5 * beta));
  }
};
// Its derivative: d / beta inside, sign(d) outside, NaN at NaN. g times it is the composed
// gradient's 2 ((g c) d) bit for bit when beta is a power of two (then c and 1 / beta are).
struct SmoothL1Grad {
  template <typename T> FASTDL_HD T operator()(T d, double beta, double) const {
    if (!(d == d)) return d;
    return Abs{}(d, 0.0, 0.0) < T(beta) ? T(d * T(1.0 / beta)) : Sign{}(d, 0.0, 0.0);
  }
};

// F.hardsigmoid, relu6(x + 3) / 6, and F.hardswish, x relu6(x + 3) / 6, as torch rounds them
// (x + 3 and x (x + 3) rounded to T before the division); hardswish gives x * 0 below -3
// (-0 for negative x, NaN at -inf, as torch's product), NaN passes both.
struct Hardsigmoid {
  template <typename T> FASTDL_HD T operator()(T x, double, double) const {
    return x <= T(-3) ? T(0) : (x >= T(3) ? T(1) : T(T(x + T(3)) / T(6)));
  }
};
struct Hardswish {
  template <typename T> FASTDL_HD T operator()(T x, double, double) const {
    return x <= T(-3) ? T(x * T(0)) : (x < T(3) ? T(T(x * T(x + T(3))) / T(6)) : x);
  }
};
// Their derivatives as torch picks them at the kinks: hardsigmoid 1/6 strictly inside
// (-3, 3), else 0 (NaN included); hardswish 0 at and below -3, x / 3 + 1/2 inside, 1 at and
// above 3 and at NaN (the identity branch's slope).
struct HardsigmoidGrad {
  template <typename T> FASTDL_HD T operator()(T x, double, double) const {
    return (x > T(-3)) & (x < T(3)) ? T(1.0 / 6.0) : T(0);
  }
};
struct HardswishGrad {
  template <typename T> FASTDL_HD T operator()(T x, double, double) const {
    return x <= T(-3) ? T(0) : (x < T(3) ? T(T(x / T(3)) + T(0.5)) : T(1));
  }
};

// torch.nan_to_num: p0 replaces NaN, p1 +inf and -p1 -inf (ops/elementwise_extra.py
// follows with a select when the caller's -inf replacement is not -posinf).
struct NanToNum {
  template <typename T> FASTDL_HD T operator()(T x, double nan, double posinf) const {
    const T big = std::numeric_limits<T>::max();
    return x != x ? T(nan) : (x > big ? T(posinf) : (x < -big ? T(-posinf) : x));
  }
};

// NaN bounds mean "no bound"; a NaN input stays NaN. Also hardtanh's forward (its own
// table row: the gradient differs at the bounds, 0 there, as torch's).
struct Clamp {
  template <typename T> FASTDL_HD T operator()(T x, double lo, double hi) const {
    // (a NaN x fails both comparisons and comes back unchanged; the bounds' tests are
    // the same for every element, so the vectorised loop is a pair of selects)
    if (lo == lo && x < T(lo)) x = T(lo);
    if (hi == hi && x > T(hi)) x = T(hi);
    return x;
  }
};
// x ** 2 in float32 is x * x: double(x)^2 is exact in double, so pow's double result is
// that exact value and its rounding to float is the float product's (the same bits, a
// tenth of the time: x ** 2 was ~10x exp's cost). Other small integer powers of a float
// square and multiply in double (torch multiplies too, in float): a few double roundings
// (2^-53 each) are far below float's last bit, so the result is pow's float (it can differ
// only where x^e lies within ~2^-50 of a float rounding midpoint), at a fraction of pow's
// cost. x ** 0.5 and x ** -0.5 are torch's sqrt and 1 / sqrt (so -0 -> -0 / -inf and
// -inf -> nan, where pow gives +0 / +inf and +inf / 0).
struct PowScalar {
  template <typename T> FASTDL_HD T operator()(T x, double e, double) const {
    if (e == 0.5) return T(std::sqrt(double(x)));
    if (e == -0.5) return T(1.0 / std::sqrt(double(x)));
    if constexpr (std::is_same_v<T, float>) {
      if (e == 2.0) return x * x;
      if (e >= -16.0 && e <= 16.0 && e == double(int(e))) {
        int n = e < 0 ? -int(e) : int(e);
        double base = x, r = 1.0;
        for (; n; n >>= 1, base *= base)
          if (n & 1) r *= base;
        return T(e < 0 ? 1.0 / r : r);
      }
    }
    return T(std::pow(double(x), e));
  }
};
// Special functions (torch.special): erf / erfc / lgamma from std::, the others from
// special_math.h in double, rounded once to T. Polygamma: p0 = n (an integer >= 0, checked
// in Python); Ndtri is the normal quantile sqrt(2) erfinv(2p - 1), via erfcinv(2p) so
// that small p keep their precision.
struct Erf { template <typename T> FASTDL_HD T operator()(T x, double, double) const { return std::erf(x); } };
struct Erfc { template <typename T> FASTDL_HD T operator()(T x, double, double) const { return std::erfc(x); } };
struct Lgamma { template <typename T> FASTDL_HD T operator()(T x, double, double) const { return std::lgamma(x); } };
struct Erfinv { template <typename T> FASTDL_HD T operator()(T x, double, double) const { return T(sm::erfinv(double(x))); } };
struct Digamma { template <typename T> FASTDL_HD T operator()(T x, double, double) const { return T(sm::digamma(double(x))); } };
struct Polygamma {
  template <typename T> FASTDL_HD T operator()(T x, double n, double) const { return T(sm::polygamma(int(n), double(x))); }
};
struct I0 { template <typename T> FASTDL_HD T operator()(T x, double, double) const { return T(sm::i0(double(x))); } };
struct I1 { template <typename T> FASTDL_HD T operator()(T x, double, double) const { return T(sm::i1(double(x))); } };
struct Sinc {  // sin(pi x) / (pi x), 1 at 0
  template <typename T> FASTDL_HD T operator()(T x, double, double) const {
    if (x == T(0)) return T(1);
    const double px = sm::kPi * double(x);
    return T(std::sin(px) / px);
  }
};
struct Ndtri {
  template <typename T> FASTDL_HD T operator()(T p, double, double) const {
    return T(-1.4142135623730950488 * sm::erfcinv(2.0 * double(p)));
  }
};
// Trigonometric inverses and tan, exp2 (torch.tan / asin / acos / atan / exp2).
struct Tan { template <typename T> FASTDL_HD T operator()(T x, double, double) const { return std::tan(x); } };
struct Asin { template <typename T> FASTDL_HD T operator()(T x, double, double) const { return std::asin(x); } };
struct Acos { template <typename T> FASTDL_HD T operator()(T x, double, double) const { return std::acos(x); } };
struct Atan { template <typename T> FASTDL_HD T operator()(T x, double, double) const { return std::atan(x); } };
struct Exp2 { template <typename T> FASTDL_HD T operator()(T x, double, double) const { return std::exp2(x); } };
// torch.frexp in two passes: the exponent e (as T, 0 for 0 / inf / NaN) and the mantissa
// x / 2^e in [0.5, 1) (x itself for 0 / inf / NaN), from the one std::frexp.
FASTDL_HD float frexp_(float x, int* e) { return ::frexpf(x, e); }
FASTDL_HD double frexp_(double x, int* e) { return ::frexp(x, e); }
struct FrexpExp {
  template <typename T> FASTDL_HD T operator()(T x, double, double) const {
    int e = 0;
    (void)frexp_(x, &e);
    return T(e);
  }
};
struct FrexpMant {
  template <typename T> FASTDL_HD T operator()(T x, double, double) const {
    int e = 0;
    return frexp_(x, &e);
  }
};
struct LogicalNot { template <typename T> FASTDL_HD T operator()(T x, double, double) const { return !x; } };

// Binary: same input type T; comparison ops produce bool.
struct Add { template <typename T> FASTDL_HD T operator()(T a, T b) const { return a + b; } };
struct Sub { template <typename T> FASTDL_HD T operator()(T a, T b) const { return a - b; } };
struct Mul { template <typename T> FASTDL_HD T operator()(T a, T b) const { return a * b; } };
struct Div { template <typename T> FASTDL_HD T operator()(T a, T b) const { return a / b; } };
struct FloorDiv {
  template <typename T> FASTDL_HD T operator()(T a, T b) const {
    if constexpr (std::is_integral<T>::value) {
      if (b == 0) return 0;  // caller validates; never trap
      T q = a / b;
      if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
      return q;
    } else {
      return std::floor(a / b);
    }
  }
};
struct Fmod {  // C fmod: the sign of the dividend (torch.fmod); integers truncate
  template <typename T> FASTDL_HD T operator()(T a, T b) const {
    if constexpr (std::is_integral<T>::value) {
      if (b == 0 || b == T(-1)) return 0;  // the caller refuses 0; -1 would trap on the most negative a
      return a % b;
    } else {
      return std::fmod(a, b);
    }
  }
};
struct Remainder {  // Python/PyTorch semantics: result has the sign of the divisor
  template <typename T> FASTDL_HD T operator()(T a, T b) const {
    if constexpr (std::is_integral<T>::value) {
      if (b == 0) return 0;
      T r = a % b;
      if (r != 0 && ((r < 0) != (b < 0))) r += b;
      return r;
    } else {
      T r = std::fmod(a, b);
      if (r != T(0) && ((r < T(0)) != (b < T(0)))) r += b;
      return r;
    }
  }
};
struct Pow {
  template <typename T> FASTDL_HD T operator()(T a, T b) const {
    if constexpr (std::is_integral<T>::value) {
      if (b < 0) return a == 1 ? 1 : (a == -1 ? ((b & 1) ? -1 : 1) : 0);
      T r = 1, base = a;
      for (T e = b; e > 0; e >>= 1) { if (e & 1) r *= base; base *= base; }
      return r;
    } else {
      return std::pow(a, b);
    }
  }
};
struct Maximum {  // NaN-propagating, as torch.maximum
  template <typename T> FASTDL_HD T operator()(T a, T b) const { return (a != a) ? a : ((b != b) ? b : (a > b ? a : b)); }
};
struct Minimum {
  template <typename T> FASTDL_HD T operator()(T a, T b) const { return (a != a) ? a : ((b != b) ? b : (a < b ? a : b)); }
};
// Activation gradients from the saved output y, one pass instead of a chain of ops
// (PyTorch's threshold_backward / tanh_backward / sigmoid_backward): a = grad, b = y.
struct ReluBackward { template <typename T> FASTDL_HD T operator()(T g, T y) const { return y <= T(0) ? T(0) : g; } };
// mse_loss's elementwise term: (a - b)^2 with the difference rounded to T first, as the
// two separate ops round it.
struct SquaredDifference {
  template <typename T> FASTDL_HD T operator()(T a, T b) const {
    const T d = a - b;
    return d * d;
  }
};
struct TanhBackward { template <typename T> FASTDL_HD T operator()(T g, T y) const { return g * (T(1) - y * y); } };
struct SigmoidBackward { template <typename T> FASTDL_HD T operator()(T g, T y) const { return g * y * (T(1) - y); } };
struct Atan2 { template <typename T> FASTDL_HD T operator()(T a, T b) const { return std::atan2(a, b); } };
// torch.lerp with a number weight, torch's two-sided formula: a + w (b - a) where |w| < 0.5,
// else b - (b - a)(1 - w), so w = 0 gives a and w = 1 gives b exactly. `scale` is w or
// 1 - w in T, picked once per call (ops/elementwise.py). The product is rounded on its own
// on every device (nvcc would fuse it into an FMA): the CPU, CUDA and the composed autograd
// path give the same bits.
template <typename T> FASTDL_HD T round_product(T a, T b) {
#ifdef __CUDA_ARCH__
  if constexpr (std::is_same_v<T, float>) return __fmul_rn(a, b);
  else return __dmul_rn(a, b);
#else
  return a * b;
#endif
}
template <typename T> FASTDL_HD T lerp_scalar(T a, T b, T scale, bool small) {
  const T p = round_product(T(b - a), scale);
  return small ? a + p : b - p;
}

// sqrt(a^2 + b^2) without overflow; an infinite operand gives inf even beside a NaN (C's
// hypot). float32 squares and sums in double, where nothing overflows and the two double
// roundings are far below float's last bit (and the loop vectorises); float64 is std::hypot.
FASTDL_HD float hypot_(float a, float b) {
  const float inf = std::numeric_limits<float>::infinity();
  const float r = float(std::sqrt(double(a) * double(a) + double(b) * double(b)));
  return (a == inf) | (a == -inf) | (b == inf) | (b == -inf) ? inf : r;
}
FASTDL_HD double hypot_(double a, double b) { return std::hypot(a, b); }
struct Hypot { template <typename T> FASTDL_HD T operator()(T a, T b) const { return hypot_(a, b); } };
// copysign / nextafter through the C names, declared for host and device alike.
FASTDL_HD float copysign_(float a, float b) { return ::copysignf(a, b); }
FASTDL_HD double copysign_(double a, double b) { return ::copysign(a, b); }
FASTDL_HD float nextafter_(float a, float b) { return ::nextafterf(a, b); }
FASTDL_HD double nextafter_(double a, double b) { return ::nextafter(a, b); }
struct Copysign { template <typename T> FASTDL_HD T operator()(T a, T b) const { return copysign_(a, b); } };
struct Nextafter { template <typename T> FASTDL_HD T operator()(T a, T b) const { return nextafter_(a, b); } };
// NaN-ignoring max / min (torch.fmax / fmin): a NaN operand yields the other one.
struct Fmax {
  template <typename T> FASTDL_HD T operator()(T a, T b) const { return (a != a) ? b : ((b != b) ? a : (a > b ? a : b)); }
};
struct Fmin {
  template <typename T> FASTDL_HD T operator()(T a, T b) const { return (a != a) ? b : ((b != b) ? a : (a < b ? a : b)); }
};
// Integer-only ops (dtype class INT). Shifts as torch: a shift by a negative count or
// by >= 64 bits gives 0 (left) or the sign fill (right) instead of C++'s undefined result.
struct BitAnd { template <typename T> FASTDL_HD T operator()(T a, T b) const { return a & b; } };
struct BitOr { template <typename T> FASTDL_HD T operator()(T a, T b) const { return a | b; } };
struct BitXor { template <typename T> FASTDL_HD T operator()(T a, T b) const { return a ^ b; } };
struct ShiftLeft {
  template <typename T> FASTDL_HD T operator()(T a, T b) const {
    using U = typename std::make_unsigned<T>::type;
    return (b < 0 || b >= T(sizeof(T) * 8)) ? T(0) : T(U(a) << b);
  }
};
struct ShiftRight {
  template <typename T> FASTDL_HD T operator()(T a, T b) const {
    return (b < 0 || b >= T(sizeof(T) * 8)) ? (a < 0 ? T(-1) : T(0)) : T(a >> b);
  }
};
struct Gcd {  // non-negative, gcd(0, 0) = 0 (torch.gcd)
  template <typename T> FASTDL_HD T operator()(T a, T b) const {
    a = a < 0 ? -a : a;
    b = b < 0 ? -b : b;
    while (b != 0) { const T r = a % b; a = b; b = r; }
    return a;
  }
};
struct Lcm {  // |a / gcd * b|, 0 when either is 0 (torch.lcm)
  template <typename T> FASTDL_HD T operator()(T a, T b) const {
    const T g = Gcd{}(a, b);
    if (g == 0) return 0;
    const T l = a / g * b;
    return l < 0 ? -l : l;
  }
};
struct Eq { template <typename T> FASTDL_HD bool operator()(T a, T b) const { return a == b; } };
struct Ne { template <typename T> FASTDL_HD bool operator()(T a, T b) const { return a != b; } };
struct Lt { template <typename T> FASTDL_HD bool operator()(T a, T b) const { return a < b; } };
struct Le { template <typename T> FASTDL_HD bool operator()(T a, T b) const { return a <= b; } };
struct Gt { template <typename T> FASTDL_HD bool operator()(T a, T b) const { return a > b; } };
struct Ge { template <typename T> FASTDL_HD bool operator()(T a, T b) const { return a >= b; } };
struct LogicalAnd { template <typename T> FASTDL_HD bool operator()(T a, T b) const { return bool(a) && bool(b); } };
struct LogicalOr { template <typename T> FASTDL_HD bool operator()(T a, T b) const { return bool(a) || bool(b); } };
struct LogicalXor { template <typename T> FASTDL_HD bool operator()(T a, T b) const { return bool(a) != bool(b); } };

}  // namespace ew
}  // namespace fastdl

// The op tables, one definition for every backend: X(python_name, functor, dtype_class)
// with dtype_class FLOAT (float32/float64), NUMERIC (also int64) or INT (int64 only). csrc/cpu and cuda/
// expand these into their name -> kernel maps, so an op added here exists on both.
#define FASTDL_UNARY_OPS(X)                                                                      \
  X("neg", Neg, NUMERIC) X("abs", Abs, NUMERIC) X("sign", Sign, NUMERIC) X("relu", Relu, NUMERIC) \
  X("clamp", Clamp, NUMERIC) X("hardtanh", Clamp, NUMERIC) X("exp", Exp, FLOAT)                  \
  X("log", Log, FLOAT) X("log1p", Log1p, FLOAT)                                                  \
  X("expm1", Expm1, FLOAT) X("sqrt", Sqrt, FLOAT) X("rsqrt", Rsqrt, FLOAT) X("tanh", Tanh, FLOAT) \
  X("sigmoid", Sigmoid, FLOAT) X("sin", Sin, FLOAT) X("cos", Cos, FLOAT) X("floor", Floor, FLOAT) \
  X("ceil", Ceil, FLOAT) X("round", Round, FLOAT) X("reciprocal", Reciprocal, FLOAT)              \
  X("leaky_relu", LeakyRelu, FLOAT) X("pow_scalar", PowScalar, FLOAT) X("gelu", Gelu, FLOAT)      \
  X("leaky_relu_grad", LeakyReluGrad, FLOAT)                                                     \
  X("gelu_grad", GeluGrad, FLOAT) X("silu", Silu, FLOAT) X("elu", Elu, FLOAT)                     \
  X("softplus", Softplus, FLOAT) X("erf", Erf, FLOAT) X("erfc", Erfc, FLOAT) X("erfinv", Erfinv, FLOAT) \
  X("lgamma", Lgamma, FLOAT) X("digamma", Digamma, FLOAT) X("polygamma", Polygamma, FLOAT)          \
  X("i0", I0, FLOAT) X("i1", I1, FLOAT) X("sinc", Sinc, FLOAT) X("ndtri", Ndtri, FLOAT)              \
  X("tan", Tan, FLOAT) X("asin", Asin, FLOAT) X("acos", Acos, FLOAT) X("atan", Atan, FLOAT)          \
  X("exp2", Exp2, FLOAT) X("frexp_exponent", FrexpExp, FLOAT) X("frexp_mantissa", FrexpMant, FLOAT)   \
  X("smooth_l1", SmoothL1, FLOAT) X("smooth_l1_grad", SmoothL1Grad, FLOAT)                       \
  X("hardsigmoid", Hardsigmoid, FLOAT) X("hardsigmoid_grad", HardsigmoidGrad, FLOAT)               \
  X("hardswish", Hardswish, FLOAT) X("hardswish_grad", HardswishGrad, FLOAT)                       \
  X("nan_to_num", NanToNum, FLOAT)

// Binary ops whose output has the inputs' dtype.
#define FASTDL_BINARY_ARITH_OPS(X)                                                               \
  X("add", Add, NUMERIC) X("sub", Sub, NUMERIC) X("mul", Mul, NUMERIC) X("div", Div, FLOAT)       \
  X("floor_divide", FloorDiv, NUMERIC) X("remainder", Remainder, NUMERIC) X("pow", Pow, NUMERIC)  \
  X("fmod", Fmod, NUMERIC)                                                                       \
  X("maximum", Maximum, NUMERIC) X("minimum", Minimum, NUMERIC) X("atan2", Atan2, FLOAT)       \
  X("hypot", Hypot, FLOAT) X("squared_difference", SquaredDifference, FLOAT)                   \
  X("relu_backward", ReluBackward, NUMERIC) X("tanh_backward", TanhBackward, FLOAT)               \
  X("sigmoid_backward", SigmoidBackward, FLOAT)                                                  \
  X("copysign", Copysign, FLOAT) X("nextafter", Nextafter, FLOAT) X("fmax", Fmax, NUMERIC)         \
  X("fmin", Fmin, NUMERIC) X("bitwise_and", BitAnd, INT) X("bitwise_or", BitOr, INT)              \
  X("bitwise_xor", BitXor, INT) X("bitwise_left_shift", ShiftLeft, INT)                           \
  X("bitwise_right_shift", ShiftRight, INT) X("gcd", Gcd, INT) X("lcm", Lcm, INT)

// Binary ops producing bool (any input dtype).
#define FASTDL_BINARY_BOOL_OPS(X)                                                              \
  X("eq", Eq) X("ne", Ne) X("lt", Lt) X("le", Le) X("gt", Gt) X("ge", Ge)                       \
  X("logical_and", LogicalAnd) X("logical_or", LogicalOr) X("logical_xor", LogicalXor)
