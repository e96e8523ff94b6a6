// Block-wide reductions shared by the CUDA kernels that give one block to a row or a
// channel (softmax, normalisation).
#pragma once
#include <cuda_runtime.h>

namespace fastdl {
namespace cuda {

struct AddOp { template <typename T> __device__ T operator()(T a, T b) const { return a + b; } };

// All threads of the block get f-reduction of their v. blockDim.x is a multiple of 32
// (at most 1024); `sh` holds 32 values. Ends with the block synchronised.
template <typename T, typename F>
__device__ T block_reduce(T v, F f, T* sh) {
  for (int o = 16; o > 0; o /= 2) v = f(v, __shfl_xor_sync(0xffffffffu, v, o));
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, nw = blockDim.x / 32;
  __syncthreads();  // sh may still be read by a previous call
  if (lane == 0) sh[warp] = v;
  __syncthreads();
  v = sh[0];
  for (int w = 1; w < nw; ++w) v = f(v, sh[w]);
  return v;
}

}  // namespace cuda
}  // namespace fastdl
