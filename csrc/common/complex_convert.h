// complex64 / complex128 as storage types: two floats / doubles (re, im), the layout of
// std::complex, C99 and NumPy. Kernels never compute on them (the Python layer computes
// through a (..., 2) real view); copy / fill / where / DLPack move and convert them.
// Conversions follow torch: real -> complex gives imag 0, complex -> real keeps the real
// part (the Python front warns), complex -> bool is "re or im nonzero".
#pragma once
#include "common/half_convert.h"

namespace fastdl {

template <typename R>
struct Complex {
  R re, im;
  template <typename T>
  FASTDL_HD explicit operator T() const { return static_cast<T>(re); }
  FASTDL_HD explicit operator bool() const { return re != R(0) || im != R(0); }
};
using ComplexFloat = Complex<float>;
using ComplexDouble = Complex<double>;

template <typename R>
struct ValueAs<Complex<R>> {
  template <typename S>
  static FASTDL_HD Complex<R> from(S v) { return {static_cast<R>(v), R(0)}; }
  template <typename R2>
  static FASTDL_HD Complex<R> from(Complex<R2> v) { return {static_cast<R>(v.re), static_cast<R>(v.im)}; }
};

// complex -> integer converts the real part as a float does (x86 truncation, wraparound).
namespace int_detail {
template <typename R>
struct IsFloat<Complex<R>> { static constexpr bool value = true; };
}  // namespace int_detail

}  // namespace fastdl
