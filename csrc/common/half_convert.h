// float16 (IEEE binary16) and bfloat16 as storage types, and their conversions to and
// from float32 / float64, shared by the CPU copy kernel (csrc/cpu/elementwise.cpp) and
// the CUDA one (cuda/copy.cu) so both round alike. Narrowing rounds to nearest, ties to
// even, once, straight from the source value (float64 -> float16 does not pass through
// float32, which would round twice); overflow gives inf, tiny values give subnormals or
// a signed zero, NaN stays NaN (quiet, sign and top payload bits kept). Widening is
// exact. Only integer operations, so host and device give the same bits.
#pragma once
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "common/hd.h"

namespace fastdl {

struct Half {  // IEEE binary16: 1 sign, 5 exponent, 10 mantissa bits
  uint16_t bits;
};
struct BFloat16 {  // the top half of a float32: 1 sign, 8 exponent, 7 mantissa bits
  uint16_t bits;
};

namespace half_detail {

// Bit reinterpretation: register moves on the device (memcpy there goes through a
// stack slot), memcpy on the host.
FASTDL_HD uint64_t bits_of(double d) {
#if defined(__CUDA_ARCH__)
  return static_cast<uint64_t>(__double_as_longlong(d));
#else
  uint64_t b;
  memcpy(&b, &d, sizeof b);
  return b;
#endif
}
FASTDL_HD uint32_t bits_of(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#else
  uint32_t b;
  memcpy(&b, &f, sizeof b);
  return b;
#endif
}
FASTDL_HD float float_of(uint32_t b) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(b);
#else
  float f;
  memcpy(&f, &b, sizeof f);
  return f;
#endif
}

// A float64 rounded to a format with E exponent and M mantissa bits (bias 2^(E-1) - 1).
template <int E, int M>
FASTDL_HD uint16_t narrow_from_double(double d) {
  const uint64_t b = bits_of(d);
  const uint16_t sign = static_cast<uint16_t>((b >> 63) << 15);
  const int exp = static_cast<int>((b >> 52) & 0x7ff);
  const uint64_t mant = b & ((uint64_t{1} << 52) - 1);
  const uint32_t exp_all_ones = (1u << E) - 1;
  if (exp == 0x7ff) {  // inf, or NaN made quiet (top mantissa bit) with its top payload bits
    const uint32_t payload = mant ? static_cast<uint32_t>(mant >> (52 - M)) | (1u << (M - 1)) : 0;
    return static_cast<uint16_t>(sign | (exp_all_ones << M) | payload);
  }
  const int bias = (1 << (E - 1)) - 1;
  const int e = exp - 1023 + bias;  // the target's biased exponent (float64 subnormals: << 0)
  if (e >= static_cast<int>(exp_all_ones)) return static_cast<uint16_t>(sign | (exp_all_ones << M));
  // Shift the 53-bit significand down to M bits (plus the denormalising shift below the
  // smallest normal); what is shifted out decides the rounding.
  const int shift = (52 - M) + (e >= 1 ? 0 : 1 - e);
  if (exp == 0 || shift > 53) return sign;  // below half the smallest subnormal: +-0
  const uint64_t sig = mant | (uint64_t{1} << 52);
  const uint64_t kept = sig >> shift, rest = sig & ((uint64_t{1} << shift) - 1), halfway = uint64_t{1} << (shift - 1);
  // Normal: exponent field + fraction; subnormal: the fraction alone (exponent 0). A
  // round-up carry walks into the exponent (largest finite + carry = inf), as it should.
  uint32_t out = e >= 1 ? (static_cast<uint32_t>(e) << M) + static_cast<uint32_t>(kept - (uint64_t{1} << M))
                        : static_cast<uint32_t>(kept);
  if (rest > halfway || (rest == halfway && (kept & 1))) ++out;
  return static_cast<uint16_t>(sign | out);
}

// The same roundings from a float32, without branches on the value, so that host loops
// over float32 vectorise (narrow_from_double runs ~50 cycles an element). Equal to
// narrow_from_double(double(f)) for all 2^32 float32 values (checked once in C++, session
// 20; tests/test_half_convert_fast.py covers every rounding case against NumPy). float16:
// a normal result takes the rounding bias on the bits (ties to even
// from the kept lowest bit); a subnormal one comes from adding 0.5 (a float whose ulp is
// float16's smallest subnormal), which rounds as wanted; NaN keeps sign, quiet bit and the
// top payload bits.
FASTDL_HD uint16_t half_bits_from_float(float f) {
  const uint32_t b = bits_of(f), sign = (b >> 16) & 0x8000u, a = b & 0x7fffffffu;
  const uint32_t nan = 0x7e00u | ((a >> 13) & 0x3ffu);
  const uint32_t inf_or_max = a > 0x7f800000u ? nan : 0x7c00u;  // |f| >= 65520 rounds to inf
  const uint32_t normal = (a + 0xc8000fffu + ((a >> 13) & 1u)) >> 13;  // exponent - 112, biased round
  const uint32_t sub = bits_of(float_of(a) + 0.5f) - 0x3f000000u;       // |f| < 2^-14: subnormal or 0
  const uint32_t mag = a >= 0x477ff000u ? inf_or_max : (a < 0x38800000u ? sub : normal);
  return static_cast<uint16_t>(sign | mag);
}
// bfloat16 shares float32's exponent: round the low 16 bits away, ties to even (a carry
// walks into the exponent: the largest finite float rounds to inf); NaN keeps sign, quiet
// bit and top payload bits.
FASTDL_HD uint16_t bfloat16_bits_from_float(float f) {
  const uint32_t b = bits_of(f);
  const uint32_t rounded = (b + 0x7fffu + ((b >> 16) & 1u)) >> 16;
  return static_cast<uint16_t>((b & 0x7fffffffu) > 0x7f800000u ? (b >> 16) | 0x40u : rounded);
}

}  // namespace half_detail

FASTDL_HD Half half_from_double(double d) { return Half{half_detail::narrow_from_double<5, 10>(d)}; }
FASTDL_HD BFloat16 bfloat16_from_double(double d) { return BFloat16{half_detail::narrow_from_double<8, 7>(d)}; }
FASTDL_HD Half half_from_float(float f) { return Half{half_detail::half_bits_from_float(f)}; }
FASTDL_HD BFloat16 bfloat16_from_float(float f) { return BFloat16{half_detail::bfloat16_bits_from_float(f)}; }

// Exact, and without branches on the value (so host loops vectorise): normal values
// rebias the exponent; zero and subnormals are mant * 2^-24 (exact in float32); inf and
// NaN keep their mantissa bits under an all-ones exponent.
FASTDL_HD float half_to_float(Half h) {
  const uint32_t sign = static_cast<uint32_t>(h.bits & 0x8000) << 16, em = h.bits & 0x7fffu;
  const uint32_t normal = (em << 13) + 0x38000000u;  // exponent + (127 - 15)
  const uint32_t sub = half_detail::bits_of(static_cast<float>(static_cast<int32_t>(em)) * 5.9604644775390625e-8f);
  const uint32_t mag = em >= 0x7c00u ? (em << 13) | 0x7f800000u : (em < 0x400u ? sub : normal);
  return half_detail::float_of(sign | mag);
}
FASTDL_HD float bfloat16_to_float(BFloat16 h) { return half_detail::float_of(static_cast<uint32_t>(h.bits) << 16); }

// The value of any element type as kernels compute with it: half types widen to float.
template <typename T>
FASTDL_HD T widen(T v) { return v; }
FASTDL_HD float widen(Half v) { return half_to_float(v); }
FASTDL_HD float widen(BFloat16 v) { return bfloat16_to_float(v); }

// convert_value<D>(s): s as element type D (the copy kernels' cast between any dtypes).
template <typename D>
struct ValueAs {
  template <typename S>
  static FASTDL_HD D from(S v) { return static_cast<D>(v); }
};
// (a float32 source, half types included once widened, takes the branch-free narrowing)
template <>
struct ValueAs<Half> {
  template <typename S>
  static FASTDL_HD Half from(S v) {
    if constexpr (std::is_same<S, float>::value) return half_from_float(v);
    else return half_from_double(static_cast<double>(v));
  }
};
template <>
struct ValueAs<BFloat16> {
  template <typename S>
  static FASTDL_HD BFloat16 from(S v) {
    if constexpr (std::is_same<S, float>::value) return bfloat16_from_float(v);
    else return bfloat16_from_double(static_cast<double>(v));
  }
};

// Floating -> integer as torch does it on x86 (its casts compile to cvttsd2si): truncate
// toward zero; NaN and values outside the 32- or 64-bit range give that range's minimum.
// int32 / int16 / int8 go through the 32-bit conversion, uint8 and int64 through the
// 64-bit one, and the narrow result keeps the low bits (wraparound), so 300.0 -> int8 44,
// -1.5 -> uint8 255, NaN -> int32 -2147483648 and NaN -> int8 0, as torch gives.
namespace int_detail {
template <typename I>
FASTDL_HD I trunc_x86(double d) {
  constexpr double lim = sizeof(I) == 8 ? 9223372036854775808.0 : 2147483648.0;
  if (!(d >= -lim && d < lim)) return static_cast<I>(static_cast<uint64_t>(1) << (sizeof(I) * 8 - 1));
  return static_cast<I>(d);
}
template <typename W>
struct Wide;  // the integer a narrow one converts floats through
template <> struct Wide<int32_t> { using type = int32_t; };
template <> struct Wide<int16_t> { using type = int32_t; };
template <> struct Wide<int8_t> { using type = int32_t; };
template <> struct Wide<uint8_t> { using type = int64_t; };
template <> struct Wide<int64_t> { using type = int64_t; };
template <typename S>
struct IsFloat { static constexpr bool value = false; };
template <> struct IsFloat<float> { static constexpr bool value = true; };
template <> struct IsFloat<double> { static constexpr bool value = true; };
}  // namespace int_detail

// Integers from floats as above; from integers or bool: the low bits (two's complement).
template <typename I>
struct IntValueAs {
  template <typename S>
  static FASTDL_HD I from(S v) {
    if constexpr (int_detail::IsFloat<S>::value) {
      using W = typename int_detail::Wide<I>::type;
      return static_cast<I>(static_cast<uint64_t>(static_cast<int64_t>(int_detail::trunc_x86<W>(static_cast<double>(v)))));
    } else {
      return static_cast<I>(v);
    }
  }
};
template <> struct ValueAs<int64_t> : IntValueAs<int64_t> {};
template <> struct ValueAs<int32_t> : IntValueAs<int32_t> {};
template <> struct ValueAs<int16_t> : IntValueAs<int16_t> {};
template <> struct ValueAs<int8_t> : IntValueAs<int8_t> {};
template <> struct ValueAs<uint8_t> : IntValueAs<uint8_t> {};

template <typename D, typename S>
FASTDL_HD D convert_value(S v) { return ValueAs<D>::from(widen(v)); }

}  // namespace fastdl
