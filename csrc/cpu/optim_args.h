// Argument checks of the fused optimizer steps (contracts in csrc/cpu/optim.h), shared
// by the CPU and CUDA kernels: every tensor looks exactly like the parameter
// (contiguous, same shape and float dtype) and none shares memory with another.
#pragma once
#include <initializer_list>
#include <optional>
#include <utility>

#include "operand_check.h"

namespace fastdl {

// `required` tensors must be present; each optional one must be given exactly when
// its condition holds (`when` names the condition in the error).
struct OptionalState {
  const char* name;
  const std::optional<TensorArg>* t;
  bool wanted;
  const char* when;
};

void check_optim_args(const char* op, const DeviceCheck& on_device, const TensorArg& param,
                      std::initializer_list<std::pair<const char*, const TensorArg*>> required,
                      std::initializer_list<OptionalState> optional);

}  // namespace fastdl
