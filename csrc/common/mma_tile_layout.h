// The tiling the tensor-core GEMMs share (cuda/mma_gemm.cuh, instantiated for TF32 in
// cuda/gemm_tf32.cu and for fp16 / bf16 in cuda/gemm_half.cu): the block tile of C and
// its warp tiles, the accumulator fragment, and the shared-memory staging of operand
// tiles (which 16-byte cp.async chunk each thread copies, how much of it lies inside the
// operand, where an element lives in shared memory). Element-size generic: a stage holds
// 128 bytes of K per row whatever the element, so TF32 (4 bytes) stages 32 of K and
// fp16 / bf16 (2 bytes) 64, in the same 18 KiB per operand tile. Checked on the CPU by
// tests/test_tf32_layout.py and tests/test_half_gemm_layout.py.
#pragma once
#include <cstdint>

#include "common/hd.h"

namespace fastdl {
namespace mma {

// Block tile of C (kBM x kBN), kStages K-slices in flight; 8 warps as a 2 (M) x 4 (N)
// grid, each owning a 64 x 32 warp tile = 4 x 4 mma tiles of 16 x 8.
constexpr int kBM = 128, kBN = 128, kStages = 3;
constexpr int kWarpsM = 2, kWarpsN = 4, kThreads = 32 * kWarpsM * kWarpsN;
constexpr int kWM = kBM / kWarpsM, kWN = kBN / kWarpsN;
constexpr int kMmaM = 16, kMmaN = 8;
constexpr int kTilesM = kWM / kMmaM, kTilesN = kWN / kMmaN;  // mma tiles per warp tile

struct RowCol {
  int row, col;
};

// Origin (row, col) of warp w's kWM x kWN tile inside the block tile.
FASTDL_HD RowCol warp_origin(int w) { return {(w % kWarpsM) * kWM, (w / kWarpsM) * kWN}; }

// Element i (0..3) of the 16 x 8 fp32 C / D fragment (row = m, col = n) held by `lane`,
// the same for m16n8k8 and m16n8k16 (PTX ISA, "Matrix Fragments for mma.m16n8k*").
FASTDL_HD RowCol c_frag(int lane, int i) { return {lane / 4 + (i >> 1) * 8, (lane % 4) * 2 + (i & 1)}; }

// An operand tile in shared memory, indexed by (mn, k): mn runs along M for A and N for
// B (kBM == kBN, so one layout serves both). K_INNER (the global operand is contiguous
// along K) stores it [mn][k] with rows of kBK + one chunk, else [k][mn] with rows of
// kBM + 8 elements. The pads put the rows one fragment read (or one ldmatrix phase)
// touches on distinct banks while keeping every row 16-byte aligned for cp.async.
template <int kElemBytes>
struct TileLayout {
  static constexpr int kChunk = 16 / kElemBytes;  // elements per 16-byte cp.async chunk
  static constexpr int kBK = 128 / kElemBytes;    // K per pipeline stage
  static constexpr int kLdK = kBK + kChunk, kLdMN = kBM + 8;
  static constexpr int kTileElems = kBM * kLdK > kBK * kLdMN ? kBM * kLdK : kBK * kLdMN;
  static constexpr int kChunksPerThread = kBM * kBK / kChunk / kThreads;  // per operand tile

  template <bool K_INNER>
  static constexpr FASTDL_HD int offset(int mn, int k) {
    return K_INNER ? mn * kLdK + k : k * kLdMN + mn;
  }

  // Thread t's chunk c (0 <= c < kChunksPerThread) of an operand tile: (mn, k) of its
  // first element; the chunk runs along the contiguous dim. Consecutive threads take
  // consecutive chunks of a row, so each group of 8 threads stores 128 contiguous bytes.
  template <bool K_INNER>
  static FASTDL_HD RowCol copy_chunk(int t, int c) {
    const int q = c * kThreads + t;
    if (K_INNER) return {q / (kBK / kChunk), (q % (kBK / kChunk)) * kChunk};  // {mn, k}
    return {(q % (kBM / kChunk)) * kChunk, q / (kBM / kChunk)};
  }

  // copy_chunk(t, c) - copy_chunk(t, 0) for every thread t: chunk c is chunk 0 moved c
  // steps along the operand's strided dim (rows of the copy), so a thread computes one
  // global address and adds a constant stride.
  template <bool K_INNER>
  static constexpr FASTDL_HD RowCol chunk_step() {
    return K_INNER ? RowCol{kThreads / (kBK / kChunk), 0} : RowCol{0, kThreads / (kBM / kChunk)};
  }

  // Bytes of the chunk at global (mn, k) inside an operand of extent x K (extent: M for
  // A, N for B), the chunk running along the contiguous dim: 16, fewer at a ragged end,
  // 0 outside; cp.async zero-fills the rest, so edge tiles multiply zeros.
  template <bool K_INNER>
  static FASTDL_HD int chunk_bytes(int64_t mn, int64_t k, int64_t extent, int64_t K) {
    const int64_t left = K_INNER ? (mn < extent ? K - k : 0) : (k < K ? extent - mn : 0);
    return left <= 0 ? 0 : kElemBytes * static_cast<int>(left < kChunk ? left : kChunk);
  }
};

}  // namespace mma
}  // namespace fastdl
