// Argument checks of the fused optimizer steps (contracts in csrc/cpu/optim.h), shared
// by the CPU and CUDA kernels: every tensor looks exactly like the parameter
// (contiguous, same shape and float dtype) and none shares memory with another.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "operand_check.h"

namespace fastdl {

using OptState = std::optional<TensorArg>;

void check_sgd_args(const DeviceCheck& on_device, const TensorArg& param, const TensorArg& grad,
                    const OptState& momentum_buffer, double momentum, bool nesterov);

// op is "adam_step" (adam_step_multi checks each parameter under that name too).
void check_adam_args(const DeviceCheck& on_device, const TensorArg& param, const TensorArg& grad,
                     const TensorArg& exp_avg, const TensorArg& exp_avg_sq, const OptState& max_exp_avg_sq,
                     int64_t step, bool amsgrad);

// Adam's per-step scalars, in double as torch computes them in Python: the step size
// lr / (1 - beta1^step), sqrt(1 - beta2^step), and the decoupled (AdamW) decay factor
// 1 - lr * weight_decay (exactly 1 when off, which leaves p unchanged).
struct AdamStepScalars {
  double step_size, bias_correction2_sqrt, decay;
};
AdamStepScalars adam_step_scalars(int64_t step, double lr, double beta1, double beta2, double weight_decay,
                                  bool decoupled);

void check_rmsprop_args(const DeviceCheck& on_device, const TensorArg& param, const TensorArg& grad,
                        const TensorArg& square_avg, const OptState& grad_avg, const OptState& momentum_buffer,
                        double momentum, bool centered);

// adam_step_multi on either backend: checks that the lists agree, then for each
// parameter i calls adam_step with its tensors and steps[i] (that call checks them)
// and bumps the version counter of every tensor it wrote, as the Python in-place
// ops do.
using AdamStepFn = std::function<void(const TensorArg& param, const TensorArg& grad, const TensorArg& exp_avg,
                                      const TensorArg& exp_avg_sq, const OptState& max_exp_avg_sq, int64_t step)>;
void adam_step_each(const std::vector<TensorArg>& params, const std::vector<TensorArg>& grads,
                    const std::vector<TensorArg>& exp_avgs, const std::vector<TensorArg>& exp_avg_sqs,
                    const std::vector<TensorArg>& max_exp_avg_sqs, const std::vector<int64_t>& steps, bool amsgrad,
                    const AdamStepFn& adam_step);

}  // namespace fastdl
