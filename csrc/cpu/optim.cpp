#include "optim.h"

#include "../core/cpu_features.h"
#include "../core/parallel.h"
#include "optim_args.h"
#include "optim_loops.h"

namespace fastdl {
namespace cpu {

namespace {

// Elementwise updates are memory-bound: thread only above ~8K elements.
constexpr int64_t kCostPerElement = 4;

template <typename T>
T* ptr(const std::optional<TensorArg>& t) {
  return t ? t->data<T>() : nullptr;
}

}  // namespace

void sgd_step(const TensorArg& param, const TensorArg& grad, const std::optional<TensorArg>& momentum_buffer,
              double lr, double momentum, double dampening, double weight_decay, bool nesterov, bool maximize,
              bool init_buffer) {
  check_sgd_args(on_cpu("sgd_step"), param, grad, momentum_buffer, momentum, nesterov);
  const int64_t n = param.numel();
  FASTDL_DISPATCH_FLOAT(param.dtype, "sgd_step", [&] {
    using T = scalar_t;
    T *p = param.data<T>(), *buf = ptr<T>(momentum_buffer);
    const T* g = grad.data<T>();
    const SgdScalars<T> s{maximize ? T(-1) : T(1), T(weight_decay), T(momentum), T(1 - dampening), T(-lr)};
    const SgdFlags f{weight_decay != 0, momentum != 0, nesterov, init_buffer};
    const bool avx2 = use_avx2();
    parallel_for(n, kCostPerElement, [&](int64_t b, int64_t e) {
      if (avx2) sgd_rows_avx2<T>(p, g, buf, b, e, s, f);
      else sgd_rows<T>(p, g, buf, b, e, s, f);
    });
  })
}

void adam_step(const TensorArg& param, const TensorArg& grad, const TensorArg& exp_avg, const TensorArg& exp_avg_sq,
               const std::optional<TensorArg>& max_exp_avg_sq, int64_t step, double lr, double beta1, double beta2,
               double eps, double weight_decay, bool amsgrad, bool maximize, bool decoupled) {
  check_adam_args(on_cpu("adam_step"), param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, amsgrad);
  const AdamStepScalars a = adam_step_scalars(step, lr, beta1, beta2, weight_decay, decoupled);
  const int64_t n = param.numel();
  FASTDL_DISPATCH_FLOAT(param.dtype, "adam_step", [&] {
    using T = scalar_t;
    T *p = param.data<T>(), *m = exp_avg.data<T>(), *v = exp_avg_sq.data<T>(), *vmax = ptr<T>(max_exp_avg_sq);
    const T* g = grad.data<T>();
    const AdamScalars<T> s{maximize ? T(-1) : T(1), T(weight_decay), T(a.decay), T(1 - beta1), T(beta2),
                           T(1 - beta2), T(a.bias_correction2_sqrt), T(eps), T(-a.step_size)};
    const AdamFlags f{!decoupled && weight_decay != 0, amsgrad, s.w1 < T(0.5)};
    const bool avx2 = use_avx2();
    parallel_for(n, kCostPerElement, [&](int64_t b, int64_t e) {
      if (avx2) adam_rows_avx2<T>(p, g, m, v, vmax, b, e, s, f);
      else adam_rows<T>(p, g, m, v, vmax, b, e, s, f);
    });
  })
}

void adam_step_multi(const std::vector<TensorArg>& params, const std::vector<TensorArg>& grads,
                     const std::vector<TensorArg>& exp_avgs, const std::vector<TensorArg>& exp_avg_sqs,
                     const std::vector<TensorArg>& max_exp_avg_sqs, const std::vector<int64_t>& steps, double lr,
                     double beta1, double beta2, double eps, double weight_decay, bool amsgrad, bool maximize,
                     bool decoupled) {
  adam_step_each(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, amsgrad,
                 [&](const TensorArg& p, const TensorArg& g, const TensorArg& m, const TensorArg& v,
                     const std::optional<TensorArg>& vmax, int64_t step) {
                   adam_step(p, g, m, v, vmax, step, lr, beta1, beta2, eps, weight_decay, amsgrad, maximize,
                             decoupled);
                 });
}

void rmsprop_step(const TensorArg& param, const TensorArg& grad, const TensorArg& square_avg,
                  const std::optional<TensorArg>& grad_avg, const std::optional<TensorArg>& momentum_buffer,
                  double lr, double alpha, double eps, double weight_decay, double momentum, bool centered,
                  bool maximize) {
  check_rmsprop_args(on_cpu("rmsprop_step"), param, grad, square_avg, grad_avg, momentum_buffer, momentum, centered);
  const int64_t n = param.numel();
  FASTDL_DISPATCH_FLOAT(param.dtype, "rmsprop_step", [&] {
    using T = scalar_t;
    T *p = param.data<T>(), *sq = square_avg.data<T>(), *ga = ptr<T>(grad_avg), *buf = ptr<T>(momentum_buffer);
    const T* g = grad.data<T>();
    const RmspropScalars<T> s{maximize ? T(-1) : T(1), T(weight_decay), T(alpha), T(1 - alpha), T(eps),
                              T(momentum), T(-lr)};
    const RmspropFlags f{weight_decay != 0, centered, momentum > 0, s.w < T(0.5)};
    const bool avx2 = use_avx2();
    parallel_for(n, kCostPerElement, [&](int64_t b, int64_t e) {
      if (avx2) rmsprop_rows_avx2<T>(p, g, sq, ga, buf, b, e, s, f);
      else rmsprop_rows<T>(p, g, sq, ga, buf, b, e, s, f);
    });
  })
}

}  // namespace cpu
}  // namespace fastdl
