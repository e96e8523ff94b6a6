// float32 GEMM on TF32 tensor cores (sm_80+), taken by matmul when allow_tf32() is on
// and the operands suit 16-byte copies (gemm.cu decides). Inputs are rounded to TF32
// (cvt.rna: nearest, ties away from zero) as they are read into mma fragments; the
// products accumulate in fp32, as PyTorch's allow_tf32 does with cuBLAS.
//
// The kernel (tiling, cp.async pipeline, epilogue) is mma_gemm.cuh's; this file is its
// TF32 policy: per stage, 4 k-steps of mma.sync.m16n8k8 whose fragments are 32-bit
// shared-memory reads at the positions common/mma_tf32_layout.h gives.
#include <atomic>

#include "common/mma_tf32_layout.h"
#include "mma_gemm.cuh"

namespace fastdl {
namespace cuda {

namespace {

using namespace mma;

std::atomic<bool> g_allow_tf32{false};

struct Tf32Mma {
  using Elem = float;
  using Tile = mma_tf32::Tile;

  __device__ __forceinline__ static float to_float(float x) { return x; }
  __device__ __forceinline__ static float from_float(float x) { return x; }

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  __device__ __forceinline__ static unsigned to_tf32(float x) {
    unsigned r;
    asm("cvt.rna.tf32.f32 %0, %1;\n" : "=r"(r) : "f"(x));
    return r;
  }

  __device__ __forceinline__ static void mma_m16n8k8(float (&c)[4], const unsigned (&a)[4], const unsigned (&b)[2]) {
    asm("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
  }

  // One stage (kBK of K) of the warp tile at w0 into acc.
  template <bool A_K, bool B_K>
  __device__ __forceinline__ static void multiply_stage(const float* as, const float* bs, RowCol w0, int lane,
                                        float (&acc)[kTilesM][kTilesN][4]) {
#pragma unroll
    for (int k8 = 0; k8 < Tile::kBK; k8 += mma_tf32::kMmaK) {
      unsigned a[kTilesM][4], b[kTilesN][2];
#pragma unroll
      for (int i = 0; i < kTilesM; ++i)
#pragma unroll
        for (int r = 0; r < 4; ++r) {
          const RowCol e = mma_tf32::a_frag(lane, r);
          a[i][r] = to_tf32(as[Tile::offset<A_K>(w0.row + i * kMmaM + e.row, k8 + e.col)]);
        }
#pragma unroll
      for (int j = 0; j < kTilesN; ++j)
#pragma unroll
        for (int r = 0; r < 2; ++r) {
          const RowCol e = mma_tf32::b_frag(lane, r);
          b[j][r] = to_tf32(bs[Tile::offset<B_K>(w0.col + j * kMmaN + e.col, k8 + e.row)]);
        }
#pragma unroll
      for (int i = 0; i < kTilesM; ++i)
#pragma unroll
        for (int j = 0; j < kTilesN; ++j) mma_m16n8k8(acc[i][j], a[i], b[j]);
    }
  }
#endif
};

}  // namespace

void set_allow_tf32(bool allow) { g_allow_tf32.store(allow); }
bool allow_tf32() { return g_allow_tf32.load(); }

bool sgemm_tf32(const GemmArgs& g, int64_t batch, bool a_k, bool b_k) {
  return mma_gemm::run<Tf32Mma>(g, batch, a_k, b_k);
}

}  // namespace cuda
}  // namespace fastdl
