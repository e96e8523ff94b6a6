// The float32 weight gradient of stride-1-along-W convs with 3-wide kernels and many taps
// per group (3x3 layers past a CNN's first), on the GEMM micro-kernel reading the input
// in place rather than through im2col columns (conv_weight_grad_taps.cpp).
#pragma once
#include <cstdint>

#include "conv_args.h"
#include "conv_direct.h"

namespace fastdl {
namespace cpu {
namespace conv_wgrad_taps {

// Whether p's weight gradient runs here (float32 is the caller's check), its input read
// with `row_stride` elements between the first inputs of consecutive output rows: AVX2
// in use, W stride 1, kw == 3, more taps per group than the direct kernels take, and
// output rows that fill most of the flattened plane.
bool applies(const ConvProblem& p, int64_t row_stride);

// Floats of the packing buffer accumulate() needs for plane p and Og output channels.
int64_t packed_floats(const conv_direct::Plane& p, int64_t Og);

// gwt[k * ldg + o] += sum over (oh, ow) of gy[o * OH*OW + oh * OW + ow] * input(k, oh, ow)
// for k < p.K, o < Og (the group's gw transposed), with input(k, oh, ow) =
// p.x[oh * p.row_stride + p.tap[k] + ow]; taps 3j, 3j+1, 3j+2 must be equally spaced
// (a kernel row's 3 columns). It reads p.x at positions below (OH - 1) * row_stride + OW
// past each tap only. `packed` holds packed_floats(p, Og) floats.
// The row_stride - OW positions past each output row are multiplied in with zero weight
// (the flattened plane keeps the kernel's K loop long), so an infinity or NaN in the
// input there makes NaN even in taps that never read it. Callers check the result with
// any_nonfinite and, where it has any, redo it with `wanted_only` (row by row, on the OW
// wanted positions only: exact, slower).
void accumulate(const conv_direct::Plane& p, const float* gy, int64_t Og, float* packed, float* gwt, int64_t ldg,
                bool wanted_only);

// Whether x[0, n) holds an infinity or a NaN.
bool any_nonfinite(const float* x, int64_t n);

}  // namespace conv_wgrad_taps
}  // namespace cpu
}  // namespace fastdl
