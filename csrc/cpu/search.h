// searchsorted's kernel. Contract of both backends (CUDA: cuda/search.cu):
//   searchsorted(seq, values, out, right): seq (S, n) sorted along its rows, values (M, K),
//   out int64 (M, K); row r of values searches row r of seq, or row 0 when S is 1.
//   seq and values contiguous, the same dtype (float32, float64 or int64); out[r, j] is
//   common/search_ops.h's insertion point (right: after equal elements).
#pragma once
#include <cstdint>
#include <string>

#include "../core/errors.h"
#include "../core/tensor_arg.h"

namespace fastdl {
namespace cpu {

void searchsorted(const TensorArg& seq, const TensorArg& values, const TensorArg& out, bool right);

}  // namespace cpu

// The operand checks both backends run before searching (device checks are their own).
inline void check_searchsorted_operands(const TensorArg& seq, const TensorArg& values, const TensorArg& out) {
  const char* op = "searchsorted";
  if (seq.ndim() != 2 || values.ndim() != 2 || out.ndim() != 2)
    fail_value(std::string(op) + ": expected 2-D sequence, values and out, got " + describe(seq) + ", " +
               describe(values) + " and " + describe(out));
  if (seq.dtype != values.dtype)
    fail_type(std::string(op) + ": sequence and values must share a dtype, got " + describe(seq) + " and " +
              describe(values));
  check_dtype(op, out, DType::Int64);
  check_same_shape(op, values, out);
  if (seq.shape[0] != 1 && seq.shape[0] != values.shape[0])
    fail_value(std::string(op) + ": sequence rows must be 1 or the values' rows, got " + describe(seq) +
               " and " + describe(values));
  if (!seq.is_contiguous() || !values.is_contiguous() || !out.is_contiguous())
    fail_value(std::string(op) + ": expected contiguous operands, got " + describe(seq) + ", " +
               describe(values) + " and " + describe(out));
}

}  // namespace fastdl
