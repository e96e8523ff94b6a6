// CPU batch normalisation and layer normalisation, forward and backward, each fused
// into one or two passes over the data. Statistics accumulate in double.
#pragma once
#include <cstdint>
#include <optional>

#include "../core/tensor_arg.h"

namespace fastdl {
namespace cpu {

// Batch norm of x viewed as (N, C, S): dim 0 is the batch, dim 1 the channels, the
// rest (possibly none) is flattened into S. x and out contiguous, same shape/dtype;
// weight, bias, running_mean, running_var, save_mean, save_invstd are (C,) of x's
// dtype (running_* may be strided: they are updated in place).
// training: per-channel batch mean / biased variance normalise x; save_mean and
//   save_invstd = 1/sqrt(var + eps) receive them; running stats (when given) become
//   (1 - momentum) * running + momentum * batch, with the UNBIASED variance.
//   Fails unless each channel has more than one value (or none at all).
// eval: running_mean / running_var (required) normalise x; save_* receive them.
// out = (x - mean) * invstd * weight + bias, with weight 1 / bias 0 when absent.
void batch_norm(const TensorArg& x, const std::optional<TensorArg>& weight, const std::optional<TensorArg>& bias,
                const std::optional<TensorArg>& running_mean, const std::optional<TensorArg>& running_var,
                const TensorArg& out, const TensorArg& save_mean, const TensorArg& save_invstd, bool training,
                double momentum, double eps);

// Gradients of batch_norm given the forward's save_mean / save_invstd. grad_out and x
// contiguous (N, C, S); each output is optional and written (not accumulated).
// training: grad_x accounts for the batch statistics' dependence on x; eval: the
// statistics are constants and grad_x = grad_out * weight * invstd.
void batch_norm_backward(const TensorArg& grad_out, const TensorArg& x, const std::optional<TensorArg>& weight,
                         const TensorArg& save_mean, const TensorArg& save_invstd,
                         const std::optional<TensorArg>& grad_x, const std::optional<TensorArg>& grad_weight,
                         const std::optional<TensorArg>& grad_bias, bool training);

// Layer norm of x viewed as (M, D): M = prod(shape[:axis]) rows, D = prod(shape[axis:])
// normalised together. x, out contiguous; weight, bias (D elements, any shape)
// contiguous; mean, rstd (M elements) contiguous receive each row's mean and
// 1/sqrt(biased var + eps).
void layer_norm(const TensorArg& x, const std::optional<TensorArg>& weight, const std::optional<TensorArg>& bias,
                const TensorArg& out, const TensorArg& mean, const TensorArg& rstd, int64_t axis, double eps);

// Gradients of layer_norm given its mean / rstd. grad_out, x contiguous; outputs
// optional, contiguous, written (not accumulated).
void layer_norm_backward(const TensorArg& grad_out, const TensorArg& x, const TensorArg& mean,
                         const TensorArg& rstd, const std::optional<TensorArg>& weight,
                         const std::optional<TensorArg>& grad_x, const std::optional<TensorArg>& grad_weight,
                         const std::optional<TensorArg>& grad_bias, int64_t axis);

}  // namespace cpu
}  // namespace fastdl
