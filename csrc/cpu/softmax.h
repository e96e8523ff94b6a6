// CPU softmax / log_softmax along one dim, their backward, and the fused
// log_softmax + NLL (cross-entropy) kernels.
#pragma once
#include <cstdint>
#include <optional>
#include "../core/tensor_arg.h"

namespace fastdl {
namespace cpu {

// out = softmax(x) or log_softmax(x) along dim. float32/float64; x any strides; out
// contiguous, same shape and dtype.
void softmax(const TensorArg& x, const TensorArg& out, int64_t dim, bool log);

// y is the forward OUTPUT. softmax: gx = y * (gy - sum(gy * y, dim));
// log_softmax: gx = gy - exp(y) * sum(gy, dim). y, gy any strides; gx contiguous.
void softmax_backward(const TensorArg& y, const TensorArg& grad_y, const TensorArg& grad_x,
                      int64_t dim, bool log);

// Per-sample cross-entropy of logits (N, C) (contiguous) against class indices
// target (N,) int64, with optional class weights (C,) and PyTorch's label smoothing:
//   loss_i = (1-eps) * (-w[t_i] logp[i,t_i]) + eps/C * sum_c (-w[c] logp[i,c]),
// 0 where t_i == ignore_index. lse_out (N,) keeps each row's log-sum-exp for backward.
void cross_entropy(const TensorArg& logits, const TensorArg& target, const std::optional<TensorArg>& weight,
                   const TensorArg& loss_out, const TensorArg& lse_out, int64_t ignore_index,
                   double label_smoothing);

// grad_logits (N, C) contiguous = grad_loss[i] * d loss_i / d logits[i, :].
void cross_entropy_backward(const TensorArg& logits, const TensorArg& target,
                            const std::optional<TensorArg>& weight, const TensorArg& lse,
                            const TensorArg& grad_loss, const TensorArg& grad_logits,
                            int64_t ignore_index, double label_smoothing);

}  // namespace cpu
}  // namespace fastdl
