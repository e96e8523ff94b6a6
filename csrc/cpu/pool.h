// CPU 2-D pooling kernels (NCHW, PyTorch semantics). Inputs may have any strides;
// outputs must be contiguous and are overwritten. Output sizes come from the out
// shape and are checked against the formulas in csrc/common/pool_window.h.
#pragma once
#include <cstdint>
#include "../core/tensor_arg.h"

namespace fastdl {
namespace cpu {

// out[n, c, oh, ow] = max over the (dilated) window; indices = h*W + w of that max in
// the input plane. Padding never wins; a NaN in the window does (the first one).
// Requires ph <= kh/2, pw <= kw/2.
void max_pool2d(const TensorArg& x, const TensorArg& out, const TensorArg& indices, int64_t kh, int64_t kw,
                int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw, bool ceil_mode);

// grad_in = 0; grad_in[n, c].flat[indices[n, c, oh, ow]] += grad_out[n, c, oh, ow].
void max_pool2d_backward(const TensorArg& grad_out, const TensorArg& indices, const TensorArg& grad_in);

// Average over the window clipped to the input; divisor as PyTorch's avg_pool2d
// (divisor_override > 0 wins; 0 means none). Requires ph <= kh/2, pw <= kw/2.
void avg_pool2d(const TensorArg& x, const TensorArg& out, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                int64_t ph, int64_t pw, bool ceil_mode, bool count_include_pad, int64_t divisor_override);

void avg_pool2d_backward(const TensorArg& grad_out, const TensorArg& grad_in, int64_t kh, int64_t kw,
                         int64_t sh, int64_t sw, int64_t ph, int64_t pw, bool ceil_mode,
                         bool count_include_pad, int64_t divisor_override);

// Windows [floor(o*in/out), ceil((o+1)*in/out)) per axis; the out shape sets (OH, OW).
void adaptive_avg_pool2d(const TensorArg& x, const TensorArg& out);
void adaptive_avg_pool2d_backward(const TensorArg& grad_out, const TensorArg& grad_in);

// AVX2 kernel of max_pool2d's 2x2 stride-2 fast path (internal; pool_avx2.cpp):
// outputs [0, returned) of one output row, a multiple of 8 <= OW, from input rows r0
// and r1 = r0 + row stride (unit column stride); indices row_index + offset in the
// window, row_index = h*W of r0. The caller finishes the row with the scalar rule.
namespace pool_ukr {
int64_t max_pool_2x2_row_avx2(const float* r0, const float* r1, int64_t OW, int32_t row_index, int32_t W,
                              float* out, int64_t* idx);
// out[p] = (sum of plane p's len dense values, in double) / divisor for planes [p0, p1)
// of an (N, C, ...) tensor, plane p at base + (p / C) * sN + (p % C) * sC: global average
// pooling. Four vector sums of four doubles, no per-plane setup beyond the loop.
void dense_plane_means_avx2(const float* base, int64_t p0, int64_t p1, int64_t C, int64_t sN, int64_t sC,
                            int64_t len, double divisor, float* out);
}  // namespace pool_ukr

}  // namespace cpu
}  // namespace fastdl
