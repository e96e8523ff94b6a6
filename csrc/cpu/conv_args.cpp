#include "conv_args.h"

#include <vector>

#include "../common/im2col.h"

namespace fastdl {

namespace {

void check_floating(const std::string& op, const TensorArg& t) {
  if (!is_floating(t.dtype)) fail_type(op + ": expected float32 or float64, got " + describe(t));
}

void check_params(const std::string& op, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
                  int64_t dh, int64_t dw) {
  if (kh < 1 || kw < 1 || sh < 1 || sw < 1 || dh < 1 || dw < 1 || ph < 0 || pw < 0)
    fail_value(op + ": kernel, stride and dilation must be >= 1 and padding >= 0");
}

// The geometry of an (N, C, H, W) image; OH / OW may come out negative (checked by the caller).
ConvGeom image_geom(const TensorArg& img, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
                    int64_t dh, int64_t dw) {
  ConvGeom g{img.shape[0], img.shape[1], img.shape[2], img.shape[3], 0, 0, kh, kw, sh, sw, ph, pw, dh, dw};
  g.OH = conv_out_size(g.H, kh, sh, ph, dh);
  g.OW = conv_out_size(g.W, kw, sw, pw, dw);
  return g;
}

// An (image, weight, output-shaped) triple of a driver. `img` is x (forward, weight
// grad) or gx (input grad); `outs` is y or gy.
ConvProblem check_problem(const char* op, const DeviceCheck& on_device, const TensorArg& img, const TensorArg& w,
                          const TensorArg& outs, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                          int64_t pw, int64_t dh, int64_t dw, int64_t groups) {
  const std::string o(op);
  for (const TensorArg* t : {&img, &w, &outs}) on_device(*t);
  check_floating(o, img);
  check_dtype(op, w, img.dtype);
  check_dtype(op, outs, img.dtype);
  if (img.ndim() != 4 || w.ndim() != 4 || outs.ndim() != 4)
    fail_value(o + ": expected 4-D image, weight and output, got " + describe(img) + ", " + describe(w) + ", " +
               describe(outs));
  check_params(o, kh, kw, sh, sw, ph, pw, dh, dw);
  if (groups < 1) fail_value(o + ": groups must be >= 1, got " + std::to_string(groups));
  ConvProblem p;
  p.g = image_geom(img, kh, kw, sh, sw, ph, pw, dh, dw);
  p.O = w.shape[0];
  p.groups = groups;
  if (p.O % groups || p.g.C != w.shape[1] * groups || w.shape[2] != kh || w.shape[3] != kw)
    fail_value(o + ": weight " + describe(w) + " does not fit image " + describe(img) + " with groups " +
               std::to_string(groups) + " and kernel (" + std::to_string(kh) + ", " + std::to_string(kw) + ")");
  if (p.g.OH < 0 || p.g.OW < 0 || outs.shape != std::vector<int64_t>{p.g.N, p.O, p.g.OH, p.g.OW})
    fail_value(o + ": output " + describe(outs) + " does not match image " + describe(img) + " and weight " +
               describe(w) + " with " + conv_params_str(p.g));
  if (!w.is_contiguous() || !outs.is_contiguous())
    fail_value(o + ": weight " + describe(w) + " and output " + describe(outs) + " must be contiguous");
  p.Cg = w.shape[1];
  p.Og = p.O / groups;
  p.K = p.Cg * kh * kw;
  p.L = p.g.OH * p.g.OW;
  p.pointwise = kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0;
  return p;
}

// bias (any stride) or the bias gradient (contiguous): an (O,) vector of the problem's dtype.
void check_vector(const char* op, const DeviceCheck& on_device, const char* what, const TensorArg& v,
                  const ConvProblem& p, DType dtype, bool contiguous) {
  on_device(v);
  check_dtype(op, v, dtype);
  if (v.shape != std::vector<int64_t>{p.O} || (contiguous && !v.is_contiguous()))
    fail_value(std::string(op) + ": " + what + " " + describe(v) + " must be " +
               (contiguous ? "a contiguous " : "") + "[" + std::to_string(p.O) + "] vector");
}

}  // namespace

std::string conv_params_str(const ConvGeom& g) {
  auto pair = [](int64_t a, int64_t b) { return "(" + std::to_string(a) + ", " + std::to_string(b) + ")"; };
  return "kernel " + pair(g.kh, g.kw) + ", stride " + pair(g.sh, g.sw) + ", padding " + pair(g.ph, g.pw) +
         ", dilation " + pair(g.dh, g.dw);
}

ConvGeom check_conv_args(const char* op, const DeviceCheck& on_device, const TensorArg& img,
                         const TensorArg& cols, bool img_is_out, int64_t kh, int64_t kw, int64_t sh,
                         int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw) {
  const std::string o(op);
  on_device(img);
  on_device(cols);
  check_floating(o, img);
  check_dtype(op, cols, img.dtype);
  if (img.ndim() != 4) fail_value(o + ": expected a 4-D (N, C, H, W) image, got " + describe(img));
  if (cols.ndim() != 3) fail_value(o + ": expected 3-D (N, C*kh*kw, OH*OW) columns, got " + describe(cols));
  check_params(o, kh, kw, sh, sw, ph, pw, dh, dw);
  const ConvGeom g = image_geom(img, kh, kw, sh, sw, ph, pw, dh, dw);
  if (g.OH < 0 || g.OW < 0 || cols.shape[0] != g.N || cols.shape[1] != g.C * kh * kw ||
      cols.shape[2] != g.OH * g.OW)
    fail_value(o + ": columns " + describe(cols) + " do not match image " + describe(img) + " with " +
               conv_params_str(g) + ": expected [" + std::to_string(g.N) + ", " + std::to_string(g.C * kh * kw) +
               ", " + std::to_string(g.OH) + "*" + std::to_string(g.OW) + "]");
  // Empty views count as contiguous whatever their strides (NumPy gives them 0).
  const TensorArg& out = img_is_out ? img : cols;
  if (out.numel() > 0 && !out.is_contiguous()) fail_value(o + ": output " + describe(out) + " must be contiguous");
  return g;
}

ConvProblem check_conv2d_forward_args(const DeviceCheck& on_device, const TensorArg& x, const TensorArg& w,
                                      const std::optional<TensorArg>& bias, const TensorArg& y, int64_t kh,
                                      int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh,
                                      int64_t dw, int64_t groups) {
  const char* op = "conv2d_forward";
  const ConvProblem p = check_problem(op, on_device, x, w, y, kh, kw, sh, sw, ph, pw, dh, dw, groups);
  if (bias) check_vector(op, on_device, "bias", *bias, p, x.dtype, false);
  return p;
}

ConvProblem check_conv2d_input_grad_args(const DeviceCheck& on_device, const TensorArg& gy, const TensorArg& w,
                                         const TensorArg& gx, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                                         int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t groups) {
  const char* op = "conv2d_input_grad";
  const ConvProblem p = check_problem(op, on_device, gx, w, gy, kh, kw, sh, sw, ph, pw, dh, dw, groups);
  if (!gx.is_contiguous()) fail_value(std::string(op) + ": output " + describe(gx) + " must be contiguous");
  return p;
}

ConvProblem check_conv2d_weight_grad_args(const DeviceCheck& on_device, const TensorArg& x, const TensorArg& gy,
                                          const TensorArg& gw, const std::optional<TensorArg>& gb, int64_t kh,
                                          int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh,
                                          int64_t dw, int64_t groups) {
  const char* op = "conv2d_weight_grad";
  const ConvProblem p = check_problem(op, on_device, x, gw, gy, kh, kw, sh, sw, ph, pw, dh, dw, groups);
  if (gb) check_vector(op, on_device, "bias gradient", *gb, p, x.dtype, true);
  return p;
}

}  // namespace fastdl
