// Index math of im2col / col2im (NCHW, PyTorch conv semantics), shared by the CPU
// kernels (csrc/cpu/conv.cpp) and the CUDA kernels so both agree on output sizes, the
// column-row layout and which taps fall in the padding. The CUDA im2col and the
// implicit-GEMM convolution (which reads the column matrix without materialising it)
// both read x through im2col_source.
#pragma once
#include <cstdint>
#include "hd.h"

namespace fastdl {

// One conv2d's geometry: N images of C x H x W, a kh x kw kernel with stride, padding
// and dilation, giving OH x OW outputs. Plain data: CUDA kernels take it by value.
struct ConvGeom {
  int64_t N, C, H, W, OH, OW;
  int64_t kh, kw, sh, sw, ph, pw, dh, dw;
};

// Element strides of an NCHW image tensor.
struct ImageStrides {
  int64_t n, c, h, w;
};

// floor(a / b) for b > 0 (C++ division truncates toward zero).
FASTDL_HD int64_t win_floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}
FASTDL_HD int64_t win_ceil_div(int64_t a, int64_t b) { return -win_floor_div(-a, b); }

// Output length of a convolution along one axis: floor((in + 2p - d(k-1) - 1) / s) + 1.
// May be <= 0 when the (dilated) kernel does not fit in the padded input.
FASTDL_HD int64_t conv_out_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d) {
  return win_floor_div(in + 2 * p - d * (k - 1) - 1, s) + 1;
}

// Input coordinate read by output position o through kernel tap t along one axis.
FASTDL_HD int64_t conv_in_coord(int64_t o, int64_t t, int64_t s, int64_t p, int64_t d) {
  return o * s - p + t * d;
}

// Row of the column matrix holding tap (i, j) of channel c: c*kh*kw + i*kw + j, the
// order of a (Cout, Cin, kh, kw) weight flattened to (Cout, Cin*kh*kw).
FASTDL_HD int64_t im2col_row(int64_t c, int64_t i, int64_t j, int64_t kh, int64_t kw) {
  return (c * kh + i) * kw + j;
}
FASTDL_HD void im2col_row_split(int64_t row, int64_t kh, int64_t kw, int64_t* c, int64_t* i, int64_t* j) {
  *j = row % kw;
  *i = (row / kw) % kh;
  *c = row / (kw * kh);
}

// The output positions o in [*lo, *hi) whose tap t reads inside the input
// (0 <= o*s - p + t*d < in); outside it the tap reads padding (zero). Lets the CPU
// loops copy the valid middle of a row without per-element bounds checks.
FASTDL_HD void conv_valid_range(int64_t in, int64_t out, int64_t t, int64_t s, int64_t p, int64_t d,
                                int64_t* lo, int64_t* hi) {
  const int64_t off = t * d - p;  // coord = o*s + off
  int64_t a = win_ceil_div(-off, s);
  int64_t b = win_ceil_div(in - off, s);
  a = a < 0 ? 0 : (a > out ? out : a);
  b = b < a ? a : (b > out ? out : b);
  *lo = a;
  *hi = b;
}

// Where the column matrix of image n reads x: entry (row r, column l) with r split
// into its tap (c, i, j) by im2col_row_split and l = oh * OW + ow. False when the tap
// falls in the padding (the entry is zero); else true with *offset the element offset
// into x (negative strides make negative offsets valid, hence the separate flag).
// im2col_source_at takes the split row and column, so a kernel that walks several
// columns per row (the implicit GEMM) splits each once.
FASTDL_HD bool im2col_source_at(const ConvGeom& g, const ImageStrides& s, int64_t n, int64_t c, int64_t i,
                                int64_t j, int64_t oh, int64_t ow, int64_t* offset) {
  const int64_t ih = conv_in_coord(oh, i, g.sh, g.ph, g.dh);
  const int64_t iw = conv_in_coord(ow, j, g.sw, g.pw, g.dw);
  if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) return false;
  *offset = n * s.n + c * s.c + ih * s.h + iw * s.w;
  return true;
}
FASTDL_HD bool im2col_source(const ConvGeom& g, const ImageStrides& s, int64_t n, int64_t r, int64_t l,
                             int64_t* offset) {
  int64_t c, i, j;
  im2col_row_split(r, g.kh, g.kw, &c, &i, &j);
  return im2col_source_at(g, s, n, c, i, j, l / g.OW, l % g.OW, offset);
}

}  // namespace fastdl
