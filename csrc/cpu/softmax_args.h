// Shape helpers and argument checks of the softmax / cross-entropy kernels, shared by
// the CPU (softmax.cpp) and CUDA (cuda/softmax.cu) versions.
#pragma once
#include <algorithm>
#include <string>

#include "../core/tensor_arg.h"

namespace fastdl {

// A contiguous tensor seen as (outer, L, inner) around the softmax dim.
struct Dims3 {
  int64_t outer = 1, L = 1, inner = 1;
};

inline Dims3 split_at(const TensorArg& t, int64_t dim) {
  Dims3 s;
  for (int d = 0; d < t.ndim(); ++d) {
    if (d < dim) s.outer *= t.shape[d];
    else if (d == dim) s.L = t.shape[d];
    else s.inner *= t.shape[d];
  }
  return s;
}

inline void check_dim(const char* op, const TensorArg& t, int64_t dim) {
  const int64_t nd = std::max(t.ndim(), 1);
  if (dim < 0 || dim >= nd)
    fail_value(std::string(op) + ": dim " + std::to_string(dim) + " out of range for " + describe(t));
}

inline void check_contiguous(const char* op, const char* what, const TensorArg& t) {
  if (!t.is_contiguous()) fail_value(std::string(op) + ": " + what + " must be contiguous, got " + describe(t));
}

}  // namespace fastdl
