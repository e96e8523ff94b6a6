// Argument checks of the conv kernels (contracts in csrc/cpu/conv.h), shared by the CPU
// and CUDA kernels so both reject the same inputs with the same messages: im2col /
// col2im (an image / column pair) and the whole-convolution drivers (an image, weight,
// output triple plus the optional bias vector).
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "../common/im2col.h"
#include "operand_check.h"

namespace fastdl {


// "kernel (kh, kw), stride (.., ..), padding (.., ..), dilation (.., ..)" for errors.
std::string conv_params_str(const ConvGeom& g);

// `img` is x (im2col) or x_grad (col2im); `img_is_out` says which of img / cols is
// the output, which must be contiguous.
ConvGeom check_conv_args(const char* op, const DeviceCheck& on_device, const TensorArg& img,
                         const TensorArg& cols, bool img_is_out, int64_t kh, int64_t kw, int64_t sh,
                         int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw);

// One grouped convolution as the drivers see it.
struct ConvProblem {
  ConvGeom g;
  int64_t O, groups, Cg, Og;
  int64_t K;       // column rows per group: Cg * kh * kw
  int64_t L;       // output positions per sample: OH * OW
  bool pointwise;  // 1x1, stride 1, no padding: the columns are the input itself
};

// The drivers' checks: x (any strides), w (O, C/groups, kh, kw) and y / gy (N, O, OH,
// OW) contiguous, of one floating dtype; bias (O,) any stride; gx and gb contiguous.
ConvProblem check_conv2d_forward_args(const DeviceCheck& on_device, const TensorArg& x, const TensorArg& w,
                                      const std::optional<TensorArg>& bias, const TensorArg& y, int64_t kh,
                                      int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh,
                                      int64_t dw, int64_t groups);
ConvProblem check_conv2d_input_grad_args(const DeviceCheck& on_device, const TensorArg& gy, const TensorArg& w,
                                         const TensorArg& gx, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                                         int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t groups);
ConvProblem check_conv2d_weight_grad_args(const DeviceCheck& on_device, const TensorArg& x, const TensorArg& gy,
                                          const TensorArg& gw, const std::optional<TensorArg>& gb, int64_t kh,
                                          int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh,
                                          int64_t dw, int64_t groups);

}  // namespace fastdl
