// CPU reductions over a set of dimensions of a strided tensor.
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include "../core/tensor_arg.h"

namespace fastdl {
namespace cpu {

// op: sum, prod, max, min (out.dtype == x.dtype, numeric), argmax, argmin (out int64,
// exactly one reduced dim), any, all (out bool, x any dtype).
// dims: sorted, unique, in [0, x.ndim). out: contiguous, x.shape with each reduced dim
// set to 1. Reducing over an empty range gives the identity (sum 0, prod 1, any false,
// all true); max/min/argmax/argmin raise ValueError.
void reduce(const std::string& op, const TensorArg& x, const TensorArg& out,
            const std::vector<int64_t>& dims);

}  // namespace cpu
}  // namespace fastdl
