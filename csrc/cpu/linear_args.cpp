#include "linear_args.h"

#include <string>

namespace fastdl {

void check_linear_args(const DeviceCheck& on_device, const TensorArg& x, const TensorArg& weight,
                       const std::optional<TensorArg>& bias, const TensorArg& out) {
  const std::string op = "linear";
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
}

}  // namespace fastdl
