#include "conv_args.h"

#include "../common/im2col.h"

namespace fastdl {

namespace {

std::string params_str(const ConvGeom& g) {
  auto pair = [](int64_t a, int64_t b) { return "(" + std::to_string(a) + ", " + std::to_string(b) + ")"; };
  return "kernel " + pair(g.kh, g.kw) + ", stride " + pair(g.sh, g.sw) + ", padding " + pair(g.ph, g.pw) +
         ", dilation " + pair(g.dh, g.dw);
}

}  // namespace

ConvGeom check_conv_args(const char* op, const DeviceCheck& on_device, const TensorArg& img,
                         const TensorArg& cols, bool img_is_out, int64_t kh, int64_t kw, int64_t sh,
                         int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw) {
  const std::string o(op);
  on_device(img);
  on_device(cols);
  if (!is_floating(img.dtype)) fail_type(o + ": expected float32 or float64, got " + describe(img));
  check_dtype(op, cols, img.dtype);
  if (img.ndim() != 4) fail_value(o + ": expected a 4-D (N, C, H, W) image, got " + describe(img));
  if (cols.ndim() != 3) fail_value(o + ": expected 3-D (N, C*kh*kw, OH*OW) columns, got " + describe(cols));
  if (kh < 1 || kw < 1 || sh < 1 || sw < 1 || dh < 1 || dw < 1 || ph < 0 || pw < 0)
    fail_value(o + ": kernel, stride and dilation must be >= 1 and padding >= 0");
  ConvGeom g{img.shape[0], img.shape[1], img.shape[2], img.shape[3], 0, 0, kh, kw, sh, sw, ph, pw, dh, dw};
  g.OH = conv_out_size(g.H, kh, sh, ph, dh);
  g.OW = conv_out_size(g.W, kw, sw, pw, dw);
  if (g.OH < 0 || g.OW < 0 || cols.shape[0] != g.N || cols.shape[1] != g.C * kh * kw ||
      cols.shape[2] != g.OH * g.OW)
    fail_value(o + ": columns " + describe(cols) + " do not match image " + describe(img) + " with " +
               params_str(g) + ": expected [" + std::to_string(g.N) + ", " + std::to_string(g.C * kh * kw) +
               ", " + std::to_string(g.OH) + "*" + std::to_string(g.OW) + "]");
  // Empty views count as contiguous whatever their strides (NumPy gives them 0).
  const TensorArg& out = img_is_out ? img : cols;
  if (out.numel() > 0 && !out.is_contiguous()) fail_value(o + ": output " + describe(out) + " must be contiguous");
  return g;
}

}  // namespace fastdl
