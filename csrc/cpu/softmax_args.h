// Shape helpers and argument checks of the softmax / cross-entropy kernels, shared by
// the CPU (softmax.cpp) and CUDA (cuda/softmax.cu) versions.
#pragma once
#include <algorithm>
#include <optional>
#include <string>

#include "../core/tensor_arg.h"
#include "operand_check.h"

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

// The checked arguments of the fused cross-entropy kernels.
struct CeArgs {
  int64_t N, C;
  const int64_t* target;
  int64_t tstride;
  double eps;
  int64_t ignore;
};

// logits 2-D (N, C) float and contiguous, target int64 [N], weight logits' dtype [C],
// label smoothing eps in [0, 1]; devices first (on_device). The target VALUES are
// checked by each backend (host loop / device scan) and reported with
// fail_target_out_of_bounds.
CeArgs check_cross_entropy_args(const char* op, const DeviceCheck& on_device, const TensorArg& logits,
                                const TensorArg& target, const std::optional<TensorArg>& weight,
                                int64_t ignore_index, double eps);
// A per-row vector (loss, lse, grad_loss): [n] of dtype dt on the kernel's device.
void check_row_vector(const char* op, const DeviceCheck& on_device, const char* what, const TensorArg& t,
                      int64_t n, DType dt);
// grad_logits: logits' shape and dtype, contiguous, on the kernel's device.
void check_grad_logits(const char* op, const DeviceCheck& on_device, const TensorArg& grad_logits,
                       const TensorArg& logits);
[[noreturn]] void fail_target_out_of_bounds(const char* op, int64_t target, int64_t classes);

}  // namespace fastdl
