// The tensor-core GEMM kernel (sm_80+) shared by the TF32 path (gemm_tf32.cu) and the
// fp16 / bf16 path (gemm_half.cu): C = alpha * A @ B + beta * C with fp32 accumulation.
// What differs per element type is a small `Mma` policy: its element type (storage in
// global and shared memory), how one pipeline stage's fragments are read and multiplied
// (multiply_stage), and how C elements convert to and from fp32.
//
// A 128x128 block tile of C per 256-thread block: 8 warps of 64x32 warp tiles, each
// 4x4 mma tiles of 16x8 (64 fp32 accumulators per thread). K is consumed 128 bytes per
// row at a time (32 TF32 or 64 fp16 / bf16 elements) through a 3-stage cp.async
// pipeline in (padded, bank-conflict-free) shared memory, so two stages are in flight
// while one is multiplied, with one __syncthreads per stage. Edge tiles are zero-filled
// by cp.async's src-size operand (the chunks past M, N or K read 0 bytes) and the
// epilogue writes only elements inside C, so any M, N, K work. The batch index is
// blockIdx.z. The index math lives in common/mma_tile_layout.h (and the per-type
// headers), which the CPU tests check.
#pragma once
#include <atomic>

#include "common/mma_tile_layout.h"
#include "cuda_api.h"
#include "gemm_args.cuh"

namespace fastdl {
namespace cuda {
namespace mma_gemm {

using namespace ::fastdl::mma;

static_assert(kThreads == kGemmThreads, "launch_tiles launches kGemmThreads per block");

// One operand as the kernel reads it: element (mn, k) is at p[mn * ld + k] when it is
// contiguous along K, else p[k * ld + mn]; mn < extent (M for A, N for B).
template <typename Elem>
struct Operand {
  const Elem* p;
  int64_t ld, extent;
};

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800

// 16 bytes global -> shared, of which the first src_bytes are read and the rest zeroed.
__device__ __forceinline__ void cp_async16(void* dst, const void* src, int src_bytes) {
  const unsigned d = static_cast<unsigned>(__cvta_generic_to_shared(dst));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(d), "l"(src), "r"(src_bytes) : "memory");
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
}

// Issues this thread's cp.asyncs for the kBM x kBK tile of `op` at (mn0, k0) into
// `tile`: one global address, then a constant stride per chunk (chunk_step).
template <typename Tile, bool K_INNER, typename Elem>
__device__ __forceinline__ void load_tile(Elem* tile, const Operand<Elem>& op, int64_t K, int64_t mn0, int64_t k0) {
  const RowCol at = Tile::template copy_chunk<K_INNER>(threadIdx.x, 0);
  constexpr RowCol step = Tile::template chunk_step<K_INNER>();
  const int64_t mn = mn0 + at.row, k = k0 + at.col;
  const Elem* src = K_INNER ? op.p + mn * op.ld + k : op.p + k * op.ld + mn;
  const int64_t src_step = (K_INNER ? step.row : step.col) * op.ld;
  Elem* dst = tile + Tile::template offset<K_INNER>(at.row, at.col);
  constexpr int dst_step = Tile::template offset<K_INNER>(step.row, step.col);
#pragma unroll
  for (int c = 0; c < Tile::kChunksPerThread; ++c) {
    const int bytes = Tile::template chunk_bytes<K_INNER>(mn + c * step.row, k + c * step.col, op.extent, K);
    cp_async16(dst + c * dst_step, bytes == 0 ? op.p : src + c * src_step, bytes);
  }
}

#endif

template <typename Mma>
constexpr size_t kSmemBytes = sizeof(typename Mma::Elem) * 2 * kStages * Mma::Tile::kTileElems;

// A_K: A is contiguous along K (row-major A), else along M. B_K: B is contiguous
// along K (a transposed B, e.g. a linear layer's weight), else along N.
// Two blocks per SM fit sm_90's shared memory (2 x 108 KiB of 227 KiB); asking for them
// caps registers at 128.
template <typename Mma, bool A_K, bool B_K>
__global__ void __launch_bounds__(kThreads, 2) mma_gemm_kernel(GemmArgs g) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  using Elem = typename Mma::Elem;
  using Tile = typename Mma::Tile;
  extern __shared__ __align__(16) unsigned char smem_bytes[];
  Elem* As = reinterpret_cast<Elem*>(smem_bytes);  // kStages tiles of kTileElems
  Elem* Bs = As + kStages * Tile::kTileElems;

  const int64_t z = g.z0 + blockIdx.z;
  int64_t oa, ob, oc;
  batch_offsets(g.batch, z, &oa, &ob, &oc);
  const Operand<Elem> A{static_cast<const Elem*>(g.A) + oa, A_K ? g.rsa : g.csa, g.M};
  const Operand<Elem> B{static_cast<const Elem*>(g.B) + ob, B_K ? g.csb : g.rsb, g.N};
  Elem* C = static_cast<Elem*>(g.C) + oc;
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

  const int64_t ktiles = (g.K + Tile::kBK - 1) / Tile::kBK;
  auto load_stage = [&](int stage, int64_t kt) {
    load_tile<Tile, A_K>(As + stage * Tile::kTileElems, A, g.K, m0, kt * Tile::kBK);
    load_tile<Tile, B_K>(Bs + stage * Tile::kTileElems, B, g.K, n0, kt * Tile::kBK);
  };
  // Prologue: stages 0 .. kStages - 2 in flight. Every thread commits one group per
  // stage slot, empty or not, so the wait_group counts hold to the end.
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

    Mma::template multiply_stage<A_K, B_K>(As + read_stage * Tile::kTileElems, Bs + read_stage * Tile::kTileElems,
                                           w0, lane, acc);
    read_stage = read_stage == kStages - 1 ? 0 : read_stage + 1;
    write_stage = write_stage == kStages - 1 ? 0 : write_stage + 1;
  }
  cp_async_wait<0>();  // no copy may outlive the block (the trailing groups are empty)

  // Epilogue: alpha * acc (+ beta * C) in fp32, converted to the element type once.
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
        Elem* c = C + m * g.rsc + n * g.csc;
        *c = Mma::from_float(beta == 0.f ? alpha * acc[i][j][r] : alpha * acc[i][j][r] + beta * Mma::to_float(*c));
      }
#endif
}

// Raises the dynamic shared memory limit of each instantiation once per device (the
// attribute is per device; 108 KiB fits sm_80's 163 KiB and sm_90's 227 KiB).
template <typename Mma, bool A_K, bool B_K>
void launch(const GemmArgs& g, int64_t batch, int device) {
  static std::atomic<uint64_t> raised{0};  // bit d: done on device d (< 64)
  const uint64_t bit = device < 64 ? uint64_t{1} << device : 0;
  if (!(raised.load() & bit)) {
    FASTDL_CUDA_CHECK(cudaFuncSetAttribute(mma_gemm_kernel<Mma, A_K, B_K>,
                                           cudaFuncAttributeMaxDynamicSharedMemorySize,
                                           static_cast<int>(kSmemBytes<Mma>)));
    raised.fetch_or(bit);
  }
  launch_tiles(mma_gemm_kernel<Mma, A_K, B_K>, g, batch, kBM, kBN, kSmemBytes<Mma>);
}

// Runs the GEMM on the current device; false (nothing launched) before sm_80 or with
// less shared memory per block than the kernel needs (sm_86 / sm_89, consumer Ampere /
// Ada, run sm_80 code but allow only 99 KiB per block).
template <typename Mma>
bool run(const GemmArgs& g, int64_t batch, bool a_k, bool b_k) {
  int device = 0, major = 0, smem_optin = 0;
  FASTDL_CUDA_CHECK(cudaGetDevice(&device));
  FASTDL_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
  FASTDL_CUDA_CHECK(cudaDeviceGetAttribute(&smem_optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  if (major < 8 || smem_optin < static_cast<int>(kSmemBytes<Mma>)) return false;
  if (a_k && b_k) launch<Mma, true, true>(g, batch, device);
  else if (a_k) launch<Mma, true, false>(g, batch, device);
  else if (b_k) launch<Mma, false, true>(g, batch, device);
  else launch<Mma, false, false>(g, batch, device);
  return true;
}

}  // namespace mma_gemm
}  // namespace cuda
}  // namespace fastdl
