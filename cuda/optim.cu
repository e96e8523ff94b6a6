// CUDA fused optimizer steps with the contracts of csrc/cpu/optim.h: one thread per
// element applies torch.optim's single-tensor formula, operation by operation in the
// CPU kernel's order with the scalars rounded to the tensor's dtype, so the two
// backends agree to rounding (nvcc may contract a*b+c into one FMA).
#include <cmath>

#include "common.cuh"
#include "cpu/optim_args.h"
#include "cuda_api.h"
#include "layer_kernels.h"
#include "tensor_checks.h"

namespace fastdl {
namespace cuda {

namespace {

// torch.lerp's formula; which branch depends on the weight only (fixed per call).
template <typename T>
__device__ __forceinline__ T lerp(T self, T end, T w, bool low) {
  return low ? self + w * (end - self) : end - (end - self) * (T(1) - w);
}

// torch.maximum: NaN in either operand wins.
template <typename T>
__device__ __forceinline__ T nan_max(T a, T b) {
  return a != a ? a : (b != b ? b : (a > b ? a : b));
}

template <typename T>
struct Sgd {
  T *p, *buf;
  const T* g;
  T sign, wd, mom, damp1, neg_lr;
  bool use_wd, use_mom, nesterov, init;
};

template <typename T>
__global__ void sgd_kernel(Sgd<T> s, int64_t n) {
  FASTDL_GRID_STRIDE_LOOP(i, n) {
    T g = s.sign * s.g[i];
    if (s.use_wd) g = g + s.wd * s.p[i];
    if (s.use_mom) {
      const T m = s.init ? g : s.buf[i] * s.mom + s.damp1 * g;
      s.buf[i] = m;
      g = s.nesterov ? g + s.mom * m : m;
    }
    s.p[i] = s.p[i] + s.neg_lr * g;
  }
}

template <typename T>
struct Adam {
  T *p, *m, *v, *vmax;
  const T* g;
  T sign, wd, decay, w1, b2, one_minus_b2, bc2s, eps, neg_step;
  bool l2, amsgrad, low;
};

template <typename T>
__global__ void adam_kernel(Adam<T> s, int64_t n) {
  FASTDL_GRID_STRIDE_LOOP(i, n) {
    T g = s.sign * s.g[i];
    if (s.l2) g = g + s.wd * s.p[i];
    const T m = lerp(s.m[i], g, s.w1, s.low);
    s.m[i] = m;
    const T v = s.v[i] * s.b2 + s.one_minus_b2 * g * g;
    s.v[i] = v;
    T root = v;
    if (s.amsgrad) {
      root = nan_max(s.vmax[i], v);
      s.vmax[i] = root;
    }
    const T denom = sqrt(root) / s.bc2s + s.eps;
    s.p[i] = s.p[i] * s.decay + s.neg_step * m / denom;
  }
}

template <typename T>
struct Rmsprop {
  T *p, *sq, *ga, *buf;
  const T* g;
  T sign, wd, alpha, w, eps, mom, neg_lr;
  bool use_wd, centered, use_mom, low;
};

template <typename T>
__global__ void rmsprop_kernel(Rmsprop<T> s, int64_t n) {
  FASTDL_GRID_STRIDE_LOOP(i, n) {
    T g = s.sign * s.g[i];
    if (s.use_wd) g = g + s.wd * s.p[i];
    const T sq = s.sq[i] * s.alpha + s.w * g * g;
    s.sq[i] = sq;
    T root = sq;
    if (s.centered) {
      const T ga = lerp(s.ga[i], g, s.w, s.low);
      s.ga[i] = ga;
      root = sq + T(-1) * ga * ga;
    }
    const T avg = sqrt(root) + s.eps;
    if (s.use_mom) {
      const T m = s.buf[i] * s.mom + g / avg;
      s.buf[i] = m;
      s.p[i] = s.p[i] + s.neg_lr * m;
    } else {
      s.p[i] = s.p[i] + s.neg_lr * g / avg;
    }
  }
}

template <typename T>
T* ptr(const OptTensor& t) {
  return t ? t->data<T>() : nullptr;
}

// make(T()) returns the kernel's argument struct; kernel<T> is launched over param.
template <template <typename> class Args, typename F>
void launch_step(const TensorArg& param, void (*k32)(Args<float>, int64_t),
                 void (*k64)(Args<double>, int64_t), F&& make) {
  const int64_t n = param.numel();
  if (n == 0) return;
  const int device = param.buf->device_index();
  DeviceGuard guard(device);
  if (param.dtype == DType::Float32) k32<<<grid_size(n, device), kBlockSize>>>(make(float()), n);
  else k64<<<grid_size(n, device), kBlockSize>>>(make(double()), n);
  FASTDL_CUDA_CHECK(cudaGetLastError());
}

}  // namespace

void sgd_step(const TensorArg& param, const TensorArg& grad, const OptTensor& momentum_buffer, double lr,
              double momentum, double dampening, double weight_decay, bool nesterov, bool maximize,
              bool init_buffer) {
  require_device("sgd_step");
  check_sgd_args(on_cuda("sgd_step", param), param, grad, momentum_buffer, momentum, nesterov);
  launch_step<Sgd>(param, sgd_kernel<float>, sgd_kernel<double>, [&](auto zero) {
    using T = decltype(zero);
    return Sgd<T>{param.data<T>(), ptr<T>(momentum_buffer), grad.data<T>(), maximize ? T(-1) : T(1),
                  T(weight_decay), T(momentum), T(1 - dampening), T(-lr), weight_decay != 0, momentum != 0,
                  nesterov, init_buffer};
  });
}

void adam_step(const TensorArg& param, const TensorArg& grad, const TensorArg& exp_avg, const TensorArg& exp_avg_sq,
               const OptTensor& max_exp_avg_sq, int64_t step, double lr, double beta1, double beta2, double eps,
               double weight_decay, bool amsgrad, bool maximize, bool decoupled) {
  require_device("adam_step");
  check_adam_args(on_cuda("adam_step", param), param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, amsgrad);
  const AdamStepScalars a = adam_step_scalars(step, lr, beta1, beta2, weight_decay, decoupled);
  launch_step<Adam>(param, adam_kernel<float>, adam_kernel<double>, [&](auto zero) {
    using T = decltype(zero);
    return Adam<T>{param.data<T>(), exp_avg.data<T>(), exp_avg_sq.data<T>(), ptr<T>(max_exp_avg_sq),
                   grad.data<T>(), maximize ? T(-1) : T(1), T(weight_decay), T(a.decay), T(1 - beta1), T(beta2),
                   T(1 - beta2), T(a.bias_correction2_sqrt), T(eps), T(-a.step_size), !decoupled && weight_decay != 0,
                   amsgrad, T(1 - beta1) < T(0.5)};
  });
}

void adam_step_multi(const std::vector<TensorArg>& params, const std::vector<TensorArg>& grads,
                     const std::vector<TensorArg>& exp_avgs, const std::vector<TensorArg>& exp_avg_sqs,
                     const std::vector<TensorArg>& max_exp_avg_sqs, const std::vector<int64_t>& steps, double lr,
                     double beta1, double beta2, double eps, double weight_decay, bool amsgrad, bool maximize,
                     bool decoupled) {
  require_device("adam_step_multi");
  adam_step_each(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, amsgrad,
                 [&](const TensorArg& p, const TensorArg& g, const TensorArg& m, const TensorArg& v,
                     const OptTensor& vmax, int64_t step) {
                   adam_step(p, g, m, v, vmax, step, lr, beta1, beta2, eps, weight_decay, amsgrad, maximize,
                             decoupled);
                 });
}

void rmsprop_step(const TensorArg& param, const TensorArg& grad, const TensorArg& square_avg,
                  const OptTensor& grad_avg, const OptTensor& momentum_buffer, double lr, double alpha, double eps,
                  double weight_decay, double momentum, bool centered, bool maximize) {
  require_device("rmsprop_step");
  check_rmsprop_args(on_cuda("rmsprop_step", param), param, grad, square_avg, grad_avg, momentum_buffer, momentum,
                     centered);
  launch_step<Rmsprop>(param, rmsprop_kernel<float>, rmsprop_kernel<double>, [&](auto zero) {
    using T = decltype(zero);
    return Rmsprop<T>{param.data<T>(), square_avg.data<T>(), ptr<T>(grad_avg), ptr<T>(momentum_buffer),
                      grad.data<T>(), maximize ? T(-1) : T(1), T(weight_decay), T(alpha), T(1 - alpha), T(eps),
                      T(momentum), T(-lr), weight_decay != 0, centered, momentum > 0, T(1 - alpha) < T(0.5)};
  });
}

}  // namespace cuda
}  // namespace fastdl
