// Sorting along one dim (fastdl.sort / argsort / topk's kernel; CPU only: on CUDA the
// Python op composes a bitonic network from device ops, python/fastdl/ops/sorting.py).
//   argsort(x, indices_out, dim, descending): indices_out = the int64 positions along dim
//   that sort each line of x, ascending (descending with `descending`). The order is
//   stable: equal elements keep their input order, in both directions. NaN sorts as the
//   largest value (last ascending, first descending), -0.0 equals 0.0.
//   x and indices_out contiguous; x float32, float64, int64 or bool; indices_out int64
//   of x's shape except along dim, where its size k <= x's size keeps only the first k
//   positions of each sorted line (topk: a partial sort, same result as the full one).
#pragma once
#include <cstdint>

#include "../core/tensor_arg.h"

namespace fastdl {
namespace cpu {

void argsort(const TensorArg& x, const TensorArg& indices_out, int64_t dim, bool descending);

}  // namespace cpu
}  // namespace fastdl
