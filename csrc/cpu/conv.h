// CPU convolution (NCHW, PyTorch semantics): im2col / col2im (the unfolding and its
// adjoint; the CUDA drivers are built from their CUDA versions) and the drivers below,
// which run whole conv2d passes (python/fastdl/nn/functional/conv.py calls them on
// every device; their argument checks are shared with CUDA in conv_args.h).
// Inputs may have any strides; outputs must be contiguous. Output sizes come from the
// out shape and are checked against conv_out_size (csrc/common/im2col.h).
#pragma once
#include <cstdint>
#include <optional>
#include "../core/tensor_arg.h"

namespace fastdl {
namespace cpu {

// cols[n, c*kh*kw + i*kw + j, oh*OW + ow] = x[n, c, oh*sh - ph + i*dh, ow*sw - pw + j*dw]
// (zero where that is padding). x: (N, C, H, W); cols: (N, C*kh*kw, OH*OW), contiguous.
void im2col(const TensorArg& x, const TensorArg& cols, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
            int64_t ph, int64_t pw, int64_t dh, int64_t dw);

// The adjoint of im2col: x_grad (contiguous, overwritten) = sum of the column entries
// that read each input position.
void col2im(const TensorArg& cols, const TensorArg& x_grad, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
            int64_t ph, int64_t pw, int64_t dh, int64_t dw);

// Whole-convolution drivers (conv_driver.cpp) for conv2d / conv_transpose2d on the
// CPU: each sample is unfolded a band of output rows at a time into a per-thread
// column buffer (bounded, reused across calls) and multiplied by the weight with the
// serial gemm, samples split across threads. float32 layers with few taps per group
// (forward and weight grad) skip the unfold and the gemm with AVX2 (conv_direct.h).
// x may have any strides; w (O, C/groups, kh, kw), y / gy (N, O, OH, OW), gx and gw
// are contiguous; outputs are overwritten.

// y = conv2d(x, w) + bias (bias: (O,), any stride).
void conv2d_forward(const TensorArg& x, const TensorArg& w, const std::optional<TensorArg>& bias,
                    const TensorArg& y, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
                    int64_t dh, int64_t dw, int64_t groups);

// gx = the gradient of conv2d w.r.t. its input x (N, C, H, W), given gy.
void conv2d_input_grad(const TensorArg& gy, const TensorArg& w, const TensorArg& gx, int64_t kh, int64_t kw,
                       int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t groups);

// gw = the gradient of conv2d w.r.t. w; gb (optional, (O,) contiguous) = gy summed
// over N, OH, OW. Per-thread partial sums are added in a fixed order: the result
// depends on the thread count only, never on timing.
void conv2d_weight_grad(const TensorArg& x, const TensorArg& gy, const TensorArg& gw,
                        const std::optional<TensorArg>& gb, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                        int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t groups);

}  // namespace cpu
}  // namespace fastdl
