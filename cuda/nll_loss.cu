// CUDA nll_loss and its backward, with the contracts of csrc/cpu/nll_loss.h. The
// targets are validated on the device before any kernel reads x at them (as the fused
// cross-entropy does); the forward's sums run in double in one block and the total
// weight comes back to the host (the backward of a mean divides by it).
// Compiled by CI; never run on a GPU (no session has had one).
#include <cmath>

#include "block_reduce.cuh"
#include "common.cuh"
#include "cpu/nll_loss_args.h"
#include "cuda_api.h"
#include "temp_tensor.h"
#include "tensor_checks.h"

namespace fastdl {
namespace cuda {

namespace {

template <typename T> struct NllWeights {
  const T* w;  // nullptr: every weight is 1
  int64_t stride;
  __device__ T operator[](int64_t c) const { return w ? w[c * stride] : T(1); }
};

template <typename T> NllWeights<T> nll_weights(const std::optional<TensorArg>& weight) {
  return weight ? NllWeights<T>{weight->data<T>(), weight->strides[0]} : NllWeights<T>{nullptr, 0};
}

CeArgs check_nll(const char* op, const TensorArg& x, const TensorArg& target, const std::optional<TensorArg>& weight,
                 int64_t ignore_index) {
  require_device(op);
  const CeArgs a = check_cross_entropy_args(op, on_cuda(op, x), x, target, weight, ignore_index, 0.0);
  DeviceGuard guard(x.buf->device_index());
  const auto bad = first_bad_index(target, 0, a.C, ignore_index);
  if (bad.first >= 0) fail_target_out_of_bounds(op, bad.second, a.C);
  return a;
}

// One block: per-sample losses (None) or their double sum (Sum / Mean), and the total
// weight of the counted targets into *total.
template <typename T>
__global__ void nll_forward(const T* x, CeArgs a, NllWeights<T> w, T* out, int64_t os, int reduction,
                            double* total) {
  __shared__ double sh[32];
  double sum = 0, weight_sum = 0;
  for (int64_t i = threadIdx.x; i < a.N; i += blockDim.x) {
    const int64_t t = a.target[i * a.tstride];
    if (t == a.ignore) {
      if (reduction == 0) out[i * os] = T(0);
      continue;
    }
    const T wt = w[t];
    const T loss = -(wt * x[i * a.C + t]);
    if (reduction == 0) out[i * os] = loss;
    sum += double(loss);
    weight_sum += double(wt);
  }
  sum = block_reduce(sum, AddOp(), sh);
  weight_sum = block_reduce(weight_sum, AddOp(), sh);
  if (threadIdx.x == 0) {
    if (reduction == 2) *out = T(sum);
    if (reduction == 1) *out = T(weight_sum != 0 ? sum / weight_sum : nan(""));
    *total = weight_sum;
  }
}

// gx is zeroed first; then gx[i, t_i] = -w[t_i] * g_i * scale (one thread a row).
template <typename T>
__global__ void nll_backward(CeArgs a, NllWeights<T> w, const T* g, int64_t gs, T scale, T* gx) {
  const int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= a.N) return;
  const int64_t t = a.target[i * a.tstride];
  if (t == a.ignore || t < 0 || t >= a.C) return;
  gx[i * a.C + t] = -(w[t] * (g[i * gs] * scale));
}

}  // namespace

double nll_loss(const TensorArg& x, const TensorArg& target, const std::optional<TensorArg>& weight,
                const TensorArg& out, int64_t ignore_index, int64_t reduction) {
  const char* op = "nll_loss";
  const CeArgs a = check_nll(op, x, target, weight, ignore_index);
  const NllReduction r = checked_nll_reduction(op, reduction);
  const int device = x.buf->device_index();
  check_nll_output(op, on_cuda(op, x), "out", out, r, a.N, x.dtype);
  DeviceGuard guard(device);
  TensorArg total = empty_cuda({1}, DType::Float64, device);
  FASTDL_DISPATCH_FLOAT(x.dtype, op, [&] {
    using T = scalar_t;
    nll_forward<T><<<1, kBlockSize>>>(x.data<T>(), a, nll_weights<T>(weight), out.data<T>(),
                                      r == NllReduction::None ? out.strides[0] : 0, static_cast<int>(r),
                                      total.data<double>());
    FASTDL_CUDA_CHECK(cudaGetLastError());
  })
  double host = 0;
  FASTDL_CUDA_CHECK(cudaMemcpy(&host, total.data<double>(), sizeof(double), cudaMemcpyDeviceToHost));
  return host;
}

void nll_loss_backward(const TensorArg& target, const std::optional<TensorArg>& weight, const TensorArg& grad,
                       const TensorArg& grad_x, int64_t ignore_index, int64_t reduction, double total_weight) {
  const char* op = "nll_loss_backward";
  const CeArgs a = check_nll(op, grad_x, target, weight, ignore_index);
  const NllReduction r = checked_nll_reduction(op, reduction);
  const int device = grad_x.buf->device_index();
  check_nll_output(op, on_cuda(op, grad_x), "grad", grad, r, a.N, grad_x.dtype);
  DeviceGuard guard(device);
  FASTDL_CUDA_CHECK(cudaMemset(grad_x.bytes(), 0, static_cast<size_t>(a.N * a.C) * itemsize(grad_x.dtype)));
  if (a.N == 0) return;
  FASTDL_DISPATCH_FLOAT(grad_x.dtype, op, [&] {
    using T = scalar_t;
    const T scale = r == NllReduction::Mean ? T(1.0 / total_weight) : T(1);
    nll_backward<T><<<grid_size(a.N, device), kBlockSize>>>(a, nll_weights<T>(weight), grad.data<T>(),
                                                            r == NllReduction::None ? grad.strides[0] : 0, scale,
                                                            grad_x.data<T>());
    FASTDL_CUDA_CHECK(cudaGetLastError());
  })
}

}  // namespace cuda
}  // namespace fastdl
