// The sm_90a wgmma + TMA GEMM's (cuda/gemm_wgmma.cu) bit and index math, shared with
// the CPU so tests/test_wgmma_layout.py can check it against models written from the
// PTX ISA: the shared-memory matrix descriptor, TMA's 128-byte swizzle, where each
// operand tile sits in shared memory, which C element each wgmma accumulator is, and
// the batch as one dim and the tensor-map geometry of an operand.
//
// Element types: fp16 / bf16 (2 bytes; wgmma k16) and tf32 (float32 storage, 4 bytes;
// wgmma k8). Everything below is the same in bytes for both: a stage holds 128 bytes of
// K per operand row (kStageK = 64 16-bit or 32 tf32 elements: one 128B swizzle row) and
// one wgmma consumes 32 bytes of K (kInstrK = 16 or 8 elements).
//
// Tiles. A block computes a kBM x kBN tile of C; K is consumed one stage at a time.
// Each operand tile (kBM or kBN rows of mn, one stage of k) arrives as 8 KiB boxes of
// kBox rows of 128 bytes, each one TMA copy into 128B-swizzled shared memory:
//  - K-major (contiguous along k): box j holds mn rows 64j .. 64j+63, one 128-byte row
//    of k per mn, so the boxes stack into one (mn, k) row-major tile;
//  - MN-major (contiguous along mn; 16-bit types only: wgmma has no transpose for tf32):
//    box j holds mn 64j .. 64j+63 for all 64 k, one 128-byte row of mn per k.
// Swizzling permutes the 16-byte chunks of each 128-byte row by the row's index mod 8
// (bits 4-6 of the byte address XOR bits 7-9), so the boxes are 1024-byte aligned.
#pragma once
#include <cstdint>

#include "common/hd.h"
#include "common/mma_tile_layout.h"  // RowCol
#include "common/strided_index.h"    // collapse_dims

namespace fastdl {
namespace wgmma {

constexpr int kBM = 128, kBN = 256;        // block tile; 2 consumer warpgroups of 64 x kBN
constexpr int kStages = 4;                 // 4 x 48 KiB of the 227 KiB of sm_90
constexpr int kRowBytes = 128;             // one swizzle row: a stage's K per operand row
constexpr int kBox = 64;                   // TMA box: 64 rows of 128 bytes
constexpr int kBoxBytes = kBox * kRowBytes;  // 8192
constexpr int kInstrM = 64, kInstrN = kBN;   // wgmma.m64n256k16 (16-bit) / m64n256k8 (tf32)
constexpr int kInstrKBytes = 32;             // the K one wgmma consumes, in bytes
constexpr int kConsumers = kBM / kInstrM;    // consumer warpgroups
constexpr int kThreads = 128 * (1 + kConsumers);  // + the producer warpgroup
constexpr int kABytes = kBM * kRowBytes, kBBytes = kBN * kRowBytes;
constexpr int kStageBytes = kABytes + kBBytes;  // the transaction count of one stage
constexpr int kAcc = kInstrM * kInstrN / 128;   // fp32 accumulators per thread (128)

// K elements per stage and per wgmma, for elements of elem_bytes (2 or 4).
FASTDL_HD constexpr int stage_k(int elem_bytes) { return kRowBytes / elem_bytes; }
FASTDL_HD constexpr int instr_k(int elem_bytes) { return kInstrKBytes / elem_bytes; }

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
// 128B swizzled (the canonical layouts of CUTLASS's make_gmma_desc, in 16-byte units T;
// in bytes they are the same for every element size):
//  - K-major: ((8, m), (T, 2)) : ((8T, SBO), (1, T)): mn rows 128 bytes apart, groups of
//    8 rows SBO = 1024 apart; LBO is unused with this swizzle (1 by convention).
//  - MN-major: ((T, 8, m), (8, k)) : ((1, T, LBO), (8T, SBO)): 64 mn per 128-byte row,
//    the next 64 mn LBO = one box (8192) on, k rows 128 bytes apart, groups of 8 k rows
//    SBO = 1024 apart.
FASTDL_HD uint32_t desc_lbo(bool k_major) { return k_major ? 16u : static_cast<uint32_t>(kBoxBytes); }
FASTDL_HD uint32_t desc_sbo(bool) { return 8u * kRowBytes; }

// Byte offset, from the operand tile's base, of the start of the (mn0, k0) submatrix
// one wgmma reads (mn0 a multiple of 64, k0 of instr_k): the unswizzled address of its
// first element, which the hardware swizzles like TMA did.
FASTDL_HD uint32_t desc_start(bool k_major, int mn0, int k0, int elem_bytes) {
  return k_major ? static_cast<uint32_t>(mn0 * kRowBytes + k0 * elem_bytes)
                 : static_cast<uint32_t>((mn0 / kBox) * kBoxBytes + k0 * kRowBytes);
}

// Where TMA puts element (mn, k) of an operand tile: its byte offset from the tile base
// (1024-byte aligned), swizzle included.
FASTDL_HD uint32_t tile_offset(bool k_major, int mn, int k, int elem_bytes) {
  const uint32_t plain =
      k_major ? static_cast<uint32_t>(mn * kRowBytes + k * elem_bytes)
              : static_cast<uint32_t>((mn / kBox) * kBoxBytes + k * kRowBytes + (mn % kBox) * elem_bytes);
  return swizzle128(plain);
}

// The TMA box j of an operand tile at (mn0, k0) of batch entry z: its coordinates
// {inner, outer, batch} in the tensor map, whose dim 0 is the contiguous one (k when
// K-major, else mn). z_step is tma_operand's: 0 where the operand has no batch dim.
struct BoxCoord {
  int32_t inner, outer, batch;
};
FASTDL_HD BoxCoord box_coord(bool k_major, int64_t mn0, int64_t k0, int j, int64_t z, int z_step) {
  const int32_t zb = static_cast<int32_t>(z * z_step);
  return k_major ? BoxCoord{static_cast<int32_t>(k0), static_cast<int32_t>(mn0 + j * kBox), zb}
                 : BoxCoord{static_cast<int32_t>(mn0 + j * kBox), static_cast<int32_t>(k0), zb};
}

// One operand's 3-D tensor map (cuTensorMapEncodeTiled's arguments): dim 0 the
// contiguous one (`inner` elements), dim 1 `outer` rows `ld` elements apart, dim 2 the
// batch (`batch` entries `batch_stride` elements apart); boxes of 128 bytes x kBox x 1.
// An operand shared by every batch entry (batch_stride 0, or batch 1) gets a one-deep
// batch dim and z_step 0: the kernel reads its entry 0 for every z, so TMA never sees a
// zero stride. ok is false where TMA's rules fail (the caller then falls back): a
// 16-byte aligned start, strides multiples of 16 bytes below 2^40, dims that fit the
// int32 box coordinates.
struct TmaOperand {
  bool ok;
  int z_step;
  uint64_t dims[3], strides[2];  // strides in bytes, of dims 1 and 2
  uint32_t box[3];
};
FASTDL_HD TmaOperand tma_operand(uint64_t base, int elem_bytes, int64_t inner, int64_t outer, int64_t ld,
                                 int64_t batch, int64_t batch_stride) {
  TmaOperand t{};
  const int64_t per16 = 16 / elem_bytes;
  if (outer == 1) ld = (inner + per16 - 1) / per16 * per16;  // a lone row's stride is never used
  const bool batched = batch > 1 && batch_stride != 0;
  t.z_step = batched ? 1 : 0;
  t.dims[0] = static_cast<uint64_t>(inner);
  t.dims[1] = static_cast<uint64_t>(outer);
  t.dims[2] = batched ? static_cast<uint64_t>(batch) : 1u;
  t.strides[0] = static_cast<uint64_t>(ld) * elem_bytes;
  t.strides[1] = batched ? static_cast<uint64_t>(batch_stride) * elem_bytes : t.strides[0] * t.dims[1];
  t.box[0] = static_cast<uint32_t>(kRowBytes / elem_bytes);
  t.box[1] = kBox;
  t.box[2] = 1;
  const int64_t kCoordLimit = int64_t{1} << 31, kStrideLimit = int64_t{1} << 40;
  t.ok = base % 16 == 0 && ld > 0 && batch_stride >= 0 && inner < kCoordLimit && outer < kCoordLimit &&
         batch < kCoordLimit;
  for (const uint64_t s : t.strides) t.ok = t.ok && s % 16 == 0 && s < static_cast<uint64_t>(kStrideLimit);
  return t;
}

// The batch dims (nb of them, shape, strides[k] of operand k = A, B, C) as one dim:
// true with its count and each operand's stride, or false where they do not merge into
// one for all three (then the kernel's one batch coordinate cannot address them).
FASTDL_HD bool flat_batch(int nb, const int64_t* shape, const int64_t (*strides)[kMaxDims], int64_t* count,
                          int64_t* flat_strides) {
  int64_t sh[kMaxDims] = {}, st[3][kMaxDims] = {};
  for (int d = 0; d < nb; ++d) {
    sh[d] = shape[d];
    for (int k = 0; k < 3; ++k) st[k][d] = strides[k][d];
  }
  if (collapse_dims(nb, sh, 3, st) != 1) return false;
  *count = sh[0];
  for (int k = 0; k < 3; ++k) flat_strides[k] = sh[0] == 1 ? 0 : st[k][0];
  return true;
}

using mma::RowCol;

// Accumulator i (0 .. kAcc-1) of thread t (0..127) of a warpgroup, for the m64nNk16 /
// m64nNk8 f32 D fragment (PTX ISA, "Register Fragments: wgmma .m64nNk16", D matrix; the
// same for every input type): warp t/32 owns rows 16(t/32) .. +15; per n8 column block
// i/4, registers hold (row lane/4, cols 2(lane%4), +1) then the same 8 rows further down.
FASTDL_HD RowCol acc_coord(int t, int i) {
  const int lane = t % 32;
  return {16 * (t / 32) + lane / 4 + 8 * ((i >> 1) & 1), 8 * (i >> 2) + 2 * (lane % 4) + (i & 1)};
}

}  // namespace wgmma
}  // namespace fastdl
