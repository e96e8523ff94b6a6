// Scans along one dim. Contract of both backends (CUDA: cuda/scan.cu):
//   cumsum(x, out, dim, reverse): out = cumsum of x along dim (x[i] + ... + x[n-1] with
//   reverse; fastdl.cumsum's forward, and its backward as the reversed sum); x and out
//   contiguous, same shape, dtype float32, float64 or int64.
//   cum_extreme(x, values, indices, dim, largest): cummax's (largest) or cummin's running
//   value along dim (values, x's dtype) and its position (indices, int64), torch's ties
//   and NaN rule (common/scan_ops.h); all contiguous, x's shape; x float32, float64 or int64.
#pragma once
#include <cstdint>

#include "../core/tensor_arg.h"
#include "softmax_args.h"

namespace fastdl {
namespace cpu {

void cumsum(const TensorArg& x, const TensorArg& out, int64_t dim, bool reverse);
void cum_extreme(const TensorArg& x, const TensorArg& values, const TensorArg& indices, int64_t dim, bool largest);

}  // namespace cpu

// cum_extreme's operand checks, run by both backends (device checks are their own).
inline void check_cum_extreme_operands(const char* op, const TensorArg& x, const TensorArg& values,
                                       const TensorArg& indices, int64_t dim) {
  check_same_shape(op, x, values);
  check_same_shape(op, x, indices);
  check_dtype(op, values, x.dtype);
  check_dtype(op, indices, DType::Int64);
  check_contiguous(op, "x", x);
  check_contiguous(op, "values", values);
  check_contiguous(op, "indices", indices);
  check_dim(op, x, dim);
}

}  // namespace fastdl
