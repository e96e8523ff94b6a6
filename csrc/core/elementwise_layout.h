// The layout of an elementwise op's new output: dense, in the memory order of its
// inputs' dims (common/dim_order.h, torch's rule), so x.t() + 1, x.t().exp() and
// ops on channels-last tensors keep their input's layout and run as one dense loop.
// Row-major wherever the inputs do not say otherwise (contiguous or broadcast inputs).
#pragma once
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "../common/dim_order.h"
#include "tensor_arg.h"

namespace fastdl {

// `inputs` are views of the output's `shape` (broadcast dims stride 0), the first
// deciding ties. Returns the output's element strides, or nothing for row-major.
inline std::vector<int64_t> elementwise_out_strides(const std::vector<int64_t>& shape,
                                                    std::initializer_list<const TensorArg*> inputs) {
  constexpr int kMaxInputs = 4;
  const int nd = static_cast<int>(shape.size());
  const int n = static_cast<int>(inputs.size());
  if (nd < 2 || nd > kMaxDims || n > kMaxInputs) return {};
  for (int64_t s : shape)
    if (s == 0) return {};
  int64_t strides[kMaxInputs][kMaxDims];
  for (int k = 0; k < n && k < kMaxInputs; ++k)
    for (int d = 0; d < nd && d < kMaxDims; ++d) strides[k][d] = inputs.begin()[k]->strides[d];
  int perm[kMaxDims];
  order_dims(nd, shape.data(), n, strides, perm);
  if (is_identity(nd, perm)) return {};
  std::vector<int64_t> out(nd);
  dense_strides_in_order(nd, shape.data(), perm, out.data());
  return out;
}

}  // namespace fastdl
