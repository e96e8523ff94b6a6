// Element types known to the kernels, and the dispatch macros that turn a runtime
// dtype code into a template parameter. The integer codes are mirrored by
// python/fastdl/dtype.py; keep the two in step.
#pragma once
#include <cstdint>
#include <cstddef>
#include <string>
#include "errors.h"
#include "common/half_convert.h"
#include "common/complex_convert.h"

namespace fastdl {

enum class DType : int {
  Float32 = 0, Float64 = 1, Int64 = 2, Bool = 3, Float16 = 4, BFloat16 = 5,
  // The narrow integers are storage types like the half ones: copy / fill / where /
  // DLPack take them, the Python layer computes in int64 and casts back.
  Int32 = 6, Int16 = 7, Int8 = 8, UInt8 = 9,
  // complex64 / complex128: storage types too (common/complex_convert.h).
  Complex64 = 10, Complex128 = 11
};

inline size_t itemsize(DType d) {
  switch (d) {
    case DType::Float32: return 4;
    case DType::Float64: return 8;
    case DType::Int64: return 8;
    case DType::Bool: return 1;
    case DType::Float16: return 2;
    case DType::BFloat16: return 2;
    case DType::Int32: return 4;
    case DType::Int16: return 2;
    case DType::Int8: return 1;
    case DType::UInt8: return 1;
    case DType::Complex64: return 8;
    case DType::Complex128: return 16;
  }
  return 0;
}

inline const char* dtype_name(DType d) {
  switch (d) {
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    case DType::Int64: return "int64";
    case DType::Bool: return "bool";
    case DType::Float16: return "float16";
    case DType::BFloat16: return "bfloat16";
    case DType::Int32: return "int32";
    case DType::Int16: return "int16";
    case DType::Int8: return "int8";
    case DType::UInt8: return "uint8";
    case DType::Complex64: return "complex64";
    case DType::Complex128: return "complex128";
  }
  return "?";
}

// The floating dtypes kernels compute in. float16 / bfloat16 are storage types: copy,
// fill and matmul take them (converting to float32), every other kernel refuses them.
inline bool is_floating(DType d) { return d == DType::Float32 || d == DType::Float64; }
inline bool is_half(DType d) { return d == DType::Float16 || d == DType::BFloat16; }
inline bool is_complex(DType d) { return d == DType::Complex64 || d == DType::Complex128; }
inline bool is_narrow_int(DType d) {
  return d == DType::Int32 || d == DType::Int16 || d == DType::Int8 || d == DType::UInt8;
}

}  // namespace fastdl

// FASTDL_DISPATCH_ALL(dtype, "op", [&]{ using scalar_t = ...; body })
#define FASTDL_DTYPE_CASE(code, type, ...) \
  case code: { using scalar_t = type; __VA_ARGS__(); break; }

#define FASTDL_DISPATCH_ALL(DT, OPNAME, ...)                                        \
  switch (DT) {                                                                     \
    FASTDL_DTYPE_CASE(::fastdl::DType::Float32, float, __VA_ARGS__)                 \
    FASTDL_DTYPE_CASE(::fastdl::DType::Float64, double, __VA_ARGS__)                \
    FASTDL_DTYPE_CASE(::fastdl::DType::Int64, int64_t, __VA_ARGS__)                 \
    FASTDL_DTYPE_CASE(::fastdl::DType::Bool, bool, __VA_ARGS__)                     \
    default: ::fastdl::fail_type(std::string(OPNAME) + ": unsupported dtype " +      \
                                 ::fastdl::dtype_name(DT));                          \
  }

// FASTDL_DISPATCH_ALL plus the half types (Half, BFloat16 from common/half_convert.h)
// the narrow integers and the complex types: for kernels that only move or convert elements (copy, fill,
// where).
#define FASTDL_DISPATCH_STORAGE(DT, OPNAME, ...)                                     \
  switch (DT) {                                                                     \
    FASTDL_DTYPE_CASE(::fastdl::DType::Float32, float, __VA_ARGS__)                 \
    FASTDL_DTYPE_CASE(::fastdl::DType::Float64, double, __VA_ARGS__)                \
    FASTDL_DTYPE_CASE(::fastdl::DType::Int64, int64_t, __VA_ARGS__)                 \
    FASTDL_DTYPE_CASE(::fastdl::DType::Bool, bool, __VA_ARGS__)                     \
    FASTDL_DTYPE_CASE(::fastdl::DType::Float16, ::fastdl::Half, __VA_ARGS__)        \
    FASTDL_DTYPE_CASE(::fastdl::DType::BFloat16, ::fastdl::BFloat16, __VA_ARGS__)   \
    FASTDL_DTYPE_CASE(::fastdl::DType::Int32, int32_t, __VA_ARGS__)                 \
    FASTDL_DTYPE_CASE(::fastdl::DType::Int16, int16_t, __VA_ARGS__)                 \
    FASTDL_DTYPE_CASE(::fastdl::DType::Int8, int8_t, __VA_ARGS__)                   \
    FASTDL_DTYPE_CASE(::fastdl::DType::UInt8, uint8_t, __VA_ARGS__)                 \
    FASTDL_DTYPE_CASE(::fastdl::DType::Complex64, ::fastdl::ComplexFloat, __VA_ARGS__) \
    FASTDL_DTYPE_CASE(::fastdl::DType::Complex128, ::fastdl::ComplexDouble, __VA_ARGS__) \
    default: ::fastdl::fail_type(std::string(OPNAME) + ": unsupported dtype " +      \
                                 ::fastdl::dtype_name(DT));                          \
  }

#define FASTDL_DISPATCH_FLOAT(DT, OPNAME, ...)                                       \
  switch (DT) {                                                                     \
    FASTDL_DTYPE_CASE(::fastdl::DType::Float32, float, __VA_ARGS__)                 \
    FASTDL_DTYPE_CASE(::fastdl::DType::Float64, double, __VA_ARGS__)                \
    default: ::fastdl::fail_type(std::string(OPNAME) + ": expected a floating dtype, got " + \
                                 ::fastdl::dtype_name(DT));                          \
  }

#define FASTDL_DISPATCH_NUMERIC(DT, OPNAME, ...)                                     \
  switch (DT) {                                                                     \
    FASTDL_DTYPE_CASE(::fastdl::DType::Float32, float, __VA_ARGS__)                 \
    FASTDL_DTYPE_CASE(::fastdl::DType::Float64, double, __VA_ARGS__)                \
    FASTDL_DTYPE_CASE(::fastdl::DType::Int64, int64_t, __VA_ARGS__)                 \
    default: ::fastdl::fail_type(std::string(OPNAME) + ": unsupported dtype " +      \
                                 ::fastdl::dtype_name(DT));                          \
  }

// int64 only: the bitwise ops, gcd / lcm (elementwise_ops.h's INT class).
#define FASTDL_DISPATCH_INT(DT, OPNAME, ...)                                         \
  switch (DT) {                                                                     \
    FASTDL_DTYPE_CASE(::fastdl::DType::Int64, int64_t, __VA_ARGS__)                 \
    default: ::fastdl::fail_type(std::string(OPNAME) + ": expected an integer dtype, got " + \
                                 ::fastdl::dtype_name(DT));                          \
  }
