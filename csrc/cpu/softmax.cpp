#include "softmax.h"
#include "softmax_args.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>

#include "../common/reduce_ops.h"
#include "../core/cpu_features.h"
#include "../core/parallel.h"
#include "elementwise.h"

namespace fastdl {
namespace cpu {

namespace {

// Columns of an (L, inner) slab handled together when the dim is not the last one:
// each pass streams whole rows of kBlock contiguous elements.
constexpr int64_t kBlock = 256;

// NaN-propagating max, in the form GCC vectorises (see reduce_ops.h).
template <typename T> T nan_max(T a, T v) { return red::Max<T>::step(a, v, 0); }

// exp written so that loops calling it vectorise (glibc's expf does not): Cephes'
// range reduction and degree-5 polynomial, within 2 ulp; results below 2^-125 flush
// to 0. Clamping and NaN handling use integer selects, because a float compare in
// the loop would keep GCC from if-converting it. double keeps std::exp.
inline float vexp(float x) {
  int32_t ix;
  std::memcpy(&ix, &x, sizeof(ix));
  const int32_t kHi = 0x42b18000;  // 88.75f: the result overflows to inf from 88.7228
  const int32_t kLo = 0x42af0000;  // |-87.5f|: the result underflows to 0
  // As int32, positive floats grow with x and negative ones with |x|: one min()
  // against a sign-dependent bound clamps both ends. NaN passes through.
  const int32_t bound = kHi ^ ((ix >> 31) & (kHi ^ (INT32_MIN | kLo)));
  int32_t ic = ix < bound ? ix : bound;
  ic = (ix & 0x7fffffff) > 0x7f800000 ? ix : ic;
  float xc;
  std::memcpy(&xc, &ic, sizeof(xc));
  const float t = xc * 1.44269504088896341f;
  const float n = (t + 12582912.0f) - 12582912.0f;  // round to nearest (|t| < 2^22)
  const float r = (xc - n * 0.693359375f) + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  // 2^n as 2^(n-1) * 2 so that n = 128 (x near the overflow bound) is representable.
  const uint32_t sbits = uint32_t(static_cast<int32_t>(n) + 126) << 23;
  float scale;
  std::memcpy(&scale, &sbits, sizeof(scale));
  return p * scale * 2.0f;
}
inline double vexp(double x) { return std::exp(x); }

// Max of a contiguous run in 32 independent lanes (4 AVX registers). NaNs are skipped
// (v > a ? v : a, one vector max; the NaN-propagating select compiled to branches here):
// a row with a NaN comes out all NaN anyway, through exp(NaN - m) in its sum.
template <typename T> T row_max(const T* x, int64_t n) {
  constexpr int kLanes = 32;
  T lane[kLanes];
  for (int k = 0; k < kLanes; ++k) lane[k] = -T(HUGE_VAL);
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int k = 0; k < kLanes; ++k) lane[k] = x[j + k] > lane[k] ? x[j + k] : lane[k];
  for (int w = kLanes / 2; w >= 1; w /= 2)
    for (int k = 0; k < w; ++k) lane[k] = lane[k + w] > lane[k] ? lane[k + w] : lane[k];
  T m = lane[0];
  for (; j < n; ++j) m = x[j] > m ? x[j] : m;
  return m;
}

// Sum of a contiguous run in double, 8 independent lanes (no reassociation of one chain).
template <typename T> double row_sum(const T* x, int64_t n) {
  double lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t j = 0;
  for (; j + 8 <= n; j += 8)
    for (int k = 0; k < 8; ++k) lane[k] += double(x[j + k]);
  double s = 0;
  for (int k = 0; k < 8; ++k) s += lane[k];
  for (; j < n; ++j) s += double(x[j]);
  return s;
}

// sum_j exp(x[j] - m). Writes the exps to y when given (y may be x), else stages
// them in a small buffer, so the exp loop and the sum loop both vectorise.
template <typename T> double sum_exp(const T* x, T m, int64_t n, T* y) {
  double s = 0;
  T tmp[kBlock];
  for (int64_t j0 = 0; j0 < n; j0 += kBlock) {
    const int64_t w = std::min(kBlock, n - j0);
    T* e = y ? y + j0 : tmp;
    for (int64_t j = 0; j < w; ++j) e[j] = vexp(x[j0 + j] - m);
    s += row_sum(e, w);
  }
  return s;
}

// ---- forward: x and y contiguous (they may be the same memory) ----

template <typename T>
void softmax_row(const T* x, T* y, int64_t L, bool log) {
  const T m = row_max(x, L);
  if (log) {
    const T ls = T(std::log(sum_exp(x, m, L, static_cast<T*>(nullptr))));
    for (int64_t j = 0; j < L; ++j) y[j] = (x[j] - m) - ls;
  } else {
    const T inv = T(1.0 / sum_exp(x, m, L, y));
    for (int64_t j = 0; j < L; ++j) y[j] *= inv;
  }
}

// w columns (at most kBlock) of an (L, inner) slab; row l starts at x + l * inner.
template <typename T>
void softmax_cols(const T* x, T* y, int64_t L, int64_t inner, int64_t w, bool log) {
  T m[kBlock];
  double s[kBlock];
  for (int64_t j = 0; j < w; ++j) { m[j] = -T(HUGE_VAL); s[j] = 0; }
  for (int64_t l = 0; l < L; ++l)
    for (int64_t j = 0; j < w; ++j) m[j] = nan_max(m[j], x[l * inner + j]);
  if (log) {
    for (int64_t l = 0; l < L; ++l)
      for (int64_t j = 0; j < w; ++j) s[j] += vexp(x[l * inner + j] - m[j]);
    T ls[kBlock];
    for (int64_t j = 0; j < w; ++j) ls[j] = T(std::log(s[j]));
    for (int64_t l = 0; l < L; ++l)
      for (int64_t j = 0; j < w; ++j) y[l * inner + j] = (x[l * inner + j] - m[j]) - ls[j];
  } else {
    for (int64_t l = 0; l < L; ++l)
      for (int64_t j = 0; j < w; ++j) {
        const T e = vexp(x[l * inner + j] - m[j]);
        y[l * inner + j] = e;
        s[j] += e;
      }
    T inv[kBlock];
    for (int64_t j = 0; j < w; ++j) inv[j] = T(1.0 / s[j]);
    for (int64_t l = 0; l < L; ++l)
      for (int64_t j = 0; j < w; ++j) y[l * inner + j] *= inv[j];
  }
}

// AVX2+FMA and AVX-512 builds of the float kernels, picked at run time (use_avx2(),
// use_avx512()). `flatten` inlines the portable helpers above into them, so they
// vectorise 8 or 16 wide. Their sums run in explicit lanes and both builds contract the
// same products into FMAs, so the two give the same bits.
#if defined(__x86_64__) && defined(__GNUC__)
#define FASTDL_HAVE_AVX2_FNS 1
#define FASTDL_AVX2_FMA __attribute__((target("avx2,fma"), flatten))
#define FASTDL_AVX512_FMA __attribute__((target("avx512f,fma,prefer-vector-width=512"), flatten))
FASTDL_AVX2_FMA void softmax_row_avx2(const float* x, float* y, int64_t L, bool log) { softmax_row(x, y, L, log); }
FASTDL_AVX512_FMA void softmax_row_avx512(const float* x, float* y, int64_t L, bool log) {
  softmax_row(x, y, L, log);
}
FASTDL_AVX2_FMA void softmax_cols_avx2(const float* x, float* y, int64_t L, int64_t inner, int64_t w, bool log) {
  softmax_cols(x, y, L, inner, w, log);
}
FASTDL_AVX512_FMA void softmax_cols_avx512(const float* x, float* y, int64_t L, int64_t inner, int64_t w, bool log) {
  softmax_cols(x, y, L, inner, w, log);
}
#endif

// The AVX-512 build where use_avx512(), else the AVX2 one where use_avx2(), else portable.
template <typename F> F pick_isa(F avx512, F avx2, F portable) {
  return use_avx512() ? avx512 : use_avx2() ? avx2 : portable;
}

template <typename T> auto fwd_row() { return &softmax_row<T>; }
template <typename T> auto fwd_cols() { return &softmax_cols<T>; }
#ifdef FASTDL_HAVE_AVX2_FNS
template <> auto fwd_row<float>() { return pick_isa(&softmax_row_avx512, &softmax_row_avx2, &softmax_row<float>); }
template <> auto fwd_cols<float>() { return pick_isa(&softmax_cols_avx512, &softmax_cols_avx2, &softmax_cols<float>); }
#endif

// ---- backward: y, gy, gx contiguous; gy may be gx's memory ----

template <typename T>
void backward_row(const T* y, const T* gy, T* gx, int64_t L, bool log) {
  if (log) {
    const T st = T(row_sum(gy, L));
    for (int64_t j = 0; j < L; ++j) gx[j] = gy[j] - vexp(y[j]) * st;
  } else {
    double lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};  // sum(gy * y), 8 lanes as in row_sum
    int64_t j = 0;
    for (; j + 8 <= L; j += 8)
      for (int k = 0; k < 8; ++k) lane[k] += double(gy[j + k]) * double(y[j + k]);
    double s = 0;
    for (int k = 0; k < 8; ++k) s += lane[k];
    for (; j < L; ++j) s += double(gy[j]) * double(y[j]);
    const T st = T(s);
    for (int64_t j = 0; j < L; ++j) gx[j] = y[j] * (gy[j] - st);
  }
}

template <typename T>
void backward_cols(const T* y, const T* gy, T* gx, int64_t L, int64_t inner, int64_t w, bool log) {
  double s[kBlock];
  T st[kBlock];
  for (int64_t j = 0; j < w; ++j) s[j] = 0;
  // log tested outside the loops: inside, it kept the exp loop from vectorising.
  if (log) {
    for (int64_t l = 0; l < L; ++l)
      for (int64_t j = 0; j < w; ++j) s[j] += double(gy[l * inner + j]);
  } else {
    for (int64_t l = 0; l < L; ++l)
      for (int64_t j = 0; j < w; ++j) s[j] += double(gy[l * inner + j]) * double(y[l * inner + j]);
  }
  for (int64_t j = 0; j < w; ++j) st[j] = T(s[j]);
  for (int64_t l = 0; l < L; ++l) {
    const T* yl = y + l * inner;
    const T* gl = gy + l * inner;
    T* ol = gx + l * inner;
    if (log) {
      for (int64_t j = 0; j < w; ++j) ol[j] = gl[j] - vexp(yl[j]) * st[j];
    } else {
      for (int64_t j = 0; j < w; ++j) ol[j] = yl[j] * (gl[j] - st[j]);
    }
  }
}

#ifdef FASTDL_HAVE_AVX2_FNS
// The backward's AVX2 and AVX-512 builds: 8 / 16 lanes, but nothing contracted into an
// FMA (AVX-512F has FMAs of its own: GCC would fuse the zmm body and not the ymm tail),
// so each element rounds as in the portable build (the same gradient bits on every
// x86-64 CPU).
#define FASTDL_AVX2_NO_FMA __attribute__((target("avx2"), flatten))
#define FASTDL_AVX512_NO_FMA \
  __attribute__((target("avx512f,prefer-vector-width=512"), optimize("fp-contract=off"), flatten))
FASTDL_AVX2_NO_FMA void backward_row_avx2(const float* y, const float* gy, float* gx, int64_t L, bool log) {
  backward_row(y, gy, gx, L, log);
}
FASTDL_AVX512_NO_FMA void backward_row_avx512(const float* y, const float* gy, float* gx, int64_t L, bool log) {
  backward_row(y, gy, gx, L, log);
}
FASTDL_AVX2_NO_FMA void backward_cols_avx2(const float* y, const float* gy, float* gx, int64_t L, int64_t inner,
                                           int64_t w, bool log) {
  backward_cols(y, gy, gx, L, inner, w, log);
}
FASTDL_AVX512_NO_FMA void backward_cols_avx512(const float* y, const float* gy, float* gx, int64_t L, int64_t inner,
                                               int64_t w, bool log) {
  backward_cols(y, gy, gx, L, inner, w, log);
}
#endif

template <typename T> auto bwd_row() { return &backward_row<T>; }
template <typename T> auto bwd_cols() { return &backward_cols<T>; }
#ifdef FASTDL_HAVE_AVX2_FNS
template <> auto bwd_row<float>() { return pick_isa(&backward_row_avx512, &backward_row_avx2, &backward_row<float>); }
template <> auto bwd_cols<float>() {
  return pick_isa(&backward_cols_avx512, &backward_cols_avx2, &backward_cols<float>);
}
#endif

// Runs row_fn(offset, L) per row when the dim is innermost, else cols_fn(offset, w)
// per block of columns; offset is the element offset of the row / block start.
template <typename RowFn, typename ColsFn>
void for_each_slab(const Dims3& d, RowFn row_fn, ColsFn cols_fn) {
  if (d.inner == 1) {
    parallel_for(d.outer, d.L, [&](int64_t o0, int64_t o1) {
      for (int64_t o = o0; o < o1; ++o) row_fn(o * d.L);
    });
    return;
  }
  const int64_t nblk = (d.inner + kBlock - 1) / kBlock;
  parallel_for(d.outer * nblk, d.L * std::min(d.inner, kBlock), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t o = i / nblk, c0 = (i % nblk) * kBlock;
      cols_fn(o * d.L * d.inner + c0, std::min(kBlock, d.inner - c0));
    }
  });
}

// t itself when contiguous, else a contiguous copy in a buffer of its own.
TensorArg contiguous(const TensorArg& t) {
  if (t.is_contiguous()) return t;
  TensorArg c;
  c.buf = std::make_shared<Buffer>(static_cast<size_t>(t.numel()) * itemsize(t.dtype), DeviceType::CPU);
  c.dtype = t.dtype;
  c.shape = t.shape;
  c.strides.assign(t.shape.size(), 1);
  for (int d = t.ndim() - 2; d >= 0; --d) c.strides[d] = c.strides[d + 1] * t.shape[d + 1];
  copy(t, c);
  return c;
}

}  // namespace

void softmax(const TensorArg& x, const TensorArg& out, int64_t dim, bool log) {
  const char* op = log ? "log_softmax" : "softmax";
  check_cpu(op, x);
  check_cpu(op, out);
  check_same_shape(op, x, out);
  check_dtype(op, out, x.dtype);
  check_contiguous(op, "out", out);
  check_dim(op, x, dim);
  if (x.numel() == 0) return;
  // A strided input is first gathered into out, then normalised in place.
  if (!x.is_contiguous()) copy(x, out);
  const TensorArg& src = x.is_contiguous() ? x : out;
  const Dims3 d = split_at(x, dim);
  FASTDL_DISPATCH_FLOAT(x.dtype, op, [&] {
    const scalar_t* xp = src.data<scalar_t>();
    scalar_t* yp = out.data<scalar_t>();
    const auto row = fwd_row<scalar_t>();
    const auto cols = fwd_cols<scalar_t>();
    for_each_slab(
        d, [&](int64_t off) { row(xp + off, yp + off, d.L, log); },
        [&](int64_t off, int64_t w) { cols(xp + off, yp + off, d.L, d.inner, w, log); });
  })
}

void softmax_backward(const TensorArg& y, const TensorArg& grad_y, const TensorArg& grad_x, int64_t dim,
                      bool log) {
  const char* op = log ? "log_softmax_backward" : "softmax_backward";
  for (auto* t : {&y, &grad_y, &grad_x}) {
    check_cpu(op, *t);
    check_same_shape(op, *t, y);
    check_dtype(op, *t, y.dtype);
  }
  check_contiguous(op, "grad_x", grad_x);
  check_dim(op, y, dim);
  if (y.numel() == 0) return;
  const TensorArg yc = contiguous(y);
  // A strided grad_y is gathered into grad_x, which the kernels may update in place.
  if (!grad_y.is_contiguous()) copy(grad_y, grad_x);
  const TensorArg& gsrc = grad_y.is_contiguous() ? grad_y : grad_x;
  const Dims3 d = split_at(y, dim);
  FASTDL_DISPATCH_FLOAT(y.dtype, op, [&] {
    const scalar_t* yp = yc.data<scalar_t>();
    const scalar_t* gyp = gsrc.data<scalar_t>();
    scalar_t* gxp = grad_x.data<scalar_t>();
    const auto row = bwd_row<scalar_t>();
    const auto cols = bwd_cols<scalar_t>();
    for_each_slab(
        d, [&](int64_t off) { row(yp + off, gyp + off, gxp + off, d.L, log); },
        [&](int64_t off, int64_t w) { cols(yp + off, gyp + off, gxp + off, d.L, d.inner, w, log); });
  })
}

// ---- cross-entropy: log_softmax + NLL with weights and label smoothing, fused ----

namespace {

// Every target is checked here, before any threads start, so a bad index raises
// instead of reading out of bounds.
CeArgs check_ce(const char* op, const TensorArg& logits, const TensorArg& target,
                const std::optional<TensorArg>& weight, int64_t ignore_index, double eps) {
  const CeArgs a = check_cross_entropy_args(op, on_cpu(op), logits, target, weight, ignore_index, eps);
  for (int64_t i = 0; i < a.N; ++i) {
    const int64_t t = a.target[i * a.tstride];
    if (t != ignore_index && (t < 0 || t >= a.C)) fail_target_out_of_bounds(op, t, a.C);
  }
  return a;
}

// Class weight c (1 without weights) and the sum of all weights.
template <typename T> struct Weights {
  const T* w = nullptr;
  int64_t stride = 0;
  double total = 0;
  Weights(const std::optional<TensorArg>& wt, int64_t C) {
    if (!wt) { total = double(C); return; }
    w = wt->data<T>();
    stride = wt->strides[0];
    for (int64_t c = 0; c < C; ++c) total += double(w[c * stride]);
  }
  T operator[](int64_t c) const { return w ? w[c * stride] : T(1); }
};

template <typename T> double row_lse(const T* row, int64_t C) {
  const T m = row_max(row, C);
  return double(m) + std::log(sum_exp(row, m, C, static_cast<T*>(nullptr)));
}

// g[c] = coef * exp(row[c] - lse) - smooth * w[c] (w[c] = 1 without weights).
template <typename T>
void ce_grad_row(const T* row, T* g, int64_t C, T lse, T coef, T smooth, const T* w, int64_t ws) {
  if (w) {
    for (int64_t c = 0; c < C; ++c) g[c] = coef * vexp(row[c] - lse) - smooth * w[c * ws];
  } else {
    for (int64_t c = 0; c < C; ++c) g[c] = coef * vexp(row[c] - lse) - smooth;
  }
}

#ifdef FASTDL_HAVE_AVX2_FNS
FASTDL_AVX2_FMA double row_lse_avx2(const float* row, int64_t C) { return row_lse(row, C); }
FASTDL_AVX512_FMA double row_lse_avx512(const float* row, int64_t C) { return row_lse(row, C); }
FASTDL_AVX2_FMA void ce_grad_row_avx2(const float* row, float* g, int64_t C, float lse, float coef, float smooth,
                                      const float* w, int64_t ws) {
  ce_grad_row(row, g, C, lse, coef, smooth, w, ws);
}
FASTDL_AVX512_FMA void ce_grad_row_avx512(const float* row, float* g, int64_t C, float lse, float coef, float smooth,
                                          const float* w, int64_t ws) {
  ce_grad_row(row, g, C, lse, coef, smooth, w, ws);
}
#endif

template <typename T> auto pick_row_lse() { return &row_lse<T>; }
template <typename T> auto pick_ce_grad_row() { return &ce_grad_row<T>; }
#ifdef FASTDL_HAVE_AVX2_FNS
template <> auto pick_row_lse<float>() { return pick_isa(&row_lse_avx512, &row_lse_avx2, &row_lse<float>); }
template <> auto pick_ce_grad_row<float>() {
  return pick_isa(&ce_grad_row_avx512, &ce_grad_row_avx2, &ce_grad_row<float>);
}
#endif

}  // namespace

void cross_entropy(const TensorArg& logits, const TensorArg& target, const std::optional<TensorArg>& weight,
                   const TensorArg& loss_out, const TensorArg& lse_out, int64_t ignore_index,
                   double label_smoothing) {
  const char* op = "cross_entropy";
  const CeArgs a = check_ce(op, logits, target, weight, ignore_index, label_smoothing);
  check_row_vector(op, on_cpu(op), "loss_out", loss_out, a.N, logits.dtype);
  check_row_vector(op, on_cpu(op), "lse_out", lse_out, a.N, logits.dtype);
  FASTDL_DISPATCH_FLOAT(logits.dtype, op, [&] {
    using T = scalar_t;
    const T* x = logits.data<T>();
    T* loss = loss_out.data<T>();
    T* lse = lse_out.data<T>();
    const int64_t ls = loss_out.strides[0], es = lse_out.strides[0];
    const Weights<T> w(weight, a.C);
    const auto lse_fn = pick_row_lse<T>();
    parallel_for(a.N, a.C, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) {
        const T* row = x + i * a.C;
        const double l = lse_fn(row, a.C);
        lse[i * es] = T(l);
        const int64_t t = a.target[i * a.tstride];
        if (t == a.ignore) {
          loss[i * ls] = T(0);
          continue;
        }
        double v = (1.0 - a.eps) * -double(w[t]) * (double(row[t]) - l);
        if (a.eps > 0) {
          double sm = 0;  // sum_c w[c] * logp[c]
          if (w.w) {
            for (int64_t c = 0; c < a.C; ++c) sm += double(w[c]) * (double(row[c]) - l);
          } else {
            sm = row_sum(row, a.C) - double(a.C) * l;
          }
          v -= a.eps / double(a.C) * sm;
        }
        loss[i * ls] = T(v);
      }
    });
  })
}

void cross_entropy_backward(const TensorArg& logits, const TensorArg& target,
                            const std::optional<TensorArg>& weight, const TensorArg& lse,
                            const TensorArg& grad_loss, const TensorArg& grad_logits,
                            int64_t ignore_index, double label_smoothing) {
  const char* op = "cross_entropy_backward";
  const CeArgs a = check_ce(op, logits, target, weight, ignore_index, label_smoothing);
  check_row_vector(op, on_cpu(op), "lse", lse, a.N, logits.dtype);
  check_row_vector(op, on_cpu(op), "grad_loss", grad_loss, a.N, logits.dtype);
  check_grad_logits(op, on_cpu(op), grad_logits, logits);
  FASTDL_DISPATCH_FLOAT(logits.dtype, op, [&] {
    using T = scalar_t;
    const T* x = logits.data<T>();
    const T* lp = lse.data<T>();
    const T* gl = grad_loss.data<T>();
    T* gx = grad_logits.data<T>();
    const int64_t es = lse.strides[0], gs = grad_loss.strides[0];
    const Weights<T> w(weight, a.C);
    const double sc = a.C > 0 ? a.eps / double(a.C) : 0.0;
    const auto grad_fn = pick_ce_grad_row<T>();
    // d loss_i / d x_j = p_j * ((1-eps) w[t] + eps/C * sum(w)) - (1-eps) w[t] [j == t] - eps/C w[j]
    parallel_for(a.N, a.C, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) {
        const T* row = x + i * a.C;
        T* g = gx + i * a.C;
        const int64_t t = a.target[i * a.tstride];
        if (t == a.ignore) {
          std::fill(g, g + a.C, T(0));
          continue;
        }
        const T up = gl[i * gs], l = lp[i * es];
        const double wt = (1.0 - a.eps) * double(w[t]);
        const T coef = T(double(up) * (wt + sc * w.total));
        const T smooth = T(double(up) * sc);
        grad_fn(row, g, a.C, l, coef, smooth, w.w, w.stride);
        g[t] -= T(double(up) * wt);
      }
    });
  })
}

}  // namespace cpu
}  // namespace fastdl
