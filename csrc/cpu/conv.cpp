#include "conv.h"

#include <algorithm>
#include <string>

#include "../common/im2col.h"
#include "../core/parallel.h"
#include "conv_unfold.h"

namespace fastdl {
namespace cpu {

std::string conv_params_str(const ConvGeom& g) {
  auto pair = [](int64_t a, int64_t b) { return "(" + std::to_string(a) + ", " + std::to_string(b) + ")"; };
  return "kernel " + pair(g.kh, g.kw) + ", stride " + pair(g.sh, g.sw) + ", padding " + pair(g.ph, g.pw) +
         ", dilation " + pair(g.dh, g.dw);
}

namespace {

// Validates the image / column pair of im2col or col2im and derives the geometry.
// `img` is x (im2col) or x_grad (col2im); `img_is_out` says which one must be contiguous.
ConvGeom check_conv(const char* op, const TensorArg& img, const TensorArg& cols, bool img_is_out,
                    int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh,
                    int64_t dw) {
  const std::string o(op);
  check_cpu(op, img);
  check_cpu(op, cols);
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
               conv_params_str(g) + ": expected [" + std::to_string(g.N) + ", " + std::to_string(g.C * kh * kw) +
               ", " + std::to_string(g.OH) + "*" + std::to_string(g.OW) + "]");
  // Empty views count as contiguous whatever their strides (NumPy gives them 0).
  const TensorArg& out = img_is_out ? img : cols;
  if (out.numel() > 0 && !out.is_contiguous()) fail_value(o + ": output " + describe(out) + " must be contiguous");
  return g;
}

template <typename T>
void im2col_impl(const TensorArg& x, const TensorArg& cols, const ConvGeom& g) {
  const T* xb = x.data<T>();
  T* cb = cols.data<T>();
  const int64_t K = g.C * g.kh * g.kw, L = g.OH * g.OW;
  // One task per column row: each is a contiguous L-long output, so even N = C = 1
  // (the first layer of a small net) splits across threads.
  parallel_for(g.N * K, L, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t n = r / K;
      int64_t c, i, j;
      im2col_row_split(r % K, g.kh, g.kw, &c, &i, &j);
      unfold_row(xb + n * x.strides[0] + c * x.strides[1], x.strides[2], x.strides[3], g, i, j, 0, g.OH,
                 cb + r * L);
    }
  });
}

template <typename T>
void col2im_impl(const TensorArg& cols, const TensorArg& xg, const ConvGeom& g) {
  const T* cb = cols.data<T>();
  T* gb = xg.data<T>();
  const int64_t HW = g.H * g.W;
  // One task per (n, c) plane: every column entry of a plane lands in that plane
  // only, so threads never add into the same element.
  parallel_for(g.N * g.C, g.kh * g.kw * g.OH * g.OW, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t n = p / g.C, c = p % g.C;
      T* plane = gb + p * HW;
      std::fill(plane, plane + HW, T(0));
      for (int64_t i = 0; i < g.kh; ++i)
        for (int64_t j = 0; j < g.kw; ++j)
          fold_row_add(cb + n * cols.strides[0] + im2col_row(c, i, j, g.kh, g.kw) * cols.strides[1],
                       cols.strides[2], g, i, j, 0, g.OH, plane);
    }
  });
}

}  // namespace

void im2col(const TensorArg& x, const TensorArg& cols, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
            int64_t ph, int64_t pw, int64_t dh, int64_t dw) {
  const ConvGeom g = check_conv("im2col", x, cols, false, kh, kw, sh, sw, ph, pw, dh, dw);
  if (cols.numel() == 0) return;
  FASTDL_DISPATCH_FLOAT(x.dtype, "im2col", [&] { im2col_impl<scalar_t>(x, cols, g); })
}

void col2im(const TensorArg& cols, const TensorArg& x_grad, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
            int64_t ph, int64_t pw, int64_t dh, int64_t dw) {
  const ConvGeom g = check_conv("col2im", x_grad, cols, true, kh, kw, sh, sw, ph, pw, dh, dw);
  if (x_grad.numel() == 0) return;
  FASTDL_DISPATCH_FLOAT(x_grad.dtype, "col2im", [&] { col2im_impl<scalar_t>(cols, x_grad, g); })
}

}  // namespace cpu
}  // namespace fastdl
