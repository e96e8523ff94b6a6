// Argument checks of batch_norm / layer_norm and their backward (contracts in
// csrc/cpu/norm.h), shared by the CPU and CUDA kernels. Each returns the view of x
// the kernel works on.
#pragma once
#include <cstdint>
#include <optional>

#include "operand_check.h"

namespace fastdl {

using OptArg = std::optional<TensorArg>;

// Batch norm: contiguous x seen as (N, C, S).
struct NCS {
  int64_t N = 0, C = 0, S = 1;
  int64_t count() const { return N * S; }  // values per channel
};
// Layer norm: contiguous x seen as (M, D).
struct MD {
  int64_t M = 1, D = 1;
};

NCS check_batch_norm_args(const DeviceCheck& on_device, const TensorArg& x, const OptArg& weight,
                          const OptArg& bias, const OptArg& running_mean, const OptArg& running_var,
                          const TensorArg& out, const TensorArg& save_mean, const TensorArg& save_invstd,
                          bool training, double eps);
NCS check_batch_norm_backward_args(const DeviceCheck& on_device, const TensorArg& grad_out, const TensorArg& x,
                                   const OptArg& weight, const TensorArg& save_mean, const TensorArg& save_invstd,
                                   const OptArg& grad_x, const OptArg& grad_weight, const OptArg& grad_bias);
MD check_layer_norm_args(const DeviceCheck& on_device, const TensorArg& x, const OptArg& weight,
                         const OptArg& bias, const TensorArg& out, const TensorArg& mean, const TensorArg& rstd,
                         int64_t axis, double eps);
MD check_layer_norm_backward_args(const DeviceCheck& on_device, const TensorArg& grad_out, const TensorArg& x,
                                  const TensorArg& mean, const TensorArg& rstd, const OptArg& weight,
                                  const OptArg& grad_x, const OptArg& grad_weight, const OptArg& grad_bias,
                                  int64_t axis);

}  // namespace fastdl
