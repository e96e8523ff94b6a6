// The small-product row kernel (gemm_small_rows.inc) on AVX-512 float vectors: tiles of
// up to 6 rows x 32 columns over the whole K, no packing (compiled with -mavx512f; called
// only when use_avx512() is true). Contract: gemm_ukr::sgemm_small_avx512 in gemm.h. Each
// element sums its k terms in the AVX2 kernel's order: the same bits.
// Like gemm_avx2.cpp this file includes no std or project headers with inline code other
// than the AVX-512-only avx512_vec.h.
#include <immintrin.h>

#include <cstdint>

#include "avx512_vec.h"

namespace fastdl {
namespace cpu {
namespace gemm_ukr {
namespace {

using avx512::Vec;

#include "gemm_small_rows.inc"

}  // namespace

void sgemm_small_avx512(int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t rsa, int64_t csa,
                        const float* B, int64_t rsb, int64_t bwidth, int64_t bstep, float beta, float* C,
                        int64_t rsc, int64_t csc) {
  small_gemm<float>({M, N, K, alpha, A, rsa, csa, B, rsb, bwidth, bstep, beta, C, rsc, csc});
}

}  // namespace gemm_ukr
}  // namespace cpu
}  // namespace fastdl
