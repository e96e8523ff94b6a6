// Accumulator functors of the reductions, shared by the CPU loops (csrc/cpu/reduce.cpp)
// and CUDA kernels: one definition of what each reduction computes.
//
// Each Op<T> (T = input element type) provides
//   acc_t                      the running state (double for float32 sum/prod)
//   init()                     the identity
//   step(a, v, idx)            fold in element v at reduced linear index idx
//   combine(a, b)              merge two partials, `a` covering the earlier indices
//   finish(a) -> out_t         the value written to the output
//   kIndexed                   true when step() uses idx (arg ops): such ops must see
//                              elements in index order and cannot be split into lanes
#pragma once
#include <cmath>
#include <cstdint>
#include <type_traits>
#include "hd.h"

namespace fastdl {
namespace red {

template <typename T> struct WideAcc { using type = T; };
template <> struct WideAcc<float> { using type = double; };

// int64 sum/prod wrap around (as PyTorch) without signed-overflow UB.
template <typename T> FASTDL_HD T wrap_add(T a, T b) {
  if constexpr (std::is_integral<T>::value) return T(uint64_t(a) + uint64_t(b));
  else return a + b;
}
template <typename T> FASTDL_HD T wrap_mul(T a, T b) {
  if constexpr (std::is_integral<T>::value) return T(uint64_t(a) * uint64_t(b));
  else return a * b;
}

template <typename T> FASTDL_HD T lowest_value() {
  if constexpr (std::is_floating_point<T>::value) return -T(HUGE_VAL);
  else return T(-9223372036854775807LL - 1);
}
template <typename T> FASTDL_HD T highest_value() {
  if constexpr (std::is_floating_point<T>::value) return T(HUGE_VAL);
  else return T(9223372036854775807LL);
}
template <typename T> FASTDL_HD bool is_nan(T v) { return v != v; }

template <typename T> struct Sum {
  using acc_t = typename WideAcc<T>::type;
  using out_t = T;
  static constexpr bool kIndexed = false;
  static FASTDL_HD acc_t init() { return acc_t(0); }
  static FASTDL_HD acc_t step(acc_t a, T v, int64_t) { return wrap_add(a, acc_t(v)); }
  static FASTDL_HD acc_t combine(acc_t a, acc_t b) { return wrap_add(a, b); }
  static FASTDL_HD out_t finish(acc_t a) { return out_t(a); }
};

template <typename T> struct Prod {
  using acc_t = typename WideAcc<T>::type;
  using out_t = T;
  static constexpr bool kIndexed = false;
  static FASTDL_HD acc_t init() { return acc_t(1); }
  static FASTDL_HD acc_t step(acc_t a, T v, int64_t) { return wrap_mul(a, acc_t(v)); }
  static FASTDL_HD acc_t combine(acc_t a, acc_t b) { return wrap_mul(a, b); }
  static FASTDL_HD out_t finish(acc_t a) { return out_t(a); }
};

// max/min propagate NaN: a NaN accumulator is kept, and !(v <= a) also takes a NaN v.
// Written as two selects of one compare each: GCC vectorises this form, but not
// `v > a || v != v` (it becomes branches on float compares, which it won't if-convert).
template <typename T> struct Max {
  using acc_t = T;
  using out_t = T;
  static constexpr bool kIndexed = false;
  static FASTDL_HD acc_t init() { return lowest_value<T>(); }
  static FASTDL_HD acc_t step(acc_t a, T v, int64_t) { return is_nan(a) ? a : (!(v <= a) ? v : a); }
  static FASTDL_HD acc_t combine(acc_t a, acc_t b) { return step(a, b, 0); }
  static FASTDL_HD out_t finish(acc_t a) { return a; }
};

template <typename T> struct Min {
  using acc_t = T;
  using out_t = T;
  static constexpr bool kIndexed = false;
  static FASTDL_HD acc_t init() { return highest_value<T>(); }
  static FASTDL_HD acc_t step(acc_t a, T v, int64_t) { return is_nan(a) ? a : (!(v >= a) ? v : a); }
  static FASTDL_HD acc_t combine(acc_t a, acc_t b) { return step(a, b, 0); }
  static FASTDL_HD out_t finish(acc_t a) { return a; }
};

// any/all: one compare feeding one select, for the same reason as max/min.
template <typename T> struct Any {
  using acc_t = bool;
  using out_t = bool;
  static constexpr bool kIndexed = false;
  static FASTDL_HD acc_t init() { return false; }
  static FASTDL_HD acc_t step(acc_t a, T v, int64_t) { return (v != T(0)) ? true : a; }
  static FASTDL_HD acc_t combine(acc_t a, acc_t b) { return a || b; }
  static FASTDL_HD out_t finish(acc_t a) { return a; }
};

template <typename T> struct All {
  using acc_t = bool;
  using out_t = bool;
  static constexpr bool kIndexed = false;
  static FASTDL_HD acc_t init() { return true; }
  static FASTDL_HD acc_t step(acc_t a, T v, int64_t) { return (v != T(0)) ? a : false; }
  static FASTDL_HD acc_t combine(acc_t a, acc_t b) { return a && b; }
  static FASTDL_HD out_t finish(acc_t a) { return a; }
};

template <typename T> struct ValIdx { T v; int64_t i; };  // i < 0: nothing seen yet

// Index of the first occurrence of the extreme; NaN beats every number (PyTorch).
// Better(a, b): b should replace a.
template <typename T, typename Better> struct ArgBase {
  using acc_t = ValIdx<T>;
  using out_t = int64_t;
  static constexpr bool kIndexed = true;
  static FASTDL_HD acc_t init() { return acc_t{T(0), -1}; }
  static FASTDL_HD bool takes(const acc_t& a, T v) {
    return a.i < 0 || (!is_nan(a.v) && (is_nan(v) || Better()(a.v, v)));
  }
  static FASTDL_HD acc_t step(acc_t a, T v, int64_t idx) { return takes(a, v) ? acc_t{v, idx} : a; }
  static FASTDL_HD acc_t combine(acc_t a, acc_t b) { return (b.i >= 0 && takes(a, b.v)) ? b : a; }
  static FASTDL_HD out_t finish(acc_t a) { return a.i; }
};
struct Greater { template <typename T> FASTDL_HD bool operator()(T a, T b) const { return b > a; } };
struct Less { template <typename T> FASTDL_HD bool operator()(T a, T b) const { return b < a; } };
// ValueOp finds the extreme alone: a contiguous run can then be searched in two
// vectorisable passes (extreme, then its first position).
template <typename T> struct ArgMax : ArgBase<T, Greater> { using ValueOp = Max<T>; };
template <typename T> struct ArgMin : ArgBase<T, Less> { using ValueOp = Min<T>; };

}  // namespace red
}  // namespace fastdl
