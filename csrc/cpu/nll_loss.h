// Negative log-likelihood of log-probabilities in one kernel, reduction included: through
// the op chain (gather, squeeze, negate, sum, divide, each recorded) nll_loss took ~58 us
// on a (1, 59) input, torch ~2.4 us; char-level RNN tutorials call it once per character.
#pragma once
#include <cstdint>
#include <optional>

#include "../core/tensor_arg.h"

namespace fastdl {
namespace cpu {

// x (N, C) float, contiguous; target (N,) int64; weight (C,) of x's dtype or none.
// loss_i = -w[t_i] * x[i, t_i], 0 where t_i == ignore_index; a target outside [0, C)
// that is not ignore_index raises IndexError before anything is written.
// reduction: 0 none, 1 mean, 2 sum (NllReduction, nll_loss_args.h).
// out: (N,) per-sample losses for None; 0-d for Sum (sum of losses) and Mean (that sum
// over the total weight of the counted targets; 0 / 0 = NaN when all are ignored, as
// torch). Sums run in double, rounded once. Returns that total weight.
double nll_loss(const TensorArg& x, const TensorArg& target, const std::optional<TensorArg>& weight,
                const TensorArg& out, int64_t ignore_index, int64_t reduction);

// grad_x (N, C) contiguous, x's dtype: 0 except grad_x[i, t_i] = -w[t_i] * g_i, with
// g_i = grad[i] (None: grad (N,) any strides) or grad / total_weight (Mean) or grad
// (Sum; grad 0-d).
void nll_loss_backward(const TensorArg& target, const std::optional<TensorArg>& weight, const TensorArg& grad,
                       const TensorArg& grad_x, int64_t ignore_index, int64_t reduction, double total_weight);

}  // namespace cpu
}  // namespace fastdl
