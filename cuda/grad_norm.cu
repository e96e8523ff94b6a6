// CUDA sum_squares_multi with the contract of csrc/cpu/grad_norm.h. Each tensor's
// blocks write their partial sums (double) to their own slot of one device array,
// which is read back once and added on the host in a fixed order: deterministic,
// unlike atomics, and one synchronisation per call.
#include <algorithm>
#include <string>
#include <vector>

#include "block_reduce.cuh"
#include "common.cuh"
#include "cuda_api.h"
#include "layer_kernels.h"
#include "temp_tensor.h"
#include "tensor_checks.h"

namespace fastdl {
namespace cuda {

namespace {

constexpr int kMaxBlocksPerTensor = 64;

template <typename T>
__global__ void sum_squares_kernel(const T* x, int64_t n, double* partials) {
  __shared__ double sh[32];
  double v = 0;
  FASTDL_GRID_STRIDE_LOOP(i, n) {
    const double a = static_cast<double>(x[i]);
    v += a * a;
  }
  v = block_reduce(v, AddOp{}, sh);
  if (threadIdx.x == 0) partials[blockIdx.x] = v;
}

}  // namespace

double sum_squares_multi(const std::vector<TensorArg>& tensors) {
  if (tensors.empty()) return 0.0;
  require_device("sum_squares_multi");
  const int device = tensors[0].buf ? tensors[0].buf->device_index() : 0;
  for (const TensorArg& t : tensors) {
    check_cuda_operand("sum_squares_multi", t, device);
    if (t.dtype != DType::Float32 && t.dtype != DType::Float64)
      fail_type("sum_squares_multi: expected float32 or float64 tensors, got " + describe(t));
    if (!t.is_contiguous()) fail_value("sum_squares_multi: expected contiguous tensors, got " + describe(t));
  }
  DeviceGuard guard(device);
  const int64_t slots = static_cast<int64_t>(tensors.size()) * kMaxBlocksPerTensor;
  TensorArg partials = empty_cuda({slots}, DType::Float64, device);
  double* p = partials.data<double>();
  FASTDL_CUDA_CHECK(cudaMemsetAsync(p, 0, slots * sizeof(double), 0));  // unused slots add 0
  for (size_t k = 0; k < tensors.size(); ++k) {
    const TensorArg& t = tensors[k];
    const int64_t n = t.numel();
    if (n == 0) continue;
    const unsigned blocks = std::min<unsigned>(grid_size(n, device), kMaxBlocksPerTensor);
    double* slot = p + k * kMaxBlocksPerTensor;
    if (t.dtype == DType::Float32)
      sum_squares_kernel<<<blocks, kBlockSize>>>(t.data<float>(), n, slot);
    else
      sum_squares_kernel<<<blocks, kBlockSize>>>(t.data<double>(), n, slot);
    FASTDL_CUDA_CHECK(cudaGetLastError());
  }
  std::vector<double> host(static_cast<size_t>(slots));
  FASTDL_CUDA_CHECK(cudaMemcpy(host.data(), p, slots * sizeof(double), cudaMemcpyDeviceToHost));
  double total = 0;
  for (double v : host) total += v;
  return total;
}

}  // namespace cuda
}  // namespace fastdl
