// CUDA flip with the contract of csrc/cpu/flip.h: one thread per output element, reading
// through common/flip_view.h's flipped view (the CPU kernel's index math).
#include <string>

#include "common.cuh"
#include "common/flip_view.h"
#include "cpu/flip.h"
#include "cuda_api.h"
#include "tensor_checks.h"

namespace fastdl {
namespace cuda {

namespace {

struct FlipShape {
  int ndim;
  int64_t shape[kMaxDims];
};

template <typename T>
__global__ void flip_elements(const T* x, T* out, int64_t n, FlipShape s, FlippedView v) {
  FASTDL_GRID_STRIDE_LOOP(i, n) { out[i] = x[v.base + strided_offset(i, s.ndim, s.shape, v.strides)]; }
}

template <typename T>
void launch(const TensorArg& x, const TensorArg& out, const FlipShape& s, const FlippedView& v, int device) {
  flip_elements<<<grid_size(out.numel(), device), kBlockSize>>>(reinterpret_cast<const T*>(x.bytes()),
                                                                reinterpret_cast<T*>(out.bytes()), out.numel(), s, v);
  FASTDL_CUDA_CHECK(cudaGetLastError());
}

}  // namespace

void flip(const TensorArg& x, const TensorArg& out, const std::vector<int64_t>& dims) {
  const char* op = "flip";
  require_device(op);
  const uint32_t mask = flip_mask(x, out, dims);
  const int device = out.buf->device_index();
  check_cuda_operand(op, x, device);
  check_cuda_operand(op, out, device);
  if (x.numel() == 0) return;
  DeviceGuard guard(device);
  FlipShape s{x.ndim(), {}};
  for (int d = 0; d < s.ndim; ++d) s.shape[d] = x.shape[d];
  const FlippedView v = flipped_view(s.ndim, x.shape.data(), x.strides.data(), mask);
  const bool launched = with_element_of_size(itemsize(x.dtype), [&](auto element) {
    launch<decltype(element)>(x, out, s, v, device);
  });
  if (!launched) fail_type("flip: unsupported element size for " + describe(x));
}

}  // namespace cuda
}  // namespace fastdl
