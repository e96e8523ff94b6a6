#include "elementwise.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <type_traits>
#include <unordered_map>

#include <immintrin.h>

#include "../common/elementwise_ops.h"
#include "../core/cpu_features.h"
#include "binary_arith.h"
#include "half_convert_avx2.h"
#include "memory_runs.h"
#include "strided_loop.h"
#include "vec_math.h"

namespace fastdl {
namespace cpu {

namespace {

// The contiguous loop of a unary functor compiled a second time for AVX2, 8 floats a
// step where the portable build has 4 (and no SSE4.1 floor / ceil / round). The same
// bits: the file has no FMA contraction (CMakeLists.txt), the vector instructions are the
// scalar IEEE ones, and library calls (exp, erf, ...) stay the scalar ones. The functor
// is inlined here, so the AVX2 code exists only inside this function.
template <typename T, typename F>
__attribute__((target("avx2"))) void unary_contiguous_avx2(F f, const T* a, T* o, int64_t n, double p0, double p1) {
  for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], p0, p1);
}

template <typename T, typename F>
void unary_loop(F f, const TensorArg& x, const TensorArg& out, double p0, double p1) {
  strided_loop<2>({&out, &x}, [&](std::array<char*, 2> p, std::array<int64_t, 2> s, int64_t n) {
    T* o = reinterpret_cast<T*>(p[0]);
    const T* a = reinterpret_cast<const T*>(p[1]);
    if (s[0] == sizeof(T) && s[1] == sizeof(T)) {
      if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
        if (use_avx2()) return unary_contiguous_avx2(f, a, o, n, p0, p1);
      }
      for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], p0, p1);
    } else {
      const int64_t so = s[0] / sizeof(T), sa = s[1] / sizeof(T);
      for (int64_t i = 0; i < n; ++i) o[i * so] = f(a[i * sa], p0, p1);
    }
  });
}

// The AVX2 loop of functor F (binary_arith.h), or -1: the four IEEE ops, whose vector
// results are bit for bit the scalar ones.
template <typename F> constexpr int kArith = -1;
template <> constexpr int kArith<ew::Add> = static_cast<int>(vec::Arith::Add);
template <> constexpr int kArith<ew::Sub> = static_cast<int>(vec::Arith::Sub);
template <> constexpr int kArith<ew::Mul> = static_cast<int>(vec::Arith::Mul);
template <> constexpr int kArith<ew::Div> = static_cast<int>(vec::Arith::Div);

// Whether one run of the strided loop can take an AVX2 binary loop: AVX2 present, the
// output contiguous, each input contiguous or a broadcast scalar, not both scalars.
inline bool avx2_run(const std::array<int64_t, 3>& s, int64_t sz) {
  return use_avx2() && s[0] == sz && (s[1] == sz || s[1] == 0) && (s[2] == sz || s[2] == 0) && (s[1] || s[2]);
}

// Runs f's AVX2 loop on one run of the strided loop when it has one and the run is
// contiguous (or a broadcast scalar) in every operand; false otherwise.
template <typename T, typename R, typename F>
bool arith_avx2(const std::array<char*, 3>& p, const std::array<int64_t, 3>& s, int64_t n) {
  if constexpr ((std::is_same_v<F, ew::Fmod> || std::is_same_v<F, ew::Remainder>) && std::is_same_v<T, float> &&
                std::is_same_v<R, float>) {  // exact float32 fmod / remainder (binary_arith.h)
    constexpr int64_t sz = sizeof(float);
    if (!avx2_run(s, sz)) return false;
    vec::fmod_f32_avx2(reinterpret_cast<const float*>(p[1]), s[1] / sz, reinterpret_cast<const float*>(p[2]),
                       s[2] / sz, reinterpret_cast<float*>(p[0]), n, std::is_same_v<F, ew::Remainder>);
    return true;
  } else if constexpr (std::is_same_v<F, ew::Atan2> && std::is_same_v<T, float> && std::is_same_v<R, float>) {
    constexpr int64_t sz = sizeof(float);  // atan of y / x on 8 lanes, libm for zero / inf / NaN lanes
    if (!avx2_run(s, sz)) return false;
    vec::atan2_f32_avx2(reinterpret_cast<const float*>(p[1]), s[1] / sz, reinterpret_cast<const float*>(p[2]),
                        s[2] / sz, reinterpret_cast<float*>(p[0]), n);
    return true;
  } else if constexpr (kArith<F> >= 0 && std::is_same_v<T, R> && (std::is_same_v<T, float> || std::is_same_v<T, double>)) {
    constexpr int64_t sz = sizeof(T);
    if (!avx2_run(s, sz)) return false;
    const auto op = static_cast<vec::Arith>(kArith<F>);
    if constexpr (std::is_same_v<T, float>)
      vec::arith_f32_avx2(op, reinterpret_cast<const float*>(p[1]), s[1] / sz, reinterpret_cast<const float*>(p[2]),
                          s[2] / sz, reinterpret_cast<float*>(p[0]), n);
    else
      vec::arith_f64_avx2(op, reinterpret_cast<const double*>(p[1]), s[1] / sz,
                          reinterpret_cast<const double*>(p[2]), s[2] / sz, reinterpret_cast<double*>(p[0]), n);
    return true;
  } else {
    return false;
  }
}

// The contiguous loops of a binary functor (maximum, comparisons, atan2, ...) compiled a
// second time for AVX2, as unary_contiguous_avx2. x_scalar / y_scalar: that operand is one
// broadcast value (a gradient expanded from sum() is x here); a loop of its own each, so
// the compiler can vectorise the select of ops like relu_backward instead of branching.
template <typename T, typename R, typename F>
__attribute__((target("avx2"))) void binary_contiguous_avx2(F f, const T* x, bool x_scalar, const T* y,
                                                             bool y_scalar, R* o, int64_t n) {
  if (y_scalar) {
    const T yv = y[0];
    for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], yv);
  } else if (x_scalar) {
    const T xv = x[0];
    for (int64_t i = 0; i < n; ++i) o[i] = f(xv, y[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], y[i]);
  }
}

template <typename T, typename R, typename F>
void binary_loop(F f, const TensorArg& a, const TensorArg& b, const TensorArg& out) {
  strided_loop<3>({&out, &a, &b}, [&](std::array<char*, 3> p, std::array<int64_t, 3> s, int64_t n) {
    if (arith_avx2<T, R, F>(p, s, n)) return;
    R* o = reinterpret_cast<R*>(p[0]);
    const T* x = reinterpret_cast<const T*>(p[1]);
    const T* y = reinterpret_cast<const T*>(p[2]);
    // Output contiguous, each input contiguous or one broadcast value (not both: generic loop).
    const bool dense = s[0] == sizeof(R) && (s[1] == sizeof(T) || s[1] == 0) && (s[2] == sizeof(T) || s[2] == 0) &&
                       (s[1] || s[2]);
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      if (dense && use_avx2()) return binary_contiguous_avx2(f, x, s[1] == 0, y, s[2] == 0, o, n);
    }
    if (dense && s[2] == 0) {
      const T yv = y[0];  // tensor-scalar: the common broadcast case
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], yv);
    } else if (dense && s[1] == 0) {
      const T xv = x[0];  // scalar-tensor: a gradient expanded from a sum
      for (int64_t i = 0; i < n; ++i) o[i] = f(xv, y[i]);
    } else if (dense) {
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], y[i]);
    } else if (s[0] == sizeof(R) && s[1] == 0 && s[2] == 0) {
      const R v = f(x[0], y[0]);  // both one value (an expanded gradient times a number): a fill
      fill_run(o, n, v);
    } else {
      const int64_t so = s[0] / sizeof(R), sx = s[1] / sizeof(T), sy = s[2] / sizeof(T);
      for (int64_t i = 0; i < n; ++i) o[i * so] = f(x[i * sx], y[i * sy]);
    }
  });
}

// float32 transcendental ops with an AVX2 array kernel (vec_math.h; most also have an
// AVX-512 copy, taken where use_avx512()): ~10x faster than
// per-element libm calls, within a few ulp of them (gelu: of the exact value, where the
// portable formula cancels for negative x). Kernels without parameters serve their op at
// p0 = p1 = 0 only (gelu's p0 = 1, the tanh form, stays on the functor); elu and
// softplus take theirs, rounded to float as their functors round them; pow_scalar's
// serves small integer exponents with the functor's own double arithmetic (same bits).
// (Callers check use_avx2() per call: tests switch it off.)
using VecF32 = void (*)(const float*, float*, int64_t, double, double);
struct VecKernel {
  VecF32 fn = nullptr;                           // nullptr: use the scalar functor
  bool (*serves)(double, double) = nullptr;      // the parameters it computes; nullptr: (0, 0) only
  VecF32 fn512 = nullptr;                        // its AVX-512 copy, if any (use_avx512())
};

bool any_params(double, double) { return true; }
// x ** e: the integer exponents PowScalar squares and multiplies in double, except the
// ones PowConst already runs as vector loops (2 is x * x in float; -1 is one division).
bool int_power(double e, double) { return e >= -16 && e <= 16 && e == double(int(e)) && e != 0 && e != 1 && e != 2; }

template <void (*F)(const float*, float*, int64_t)>
void no_params(const float* x, float* o, int64_t n, double, double) { F(x, o, n); }
// The AVX2 kernel A and its AVX-512 copy B (vec_math_simd.h), without parameters.
template <void (*A)(const float*, float*, int64_t), void (*B)(const float*, float*, int64_t)>
VecKernel both_widths() { return {no_params<A>, nullptr, no_params<B>}; }
template <void (*F)(const float*, float*, int64_t, float)>
void elu_params(const float* x, float* o, int64_t n, double alpha, double) { F(x, o, n, float(alpha)); }
template <void (*F)(const float*, float*, int64_t, float, float)>
void softplus_params(const float* x, float* o, int64_t n, double beta, double threshold) {
  F(x, o, n, float(beta), float(threshold));
}
void pow_int_params(const float* x, float* o, int64_t n, double e, double) {
  vec::pow_int_f32_avx2(x, o, n, int(e));
}

VecKernel vec_f32_kernel(const std::string& op) {
  static const std::unordered_map<std::string, VecKernel> t = {
      {"exp", both_widths<vec::exp_f32_avx2, vec::exp_f32_avx512>()},
      {"log", both_widths<vec::log_f32_avx2, vec::log_f32_avx512>()},
      {"expm1", both_widths<vec::expm1_f32_avx2, vec::expm1_f32_avx512>()},
      {"log1p", both_widths<vec::log1p_f32_avx2, vec::log1p_f32_avx512>()},
      {"exp2", both_widths<vec::exp2_f32_avx2, vec::exp2_f32_avx512>()},
      {"erf", both_widths<vec::erf_f32_avx2, vec::erf_f32_avx512>()},
      {"erfc", both_widths<vec::erfc_f32_avx2, vec::erfc_f32_avx512>()},
      {"tanh", both_widths<vec::tanh_f32_avx2, vec::tanh_f32_avx512>()},
      {"sigmoid", both_widths<vec::sigmoid_f32_avx2, vec::sigmoid_f32_avx512>()},
      {"silu", both_widths<vec::silu_f32_avx2, vec::silu_f32_avx512>()},
      {"gelu", both_widths<vec::gelu_f32_avx2, vec::gelu_f32_avx512>()},
      {"gelu_grad", both_widths<vec::gelu_grad_f32_avx2, vec::gelu_grad_f32_avx512>()},
      {"atan", both_widths<vec::atan_f32_avx2, vec::atan_f32_avx512>()},
      {"asin", both_widths<vec::asin_f32_avx2, vec::asin_f32_avx512>()},
      {"tan", both_widths<vec::tan_f32_avx2, vec::tan_f32_avx512>()},
      {"sin", both_widths<vec::sin_f32_avx2, vec::sin_f32_avx512>()},
      {"cos", both_widths<vec::cos_f32_avx2, vec::cos_f32_avx512>()},
      {"elu", {elu_params<vec::elu_f32_avx2>, any_params, elu_params<vec::elu_f32_avx512>}},
      {"softplus", {softplus_params<vec::softplus_f32_avx2>, any_params, softplus_params<vec::softplus_f32_avx512>}},
      {"pow_scalar", {pow_int_params, int_power}}};
  auto it = t.find(op);
  return it == t.end() ? VecKernel{} : it->second;
}

// Applies an array kernel along any strides: contiguous runs directly, strided runs
// through a small gather / compute / scatter buffer.
void unary_vec_f32(VecF32 fn, const TensorArg& x, const TensorArg& out, double p0, double p1) {
  strided_loop<2>({&out, &x}, [&](std::array<char*, 2> p, std::array<int64_t, 2> s, int64_t n) {
    float* o = reinterpret_cast<float*>(p[0]);
    const float* a = reinterpret_cast<const float*>(p[1]);
    if (s[0] == sizeof(float) && s[1] == sizeof(float)) return fn(a, o, n, p0, p1);
    const int64_t so = s[0] / sizeof(float), sa = s[1] / sizeof(float);
    constexpr int64_t kChunk = 64;
    float buf[kChunk];
    for (int64_t i0 = 0; i0 < n; i0 += kChunk) {
      const int64_t m = std::min(kChunk, n - i0);
      for (int64_t k = 0; k < m; ++k) buf[k] = a[(i0 + k) * sa];
      fn(buf, buf, m, p0, p1);
      for (int64_t k = 0; k < m; ++k) o[(i0 + k) * so] = buf[k];
    }
  });
}

using UnaryFn = std::function<void(const TensorArg&, const TensorArg&, double, double)>;
using BinaryFn = std::function<void(const TensorArg&, const TensorArg&, const TensorArg&)>;

#define UNARY_ENTRY(name, F, KIND)                                                     \
  {name, [](const TensorArg& x, const TensorArg& o, double p0, double p1) {                 \
     FASTDL_DISPATCH_##KIND(x.dtype, name, [&] { unary_loop<scalar_t>(ew::F{}, x, o, p0, p1); })                           \
   }},

// pow_scalar at an exponent known here (twice_e / 2): the functor's tests of e fold away
// and its loop vectorises. The same functor, so the same bits.
template <int twice_e>
struct PowConst {
  template <typename T> T operator()(T x, double, double) const { return ew::PowScalar{}(x, twice_e / 2.0, 0.0); }
};

template <typename T>
void pow_scalar_loop(const TensorArg& x, const TensorArg& o, double e) {
  if (e == 1.0) return unary_loop<T>(PowConst<2>{}, x, o, e, 0.0);  // x itself (x ** 2's gradient asks for it)
  if (e == 2.0) return unary_loop<T>(PowConst<4>{}, x, o, e, 0.0);
  if (e == 3.0) return unary_loop<T>(PowConst<6>{}, x, o, e, 0.0);
  if (e == -1.0) return unary_loop<T>(PowConst<-2>{}, x, o, e, 0.0);
  if (e == -2.0) return unary_loop<T>(PowConst<-4>{}, x, o, e, 0.0);
  if (e == 0.5) return unary_loop<T>(PowConst<1>{}, x, o, e, 0.0);
  if (e == -0.5) return unary_loop<T>(PowConst<-1>{}, x, o, e, 0.0);
  unary_loop<T>(ew::PowScalar{}, x, o, e, 0.0);
}

const std::unordered_map<std::string, UnaryFn>& unary_table() {
  static const std::unordered_map<std::string, UnaryFn> t = [] {
    std::unordered_map<std::string, UnaryFn> m = {
        FASTDL_UNARY_OPS(UNARY_ENTRY)
        {"logical_not", [](const TensorArg& x, const TensorArg& o, double p0, double p1) {
           check_dtype("logical_not", x, DType::Bool);
           unary_loop<bool>(ew::LogicalNot{}, x, o, p0, p1);
         }},
    };
    m["pow_scalar"] = [](const TensorArg& x, const TensorArg& o, double p0, double) {
      FASTDL_DISPATCH_FLOAT(x.dtype, "pow_scalar", [&] { pow_scalar_loop<scalar_t>(x, o, p0); });
    };
    return m;
  }();
  return t;
}

#define BINARY_ARITH_ENTRY(name, F, KIND)                                              \
  {name, [](const TensorArg& a, const TensorArg& b, const TensorArg& o) {                  \
     FASTDL_DISPATCH_##KIND(a.dtype, name, [&] { binary_loop<scalar_t, scalar_t>(ew::F{}, a, b, o); })                           \
   }},
#define BINARY_BOOL_ENTRY(name, F)                                                      \
  {name, [](const TensorArg& a, const TensorArg& b, const TensorArg& o) {                  \
     FASTDL_DISPATCH_ALL(a.dtype, name, [&] { binary_loop<scalar_t, bool>(ew::F{}, a, b, o); })                               \
   }},

const std::unordered_map<std::string, BinaryFn>& binary_table() {
  static const std::unordered_map<std::string, BinaryFn> t = {
      FASTDL_BINARY_ARITH_OPS(BINARY_ARITH_ENTRY) FASTDL_BINARY_BOOL_OPS(BINARY_BOOL_ENTRY)
  };
  return t;
}

}  // namespace

bool binary_is_comparison(const std::string& op) {
  return op == "eq" || op == "ne" || op == "lt" || op == "le" || op == "gt" || op == "ge" ||
         op == "logical_and" || op == "logical_or" || op == "logical_xor";
}

struct UnaryOp {
  std::string name;
  const UnaryFn* fn;
  VecKernel vec_f32;  // the AVX2 (and AVX-512) array kernel for float32, if any
};

struct BinaryOp {
  std::string name;
  const BinaryFn* fn;
  bool comparison;
};

const UnaryOp* find_unary(const std::string& op) {
  static const std::unordered_map<std::string, UnaryOp> ops = [] {
    std::unordered_map<std::string, UnaryOp> m;
    for (const auto& [name, fn] : unary_table()) m[name] = UnaryOp{name, &fn, vec_f32_kernel(name)};
    return m;
  }();
  auto it = ops.find(op);
  return it == ops.end() ? nullptr : &it->second;
}

const BinaryOp* find_binary(const std::string& op) {
  static const std::unordered_map<std::string, BinaryOp> ops = [] {
    std::unordered_map<std::string, BinaryOp> m;
    for (const auto& [name, fn] : binary_table()) m[name] = BinaryOp{name, &fn, binary_is_comparison(name)};
    return m;
  }();
  auto it = ops.find(op);
  return it == ops.end() ? nullptr : &it->second;
}

bool has_bool_result(const BinaryOp& op) { return op.comparison; }

void unary(const UnaryOp& op, const TensorArg& x, const TensorArg& out, double p0, double p1) {
  const char* name = op.name.c_str();
  check_cpu(name, x);
  check_cpu(name, out);
  check_same_shape(name, x, out);
  check_dtype(name, out, x.dtype);
  const VecKernel& v = op.vec_f32;
  if (x.dtype == DType::Float32 && v.fn && (v.serves ? v.serves(p0, p1) : p0 == 0.0 && p1 == 0.0) && use_avx2())
    return unary_vec_f32(v.fn512 && use_avx512() ? v.fn512 : v.fn, x, out, p0, p1);
  (*op.fn)(x, out, p0, p1);
}

void binary(const BinaryOp& op, const TensorArg& a, const TensorArg& b, const TensorArg& out) {
  const char* name = op.name.c_str();
  for (auto* t : {&a, &b, &out}) check_cpu(name, *t);
  check_same_shape(name, a, out);
  check_same_shape(name, b, out);
  check_dtype(name, b, a.dtype);
  check_dtype(name, out, op.comparison ? DType::Bool : a.dtype);
  (*op.fn)(a, b, out);
}

void unary(const std::string& op, const TensorArg& x, const TensorArg& out, double p0, double p1) {
  const UnaryOp* u = find_unary(op);
  if (!u) fail_value("unknown unary op '" + op + "'");
  unary(*u, x, out, p0, p1);
}

void binary(const std::string& op, const TensorArg& a, const TensorArg& b, const TensorArg& out) {
  const BinaryOp* f = find_binary(op);
  if (!f) fail_value("unknown binary op '" + op + "'");
  binary(*f, a, b, out);
}

namespace {

// c ? a : b without a branch: the bits of a or b through an all-ones / all-zeros mask.
template <typename T>
inline T select_bits(bool c, T a, T b) {
  if constexpr (sizeof(T) == 16) {  // complex128: no 128-bit integer to mask
    return c ? a : b;
  } else {
  using U = std::conditional_t<
      sizeof(T) == 8, uint64_t,
      std::conditional_t<sizeof(T) == 4, uint32_t, std::conditional_t<sizeof(T) == 2, uint16_t, uint8_t>>>;
  static_assert(sizeof(U) == sizeof(T), "select_bits: unsupported element size");
  U ua, ub;
  std::memcpy(&ua, &a, sizeof(T));
  std::memcpy(&ub, &b, sizeof(T));
  const U mask = static_cast<U>(U(0) - static_cast<U>(c));
  const U r = static_cast<U>((ua & mask) | (ub & ~mask));
  T out;
  std::memcpy(&out, &r, sizeof(T));
  return out;
  }
}

// The contiguous select in AVX2 for 4- and 8-byte elements: 8 / 4 condition bytes widened
// to lane masks and one blend (the portable loop does not vectorise: the bool pointer may
// alias the output). x_step / y_step 0: that branch is one broadcast value. Other sizes,
// and the tail, take select_bits.
template <typename T>
__attribute__((target("avx2"))) __m256 splat_bits(const T* v) {
  if constexpr (sizeof(T) == 4) {
    float f;
    std::memcpy(&f, v, 4);
    return _mm256_set1_ps(f);
  } else {
    double d;
    std::memcpy(&d, v, 8);
    return _mm256_castpd_ps(_mm256_set1_pd(d));
  }
}

template <typename T>
__attribute__((target("avx2"))) void where_contiguous_avx2(T* o, const bool* c, const T* x, int64_t x_step,
                                                          const T* y, int64_t y_step, int64_t n) {
  int64_t i = 0;
  if constexpr (sizeof(T) == 4 || sizeof(T) == 8) {
    constexpr int kLanes = 32 / sizeof(T);
    const __m256 xs = splat_bits(x), ys = splat_bits(y);  // (used where a step is 0)
    for (; i + kLanes <= n; i += kLanes) {
      __m256i mask;  // all ones where c[i] is false
      if constexpr (sizeof(T) == 4) {
        const __m256i bytes = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(c + i)));
        mask = _mm256_cmpeq_epi32(bytes, _mm256_setzero_si256());
      } else {
        int32_t four;
        std::memcpy(&four, c + i, 4);
        mask = _mm256_cmpeq_epi64(_mm256_cvtepu8_epi64(_mm_cvtsi32_si128(four)), _mm256_setzero_si256());
      }
      const __m256 xv = x_step ? _mm256_loadu_ps(reinterpret_cast<const float*>(x + i)) : xs;
      const __m256 yv = y_step ? _mm256_loadu_ps(reinterpret_cast<const float*>(y + i)) : ys;
      _mm256_storeu_ps(reinterpret_cast<float*>(o + i), _mm256_blendv_ps(xv, yv, _mm256_castsi256_ps(mask)));
    }
  }
  for (; i < n; ++i) o[i] = select_bits(c[i], x[i * x_step], y[i * y_step]);
}

}  // namespace

namespace {

template <typename T>
__attribute__((target("avx2"))) void lerp_contiguous_avx2(const T* a, const T* b, T* o, int64_t n, T scale,
                                                         bool small) {
  for (int64_t i = 0; i < n; ++i) o[i] = ew::lerp_scalar(a[i], b[i], scale, small);
}

}  // namespace

void lerp_scalar(const TensorArg& a, const TensorArg& b, const TensorArg& out, double scale, bool small) {
  for (auto* t : {&a, &b, &out}) {
    check_cpu("lerp", *t);
    check_same_shape("lerp", *t, out);
    check_dtype("lerp", *t, out.dtype);
  }
  FASTDL_DISPATCH_FLOAT(out.dtype, "lerp", [&] {
    using T = scalar_t;
    const T sc = static_cast<T>(scale);
    strided_loop<3>({&out, &a, &b}, [&](std::array<char*, 3> p, std::array<int64_t, 3> s, int64_t n) {
      T* o = reinterpret_cast<T*>(p[0]);
      const T* x = reinterpret_cast<const T*>(p[1]);
      const T* y = reinterpret_cast<const T*>(p[2]);
      constexpr int64_t t = sizeof(T);
      if (s[0] == t && s[1] == t && s[2] == t) {
        if (use_avx2()) return lerp_contiguous_avx2(x, y, o, n, sc, small);
        for (int64_t i = 0; i < n; ++i) o[i] = ew::lerp_scalar(x[i], y[i], sc, small);
      } else {
        for (int64_t i = 0; i < n; ++i) o[i * (s[0] / t)] = ew::lerp_scalar(x[i * (s[1] / t)], y[i * (s[2] / t)], sc, small);
      }
    });
  })
}

void where(const TensorArg& cond, const TensorArg& a, const TensorArg& b, const TensorArg& out) {
  for (auto* t : {&cond, &a, &b, &out}) {
    check_cpu("where", *t);
    check_same_shape("where", *t, out);
  }
  check_dtype("where", cond, DType::Bool);
  check_dtype("where", a, out.dtype);
  check_dtype("where", b, out.dtype);
  FASTDL_DISPATCH_STORAGE(out.dtype, "where", [&] {
    using T = scalar_t;
    strided_loop<4>({&out, &cond, &a, &b}, [&](std::array<char*, 4> p, std::array<int64_t, 4> s, int64_t n) {
      T* o = reinterpret_cast<T*>(p[0]);
      const bool* c = reinterpret_cast<const bool*>(p[1]);
      const T* x = reinterpret_cast<const T*>(p[2]);
      const T* y = reinterpret_cast<const T*>(p[3]);
      constexpr int64_t t = sizeof(T);
      // Contiguous runs, either branch possibly a broadcast scalar (relu's and max's
      // backward: where(mask, g, 0)): a branch-free select the compiler vectorises
      // (a branch per element mispredicts on a random mask: ~4 ns per element).
      if (s[0] == t && s[1] == 1 && (s[2] == t || s[2] == 0) && (s[3] == t || s[3] == 0)) {
        if (use_avx2()) return where_contiguous_avx2(o, c, x, s[2] ? 1 : 0, y, s[3] ? 1 : 0, n);
        auto run = [&](auto xi, auto yi) {
          for (int64_t i = 0; i < n; ++i) o[i] = select_bits(c[i], xi(i), yi(i));
        };
        auto vec = [](const T* v) { return [v](int64_t i) { return v[i]; }; };
        auto one = [](const T* v) { return [w = *v](int64_t) { return w; }; };
        if (s[2] && s[3]) run(vec(x), vec(y));
        else if (s[2]) run(vec(x), one(y));
        else if (s[3]) run(one(x), vec(y));
        else run(one(x), one(y));
      } else {
        for (int64_t i = 0; i < n; ++i) {
          const bool ci = *reinterpret_cast<const bool*>(p[1] + i * s[1]);
          *reinterpret_cast<T*>(p[0] + i * s[0]) =
              ci ? *reinterpret_cast<const T*>(p[2] + i * s[2]) : *reinterpret_cast<const T*>(p[3] + i * s[3]);
        }
      }
    });
  })
}

namespace {

// A row-major dst whose src has its last two dims swapped in memory (x.t().contiguous(),
// a permute(..., -1, -2)): copied in kTile x kTile tiles. Walking dst's rows element by
// element reads src a column apart each time, one cache line (and often one page) per
// element; within a tile both sides touch only kTile lines. Same dtype only. False when
// the operands are not of that form.
constexpr int64_t kTile = 8;

template <typename T>
bool copy_transposed_tiles(const TensorArg& src, const TensorArg& dst) {
  const int nd = dst.ndim();
  // (a source broadcast along dst's rows, stride 0 there, is a fill per row: the loop's case)
  if (nd < 2 || nd > kMaxDims || !dst.is_contiguous() || src.strides[nd - 2] != 1 || src.strides[nd - 1] == 0)
    return false;
  const int64_t R = dst.shape[nd - 2], C = dst.shape[nd - 1];
  if (R < kTile || C < kTile) return false;
  const int64_t sc = src.strides[nd - 1];  // src's step along a dst row
  const int64_t outer = dst.numel() / (R * C), row_tiles = (R + kTile - 1) / kTile;
  const T* s0 = reinterpret_cast<const T*>(src.bytes());
  T* d0 = reinterpret_cast<T*>(dst.bytes());
  parallel_for(outer * row_tiles, kTile * C, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t o = t / row_tiles, r0 = (t % row_tiles) * kTile, r1 = std::min(r0 + kTile, R);
      const T* s = s0 + strided_offset(o, nd - 2, src.shape.data(), src.strides.data());
      T* d = d0 + o * R * C;
      for (int64_t c0 = 0; c0 < C; c0 += kTile) {
        const int64_t c1 = std::min(c0 + kTile, C);
        for (int64_t c = c0; c < c1; ++c)
          for (int64_t r = r0; r < r1; ++r) d[r * C + c] = s[r + c * sc];
      }
    }
  });
  return true;
}

}  // namespace

namespace {

// The contiguous conversion loop compiled a second time for AVX2, as unary_contiguous_avx2:
// the same integer and IEEE operations (no FMA in this file), so the same bits; the
// branch-free float <-> float16 / bfloat16 conversions (half_convert.h) run 8 a step.
template <typename D, typename S>
__attribute__((target("avx2"))) void copy_contiguous_avx2(D* o, const S* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) o[i] = convert_value<D>(x[i]);
}

}  // namespace

void copy(const TensorArg& src, const TensorArg& dst) {
  check_cpu("copy", src);
  check_cpu("copy", dst);
  check_same_shape("copy", src, dst);
  FASTDL_DISPATCH_STORAGE(dst.dtype, "copy", [&] {
    using D = scalar_t;
    FASTDL_DISPATCH_STORAGE(src.dtype, "copy", [&] {
      using S = scalar_t;
      if constexpr (std::is_same_v<D, S>) {
        if (copy_transposed_tiles<D>(src, dst)) return;
      }
      strided_loop<2>({&dst, &src}, [&](std::array<char*, 2> p, std::array<int64_t, 2> s, int64_t n) {
        D* o = reinterpret_cast<D*>(p[0]);
        const S* x = reinterpret_cast<const S*>(p[1]);
        if (s[0] == sizeof(D) && s[1] == sizeof(S)) {
          if constexpr (std::is_same_v<D, S>) {  // the C library's copy (cheapest per short row) or a backward one
            return copy_run(o, x, static_cast<size_t>(n) * sizeof(D));
          }
          if (use_avx2()) {
            // (the casts only run for the dtypes tested: the dispatch lambda is no template)
            constexpr bool narrow = std::is_same_v<D, Half> && std::is_same_v<S, float>;
            constexpr bool widen = std::is_same_v<D, float> && std::is_same_v<S, Half>;
            if ((narrow || widen) && cpu_has_f16c()) {
              if (narrow) f16c::float_to_half(reinterpret_cast<const float*>(x), reinterpret_cast<uint16_t*>(o), n);
              else f16c::half_to_float(reinterpret_cast<const uint16_t*>(x), reinterpret_cast<float*>(o), n);
              return;
            }
            return copy_contiguous_avx2(o, x, n);
          }
          for (int64_t i = 0; i < n; ++i) o[i] = convert_value<D>(x[i]);
        } else if (s[1] == 0) {  // a broadcast source (an expanded gradient, expand().contiguous()): a fill
          const D v = convert_value<D>(*x);
          if (s[0] == sizeof(D)) return fill_run(o, n, v);
          const int64_t so = s[0] / sizeof(D);
          for (int64_t i = 0; i < n; ++i) o[i * so] = v;
        } else {
          const int64_t so = s[0] / sizeof(D), sx = s[1] / sizeof(S);
          for (int64_t i = 0; i < n; ++i) o[i * so] = convert_value<D>(x[i * sx]);
        }
      });
    })
  })
}

namespace {

// float16 / bfloat16 a (op) b: both widened to float32 (exactly), the float op, one rounding
// back, i.e. via_float32's bits. Contiguous float16 runs take F16C lanes end to end
// (f16c::half_arith: 2^20 values 0.57 -> 0.14 ms at 1 thread on the Zen 3); bfloat16 runs
// go through L1-sized float blocks with the copy kernel's vector conversions, one pass over
// memory instead of three conversion passes and an op.
template <typename H>
void widen_run(const H* x, float* w, int64_t n) {
  if constexpr (std::is_same_v<H, Half>) {
    if (cpu_has_f16c()) return f16c::half_to_float(reinterpret_cast<const uint16_t*>(x), w, n);
  }
  copy_contiguous_avx2(w, x, n);
}
template <typename H>
void narrow_run(const float* w, H* o, int64_t n) {
  if constexpr (std::is_same_v<H, Half>) {
    if (cpu_has_f16c()) return f16c::float_to_half(w, reinterpret_cast<uint16_t*>(o), n);
  }
  copy_contiguous_avx2(o, w, n);
}

template <typename H>
void half_arith_loop(vec::Arith op, const TensorArg& a, const TensorArg& b, const TensorArg& out) {
  strided_loop<3>({&out, &a, &b}, [&](std::array<char*, 3> p, std::array<int64_t, 3> s, int64_t n) {
    H* o = reinterpret_cast<H*>(p[0]);
    const H* x = reinterpret_cast<const H*>(p[1]);
    const H* y = reinterpret_cast<const H*>(p[2]);
    constexpr int64_t t = sizeof(H);
    const bool dense = s[0] == t && (s[1] == t || s[1] == 0) && (s[2] == t || s[2] == 0) && (s[1] || s[2]);
    if constexpr (std::is_same_v<H, Half>) {
      if (dense && use_avx2() && cpu_has_f16c())
        return f16c::half_arith(op, reinterpret_cast<const uint16_t*>(x), s[1] ? 1 : 0,
                                reinterpret_cast<const uint16_t*>(y), s[2] ? 1 : 0, reinterpret_cast<uint16_t*>(o), n);
    }
    if (use_avx2() && dense) {
      constexpr int64_t kBlock = 1024;
      alignas(64) float xf[kBlock], yf[kBlock], of[kBlock];
      for (int64_t i = 0; i < n; i += kBlock) {
        const int64_t m = std::min(kBlock, n - i);
        widen_run(s[1] ? x + i : x, xf, s[1] ? m : 1);
        widen_run(s[2] ? y + i : y, yf, s[2] ? m : 1);
        vec::arith_f32_avx2(op, xf, s[1] ? 1 : 0, yf, s[2] ? 1 : 0, of, m);
        narrow_run(of, o + i, m);
      }
      return;
    }
    auto f = [op](float u, float v) {
      switch (op) {
        case vec::Arith::Add: return u + v;
        case vec::Arith::Sub: return u - v;
        case vec::Arith::Mul: return u * v;
        default: return u / v;
      }
    };
    for (int64_t i = 0; i < n; ++i)
      o[i * (s[0] / t)] = convert_value<H>(f(convert_value<float>(x[i * (s[1] / t)]),
                                             convert_value<float>(y[i * (s[2] / t)])));
  });
}

}  // namespace

void half_arith(const std::string& op, const TensorArg& a, const TensorArg& b, const TensorArg& out) {
  for (auto* t : {&a, &b, &out}) {
    check_cpu(op.c_str(), *t);
    check_same_shape(op.c_str(), *t, out);
    check_dtype(op.c_str(), *t, out.dtype);
  }
  const vec::Arith code = op == "add" ? vec::Arith::Add : op == "sub" ? vec::Arith::Sub
                        : op == "mul" ? vec::Arith::Mul : vec::Arith::Div;
  if (op != "add" && op != "sub" && op != "mul" && op != "div")
    fail_value("half_arith: unknown op '" + op + "' (add, sub, mul or div)");
  if (out.dtype == DType::Float16) return half_arith_loop<Half>(code, a, b, out);
  if (out.dtype == DType::BFloat16) return half_arith_loop<BFloat16>(code, a, b, out);
  fail_type(op + ": half_arith takes float16 or bfloat16, got " + describe(out));
}

void fill(const TensorArg& dst, double value) {
  check_cpu("fill", dst);
  FASTDL_DISPATCH_STORAGE(dst.dtype, "fill", [&] {
    using T = scalar_t;
    const T v = convert_value<T>(value);
    strided_loop<1>({&dst}, [&](std::array<char*, 1> p, std::array<int64_t, 1> s, int64_t n) {
      T* o = reinterpret_cast<T*>(p[0]);
      const int64_t so = s[0] / static_cast<int64_t>(sizeof(T));
      if (so == 1) return fill_run(o, n, v);  // whole lines (the strided loop below is scalar: 5x slower)
      for (int64_t i = 0; i < n; ++i) o[i * so] = v;
    });
  })
}

}  // namespace cpu
}  // namespace fastdl
