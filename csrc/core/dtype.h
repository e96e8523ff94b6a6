// Element types known to the kernels, and the dispatch macros that turn a runtime
// dtype code into a template parameter. The integer codes are mirrored by
// python/fastdl/dtype.py; keep the two in step.
#pragma once
#include <cstdint>
#include <cstddef>
#include <string>
#include "errors.h"

namespace fastdl {

enum class DType : int { Float32 = 0, Float64 = 1, Int64 = 2, Bool = 3 };

inline size_t itemsize(DType d) {
  switch (d) {
    case DType::Float32: return 4;
    case DType::Float64: return 8;
    case DType::Int64: return 8;
    case DType::Bool: return 1;
  }
  return 0;
}

inline const char* dtype_name(DType d) {
  switch (d) {
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    case DType::Int64: return "int64";
    case DType::Bool: return "bool";
  }
  return "?";
}

inline bool is_floating(DType d) { return d == DType::Float32 || d == DType::Float64; }

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
    default: ::fastdl::fail_type(std::string(OPNAME) + ": unsupported dtype");      \
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
