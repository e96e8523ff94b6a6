// What the GEMM kernels (gemm.cu: SIMT SGEMM and the strided fallback; gemm_tf32.cu,
// gemm_half.cu: tensor cores) share: the launch arguments, the batch offsets of blockIdx.z, and the
// tiled launch that splits grids past CUDA's y/z limits.
#pragma once
#include <algorithm>
#include <cstdint>

#include "common.cuh"
#include "common/strided_index.h"
#include "core/errors.h"

namespace fastdl {
namespace cuda {

constexpr int kGemmThreads = 256;  // every GEMM kernel runs 256-thread blocks

// Batch dims (all but the last two) of the three operands: the element offset of
// batch b in each is strided_offset(b, nb, shape, stride[k]).
struct Batch {
  int nb;
  int64_t shape[kMaxDims];
  int64_t stride[3][kMaxDims];  // a, b, c
};

struct GemmArgs {
  int64_t M, N, K;
  const void* A;
  int64_t rsa, csa;
  const void* B;
  int64_t rsb, csb;
  void* C;
  int64_t rsc, csc;
  double alpha, beta;  // beta == 0: C is not read
  Batch batch;
  int64_t z0, y0;  // batch / row-tile origin of this launch (grid limits split big launches)
};

__device__ __forceinline__ void batch_offsets(const Batch& bt, int64_t z, int64_t* oa, int64_t* ob,
                                              int64_t* oc) {
  *oa = *ob = *oc = 0;
  for (int d = bt.nb - 1; d >= 0; --d) {
    const int64_t i = z % bt.shape[d];
    z /= bt.shape[d];
    *oa += i * bt.stride[0][d];
    *ob += i * bt.stride[1][d];
    *oc += i * bt.stride[2][d];
  }
}

// One block per tile_m x tile_n tile of C (grid x: N tiles, y: M tiles, z: batch).
template <typename Kernel>
void launch_tiles(Kernel kernel, GemmArgs g, int64_t batch, int tile_m, int tile_n, size_t smem_bytes = 0) {
  const int64_t gy = (g.M + tile_m - 1) / tile_m, gx = (g.N + tile_n - 1) / tile_n;
  if (gx > 0x7fffffff) fail_value("matmul: N is too large for one CUDA grid");
  const int64_t kMaxYZ = 65535;
  for (int64_t z0 = 0; z0 < batch; z0 += kMaxYZ)
    for (int64_t y0 = 0; y0 < gy; y0 += kMaxYZ) {
      g.z0 = z0;
      g.y0 = y0;
      dim3 grid(static_cast<unsigned>(gx), static_cast<unsigned>(std::min(kMaxYZ, gy - y0)),
                static_cast<unsigned>(std::min(kMaxYZ, batch - z0)));
      kernel<<<grid, kGemmThreads, smem_bytes>>>(g);
      FASTDL_CUDA_CHECK(cudaGetLastError());
    }
}

// gemm_tf32.cu: the float32 GEMM on TF32 tensor cores (fp32 accumulate), for operands
// that each have a unit-stride dim with a 16-byte aligned start and leading dim (the
// SIMT SGEMM's conditions). a_k: A is contiguous along K (else along M); b_k: B is
// contiguous along K (else along N). Returns false, launching nothing, on a device
// older than sm_80 or with less than the kernel's 108 KiB of shared memory per block.
bool sgemm_tf32(const GemmArgs& g, int64_t batch, bool a_k, bool b_k);

// gemm_half.cu: the float16 (bf16: bfloat16) GEMM on tensor cores, fp32 accumulate,
// under the same operand conditions with 8-element (16-byte) alignment. Returns false,
// launching nothing, where sgemm_tf32 would.
bool gemm_half(const GemmArgs& g, int64_t batch, bool bf16, bool a_k, bool b_k);

}  // namespace cuda
}  // namespace fastdl
