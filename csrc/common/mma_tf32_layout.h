// The index math of the TF32 tensor-core GEMM (cuda/gemm_tf32.cu), shared with the
// CPU so tests/test_tf32_layout.py can check it without a GPU (through the binding in
// csrc/bind/bind_mma_layout.cpp): which element of a tile each lane holds in the
// m16n8k8 mma.sync fragments, where each warp's tile sits in the block tile, which
// 16-byte chunks each thread copies into shared memory (and how much of each lies inside
// the operand), and where an element lives there.
#pragma once
#include <cstdint>

#include "common/hd.h"

namespace fastdl {
namespace mma_tf32 {

// Block tile of C (kBM x kBN), consumed kBK deep per pipeline stage; 8 warps as a
// 2 (M) x 4 (N) grid, each owning a 64 x 32 warp tile = 4 x 4 mma tiles of 16 x 8.
constexpr int kBM = 128, kBN = 128, kBK = 32, kStages = 3;
constexpr int kWarpsM = 2, kWarpsN = 4, kThreads = 32 * kWarpsM * kWarpsN;
constexpr int kWM = kBM / kWarpsM, kWN = kBN / kWarpsN;
constexpr int kMmaM = 16, kMmaN = 8, kMmaK = 8;
constexpr int kTilesM = kWM / kMmaM, kTilesN = kWN / kMmaN;  // mma tiles per warp tile

// An operand tile in shared memory, indexed by (mn, k): mn runs along M for A and N for
// B (kBM == kBN, so one layout serves both). K_INNER (the global operand is contiguous
// along K) stores it [mn][k] with rows of kBK + 4 floats, else [k][mn] with rows of
// kBM + 8. The pads put the 8 (or 4) rows a fragment read touches on distinct banks
// while keeping every row 16-byte aligned for cp.async.
constexpr int kLdK = kBK + 4, kLdMN = kBM + 8;
constexpr int kTileFloats = kBM * kLdK > kBK * kLdMN ? kBM * kLdK : kBK * kLdMN;
constexpr int kChunksPerThread = kBM * kBK / 4 / kThreads;  // 16-byte cp.async chunks per operand tile

struct RowCol {
  int row, col;
};

template <bool K_INNER>
FASTDL_HD int tile_offset(int mn, int k) {
  return K_INNER ? mn * kLdK + k : k * kLdMN + mn;
}

// Thread t's chunk c (0 <= c < kChunksPerThread) of an operand tile: (mn, k) of its first
// float; the chunk's 4 floats run along the contiguous dim. Consecutive threads take
// consecutive chunks of a row, so each group of 8 threads stores 128 contiguous bytes.
template <bool K_INNER>
FASTDL_HD RowCol copy_chunk(int t, int c) {
  const int q = c * kThreads + t;
  if (K_INNER) return {q / (kBK / 4), (q % (kBK / 4)) * 4};  // {mn, k}
  return {(q % (kBM / 4)) * 4, q / (kBM / 4)};
}

// Bytes of the chunk at global (mn, k) inside an operand of extent x K (extent: M for A,
// N for B), the chunk running along the contiguous dim: 16, fewer at a ragged end, 0
// outside; cp.async zero-fills the rest, so edge tiles multiply zeros.
template <bool K_INNER>
FASTDL_HD int chunk_bytes(int64_t mn, int64_t k, int64_t extent, int64_t K) {
  const int64_t left = K_INNER ? (mn < extent ? K - k : 0) : (k < K ? extent - mn : 0);
  return left <= 0 ? 0 : 4 * static_cast<int>(left < 4 ? left : 4);
}

// Origin (row, col) of warp w's kWM x kWN tile inside the block tile.
FASTDL_HD RowCol warp_origin(int w) { return {(w % kWarpsM) * kWM, (w / kWarpsM) * kWN}; }

// m16n8k8 .tf32 fragments (PTX ISA, "Matrix Fragments for mma.m16n8k8"), with
// groupID = lane / 4 and threadID_in_group = lane % 4:
// element i (0..3) of A (16 x 8, row = m, col = k) held by `lane`
FASTDL_HD RowCol a_frag(int lane, int i) { return {lane / 4 + (i & 1) * 8, lane % 4 + (i >> 1) * 4}; }
// element i (0..1) of B (8 x 8, row = k, col = n)
FASTDL_HD RowCol b_frag(int lane, int i) { return {lane % 4 + i * 4, lane / 4}; }
// element i (0..3) of C and D (16 x 8, row = m, col = n)
FASTDL_HD RowCol c_frag(int lane, int i) { return {lane / 4 + (i >> 1) * 8, (lane % 4) * 2 + (i & 1)}; }

}  // namespace mma_tf32
}  // namespace fastdl
