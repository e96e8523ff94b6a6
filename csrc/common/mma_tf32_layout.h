// The TF32 tensor-core GEMM's own index math (cuda/gemm_tf32.cu): its tile layout (4-byte
// elements) and the m16n8k8 .tf32 operand fragments; the tiling it shares with the
// fp16 / bf16 GEMM is in mma_tile_layout.h. Checked on the CPU by
// tests/test_tf32_layout.py through csrc/bind/bind_mma_layout.cpp.
#pragma once
#include "common/mma_tile_layout.h"

namespace fastdl {
namespace mma_tf32 {

using mma::RowCol;
using Tile = mma::TileLayout<4>;  // 32 of K per stage
constexpr int kMmaK = 8;

// m16n8k8 .tf32 fragments (PTX ISA, "Matrix Fragments for mma.m16n8k8"), with
// groupID = lane / 4 and threadID_in_group = lane % 4:
// element i (0..3) of A (16 x 8, row = m, col = k) held by `lane`
FASTDL_HD RowCol a_frag(int lane, int i) { return {lane / 4 + (i & 1) * 8, lane % 4 + (i >> 1) * 4}; }
// element i (0..1) of B (8 x 8, row = k, col = n)
FASTDL_HD RowCol b_frag(int lane, int i) { return {lane % 4 + i * 4, lane / 4}; }

}  // namespace mma_tf32
}  // namespace fastdl
