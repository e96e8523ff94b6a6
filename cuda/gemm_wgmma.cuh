// The sm_90a (H100 / H200) fp16 / bf16 / TF32 GEMM on wgmma + TMA (gemm_wgmma.cu).
// EXPERIMENTAL, UNVERIFIED: compiled, never yet run on a GPU. Off unless
// FASTDL_CUDA_WGMMA=1 at import or set_wgmma(true) (fastdl.backends.cuda.matmul.allow_wgmma);
// float32 takes it only with allow_tf32 on too (gemm.cu decides).
#pragma once
#include <cstdint>

#include "gemm_args.cuh"

namespace fastdl {
namespace cuda {

// The input (and output) element type: fp16, bf16, or float32 multiplied as TF32.
enum class WgmmaType { F16, BF16, TF32 };

// Runs C = alpha * A @ B + beta * C (each of `batch` entries) on the wgmma kernel and
// returns true, or returns false having launched nothing: the switch is off, the device
// is not compute 9.0, the driver has no cuTensorMapEncodeTiled, K == 0, TF32 with an
// operand that is not K-major, batch dims that do not merge into one for A, B and C, or
// an operand that breaks TMA's rules (16-byte aligned start, row and batch strides
// multiples of 16 bytes; a batch stride of 0 is fine). The operand conditions of
// gemm_half / sgemm_tf32 (a_k: A contiguous along K, else M; b_k: B along K, else N).
bool gemm_wgmma(const GemmArgs& g, int64_t batch, WgmmaType type, bool a_k, bool b_k);

}  // namespace cuda
}  // namespace fastdl
