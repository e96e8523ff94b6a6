// Argument checks of linear(x, weight, bias, out) (contract in csrc/cpu/linear.h),
// shared by the CPU and CUDA kernels.
#pragma once
#include <optional>

#include "operand_check.h"

namespace fastdl {

void check_linear_args(const DeviceCheck& on_device, const TensorArg& x, const TensorArg& weight,
                       const std::optional<TensorArg>& bias, const TensorArg& out);

}  // namespace fastdl
