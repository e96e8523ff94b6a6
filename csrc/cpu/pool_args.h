// Argument checks of the pooling kernels (contracts in csrc/cpu/pool.h), shared by the
// CPU and CUDA kernels. Each returns the pooled spatial size after checking it
// against the output (or grad_out) shape.
#pragma once
#include <cstdint>
#include <string>

#include "operand_check.h"

namespace fastdl {

struct PoolSize {
  int64_t OH, OW;
};

// max_pool2d(x, out, indices, ...): also rejects windows that cover only padding.
PoolSize check_max_pool_args(const DeviceCheck& on_device, const TensorArg& x, const TensorArg& out,
                             const TensorArg& indices, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                             int64_t ph, int64_t pw, int64_t dh, int64_t dw, bool ceil_mode);
void check_max_pool_backward_args(const DeviceCheck& on_device, const TensorArg& grad_out,
                                  const TensorArg& indices, const TensorArg& grad_in);
// avg_pool2d (big = x, small = out) and its backward (big = grad_in, small = grad_out);
// `out_is_big` says which one the kernel writes.
PoolSize check_avg_pool_args(const std::string& op, const DeviceCheck& on_device, const TensorArg& big,
                             const TensorArg& small, bool out_is_big, int64_t kh, int64_t kw, int64_t sh,
                             int64_t sw, int64_t ph, int64_t pw, bool ceil_mode, int64_t divisor_override);
void check_adaptive_pool_args(const std::string& op, const DeviceCheck& on_device, const TensorArg& big,
                              const TensorArg& small, bool out_is_big);

}  // namespace fastdl
