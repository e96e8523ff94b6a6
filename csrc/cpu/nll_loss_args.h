// Argument checks of the nll_loss kernels, shared by the CPU (nll_loss.cpp) and CUDA
// (cuda/nll_loss.cu) versions: the reduction code and the output's shape for it.
#pragma once
#include <string>

#include "softmax_args.h"

namespace fastdl {

enum class NllReduction : int { None = 0, Mean = 1, Sum = 2 };

inline NllReduction checked_nll_reduction(const char* op, int64_t reduction) {
  if (reduction < 0 || reduction > 2) fail_value(std::string(op) + ": unknown reduction code " + std::to_string(reduction));
  return static_cast<NllReduction>(reduction);
}

// out (or grad): (n,) of dtype dt for None, 0-d of dt for Mean / Sum; on the kernel's device.
inline void check_nll_output(const char* op, const DeviceCheck& on_device, const char* what, const TensorArg& t,
                             NllReduction r, int64_t n, DType dt) {
  if (r == NllReduction::None) {
    check_row_vector(op, on_device, what, t, n, dt);
    return;
  }
  on_device(t);
  if (t.ndim() != 0) fail_value(std::string(op) + ": " + what + " must be 0-d for a reduced loss, got " + describe(t));
  check_dtype(op, t, dt);
}

}  // namespace fastdl
