// float16 / bfloat16 GEMM on tensor cores (sm_80+) with fp32 accumulation, the result
// rounded once (nearest even) to the input dtype: matmul's path for half dtypes when
// the operands suit 16-byte copies (gemm.cu decides; other strides take the strided
// fallback, also fp32-accumulating).
//
// The kernel (tiling, cp.async pipeline, epilogue) is mma_gemm.cuh's; this file is its
// half policy: per stage (64 of K), 4 k-steps of mma.sync.m16n8k16 whose fragments
// come from shared memory by ldmatrix.x4 (.trans where the operand is contiguous along
// M or N), at the addresses common/mma_half_layout.h gives.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <type_traits>

#include "common/half_convert.h"
#include "common/mma_half_layout.h"
#include "mma_gemm.cuh"

namespace fastdl {
namespace cuda {

namespace {

using namespace mma;

template <bool BF16>
struct HalfMma {
  using Elem = std::conditional_t<BF16, BFloat16, Half>;
  using Tile = mma_half::Tile;

  __device__ __forceinline__ static float to_float(Elem x) {
    if constexpr (BF16) return __bfloat162float(__ushort_as_bfloat16(x.bits));
    else return __half2float(__ushort_as_half(x.bits));
  }
  __device__ __forceinline__ static Elem from_float(float x) {  // round to nearest even, as half_convert.h
    if constexpr (BF16) return Elem{__bfloat16_as_ushort(__float2bfloat16_rn(x))};
    else return Elem{__half_as_ushort(__float2half_rn(x))};
  }

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  // Four 8x8 matrices of 16-bit elements from shared memory (see mma_half_layout.h).
  template <bool TRANS>
  __device__ __forceinline__ static void ldmatrix_x4(unsigned (&r)[4], const Elem* row) {
    const unsigned p = static_cast<unsigned>(__cvta_generic_to_shared(row));
    if constexpr (TRANS)
      asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                   : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(p));
    else
      asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                   : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(p));
  }

  __device__ __forceinline__ static void mma_m16n8k16(float (&c)[4], const unsigned (&a)[4], unsigned b0,
                                                      unsigned b1) {
    if constexpr (BF16)
      asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
          "{%0,%1,%2,%3};\n"
          : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
          : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
    else
      asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
          "{%0,%1,%2,%3};\n"
          : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
          : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  }

  // One stage (kBK of K) of the warp tile at w0 into acc.
  template <bool A_K, bool B_K>
  __device__ __forceinline__ static void multiply_stage(const Elem* as, const Elem* bs, RowCol w0, int lane,
                                                        float (&acc)[kTilesM][kTilesN][4]) {
    // This lane's ldmatrix rows at k16 = 0 of mma tile 0; the offsets are linear in (mn, k).
    const RowCol la = mma_half::ldmatrix_row<A_K>(lane, true), lb = mma_half::ldmatrix_row<B_K>(lane, false);
    const Elem* a0 = as + Tile::offset<A_K>(w0.row + la.row, la.col);
    const Elem* b0 = bs + Tile::offset<B_K>(w0.col + lb.row, lb.col);
#pragma unroll
    for (int k16 = 0; k16 < Tile::kBK; k16 += mma_half::kMmaK) {
      unsigned b[kTilesN / 2][4];  // b[p]: b0, b1 of n tile 2p, then of 2p + 1
#pragma unroll
      for (int p = 0; p < kTilesN / 2; ++p)
        ldmatrix_x4<!B_K>(b[p], b0 + Tile::offset<B_K>(p * 2 * kMmaN, k16));
      // One A fragment at a time keeps 12 fragment registers live, not 24 (no spills
      // under the 128-register cap of two blocks per SM).
#pragma unroll
      for (int i = 0; i < kTilesM; ++i) {
        unsigned a[4];
        ldmatrix_x4<!A_K>(a, a0 + Tile::offset<A_K>(i * kMmaM, k16));
#pragma unroll
        for (int j = 0; j < kTilesN; ++j) mma_m16n8k16(acc[i][j], a, b[j / 2][(j % 2) * 2], b[j / 2][(j % 2) * 2 + 1]);
      }
    }
  }
#endif
};

}  // namespace

bool gemm_half(const GemmArgs& g, int64_t batch, bool bf16, bool a_k, bool b_k) {
  return bf16 ? mma_gemm::run<HalfMma<true>>(g, batch, a_k, b_k) : mma_gemm::run<HalfMma<false>>(g, batch, a_k, b_k);
}

}  // namespace cuda
}  // namespace fastdl
