// Window math of max / avg / adaptive-avg pooling (NCHW, PyTorch semantics), one
// axis at a time, shared by the CPU kernels (csrc/cpu/pool.cpp) and the CUDA kernels.
#pragma once
#include <cstdint>
#include "hd.h"
#include "im2col.h"  // win_floor_div, win_ceil_div

namespace fastdl {

// PyTorch's pooling_output_shape: floor or ceil of (in + 2p - d(k-1) - 1)/s, plus 1;
// in ceil mode the last window must start inside the input or the left padding.
FASTDL_HD int64_t pool_out_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil_mode) {
  const int64_t num = in + 2 * p - d * (k - 1) - 1;
  int64_t out = (ceil_mode ? win_ceil_div(num, s) : win_floor_div(num, s)) + 1;
  if (ceil_mode && (out - 1) * s >= in + p) --out;
  return out;
}

// Max-pool window of output o: the real input coordinates are start, start+d, ...
// while < end (padding taps dropped). Empty (start >= end) only when every tap is
// padding, which the kernels reject up front.
FASTDL_HD void max_pool_window(int64_t o, int64_t in, int64_t k, int64_t s, int64_t p, int64_t d,
                               int64_t* start, int64_t* end) {
  int64_t a = o * s - p;
  const int64_t e = a + (k - 1) * d + 1;
  if (a < 0) a += win_ceil_div(-a, d) * d;  // first tap at or after 0
  *start = a;
  *end = e < in ? e : in;
}

// Avg-pool window of output o: [*start, *end) clipped to the real input. Returns the
// window length clipped only to the padded input (PyTorch's pool_size factor, used
// when count_include_pad), which may exceed end - start.
FASTDL_HD int64_t avg_pool_window(int64_t o, int64_t in, int64_t k, int64_t s, int64_t p,
                                  int64_t* start, int64_t* end) {
  int64_t a = o * s - p;
  int64_t e = a + k;
  if (e > in + p) e = in + p;
  const int64_t padded = e - a;
  *start = a < 0 ? 0 : a;
  *end = e > in ? in : e;
  return padded;
}

// The divisor of one avg-pool output: divisor_override when > 0, else the padded
// window area when count_include_pad, else the number of real elements.
FASTDL_HD int64_t avg_pool_divisor(int64_t padded_area, int64_t real_area, bool count_include_pad,
                                   int64_t divisor_override) {
  if (divisor_override > 0) return divisor_override;
  return count_include_pad ? padded_area : real_area;
}

// Adaptive pooling window of output o (of out) over in: [floor(o*in/out), ceil((o+1)*in/out)).
FASTDL_HD int64_t adaptive_start(int64_t o, int64_t out, int64_t in) { return (o * in) / out; }
FASTDL_HD int64_t adaptive_end(int64_t o, int64_t out, int64_t in) { return ((o + 1) * in + out - 1) / out; }

}  // namespace fastdl
