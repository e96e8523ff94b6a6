// Convolutions whose images have few output positions (DCGAN's 1x1 to 4x4 maps, the
// digits CNN's 4x4 ones, MNIST-1D's short rows): one GEMM over the columns of
// many images at once instead of one per image. Per image the GEMM's N dimension is
// OH*OW (1 to 32 here), too narrow for the micro-kernel and too small to thread; over
// the batch it is N*OH*OW. Costs a gather/scatter of the (small) outputs between the
// GEMM's (channels, images x positions) layout and NCHW.
#pragma once
#include <optional>

#include "../core/tensor_arg.h"
#include "conv_args.h"

namespace fastdl {
namespace cpu {

// Whether the batched path is the one to take for this checked problem.
bool conv_batched_applies(const ConvProblem& p);

// The contracts of conv2d_forward / conv2d_input_grad / conv2d_weight_grad (conv.h),
// for checked operands and a problem conv_batched_applies to; float32 or float64.
void conv2d_forward_batched(const ConvProblem& p, const TensorArg& x, const TensorArg& w,
                            const std::optional<TensorArg>& bias, const TensorArg& y);
void conv2d_input_grad_batched(const ConvProblem& p, const TensorArg& gy, const TensorArg& w, const TensorArg& gx);
void conv2d_weight_grad_batched(const ConvProblem& p, const TensorArg& x, const TensorArg& gy, const TensorArg& gw,
                                const std::optional<TensorArg>& gb);

}  // namespace cpu
}  // namespace fastdl
