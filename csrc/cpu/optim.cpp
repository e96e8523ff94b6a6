#include "optim.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "../core/parallel.h"
#include "optim_args.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace fastdl {
namespace cpu {

namespace {

// Elementwise updates are memory-bound: thread only above ~8K elements.
constexpr int64_t kCostPerElement = 4;

// Turns runtime flags into compile-time ones so that each inner loop is branch-free
// and vectorisable.
template <typename F>
void with_flag(bool b, F&& f) {
  if (b) f(std::true_type{});
  else f(std::false_type{});
}

// torch.lerp's formula, whose branch (weight < 0.5) is fixed per call.
template <typename T, bool LOW>
inline T lerp(T self, T end, T w) {
  if constexpr (LOW) return self + w * (end - self);
  else return end - (end - self) * (T(1) - w);
}

// torch.maximum: NaN in either operand wins.
template <typename T>
inline T nan_max(T a, T b) {
  return a != a ? a : (b != b ? b : (a > b ? a : b));
}

template <typename T>
T* ptr(const std::optional<TensorArg>& t) {
  return t ? t->data<T>() : nullptr;
}

// x[i] = sqrt(x[i]). std::sqrt's errno branch keeps loops that call it scalar (the
// build does not pass -fno-math-errno), so Adam and RMSprop run in blocks: a
// vectorised pass up to the square root, this pass, a vectorised pass after it. The
// SSE2 instructions round exactly like std::sqrt and give the same NaN for x < 0.
constexpr int64_t kBlock = 256;

template <typename T>
void sqrt_block(T* x, int64_t n) {
  int64_t i = 0;
#if defined(__SSE2__)
  if constexpr (std::is_same_v<T, float>) {
    for (; i + 4 <= n; i += 4) _mm_storeu_ps(x + i, _mm_sqrt_ps(_mm_loadu_ps(x + i)));
  } else {
    for (; i + 2 <= n; i += 2) _mm_storeu_pd(x + i, _mm_sqrt_pd(_mm_loadu_pd(x + i)));
  }
#endif
  for (; i < n; ++i) x[i] = std::sqrt(x[i]);
}

// The loops below are separate functions so that their scalars are values in
// registers and their arrays __restrict: the compiler then vectorises them (captured
// references to float scalars would be reloaded after every float store).

template <typename T>
struct SgdScalars { T sign, wd, mom, damp1, neg_lr; };

template <typename T, bool WD, bool MOM, bool NEST, bool INIT>
void sgd_range(T* __restrict p, const T* __restrict g0, T* __restrict buf, int64_t b, int64_t e,
               SgdScalars<T> s) {
  for (int64_t i = b; i < e; ++i) {
    T g = s.sign * g0[i];
    if constexpr (WD) g = g + s.wd * p[i];
    if constexpr (MOM) {
      T m;
      if constexpr (INIT) m = g;
      else m = buf[i] * s.mom + s.damp1 * g;
      buf[i] = m;
      if constexpr (NEST) g = g + s.mom * m;
      else g = m;
    }
    p[i] = p[i] + s.neg_lr * g;
  }
}

template <typename T>
struct AdamScalars { T sign, wd, decay, w1, b2, one_minus_b2, bc2s, eps, neg_step; };

template <typename T, bool L2, bool AMS, bool LOW>
void adam_range(T* __restrict p, const T* __restrict g0, T* __restrict m, T* __restrict v, T* __restrict vmax,
                int64_t b, int64_t e, AdamScalars<T> s) {
  T root[kBlock];
  for (int64_t b0 = b; b0 < e; b0 += kBlock) {
    const int64_t n = std::min<int64_t>(kBlock, e - b0);
    T *pb = p + b0, *mb = m + b0, *vb = v + b0, *vmaxb = AMS ? vmax + b0 : nullptr;
    const T* gb = g0 + b0;
    for (int64_t i = 0; i < n; ++i) {
      T g = s.sign * gb[i];
      if constexpr (L2) g = g + s.wd * pb[i];
      mb[i] = lerp<T, LOW>(mb[i], g, s.w1);
      const T vi = vb[i] * s.b2 + s.one_minus_b2 * g * g;
      vb[i] = vi;
      if constexpr (AMS) {
        vmaxb[i] = nan_max(vmaxb[i], vi);
        root[i] = vmaxb[i];
      } else {
        root[i] = vi;
      }
    }
    sqrt_block(root, n);
    for (int64_t i = 0; i < n; ++i) {
      const T denom = root[i] / s.bc2s + s.eps;
      pb[i] = pb[i] * s.decay + s.neg_step * mb[i] / denom;
    }
  }
}

template <typename T>
struct RmspropScalars { T sign, wd, alpha, w, eps, mom, neg_lr; };

template <typename T, bool WD, bool CENT, bool MOM, bool LOW>
void rmsprop_range(T* __restrict p, const T* __restrict g0, T* __restrict sq, T* __restrict ga, T* __restrict buf,
                   int64_t b, int64_t e, RmspropScalars<T> s) {
  T root[kBlock];
  for (int64_t b0 = b; b0 < e; b0 += kBlock) {
    const int64_t n = std::min<int64_t>(kBlock, e - b0);
    T *pb = p + b0, *sqb = sq + b0, *gab = CENT ? ga + b0 : nullptr, *bufb = MOM ? buf + b0 : nullptr;
    const T* gb = g0 + b0;
    // the decayed gradient is recomputed in the second pass (p is not yet updated)
    auto grad = [&](int64_t i) {
      T g = s.sign * gb[i];
      if constexpr (WD) g = g + s.wd * pb[i];
      return g;
    };
    for (int64_t i = 0; i < n; ++i) {
      const T g = grad(i);
      const T sqi = sqb[i] * s.alpha + s.w * g * g;
      sqb[i] = sqi;
      if constexpr (CENT) {
        const T gi = lerp<T, LOW>(gab[i], g, s.w);
        gab[i] = gi;
        root[i] = sqi + T(-1) * gi * gi;
      } else {
        root[i] = sqi;
      }
    }
    sqrt_block(root, n);
    for (int64_t i = 0; i < n; ++i) {
      const T g = grad(i), avg = root[i] + s.eps;
      if constexpr (MOM) {
        const T mi = bufb[i] * s.mom + g / avg;
        bufb[i] = mi;
        pb[i] = pb[i] + s.neg_lr * mi;
      } else {
        pb[i] = pb[i] + s.neg_lr * g / avg;
      }
    }
  }
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
    with_flag(weight_decay != 0, [&](auto WD) {
      with_flag(momentum != 0, [&](auto MOM) {
        with_flag(nesterov, [&](auto NEST) {
          with_flag(init_buffer, [&](auto INIT) {
            parallel_for(n, kCostPerElement, [&](int64_t b, int64_t e) {
              sgd_range<T, WD.value, MOM.value, NEST.value, INIT.value>(p, g, buf, b, e, s);
            });
          });
        });
      });
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
    with_flag(!decoupled && weight_decay != 0, [&](auto L2) {
      with_flag(amsgrad, [&](auto AMS) {
        with_flag(s.w1 < T(0.5), [&](auto LOW) {
          parallel_for(n, kCostPerElement, [&](int64_t b, int64_t e) {
            adam_range<T, L2.value, AMS.value, LOW.value>(p, g, m, v, vmax, b, e, s);
          });
        });
      });
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
    with_flag(weight_decay != 0, [&](auto WD) {
      with_flag(centered, [&](auto CENT) {
        with_flag(momentum > 0, [&](auto MOM) {
          with_flag(s.w < T(0.5), [&](auto LOW) {
            parallel_for(n, kCostPerElement, [&](int64_t b, int64_t e) {
              rmsprop_range<T, WD.value, CENT.value, MOM.value, LOW.value>(p, g, sq, ga, buf, b, e, s);
            });
          });
        });
      });
    });
  })
}

}  // namespace cpu
}  // namespace fastdl
