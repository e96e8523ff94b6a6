#include "optim.h"

#include <cmath>
#include <string>
#include <type_traits>

#include "../core/parallel.h"

namespace fastdl {
namespace cpu {

namespace {

// Elementwise updates are memory-bound: thread only above ~8K elements.
constexpr int64_t kCostPerElement = 4;

void check_param(const char* op, const TensorArg& p) {
  check_cpu(op, p);
  if (!is_floating(p.dtype))
    fail_type(std::string(op) + ": expected a float32 or float64 parameter, got " + describe(p));
  if (p.numel() > 0 && !p.is_contiguous())
    fail_value(std::string(op) + ": param must be contiguous, got " + describe(p));
  if ((p.offset + p.numel()) * static_cast<int64_t>(itemsize(p.dtype)) > static_cast<int64_t>(p.buf->nbytes()))
    fail_value(std::string(op) + ": param view " + describe(p) + " runs past its buffer");
}

// State tensors and the gradient must look exactly like the parameter.
void check_like(const char* op, const TensorArg& p, const TensorArg& t, const char* name) {
  check_cpu(op, t);
  if (t.dtype != p.dtype)
    fail_type(std::string(op) + ": " + name + " must have the param's dtype " + dtype_name(p.dtype) + ", got " +
              describe(t));
  if (t.shape != p.shape)
    fail_value(std::string(op) + ": " + name + " has shape " + describe(t) + ", param is " + describe(p));
  if (t.numel() > 0 && !t.is_contiguous())
    fail_value(std::string(op) + ": " + name + " must be contiguous, got " + describe(t));
  if ((t.offset + t.numel()) * static_cast<int64_t>(itemsize(t.dtype)) > static_cast<int64_t>(t.buf->nbytes()))
    fail_value(std::string(op) + ": " + name + " view " + describe(t) + " runs past its buffer");
}

void check_optional(const char* op, const TensorArg& p, const std::optional<TensorArg>& t, bool wanted,
                    const char* name, const char* when) {
  if (wanted && !t) fail_value(std::string(op) + ": " + name + " is required when " + when);
  if (!wanted && t) fail_value(std::string(op) + ": " + name + " must be None unless " + when);
  if (t) check_like(op, p, *t, name);
}

// Turns runtime flags into compile-time ones so that each inner loop is branch-free
// and vectorisable.
template <typename F>
void with_flag(bool b, F&& f) {
  if (b) f(std::true_type{});
  else f(std::false_type{});
}

// torch.lerp's formula: the weight < 0.5 branch is exact at weight 0.
template <typename T>
inline T lerp(T self, T end, T w, bool low) {
  return low ? self + w * (end - self) : end - (end - self) * (T(1) - w);
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

}  // namespace

void sgd_step(const TensorArg& param, const TensorArg& grad, const std::optional<TensorArg>& momentum_buffer,
              double lr, double momentum, double dampening, double weight_decay, bool nesterov, bool maximize,
              bool init_buffer) {
  const char* op = "sgd_step";
  check_param(op, param);
  check_like(op, param, grad, "grad");
  check_optional(op, param, momentum_buffer, momentum != 0, "momentum_buffer", "momentum != 0");
  if (nesterov && momentum == 0) fail_value("sgd_step: nesterov requires a nonzero momentum");
  const int64_t n = param.numel();
  FASTDL_DISPATCH_FLOAT(param.dtype, op, [&] {
    using T = scalar_t;
    T* p = param.data<T>();
    const T* g0 = grad.data<T>();
    T* buf = ptr<T>(momentum_buffer);
    const T sign = maximize ? T(-1) : T(1), wd = T(weight_decay), mom = T(momentum), damp1 = T(1 - dampening),
            neg_lr = T(-lr);
    with_flag(weight_decay != 0, [&](auto WD) {
      with_flag(momentum != 0, [&](auto MOM) {
        with_flag(nesterov, [&](auto NEST) {
          with_flag(init_buffer, [&](auto INIT) {
            parallel_for(n, kCostPerElement, [&](int64_t b, int64_t e) {
              for (int64_t i = b; i < e; ++i) {
                T g = sign * g0[i];
                if constexpr (WD.value) g = g + wd * p[i];
                if constexpr (MOM.value) {
                  T m;
                  if constexpr (INIT.value) m = g;
                  else m = buf[i] * mom + damp1 * g;
                  buf[i] = m;
                  if constexpr (NEST.value) g = g + mom * m;
                  else g = m;
                }
                p[i] = p[i] + neg_lr * g;
              }
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
  const char* op = "adam_step";
  check_param(op, param);
  check_like(op, param, grad, "grad");
  check_like(op, param, exp_avg, "exp_avg");
  check_like(op, param, exp_avg_sq, "exp_avg_sq");
  check_optional(op, param, max_exp_avg_sq, amsgrad, "max_exp_avg_sq", "amsgrad");
  if (step < 1) fail_value("adam_step: step must be >= 1 (the count after this update), got " + std::to_string(step));
  // Scalars in double, as torch computes them in Python.
  const double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(step));
  const double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(step));
  const double step_size = lr / bias_correction1;
  const double bias_correction2_sqrt = std::pow(bias_correction2, 0.5);
  const int64_t n = param.numel();
  FASTDL_DISPATCH_FLOAT(param.dtype, op, [&] {
    using T = scalar_t;
    T* p = param.data<T>();
    const T* g0 = grad.data<T>();
    T* m = exp_avg.data<T>();
    T* v = exp_avg_sq.data<T>();
    T* vmax = ptr<T>(max_exp_avg_sq);
    const T sign = maximize ? T(-1) : T(1), wd = T(weight_decay), w1 = T(1 - beta1), b2 = T(beta2),
            one_minus_b2 = T(1 - beta2), bc2s = T(bias_correction2_sqrt), e = T(eps), neg_step = T(-step_size);
    const bool w1_low = w1 < T(0.5);
    // Decoupled decay multiplies by exactly 1 when off, which leaves p unchanged.
    const T decay = (decoupled && weight_decay != 0) ? T(1 - lr * weight_decay) : T(1);
    with_flag(!decoupled && weight_decay != 0, [&](auto L2) {
      with_flag(amsgrad, [&](auto AMS) {
        parallel_for(n, kCostPerElement, [&](int64_t b, int64_t end) {
          for (int64_t i = b; i < end; ++i) {
            T g = sign * g0[i];
            if constexpr (L2.value) g = g + wd * p[i];
            const T pi = p[i] * decay;
            const T mi = lerp(m[i], g, w1, w1_low);
            const T vi = v[i] * b2 + one_minus_b2 * g * g;
            m[i] = mi;
            v[i] = vi;
            T vhat = vi;
            if constexpr (AMS.value) {
              vhat = nan_max(vmax[i], vi);
              vmax[i] = vhat;
            }
            const T denom = std::sqrt(vhat) / bc2s + e;
            p[i] = pi + neg_step * mi / denom;
          }
        });
      });
    });
  })
}

void rmsprop_step(const TensorArg& param, const TensorArg& grad, const TensorArg& square_avg,
                  const std::optional<TensorArg>& grad_avg, const std::optional<TensorArg>& momentum_buffer,
                  double lr, double alpha, double eps, double weight_decay, double momentum, bool centered,
                  bool maximize) {
  const char* op = "rmsprop_step";
  check_param(op, param);
  check_like(op, param, grad, "grad");
  check_like(op, param, square_avg, "square_avg");
  check_optional(op, param, grad_avg, centered, "grad_avg", "centered");
  check_optional(op, param, momentum_buffer, momentum > 0, "momentum_buffer", "momentum > 0");
  const int64_t n = param.numel();
  FASTDL_DISPATCH_FLOAT(param.dtype, op, [&] {
    using T = scalar_t;
    T* p = param.data<T>();
    const T* g0 = grad.data<T>();
    T* sq = square_avg.data<T>();
    T* ga = ptr<T>(grad_avg);
    T* buf = ptr<T>(momentum_buffer);
    const T sign = maximize ? T(-1) : T(1), wd = T(weight_decay), a = T(alpha), w = T(1 - alpha), e = T(eps),
            mom = T(momentum), neg_lr = T(-lr);
    const bool w_low = w < T(0.5);
    with_flag(weight_decay != 0, [&](auto WD) {
      with_flag(centered, [&](auto CENT) {
        with_flag(momentum > 0, [&](auto MOM) {
          parallel_for(n, kCostPerElement, [&](int64_t b, int64_t end) {
            for (int64_t i = b; i < end; ++i) {
              T g = sign * g0[i];
              if constexpr (WD.value) g = g + wd * p[i];
              const T s = sq[i] * a + w * g * g;
              sq[i] = s;
              T avg;
              if constexpr (CENT.value) {
                const T gi = lerp(ga[i], g, w, w_low);
                ga[i] = gi;
                avg = std::sqrt(s + T(-1) * gi * gi);
              } else {
                avg = std::sqrt(s);
              }
              avg = avg + e;
              if constexpr (MOM.value) {
                const T m = buf[i] * mom + g / avg;
                buf[i] = m;
                p[i] = p[i] + neg_lr * m;
              } else {
                p[i] = p[i] + neg_lr * g / avg;
              }
            }
          });
        });
      });
    });
  })
}

}  // namespace cpu
}  // namespace fastdl
