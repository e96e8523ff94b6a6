// Device temporaries for kernels that need a contiguous copy of an operand or a
// scratch array. They live in fastdl Buffers, so the caching allocator hands the
// memory out and takes it back (stream-ordered: every kernel runs on stream 0).
#pragma once
#include <memory>
#include <vector>

#include "core/tensor_arg.h"
#include "cuda_api.h"

namespace fastdl {
namespace cuda {

inline TensorArg empty_cuda(const std::vector<int64_t>& shape, DType dtype, int device) {
  TensorArg t;
  t.dtype = dtype;
  t.shape = shape;
  t.strides.assign(shape.size(), 1);
  for (int d = static_cast<int>(shape.size()) - 2; d >= 0; --d) t.strides[d] = t.strides[d + 1] * shape[d + 1];
  t.buf = std::make_shared<Buffer>(static_cast<size_t>(t.numel()) * itemsize(dtype), DeviceType::CUDA, device);
  return t;
}

// t itself when contiguous, else a contiguous copy on t's device.
inline TensorArg contiguous_cuda(const TensorArg& t) {
  if (t.is_contiguous()) return t;
  TensorArg c = empty_cuda(t.shape, t.dtype, t.buf->device_index());
  copy(t, c);
  return c;
}

// Position (row-major, in index's shape) of the first int64 element of `index` that
// is outside [lo, hi) and != `allowed` (pass lo to allow nothing extra), and its value;
// {-1, 0} when all are valid. Runs on the device; the result is read back (a sync).
// Defined in index.cu.
std::pair<int64_t, int64_t> first_bad_index(const TensorArg& index, int64_t lo, int64_t hi, int64_t allowed);

}  // namespace cuda
}  // namespace fastdl
