// Direct (unfold-free) float32 convolution kernels for layers with few taps per group
// (C/groups * kh * kw <= kMaxTaps, e.g. the 1- or 3-channel first layer of a CNN).
// There the im2col + GEMM path multiplies K = 9..27 matrices, which is mostly packing
// and memory traffic; these kernels read the input image in place instead, vectorised
// over 8 output columns (conv_direct_avx2.cpp) or, for the forward with AVX-512, over 16
// positions of the flattened plane (conv_direct_avx512.cpp); conv_driver.cpp picks them
// for float32 when use_avx2() and the W stride of the convolution is 1, pads the input
// into a copy when the conv has padding, and threads over samples as for the GEMM path.
// Declarations only: this header is included by AVX2- and AVX-512-compiled files.
#pragma once
#include <cstdint>

namespace fastdl {
namespace cpu {
namespace conv_direct {

// Most taps per group the direct path takes. The forward pass also takes more taps
// when output rows are at least a vector (kMinForwardWidth) wide: its tiles cost about
// what the GEMM's micro-kernel does per FMA, without the unfold and packing (measured
// at 1 thread: MNIST's 32->64 forward 16-19 -> 14 ms, the digits CNN's 16->32 on 8x8
// 0.9-1.3 -> 0.48 ms); narrower rows waste vector lanes.
constexpr int64_t kMaxTaps = 32;
constexpr int64_t kMinForwardWidth = 8;
constexpr int64_t kPanel = 8;     // output channels per packed weight panel

// One group of one sample: output position (oh, ow) reads x[oh * row_stride + tap[k] + ow]
// for tap k < K (no padding: the caller pads a copy; unit stride along W).
struct Plane {
  const float* x;
  int64_t row_stride;  // elements between the first inputs of consecutive output rows
  int64_t OH, OW, K;
  const int64_t* tap;  // K element offsets, one per (channel, kernel row, kernel column)
};

// y[o * OH*OW + oh * OW + ow] = bias[o] (0 when bias is null) + sum_k w[o, k] * input(k, oh, ow)
// for o < Og. wp holds the weights in panels of kPanel channels, zero past Og:
// wp[(panel * K + k) * kPanel + r] = w[panel * kPanel + r, k].
void forward_avx2(const Plane& p, const float* wp, const float* bias, int64_t Og, float* y);

// The same as forward_avx2, in AVX-512 (conv_direct_avx512.cpp), over the flattened
// plane: positions q = oh * row_stride + ow for every ow < row_stride are computed (those
// with ow >= OW dropped), so it suits planes whose row_stride is not much wider than OW.
// It reads x[q + tap[k]] for q < (OH - 1) * row_stride + OW only. `scratch` holds
// flat_scratch_floats(p) floats (one panel's tiles; like the kernel, AVX-512 code: call it only
// with use_avx512()).
void forward_flat_avx512(const Plane& p, const float* wp, const float* bias, int64_t Og, float* y, float* scratch);
int64_t flat_scratch_floats(const Plane& p);

// gw[o * K + k] += sum over (oh, ow) of gy[o * OH*OW + oh * OW + ow] * input(k, oh, ow) and, when
// gy_sum is not null, gy_sum[o] += sum over (oh, ow) of gy[o * OH*OW + oh * OW + ow], for o < Og.
void weight_grad_avx2(const Plane& p, const float* gy, int64_t Og, float* gw, double* gy_sum);

}  // namespace conv_direct
}  // namespace cpu
}  // namespace fastdl
