// Shared by every .cu file: the CUDA error check and the launch helpers.
// All kernels launch on the legacy default stream (stream 0), so kernels, cudaMemcpy
// and the caching allocator's block reuse are ordered with each other without events.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace fastdl {
namespace cuda {

[[noreturn]] inline void throw_cuda_error(cudaError_t err, const char* call, const char* file, int line) {
  cudaGetLastError();  // clear a non-sticky error so the next call starts clean
  throw std::runtime_error(std::string("CUDA error: ") + cudaGetErrorString(err) + " (" +
                           cudaGetErrorName(err) + ") in " + call + " at " + file + ":" +
                           std::to_string(line));
}

// Device (SM count) used to size grids; defined in device.cu.
int sm_count(int device);

// Makes `device` current for the lifetime of the guard and restores the previous one.
class DeviceGuard {
 public:
  explicit DeviceGuard(int device);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int prev_ = -1;
};

constexpr int kBlockSize = 256;

// Enough blocks to cover n elements, capped at 32 resident-ish blocks per SM: the
// kernels use grid-stride loops, so a capped grid still covers any 64-bit n.
inline unsigned grid_size(int64_t n, int device) {
  int64_t blocks = (n + kBlockSize - 1) / kBlockSize;
  int64_t cap = static_cast<int64_t>(sm_count(device)) * 32;
  if (blocks > cap) blocks = cap;
  return static_cast<unsigned>(blocks < 1 ? 1 : blocks);
}

}  // namespace cuda
}  // namespace fastdl

#define FASTDL_CUDA_CHECK(expr)                                                      \
  do {                                                                               \
    cudaError_t fastdl_err_ = (expr);                                                \
    if (fastdl_err_ != cudaSuccess)                                                  \
      ::fastdl::cuda::throw_cuda_error(fastdl_err_, #expr, __FILE__, __LINE__);      \
  } while (0)

// for (int64_t i : grid-stride over [0, n)) -- 64-bit so n may exceed 2^31.
#define FASTDL_GRID_STRIDE_LOOP(i, n)                                                         \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n);      \
       i += static_cast<int64_t>(blockDim.x) * gridDim.x)
