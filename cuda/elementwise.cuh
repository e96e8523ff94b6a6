// The CUDA elementwise machinery: N same-shape operands (broadcast ones carry
// stride 0), dims collapsed on the host with csrc/common/strided_index.h, then one
// grid-stride kernel. Contiguous operands take a kernel with no index math; others
// compute each operand's offset with strided_offset (one pass per operand).
#pragma once
#include <array>

#include "common.cuh"
#include "common/dim_order.h"
#include "common/elementwise_ops.h"
#include "common/strided_index.h"
#include "cuda_api.h"
#include "tensor_checks.h"

namespace fastdl {
namespace cuda {

template <int N>
struct Operands {
  char* ptr[N];  // element at the view's offset
  int ndim;
  int64_t shape[kMaxDims];
  int64_t strides[N][kMaxDims];  // elements
};

// Elem::operator()(ptr, off) does the work for one element: operand k lives at
// reinterpret_cast<T_k*>(ptr[k])[off[k]].
template <int N, typename Elem>
__global__ void contiguous_kernel(int64_t n, Operands<N> a, Elem e) {
  FASTDL_GRID_STRIDE_LOOP(i, n) {
    int64_t off[N];
#pragma unroll
    for (int k = 0; k < N; ++k) off[k] = i;
    e(a.ptr, off);
  }
}

template <int N, typename Elem>
__global__ void strided_kernel(int64_t n, Operands<N> a, Elem e) {
  FASTDL_GRID_STRIDE_LOOP(i, n) {
    int64_t off[N];
    if (a.ndim == 1) {
#pragma unroll
      for (int k = 0; k < N; ++k) off[k] = i * a.strides[k][0];
    } else {
#pragma unroll
      for (int k = 0; k < N; ++k) off[k] = strided_offset(i, a.ndim, a.shape, a.strides[k]);
    }
    e(a.ptr, off);
  }
}

// Validates ops (ops[0] is the output and defines the shape) and launches Elem on
// their device. Shapes and dtypes are checked by the caller.
template <int N, typename Elem>
void launch_elementwise(const char* op, const std::array<const TensorArg*, N>& ops, Elem e) {
  const TensorArg& ref = *ops[0];
  const int device = ref.buf->device_index();
  for (const TensorArg* t : ops) check_cuda_operand(op, *t, device);
  const int64_t n = ref.numel();
  if (n == 0) return;

  // dims in their memory order (common/dim_order.h, as the CPU loop walks them), so an
  // output laid out like its permuted inputs collapses to the contiguous kernel
  Operands<N> a;
  int64_t given[N][kMaxDims];
  for (int k = 0; k < N; ++k) {
    a.ptr[k] = ops[k]->bytes();
    for (int d = 0; d < ref.ndim(); ++d) given[k][d] = ops[k]->strides[d];
  }
  int perm[kMaxDims];
  order_dims(ref.ndim(), ref.shape.data(), N, given, perm);
  for (int i = 0; i < ref.ndim(); ++i) {
    a.shape[i] = ref.shape[perm[i]];
    for (int k = 0; k < N; ++k) a.strides[k][i] = given[k][perm[i]];
  }
  a.ndim = collapse_dims(ref.ndim(), a.shape, N, a.strides);
  bool contiguous = a.ndim == 1;
  for (int k = 0; k < N; ++k) contiguous = contiguous && a.strides[k][0] == 1;

  DeviceGuard guard(device);
  const unsigned grid = grid_size(n, device);
  if (contiguous)
    contiguous_kernel<N><<<grid, kBlockSize>>>(n, a, e);
  else
    strided_kernel<N><<<grid, kBlockSize>>>(n, a, e);
  FASTDL_CUDA_CHECK(cudaGetLastError());
}

}  // namespace cuda
}  // namespace fastdl
