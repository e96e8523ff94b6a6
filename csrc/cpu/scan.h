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

namespace fastdl {
namespace cpu {

void cumsum(const TensorArg& x, const TensorArg& out, int64_t dim, bool reverse);
void cum_extreme(const TensorArg& x, const TensorArg& values, const TensorArg& indices, int64_t dim, bool largest);

}  // namespace cpu
}  // namespace fastdl
