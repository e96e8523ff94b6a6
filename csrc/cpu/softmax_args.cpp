#include "softmax_args.h"

namespace fastdl {

namespace {

void check_vec(const char* op, const char* what, const TensorArg& t, int64_t n, DType dt) {
  if (t.ndim() != 1 || t.shape[0] != n)
    fail_value(std::string(op) + ": " + what + " must have shape [" + std::to_string(n) + "], got " + describe(t));
  check_dtype(op, t, dt);
}

}  // namespace

void check_row_vector(const char* op, const DeviceCheck& on_device, const char* what, const TensorArg& t,
                      int64_t n, DType dt) {
  on_device(t);
  check_vec(op, what, t, n, dt);
}

void check_grad_logits(const char* op, const DeviceCheck& on_device, const TensorArg& grad_logits,
                       const TensorArg& logits) {
  on_device(grad_logits);
  check_same_shape(op, grad_logits, logits);
  check_dtype(op, grad_logits, logits.dtype);
  check_contiguous(op, "grad_logits", grad_logits);
}

CeArgs check_cross_entropy_args(const char* op, const DeviceCheck& on_device, const TensorArg& logits,
                                const TensorArg& target, const std::optional<TensorArg>& weight,
                                int64_t ignore_index, double eps) {
  on_device(logits), on_device(target);
  if (weight) on_device(*weight);
  if (logits.ndim() != 2) fail_value(std::string(op) + ": logits must be 2-D (N, C), got " + describe(logits));
  if (!is_floating(logits.dtype))
    fail_type(std::string(op) + ": logits must be float32 or float64, got " + describe(logits));
  check_contiguous(op, "logits", logits);
  const int64_t N = logits.shape[0], C = logits.shape[1];
  check_vec(op, "target", target, N, DType::Int64);
  if (weight) check_vec(op, "weight", *weight, C, logits.dtype);
  if (!(eps >= 0.0 && eps <= 1.0))
    fail_value(std::string(op) + ": label_smoothing must be in [0, 1], got " + std::to_string(eps));
  return CeArgs{N, C, target.data<int64_t>(), target.strides[0], eps, ignore_index};
}

void fail_target_out_of_bounds(const char* op, int64_t target, int64_t classes) {
  fail_index(std::string(op) + ": target " + std::to_string(target) + " is out of bounds for " +
             std::to_string(classes) + " classes");
}

}  // namespace fastdl
