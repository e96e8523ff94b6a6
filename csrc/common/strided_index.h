// Index math for strided N-d views, shared by the CPU and CUDA elementwise kernels.
#pragma once
#include <cstdint>
#include "hd.h"

namespace fastdl {

constexpr int kMaxDims = 16;

// Element offset of the linear (row-major) index `linear` in a view with the given
// shape and strides (strides in elements; 0 for broadcast dimensions).
FASTDL_HD int64_t strided_offset(int64_t linear, int ndim, const int64_t* shape,
                                 const int64_t* strides) {
  int64_t off = 0;
  for (int d = ndim - 1; d >= 0; --d) {
    int64_t idx = linear % shape[d];
    linear /= shape[d];
    off += idx * strides[d];
  }
  return off;
}

// Merges adjacent dimensions that every operand walks contiguously, in place, so
// that the innermost loop is as long as possible. strides is [nops][kMaxDims].
// Returns the new number of dimensions (at least 1).
FASTDL_HD int collapse_dims(int ndim, int64_t* shape, int nops, int64_t (*strides)[kMaxDims]) {
  if (ndim == 0) {
    shape[0] = 1;
    for (int k = 0; k < nops; ++k) strides[k][0] = 0;
    return 1;
  }
  int out = 0;
  for (int d = 1; d < ndim; ++d) {
    if (shape[d] == 1) continue;  // contributes nothing to any offset
    if (shape[out] == 1) {        // replace a leading size-1 dim
      shape[out] = shape[d];
      for (int k = 0; k < nops; ++k) strides[k][out] = strides[k][d];
      continue;
    }
    bool merge = true;
    for (int k = 0; k < nops; ++k)
      if (strides[k][out] != strides[k][d] * shape[d]) merge = false;
    if (merge) {
      shape[out] *= shape[d];
      for (int k = 0; k < nops; ++k) strides[k][out] = strides[k][d];
    } else {
      ++out;
      shape[out] = shape[d];
      for (int k = 0; k < nops; ++k) strides[k][out] = strides[k][d];
    }
  }
  return out + 1;
}

}  // namespace fastdl
