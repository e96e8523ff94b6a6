// torch.flip's kernel. Contract of both backends (CUDA: cuda/flip.cu):
//   flip(x, out, dims): out (contiguous, x's shape and dtype) = x reversed along each
//   dim in dims (distinct, normalised to [0, ndim)); x any strides, any dtype.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "../core/errors.h"
#include "../core/tensor_arg.h"

namespace fastdl {
namespace cpu {

void flip(const TensorArg& x, const TensorArg& out, const std::vector<int64_t>& dims);

}  // namespace cpu

// The checks both backends run (device checks are their own); returns the dims as a bit mask.
inline uint32_t flip_mask(const TensorArg& x, const TensorArg& out, const std::vector<int64_t>& dims) {
  const char* op = "flip";
  check_same_shape(op, x, out);
  check_dtype(op, out, x.dtype);
  if (!out.is_contiguous()) fail_value(std::string(op) + ": out must be contiguous, got " + describe(out));
  if (x.ndim() > 16) fail_value(std::string(op) + ": more than 16 dimensions: " + describe(x));
  uint32_t mask = 0;
  for (int64_t d : dims) {
    if (d < 0 || d >= x.ndim() || ((mask >> d) & 1u))
      fail_index(std::string(op) + ": dims must be distinct and in [0, " + std::to_string(x.ndim()) + "), got " +
                 std::to_string(d) + " for " + describe(x));
    mask |= 1u << d;
  }
  return mask;
}

}  // namespace fastdl
