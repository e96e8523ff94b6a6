// CUDA softmax / log_softmax, their backward and the fused cross-entropy, with the
// contracts of csrc/cpu/softmax.h. The tensor is seen as (outer, L, inner) around the
// softmax dim: inner == 1 gives one block per row (block reductions over L); otherwise
// one thread per (outer, inner) column walks L, adjacent threads reading adjacent
// elements. Strided inputs are first gathered into contiguous memory (as on the CPU).
#include <cmath>
#include <string>

#include "block_reduce.cuh"
#include "common.cuh"
#include "common/reduce_ops.h"
#include "cpu/softmax_args.h"
#include "cuda_api.h"
#include "temp_tensor.h"
#include "tensor_checks.h"

namespace fastdl {
namespace cuda {

namespace {

constexpr int kRowThreads = 128;

struct MaxOp {  // NaN-propagating, as the CPU kernels
  template <typename T> __device__ T operator()(T a, T b) const { return red::Max<T>::step(a, b, 0); }
};

template <typename T>
__global__ void __launch_bounds__(kRowThreads) softmax_rows(const T* x, T* y, int64_t rows, int64_t L, bool as_log) {
  __shared__ T sh[32];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* xr = x + r * L;
    T* yr = y + r * L;
    T m = red::lowest_value<T>();
    for (int64_t l = threadIdx.x; l < L; l += blockDim.x) m = MaxOp()(m, xr[l]);
    m = block_reduce(m, MaxOp(), sh);
    T s = 0;
    for (int64_t l = threadIdx.x; l < L; l += blockDim.x) s += exp(xr[l] - m);
    s = block_reduce(s, AddOp(), sh);
    const T ls = m + log(s), inv = T(1) / s;
    // y may alias x (a strided x was gathered into y): each element is read, then written, by one thread.
    for (int64_t l = threadIdx.x; l < L; l += blockDim.x) yr[l] = as_log ? xr[l] - ls : exp(xr[l] - m) * inv;
  }
}

template <typename T>
__global__ void softmax_cols(const T* x, T* y, int64_t outer, int64_t L, int64_t inner, bool as_log) {
  FASTDL_GRID_STRIDE_LOOP(c, outer * inner) {
    const int64_t off = (c / inner) * L * inner + c % inner;
    const T* xc = x + off;
    T* yc = y + off;
    T m = red::lowest_value<T>();
    for (int64_t l = 0; l < L; ++l) m = MaxOp()(m, xc[l * inner]);
    T s = 0;
    for (int64_t l = 0; l < L; ++l) s += exp(xc[l * inner] - m);
    const T ls = m + log(s), inv = T(1) / s;
    for (int64_t l = 0; l < L; ++l) yc[l * inner] = as_log ? xc[l * inner] - ls : exp(xc[l * inner] - m) * inv;
  }
}

// softmax: gx = y * (gy - sum(gy * y)); log_softmax: gx = gy - exp(y) * sum(gy).
template <typename T>
__global__ void __launch_bounds__(kRowThreads)
    backward_rows(const T* y, const T* gy, T* gx, int64_t rows, int64_t L, bool as_log) {
  __shared__ T sh[32];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T *yr = y + r * L, *gr = gy + r * L;
    T* out = gx + r * L;
    T s = 0;
    for (int64_t l = threadIdx.x; l < L; l += blockDim.x) s += as_log ? gr[l] : gr[l] * yr[l];
    s = block_reduce(s, AddOp(), sh);
    for (int64_t l = threadIdx.x; l < L; l += blockDim.x)
      out[l] = as_log ? gr[l] - exp(yr[l]) * s : yr[l] * (gr[l] - s);
  }
}

template <typename T>
__global__ void backward_cols(const T* y, const T* gy, T* gx, int64_t outer, int64_t L, int64_t inner, bool as_log) {
  FASTDL_GRID_STRIDE_LOOP(c, outer * inner) {
    const int64_t off = (c / inner) * L * inner + c % inner;
    const T *yc = y + off, *gc = gy + off;
    T* out = gx + off;
    T s = 0;
    for (int64_t l = 0; l < L; ++l) s += as_log ? gc[l * inner] : gc[l * inner] * yc[l * inner];
    for (int64_t l = 0; l < L; ++l)
      out[l * inner] = as_log ? gc[l * inner] - exp(yc[l * inner]) * s : yc[l * inner] * (gc[l * inner] - s);
  }
}


unsigned row_grid(int64_t rows) { return static_cast<unsigned>(std::min<int64_t>(rows, 1 << 30)); }

}  // namespace

void softmax(const TensorArg& x, const TensorArg& out, int64_t dim, bool log) {
  const char* op = log ? "log_softmax" : "softmax";
  require_device(op);
  check_same_shape(op, x, out);
  check_dtype(op, out, x.dtype);
  check_contiguous(op, "out", out);
  check_dim(op, x, dim);
  const int device = out.buf->device_index();
  check_cuda_operand(op, out, device);
  check_cuda_operand(op, x, device);
  if (x.numel() == 0) return;
  DeviceGuard guard(device);
  if (!x.is_contiguous()) copy(x, out);  // gathered, then normalised in place
  const TensorArg& src = x.is_contiguous() ? x : out;
  const Dims3 d = split_at(x, dim);
  FASTDL_DISPATCH_FLOAT(x.dtype, op, [&] {
    const scalar_t* xp = src.data<scalar_t>();
    scalar_t* yp = out.data<scalar_t>();
    if (d.inner == 1)
      softmax_rows<<<row_grid(d.outer), d.L >= kRowThreads ? kRowThreads : 32>>>(xp, yp, d.outer, d.L, log);
    else
      softmax_cols<<<grid_size(d.outer * d.inner, device), kBlockSize>>>(xp, yp, d.outer, d.L, d.inner, log);
    FASTDL_CUDA_CHECK(cudaGetLastError());
  })
}

void softmax_backward(const TensorArg& y, const TensorArg& grad_y, const TensorArg& grad_x, int64_t dim,
                      bool log) {
  const char* op = log ? "log_softmax_backward" : "softmax_backward";
  require_device(op);
  const int device = grad_x.buf->device_index();
  for (auto* t : {&y, &grad_y, &grad_x}) {
    check_same_shape(op, *t, y);
    check_dtype(op, *t, y.dtype);
  }
  check_contiguous(op, "grad_x", grad_x);
  check_dim(op, y, dim);
  for (auto* t : {&grad_x, &y, &grad_y}) check_cuda_operand(op, *t, device);
  if (y.numel() == 0) return;
  DeviceGuard guard(device);
  const TensorArg yc = contiguous_cuda(y);
  if (!grad_y.is_contiguous()) copy(grad_y, grad_x);  // gathered into grad_x, updated in place
  const TensorArg& gsrc = grad_y.is_contiguous() ? grad_y : grad_x;
  const Dims3 d = split_at(y, dim);
  FASTDL_DISPATCH_FLOAT(y.dtype, op, [&] {
    const scalar_t* yp = yc.data<scalar_t>();
    const scalar_t* gyp = gsrc.data<scalar_t>();
    scalar_t* gxp = grad_x.data<scalar_t>();
    if (d.inner == 1)
      backward_rows<<<row_grid(d.outer), d.L >= kRowThreads ? kRowThreads : 32>>>(yp, gyp, gxp, d.outer, d.L, log);
    else
      backward_cols<<<grid_size(d.outer * d.inner, device), kBlockSize>>>(yp, gyp, gxp, d.outer, d.L, d.inner, log);
    FASTDL_CUDA_CHECK(cudaGetLastError());
  })
}

// ---- cross-entropy: log_softmax + NLL with weights and label smoothing, fused ----

namespace {

template <typename T> struct DevWeights {
  const T* w;  // nullptr: every weight is 1
  int64_t stride;
  __device__ T operator[](int64_t c) const { return w ? w[c * stride] : T(1); }
};

// The CPU kernel's checks; the targets are validated on the device before any kernel
// reads the logits at them.
CeArgs check_ce(const char* op, const TensorArg& logits, const TensorArg& target,
                const std::optional<TensorArg>& weight, int64_t ignore_index, double eps) {
  require_device(op);
  const CeArgs a = check_cross_entropy_args(op, on_cuda(op, logits), logits, target, weight, ignore_index, eps);
  DeviceGuard guard(logits.buf->device_index());
  const auto bad = first_bad_index(target, 0, a.C, ignore_index);
  if (bad.first >= 0) fail_target_out_of_bounds(op, bad.second, a.C);
  return a;
}

template <typename T>
__global__ void __launch_bounds__(kRowThreads)
    ce_forward(const T* x, CeArgs a, DevWeights<T> w, T* loss, int64_t ls, T* lse, int64_t es) {
  __shared__ T sh[32];
  __shared__ double shd[32];
  for (int64_t i = blockIdx.x; i < a.N; i += gridDim.x) {
    const T* row = x + i * a.C;
    T m = red::lowest_value<T>();
    for (int64_t c = threadIdx.x; c < a.C; c += blockDim.x) m = MaxOp()(m, row[c]);
    m = block_reduce(m, MaxOp(), sh);
    T s = 0;
    for (int64_t c = threadIdx.x; c < a.C; c += blockDim.x) s += exp(row[c] - m);
    s = block_reduce(s, AddOp(), sh);
    const double l = double(m) + log(double(s));
    const int64_t t = a.target[i * a.tstride];
    double sm = 0;  // sum_c w[c] * logp[c], for label smoothing
    if (a.eps > 0 && t != a.ignore) {
      for (int64_t c = threadIdx.x; c < a.C; c += blockDim.x) sm += double(w[c]) * (double(row[c]) - l);
      sm = block_reduce(sm, AddOp(), shd);
    }
    if (threadIdx.x == 0) {
      lse[i * es] = T(l);
      double v = 0;
      if (t != a.ignore) v = (1.0 - a.eps) * -double(w[t]) * (double(row[t]) - l) - a.eps / double(a.C) * sm;
      loss[i * ls] = T(v);
    }
  }
}

// d loss_i / d x_j = p_j * ((1-eps) w[t] + eps/C * sum(w)) - (1-eps) w[t] [j == t] - eps/C w[j]
template <typename T>
__global__ void __launch_bounds__(kRowThreads)
    ce_backward(const T* x, CeArgs a, DevWeights<T> w, const T* lse, int64_t es, const T* gl, int64_t gs, T* gx) {
  __shared__ double shd[32];
  const double sc = a.C > 0 ? a.eps / double(a.C) : 0.0;
  double total = double(a.C);  // sum of the weights
  if (w.w && sc != 0) {
    double s = 0;
    for (int64_t c = threadIdx.x; c < a.C; c += blockDim.x) s += double(w[c]);
    total = block_reduce(s, AddOp(), shd);
  }
  for (int64_t i = blockIdx.x; i < a.N; i += gridDim.x) {
    const T* row = x + i * a.C;
    T* g = gx + i * a.C;
    const int64_t t = a.target[i * a.tstride];
    if (t == a.ignore) {
      for (int64_t c = threadIdx.x; c < a.C; c += blockDim.x) g[c] = T(0);
      continue;
    }
    const T up = gl[i * gs], l = lse[i * es];
    const double wt = (1.0 - a.eps) * double(w[t]);
    const T coef = T(double(up) * (wt + sc * total));
    const T smooth = T(double(up) * sc);
    const T at_t = T(double(up) * wt);
    for (int64_t c = threadIdx.x; c < a.C; c += blockDim.x) {
      T v = coef * exp(row[c] - l) - smooth * w[c];
      if (c == t) v -= at_t;
      g[c] = v;
    }
  }
}

template <typename T> DevWeights<T> dev_weights(const std::optional<TensorArg>& weight) {
  return weight ? DevWeights<T>{weight->data<T>(), weight->strides[0]} : DevWeights<T>{nullptr, 0};
}

unsigned ce_threads(int64_t C) { return C >= kRowThreads ? kRowThreads : 32; }

}  // namespace

void cross_entropy(const TensorArg& logits, const TensorArg& target, const std::optional<TensorArg>& weight,
                   const TensorArg& loss_out, const TensorArg& lse_out, int64_t ignore_index,
                   double label_smoothing) {
  const char* op = "cross_entropy";
  const CeArgs a = check_ce(op, logits, target, weight, ignore_index, label_smoothing);
  const int device = logits.buf->device_index();
  check_row_vector(op, on_cuda(op, logits), "loss_out", loss_out, a.N, logits.dtype);
  check_row_vector(op, on_cuda(op, logits), "lse_out", lse_out, a.N, logits.dtype);
  if (a.N == 0) return;
  DeviceGuard guard(device);
  FASTDL_DISPATCH_FLOAT(logits.dtype, op, [&] {
    using T = scalar_t;
    ce_forward<T><<<row_grid(a.N), ce_threads(a.C)>>>(logits.data<T>(), a, dev_weights<T>(weight),
                                                      loss_out.data<T>(), loss_out.strides[0],
                                                      lse_out.data<T>(), lse_out.strides[0]);
    FASTDL_CUDA_CHECK(cudaGetLastError());
  })
}

void cross_entropy_backward(const TensorArg& logits, const TensorArg& target,
                            const std::optional<TensorArg>& weight, const TensorArg& lse,
                            const TensorArg& grad_loss, const TensorArg& grad_logits,
                            int64_t ignore_index, double label_smoothing) {
  const char* op = "cross_entropy_backward";
  const CeArgs a = check_ce(op, logits, target, weight, ignore_index, label_smoothing);
  const int device = logits.buf->device_index();
  check_row_vector(op, on_cuda(op, logits), "lse", lse, a.N, logits.dtype);
  check_row_vector(op, on_cuda(op, logits), "grad_loss", grad_loss, a.N, logits.dtype);
  check_grad_logits(op, on_cuda(op, logits), grad_logits, logits);
  if (a.N == 0 || a.C == 0) return;
  DeviceGuard guard(device);
  FASTDL_DISPATCH_FLOAT(logits.dtype, op, [&] {
    using T = scalar_t;
    ce_backward<T><<<row_grid(a.N), ce_threads(a.C)>>>(logits.data<T>(), a, dev_weights<T>(weight),
                                                       lse.data<T>(), lse.strides[0], grad_loss.data<T>(),
                                                       grad_loss.strides[0], grad_logits.data<T>());
    FASTDL_CUDA_CHECK(cudaGetLastError());
  })
}

}  // namespace cuda
}  // namespace fastdl
