// Convolution drivers: im2col + gemm per sample, in bands of output rows.
//
// Why not whole-batch im2col and one batched matmul from Python: the batch's columns
// are k*k times the input (tens of MB) and leave every cache; per-sample Python calls
// cost more than the GEMMs of a small layer; and threading inside each small GEMM
// scales worse than giving each thread whole samples. Here every thread unfolds one
// band of one sample into its own buffer (about kBandElems elements, so it is still in
// L2 when the gemm packs it) and runs the serial gemm on it. For float32 layers with
// few taps per group (C/groups * kh * kw <= 32, e.g. a CNN's first layer) the forward
// and weight-grad passes use the direct AVX2 kernels of conv_direct.h instead: a GEMM
// with K = 9 is mostly packing and memory traffic. The weight grad of float32 3-wide
// kernels with more taps runs the GEMM's micro-kernel on the input in place
// (conv_weight_grad_taps.h) rather than on unfolded columns. Strided float32 layers split into
// phases on the same kernels: the input gradient (conv_transpose2d's forward) in
// conv_subpixel.cpp, the forward of k4 s2-like layers in conv_space_to_depth.cpp.
#include <algorithm>
#include <type_traits>
#include <vector>

#include "../core/cpu_features.h"
#include "../core/parallel.h"
#include "../core/scratch_buffer.h"
#include "conv.h"
#include "conv_batched.h"
#include "conv_direct.h"
#include "conv_driver_util.h"
#include "conv_space_to_depth.h"
#include "conv_subpixel.h"
#include "conv_unfold.h"
#include "conv_weight_grad_taps.h"
#include "gemm.h"

namespace fastdl {
namespace cpu {

namespace {

// Target size of one band of columns, in elements (256 KB of float32). The forward
// and weight-grad passes take bands 4x larger (1 MB of float32, a core's L2 here):
// past 256 columns the forward's gemm packs the weight once per band instead of
// reading it in place, and the weight grad's gemm runs a longer K per call; measured
// on the MNIST 32->64 layer (one band per sample instead of 3), at 1 thread: forward
// ~4% faster, weight grad 16.0 -> 15.6 ms. The input grad's measured no difference.
constexpr int64_t kBandElems = int64_t(1) << 16;
constexpr int64_t kForwardBandElems = int64_t(1) << 18;

// Per-thread column buffers, bounded by one band (or one output row when a row alone
// is larger) and reused by every later call.
thread_local ScratchBuffer t_columns;
thread_local ScratchBuffer t_padded;  // the direct path's zero-padded input sample
thread_local ScratchBuffer t_flat;    // the AVX-512 direct forward's output panel

// A checked problem (csrc/cpu/conv_args.h) and its band size.
struct CpuConv : ConvProblem {
  int64_t band;  // output rows per band
};

// Equal bands of at most band_elems columns (at least one output row).
CpuConv with_bands(const ConvProblem& problem, int64_t band_elems = kBandElems) {
  CpuConv p{problem, 1};
  const ConvGeom& g = p.g;
  const int64_t row = std::max<int64_t>(g.C * g.kh * g.kw * g.OW, 1);
  const int64_t rows = std::clamp<int64_t>(band_elems / row, 1, std::max<int64_t>(g.OH, 1));
  const int64_t bands = (g.OH + rows - 1) / rows;
  p.band = bands ? (g.OH + bands - 1) / bands : 1;
  return p;
}

// Sample n's input as a (C, H*W) matrix, when its layout allows reading it in place
// (pointwise conv over rows of unit stride); row stride in *rs.
template <typename T>
const T* direct_columns(const ConvProblem& p, const TensorArg& x, int64_t n, int64_t* rs) {
  const bool flat = x.strides[3] == 1 && (p.g.H == 1 || x.strides[2] == p.g.W);
  if (!p.pointwise || !flat) return nullptr;
  *rs = x.strides[1];
  return x.data<T>() + n * x.strides[0];
}

// The columns of sample n for output rows [oh0, oh1) as a (C*kh*kw, (oh1-oh0)*OW)
// matrix with row stride *rs: x itself for a pointwise conv, else unfolded into buf.
template <typename T>
const T* band_columns(const ConvProblem& p, const TensorArg& x, int64_t n, int64_t oh0, int64_t oh1, T* buf,
                      int64_t* rs) {
  if (const T* d = direct_columns<T>(p, x, n, rs)) return d + oh0 * p.g.OW;
  const ConvGeom& g = p.g;
  const int64_t lb = (oh1 - oh0) * g.OW;
  const T* xn = x.data<T>() + n * x.strides[0];
  for (int64_t r = 0; r < g.C * g.kh * g.kw; ++r) {
    int64_t c, i, j;
    im2col_row_split(r, g.kh, g.kw, &c, &i, &j);
    unfold_row(xn + c * x.strides[1], x.strides[2], x.strides[3], g, i, j, oh0, oh1, buf + r * lb);
  }
  *rs = lb;
  return buf;
}

// Calls band(oh0, oh1) for each band of output rows.
template <typename F>
void for_bands(const CpuConv& p, F&& band) {
  for (int64_t oh0 = 0; oh0 < p.g.OH; oh0 += p.band) band(oh0, std::min(p.g.OH, oh0 + p.band));
}

// One item per sample; a sample's cost is its multiply-adds.
template <typename F>
void for_samples(const ConvProblem& p, F&& fn) {
  for_items(p.g.N, p.O * p.K * p.L, fn);
}

// ---- direct path (conv_direct.h): float32, AVX2, unit W stride, few taps per group
// (or, forward, rows of 8+ outputs) ----

template <typename T>
bool use_direct(const ConvProblem& p, bool forward) {
  const bool few_taps = p.K <= conv_direct::kMaxTaps;
  const bool wide_forward = forward && p.g.OW >= conv_direct::kMinForwardWidth;
  return std::is_same_v<T, float> && use_avx2() && p.g.sw == 1 && (few_taps || wide_forward) && !p.pointwise;
}

// The AVX-512 direct kernel computes every position of the flattened plane, row_stride
// per output row of which OW are kept: it takes planes that waste at most 1 in 8 of them
// (3x3 on a padded 26-wide map: 26 of 28; 14-wide rows of 16 as well: 2 threads, ms,
// forward and forward + backward, AVX2 kernels / AVX-512 flat: 32 -> 64 on 14 x 14 pad 1
// (batch 64) 2.9 / 2.3-2.4 and 8.6-9.0 / 7.2, 64 -> 64 (batch 32) 2.8-3.1 / 2.2-2.3 and
// 8.4-8.7 / 7.0). 8-wide rows lose (16 -> 32 on 8 x 8 pad 1: forward 0.25 -> 0.55 ms): a
// 64-position plane fills only 2 of 3 tiles' lanes, and the AVX2 kernels fill all theirs.
bool flat_forward_suits(int64_t OW, int64_t row_stride) {
  return use_avx512() && OW >= 14 && 8 * OW >= 7 * row_stride;
}

// The direct kernels' row stride for a contiguous input: its padded width per output row.
int64_t direct_row_stride(const ConvGeom& g) { return g.sh * (g.W + 2 * g.pw); }

// The forward's choice: with AVX-512 in use, a layer with many taps per group (direct only
// for its wide rows), 64+ output channels per group and 256+ output positions takes
// im2col + the AVX-512 GEMM unless the AVX-512 direct kernel takes its plane. 2 threads
// on a Xeon, batch 32-64, 3x3, ms, AVX2 direct / GEMM / AVX-512 direct: 32 -> 64 on 26 x 26
// 9.2 / 5.9-6.1 / 4.9-5.2, 64 -> 64 on 28 x 28 (padded) 10.3 / 8.6-9.1 / 6.6-6.7, 64 -> 128 on
// 16 x 16 5.8 / 4.8-5.3 / 4.2-4.3, 64 -> 64 on 20 x 20 - / 8.0-8.2 / 5.7-5.9; a tie of the
// AVX2 kernels and the GEMM at 64 -> 64 on 14 x 14 (rows too short for the AVX-512 one);
// with 8-32 output channels the AVX2 direct kernels beat the GEMM by 1.3-1.6x. (Since
// 14-wide rows take the AVX-512 kernel too, 64 -> 64 on 14 x 14 runs it, ~25% faster.)
bool direct_forward_wins(const ConvProblem& p) {
  const bool avx512_gemm_wins = use_avx512() && p.K > conv_direct::kMaxTaps && p.Og >= 64 && p.L >= 256 &&
                                !flat_forward_suits(p.g.OW, direct_row_stride(p.g));
  return use_direct<float>(p, true) && !avx512_gemm_wins;
}

// How the direct kernels read every sample: x in place when it has no padding and a
// unit W stride, else a zero-padded copy (C, H + 2ph, W + 2pw) in a thread-local buffer.
class DirectInput {
 public:
  DirectInput(const ConvProblem& p, const TensorArg& x) : p_(p), x_(x) {
    const ConvGeom& g = p.g;
    copy_ = g.ph || g.pw || x.strides[3] != 1;
    sH_ = copy_ ? g.W + 2 * g.pw : x.strides[2];
    sC_ = copy_ ? (g.H + 2 * g.ph) * sH_ : x.strides[1];
    for (int64_t k = 0; k < p.K; ++k) {
      int64_t c, i, j;
      im2col_row_split(k, g.kh, g.kw, &c, &i, &j);
      tap_.push_back(c * sC_ + i * g.dh * sH_ + j * g.dw);
    }
  }

  // Elements between the first inputs of consecutive output rows.
  int64_t row_stride() const { return p_.g.sh * sH_; }

  // Group gi of a sample returned by sample().
  conv_direct::Plane plane(const float* sample, int64_t gi) const {
    return {sample + gi * p_.Cg * sC_, row_stride(), p_.g.OH, p_.g.OW, p_.K, tap_.data()};
  }

  // Sample n as the kernels read it; a copy lives in this thread's buffer until the
  // thread's next call.
  const float* sample(int64_t n) const {
    const ConvGeom& g = p_.g;
    const float* xn = x_.data<float>() + n * x_.strides[0];
    if (!copy_) return xn;
    float* buf = t_padded.get<float>(g.C * sC_);
    std::fill(buf, buf + g.C * sC_, 0.0f);
    for (int64_t c = 0; c < g.C; ++c)
      for (int64_t h = 0; h < g.H; ++h) {
        const float* src = xn + c * x_.strides[1] + h * x_.strides[2];
        float* dst = buf + c * sC_ + (h + g.ph) * sH_ + g.pw;
        for (int64_t w = 0; w < g.W; ++w) dst[w] = src[w * x_.strides[3]];
      }
    return buf;
  }

 private:
  const ConvProblem& p_;
  const TensorArg& x_;
  bool copy_;
  int64_t sC_, sH_;
  std::vector<int64_t> tap_;
};

void direct_forward(const ConvProblem& p, const TensorArg& x, const std::vector<float>& wp,
                    const std::optional<TensorArg>& bias, const TensorArg& y) {
  const int64_t group_size = direct_group_size(p);
  std::vector<float> b;
  if (bias)
    for (int64_t o = 0; o < p.O; ++o) b.push_back(bias->data<float>()[o * bias->strides[0]]);
  const DirectInput in(p, x);
  for_samples(p, [&](int64_t n) {
    const float* xs = in.sample(n);
    for (int64_t gi = 0; gi < p.groups; ++gi) {
      const conv_direct::Plane plane = in.plane(xs, gi);
      const float* w = wp.data() + gi * group_size;
      const float* bg = bias ? b.data() + gi * p.Og : nullptr;
      float* yg = y.data<float>() + (n * p.O + gi * p.Og) * p.L;
      if (flat_forward_suits(plane.OW, plane.row_stride)) {
        float* scratch = t_flat.get<float>(conv_direct::flat_scratch_floats(plane));
        conv_direct::forward_flat_avx512(plane, w, bg, p.Og, yg, scratch);
      } else {
        conv_direct::forward_avx2(plane, w, bg, p.Og, yg);
      }
    }
  });
}

template <typename T>
void forward_impl(const CpuConv& p, const TensorArg& x, const TensorArg& w, const std::optional<TensorArg>& bias,
                  const TensorArg& y) {
  if constexpr (std::is_same_v<T, float>)
    if (direct_forward_wins(p)) {
      const float* wb = w.data<float>();
      return direct_forward(p, x, direct_panels(p, [&](int64_t o, int64_t k) { return wb[o * p.K + k]; }), bias, y);
    }
  const T* wb = w.data<T>();
  for_samples(p, [&](int64_t n) {
    T* yn = y.data<T>() + n * p.O * p.L;
    if (bias) {  // y starts as the bias; the gemm adds onto it
      const T* bb = bias->data<T>();
      for (int64_t o = 0; o < p.O; ++o) std::fill(yn + o * p.L, yn + (o + 1) * p.L, bb[o * bias->strides[0]]);
    }
    T* buf = t_columns.get<T>(p.g.C * p.g.kh * p.g.kw * p.band * p.g.OW);
    for_bands(p, [&](int64_t oh0, int64_t oh1) {
      int64_t rs;
      const T* cols = band_columns<T>(p, x, n, oh0, oh1, buf, &rs);
      for (int64_t gi = 0; gi < p.groups; ++gi)
        gemm<T>(p.Og, (oh1 - oh0) * p.g.OW, p.K, T(1), wb + gi * p.Og * p.K, p.K, 1, cols + gi * p.K * rs, rs, 1,
                bias ? T(1) : T(0), yn + gi * p.Og * p.L + oh0 * p.g.OW, p.L, 1);
    });
  });
}

// The input gradient of a stride-1 convolution as a forward one: gy convolved with
// each group's weights transposed (in and out channels swapped) and flipped (taps in
// reverse), padded by d (k - 1) - p. Where the flipped forward takes the direct
// kernels this skips the column GEMM (whose K is only Og) and the fold of every tap's
// column row into gx, the larger cost for 5x5 kernels. But it computes every input
// position over all taps, in whole vectors of 8 columns, where the GEMM computes only
// the output positions' columns: for a conv without padding that is H * 8 ceil(W / 8) /
// (OH * OW) times the multiply-adds (1.44 for 3x3 on 26 x 26). Measured at 1 thread on
// 84 layers (input grad alone): 1.1-3.5x faster wherever that ratio is <= 1.25 or
// Og <= 32 (the GEMM's K is short there), 0.75-1.3x past it with Og = 64, which the
// GEMM keeps. Fewer than 8 input channels per group fill a fraction of the kernels'
// 8-channel panels (a first layer's input grad: 2-6x slower there). The problem, when
// it applies.
std::optional<ConvProblem> input_grad_as_forward(const ConvProblem& p) {
  const ConvGeom& g = p.g;
  if (g.sh != 1 || g.sw != 1 || g.ph > g.dh * (g.kh - 1) || g.pw > g.dw * (g.kw - 1)) return std::nullopt;
  if (p.Cg < conv_direct::kPanel) return std::nullopt;
  ConvProblem q = p;
  q.g = ConvGeom{g.N, p.O, g.OH, g.OW, g.H, g.W, g.kh, g.kw, 1, 1,
                 g.dh * (g.kh - 1) - g.ph, g.dw * (g.kw - 1) - g.pw, g.dh, g.dw};
  q.O = g.C;
  q.Cg = p.Og;
  q.Og = p.Cg;
  q.K = p.Og * g.kh * g.kw;
  q.L = g.H * g.W;
  q.pointwise = false;
  const double extra = double(g.H) * (8 * ((g.W + 7) / 8)) / std::max<double>(double(g.OH) * g.OW, 1.0);
  // The AVX-512 kernel (flat_forward_suits) wastes only the padding columns and takes
  // Og <= 64 past that ratio; 2 threads, ms, GEMM / AVX-512 flipped forward: 32 -> 64 on
  // 26 x 26 7.3-8.5 / 6.5-7.2, 64 -> 64 on 28 x 28 (padded) 7.2-7.9 / 6.4-6.8, 64 -> 64 on
  // 20 x 20 10.0-10.2 / 8.2-8.3; with Og = 128: 32 -> 128 on 26 x 26 11.5-11.7 / 12.3-13.5,
  // 64 -> 128 on 20 x 20 8.1-8.5 / 7.7-7.9.
  const bool flat = flat_forward_suits(q.g.OW, direct_row_stride(q.g));
  if (p.Og > 32 && extra > 1.25 && !(flat && p.Og <= 64)) return std::nullopt;
  if (!use_direct<float>(q, true)) return std::nullopt;
  return q;
}

void input_grad_by_forward(const ConvProblem& p, const ConvProblem& q, const TensorArg& gy, const TensorArg& w,
                           const TensorArg& gx) {
  const float* wb = w.data<float>();
  const int64_t taps = p.g.kh * p.g.kw;
  // q's output channel gi * Cg + c, tap (o, i, j) reads w[gi * Og + o, c, kh-1-i, kw-1-j]
  const std::vector<float> wp = direct_panels(q, [&](int64_t oc, int64_t k) {
    const int64_t gi = oc / p.Cg, c = oc % p.Cg, o = k / taps, t = k % taps;
    return wb[((gi * p.Og + o) * p.Cg + c) * taps + (taps - 1 - t)];
  });
  direct_forward(q, gy, wp, std::nullopt, gx);
}

template <typename T>
void input_grad_impl(const CpuConv& p, const TensorArg& gy, const TensorArg& w, const TensorArg& gx) {
  if constexpr (std::is_same_v<T, float>)
    if (const auto q = input_grad_as_forward(p)) return input_grad_by_forward(p, *q, gy, w, gx);
  const ConvGeom& g = p.g;
  // W^T per group, (groups, K, Og) row-major, so the gemm reads it in place.
  std::vector<T> wt(static_cast<size_t>(p.O * p.K));
  const T* wb = w.data<T>();
  for (int64_t gi = 0; gi < p.groups; ++gi)
    for (int64_t o = 0; o < p.Og; ++o)
      for (int64_t k = 0; k < p.K; ++k) wt[(gi * p.K + k) * p.Og + o] = wb[(gi * p.Og + o) * p.K + k];
  const int64_t HW = g.H * g.W;
  for_samples(p, [&](int64_t n) {
    const T* gyn = gy.data<T>() + n * p.O * p.L;
    T* gxn = gx.data<T>() + n * g.C * HW;
    if (p.pointwise) {  // the column gradient is the input gradient
      for (int64_t gi = 0; gi < p.groups; ++gi)
        gemm<T>(p.K, p.L, p.Og, T(1), wt.data() + gi * p.K * p.Og, p.Og, 1, gyn + gi * p.Og * p.L, p.L, 1, T(0),
                gxn + gi * p.K * HW, HW, 1);
      return;
    }
    std::fill(gxn, gxn + g.C * HW, T(0));
    T* buf = t_columns.get<T>(g.C * g.kh * g.kw * p.band * g.OW);
    for_bands(p, [&](int64_t oh0, int64_t oh1) {
      const int64_t lb = (oh1 - oh0) * g.OW;
      for (int64_t gi = 0; gi < p.groups; ++gi)
        gemm<T>(p.K, lb, p.Og, T(1), wt.data() + gi * p.K * p.Og, p.Og, 1, gyn + gi * p.Og * p.L + oh0 * g.OW, p.L,
                1, T(0), buf + gi * p.K * lb, lb, 1);
      for (int64_t r = 0; r < g.C * g.kh * g.kw; ++r) {
        int64_t c, i, j;
        im2col_row_split(r, g.kh, g.kw, &c, &i, &j);
        fold_row_add(buf + r * lb, 1, g, i, j, oh0, oh1, gxn + c * HW);
      }
    });
  });
}

// Sum of a contiguous row, in eight partial sums (vectorisable without reassociation).
template <typename T>
double row_sum(const T* v, int64_t n) {
  T acc[8] = {};
  int64_t k = 0;
  for (; k + 8 <= n; k += 8)
    for (int u = 0; u < 8; ++u) acc[u] += v[k + u];
  double s = ((double(acc[0]) + acc[1]) + (double(acc[2]) + acc[3])) + ((double(acc[4]) + acc[5]) + (double(acc[6]) + acc[7]));
  for (; k < n; ++k) s += v[k];
  return s;
}

template <typename T>
void weight_grad_impl(const CpuConv& p, const TensorArg& x, const TensorArg& gy, const TensorArg& gw,
                      const std::optional<TensorArg>& gb) {
  // The batch is a reduction here: each of `slots` fixed sample ranges sums into its
  // own partial, added up in slot order at the end, so the result does not depend on
  // which thread took which slot. A few slots per thread let the threads balance.
  // The direct path's partials are gw-shaped (slot 0 is gw itself). The GEMM path's
  // are gw transposed, per group gw_g^T (K x Og) = cols_g (K x lb) @ gy_g^T (lb x Og):
  // for the 6x16 micro-kernel that shape has no partial row tiles when K % 6 == 0
  // (3x3 kernels) and packs the smaller gy band rather than the columns.
  const int64_t wsize = p.O * p.K;
  const int64_t threads = in_parallel() ? 1 : get_num_threads();
  const int64_t slots = std::max<int64_t>(1, std::min<int64_t>(p.g.N, threads == 1 ? 1 : 4 * threads));
  std::optional<DirectInput> direct;
  if (use_direct<T>(p, false)) direct.emplace(p, x);
  // 3-wide kernels with many taps: the GEMM's micro-kernel on the input in place.
  std::optional<DirectInput> taps;
  if (std::is_same_v<T, float> && !direct && use_avx2() && p.g.sw == 1) {
    taps.emplace(p, x);
    if (!conv_wgrad_taps::applies(p, taps->row_stride())) taps.reset();
  }
  const int64_t own = direct ? 1 : 0;  // slots summing straight into gw
  std::vector<T> partial(static_cast<size_t>((slots - own) * wsize));
  std::vector<double> bias_sum(static_cast<size_t>(gb ? slots * p.O : 0), 0.0);
  T* gwb = gw.data<T>();
  for_items(slots, p.g.N * p.O * p.K * p.L / slots, [&](int64_t s) {
    T* acc = s < own ? gwb : partial.data() + (s - own) * wsize;
    T beta = T(0);
    const int64_t n0 = p.g.N * s / slots, n1 = p.g.N * (s + 1) / slots;
    // gy's per-channel sums of sample n into this slot's bias partials
    auto sum_bias = [&](int64_t n) {
      if (gb)
        for (int64_t o = 0; o < p.O; ++o) bias_sum[s * p.O + o] += row_sum(gy.data<T>() + (n * p.O + o) * p.L, p.L);
    };
    if constexpr (std::is_same_v<T, float>)
      if (taps) {
        auto run = [&](bool wanted_only) {
          std::fill(acc, acc + wsize, 0.0f);
          for (int64_t n = n0; n < n1; ++n) {
            const float* xs = taps->sample(n);
            for (int64_t gi = 0; gi < p.groups; ++gi) {
              const conv_direct::Plane plane = taps->plane(xs, gi);
              float* packed = t_columns.get<float>(conv_wgrad_taps::packed_floats(plane, p.Og));
              conv_wgrad_taps::accumulate(plane, gy.data<float>() + (n * p.O + gi * p.Og) * p.L, p.Og, packed,
                                          acc + gi * p.K * p.Og, p.Og, wanted_only);
            }
          }
        };
        run(false);
        if (conv_wgrad_taps::any_nonfinite(acc, wsize)) run(true);  // see accumulate()
        for (int64_t n = n0; n < n1; ++n) sum_bias(n);
        return;
      }
    T* buf = direct ? nullptr : t_columns.get<T>(p.g.C * p.g.kh * p.g.kw * p.band * p.g.OW);
    for (int64_t n = n0; n < n1; ++n) {
      const T* gyn = gy.data<T>() + n * p.O * p.L;
      if constexpr (std::is_same_v<T, float>)
        if (direct) {  // the direct kernel adds into acc and sums gy on the way
          if (beta == T(0)) std::fill(acc, acc + wsize, T(0));
          beta = T(1);
          const float* xs = direct->sample(n);
          for (int64_t gi = 0; gi < p.groups; ++gi)
            conv_direct::weight_grad_avx2(direct->plane(xs, gi), gyn + gi * p.Og * p.L, p.Og, acc + gi * p.Og * p.K,
                                          gb ? bias_sum.data() + s * p.O + gi * p.Og : nullptr);
          continue;
        }
      for_bands(p, [&](int64_t oh0, int64_t oh1) {
        int64_t rs;
        const T* cols = band_columns<T>(p, x, n, oh0, oh1, buf, &rs);
        for (int64_t gi = 0; gi < p.groups; ++gi)
          gemm<T>(p.K, p.Og, (oh1 - oh0) * p.g.OW, T(1), cols + gi * p.K * rs, rs, 1,
                  gyn + gi * p.Og * p.L + oh0 * p.g.OW, 1, p.L, beta, acc + gi * p.K * p.Og, p.Og, 1);
        beta = T(1);
      });
      sum_bias(n);
    }
    if (beta == T(0)) std::fill(acc, acc + wsize, T(0));  // no samples or no output rows
  });
  if (direct) {
    for (int64_t s = 1; s < slots; ++s)
      for (int64_t e = 0; e < wsize; ++e) gwb[e] += partial[(s - 1) * wsize + e];
  } else {
    for (int64_t gi = 0; gi < p.groups; ++gi)
      for (int64_t k = 0; k < p.K; ++k)
        for (int64_t o = 0; o < p.Og; ++o) {
          const T* part = partial.data() + (gi * p.K + k) * p.Og + o;
          T v = part[0];
          for (int64_t s = 1; s < slots; ++s) v += part[s * wsize];
          gwb[(gi * p.Og + o) * p.K + k] = v;
        }
  }
  if (gb) {
    T* bb = gb->data<T>();
    for (int64_t o = 0; o < p.O; ++o) {
      double v = 0;
      for (int64_t s = 0; s < slots; ++s) v += bias_sum[s * p.O + o];
      bb[o] = static_cast<T>(v);
    }
  }
}

enum class Pass { kForward, kInputGrad, kWeightGrad };

// The whole-batch GEMM (conv_batched.h) for few output positions, unless the direct
// kernels take the pass (there is no direct input grad).
bool take_batched(const ConvProblem& p, DType dtype, Pass pass) {
  if (!conv_batched_applies(p)) return false;
  if (pass == Pass::kInputGrad || dtype != DType::Float32) return true;
  return pass == Pass::kForward ? !direct_forward_wins(p) : !use_direct<float>(p, false);
}

}  // namespace

void conv2d_forward(const TensorArg& x, const TensorArg& w, const std::optional<TensorArg>& bias,
                    const TensorArg& y, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
                    int64_t dh, int64_t dw, int64_t groups) {
  const char* op = "conv2d_forward";
  const CpuConv p = with_bands(
      check_conv2d_forward_args(on_cpu(op), x, w, bias, y, kh, kw, sh, sw, ph, pw, dh, dw, groups),
      kForwardBandElems);
  if (y.numel() == 0) return;
  if (x.dtype == DType::Float32 && space_to_depth_forward_applies(p)) return space_to_depth_forward(p, x, w, bias, y);
  if (take_batched(p, x.dtype, Pass::kForward)) return conv2d_forward_batched(p, x, w, bias, y);
  FASTDL_DISPATCH_FLOAT(x.dtype, op, [&] { forward_impl<scalar_t>(p, x, w, bias, y); })
}

void conv2d_input_grad(const TensorArg& gy, const TensorArg& w, const TensorArg& gx, int64_t kh, int64_t kw,
                       int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t groups) {
  const char* op = "conv2d_input_grad";
  const CpuConv p =
      with_bands(check_conv2d_input_grad_args(on_cpu(op), gy, w, gx, kh, kw, sh, sw, ph, pw, dh, dw, groups));
  if (gx.numel() == 0) return;
  if (gx.dtype == DType::Float32 && subpixel_input_grad_applies(p)) return subpixel_input_grad(p, gy, w, gx);
  if (take_batched(p, gx.dtype, Pass::kInputGrad)) return conv2d_input_grad_batched(p, gy, w, gx);
  FASTDL_DISPATCH_FLOAT(gx.dtype, op, [&] { input_grad_impl<scalar_t>(p, gy, w, gx); })
}

void conv2d_weight_grad(const TensorArg& x, const TensorArg& gy, const TensorArg& gw,
                        const std::optional<TensorArg>& gb, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                        int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t groups) {
  const char* op = "conv2d_weight_grad";
  const CpuConv p = with_bands(
      check_conv2d_weight_grad_args(on_cpu(op), x, gy, gw, gb, kh, kw, sh, sw, ph, pw, dh, dw, groups),
      kForwardBandElems);
  if (take_batched(p, x.dtype, Pass::kWeightGrad)) return conv2d_weight_grad_batched(p, x, gy, gw, gb);
  FASTDL_DISPATCH_FLOAT(x.dtype, op, [&] { weight_grad_impl<scalar_t>(p, x, gy, gw, gb); })
}

}  // namespace cpu
}  // namespace fastdl
