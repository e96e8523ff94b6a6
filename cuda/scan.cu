// CUDA cumsum and cummax / cummin positions with the contract of csrc/cpu/scan.h: one
// thread per line along dim, running common/scan_ops.h's line functions (the CPU
// kernel's arithmetic, in the same order). Adjacent threads take adjacent columns, so their reads coalesce when the dim
// is not the last one; a last-dim scan is one thread per row (correct, not fast for
// few long rows: a block-wide scan would be the next step).
#include <string>

#include "common.cuh"
#include "common/scan_ops.h"
#include "cpu/scan.h"
#include "cpu/softmax_args.h"
#include "cuda_api.h"
#include "tensor_checks.h"

namespace fastdl {
namespace cuda {

namespace {

template <typename T>
__global__ void cumsum_lines(const T* x, T* y, int64_t outer, int64_t L, int64_t inner, bool reverse) {
  FASTDL_GRID_STRIDE_LOOP(c, outer * inner) {
    const int64_t off = (c / inner) * L * inner + c % inner;
    scan::cumsum_line(x + off, y + off, L, inner, reverse);
  }
}

template <bool Largest, typename T>
__global__ void cum_extreme_lines(const T* x, T* values, int64_t* idx, int64_t outer, int64_t L, int64_t inner) {
  FASTDL_GRID_STRIDE_LOOP(c, outer * inner) {
    const int64_t off = (c / inner) * L * inner + c % inner;
    scan::cum_extreme_line<Largest>(x + off, values + off, idx + off, L, inner);
  }
}

}  // namespace

void cumsum(const TensorArg& x, const TensorArg& out, int64_t dim, bool reverse) {
  const char* op = reverse ? "cumsum_backward" : "cumsum";
  require_device(op);
  check_same_shape(op, x, out);
  check_dtype(op, out, x.dtype);
  check_contiguous(op, "x", x);
  check_contiguous(op, "out", out);
  check_dim(op, x, dim);
  const int device = out.buf->device_index();
  check_cuda_operand(op, out, device);
  check_cuda_operand(op, x, device);
  if (x.numel() == 0) return;
  DeviceGuard guard(device);
  const Dims3 d = split_at(x, dim);
  FASTDL_DISPATCH_NUMERIC(x.dtype, op, [&] {
    cumsum_lines<<<grid_size(d.outer * d.inner, device), kBlockSize>>>(
        x.data<scalar_t>(), out.data<scalar_t>(), d.outer, d.L, d.inner, reverse);
    FASTDL_CUDA_CHECK(cudaGetLastError());
  })
}

void cum_extreme(const TensorArg& x, const TensorArg& values, const TensorArg& indices, int64_t dim, bool largest) {
  const char* op = largest ? "cummax" : "cummin";
  require_device(op);
  check_cum_extreme_operands(op, x, values, indices, dim);
  const int device = indices.buf->device_index();
  check_cuda_operand(op, indices, device);
  check_cuda_operand(op, values, device);
  check_cuda_operand(op, x, device);
  if (x.numel() == 0) return;
  DeviceGuard guard(device);
  const Dims3 d = split_at(x, dim);
  FASTDL_DISPATCH_NUMERIC(x.dtype, op, [&] {
    const int blocks = grid_size(d.outer * d.inner, device);
    if (largest)
      cum_extreme_lines<true><<<blocks, kBlockSize>>>(x.data<scalar_t>(), values.data<scalar_t>(),
                                                      indices.data<int64_t>(), d.outer, d.L, d.inner);
    else
      cum_extreme_lines<false><<<blocks, kBlockSize>>>(x.data<scalar_t>(), values.data<scalar_t>(),
                                                       indices.data<int64_t>(), d.outer, d.L, d.inner);
    FASTDL_CUDA_CHECK(cudaGetLastError());
  })
}

}  // namespace cuda
}  // namespace fastdl
