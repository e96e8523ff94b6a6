#include "linear_args.h"

#include <initializer_list>
#include <string>
#include <vector>

namespace fastdl {

namespace {

// A gradient output: on the device, grad's dtype, exactly `shape`, contiguous.
void check_grad_output(const std::string& op, const DeviceCheck& on_device, const TensorArg& t, const char* name,
                       DType dtype, std::initializer_list<int64_t> shape) {
  on_device(t);
  check_dtype(op.c_str(), t, dtype);
  if (t.shape != std::vector<int64_t>(shape)) {
    std::string want;
    for (int64_t s : shape) want += (want.empty() ? "" : ", ") + std::to_string(s);
    fail_value(op + ": " + name + " must be [" + want + "], got " + describe(t));
  }
  if (t.numel() && !t.is_contiguous()) fail_value(op + ": " + name + " must be contiguous, got " + describe(t));
}

}  // namespace

LinearDims check_linear_args(const DeviceCheck& on_device, const TensorArg& x, const TensorArg& weight,
                             const std::optional<TensorArg>& bias, const TensorArg& out,
                             const std::string& activation) {
  const std::string op = "linear";
  if (activation != "none" && activation != "relu" && activation != "tanh" && activation != "sigmoid")
    fail_value(op + ": unknown activation '" + activation + "' (expected none, relu, tanh or sigmoid)");
  for (const TensorArg* t : {&x, &weight, &out}) on_device(*t);
  if (!is_floating(x.dtype)) fail_type(op + ": expected a float32 or float64 input, got " + describe(x));
  if (x.ndim() != 2 || weight.ndim() != 2 || out.ndim() != 2)
    fail_value(op + ": expected 2-D input, weight and out, got " + describe(x) + ", " + describe(weight) + ", " +
               describe(out));
  const int64_t M = x.shape[0], K = x.shape[1], N = weight.shape[0];
  if (weight.shape[1] != K)
    fail_value(op + ": input " + describe(x) + " and weight " + describe(weight) +
               " disagree on in_features (weight must be (out_features, in_features))");
  if (out.shape[0] != M || out.shape[1] != N)
    fail_value(op + ": out must be [" + std::to_string(M) + ", " + std::to_string(N) + "], got " + describe(out));
  check_dtype(op.c_str(), weight, x.dtype);
  check_dtype(op.c_str(), out, x.dtype);
  if (out.numel() && !out.is_contiguous()) fail_value(op + ": out must be contiguous, got " + describe(out));
  if (bias) {
    on_device(*bias);
    check_dtype(op.c_str(), *bias, x.dtype);
    if (bias->ndim() != 1 || bias->shape[0] != N)
      fail_value(op + ": bias must be [" + std::to_string(N) + "], got " + describe(*bias));
  }
  return {M, N, K};
}

LinearDims check_linear_backward_args(const DeviceCheck& on_device, const TensorArg& grad,
                                      const std::optional<TensorArg>& x, const std::optional<TensorArg>& weight,
                                      const std::optional<TensorArg>& grad_x,
                                      const std::optional<TensorArg>& grad_weight,
                                      const std::optional<TensorArg>& grad_bias) {
  const std::string op = "linear_backward";
  on_device(grad);
  if (!is_floating(grad.dtype)) fail_type(op + ": expected a float32 or float64 grad, got " + describe(grad));
  if (grad.ndim() != 2) fail_value(op + ": expected a 2-D grad, got " + describe(grad));
  if (grad_x && !weight) fail_value(op + ": grad_input needs the weight");
  if (grad_weight && !x) fail_value(op + ": grad_weight needs the input");
  const int64_t M = grad.shape[0], N = grad.shape[1];
  // in_features from whichever of input and weight is given (checked against both below)
  const int64_t K = x && x->ndim() == 2 ? x->shape[1] : (weight && weight->ndim() == 2 ? weight->shape[1] : 0);
  if (x) {
    on_device(*x);
    check_dtype(op.c_str(), *x, grad.dtype);
    if (x->ndim() != 2 || x->shape[0] != M)
      fail_value(op + ": input must be [" + std::to_string(M) + ", in_features] for grad " + describe(grad) +
                 ", got " + describe(*x));
  }
  if (weight) {
    on_device(*weight);
    check_dtype(op.c_str(), *weight, grad.dtype);
    if (weight->ndim() != 2 || weight->shape[0] != N || weight->shape[1] != K)
      fail_value(op + ": weight must be [" + std::to_string(N) + ", " + std::to_string(K) + "] for grad " +
                 describe(grad) + (x ? " and input " + describe(*x) : std::string()) + ", got " + describe(*weight));
  }
  if (grad_x) check_grad_output(op, on_device, *grad_x, "grad_input", grad.dtype, {M, K});
  if (grad_weight) check_grad_output(op, on_device, *grad_weight, "grad_weight", grad.dtype, {N, K});
  if (grad_bias) check_grad_output(op, on_device, *grad_bias, "grad_bias", grad.dtype, {N});
  return {M, N, K};
}

}  // namespace fastdl
