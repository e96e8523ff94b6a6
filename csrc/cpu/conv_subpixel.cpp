#include "conv_subpixel.h"

#include <algorithm>
#include <vector>

#include "../common/conv_phase.h"
#include "../core/cpu_features.h"
#include "../core/scratch_buffer.h"
#include "conv_direct.h"
#include "conv_driver_util.h"

namespace fastdl {
namespace cpu {

namespace {

thread_local ScratchBuffer t_gy_padded, t_phase_out;

// The row phases and how gy's rows are zero-padded so that every row phase reads
// inside: pad_lo rows before gy's first, length rows in all.
struct Rows {
  std::vector<ConvPhase> phase;
  int64_t pad_lo = 0, length = 0;
};

Rows split_rows(int64_t k, int64_t s, int64_t p, int64_t in, int64_t out) {
  Rows a;
  int64_t lo = 0, hi = out;
  for (int64_t r = 0; r < s; ++r) {
    const ConvPhase ph = conv_phase(r, k, s, p, in);
    a.phase.push_back(ph);
    if (!ph.taps || !ph.count) continue;
    lo = std::min(lo, conv_phase_first_read(ph));
    hi = std::max(hi, ph.q + ph.count);
  }
  a.pad_lo = -lo;
  a.length = hi - lo;
  return a;
}

// A column phase's window of gy's columns [first, first + width) in a padded sample,
// (O, rows, width) from element offset on.
struct Window {
  ConvPhase phase;
  int64_t first, width, offset;
};

// One phase (rh, rw) as a direct forward problem over the padded gy sample.
struct Phase {
  int64_t rh, rw;
  int64_t first;             // offset of the phase's first read in a padded sample
  conv_direct::Plane plane;  // x and tap set per call
  int64_t row_length;        // of the plane's output: count_w, or the window's width when flat
  std::vector<int64_t> tap;
  std::vector<float> panels;
  int64_t group_size, group_stride;  // of the panels and of the padded sample per group
};

// The direct kernels' packed weights of one phase (conv_driver_util.h's layout), phase
// conv q's output channel c of group gi and tap (o, i, j) being w[gi Og + o, c, kernel tap
// of (i, j)], written in loops (a per-element index split costs more than the phase).
std::vector<float> phase_panels(const ConvProblem& p, const ConvProblem& q, const ConvPhase& h, const ConvPhase& c,
                                const float* w, int64_t group_size) {
  constexpr int64_t P = conv_direct::kPanel;
  const ConvGeom& g = p.g;
  std::vector<float> panels(static_cast<size_t>(p.groups * group_size), 0.0f);
  std::vector<int64_t> kernel_tap;  // of the phase's tap (i, j)
  for (int64_t i = 0; i < h.taps; ++i)
    for (int64_t j = 0; j < c.taps; ++j)
      kernel_tap.push_back(conv_phase_kernel_tap(h, g.sh, i) * g.kw + conv_phase_kernel_tap(c, g.sw, j));
  const int64_t T = static_cast<int64_t>(kernel_tap.size()), taps = g.kh * g.kw;
  for (int64_t gi = 0; gi < p.groups; ++gi)
    for (int64_t ci = 0; ci < p.Cg; ++ci) {
      float* dst = panels.data() + gi * group_size + ci / P * q.K * P + ci % P;
      for (int64_t o = 0; o < p.Og; ++o) {
        const float* src = w + ((gi * p.Og + o) * p.Cg + ci) * taps;
        for (int64_t t = 0; t < T; ++t) dst[(o * T + t) * P] = src[kernel_tap[t]];
      }
    }
  return panels;
}

// gx's row of W elements from the row of each column phase (srcs[rw] holds positions
// rw, rw + s, ...): an interleave, in one pass over the row.
void interleave_row(const float* const* srcs, int64_t s, int64_t W, float* dst) {
  if (s == 1) {
    for (int64_t x = 0; x < W; ++x) dst[x] = srcs[0][x];
  } else if (s == 2) {
    const float *a = srcs[0], *b = srcs[1];
    for (int64_t x = 0; x < W; ++x) dst[x] = (x & 1 ? b : a)[x >> 1];
  } else {
    for (int64_t x = 0; x < W; ++x) dst[x] = srcs[x % s][x / s];
  }
}

}  // namespace

bool subpixel_input_grad_applies(const ConvProblem& p) {
  const ConvGeom& g = p.g;
  // Fewer than a panel of input channels per group leaves the kernels' 8-channel
  // panels mostly empty (as for input_grad_as_forward). Phases of under 20 positions
  // (a stride-2 gradient of 8 x 8 or smaller) lose to the batched GEMM + fold
  // (conv_batched.h): measured at 1 thread, 64 -> 64 channels, batch 32, k4 s2 p1
  // (DCGAN's up-sampling) gy 2x2 0.57x, 4x4 0.95x, 5x5 1.08x, 7x7 1.1-1.4x, 14x14
  // 1.4-1.5x the old time's inverse; k3 s2 p1 gx 8x8 0.93x, 16x16 1.17x, 28x28 1.33x.
  const bool enough_positions = g.H * g.W >= 20 * g.sh * g.sw;
  return use_avx2() && (g.sh > 1 || g.sw > 1) && g.dh == 1 && g.dw == 1 && p.Cg >= conv_direct::kPanel &&
         enough_positions;
}

void subpixel_input_grad(const ConvProblem& p, const TensorArg& gy, const TensorArg& w, const TensorArg& gx) {
  const ConvGeom& g = p.g;
  const Rows rows = split_rows(g.kh, g.sh, g.ph, g.H, g.OH);
  const float* wb = w.data<float>();
  // Each column phase reads its own window of gy's columns, zero-padded, count + taps - 1
  // wide: the windows of all column phases are stacked in one buffer per sample.
  std::vector<Window> windows;
  int64_t padded_size = 0;
  for (int64_t rw = 0; rw < g.sw; ++rw) {
    const ConvPhase c = conv_phase(rw, g.kw, g.sw, g.pw, g.W);
    const int64_t width = c.taps && c.count ? c.count + c.taps - 1 : 0;
    windows.push_back({c, conv_phase_first_read(c), width, padded_size});
    padded_size += p.O * rows.length * width;
  }
  std::vector<Phase> phases;
  bool empty_phase = false;
  int64_t out_elems = 0;
  for (int64_t rh = 0; rh < g.sh; ++rh)
    for (int64_t rw = 0; rw < g.sw; ++rw) {
      const ConvPhase h = rows.phase[rh], c = windows[rw].phase;
      const int64_t Wr = windows[rw].width, sC = rows.length * Wr;
      if (!h.count || !c.count) continue;
      if (!h.taps || !c.taps) {
        empty_phase = true;
        continue;
      }
      Phase ph{rh, rw, 0, {}, 0, {}, {}, 0, 0};
      ConvProblem q = p;  // the phase's conv: gy's channels in, gx's out
      q.Og = p.Cg;
      q.K = p.Og * h.taps * c.taps;
      for (int64_t o = 0; o < p.Og; ++o)
        for (int64_t i = 0; i < h.taps; ++i)
          for (int64_t j = 0; j < c.taps; ++j) ph.tap.push_back(o * sC + i * Wr + j);
      ph.group_size = direct_group_size(q);
      ph.panels = phase_panels(p, q, h, c, wb, ph.group_size);
      ph.group_stride = p.Og * sC;
      ph.first = windows[rw].offset + (rows.pad_lo + conv_phase_first_read(h)) * Wr;
      const int64_t flat = (h.count - 1) * Wr + c.count;
      if (runs_flat(h.count, c.count, flat)) {
        ph.plane = {nullptr, 0, 1, flat, q.K, nullptr};
        ph.row_length = Wr;
      } else {
        ph.plane = {nullptr, Wr, h.count, c.count, q.K, nullptr};
        ph.row_length = c.count;
      }
      out_elems = std::max(out_elems, ph.plane.OH * ph.plane.OW);
      phases.push_back(std::move(ph));
    }
  // phase_at[rh * sw + rw]: the phase, or null for one without taps or positions
  std::vector<const Phase*> phase_at(static_cast<size_t>(g.sh * g.sw), nullptr);
  for (const Phase& ph : phases) phase_at[ph.rh * g.sw + ph.rw] = &ph;
  const std::vector<float> zeros(static_cast<size_t>(g.W + 1), 0.0f);  // the rows of a phase without taps
  const float* gyb = gy.data<float>();
  float* gxb = gx.data<float>();
  const int64_t HW = g.H * g.W, out_size = g.C * out_elems;
  for_items(g.N, p.O * p.K * p.L, [&](int64_t n) {
    float* padded = t_gy_padded.get<float>(padded_size);
    std::fill(padded, padded + padded_size, 0.0f);
    for (const Window& win : windows) {
      const int64_t c0 = std::max<int64_t>(win.first, 0), c1 = std::min(g.OW, win.first + win.width);
      for (int64_t o = 0; o < p.O; ++o)
        for (int64_t r = 0; r < g.OH; ++r) {
          const float* src = gyb + ((n * p.O + o) * g.OH + r) * g.OW;
          float* dst = padded + win.offset + (o * rows.length + rows.pad_lo + r) * win.width - win.first;
          for (int64_t col = c0; col < c1; ++col) dst[col] = src[col];  // rows of a few floats: no memmove call
        }
    }
    float* gxn = gxb + n * g.C * HW;
    if (empty_phase) std::fill(gxn, gxn + g.C * HW, 0.0f);
    float* out = t_phase_out.get<float>(g.sw * out_size);  // one output per column phase
    std::vector<const float*> srcs(static_cast<size_t>(g.sw));
    for (int64_t rh = 0; rh < g.sh; ++rh) {
      const ConvPhase& h = rows.phase[rh];
      if (!h.count || !h.taps) continue;  // no rows, or rows of zeros (filled above)
      for (int64_t rw = 0; rw < g.sw; ++rw)
        if (const Phase* ph = phase_at[rh * g.sw + rw])
          for (int64_t gi = 0; gi < p.groups; ++gi) {
            conv_direct::Plane plane = ph->plane;
            plane.x = padded + ph->first + gi * ph->group_stride;
            plane.tap = ph->tap.data();
            conv_direct::forward_avx2(plane, ph->panels.data() + gi * ph->group_size, nullptr, p.Cg,
                                      out + rw * out_size + gi * p.Cg * plane.OH * plane.OW);
          }
      for (int64_t c = 0; c < g.C; ++c)
        for (int64_t m = 0; m < h.count; ++m) {
          for (int64_t rw = 0; rw < g.sw; ++rw) {
            const Phase* ph = phase_at[rh * g.sw + rw];
            srcs[rw] = ph ? out + rw * out_size + c * ph->plane.OH * ph->plane.OW + m * ph->row_length : zeros.data();
          }
          interleave_row(srcs.data(), g.sw, g.W, gxn + c * HW + (rh + g.sh * m) * g.W);
        }
    }
  });
}

}  // namespace cpu
}  // namespace fastdl
