// Gradient norms for clip_grad_norm_: one call over a whole parameter list instead of
// five tensor ops per gradient (which dominated small RL models' training steps).
#pragma once
#include <vector>

#include "../core/tensor_arg.h"

namespace fastdl {
namespace cpu {

// Sum of squares of every element of every tensor, accumulated in double (the caller
// takes the square root). Each tensor: CPU, contiguous, float32 or float64.
double sum_squares_multi(const std::vector<TensorArg>& tensors);

}  // namespace cpu
}  // namespace fastdl
