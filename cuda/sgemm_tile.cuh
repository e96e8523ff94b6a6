// The register-blocked core of the SIMT SGEMM (gemm.cu), shared with the
// implicit-GEMM convolution (conv_implicit.cu): a 128 x 128 block tile of C per
// 256-thread block, K staged 8 at a time in double-buffered shared memory, each thread
// owning an 8 x 8 sub-tile as four 4 x 4 quadrants 64 rows / columns apart, so its
// shared-memory reads are conflict-free float4s. The kernels differ only in how they
// fill the tiles and where C goes.
#pragma once
#include <cstdint>

namespace fastdl {
namespace cuda {

constexpr int kSgemmBM = 128, kSgemmBN = 128, kSgemmBK = 8;
constexpr int kSgemmPadA = 4;  // As rows padded so transposing stores of row-major A spread over banks

// Shared-memory tiles, [buffer][k][m or n]: A stored K-major (transposed) like B.
struct SgemmSmem {
  float As[2][kSgemmBK][kSgemmBM + kSgemmPadA];
  float Bs[2][kSgemmBK][kSgemmBN];
};

// acc += this thread's share of As[buf] @ Bs[buf] (thread t: ty = t / 16, tx = t % 16).
__device__ __forceinline__ void sgemm_multiply(const SgemmSmem& s, int buf, int ty, int tx, float (&acc)[8][8]) {
#pragma unroll
  for (int k = 0; k < kSgemmBK; ++k) {
    float a[8], b[8];
    *reinterpret_cast<float4*>(a) = *reinterpret_cast<const float4*>(&s.As[buf][k][ty * 4]);
    *reinterpret_cast<float4*>(a + 4) = *reinterpret_cast<const float4*>(&s.As[buf][k][64 + ty * 4]);
    *reinterpret_cast<float4*>(b) = *reinterpret_cast<const float4*>(&s.Bs[buf][k][tx * 4]);
    *reinterpret_cast<float4*>(b + 4) = *reinterpret_cast<const float4*>(&s.Bs[buf][k][64 + tx * 4]);
#pragma unroll
    for (int i = 0; i < 8; ++i)
#pragma unroll
      for (int j = 0; j < 8; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
  }
}

// Four consecutive elements p[0..3] along a unit-stride dim whose extent from p is
// `left`: one float4 when all four exist, else the existing ones and zeros.
__device__ __forceinline__ float4 load4(const float* p, int64_t left) {
  if (left >= 4) return __ldg(reinterpret_cast<const float4*>(p));
  float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
  if (left > 0) v.x = __ldg(p);
  if (left > 1) v.y = __ldg(p + 1);
  if (left > 2) v.z = __ldg(p + 2);
  return v;
}

// Row (within the block tile) of acc[i][.] and column of acc[.][j].
__device__ __forceinline__ int sgemm_row(int ty, int i) { return i < 4 ? ty * 4 + i : 64 + ty * 4 + i - 4; }
__device__ __forceinline__ int sgemm_col(int tx, int j) { return j < 4 ? tx * 4 + j : 64 + tx * 4 + j - 4; }

// A float4 of A's tile stored at (k0..k0+3, m) when A's K dim is contiguous (the
// transposing store), or at (k, m..m+3) when its M dim is.
__device__ __forceinline__ void sgemm_store_a(SgemmSmem& s, int buf, bool along_k, int k, int m, float4 v) {
  if (along_k) {
    s.As[buf][k + 0][m] = v.x;
    s.As[buf][k + 1][m] = v.y;
    s.As[buf][k + 2][m] = v.z;
    s.As[buf][k + 3][m] = v.w;
  } else {
    *reinterpret_cast<float4*>(&s.As[buf][k][m]) = v;
  }
}

// A float4 of B's tile stored at (k, n..n+3) when B's N dim is contiguous, or at
// (k0..k0+3, n) when its K dim is.
__device__ __forceinline__ void sgemm_store_b(SgemmSmem& s, int buf, bool along_n, int k, int n, float4 v) {
  if (along_n) {
    *reinterpret_cast<float4*>(&s.Bs[buf][k][n]) = v;
  } else {
    s.Bs[buf][k + 0][n] = v.x;
    s.Bs[buf][k + 1][n] = v.y;
    s.Bs[buf][k + 2][n] = v.z;
    s.Bs[buf][k + 3][n] = v.w;
  }
}

// The block's whole K loop: acc (this thread's 8x8 sub-tile, zeroed here) = the block's
// A tile rows @ B tile columns. load_a(k0) / load_b(k0) return this thread's float4 of
// the K step starting at k0 (zeros outside the matrices), stored at (a_k, a_m) /
// (b_k, b_n) along K (a_along_k) or M, along N (b_along_n) or K. The next step's float4s
// are loaded while the current step is multiplied, so there is one barrier per step.
template <typename LoadA, typename LoadB>
__device__ __forceinline__ void sgemm_block(SgemmSmem& smem, int64_t K, bool a_along_k, int a_k, int a_m,
                                            bool b_along_n, int b_k, int b_n, LoadA&& load_a, LoadB&& load_b,
                                            float (&acc)[8][8]) {
  const int ty = threadIdx.x / 16, tx = threadIdx.x % 16;
#pragma unroll
  for (int i = 0; i < 8; ++i)
#pragma unroll
    for (int j = 0; j < 8; ++j) acc[i][j] = 0.f;
  auto store = [&](int buf, float4 va, float4 vb) {
    sgemm_store_a(smem, buf, a_along_k, a_k, a_m, va);
    sgemm_store_b(smem, buf, b_along_n, b_k, b_n, vb);
  };
  const int64_t ktiles = (K + kSgemmBK - 1) / kSgemmBK;
  if (ktiles > 0) store(0, load_a(0), load_b(0));
  __syncthreads();
  for (int64_t kt = 0; kt < ktiles; ++kt) {
    const int cur = kt & 1;
    float4 na, nb;
    const bool more = kt + 1 < ktiles;
    if (more) {  // in flight while this step is multiplied
      na = load_a((kt + 1) * kSgemmBK);
      nb = load_b((kt + 1) * kSgemmBK);
    }
    sgemm_multiply(smem, cur, ty, tx, acc);
    // The other buffer was last read before the previous barrier, so it can be refilled.
    if (more) store(cur ^ 1, na, nb);
    __syncthreads();
  }
}

}  // namespace cuda
}  // namespace fastdl
