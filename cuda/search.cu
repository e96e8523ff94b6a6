// CUDA searchsorted with the contract of csrc/cpu/search.h: one thread per query, running
// common/search_ops.h's binary search (the CPU kernel's comparisons).
#include "common.cuh"
#include "common/search_ops.h"
#include "cpu/search.h"
#include "cuda_api.h"
#include "tensor_checks.h"

namespace fastdl {
namespace cuda {

namespace {

template <typename T>
__global__ void search_queries(const T* seq, int64_t seq_row_step, int64_t n, const T* values, int64_t* out,
                               int64_t queries, int64_t K, bool right) {
  FASTDL_GRID_STRIDE_LOOP(q, queries) {
    out[q] = search::insertion_point(seq + (q / K) * seq_row_step, n, values[q], right);
  }
}

}  // namespace

void searchsorted(const TensorArg& seq, const TensorArg& values, const TensorArg& out, bool right) {
  const char* op = "searchsorted";
  require_device(op);
  check_searchsorted_operands(seq, values, out);
  const int device = out.buf->device_index();
  check_cuda_operand(op, seq, device);
  check_cuda_operand(op, values, device);
  check_cuda_operand(op, out, device);
  const int64_t queries = out.numel(), n = seq.shape[1];
  if (queries == 0) return;
  DeviceGuard guard(device);
  FASTDL_DISPATCH_NUMERIC(seq.dtype, op, [&] {
    search_queries<<<grid_size(queries, device), kBlockSize>>>(seq.data<scalar_t>(), seq.shape[0] == 1 ? 0 : n, n,
                                                               values.data<scalar_t>(), out.data<int64_t>(),
                                                               queries, values.shape[1], right);
    FASTDL_CUDA_CHECK(cudaGetLastError());
  })
}

}  // namespace cuda
}  // namespace fastdl
