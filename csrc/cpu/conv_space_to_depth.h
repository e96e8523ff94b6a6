// The forward pass of a float32 convolution with a W stride above 1 on the direct
// kernels (conv_direct.h), which read 8 consecutive output columns from 8 consecutive
// inputs: each sample is split into its s_h * s_w input phases (space to depth,
// x'[c, a, b][m, l] = x[c, s_h m + a - p_h, s_w l + b - p_w]), over which the conv is a
// stride-1 one with ceil(k / s) taps per axis. Replaces the unfold + GEMM (or the
// batched GEMM) of strided layers such as DCGAN's k4 s2 down-sampling.
#pragma once
#include <optional>

#include "../core/tensor_arg.h"
#include "conv_args.h"

namespace fastdl {
namespace cpu {

// Whether the checked problem takes this path for float32 operands.
bool space_to_depth_forward_applies(const ConvProblem& p);

// conv2d_forward's contract (conv.h) for float32 operands and a problem it applies to.
void space_to_depth_forward(const ConvProblem& p, const TensorArg& x, const TensorArg& w,
                            const std::optional<TensorArg>& bias, const TensorArg& y);

}  // namespace cpu
}  // namespace fastdl
