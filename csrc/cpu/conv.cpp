#include "conv.h"

#include <algorithm>

#include "../common/im2col.h"
#include "../core/parallel.h"
#include "conv_unfold.h"

namespace fastdl {
namespace cpu {

namespace {

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
  const ConvGeom g = check_conv_args("im2col", on_cpu("im2col"), x, cols, false, kh, kw, sh, sw, ph, pw, dh, dw);
  if (cols.numel() == 0) return;
  FASTDL_DISPATCH_FLOAT(x.dtype, "im2col", [&] { im2col_impl<scalar_t>(x, cols, g); })
}

void col2im(const TensorArg& cols, const TensorArg& x_grad, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
            int64_t ph, int64_t pw, int64_t dh, int64_t dw) {
  const ConvGeom g = check_conv_args("col2im", on_cpu("col2im"), x_grad, cols, true, kh, kw, sh, sw, ph, pw, dh, dw);
  if (x_grad.numel() == 0) return;
  FASTDL_DISPATCH_FLOAT(x_grad.dtype, "col2im", [&] { col2im_impl<scalar_t>(cols, x_grad, g); })
}

}  // namespace cpu
}  // namespace fastdl
