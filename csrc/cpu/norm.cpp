#include "norm.h"

#include <algorithm>
#include <cmath>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "../core/cpu_features.h"
#include "../core/parallel.h"
#include "layer_norm_rows.h"
#include "norm_args.h"

namespace fastdl {
namespace cpu {

namespace {

// (sum f0(j), sum f1(j)) over j < n in double, in 8 independent lanes so that the
// loop vectorises instead of waiting on one chain of additions.
template <typename F0, typename F1>
std::pair<double, double> lane_sums(int64_t n, F0 f0, F1 f1) {
  double l0[8] = {}, l1[8] = {};
  int64_t j = 0;
  for (; j + 8 <= n; j += 8)
    for (int k = 0; k < 8; ++k) {
      l0[k] += f0(j + k);
      l1[k] += f1(j + k);
    }
  double s0 = 0, s1 = 0;
  for (int k = 0; k < 8; ++k) { s0 += l0[k]; s1 += l1[k]; }
  for (; j < n; ++j) { s0 += f0(j); s1 += f1(j); }
  return {s0, s1};
}

// A 1-D (possibly strided) vector, or nothing (reads as `dflt`).
template <typename T> struct Vec {
  T* p = nullptr;
  int64_t s = 0;
  explicit Vec(const OptArg& t) {
    if (t) { p = t->data<T>(); s = t->ndim() ? t->strides[0] : 1; }
  }
  explicit Vec(const TensorArg& t) : p(t.data<T>()), s(t.ndim() ? t.strides[0] : 1) {}
  T get(int64_t i, T dflt) const { return p ? p[i * s] : dflt; }
  T& operator[](int64_t i) const { return p[i * s]; }
};

// ---- batch norm: contiguous x seen as (N, C, S) (norm_args.h) ----

// Channels [c0, c1) of channel_reduce below: a0[c] = sum f0(i, c), a1[c] = sum f1(i, c)
// over the flat indices i of channel c. With S == 1 the channels are the contiguous dim,
// so the range is swept row by row into per-channel sums; otherwise one channel's N runs
// of S contiguous values at a time.
template <typename F0, typename F1>
void reduce_channel_range(const NCS& d, int64_t c0, int64_t c1, double* a0, double* a1, const F0& f0,
                          const F1& f1) {
  if (d.S == 1) {
    constexpr int64_t B = 64;
    for (int64_t cb = c0; cb < c1; cb += B) {
      const int64_t ce = std::min(c1, cb + B);
      double s0[B] = {}, s1[B] = {};
      for (int64_t n = 0; n < d.N; ++n)
        for (int64_t c = cb; c < ce; ++c) {
          s0[c - cb] += f0(n * d.C + c, c);
          s1[c - cb] += f1(n * d.C + c, c);
        }
      for (int64_t c = cb; c < ce; ++c) { a0[c] = s0[c - cb]; a1[c] = s1[c - cb]; }
    }
    return;
  }
  for (int64_t c = c0; c < c1; ++c) {
    double s0 = 0, s1 = 0;
    for (int64_t n = 0; n < d.N; ++n) {
      const int64_t base = (n * d.C + c) * d.S;
      const auto [r0, r1] = lane_sums(d.S, [&](int64_t s) { return f0(base + s, c); },
                                      [&](int64_t s) { return f1(base + s, c); });
      s0 += r0;
      s1 += r1;
    }
    a0[c] = s0;
    a1[c] = s1;
  }
}

// Rows [r0, r1) of channel_map below (rows of C values when S == 1, else runs of S values
// of one channel): f(i, c) for each flat index i.
template <typename F>
void map_row_range(const NCS& d, int64_t r0, int64_t r1, const F& f) {
  if (d.S == 1) {
    for (int64_t n = r0; n < r1; ++n)
      for (int64_t c = 0; c < d.C; ++c) f(n * d.C + c, c);
    return;
  }
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t c = r % d.C, base = r * d.S;
    for (int64_t s = 0; s < d.S; ++s) f(base + s, c);
  }
}

// The same ranges compiled for AVX2 (picked by use_avx2()), `flatten` inlining the
// lambdas so that the lanes use 256-bit vectors. norm.cpp is compiled without FMA
// contraction, so both copies give the same bits. Batch norm forward + backward at cnn1d's
// shapes, 1 thread: 5-9% faster (bench/README item 75); short runs (S = 5-40) leave the
// 8-lane partial sums little to vectorise.
#if defined(__x86_64__) && defined(__GNUC__)
template <typename F0, typename F1>
__attribute__((target("avx2,fma"), flatten)) void reduce_channel_range_avx2(const NCS& d, int64_t c0, int64_t c1,
                                                                           double* a0, double* a1, const F0& f0,
                                                                           const F1& f1) {
  reduce_channel_range(d, c0, c1, a0, a1, f0, f1);
}
template <typename F>
__attribute__((target("avx2,fma"), flatten)) void map_row_range_avx2(const NCS& d, int64_t r0, int64_t r1,
                                                                    const F& f) {
  map_row_range(d, r0, r1, f);
}
#endif

// For every channel c: a0[c] = sum f0(i, c), a1[c] = sum f1(i, c), threaded over channel
// blocks (each channel's sum in a fixed order, whatever the thread count).
template <typename F0, typename F1>
void channel_reduce(const NCS& d, double* a0, double* a1, F0 f0, F1 f1) {
  auto range = &reduce_channel_range<F0, F1>;
#if defined(__x86_64__) && defined(__GNUC__)
  if (use_avx2()) range = &reduce_channel_range_avx2<F0, F1>;
#endif
  if (d.S == 1) {
    constexpr int64_t B = 64;
    const int64_t nblk = (d.C + B - 1) / B;
    parallel_for(nblk, d.N * B, [&](int64_t b0, int64_t b1) {
      range(d, b0 * B, std::min(d.C, b1 * B), a0, a1, f0, f1);
    });
    return;
  }
  parallel_for(d.C, d.count(), [&](int64_t c0, int64_t c1) { range(d, c0, c1, a0, a1, f0, f1); });
}

// Calls f(i, c) for every flat index i (channel c), threaded over rows.
template <typename F>
void channel_map(const NCS& d, F f) {
  auto range = &map_row_range<F>;
#if defined(__x86_64__) && defined(__GNUC__)
  if (use_avx2()) range = &map_row_range_avx2<F>;
#endif
  if (d.S == 1) {
    parallel_for(d.N, d.C, [&](int64_t n0, int64_t n1) { range(d, n0, n1, f); });
    return;
  }
  parallel_for(d.N * d.C, d.S, [&](int64_t r0, int64_t r1) { range(d, r0, r1, f); });
}

}  // namespace

void batch_norm(const TensorArg& x, const OptArg& weight, const OptArg& bias, const OptArg& running_mean,
                const OptArg& running_var, const TensorArg& out, const TensorArg& save_mean,
                const TensorArg& save_invstd, bool training, double momentum, double eps) {
  const NCS d = check_batch_norm_args(on_cpu("batch_norm"), x, weight, bias, running_mean, running_var, out,
                                      save_mean, save_invstd, training, eps);
  FASTDL_DISPATCH_FLOAT(x.dtype, "batch_norm", [&] {
    using T = scalar_t;
    const T* xp = x.data<T>();
    T* yp = out.data<T>();
    const Vec<T> w(weight), b(bias), rm(running_mean), rv(running_var);
    const Vec<T> sm(save_mean), si(save_invstd);
    std::vector<double> mean(d.C, 0.0), var(d.C, 0.0);
    if (training && d.count() > 0) {
      // one pass, shifted by each channel's first value so that a large mean does
      // not cancel the variance away
      std::vector<double> s0(d.C), s1(d.C);
      auto dev = [&](int64_t i, int64_t c) { return double(xp[i]) - double(xp[c * d.S]); };
      channel_reduce(d, s0.data(), s1.data(), dev, [&](int64_t i, int64_t c) {
        const double v = dev(i, c);
        return v * v;
      });
      const double n = double(d.count());
      for (int64_t c = 0; c < d.C; ++c) {
        mean[c] = double(xp[c * d.S]) + s0[c] / n;
        var[c] = std::max(0.0, (s1[c] - s0[c] * s0[c] / n) / n);
      }
      if (rm.p)
        for (int64_t c = 0; c < d.C; ++c) {
          rm[c] = T((1 - momentum) * double(rm[c]) + momentum * mean[c]);
          rv[c] = T((1 - momentum) * double(rv[c]) + momentum * var[c] * n / (n - 1));
        }
    } else if (!training) {
      for (int64_t c = 0; c < d.C; ++c) { mean[c] = double(rm[c]); var[c] = double(rv[c]); }
    }
    std::vector<T> mu(d.C), scale(d.C), shift(d.C);
    for (int64_t c = 0; c < d.C; ++c) {
      const double inv = 1.0 / std::sqrt(var[c] + eps);
      sm[c] = mu[c] = T(mean[c]);
      si[c] = T(inv);
      scale[c] = T(inv * double(w.get(c, T(1))));
      shift[c] = b.get(c, T(0));
    }
    channel_map(d, [&](int64_t i, int64_t c) { yp[i] = (xp[i] - mu[c]) * scale[c] + shift[c]; });
  })
}

void batch_norm_backward(const TensorArg& grad_out, const TensorArg& x, const OptArg& weight,
                         const TensorArg& save_mean, const TensorArg& save_invstd, const OptArg& grad_x,
                         const OptArg& grad_weight, const OptArg& grad_bias, bool training) {
  const NCS d = check_batch_norm_backward_args(on_cpu("batch_norm_backward"), grad_out, x, weight, save_mean,
                                               save_invstd, grad_x, grad_weight, grad_bias);
  FASTDL_DISPATCH_FLOAT(x.dtype, "batch_norm_backward", [&] {
    using T = scalar_t;
    const T* xp = x.data<T>();
    const T* gp = grad_out.data<T>();
    const Vec<T> w(weight), sm(save_mean), si(save_invstd), gw(grad_weight), gb(grad_bias);
    std::vector<double> sum_g(d.C), sum_gx(d.C);  // sum g, sum g * (x - mean)
    const bool need_sums = gw.p || gb.p || (grad_x && training);
    if (need_sums)
      channel_reduce(
          d, sum_g.data(), sum_gx.data(), [&](int64_t i, int64_t) { return double(gp[i]); },
          [&](int64_t i, int64_t c) { return double(gp[i]) * (double(xp[i]) - double(sm[c])); });
    for (int64_t c = 0; c < d.C; ++c) {
      if (gb.p) gb[c] = T(sum_g[c]);
      if (gw.p) gw[c] = T(sum_gx[c] * double(si[c]));
    }
    if (!grad_x) return;
    T* gxp = grad_x->data<T>();
    std::vector<T> k(d.C), mg(d.C), p(d.C), mu(d.C);
    const double n = double(std::max<int64_t>(d.count(), 1));
    for (int64_t c = 0; c < d.C; ++c) {
      const double inv = double(si[c]);
      k[c] = T(double(w.get(c, T(1))) * inv);
      mu[c] = sm[c];
      // dx = w * invstd * (g - mean(g) - xhat * mean(g * xhat)), xhat = (x - mean) * invstd
      mg[c] = training ? T(sum_g[c] / n) : T(0);
      p[c] = training ? T(sum_gx[c] * inv * inv / n) : T(0);
    }
    channel_map(d, [&](int64_t i, int64_t c) { gxp[i] = k[c] * (gp[i] - mg[c] - (xp[i] - mu[c]) * p[c]); });
  })
}

// ---- layer norm: contiguous x seen as (M, D) (norm_args.h) ----

namespace {

// Row chunks for the weight / bias gradients: each chunk sums its rows into its own
// partial, then the partials are added in chunk order. The chunking depends only on
// (M, D), never on the thread count, so the result is deterministic; partials are
// capped at about 2^21 doubles each for weight and bias.
int64_t row_chunks(const MD& s) {
  const int64_t cap = std::max<int64_t>(1, (int64_t(1) << 21) / std::max<int64_t>(s.D, 1));
  return std::max<int64_t>(1, std::min<int64_t>({s.M, int64_t(64), cap}));
}

// T* seen as float*, for the float32-only AVX2 row loops: reached only when T is float
// (`avx2` is false otherwise), but the dispatch lambda compiles the call for both dtypes.
template <typename T> const float* f32(const T* p) { return reinterpret_cast<const float*>(p); }
template <typename T> float* f32(T* p) { return reinterpret_cast<float*>(p); }

}  // namespace

void layer_norm(const TensorArg& x, const OptArg& weight, const OptArg& bias, const TensorArg& out,
                const TensorArg& mean, const TensorArg& rstd, int64_t axis, double eps) {
  const MD s = check_layer_norm_args(on_cpu("layer_norm"), x, weight, bias, out, mean, rstd, axis, eps);
  FASTDL_DISPATCH_FLOAT(x.dtype, "layer_norm", [&] {
    using T = scalar_t;
    const T* w = weight ? weight->data<T>() : nullptr;
    const T* b = bias ? bias->data<T>() : nullptr;
    T* mp = mean.data<T>();
    T* rp = rstd.data<T>();
    const bool avx2 = std::is_same_v<T, float> && use_avx2();
    parallel_for(s.M, s.D, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const T* xr = x.data<T>() + r * s.D;
        T* yr = out.data<T>() + r * s.D;
        // one pass, shifted by the row's first value so that a large mean does not
        // cancel the variance away
        const double shift = s.D ? double(xr[0]) : 0.0, n = double(std::max<int64_t>(s.D, 1));
        double s0 = 0, s1 = 0;
        if (avx2) layer_norm_avx2::moments(f32(xr), s.D, shift, &s0, &s1);
        else
          std::tie(s0, s1) = lane_sums(s.D, [&](int64_t j) { return double(xr[j]) - shift; }, [&](int64_t j) {
            const double v = double(xr[j]) - shift;
            return v * v;
          });
        const double mu = shift + s0 / n;
        const double inv = 1.0 / std::sqrt(std::max(0.0, (s1 - s0 * s0 / n) / n) + eps);
        mp[r] = T(mu);
        rp[r] = T(inv);
        const T m = T(mu), k = T(inv);
        if (avx2) {
          layer_norm_avx2::normalize(f32(xr), s.D, m, k, f32(w), f32(b), f32(yr));
          continue;
        }
        if (w && b) for (int64_t j = 0; j < s.D; ++j) yr[j] = (xr[j] - m) * k * w[j] + b[j];
        else if (w) for (int64_t j = 0; j < s.D; ++j) yr[j] = (xr[j] - m) * k * w[j];
        else if (b) for (int64_t j = 0; j < s.D; ++j) yr[j] = (xr[j] - m) * k + b[j];
        else for (int64_t j = 0; j < s.D; ++j) yr[j] = (xr[j] - m) * k;
      }
    });
  })
}

void layer_norm_backward(const TensorArg& grad_out, const TensorArg& x, const TensorArg& mean,
                         const TensorArg& rstd, const OptArg& weight, const OptArg& grad_x,
                         const OptArg& grad_weight, const OptArg& grad_bias, int64_t axis) {
  const MD s = check_layer_norm_backward_args(on_cpu("layer_norm_backward"), grad_out, x, mean, rstd, weight,
                                             grad_x, grad_weight, grad_bias, axis);
  FASTDL_DISPATCH_FLOAT(x.dtype, "layer_norm_backward", [&] {
    using T = scalar_t;
    const T* xp = x.data<T>();
    const T* gp = grad_out.data<T>();
    const T* mp = mean.data<T>();
    const T* rp = rstd.data<T>();
    const T* w = weight ? weight->data<T>() : nullptr;
    T* gxp = grad_x ? grad_x->data<T>() : nullptr;
    const bool sums = grad_weight || grad_bias;
    const int64_t nchunk = row_chunks(s);
    std::vector<double> part_w(sums ? nchunk * s.D : 0, 0.0), part_b(sums ? nchunk * s.D : 0, 0.0);
    const bool avx2 = std::is_same_v<T, float> && use_avx2();
    parallel_for(nchunk, s.M / nchunk * s.D, [&](int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c) {
        double* pw = sums ? part_w.data() + c * s.D : nullptr;
        double* pb = sums ? part_b.data() + c * s.D : nullptr;
        for (int64_t r = s.M * c / nchunk; r < s.M * (c + 1) / nchunk; ++r) {
          const T* xr = xp + r * s.D;
          const T* gr = gp + r * s.D;
          const double m = double(mp[r]), k = double(rp[r]);
          if (avx2) {
            if (sums) layer_norm_avx2::param_grads(f32(gr), f32(xr), s.D, m, k, pw, pb);
            if (!gxp) continue;
            double a, b;
            layer_norm_avx2::grad_moments(f32(gr), f32(xr), f32(w), s.D, m, k, &a, &b);
            const double inv_d = s.D ? 1.0 / double(s.D) : 0.0;
            layer_norm_avx2::grad_input(f32(gr), f32(xr), f32(w), s.D, float(m), float(k), float(a * inv_d),
                                        float(b * inv_d), f32(gxp + r * s.D));
            continue;
          }
          if (sums)
            for (int64_t j = 0; j < s.D; ++j) {
              pw[j] += double(gr[j]) * (double(xr[j]) - m) * k;
              pb[j] += double(gr[j]);
            }
          if (!gxp) continue;
          // dx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat)), gw = g * weight
          auto gw = [&](int64_t j) { return double(gr[j]) * (w ? double(w[j]) : 1.0); };
          const auto [a, b] = lane_sums(s.D, gw, [&](int64_t j) { return gw(j) * (double(xr[j]) - m) * k; });
          const double inv_d = s.D ? 1.0 / double(s.D) : 0.0;
          const T ma = T(a * inv_d), mb = T(b * inv_d), tm = T(m), tk = T(k);
          T* dr = gxp + r * s.D;
          if (w) for (int64_t j = 0; j < s.D; ++j) dr[j] = tk * (gr[j] * w[j] - ma - (xr[j] - tm) * tk * mb);
          else for (int64_t j = 0; j < s.D; ++j) dr[j] = tk * (gr[j] - ma - (xr[j] - tm) * tk * mb);
        }
      }
    });
    if (!sums) return;
    T* gwp = grad_weight ? grad_weight->data<T>() : nullptr;
    T* gbp = grad_bias ? grad_bias->data<T>() : nullptr;
    for (int64_t c = 1; c < nchunk; ++c)
      for (int64_t j = 0; j < s.D; ++j) {
        part_w[j] += part_w[c * s.D + j];
        part_b[j] += part_b[c * s.D + j];
      }
    for (int64_t j = 0; j < s.D; ++j) {
      if (gwp) gwp[j] = T(part_w[j]);
      if (gbp) gbp[j] = T(part_b[j]);
    }
  })
}

}  // namespace cpu
}  // namespace fastdl
