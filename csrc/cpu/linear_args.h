// Argument checks of linear(x, weight, bias, out) and linear_backward (contracts in
// csrc/cpu/linear.h), shared by the CPU and CUDA kernels.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "operand_check.h"

namespace fastdl {

// The sizes of the layer: input (M, K), weight (N, K), out and grad (M, N).
struct LinearDims {
  int64_t M, N, K;
};

// `activation` must be "none", "relu", "tanh" or "sigmoid" (the fused epilogue).
LinearDims check_linear_args(const DeviceCheck& on_device, const TensorArg& x, const TensorArg& weight,
                             const std::optional<TensorArg>& bias, const TensorArg& out,
                             const std::string& activation);

LinearDims check_linear_backward_args(const DeviceCheck& on_device, const TensorArg& grad,
                                      const std::optional<TensorArg>& x, const std::optional<TensorArg>& weight,
                                      const std::optional<TensorArg>& grad_x,
                                      const std::optional<TensorArg>& grad_weight,
                                      const std::optional<TensorArg>& grad_bias);

}  // namespace fastdl
