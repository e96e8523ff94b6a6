// AVX-512 float gemm micro-kernel and its B packers (this file is compiled with
// -mavx512f; gemm.cpp selects it only when use_avx512() is true). Contracts: see gemm_ukr
// in gemm.h.
//
// The 6 x 16 AVX2 kernel's loop (gemm_avx2.cpp) at twice the width: a 6-row C tile in
// 12 zmm accumulators; per k two 16-float B vectors (128 bytes of the 32-wide sliver) and
// 6 broadcasts of A, 12 FMAs. Each element of C sums its k terms in the same order as
// the AVX2 kernel, so both give the same bits. Inline asm for the same reason as there:
// the accumulators must stay in registers.
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

// One k: B's two vectors, then the 6 rows. No software prefetch of B: the AVX2 kernel's
// prefetch 8 k ahead showed no gain in a quick 1-thread check on a Xeon with AVX-512 (the
// sliver stays in L1 across the row loop).
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
  "add $128, %[bp]\n\t"

#define FASTDL_ZERO512(C) "vpxord %[" C "], %[" C "], %[" C "]\n\t"

void sgemm_avx512_6x32_at(int64_t kc, const float* A, const float* A3, int64_t rsa, int64_t csa, const float* Bp,
                          float* C, int64_t rsc, float alpha, float beta) {
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
  const int64_t rs = rsa * 4, cs = csa * 4;
  // Zeroes the accumulators, then the k loop, unrolled by 4, then the remainder.
  asm volatile(
      FASTDL_ZERO512("c00") FASTDL_ZERO512("c01") FASTDL_ZERO512("c10") FASTDL_ZERO512("c11")
      FASTDL_ZERO512("c20") FASTDL_ZERO512("c21") FASTDL_ZERO512("c30") FASTDL_ZERO512("c31")
      FASTDL_ZERO512("c40") FASTDL_ZERO512("c41") FASTDL_ZERO512("c50") FASTDL_ZERO512("c51")
      "mov %[k], %[k4]\n\t"
      "shr $2, %[k4]\n\t"
      "jz 2f\n\t"
      "1:\n\t" FASTDL_STEP512 FASTDL_STEP512 FASTDL_STEP512 FASTDL_STEP512
      "dec %[k4]\n\t"
      "jnz 1b\n\t"
      "2:\n\t"
      "and $3, %[k]\n\t"
      "jz 4f\n\t"
      "3:\n\t" FASTDL_STEP512
      "dec %[k]\n\t"
      "jnz 3b\n\t"
      "4:\n\t"
      : [c00] "=v"(c00), [c01] "=v"(c01), [c10] "=v"(c10), [c11] "=v"(c11),
        [c20] "=v"(c20), [c21] "=v"(c21), [c30] "=v"(c30), [c31] "=v"(c31),
        [c40] "=v"(c40), [c41] "=v"(c41), [c50] "=v"(c50), [c51] "=v"(c51),
        [b0] "=&v"(b0), [b1] "=&v"(b1), [av] "=&v"(av), [a] "+r"(a), [a3] "+r"(a3),
        [bp] "+r"(bp), [k] "+r"(k), [k4] "=&r"(k4)
      : [rs] "r"(rs), [cs] "r"(cs)
      : "cc", "memory");

  const __m512 acc[6][2] = {{c00, c01}, {c10, c11}, {c20, c21},
                            {c30, c31}, {c40, c41}, {c50, c51}};
  store_tile_6x2<avx512::Vec<float>>(acc, C, rsc, alpha, beta);
}

void sgemm_avx512_6x32(int64_t kc, const float* A, int64_t rsa, int64_t csa, const float* Bp,
                       float* C, int64_t rsc, float alpha, float beta) {
  sgemm_avx512_6x32_at(kc, A, A + 3 * rsa, rsa, csa, Bp, C, rsc, alpha, beta);
}

// One full 32-column sliver of row-major B: a 128-byte row copy per k, prefetching the
// next sliver's row into L2 as spack_bn_avx2 does (rows of a wide B are pages apart).
void spack_bn_avx512(int64_t kc, const float* B, int64_t rsb, float* Bp) {
  for (int64_t k = 0; k < kc; ++k, B += rsb, Bp += 32) {
    _mm_prefetch(reinterpret_cast<const char*>(B + 32), _MM_HINT_T1);
    _mm_prefetch(reinterpret_cast<const char*>(B + 48), _MM_HINT_T1);
    _mm512_storeu_ps(Bp, _mm512_loadu_ps(B));
    _mm512_storeu_ps(Bp + 16, _mm512_loadu_ps(B + 16));
  }
}

// One full 32-column sliver of transposed B: two 16-column halves by the AVX2 packer.
void spack_bt_avx512(int64_t kc, const float* B, int64_t csb, float* Bp) {
  spack_bt16_avx2(kc, B, csb, Bp, 32);
  spack_bt16_avx2(kc, B + 16 * csb, csb, Bp + 16, 32);
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
