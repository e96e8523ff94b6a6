// float32 GEMM on TF32 tensor cores (sm_80+), taken by matmul when allow_tf32() is on
// and the operands suit 16-byte copies (gemm.cu decides). Inputs are rounded to TF32
// (cvt.rna: nearest, ties away from zero) as they are read into mma fragments; the
// products accumulate in fp32, as PyTorch's allow_tf32 does with cuBLAS.
//
// A 128x128 block tile of C per 256-thread block: 8 warps of 64x32 warp tiles, each
// 4x4 mma.sync.m16n8k8 tiles (64 fp32 accumulators per thread). K is consumed 32 at a
// time through a 3-stage cp.async pipeline in (padded, bank-conflict-free) shared
// memory, so two tiles are in flight while one is multiplied, with one __syncthreads
// per k-tile. Edge tiles are zero-filled by cp.async's src-size operand (the chunks past
// M, N or K read 0 bytes) and the epilogue writes only elements inside C, so any M, N,
// K work. The batch index is blockIdx.z. The index math lives in
// common/mma_tf32_layout.h, which the CPU tests check.
#include <atomic>

#include "common/mma_tf32_layout.h"
#include "cuda_api.h"
#include "gemm_args.cuh"

namespace fastdl {
namespace cuda {

namespace {

using namespace mma_tf32;

static_assert(kThreads == kGemmThreads, "launch_tiles launches kGemmThreads per block");
constexpr size_t kSmemBytes = sizeof(float) * 2 * kStages * kTileFloats;

std::atomic<bool> g_allow_tf32{false};

// One operand as the kernel reads it: element (mn, k) is at p[mn * ld + k] when it is
// contiguous along K, else p[k * ld + mn]; mn < extent (M for A, N for B).
struct Operand {
  const float* p;
  int64_t ld, extent;
};

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800

// 16 bytes global -> shared, of which the first src_bytes are read and the rest zeroed.
__device__ __forceinline__ void cp_async16(float* dst, const float* src, int src_bytes) {
  const unsigned d = static_cast<unsigned>(__cvta_generic_to_shared(dst));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(d), "l"(src), "r"(src_bytes) : "memory");
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
}

__device__ __forceinline__ unsigned to_tf32(float x) {
  unsigned r;
  asm("cvt.rna.tf32.f32 %0, %1;\n" : "=r"(r) : "f"(x));
  return r;
}

__device__ __forceinline__ void mma_m16n8k8(float (&c)[4], const unsigned (&a)[4], const unsigned (&b)[2]) {
  asm("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// Issues this thread's cp.asyncs for the kBM x kBK tile of `op` at (mn0, k0) into `tile`.
template <bool K_INNER>
__device__ __forceinline__ void load_tile(float* tile, const Operand& op, int64_t K, int64_t mn0, int64_t k0) {
#pragma unroll
  for (int c = 0; c < kChunksPerThread; ++c) {
    const RowCol at = copy_chunk<K_INNER>(threadIdx.x, c);
    const int64_t mn = mn0 + at.row, k = k0 + at.col;
    const int bytes = chunk_bytes<K_INNER>(mn, k, op.extent, K);
    const float* src = bytes == 0 ? op.p : (K_INNER ? op.p + mn * op.ld + k : op.p + k * op.ld + mn);
    cp_async16(tile + tile_offset<K_INNER>(at.row, at.col), src, bytes);
  }
}

#endif

// A_K: A is contiguous along K (row-major A), else along M. B_K: B is contiguous
// along K (a transposed B, e.g. a linear layer's weight), else along N.
// Two blocks per SM fit sm_90's shared memory (2 x 108 KiB of 227 KiB); asking for them
// caps registers at 128 (ptxas, CUDA 13.0: at most 16 bytes spilled, per variant).
template <bool A_K, bool B_K>
__global__ void __launch_bounds__(kThreads, 2) sgemm_tf32_kernel(GemmArgs g) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  extern __shared__ __align__(16) float smem[];
  float* As = smem;                           // kStages tiles of kTileFloats
  float* Bs = smem + kStages * kTileFloats;

  const int64_t z = g.z0 + blockIdx.z;
  int64_t oa, ob, oc;
  batch_offsets(g.batch, z, &oa, &ob, &oc);
  const Operand A{static_cast<const float*>(g.A) + oa, A_K ? g.rsa : g.csa, g.M};
  const Operand B{static_cast<const float*>(g.B) + ob, B_K ? g.csb : g.rsb, g.N};
  float* C = static_cast<float*>(g.C) + oc;
  const int64_t m0 = (g.y0 + blockIdx.y) * kBM, n0 = static_cast<int64_t>(blockIdx.x) * kBN;
  const int lane = threadIdx.x % 32;
  const RowCol w0 = warp_origin(threadIdx.x / 32);

  float acc[kTilesM][kTilesN][4];
#pragma unroll
  for (int i = 0; i < kTilesM; ++i)
#pragma unroll
    for (int j = 0; j < kTilesN; ++j)
#pragma unroll
      for (int r = 0; r < 4; ++r) acc[i][j][r] = 0.f;

  const int64_t ktiles = (g.K + kBK - 1) / kBK;
  auto load_stage = [&](int stage, int64_t kt) {
    load_tile<A_K>(As + stage * kTileFloats, A, g.K, m0, kt * kBK);
    load_tile<B_K>(Bs + stage * kTileFloats, B, g.K, n0, kt * kBK);
  };
  // Prologue: tiles 0 .. kStages - 2 in flight. Every thread commits one group per
  // tile slot, empty or not, so the wait_group counts hold to the end.
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < ktiles) load_stage(s, s);
    cp_async_commit();
  }

  int read_stage = 0, write_stage = kStages - 1;  // tile kt's stage; tile kt + kStages - 1's
  for (int64_t kt = 0; kt < ktiles; ++kt) {
    cp_async_wait<kStages - 2>();  // this thread's copies of tile kt have landed ...
    __syncthreads();               // ... and everyone's; tile kt - 1's stage is free again
    if (kt + kStages - 1 < ktiles) load_stage(write_stage, kt + kStages - 1);
    cp_async_commit();

    const float* as = As + read_stage * kTileFloats;
    const float* bs = Bs + read_stage * kTileFloats;
    read_stage = read_stage == kStages - 1 ? 0 : read_stage + 1;
    write_stage = write_stage == kStages - 1 ? 0 : write_stage + 1;
#pragma unroll
    for (int k8 = 0; k8 < kBK; k8 += kMmaK) {
      unsigned a[kTilesM][4], b[kTilesN][2];
#pragma unroll
      for (int i = 0; i < kTilesM; ++i)
#pragma unroll
        for (int r = 0; r < 4; ++r) {
          const RowCol e = a_frag(lane, r);
          a[i][r] = to_tf32(as[tile_offset<A_K>(w0.row + i * kMmaM + e.row, k8 + e.col)]);
        }
#pragma unroll
      for (int j = 0; j < kTilesN; ++j)
#pragma unroll
        for (int r = 0; r < 2; ++r) {
          const RowCol e = b_frag(lane, r);
          b[j][r] = to_tf32(bs[tile_offset<B_K>(w0.col + j * kMmaN + e.col, k8 + e.row)]);
        }
#pragma unroll
      for (int i = 0; i < kTilesM; ++i)
#pragma unroll
        for (int j = 0; j < kTilesN; ++j) mma_m16n8k8(acc[i][j], a[i], b[j]);
    }
  }
  cp_async_wait<0>();  // no copy may outlive the block (the trailing groups are empty)

  const float alpha = static_cast<float>(g.alpha), beta = static_cast<float>(g.beta);
#pragma unroll
  for (int i = 0; i < kTilesM; ++i)
#pragma unroll
    for (int j = 0; j < kTilesN; ++j)
#pragma unroll
      for (int r = 0; r < 4; ++r) {
        const RowCol e = c_frag(lane, r);
        const int64_t m = m0 + w0.row + i * kMmaM + e.row, n = n0 + w0.col + j * kMmaN + e.col;
        if (m >= g.M || n >= g.N) continue;
        float* c = C + m * g.rsc + n * g.csc;
        *c = beta == 0.f ? alpha * acc[i][j][r] : alpha * acc[i][j][r] + beta * *c;
      }
#endif
}

// Raises the dynamic shared memory limit of each instantiation once per device (the
// attribute is per device; 108 KiB fits sm_80's 163 KiB and sm_90's 227 KiB).
template <bool A_K, bool B_K>
void launch(const GemmArgs& g, int64_t batch, int device) {
  static std::atomic<uint64_t> raised{0};  // bit d: done on device d (< 64)
  const uint64_t bit = device < 64 ? uint64_t{1} << device : 0;
  if (!(raised.load() & bit)) {
    FASTDL_CUDA_CHECK(cudaFuncSetAttribute(sgemm_tf32_kernel<A_K, B_K>,
                                           cudaFuncAttributeMaxDynamicSharedMemorySize,
                                           static_cast<int>(kSmemBytes)));
    raised.fetch_or(bit);
  }
  launch_tiles(sgemm_tf32_kernel<A_K, B_K>, g, batch, kBM, kBN, kSmemBytes);
}

}  // namespace

void set_allow_tf32(bool allow) { g_allow_tf32.store(allow); }
bool allow_tf32() { return g_allow_tf32.load(); }

bool sgemm_tf32(const GemmArgs& g, int64_t batch, bool a_k, bool b_k) {
  int device = 0, major = 0, smem_optin = 0;
  FASTDL_CUDA_CHECK(cudaGetDevice(&device));
  FASTDL_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
  FASTDL_CUDA_CHECK(cudaDeviceGetAttribute(&smem_optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  // sm_86 / sm_89 (consumer Ampere / Ada) run the sm_80 code but allow only 99 KiB per block.
  if (major < 8 || smem_optin < static_cast<int>(kSmemBytes)) return false;
  if (a_k && b_k) launch<true, true>(g, batch, device);
  else if (a_k) launch<true, false>(g, batch, device);
  else if (b_k) launch<false, true>(g, batch, device);
  else launch<false, false>(g, batch, device);
  return true;
}

}  // namespace cuda
}  // namespace fastdl
