// The sm_90a wgmma + TMA GEMM's (cuda/gemm_wgmma.cu) bit and index math, shared with
// the CPU so tests/test_wgmma_layout.py can check it against models written from the
// PTX ISA: the shared-memory matrix descriptor, TMA's 128-byte swizzle, where each
// operand tile sits in shared memory, and which C element each wgmma accumulator is.
//
// Tiles. A block computes a kBM x kBN tile of C; K is consumed kBK = 64 at a time
// (128 bytes of 16-bit elements: one 128B swizzle row). Each operand tile (kBM or kBN
// rows of mn, kBK of k) arrives as boxes of kBox x kBox elements (8 KiB), each one TMA
// copy into 128B-swizzled shared memory:
//  - K-major (contiguous along k): box j holds mn rows 64j .. 64j+63, one 128-byte row
//    of k per mn, so the boxes stack into one (mn, k) row-major tile;
//  - MN-major (contiguous along mn): box j holds mn 64j .. 64j+63 for all 64 k, one
//    128-byte row of mn per k.
// Swizzling permutes the 16-byte chunks of each 128-byte row by the row's index mod 8
// (bits 4-6 of the byte address XOR bits 7-9), so the boxes are 1024-byte aligned.
#pragma once
#include <cstdint>

#include "common/hd.h"
#include "common/mma_tile_layout.h"  // RowCol

namespace fastdl {
namespace wgmma {

constexpr int kBM = 128, kBN = 256, kBK = 64;  // block tile; 2 consumer warpgroups of 64 x kBN
constexpr int kStages = 4;                     // 4 x 48 KiB of the 227 KiB of sm_90
constexpr int kBox = 64;                       // TMA box: 64 x 64 16-bit elements
constexpr int kElemBytes = 2;
constexpr int kRowBytes = kBox * kElemBytes;          // 128: one swizzle row
constexpr int kBoxBytes = kBox * kRowBytes;           // 8192
constexpr int kInstrM = 64, kInstrN = kBN, kInstrK = 16;  // wgmma.m64n256k16
constexpr int kConsumers = kBM / kInstrM;             // consumer warpgroups
constexpr int kThreads = 128 * (1 + kConsumers);      // + the producer warpgroup
constexpr int kABytes = kBM * kBK * kElemBytes, kBBytes = kBN * kBK * kElemBytes;
constexpr int kStageBytes = kABytes + kBBytes;        // the transaction count of one stage
constexpr int kAcc = kInstrM * kInstrN / 128;         // fp32 accumulators per thread (128)

// The 128-byte swizzle (CU_TENSOR_MAP_SWIZZLE_128B, wgmma layout type 1) of a byte
// offset from a 1024-byte aligned base: the 16-byte chunk index (bits 4-6) XOR the
// 128-byte row index mod 8 (bits 7-9).
FASTDL_HD uint32_t swizzle128(uint32_t offset) { return offset ^ (((offset >> 7) & 7u) << 4); }

// Swizzle modes of the descriptor's bits 62-63 (PTX ISA, "Matrix Descriptor Format").
constexpr uint32_t kSwizzleNone = 0, kSwizzle128B = 1, kSwizzle64B = 2, kSwizzle32B = 3;

// The 64-bit wgmma shared-memory matrix descriptor: start address, leading and stride
// byte offsets, each >> 4 in 14 bits (bits 0-13, 16-29, 32-45), base offset 0 (bits
// 49-51: the swizzle pattern starts at a 1024-byte boundary), swizzle mode (bits 62-63).
FASTDL_HD uint64_t smem_desc(uint32_t addr, uint32_t lbo, uint32_t sbo, uint32_t swizzle) {
  return static_cast<uint64_t>((addr >> 4) & 0x3fffu) | static_cast<uint64_t>((lbo >> 4) & 0x3fffu) << 16 |
         static_cast<uint64_t>((sbo >> 4) & 0x3fffu) << 32 | static_cast<uint64_t>(swizzle & 3u) << 62;
}

// The descriptor fields of one operand's wgmma reads from a tile laid out as above,
// 128B swizzled (the canonical layouts of CUTLASS's make_gmma_desc, in 16-byte units T):
//  - K-major: ((8, m), (T, 2)) : ((8T, SBO), (1, T)): mn rows 128 bytes apart, groups of
//    8 rows SBO = 1024 apart; LBO is unused with this swizzle (1 by convention).
//  - MN-major: ((T, 8, m), (8, k)) : ((1, T, LBO), (8T, SBO)): 64 mn per 128-byte row,
//    the next 64 mn LBO = one box (8192) on, k rows 128 bytes apart, groups of 8 k rows
//    SBO = 1024 apart.
FASTDL_HD uint32_t desc_lbo(bool k_major) { return k_major ? 16u : static_cast<uint32_t>(kBoxBytes); }
FASTDL_HD uint32_t desc_sbo(bool) { return 8u * kRowBytes; }

// Byte offset, from the operand tile's base, of the start of the (mn0, k0) submatrix
// one wgmma reads (mn0 a multiple of 64, k0 of 16): the unswizzled address of its first
// element, which the hardware swizzles like TMA did.
FASTDL_HD uint32_t desc_start(bool k_major, int mn0, int k0) {
  return k_major ? static_cast<uint32_t>(mn0 * kRowBytes + k0 * kElemBytes)
                 : static_cast<uint32_t>((mn0 / kBox) * kBoxBytes + k0 * kRowBytes);
}

// Where TMA puts element (mn, k) of an operand tile: its byte offset from the tile base
// (1024-byte aligned), swizzle included.
FASTDL_HD uint32_t tile_offset(bool k_major, int mn, int k) {
  const uint32_t plain = k_major ? static_cast<uint32_t>(mn * kRowBytes + k * kElemBytes)
                                 : static_cast<uint32_t>((mn / kBox) * kBoxBytes + k * kRowBytes + (mn % kBox) * kElemBytes);
  return swizzle128(plain);
}

// The TMA box j of an operand tile at (mn0, k0): its coordinates {inner, outer} in the
// tensor map, whose dim 0 is the contiguous one (k when K-major, else mn).
struct BoxCoord {
  int32_t inner, outer;
};
FASTDL_HD BoxCoord box_coord(bool k_major, int64_t mn0, int64_t k0, int j) {
  return k_major ? BoxCoord{static_cast<int32_t>(k0), static_cast<int32_t>(mn0 + j * kBox)}
                 : BoxCoord{static_cast<int32_t>(mn0 + j * kBox), static_cast<int32_t>(k0)};
}

using mma::RowCol;

// Accumulator i (0 .. kAcc-1) of thread t (0..127) of a warpgroup, for the m64nNk16
// f32 D fragment (PTX ISA, "Register Fragments: wgmma .m64nNk16", D matrix): warp t/32
// owns rows 16(t/32) .. +15; per n8 column block i/4, registers hold (row lane/4,
// cols 2(lane%4), +1) then the same 8 rows further down.
FASTDL_HD RowCol acc_coord(int t, int i) {
  const int lane = t % 32;
  return {16 * (t / 32) + lane / 4 + 8 * ((i >> 1) & 1), 8 * (i >> 2) + 2 * (lane % 4) + (i & 1)};
}

}  // namespace wgmma
}  // namespace fastdl
