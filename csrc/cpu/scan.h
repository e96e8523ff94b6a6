// Cumulative sums along one dim (fastdl.cumsum's forward, and its backward as the
// reversed sum). Contract of both backends (CUDA: cuda/scan.cu):
//   cumsum(x, out, dim, reverse): out = cumsum of x along dim (x[i] + ... + x[n-1] with
//   reverse); x and out contiguous, same shape, dtype float32, float64 or int64.
#pragma once
#include <cstdint>

#include "../core/tensor_arg.h"

namespace fastdl {
namespace cpu {

void cumsum(const TensorArg& x, const TensorArg& out, int64_t dim, bool reverse);

}  // namespace cpu
}  // namespace fastdl
