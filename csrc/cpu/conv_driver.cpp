// Convolution drivers: im2col + gemm per sample, in bands of output rows.
//
// Why not whole-batch im2col and one batched matmul from Python: the batch's columns
// are k*k times the input (tens of MB) and leave every cache; per-sample Python calls
// cost more than the GEMMs of a small layer; and threading inside each small GEMM
// scales worse than giving each thread whole samples. Here every thread unfolds one
// band of one sample into its own buffer (about kBandElems elements, so it is still in
// L2 when the gemm packs it) and runs the serial gemm on it.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "../core/parallel.h"
#include "conv.h"
#include "conv_batched.h"
#include "conv_unfold.h"
#include "gemm.h"

namespace fastdl {
namespace cpu {

namespace {

// Target size of one band of columns, in elements (256 KB of float32).
constexpr int64_t kBandElems = int64_t(1) << 16;

// Thread-local, 64-byte aligned, grow-only column buffer: bounded by one band (or
// one output row when a row alone is larger) and reused by every later call.
class ColumnBuffer {
 public:
  ~ColumnBuffer() { std::free(p_); }
  template <typename T>
  T* get(int64_t n) {
    const size_t bytes = (static_cast<size_t>(n) * sizeof(T) + 63) & ~size_t(63);
    if (bytes > cap_) {
      std::free(p_);
      p_ = std::aligned_alloc(64, bytes);
      if (!p_) throw std::bad_alloc();
      cap_ = bytes;
    }
    return static_cast<T*>(p_);
  }

 private:
  void* p_ = nullptr;
  size_t cap_ = 0;
};
thread_local ColumnBuffer t_columns;

// A checked problem (csrc/cpu/conv_args.h) and its band size.
struct CpuConv : ConvProblem {
  int64_t band;  // output rows per band
};

// Equal bands of at most kBandElems columns (at least one output row).
CpuConv with_bands(const ConvProblem& problem) {
  CpuConv p{problem, 1};
  const ConvGeom& g = p.g;
  const int64_t row = std::max<int64_t>(g.C * g.kh * g.kw * g.OW, 1);
  const int64_t rows = std::clamp<int64_t>(kBandElems / row, 1, std::max<int64_t>(g.OH, 1));
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

// Calls fn(i) for i in [0, items) on up to get_num_threads() threads that claim items
// one at a time, so a thread the (shared) machine deschedules does fewer rather than
// holding up the rest. One item runs on the caller, where the gemm threads itself.
template <typename F>
void for_items(int64_t items, int64_t cost_per_item, F&& fn) {
  std::atomic<int64_t> next{0};
  const int64_t workers = std::min<int64_t>(items, get_num_threads());
  parallel_for(workers, cost_per_item * items / std::max<int64_t>(workers, 1), [&](int64_t, int64_t) {
    for (int64_t i; (i = next.fetch_add(1)) < items;) fn(i);
  });
}

// One item per sample; a sample's cost is its multiply-adds.
template <typename F>
void for_samples(const ConvProblem& p, F&& fn) {
  for_items(p.g.N, p.O * p.K * p.L, fn);
}

template <typename T>
void forward_impl(const CpuConv& p, const TensorArg& x, const TensorArg& w, const std::optional<TensorArg>& bias,
                  const TensorArg& y) {
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

template <typename T>
void input_grad_impl(const CpuConv& p, const TensorArg& gy, const TensorArg& w, const TensorArg& gx) {
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
  // own partial (slot 0 into gw itself), added up in slot order at the end, so the
  // result does not depend on which thread took which slot. A few slots per thread
  // let the threads balance.
  const int64_t wsize = p.O * p.K;
  const int64_t threads = in_parallel() ? 1 : get_num_threads();
  const int64_t slots = std::max<int64_t>(1, std::min<int64_t>(p.g.N, threads == 1 ? 1 : 4 * threads));
  std::vector<T> partial(static_cast<size_t>((slots - 1) * wsize));
  std::vector<double> bias_sum(static_cast<size_t>(gb ? slots * p.O : 0), 0.0);
  T* gwb = gw.data<T>();
  for_items(slots, p.g.N * p.O * p.K * p.L / slots, [&](int64_t s) {
    T* acc = s == 0 ? gwb : partial.data() + (s - 1) * wsize;
    T beta = T(0);
    T* buf = t_columns.get<T>(p.g.C * p.g.kh * p.g.kw * p.band * p.g.OW);
    for (int64_t n = p.g.N * s / slots; n < p.g.N * (s + 1) / slots; ++n) {
      const T* gyn = gy.data<T>() + n * p.O * p.L;
      for_bands(p, [&](int64_t oh0, int64_t oh1) {
        int64_t rs;
        const T* cols = band_columns<T>(p, x, n, oh0, oh1, buf, &rs);
        // gw_g (Og x K) += gy_g band (Og x lb) @ cols_g^T (lb x K)
        for (int64_t gi = 0; gi < p.groups; ++gi)
          gemm<T>(p.Og, p.K, (oh1 - oh0) * p.g.OW, T(1), gyn + gi * p.Og * p.L + oh0 * p.g.OW, p.L, 1,
                  cols + gi * p.K * rs, 1, rs, beta, acc + gi * p.Og * p.K, p.K, 1);
        beta = T(1);
      });
      if (gb)
        for (int64_t o = 0; o < p.O; ++o) bias_sum[s * p.O + o] += row_sum(gyn + o * p.L, p.L);
    }
    if (beta == T(0)) std::fill(acc, acc + wsize, T(0));  // no samples or no output rows
  });
  for (int64_t s = 1; s < slots; ++s)
    for (int64_t e = 0; e < wsize; ++e) gwb[e] += partial[(s - 1) * wsize + e];
  if (gb) {
    T* bb = gb->data<T>();
    for (int64_t o = 0; o < p.O; ++o) {
      double v = 0;
      for (int64_t s = 0; s < slots; ++s) v += bias_sum[s * p.O + o];
      bb[o] = static_cast<T>(v);
    }
  }
}

}  // namespace

void conv2d_forward(const TensorArg& x, const TensorArg& w, const std::optional<TensorArg>& bias,
                    const TensorArg& y, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
                    int64_t dh, int64_t dw, int64_t groups) {
  const char* op = "conv2d_forward";
  const CpuConv p = with_bands(
      check_conv2d_forward_args(on_cpu(op), x, w, bias, y, kh, kw, sh, sw, ph, pw, dh, dw, groups));
  if (y.numel() == 0) return;
  if (conv_batched_applies(p)) return conv2d_forward_batched(p, x, w, bias, y);
  FASTDL_DISPATCH_FLOAT(x.dtype, op, [&] { forward_impl<scalar_t>(p, x, w, bias, y); })
}

void conv2d_input_grad(const TensorArg& gy, const TensorArg& w, const TensorArg& gx, int64_t kh, int64_t kw,
                       int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t groups) {
  const char* op = "conv2d_input_grad";
  const CpuConv p =
      with_bands(check_conv2d_input_grad_args(on_cpu(op), gy, w, gx, kh, kw, sh, sw, ph, pw, dh, dw, groups));
  if (gx.numel() == 0) return;
  if (conv_batched_applies(p)) return conv2d_input_grad_batched(p, gy, w, gx);
  FASTDL_DISPATCH_FLOAT(gx.dtype, op, [&] { input_grad_impl<scalar_t>(p, gy, w, gx); })
}

void conv2d_weight_grad(const TensorArg& x, const TensorArg& gy, const TensorArg& gw,
                        const std::optional<TensorArg>& gb, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                        int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t groups) {
  const char* op = "conv2d_weight_grad";
  const CpuConv p = with_bands(
      check_conv2d_weight_grad_args(on_cpu(op), x, gy, gw, gb, kh, kw, sh, sw, ph, pw, dh, dw, groups));
  if (conv_batched_applies(p)) return conv2d_weight_grad_batched(p, x, gy, gw, gb);
  FASTDL_DISPATCH_FLOAT(x.dtype, op, [&] { weight_grad_impl<scalar_t>(p, x, gy, gw, gb); })
}

}  // namespace cpu
}  // namespace fastdl
