// Index math of im2col / col2im (NCHW, PyTorch conv semantics), shared by the CPU
// kernels (csrc/cpu/conv.cpp) and the CUDA kernels so both agree on output sizes, the
// column-row layout and which taps fall in the padding.
#pragma once
#include <cstdint>
#include "hd.h"

namespace fastdl {

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

}  // namespace fastdl
