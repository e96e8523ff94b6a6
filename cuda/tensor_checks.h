// Host-side validation of CUDA kernel operands. A view that reaches outside its
// buffer would be an illegal address on the GPU, which poisons the CUDA context for
// the rest of the process, so the bounds are checked here rather than trusted.
#pragma once
#include <string>

#include "common/strided_index.h"
#include "core/tensor_arg.h"
#include "cpu/operand_check.h"

namespace fastdl {
namespace cuda {

// Every element the view (shape, strides, offset) addresses lies inside its buffer.
inline void check_view_in_buffer(const char* op, const TensorArg& t) {
  if (t.ndim() > kMaxDims) fail_value(std::string(op) + ": tensor has more than 16 dimensions");
  int64_t lo = t.offset, hi = t.offset;
  for (int d = 0; d < t.ndim(); ++d) {
    if (t.shape[d] < 0) fail_value(std::string(op) + ": negative dimension in " + describe(t));
    if (t.shape[d] == 0) return;  // empty: touches no memory
    const int64_t ext = (t.shape[d] - 1) * t.strides[d];
    (ext < 0 ? lo : hi) += ext;
  }
  const int64_t isz = static_cast<int64_t>(itemsize(t.dtype));
  if (lo < 0 || (hi + 1) * isz > static_cast<int64_t>(t.buf->nbytes()))
    fail_value(std::string(op) + ": view " + describe(t) + " reaches outside its " +
               std::to_string(t.buf->nbytes()) + "-byte buffer");
}

// t is a valid view on CUDA device `device`.
inline void check_cuda_operand(const char* op, const TensorArg& t, int device) {
  if (!t.buf || t.buf->device() != DeviceType::CUDA)
    fail_value(std::string(op) + ": CUDA kernel given " + describe(t));
  if (t.buf->device_index() != device)
    fail_value(std::string(op) + ": operands are on different CUDA devices (cuda:" +
               std::to_string(device) + " and cuda:" + std::to_string(t.buf->device_index()) + ")");
  check_view_in_buffer(op, t);
}

// The CUDA half of the shared argument checks (csrc/cpu/*_args.h): every operand on
// the device of `ref`, the operand that decides it.
inline DeviceCheck on_cuda(const char* op, const TensorArg& ref) {
  const int device = ref.buf ? ref.buf->device_index() : 0;
  return [op, device](const TensorArg& t) { check_cuda_operand(op, t, device); };
}

}  // namespace cuda
}  // namespace fastdl
