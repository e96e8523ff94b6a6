// AVX-512 float gemm micro-kernel and its B packers (this file is compiled with
// -mavx512f; gemm.cpp selects it only when use_avx512() is true). Contracts: see gemm_ukr
// in gemm.h.
//
// Two float tiles, each element of C summing its k terms in the AVX2 6 x 16 kernel's
// order (so both give that kernel's bits):
// - 6 x 64, the blocked GEMM's kernel: 24 zmm accumulators, per k four B vectors (256
//   bytes of a 64-wide sliver) and 6 broadcasts of A, 24 FMAs: 10 loads per 24 FMAs.
// - 6 x 32 (12 accumulators, 8 loads per 12 FMAs), the 6 x 16 kernel at twice the width:
//   for conv's weight gradient (two 3-row groups of A anywhere) and for slivers of at
//   most 32 columns (the left half of a 64-wide one).
// Inline asm for the reason of gemm_avx2.cpp: the accumulators must stay in registers.
// Like gemm_avx2.cpp this file includes no header with portable inline code (an
// AVX-512-compiled copy of a shared inline function could be picked by the linker for
// portable callers).
#include <immintrin.h>

#include <cstdint>

#include "avx512_vec.h"
#include "gemm_tile_store.h"

namespace fastdl {
namespace cpu {
namespace gemm_ukr {

void spack_bt16_avx2(int64_t kc, const float* B, int64_t csb, float* Bp, int64_t ldp);  // gemm_avx2.cpp

// Rows 0-2 of A are at a, a + rs, a + 2 rs; rows 3-5 at a3 = a + 3 rs likewise.
#define FASTDL_ROW512(ADDR, C0, C1)              \
  "vbroadcastss " ADDR ", %[av]\n\t"              \
  "vfmadd231ps %[b0], %[av], %[" C0 "]\n\t"       \
  "vfmadd231ps %[b1], %[av], %[" C1 "]\n\t"

// One k: B's two vectors, then the 6 rows; B's rows are `bs` bytes apart. No software
// prefetch of B: the AVX2 kernel's prefetch 8 k ahead showed no gain in a quick 1-thread
// check on a Xeon with AVX-512 (the sliver stays in L1 across the row loop).
#define FASTDL_STEP512                                  \
  "vmovups (%[bp]), %[b0]\n\t"                          \
  "vmovups 64(%[bp]), %[b1]\n\t"                        \
  FASTDL_ROW512("(%[a])", "c00", "c01")                 \
  FASTDL_ROW512("(%[a],%[rs],1)", "c10", "c11")         \
  FASTDL_ROW512("(%[a],%[rs],2)", "c20", "c21")         \
  FASTDL_ROW512("(%[a3])", "c30", "c31")                \
  FASTDL_ROW512("(%[a3],%[rs],1)", "c40", "c41")        \
  FASTDL_ROW512("(%[a3],%[rs],2)", "c50", "c51")        \
  "add %[cs], %[a]\n\t"                                 \
  "add %[cs], %[a3]\n\t"                                \
  "add %[bs], %[bp]\n\t"

#define FASTDL_ZERO512(C) "vpxord %[" C "], %[" C "], %[" C "]\n\t"

// The k loop of both kernels: STEP (one k) unrolled by 4 over kc / 4 rounds (counter k4),
// then the kc % 4 remaining steps (counter k).
#define FASTDL_K_LOOP(STEP)                                                              \
  "mov %[k], %[k4]\n\t" "shr $2, %[k4]\n\t" "jz 2f\n\t"                                 \
  "1:\n\t" STEP STEP STEP STEP "dec %[k4]\n\t" "jnz 1b\n\t"                              \
  "2:\n\t" "and $3, %[k]\n\t" "jz 4f\n\t"                                               \
  "3:\n\t" STEP "dec %[k]\n\t" "jnz 3b\n\t"                                             \
  "4:\n\t"

namespace {

// The 6 x 32 tile over B rows ldb floats apart (32: a 32-wide sliver; 64: the left half of
// a 64-wide one).
void tile_6x32(int64_t kc, const float* A, const float* A3, int64_t rsa, int64_t csa, const float* Bp,
               int64_t ldb, float* C, int64_t rsc, float alpha, float beta) {
  // The tile is written at the end: start fetching it now. A 128-byte row not aligned
  // to 64 bytes spans three cache lines, not two: without the middle one's prefetch a
  // product into a NumPy-allocated C (16 bytes past a line) ran at 0.8x (2048^2).
  for (int i = 0; i < 6; ++i) {
    const char* row = reinterpret_cast<const char*>(C + i * rsc);
    _mm_prefetch(row, _MM_HINT_T0);
    _mm_prefetch(row + 124, _MM_HINT_T0);
    if (reinterpret_cast<uintptr_t>(row) & 63) _mm_prefetch(row + 64, _MM_HINT_T0);
  }
  __m512 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, b0, b1, av;
  const float* a = A;
  const float* a3 = A3;
  const float* bp = Bp;
  int64_t k = kc, k4;
  const int64_t rs = rsa * 4, cs = csa * 4, bs = ldb * 4;
  // Zeroes the accumulators, then the k loop, unrolled by 4, then the remainder.
  asm volatile(
      FASTDL_ZERO512("c00") FASTDL_ZERO512("c01") FASTDL_ZERO512("c10") FASTDL_ZERO512("c11")
      FASTDL_ZERO512("c20") FASTDL_ZERO512("c21") FASTDL_ZERO512("c30") FASTDL_ZERO512("c31")
      FASTDL_ZERO512("c40") FASTDL_ZERO512("c41") FASTDL_ZERO512("c50") FASTDL_ZERO512("c51")
      FASTDL_K_LOOP(FASTDL_STEP512)
      : [c00] "=v"(c00), [c01] "=v"(c01), [c10] "=v"(c10), [c11] "=v"(c11),
        [c20] "=v"(c20), [c21] "=v"(c21), [c30] "=v"(c30), [c31] "=v"(c31),
        [c40] "=v"(c40), [c41] "=v"(c41), [c50] "=v"(c50), [c51] "=v"(c51),
        [b0] "=&v"(b0), [b1] "=&v"(b1), [av] "=&v"(av), [a] "+r"(a), [a3] "+r"(a3),
        [bp] "+r"(bp), [k] "+r"(k), [k4] "=&r"(k4)
      : [rs] "r"(rs), [cs] "r"(cs), [bs] "r"(bs)
      : "cc", "memory");

  const __m512 acc[6][2] = {{c00, c01}, {c10, c11}, {c20, c21},
                            {c30, c31}, {c40, c41}, {c50, c51}};
  store_tile<avx512::Vec<float>>(acc, C, rsc, alpha, beta);
}

}  // namespace

void sgemm_avx512_6x32_at(int64_t kc, const float* A, const float* A3, int64_t rsa, int64_t csa, const float* Bp,
                          float* C, int64_t rsc, float alpha, float beta) {
  tile_6x32(kc, A, A3, rsa, csa, Bp, 32, C, rsc, alpha, beta);
}

void sgemm_avx512_6x32_of64(int64_t kc, const float* A, int64_t rsa, int64_t csa, const float* Bp,
                            float* C, int64_t rsc, float alpha, float beta) {
  tile_6x32(kc, A, A + 3 * rsa, rsa, csa, Bp, 64, C, rsc, alpha, beta);
}

// The 6 x 64 tile: row i of C in zmm 4i..4i+3, B's four vectors in zmm24-27, A's
// broadcasts in zmm28 / 29 alternately. 24 accumulators and the pointers are more than
// GCC's 30 asm operands, so the registers are named and the sums leave through a stack
// tile (24 stores and loads per 256 k x 24 FMAs).
#define FASTDL_ROW64(ADDR, AV, C0, C1, C2, C3)          \
  "vbroadcastss " ADDR ", %%zmm" AV "\n\t"               \
  "vfmadd231ps %%zmm24, %%zmm" AV ", %%zmm" C0 "\n\t"    \
  "vfmadd231ps %%zmm25, %%zmm" AV ", %%zmm" C1 "\n\t"    \
  "vfmadd231ps %%zmm26, %%zmm" AV ", %%zmm" C2 "\n\t"    \
  "vfmadd231ps %%zmm27, %%zmm" AV ", %%zmm" C3 "\n\t"

#define FASTDL_STEP64                                            \
  "vmovups (%[bp]), %%zmm24\n\t"                                 \
  "vmovups 64(%[bp]), %%zmm25\n\t"                               \
  "vmovups 128(%[bp]), %%zmm26\n\t"                              \
  "vmovups 192(%[bp]), %%zmm27\n\t"                              \
  FASTDL_ROW64("(%[a])", "28", "0", "1", "2", "3")               \
  FASTDL_ROW64("(%[a],%[rs],1)", "29", "4", "5", "6", "7")       \
  FASTDL_ROW64("(%[a],%[rs],2)", "28", "8", "9", "10", "11")     \
  FASTDL_ROW64("(%[a3])", "29", "12", "13", "14", "15")          \
  FASTDL_ROW64("(%[a3],%[rs],1)", "28", "16", "17", "18", "19")  \
  FASTDL_ROW64("(%[a3],%[rs],2)", "29", "20", "21", "22", "23")  \
  "add %[cs], %[a]\n\t"                                          \
  "add %[cs], %[a3]\n\t"                                         \
  "add $256, %[bp]\n\t"

#define FASTDL_ZERO64(R) "vpxord %%zmm" R ", %%zmm" R ", %%zmm" R "\n\t"
#define FASTDL_SPILL64(R) "vmovaps %%zmm" #R ", " #R "*64(%[acc])\n\t"

void sgemm_avx512_6x64_at(int64_t kc, const float* A, const float* A3, int64_t rsa, int64_t csa, const float* Bp,
                          float* C, int64_t rsc, float alpha, float beta) {
  for (int i = 0; i < 6; ++i) {  // the tile's 4-5 lines per row, fetched during the k loop
    const char* row = reinterpret_cast<const char*>(C + i * rsc);
    for (int b = 0; b < 256; b += 64) _mm_prefetch(row + b, _MM_HINT_T0);
    if (reinterpret_cast<uintptr_t>(row) & 63) _mm_prefetch(row + 252, _MM_HINT_T0);
  }
  alignas(64) __m512 acc[6][4];
  const float* a = A;
  const float* a3 = A3;
  const float* bp = Bp;
  int64_t k = kc, k4;
  const int64_t rs = rsa * 4, cs = csa * 4;
  asm volatile(
      FASTDL_ZERO64("0") FASTDL_ZERO64("1") FASTDL_ZERO64("2") FASTDL_ZERO64("3")
      FASTDL_ZERO64("4") FASTDL_ZERO64("5") FASTDL_ZERO64("6") FASTDL_ZERO64("7")
      FASTDL_ZERO64("8") FASTDL_ZERO64("9") FASTDL_ZERO64("10") FASTDL_ZERO64("11")
      FASTDL_ZERO64("12") FASTDL_ZERO64("13") FASTDL_ZERO64("14") FASTDL_ZERO64("15")
      FASTDL_ZERO64("16") FASTDL_ZERO64("17") FASTDL_ZERO64("18") FASTDL_ZERO64("19")
      FASTDL_ZERO64("20") FASTDL_ZERO64("21") FASTDL_ZERO64("22") FASTDL_ZERO64("23")
      FASTDL_K_LOOP(FASTDL_STEP64)
      FASTDL_SPILL64(0) FASTDL_SPILL64(1) FASTDL_SPILL64(2) FASTDL_SPILL64(3)
      FASTDL_SPILL64(4) FASTDL_SPILL64(5) FASTDL_SPILL64(6) FASTDL_SPILL64(7)
      FASTDL_SPILL64(8) FASTDL_SPILL64(9) FASTDL_SPILL64(10) FASTDL_SPILL64(11)
      FASTDL_SPILL64(12) FASTDL_SPILL64(13) FASTDL_SPILL64(14) FASTDL_SPILL64(15)
      FASTDL_SPILL64(16) FASTDL_SPILL64(17) FASTDL_SPILL64(18) FASTDL_SPILL64(19)
      FASTDL_SPILL64(20) FASTDL_SPILL64(21) FASTDL_SPILL64(22) FASTDL_SPILL64(23)
      : [a] "+r"(a), [a3] "+r"(a3), [bp] "+r"(bp), [k] "+r"(k), [k4] "=&r"(k4)
      : [rs] "r"(rs), [cs] "r"(cs), [acc] "r"(acc)
      : "cc", "memory", "zmm0", "zmm1", "zmm2", "zmm3", "zmm4", "zmm5", "zmm6", "zmm7", "zmm8", "zmm9",
        "zmm10", "zmm11", "zmm12", "zmm13", "zmm14", "zmm15", "zmm16", "zmm17", "zmm18", "zmm19", "zmm20",
        "zmm21", "zmm22", "zmm23", "zmm24", "zmm25", "zmm26", "zmm27", "zmm28", "zmm29");
  store_tile<avx512::Vec<float>>(acc, C, rsc, alpha, beta);
}

void sgemm_avx512_6x64(int64_t kc, const float* A, int64_t rsa, int64_t csa, const float* Bp,
                       float* C, int64_t rsc, float alpha, float beta) {
  sgemm_avx512_6x64_at(kc, A, A + 3 * rsa, rsa, csa, Bp, C, rsc, alpha, beta);
}

// One full 64-column sliver of row-major B: a 256-byte row copy per k, prefetching the
// next sliver's row into L2 as spack_bn_avx2 does (rows of a wide B are pages apart).
void spack_bn64_avx512(int64_t kc, const float* B, int64_t rsb, float* Bp) {
  for (int64_t k = 0; k < kc; ++k, B += rsb, Bp += 64) {
    for (int v = 64; v < 128; v += 16) _mm_prefetch(reinterpret_cast<const char*>(B + v), _MM_HINT_T1);
    for (int v = 0; v < 64; v += 16) _mm512_storeu_ps(Bp + v, _mm512_loadu_ps(B + v));
  }
}

// One full 64-column sliver of transposed B: four 16-column quarters by the AVX2 packer.
void spack_bt64_avx512(int64_t kc, const float* B, int64_t csb, float* Bp) {
  for (int q = 0; q < 64; q += 16) spack_bt16_avx2(kc, B + q * csb, csb, Bp + q, 64);
}

// FMA throughput probe: `iters` rounds of 12 independent zmm FMAs, all in registers.
// 384 flops per round.
float fma_probe_avx512(int64_t iters) {
  const __m512 x = _mm512_set1_ps(0.9999999f), y = _mm512_set1_ps(1e-7f);
  __m512 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(float(i));
  for (int64_t it = 0; it < iters; ++it)
    for (int i = 0; i < 12; ++i) acc[i] = _mm512_fmadd_ps(acc[i], x, y);
  __m512 s = acc[0];
  for (int i = 1; i < 12; ++i) s = _mm512_add_ps(s, acc[i]);
  return _mm512_reduce_add_ps(s);
}

}  // namespace gemm_ukr
}  // namespace cpu
}  // namespace fastdl
