#include "optim_args.h"

#include <cmath>
#include <initializer_list>
#include <string>
#include <utility>

namespace fastdl {

namespace {

void check_in_buffer(const char* op, const TensorArg& t, const char* name) {
  if ((t.offset + t.numel()) * static_cast<int64_t>(itemsize(t.dtype)) > static_cast<int64_t>(t.buf->nbytes()))
    fail_value(std::string(op) + ": " + name + " view " + describe(t) + " runs past its buffer");
}

void check_param(const char* op, const DeviceCheck& on_device, const TensorArg& p) {
  on_device(p);
  if (!is_floating(p.dtype))
    fail_type(std::string(op) + ": expected a float32 or float64 parameter, got " + describe(p));
  if (p.numel() > 0 && !p.is_contiguous())
    fail_value(std::string(op) + ": param must be contiguous, got " + describe(p));
  check_in_buffer(op, p, "param");
}

// State tensors and the gradient must look exactly like the parameter.
void check_like(const char* op, const DeviceCheck& on_device, const TensorArg& p, const TensorArg& t,
                const char* name) {
  on_device(t);
  if (t.dtype != p.dtype)
    fail_type(std::string(op) + ": " + name + " must have the param's dtype " + dtype_name(p.dtype) + ", got " +
              describe(t));
  if (t.shape != p.shape)
    fail_value(std::string(op) + ": " + name + " has shape " + describe(t) + ", param is " + describe(p));
  if (t.numel() > 0 && !t.is_contiguous())
    fail_value(std::string(op) + ": " + name + " must be contiguous, got " + describe(t));
  check_in_buffer(op, t, name);
}

// The kernels treat every array as unaliased (__restrict): say so only when true.
void check_disjoint(const char* op, const std::vector<std::pair<const char*, const TensorArg*>>& ts) {
  for (size_t a = 0; a < ts.size(); ++a)
    for (size_t b = a + 1; b < ts.size(); ++b) {
      const TensorArg *x = ts[a].second, *y = ts[b].second;
      if (x->numel() == 0) continue;
      const char* x0 = x->bytes();
      const char* y0 = y->bytes();
      const size_t n = x->numel() * itemsize(x->dtype);
      if (x0 < y0 + n && y0 < x0 + n)
        fail_value(std::string(op) + ": " + ts[a].first + " and " + ts[b].first + " share memory");
    }
}

// A state tensor that must be given exactly when its condition holds (`when` names
// the condition in the error).
struct OptionalState {
  const char* name;
  const OptState* t;
  bool wanted;
  const char* when;
};

// `required` tensors must be present; each optional one given exactly when wanted.
void check_state(const char* op, const DeviceCheck& on_device, const TensorArg& param,
                 std::initializer_list<std::pair<const char*, const TensorArg*>> required,
                 std::initializer_list<OptionalState> optional) {
  check_param(op, on_device, param);
  std::vector<std::pair<const char*, const TensorArg*>> all{{"param", &param}};
  for (const auto& [name, t] : required) {
    check_like(op, on_device, param, *t, name);
    all.emplace_back(name, t);
  }
  for (const auto& o : optional) {
    if (o.wanted && !*o.t) fail_value(std::string(op) + ": " + o.name + " is required when " + o.when);
    if (!o.wanted && *o.t) fail_value(std::string(op) + ": " + o.name + " must be None unless " + o.when);
    if (*o.t) {
      check_like(op, on_device, param, **o.t, o.name);
      all.emplace_back(o.name, &**o.t);
    }
  }
  check_disjoint(op, all);
}

}  // namespace

void check_sgd_args(const DeviceCheck& on_device, const TensorArg& param, const TensorArg& grad,
                    const OptState& momentum_buffer, double momentum, bool nesterov) {
  check_state("sgd_step", on_device, param, {{"grad", &grad}},
              {{"momentum_buffer", &momentum_buffer, momentum != 0, "momentum != 0"}});
  if (nesterov && momentum == 0) fail_value("sgd_step: nesterov requires a nonzero momentum");
}

void check_adam_args(const DeviceCheck& on_device, const TensorArg& param, const TensorArg& grad,
                     const TensorArg& exp_avg, const TensorArg& exp_avg_sq, const OptState& max_exp_avg_sq,
                     int64_t step, bool amsgrad) {
  check_state("adam_step", on_device, param,
              {{"grad", &grad}, {"exp_avg", &exp_avg}, {"exp_avg_sq", &exp_avg_sq}},
              {{"max_exp_avg_sq", &max_exp_avg_sq, amsgrad, "amsgrad"}});
  if (step < 1) fail_value("adam_step: step must be >= 1 (the count after this update), got " + std::to_string(step));
}

void check_rmsprop_args(const DeviceCheck& on_device, const TensorArg& param, const TensorArg& grad,
                        const TensorArg& square_avg, const OptState& grad_avg, const OptState& momentum_buffer,
                        double momentum, bool centered) {
  check_state("rmsprop_step", on_device, param, {{"grad", &grad}, {"square_avg", &square_avg}},
              {{"grad_avg", &grad_avg, centered, "centered"},
               {"momentum_buffer", &momentum_buffer, momentum > 0, "momentum > 0"}});
}

void adam_step_each(const std::vector<TensorArg>& params, const std::vector<TensorArg>& grads,
                    const std::vector<TensorArg>& exp_avgs, const std::vector<TensorArg>& exp_avg_sqs,
                    const std::vector<TensorArg>& max_exp_avg_sqs, const std::vector<int64_t>& steps, bool amsgrad,
                    const AdamStepFn& adam_step) {
  const size_t n = params.size();
  if (grads.size() != n || exp_avgs.size() != n || exp_avg_sqs.size() != n || steps.size() != n ||
      max_exp_avg_sqs.size() != (amsgrad ? n : 0))
    fail_value("adam_step_multi: expected " + std::to_string(n) + " grads, exp_avgs, exp_avg_sqs and steps (and " +
               (amsgrad ? "as many" : "no") + " max_exp_avg_sqs), got " + std::to_string(grads.size()) + ", " +
               std::to_string(exp_avgs.size()) + ", " + std::to_string(exp_avg_sqs.size()) + ", " +
               std::to_string(steps.size()) + " and " + std::to_string(max_exp_avg_sqs.size()));
  for (size_t i = 0; i < n; ++i) {
    const OptState vmax = amsgrad ? OptState(max_exp_avg_sqs[i]) : std::nullopt;
    adam_step(params[i], grads[i], exp_avgs[i], exp_avg_sqs[i], vmax, steps[i]);
    for (const TensorArg* t : {&params[i], &exp_avgs[i], &exp_avg_sqs[i]}) ++t->buf->version;
    if (amsgrad) ++max_exp_avg_sqs[i].buf->version;
  }
}

AdamStepScalars adam_step_scalars(int64_t step, double lr, double beta1, double beta2, double weight_decay,
                                  bool decoupled) {
  const double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(step));
  const double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(step));
  return {lr / bias_correction1, std::pow(bias_correction2, 0.5),
          (decoupled && weight_decay != 0) ? 1 - lr * weight_decay : 1.0};
}

}  // namespace fastdl
