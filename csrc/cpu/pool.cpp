#include "pool.h"

#include <algorithm>
#include <atomic>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "../common/pool_window.h"
#include "../core/cpu_features.h"
#include "../core/parallel.h"
#include "pool_args.h"

namespace fastdl {
namespace cpu {

namespace {

// Per-axis windows of every output position, computed once per call.
struct Windows {
  std::vector<int64_t> start, end, padded;  // padded: avg pool's count_include_pad length
};

// Every window holds an input element (checked by check_max_pool_args).
Windows max_windows(int64_t in, int64_t out, int64_t k, int64_t s, int64_t p, int64_t d) {
  Windows w;
  w.start.resize(out);
  w.end.resize(out);
  for (int64_t o = 0; o < out; ++o) max_pool_window(o, in, k, s, p, d, &w.start[o], &w.end[o]);
  return w;
}

Windows avg_windows(int64_t in, int64_t out, int64_t k, int64_t s, int64_t p) {
  Windows w;
  w.start.resize(out);
  w.end.resize(out);
  w.padded.resize(out);
  for (int64_t o = 0; o < out; ++o) w.padded[o] = avg_pool_window(o, in, k, s, p, &w.start[o], &w.end[o]);
  return w;
}

Windows adaptive_windows(int64_t in, int64_t out) {
  Windows w;
  w.start.resize(out);
  w.end.resize(out);
  for (int64_t o = 0; o < out; ++o) {
    w.start[o] = adaptive_start(o, out, in);
    w.end[o] = adaptive_end(o, out, in);
  }
  w.padded.resize(out);
  for (int64_t o = 0; o < out; ++o) w.padded[o] = w.end[o] - w.start[o];
  return w;
}

// Calls f(src_plane, dst_plane_index) for every (n, c) plane, split across threads.
// src's plane is addressed through its own strides; dst planes are dense.
template <typename T, typename F>
void for_planes(const TensorArg& src, int64_t C, int64_t planes, int64_t cost, F&& f) {
  const T* base = src.data<T>();
  const int64_t sN = src.strides[0], sC = src.strides[1];
  parallel_for(planes, cost, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) f(base + (p / C) * sN + (p % C) * sC, p);
  });
}

// The first NaN of a window (row-major tap order): a NaN wins the max, as in PyTorch.
template <typename T>
void first_nan(const T* xp, int64_t sH, int64_t sW, int64_t W, int64_t h0, int64_t h1, int64_t dh, int64_t w0,
               int64_t w1, int64_t dw, T* best, int64_t* best_i) {
  for (int64_t ih = h0; ih < h1; ih += dh)
    for (int64_t iw = w0; iw < w1; iw += dw)
      if (xp[ih * sH + iw * sW] != xp[ih * sH + iw * sW]) {
        *best = xp[ih * sH + iw * sW];
        *best_i = ih * W + iw;
        return;
      }
}

// True where v replaces the running max `cur` of a window scanned in row-major tap
// order: v is larger (strict, so the first max stays), or v is the window's first NaN.
// Bitwise operators: no branches on (unpredictable) data.
template <typename T>
bool takes_max(T cur, T v) {
  return (v > cur) | ((v != v) & (cur == cur));
}

// 2x2 stride-2 max pooling where every window lies inside the plane (no padding,
// dilation 1; OH <= H/2, OW <= W/2), the pooling layer of most CNNs. The window max
// is a tree (a vs b, c vs d, then the winners), which takes_max makes equal to the
// row-major scan of the generic path, NaNs and ties included. The AVX2 kernel does
// float32 rows of unit column stride; the scalar loop picks the winner by index (an
// integer select) rather than by a data-dependent float branch.
// One plane. Arguments by value: the compiler keeps them in registers although the
// loop stores int64 indices (a captured reference could alias those stores).
template <typename T>
void max_pool_2x2_plane(const T* xp, int64_t sH, int64_t sW, int64_t W, int64_t OH, int64_t OW, bool vec, T* o,
                        int64_t* ix) {
  for (int64_t oh = 0; oh < OH; ++oh, o += OW, ix += OW) {
    const T* r0 = xp + 2 * oh * sH;
    const int64_t row = 2 * oh * W;
    if constexpr (std::is_same_v<T, float>) {
      if (vec) {
        const int64_t done = pool_ukr::max_pool_2x2_row_avx2(r0, r0 + sH, OW, static_cast<int32_t>(row),
                                                             static_cast<int32_t>(W), o, ix);
        if (done < OW)  // the last 8 outputs again, overlapping: same values rewritten
          pool_ukr::max_pool_2x2_row_avx2(r0 + 2 * (OW - 8), r0 + sH + 2 * (OW - 8), 8,
                                          static_cast<int32_t>(row + 2 * (OW - 8)), static_cast<int32_t>(W),
                                          o + OW - 8, ix + OW - 8);
        continue;
      }
    }
    for (int64_t ow = 0; ow < OW; ++ow) {
      // Winner chosen by arithmetic on the comparison bits (t: bottom row wins, dc:
      // right column wins), not by a data-dependent branch.
      const int64_t col = 2 * ow;
      const int64_t tb = takes_max(r0[col * sW], r0[(col + 1) * sW]);
      const int64_t td = takes_max(r0[sH + col * sW], r0[sH + (col + 1) * sW]);
      const int64_t t = takes_max(r0[(col + tb) * sW], r0[sH + (col + td) * sW]);
      const int64_t dc = tb ^ ((tb ^ td) & -t);
      o[ow] = r0[t * sH + (col + dc) * sW];
      ix[ow] = row + col + t * W + dc;
    }
  }
}

// 2x2 stride-2 max pooling where every window lies inside the plane (no padding,
// dilation 1; OH <= H/2, OW <= W/2), the pooling layer of most CNNs. The window max
// is a tree (a vs b, c vs d, then the winners), which takes_max makes equal to the
// row-major scan of the generic path, NaNs and ties included. The AVX2 kernel does
// float32 rows of unit column stride (8 outputs at a time; rows of 8 or more).
template <typename T>
void max_pool_2x2_impl(const TensorArg& x, const TensorArg& out, const TensorArg& idx) {
  const int64_t W = x.shape[3], OH = out.shape[2], OW = out.shape[3], sH = x.strides[2], sW = x.strides[3];
  const bool vec = std::is_same_v<T, float> && sW == 1 && use_avx2() && OW >= 8 &&
                   x.shape[2] * W <= std::numeric_limits<int32_t>::max();
  T* ob = out.data<T>();
  int64_t* ib = idx.data<int64_t>();
  for_planes<T>(x, x.shape[1], x.shape[0] * x.shape[1], 4 * OH * OW, [&](const T* xp, int64_t p) {
    max_pool_2x2_plane(xp, sH, sW, W, OH, OW, vec, ob + p * OH * OW, ib + p * OH * OW);
  });
}

template <typename T>
void max_pool_impl(const TensorArg& x, const TensorArg& out, const TensorArg& idx, const Windows& wh,
                   const Windows& ww, int64_t taps, int64_t dh, int64_t dw) {
  const int64_t W = x.shape[3], OH = out.shape[2], OW = out.shape[3], sH = x.strides[2], sW = x.strides[3];
  T* ob = out.data<T>();
  int64_t* ib = idx.data<int64_t>();
  const int64_t cost = OH * OW * taps;
  for_planes<T>(x, x.shape[1], x.shape[0] * x.shape[1], cost, [&](const T* xp, int64_t p) {
    T* o = ob + p * OH * OW;
    int64_t* ix = ib + p * OH * OW;
    for (int64_t oh = 0; oh < OH; ++oh) {
      const int64_t h0 = wh.start[oh], h1 = wh.end[oh];
      for (int64_t ow = 0; ow < OW; ++ow) {
        const int64_t w0 = ww.start[ow], w1 = ww.end[ow];
        T best = -std::numeric_limits<T>::infinity();
        int64_t best_i = h0 * W + w0;
        bool nan = false;
        // Strict > keeps the first max. Written as selects (no branch on the data,
        // which is unpredictable); NaNs are only noted here and handled below.
        for (int64_t ih = h0; ih < h1; ih += dh) {
          const T* row = xp + ih * sH;
          for (int64_t iw = w0; iw < w1; iw += dw) {
            const T v = row[iw * sW];
            const bool take = v > best;
            best_i = take ? ih * W + iw : best_i;
            best = take ? v : best;
            nan |= v != v;
          }
        }
        if (nan) first_nan(xp, sH, sW, W, h0, h1, dh, w0, w1, dw, &best, &best_i);
        o[oh * OW + ow] = best;
        ix[oh * OW + ow] = best_i;
      }
    }
  });
}

template <typename T>
void max_pool_backward_impl(const TensorArg& go, const TensorArg& idx, const TensorArg& gi) {
  const int64_t C = go.shape[1], OH = go.shape[2], OW = go.shape[3];
  const int64_t HW = gi.shape[2] * gi.shape[3];
  const int64_t gs0 = go.strides[0], gs1 = go.strides[1], gs2 = go.strides[2], gs3 = go.strides[3];
  const int64_t is0 = idx.strides[0], is1 = idx.strides[1], is2 = idx.strides[2], is3 = idx.strides[3];
  const T* gb = go.data<T>();
  const int64_t* ib = idx.data<int64_t>();
  T* db = gi.data<T>();
  std::atomic<bool> bad{false};
  parallel_for(go.shape[0] * C, OH * OW + HW, [&](int64_t p0, int64_t p1) {
    bool chunk_bad = false;
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t n = p / C, c = p % C;
      T* d = db + p * HW;
      std::fill(d, d + HW, T(0));
      for (int64_t oh = 0; oh < OH; ++oh) {
        const T* g = gb + n * gs0 + c * gs1 + oh * gs2;
        const int64_t* ix = ib + n * is0 + c * is1 + oh * is2;
        for (int64_t ow = 0; ow < OW; ++ow) {
          const int64_t k = ix[ow * is3];
          if (static_cast<uint64_t>(k) >= static_cast<uint64_t>(HW)) {  // also catches k < 0
            chunk_bad = true;
            continue;
          }
          d[k] += g[ow * gs3];
        }
      }
    }
    if (chunk_bad) bad.store(true, std::memory_order_relaxed);
  });
  if (bad.load())
    fail_index("max_pool2d_backward: an index is outside the input plane of " + describe(gi));
}

// Window rows (or whole dense planes) of at least kLongRun contiguous values are summed
// in 16 interleaved double partial sums: one running sum waits ~4 cycles per element on
// the previous add (a global 32 x 32 average took 1.3 ns an element), sixteen vectorise
// and overlap. The order differs from one running sum by double roundings only, far
// below T's last bit. Shorter runs (a 2 x 2 or 3 x 3 window's rows, an adaptive 7 x 7
// window's) keep one running sum, and their bits: splitting them costs more than it saves.
constexpr int64_t kLongRun = 64;

template <typename T>
__attribute__((always_inline)) inline double sum_run_portable(const T* r, int64_t n) {
  double acc[16] = {};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int k = 0; k < 16; ++k) acc[k] += static_cast<double>(r[i + k]);
  for (; i < n; ++i) acc[0] += static_cast<double>(r[i]);
  for (int w = 8; w >= 1; w /= 2)  // pairwise: acc[k] += acc[k + w]
    for (int k = 0; k < w; ++k) acc[k] += acc[k + w];
  return acc[0];
}

// The same loop compiled for AVX2 (four of the sixteen sums per instruction: the same bits).
template <typename T>
__attribute__((target("avx2"))) double sum_run_avx2(const T* r, int64_t n) { return sum_run_portable(r, n); }

template <typename T>
double sum_run(const T* r, int64_t n) {
  return use_avx2() ? sum_run_avx2(r, n) : sum_run_portable(r, n);
}

// The global average of short dense planes (an adaptive 7 x 7 -> 1 x 1, the head of
// ResNet-style nets): one running double sum per plane in the plane's order, the bits of
// window_avg_impl's loop, with eight planes side by side so that their add latencies
// overlap (one plane's chain of 49 dependent adds left the core waiting: 0.42 ms for
// 64 x 128 planes of 7 x 7 where torch took 0.08).
template <typename T>
void short_plane_means(const TensorArg& src, T* out, int64_t len, double divisor) {
  constexpr int kSide = 8;
  const T* base = src.data<T>();
  const int64_t C = src.shape[1], planes = src.shape[0] * C, sN = src.strides[0], sC = src.strides[1];
  parallel_for((planes + kSide - 1) / kSide, kSide * len, [&](int64_t g0, int64_t g1) {
    for (int64_t g = g0; g < g1; ++g) {
      const int64_t p0 = g * kSide, m = std::min<int64_t>(kSide, planes - p0);
      const T* plane[kSide];
      for (int k = 0; k < kSide; ++k) {  // a short last group repeats its last plane
        const int64_t p = p0 + std::min<int64_t>(k, m - 1);
        plane[k] = base + (p / C) * sN + (p % C) * sC;
      }
      double sum[kSide] = {};
      for (int64_t i = 0; i < len; ++i)
        for (int k = 0; k < kSide; ++k) sum[k] += static_cast<double>(plane[k][i]);
      for (int k = 0; k < m; ++k) out[p0 + k] = static_cast<T>(sum[k] / divisor);
    }
  });
}

// Forward: dst (pooled) = window sums of src / divisor. Backward: dst (input-sized,
// zeroed first) gets src / divisor added over each window. Adaptive pooling passes
// windows whose padded length is the real length, so its divisor is the window area.
template <typename T, bool Backward>
void window_avg_impl(const TensorArg& src, const TensorArg& dst, const Windows& wh, const Windows& ww,
                     bool count_include_pad, int64_t divisor_override) {
  const TensorArg& big = Backward ? dst : src;
  const TensorArg& small = Backward ? src : dst;
  const int64_t H = big.shape[2], W = big.shape[3], OH = small.shape[2], OW = small.shape[3];
  const int64_t sH = src.strides[2], sW = src.strides[3];
  const int64_t dst_plane = dst.shape[2] * dst.shape[3];
  T* db = dst.data<T>();
  if constexpr (!Backward) {
    const bool whole_dense_plane = OH == 1 && OW == 1 && wh.start[0] == 0 && wh.end[0] == H && ww.start[0] == 0 &&
                                   ww.end[0] == W && sW == 1 && sH == W;
    if (whole_dense_plane) {
      const int64_t div = avg_pool_divisor(wh.padded[0] * ww.padded[0], H * W, count_include_pad, divisor_override);
      if constexpr (std::is_same_v<T, float>) {
        if (use_avx2()) {  // vector sums, no per-plane setup: 7x7 and 16x16 planes 2-3x faster
          const int64_t C = src.shape[1], planes = src.shape[0] * C;
          parallel_for(planes, H * W, [&](int64_t p0, int64_t p1) {
            pool_ukr::dense_plane_means_avx2(src.data<float>(), p0, p1, C, src.strides[0], src.strides[1], H * W,
                                             static_cast<double>(div), db);
          });
          return;
        }
      }
      if (H * W < kLongRun) return short_plane_means(src, db, H * W, static_cast<double>(div));
    }
  }
  const int64_t cost = H * W + OH * OW;
  for_planes<T>(src, src.shape[1], src.shape[0] * src.shape[1], cost, [&](const T* sp, int64_t p) {
    T* d = db + p * dst_plane;
    if (Backward) std::fill(d, d + dst_plane, T(0));
    for (int64_t oh = 0; oh < OH; ++oh) {
      const int64_t h0 = wh.start[oh], h1 = wh.end[oh];
      for (int64_t ow = 0; ow < OW; ++ow) {
        const int64_t w0 = ww.start[ow], w1 = ww.end[ow];
        const int64_t real = (h1 - h0) * (w1 - w0);
        const int64_t div = avg_pool_divisor(wh.padded[oh] * ww.padded[ow], real, count_include_pad, divisor_override);
        if (Backward) {
          const T g = sp[oh * sH + ow * sW] / static_cast<T>(div);
          for (int64_t ih = h0; ih < h1; ++ih) {
            T* r = d + ih * W;
            for (int64_t iw = w0; iw < w1; ++iw) r[iw] += g;
          }
        } else {
          double sum = 0;  // double accumulation, as PyTorch's CPU acc_type for float
          if (w0 == 0 && w1 == W && sW == 1 && sH == W && (h1 - h0) * W >= kLongRun) {
            sum = sum_run(sp + h0 * W, (h1 - h0) * W);  // whole rows of a dense plane: one run
          } else {
            for (int64_t ih = h0; ih < h1; ++ih) {
              const T* r = sp + ih * sH;
              if (sW == 1 && w1 - w0 >= kLongRun) {
                sum += sum_run(r + w0, w1 - w0);
              } else {
                for (int64_t iw = w0; iw < w1; ++iw) sum += r[iw * sW];
              }
            }
          }
          d[oh * OW + ow] = static_cast<T>(sum / static_cast<double>(div));
        }
      }
    }
  });
}

}  // namespace

void max_pool2d(const TensorArg& x, const TensorArg& out, const TensorArg& indices, int64_t kh, int64_t kw,
                int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw, bool ceil_mode) {
  const PoolSize s =
      check_max_pool_args(on_cpu("max_pool2d"), x, out, indices, kh, kw, sh, sw, ph, pw, dh, dw, ceil_mode);
  const int64_t H = x.shape[2], W = x.shape[3], OH = s.OH, OW = s.OW;
  const Windows wh = max_windows(H, OH, kh, sh, ph, dh), ww = max_windows(W, OW, kw, sw, pw, dw);
  if (out.numel() == 0) return;
  const bool two_by_two = kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0 && dh == 1 && dw == 1 &&
                          2 * OH <= H && 2 * OW <= W;
  FASTDL_DISPATCH_FLOAT(x.dtype, "max_pool2d", [&] {
    if (two_by_two)
      max_pool_2x2_impl<scalar_t>(x, out, indices);
    else
      max_pool_impl<scalar_t>(x, out, indices, wh, ww, kh * kw, dh, dw);
  })
}

void max_pool2d_backward(const TensorArg& grad_out, const TensorArg& indices, const TensorArg& grad_in) {
  check_max_pool_backward_args(on_cpu("max_pool2d_backward"), grad_out, indices, grad_in);
  FASTDL_DISPATCH_FLOAT(grad_in.dtype, "max_pool2d_backward",
                        [&] { max_pool_backward_impl<scalar_t>(grad_out, indices, grad_in); })
}

void avg_pool2d(const TensorArg& x, const TensorArg& out, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                int64_t ph, int64_t pw, bool ceil_mode, bool count_include_pad, int64_t divisor_override) {
  const char* op = "avg_pool2d";
  const PoolSize s =
      check_avg_pool_args(op, on_cpu(op), x, out, false, kh, kw, sh, sw, ph, pw, ceil_mode, divisor_override);
  const Windows wh = avg_windows(x.shape[2], s.OH, kh, sh, ph), ww = avg_windows(x.shape[3], s.OW, kw, sw, pw);
  if (out.numel() == 0) return;
  FASTDL_DISPATCH_FLOAT(x.dtype, "avg_pool2d", [&] {
    window_avg_impl<scalar_t, false>(x, out, wh, ww, count_include_pad, divisor_override);
  })
}

void avg_pool2d_backward(const TensorArg& grad_out, const TensorArg& grad_in, int64_t kh, int64_t kw,
                         int64_t sh, int64_t sw, int64_t ph, int64_t pw, bool ceil_mode,
                         bool count_include_pad, int64_t divisor_override) {
  const char* op = "avg_pool2d_backward";
  const PoolSize s = check_avg_pool_args(op, on_cpu(op), grad_in, grad_out, true, kh, kw, sh, sw, ph, pw, ceil_mode,
                                         divisor_override);
  const Windows wh = avg_windows(grad_in.shape[2], s.OH, kh, sh, ph);
  const Windows ww = avg_windows(grad_in.shape[3], s.OW, kw, sw, pw);
  if (grad_in.numel() == 0) return;
  FASTDL_DISPATCH_FLOAT(grad_in.dtype, "avg_pool2d_backward", [&] {
    window_avg_impl<scalar_t, true>(grad_out, grad_in, wh, ww, count_include_pad, divisor_override);
  })
}

void adaptive_avg_pool2d(const TensorArg& x, const TensorArg& out) {
  const char* op = "adaptive_avg_pool2d";
  check_adaptive_pool_args(op, on_cpu(op), x, out, false);
  if (out.numel() == 0) return;
  const Windows wh = adaptive_windows(x.shape[2], out.shape[2]), ww = adaptive_windows(x.shape[3], out.shape[3]);
  FASTDL_DISPATCH_FLOAT(x.dtype, "adaptive_avg_pool2d",
                        [&] { window_avg_impl<scalar_t, false>(x, out, wh, ww, true, 0); })
}

void adaptive_avg_pool2d_backward(const TensorArg& grad_out, const TensorArg& grad_in) {
  const char* op = "adaptive_avg_pool2d_backward";
  check_adaptive_pool_args(op, on_cpu(op), grad_in, grad_out, true);
  if (grad_in.numel() == 0) return;
  const Windows wh = adaptive_windows(grad_in.shape[2], grad_out.shape[2]);
  const Windows ww = adaptive_windows(grad_in.shape[3], grad_out.shape[3]);
  FASTDL_DISPATCH_FLOAT(grad_in.dtype, "adaptive_avg_pool2d_backward",
                        [&] { window_avg_impl<scalar_t, true>(grad_out, grad_in, wh, ww, true, 0); })
}

}  // namespace cpu
}  // namespace fastdl
