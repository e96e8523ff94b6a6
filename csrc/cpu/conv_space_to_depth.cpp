#include "conv_space_to_depth.h"

#include <algorithm>
#include <vector>

#include "../core/cpu_features.h"
#include "../core/scratch_buffer.h"
#include "conv_direct.h"
#include "conv_driver_util.h"

namespace fastdl {
namespace cpu {

namespace {

thread_local ScratchBuffer t_phases, t_flat_out;

}  // namespace

bool space_to_depth_forward_applies(const ConvProblem& p) {
  const ConvGeom& g = p.g;
  // Measured against the unfold + GEMM / batched GEMM at 1 thread, batch 32, stride 2
  // padding 1 (old time / new): k4 32 -> 64 channels on 14 x 14 inputs 1.47, 28 x 28
  // 1.0; 64 -> 128 on 14 x 14 1.04, 28 x 28 1.08-1.17; but k3 0.64-1.0 (ragged phases:
  // a quarter of the phase planes hold one tap row and column), 1-channel inputs
  // 0.6-0.85 (the split costs as much as the few taps) and 5 x 5 outputs 0.76. So:
  // kernels a multiple of the stride, 8+ input and output channels per group (full
  // panels), 40+ output positions.
  return use_avx2() && g.sw > 1 && g.dh == 1 && g.dw == 1 && g.kh % g.sh == 0 && g.kw % g.sw == 0 &&
         p.Cg >= conv_direct::kPanel && p.Og >= conv_direct::kPanel && p.L >= 40;
}

void space_to_depth_forward(const ConvProblem& p, const TensorArg& x, const TensorArg& w,
                            const std::optional<TensorArg>& bias, const TensorArg& y) {
  const ConvGeom& g = p.g;
  // The phase planes: every output (oh, ow) reads rows oh .. oh + T - 1 and columns
  // ow .. ow + U - 1 of each.
  const int64_t T = (g.kh + g.sh - 1) / g.sh, U = (g.kw + g.sw - 1) / g.sw;
  const int64_t Hq = g.OH + T - 1, Wq = g.OW + U - 1, plane_size = Hq * Wq;
  const int64_t channel_size = g.sh * g.sw * plane_size;
  std::vector<int64_t> tap;
  for (int64_t k = 0; k < p.K; ++k) {
    const int64_t c = k / (g.kh * g.kw), i = k / g.kw % g.kh, j = k % g.kw;
    tap.push_back(c * channel_size + (i % g.sh * g.sw + j % g.sw) * plane_size + i / g.sh * Wq + j / g.sw);
  }
  const float* wb = w.data<float>();
  const std::vector<float> panels = direct_panels(p, [&](int64_t o, int64_t k) { return wb[o * p.K + k]; });
  const int64_t group_size = direct_group_size(p);
  std::vector<float> b;
  if (bias)
    for (int64_t o = 0; o < p.O; ++o) b.push_back(bias->data<float>()[o * bias->strides[0]]);
  const int64_t flat_width = (g.OH - 1) * Wq + g.OW;
  const bool flat = runs_flat(g.OH, g.OW, flat_width);
  const conv_direct::Plane shape = flat ? conv_direct::Plane{nullptr, 0, 1, flat_width, p.K, tap.data()}
                                        : conv_direct::Plane{nullptr, Wq, g.OH, g.OW, p.K, tap.data()};
  const int64_t out_plane = shape.OH * shape.OW;
  const float* xb = x.data<float>();
  float* yb = y.data<float>();
  for_items(g.N, p.O * p.K * p.L, [&](int64_t n) {
    float* phases = t_phases.get<float>(g.C * channel_size);
    for (int64_t c = 0; c < g.C; ++c)
      for (int64_t a = 0; a < g.sh; ++a)
        for (int64_t m = 0; m < Hq; ++m) {
          const int64_t h = g.sh * m + a - g.ph;
          const bool inside = h >= 0 && h < g.H;
          const float* row = inside ? xb + n * x.strides[0] + c * x.strides[1] + h * x.strides[2] : nullptr;
          for (int64_t bw = 0; bw < g.sw; ++bw) {
            float* dst = phases + c * channel_size + (a * g.sw + bw) * plane_size + m * Wq;
            for (int64_t l = 0; l < Wq; ++l) {
              const int64_t col = g.sw * l + bw - g.pw;
              dst[l] = inside && col >= 0 && col < g.W ? row[col * x.strides[3]] : 0.0f;
            }
          }
        }
    float* yn = yb + n * p.O * p.L;
    float* out = flat ? t_flat_out.get<float>(p.O * out_plane) : yn;
    for (int64_t gi = 0; gi < p.groups; ++gi) {
      conv_direct::Plane plane = shape;
      plane.x = phases + gi * p.Cg * channel_size;
      conv_direct::forward_avx2(plane, panels.data() + gi * group_size, bias ? b.data() + gi * p.Og : nullptr, p.Og,
                                out + gi * p.Og * out_plane);
    }
    if (flat)
      for (int64_t o = 0; o < p.O; ++o)
        for (int64_t oh = 0; oh < g.OH; ++oh) std::copy_n(out + o * out_plane + oh * Wq, g.OW, yn + o * p.L + oh * g.OW);
  });
}

}  // namespace cpu
}  // namespace fastdl
