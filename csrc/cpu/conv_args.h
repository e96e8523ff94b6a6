// Argument checks of im2col / col2im (contract in csrc/cpu/conv.h), shared by the CPU
// and CUDA kernels: validates the image / column pair and derives the geometry.
#pragma once
#include <cstdint>
#include <string>

#include "operand_check.h"

namespace fastdl {

struct ConvGeom {
  int64_t N, C, H, W, OH, OW;
  int64_t kh, kw, sh, sw, ph, pw, dh, dw;
};

// `img` is x (im2col) or x_grad (col2im); `img_is_out` says which of img / cols is
// the output, which must be contiguous.
ConvGeom check_conv_args(const char* op, const DeviceCheck& on_device, const TensorArg& img,
                         const TensorArg& cols, bool img_is_out, int64_t kh, int64_t kw, int64_t sh,
                         int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw);

}  // namespace fastdl
