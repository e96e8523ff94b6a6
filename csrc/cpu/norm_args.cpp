#include "norm_args.h"

#include <initializer_list>
#include <string>
#include <utility>

namespace fastdl {

namespace {

// An empty tensor counts as contiguous whatever its strides: nothing is addressed.
void check_dense(const std::string& op, const char* what, const TensorArg& t) {
  if (t.numel() != 0 && !t.is_contiguous()) fail_value(op + ": " + what + " must be contiguous, got " + describe(t));
}

void check_input(const std::string& op, const DeviceCheck& on_device, const TensorArg& x) {
  on_device(x);
  if (!is_floating(x.dtype)) fail_type(op + ": expected a float32 or float64 input, got " + describe(x));
  check_dense(op, "input", x);
}

// Same shape and dtype as x, contiguous.
void check_like(const std::string& op, const DeviceCheck& on_device, const char* what, const TensorArg& t,
                const TensorArg& x) {
  on_device(t);
  if (t.shape != x.shape || t.dtype != x.dtype)
    fail_value(op + ": " + what + " must match the input " + describe(x) + ", got " + describe(t));
  check_dense(op, what, t);
}

// n elements of x's dtype; 1-D (any stride) when one_d, else any shape but contiguous.
void check_vec(const std::string& op, const DeviceCheck& on_device, const char* what, const TensorArg& t, int64_t n,
               DType dt, bool one_d) {
  on_device(t);
  if (t.dtype != dt) fail_type(op + ": " + what + " must be " + dtype_name(dt) + ", got " + describe(t));
  if (one_d ? (t.ndim() != 1 || t.shape[0] != n) : t.numel() != n)
    fail_value(op + ": " + what + " must have " + std::to_string(n) + " elements" + (one_d ? " (1-D)" : "") +
               ", got " + describe(t));
  if (!one_d) check_dense(op, what, t);
}

void check_opt_vecs(const std::string& op, const DeviceCheck& on_device,
                    std::initializer_list<std::pair<const OptArg*, const char*>> ts, int64_t n, DType dt,
                    bool one_d) {
  for (const auto& [t, what] : ts)
    if (*t) check_vec(op, on_device, what, **t, n, dt, one_d);
}

NCS ncs_of(const std::string& op, const TensorArg& x) {
  if (x.ndim() < 2) fail_value(op + ": expected an input of shape (N, C, ...), got " + describe(x));
  NCS d{x.shape[0], x.shape[1], 1};
  for (int i = 2; i < x.ndim(); ++i) d.S *= x.shape[i];
  return d;
}

MD md_of(const std::string& op, const TensorArg& x, int64_t axis) {
  if (axis < 0 || axis > x.ndim())
    fail_value(op + ": axis " + std::to_string(axis) + " out of range for " + describe(x));
  MD s;
  for (int i = 0; i < x.ndim(); ++i) (i < axis ? s.M : s.D) *= x.shape[i];
  return s;
}

void check_eps(const std::string& op, double eps) {
  if (!(eps >= 0)) fail_value(op + ": eps must be non-negative, got " + std::to_string(eps));
}

}  // namespace

NCS check_batch_norm_args(const DeviceCheck& on_device, const TensorArg& x, const OptArg& weight,
                          const OptArg& bias, const OptArg& running_mean, const OptArg& running_var,
                          const TensorArg& out, const TensorArg& save_mean, const TensorArg& save_invstd,
                          bool training, double eps) {
  const std::string op = "batch_norm";
  check_input(op, on_device, x);
  const NCS d = ncs_of(op, x);
  check_like(op, on_device, "out", out, x);
  check_opt_vecs(op, on_device,
                 {{&weight, "weight"}, {&bias, "bias"}, {&running_mean, "running_mean"}, {&running_var, "running_var"}},
                 d.C, x.dtype, true);
  check_vec(op, on_device, "save_mean", save_mean, d.C, x.dtype, true);
  check_vec(op, on_device, "save_invstd", save_invstd, d.C, x.dtype, true);
  if (running_mean.has_value() != running_var.has_value())
    fail_value(op + ": running_mean and running_var must be given together");
  if (!training && !running_mean) fail_value(op + ": running_mean and running_var are required in evaluation mode");
  if (training && d.count() == 1)
    fail_value(op + ": expected more than 1 value per channel when training, got input " + describe(x));
  check_eps(op, eps);
  return d;
}

NCS check_batch_norm_backward_args(const DeviceCheck& on_device, const TensorArg& grad_out, const TensorArg& x,
                                   const OptArg& weight, const TensorArg& save_mean, const TensorArg& save_invstd,
                                   const OptArg& grad_x, const OptArg& grad_weight, const OptArg& grad_bias) {
  const std::string op = "batch_norm_backward";
  check_input(op, on_device, x);
  const NCS d = ncs_of(op, x);
  check_like(op, on_device, "grad_out", grad_out, x);
  if (grad_x) check_like(op, on_device, "grad_x", *grad_x, x);
  check_opt_vecs(op, on_device, {{&weight, "weight"}, {&grad_weight, "grad_weight"}, {&grad_bias, "grad_bias"}}, d.C,
                 x.dtype, true);
  check_vec(op, on_device, "save_mean", save_mean, d.C, x.dtype, true);
  check_vec(op, on_device, "save_invstd", save_invstd, d.C, x.dtype, true);
  return d;
}

MD check_layer_norm_args(const DeviceCheck& on_device, const TensorArg& x, const OptArg& weight,
                         const OptArg& bias, const TensorArg& out, const TensorArg& mean, const TensorArg& rstd,
                         int64_t axis, double eps) {
  const std::string op = "layer_norm";
  check_input(op, on_device, x);
  const MD s = md_of(op, x, axis);
  check_like(op, on_device, "out", out, x);
  if (weight) check_vec(op, on_device, "weight", *weight, s.D, x.dtype, false);
  if (bias) check_vec(op, on_device, "bias", *bias, s.D, x.dtype, false);
  check_vec(op, on_device, "mean", mean, s.M, x.dtype, false);
  check_vec(op, on_device, "rstd", rstd, s.M, x.dtype, false);
  check_eps(op, eps);
  return s;
}

MD check_layer_norm_backward_args(const DeviceCheck& on_device, const TensorArg& grad_out, const TensorArg& x,
                                  const TensorArg& mean, const TensorArg& rstd, const OptArg& weight,
                                  const OptArg& grad_x, const OptArg& grad_weight, const OptArg& grad_bias,
                                  int64_t axis) {
  const std::string op = "layer_norm_backward";
  check_input(op, on_device, x);
  const MD s = md_of(op, x, axis);
  check_like(op, on_device, "grad_out", grad_out, x);
  if (grad_x) check_like(op, on_device, "grad_x", *grad_x, x);
  check_opt_vecs(op, on_device, {{&weight, "weight"}, {&grad_weight, "grad_weight"}, {&grad_bias, "grad_bias"}}, s.D,
                 x.dtype, false);
  check_vec(op, on_device, "mean", mean, s.M, x.dtype, false);
  check_vec(op, on_device, "rstd", rstd, s.M, x.dtype, false);
  return s;
}

}  // namespace fastdl
