// The input gradient of a strided float32 convolution, and so conv_transpose2d's
// forward, as one stride-1 convolution per output phase (common/conv_phase.h) on the
// direct kernels (conv_direct.h): s_h * s_w small convolutions of gy with every s-th
// tap instead of a GEMM over all k_h * k_w taps and col2im's strided scatter-add.
#pragma once
#include "../core/tensor_arg.h"
#include "conv_args.h"

namespace fastdl {
namespace cpu {

// Whether the checked problem takes this path for float32 operands.
bool subpixel_input_grad_applies(const ConvProblem& p);

// conv2d_input_grad's contract (conv.h) for float32 operands and a problem it applies to.
void subpixel_input_grad(const ConvProblem& p, const TensorArg& gy, const TensorArg& w, const TensorArg& gx);

}  // namespace cpu
}  // namespace fastdl
