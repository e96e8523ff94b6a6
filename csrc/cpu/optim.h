// Fused optimizer updates: one call updates one parameter tensor and its state
// buffers in place, following torch.optim's single-tensor formulas operation by
// operation (same order, scalars rounded to the tensor's dtype as torch does), so
// results match PyTorch to rounding. Every tensor must be on the CPU, contiguous,
// and have the parameter's shape and float dtype (float32 or float64).
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "../core/tensor_arg.h"

namespace fastdl {
namespace cpu {

// torch.optim.SGD. momentum_buffer is required when momentum != 0 and must be
// absent otherwise; init_buffer=true sets it to the (decayed) gradient, as torch
// does on the first step, instead of reading it.
void sgd_step(const TensorArg& param, const TensorArg& grad, const std::optional<TensorArg>& momentum_buffer,
              double lr, double momentum, double dampening, double weight_decay, bool nesterov, bool maximize,
              bool init_buffer);

// torch.optim.Adam / AdamW (decoupled=true). `step` is the step count after this
// update (>= 1); max_exp_avg_sq is required exactly when amsgrad.
void adam_step(const TensorArg& param, const TensorArg& grad, const TensorArg& exp_avg, const TensorArg& exp_avg_sq,
               const std::optional<TensorArg>& max_exp_avg_sq, int64_t step, double lr, double beta1, double beta2,
               double eps, double weight_decay, bool amsgrad, bool maximize, bool decoupled);

// adam_step over many parameters in one call (one group's hyperparameters, each
// parameter with its own step count): list i holds parameter i and its state;
// max_exp_avg_sqs is empty unless amsgrad. Bumps the version counter of every
// tensor it writes (param and state), as the Python in-place ops do.
void adam_step_multi(const std::vector<TensorArg>& params, const std::vector<TensorArg>& grads,
                     const std::vector<TensorArg>& exp_avgs, const std::vector<TensorArg>& exp_avg_sqs,
                     const std::vector<TensorArg>& max_exp_avg_sqs, const std::vector<int64_t>& steps, double lr,
                     double beta1, double beta2, double eps, double weight_decay, bool amsgrad, bool maximize,
                     bool decoupled);

// torch.optim.RMSprop. grad_avg is required exactly when centered, momentum_buffer
// exactly when momentum > 0.
void rmsprop_step(const TensorArg& param, const TensorArg& grad, const TensorArg& square_avg,
                  const std::optional<TensorArg>& grad_avg, const std::optional<TensorArg>& momentum_buffer,
                  double lr, double alpha, double eps, double weight_decay, double momentum, bool centered,
                  bool maximize);

}  // namespace cpu
}  // namespace fastdl
