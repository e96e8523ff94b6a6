// The fp16 / bf16 tensor-core GEMM's own index math (cuda/gemm_half.cu): its tile layout
// (2-byte elements), the m16n8k16 operand fragments, and where each lane points
// ldmatrix.x4 so the loaded registers are those fragments. Checked on the CPU by
// tests/test_half_gemm_layout.py (through csrc/bind/bind_mma_layout.cpp), which models
// ldmatrix's distribution of rows to lanes, with and without .trans.
#pragma once
#include "common/mma_tile_layout.h"

namespace fastdl {
namespace mma_half {

using mma::RowCol;
using Tile = mma::TileLayout<2>;  // 64 of K per stage
constexpr int kMmaK = 16;

// m16n8k16 .f16 / .bf16 fragments (PTX ISA, "Matrix Fragments for mma.m16n8k16"), with
// groupID = lane / 4 and threadID_in_group = lane % 4; register r holds elements 2r, 2r+1.
// element i (0..7) of A (16 x 16, row = m, col = k) held by `lane`
FASTDL_HD RowCol a_frag(int lane, int i) {
  return {lane / 4 + ((i >> 1) & 1) * 8, (lane % 4) * 2 + (i & 1) + (i >> 2) * 8};
}
// element i (0..3) of B (16 x 8, row = k, col = n)
FASTDL_HD RowCol b_frag(int lane, int i) { return {(lane % 4) * 2 + (i & 1) + (i >> 1) * 8, lane / 4}; }

// ldmatrix.x4 reads four 8 x 8 matrices of 16-bit elements, lanes 8q .. 8q+7 giving the
// addresses of matrix q's eight 16-byte rows, and hands register q of every lane two
// elements of matrix q: row lane/4, columns 2(lane%4) and +1 (with .trans: rows
// 2(lane%4) and +1, column lane/4). The rows are runs along the operand's contiguous dim:
// along k when K_INNER (plain ldmatrix), along mn otherwise (.trans), which is what
// makes the registers come out as the fragments above in both layouts.
//
// The (mn, k) of the row `lane` points at, relative to the 16 (mn) x 16 (k) block read:
// for A, matrix q is the (mn, k) quarter ((q & 1) * 8, (q >> 1) * 8), giving registers
// a0..a3 in fragment order; for B (two adjacent 8-wide n tiles, mn = n), matrix q is
// ((q >> 1) * 8, (q & 1) * 8), giving b0, b1 of the first tile, then of the second.
template <bool K_INNER>
FASTDL_HD RowCol ldmatrix_row(int lane, bool operand_a) {
  const int q = lane / 8, r = lane % 8;
  const int mn0 = operand_a ? (q & 1) * 8 : (q >> 1) * 8, k0 = operand_a ? (q >> 1) * 8 : (q & 1) * 8;
  return K_INNER ? RowCol{mn0 + r, k0} : RowCol{mn0, k0 + r};  // {mn, k}
}

}  // namespace mma_half
}  // namespace fastdl
