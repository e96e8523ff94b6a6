// The sm_90a (H100 / H200) fp16 / bf16 GEMM on wgmma + TMA (gemm_wgmma.cu).
// EXPERIMENTAL, UNVERIFIED: compiled, never yet run on a GPU. Off unless
// FASTDL_CUDA_WGMMA=1 at import or set_wgmma(true) (fastdl.backends.cuda.matmul.allow_wgmma).
#pragma once
#include <cstdint>

#include "gemm_args.cuh"

namespace fastdl {
namespace cuda {

// Runs C = alpha * A @ B + beta * C on the wgmma kernel and returns true, or returns
// false having launched nothing: the switch is off, the device is not compute 9.0, the
// driver has no cuTensorMapEncodeTiled, batch > 1, K == 0, or an operand breaks TMA's
// rules (16-byte aligned start, leading stride a multiple of 16 bytes). The operand
// conditions of gemm_half (a_k: A contiguous along K, else M; b_k: B along K, else N).
bool gemm_wgmma(const GemmArgs& g, int64_t batch, bool bf16, bool a_k, bool b_k);

}  // namespace cuda
}  // namespace fastdl
