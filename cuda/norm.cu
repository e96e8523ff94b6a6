// CUDA batch norm and layer norm with the contracts of csrc/cpu/norm.h. Batch norm:
// one block per channel computes the channel's statistics (double sums, shifted by
// the channel's first value as on the CPU) and then normalises the channel. Layer
// norm: one block per row; the weight / bias gradients are column sums, one thread
// per column walking the rows (a fixed order, so results are deterministic).
#include <cmath>

#include "block_reduce.cuh"
#include "common.cuh"
#include "cpu/norm_args.h"
#include "cuda_api.h"
#include "layer_kernels.h"
#include "tensor_checks.h"

namespace fastdl {
namespace cuda {

namespace {

constexpr int kThreads = 256;

// A 1-D (possibly strided) vector, or nothing (reads as `dflt`).
template <typename T>
struct Vec {
  T* p = nullptr;
  int64_t s = 0;
  __device__ T get(int64_t i, T dflt) const { return p ? p[i * s] : dflt; }
  __device__ T& operator[](int64_t i) const { return p[i * s]; }
};

template <typename T>
Vec<T> vec(const OptTensor& t) {
  if (!t) return {};
  return {t->data<T>(), t->ndim() ? t->strides[0] : 1};
}
template <typename T>
Vec<T> vec(const TensorArg& t) {
  return vec<T>(OptTensor(t));
}

// Block-wide (sum f0(i), sum f1(i)) over i < n in double.
template <typename F0, typename F1>
__device__ void block_sums(int64_t n, F0 f0, F1 f1, double* s0, double* s1, double* sh) {
  double a = 0, b = 0;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    a += f0(i);
    b += f1(i);
  }
  *s0 = block_reduce(a, AddOp(), sh);
  *s1 = block_reduce(b, AddOp(), sh);
}

template <typename T>
struct BnForward {
  const T* x;
  T* y;
  Vec<T> w, b, rm, rv, sm, si;
  NCS d;
  bool training;
  double momentum, eps;
};

template <typename T>
__global__ void __launch_bounds__(kThreads) batch_norm_kernel(BnForward<T> a) {
  __shared__ double sh[32];
  const NCS d = a.d;
  const int64_t n = d.N * d.S;  // values per channel (NCS::count is host-only)
  for (int64_t c = blockIdx.x; c < d.C; c += gridDim.x) {
    auto at = [&](int64_t i) { return ((i / d.S) * d.C + c) * d.S + i % d.S; };  // i-th value of channel c
    double mean = 0, var = 0;
    if (a.training && n > 0) {
      const double shift = double(a.x[c * d.S]);
      double s0, s1;
      block_sums(
          n, [&](int64_t i) { return double(a.x[at(i)]) - shift; },
          [&](int64_t i) {
            const double v = double(a.x[at(i)]) - shift;
            return v * v;
          },
          &s0, &s1, sh);
      mean = shift + s0 / double(n);
      var = fmax(0.0, (s1 - s0 * s0 / double(n)) / double(n));
      if (threadIdx.x == 0 && a.rm.p) {
        a.rm[c] = T((1 - a.momentum) * double(a.rm[c]) + a.momentum * mean);
        a.rv[c] = T((1 - a.momentum) * double(a.rv[c]) + a.momentum * var * double(n) / double(n - 1));
      }
    } else if (!a.training) {
      mean = double(a.rm[c]);
      var = double(a.rv[c]);
    }
    const double inv = 1.0 / sqrt(var + a.eps);
    if (threadIdx.x == 0) {
      a.sm[c] = T(mean);
      a.si[c] = T(inv);
    }
    const T mu = T(mean), scale = T(inv * double(a.w.get(c, T(1)))), shift = a.b.get(c, T(0));
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) a.y[at(i)] = (a.x[at(i)] - mu) * scale + shift;
  }
}

template <typename T>
struct BnBackward {
  const T *g, *x;
  T* gx;  // may be null
  Vec<T> w, sm, si, gw, gb;
  NCS d;
  bool training;
};

template <typename T>
__global__ void __launch_bounds__(kThreads) batch_norm_backward_kernel(BnBackward<T> a) {
  __shared__ double sh[32];
  const NCS d = a.d;
  const int64_t n = d.N * d.S;  // values per channel (NCS::count is host-only)
  const bool need_sums = a.gw.p || a.gb.p || (a.gx && a.training);
  for (int64_t c = blockIdx.x; c < d.C; c += gridDim.x) {
    auto at = [&](int64_t i) { return ((i / d.S) * d.C + c) * d.S + i % d.S; };
    const double m = double(a.sm[c]), inv = double(a.si[c]);
    double sum_g = 0, sum_gx = 0;  // sum g, sum g * (x - mean)
    if (need_sums)
      block_sums(
          n, [&](int64_t i) { return double(a.g[at(i)]); },
          [&](int64_t i) { return double(a.g[at(i)]) * (double(a.x[at(i)]) - m); }, &sum_g, &sum_gx, sh);
    if (threadIdx.x == 0) {
      if (a.gb.p) a.gb[c] = T(sum_g);
      if (a.gw.p) a.gw[c] = T(sum_gx * inv);
    }
    if (!a.gx) continue;
    // dx = w * invstd * (g - mean(g) - xhat * mean(g * xhat)), xhat = (x - mean) * invstd
    const double cnt = double(n > 1 ? n : 1);
    const T k = T(double(a.w.get(c, T(1))) * inv), mu = a.sm[c];
    const T mg = a.training ? T(sum_g / cnt) : T(0), p = a.training ? T(sum_gx * inv * inv / cnt) : T(0);
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) a.gx[at(i)] = k * (a.g[at(i)] - mg - (a.x[at(i)] - mu) * p);
  }
}

template <typename T>
struct LnForward {
  const T *x, *w, *b;  // w, b may be null
  T *y, *mean, *rstd;
  MD s;
  double eps;
};

template <typename T>
__global__ void __launch_bounds__(kThreads) layer_norm_kernel(LnForward<T> a) {
  __shared__ double sh[32];
  const int64_t D = a.s.D;
  for (int64_t r = blockIdx.x; r < a.s.M; r += gridDim.x) {
    const T* xr = a.x + r * D;
    T* yr = a.y + r * D;
    // shifted by the row's first value so that a large mean does not cancel the variance
    const double shift = D ? double(xr[0]) : 0.0, n = double(D > 1 ? D : 1);
    double s0, s1;
    block_sums(
        D, [&](int64_t j) { return double(xr[j]) - shift; },
        [&](int64_t j) {
          const double v = double(xr[j]) - shift;
          return v * v;
        },
        &s0, &s1, sh);
    const double mu = shift + s0 / n;
    const double inv = 1.0 / sqrt(fmax(0.0, (s1 - s0 * s0 / n) / n) + a.eps);
    if (threadIdx.x == 0) {
      a.mean[r] = T(mu);
      a.rstd[r] = T(inv);
    }
    const T m = T(mu), k = T(inv);
    for (int64_t j = threadIdx.x; j < D; j += blockDim.x) {
      T v = (xr[j] - m) * k;
      if (a.w) v = v * a.w[j];
      if (a.b) v = v + a.b[j];
      yr[j] = v;
    }
  }
}

template <typename T>
struct LnBackward {
  const T *g, *x, *mean, *rstd, *w;  // w may be null
  T *gx, *gw, *gb;                   // each may be null
  MD s;
};

template <typename T>
__global__ void __launch_bounds__(kThreads) layer_norm_grad_x_kernel(LnBackward<T> a) {
  __shared__ double sh[32];
  const int64_t D = a.s.D;
  for (int64_t r = blockIdx.x; r < a.s.M; r += gridDim.x) {
    const T *xr = a.x + r * D, *gr = a.g + r * D;
    const double m = double(a.mean[r]), k = double(a.rstd[r]);
    auto gw = [&](int64_t j) { return double(gr[j]) * (a.w ? double(a.w[j]) : 1.0); };
    double sa, sb;
    block_sums(D, gw, [&](int64_t j) { return gw(j) * (double(xr[j]) - m) * k; }, &sa, &sb, sh);
    // dx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat))
    const double inv_d = D ? 1.0 / double(D) : 0.0;
    const T ma = T(sa * inv_d), mb = T(sb * inv_d), tm = T(m), tk = T(k);
    T* dr = a.gx + r * D;
    for (int64_t j = threadIdx.x; j < D; j += blockDim.x)
      dr[j] = tk * ((a.w ? gr[j] * a.w[j] : gr[j]) - ma - (xr[j] - tm) * tk * mb);
  }
}

template <typename T>
__global__ void layer_norm_grad_params_kernel(LnBackward<T> a) {
  FASTDL_GRID_STRIDE_LOOP(j, a.s.D) {
    double pw = 0, pb = 0;
    for (int64_t r = 0; r < a.s.M; ++r) {
      const double g = double(a.g[r * a.s.D + j]);
      pw += g * (double(a.x[r * a.s.D + j]) - double(a.mean[r])) * double(a.rstd[r]);
      pb += g;
    }
    if (a.gw) a.gw[j] = T(pw);
    if (a.gb) a.gb[j] = T(pb);
  }
}

// One block per row / channel, at most 32 per SM (grid-stride over the rest).
unsigned row_blocks(int64_t rows, int device) {
  const int64_t cap = static_cast<int64_t>(sm_count(device)) * 32;
  return static_cast<unsigned>(rows < 1 ? 1 : (rows < cap ? rows : cap));
}

template <typename T>
T* ptr(const OptTensor& t) {
  return t ? t->data<T>() : nullptr;
}

}  // namespace

void batch_norm(const TensorArg& x, const OptTensor& weight, const OptTensor& bias, const OptTensor& running_mean,
                const OptTensor& running_var, const TensorArg& out, const TensorArg& save_mean,
                const TensorArg& save_invstd, bool training, double momentum, double eps) {
  require_device("batch_norm");
  const NCS d = check_batch_norm_args(on_cuda("batch_norm", x), x, weight, bias, running_mean, running_var, out,
                                      save_mean, save_invstd, training, eps);
  if (d.C == 0) return;
  const int device = x.buf->device_index();
  DeviceGuard guard(device);
  FASTDL_DISPATCH_FLOAT(x.dtype, "batch_norm", [&] {
    using T = scalar_t;
    const BnForward<T> a{x.data<T>(), out.data<T>(), vec<T>(weight), vec<T>(bias), vec<T>(running_mean),
                         vec<T>(running_var), vec<T>(save_mean), vec<T>(save_invstd), d, training, momentum, eps};
    batch_norm_kernel<T><<<row_blocks(d.C, device), kThreads>>>(a);
  })
  FASTDL_CUDA_CHECK(cudaGetLastError());
}

void batch_norm_backward(const TensorArg& grad_out, const TensorArg& x, const OptTensor& weight,
                         const TensorArg& save_mean, const TensorArg& save_invstd, const OptTensor& grad_x,
                         const OptTensor& grad_weight, const OptTensor& grad_bias, bool training) {
  require_device("batch_norm_backward");
  const NCS d = check_batch_norm_backward_args(on_cuda("batch_norm_backward", x), grad_out, x, weight, save_mean,
                                               save_invstd, grad_x, grad_weight, grad_bias);
  if (d.C == 0) return;
  const int device = x.buf->device_index();
  DeviceGuard guard(device);
  FASTDL_DISPATCH_FLOAT(x.dtype, "batch_norm_backward", [&] {
    using T = scalar_t;
    const BnBackward<T> a{grad_out.data<T>(), x.data<T>(), ptr<T>(grad_x), vec<T>(weight), vec<T>(save_mean),
                          vec<T>(save_invstd), vec<T>(grad_weight), vec<T>(grad_bias), d, training};
    batch_norm_backward_kernel<T><<<row_blocks(d.C, device), kThreads>>>(a);
  })
  FASTDL_CUDA_CHECK(cudaGetLastError());
}

void layer_norm(const TensorArg& x, const OptTensor& weight, const OptTensor& bias, const TensorArg& out,
                const TensorArg& mean, const TensorArg& rstd, int64_t axis, double eps) {
  require_device("layer_norm");
  const MD s = check_layer_norm_args(on_cuda("layer_norm", x), x, weight, bias, out, mean, rstd, axis, eps);
  if (s.M == 0) return;
  const int device = x.buf->device_index();
  DeviceGuard guard(device);
  FASTDL_DISPATCH_FLOAT(x.dtype, "layer_norm", [&] {
    using T = scalar_t;
    const LnForward<T> a{x.data<T>(), ptr<T>(weight), ptr<T>(bias), out.data<T>(), mean.data<T>(), rstd.data<T>(),
                         s, eps};
    layer_norm_kernel<T><<<row_blocks(s.M, device), kThreads>>>(a);
  })
  FASTDL_CUDA_CHECK(cudaGetLastError());
}

void layer_norm_backward(const TensorArg& grad_out, const TensorArg& x, const TensorArg& mean,
                         const TensorArg& rstd, const OptTensor& weight, const OptTensor& grad_x,
                         const OptTensor& grad_weight, const OptTensor& grad_bias, int64_t axis) {
  require_device("layer_norm_backward");
  const MD s = check_layer_norm_backward_args(on_cuda("layer_norm_backward", x), grad_out, x, mean, rstd, weight,
                                              grad_x, grad_weight, grad_bias, axis);
  const int device = x.buf->device_index();
  DeviceGuard guard(device);
  FASTDL_DISPATCH_FLOAT(x.dtype, "layer_norm_backward", [&] {
    using T = scalar_t;
    const LnBackward<T> a{grad_out.data<T>(), x.data<T>(), mean.data<T>(), rstd.data<T>(), ptr<T>(weight),
                          ptr<T>(grad_x), ptr<T>(grad_weight), ptr<T>(grad_bias), s};
    if (grad_x && s.M > 0) layer_norm_grad_x_kernel<T><<<row_blocks(s.M, device), kThreads>>>(a);
    if ((grad_weight || grad_bias) && s.D > 0)
      layer_norm_grad_params_kernel<T><<<grid_size(s.D, device), kBlockSize>>>(a);
  })
  FASTDL_CUDA_CHECK(cudaGetLastError());
}

}  // namespace cuda
}  // namespace fastdl
