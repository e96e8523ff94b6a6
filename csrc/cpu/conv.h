// CPU im2col / col2im for convolution (NCHW, PyTorch semantics). The GEMM with the
// weight happens in Python; these kernels do the index-heavy unfolding and its adjoint.
// Inputs may have any strides; outputs must be contiguous. Output sizes come from the
// out shape and are checked against conv_out_size (csrc/common/im2col.h).
#pragma once
#include <cstdint>
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

}  // namespace cpu
}  // namespace fastdl
