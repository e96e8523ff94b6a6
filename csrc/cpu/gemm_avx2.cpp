// AVX2/FMA gemm micro-kernels (this file is compiled with -mavx2 -mfma; it is only
// called when use_avx2() is true): the micro-kernels and packing routines for B. Contracts: see gemm_ukr in gemm.h.
//
// Each kernel keeps its 6-row C tile in 12 ymm accumulators; per k it loads two B
// vectors and broadcasts the 6 values of A. The k loop is inline asm because GCC,
// given the same loop in intrinsics, spills accumulators to the stack (16 ymm
// registers: 12 accumulators + 2 B + 1 A leave no slack), costing ~15%.
// This file includes no project or std headers with portable inline code (gemm.h pulls
// in <string>/<vector>): an AVX2-compiled copy of a shared inline function could be
// picked by the linker for portable callers. avx2_vec.h is AVX2 code in every file that
// includes it, and gemm_tile_store.h is a template instantiated here with its types. The definitions below match gemm.h's
// gemm_ukr declarations; a mismatch fails at link time.
#include <immintrin.h>

#include <cstdint>

#include "avx2_vec.h"
#include "gemm_tile_store.h"

namespace fastdl {
namespace cpu {
namespace gemm_ukr {

// Rows 0-2 of A are at a, a + rs, a + 2 rs; rows 3-5 at a3 = a + 3 rs likewise.
#define FASTDL_ROW(BCAST, FMA, ADDR, C0, C1) \
  BCAST " " ADDR ", %[av]\n\t"               \
  FMA " %[b0], %[av], %[" C0 "]\n\t"         \
  FMA " %[b1], %[av], %[" C1 "]\n\t"

#define FASTDL_STEP(BCAST, FMA)                                  \
  "vmovups (%[bp]), %[b0]\n\t"                                   \
  "vmovups 32(%[bp]), %[b1]\n\t"                                 \
  "prefetcht0 512(%[bp])\n\t"                                    \
  FASTDL_ROW(BCAST, FMA, "(%[a])", "c00", "c01")                 \
  FASTDL_ROW(BCAST, FMA, "(%[a],%[rs],1)", "c10", "c11")         \
  FASTDL_ROW(BCAST, FMA, "(%[a],%[rs],2)", "c20", "c21")         \
  FASTDL_ROW(BCAST, FMA, "(%[a3])", "c30", "c31")                \
  FASTDL_ROW(BCAST, FMA, "(%[a3],%[rs],1)", "c40", "c41")        \
  FASTDL_ROW(BCAST, FMA, "(%[a3],%[rs],2)", "c50", "c51")        \
  "add %[cs], %[a]\n\t"                                          \
  "add %[cs], %[a3]\n\t"                                         \
  "add $64, %[bp]\n\t"

#define FASTDL_ZERO(C) "vxorps %[" C "], %[" C "], %[" C "]\n\t"

// Zeroes the accumulators, then the k loop, unrolled by 4, then the remainder; B advances 64 bytes per k.
#define FASTDL_KLOOP(BCAST, FMA)                                                       \
  asm volatile(                                                                        \
      FASTDL_ZERO("c00") FASTDL_ZERO("c01") FASTDL_ZERO("c10") FASTDL_ZERO("c11")      \
      FASTDL_ZERO("c20") FASTDL_ZERO("c21") FASTDL_ZERO("c30") FASTDL_ZERO("c31")      \
      FASTDL_ZERO("c40") FASTDL_ZERO("c41") FASTDL_ZERO("c50") FASTDL_ZERO("c51")      \
      "mov %[k], %[k4]\n\t"                                                            \
      "shr $2, %[k4]\n\t"                                                              \
      "jz 2f\n\t"                                                                      \
      "1:\n\t" FASTDL_STEP(BCAST, FMA) FASTDL_STEP(BCAST, FMA) FASTDL_STEP(BCAST, FMA)  \
      FASTDL_STEP(BCAST, FMA)                                                          \
      "dec %[k4]\n\t"                                                                  \
      "jnz 1b\n\t"                                                                     \
      "2:\n\t"                                                                         \
      "and $3, %[k]\n\t"                                                               \
      "jz 4f\n\t"                                                                      \
      "3:\n\t" FASTDL_STEP(BCAST, FMA)                                                 \
      "dec %[k]\n\t"                                                                   \
      "jnz 3b\n\t"                                                                     \
      "4:\n\t"                                                                         \
      : [c00] "=x"(c00), [c01] "=x"(c01), [c10] "=x"(c10), [c11] "=x"(c11),            \
        [c20] "=x"(c20), [c21] "=x"(c21), [c30] "=x"(c30), [c31] "=x"(c31),            \
        [c40] "=x"(c40), [c41] "=x"(c41), [c50] "=x"(c50), [c51] "=x"(c51),            \
        [b0] "=&x"(b0), [b1] "=&x"(b1), [av] "=&x"(av), [a] "+r"(a), [a3] "+r"(a3),    \
        [bp] "+r"(bp), [k] "+r"(k), [k4] "=&r"(k4)                                     \
      : [rs] "r"(rs), [cs] "r"(cs)                                                     \
      : "cc", "memory")

void sgemm_avx2_6x16_at(int64_t kc, const float* A, const float* A3, int64_t rsa, int64_t csa, const float* Bp,
                        float* C, int64_t rsc, float alpha, float beta) {
  for (int i = 0; i < 6; ++i) {  // the tile is written at the end: start fetching it now
    _mm_prefetch(reinterpret_cast<const char*>(C + i * rsc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(C + i * rsc + 15), _MM_HINT_T0);
  }
  __m256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, b0, b1, av;
  const float* a = A;
  const float* a3 = A3;
  const float* bp = Bp;
  int64_t k = kc, k4;
  const int64_t rs = rsa * 4, cs = csa * 4;
  FASTDL_KLOOP("vbroadcastss", "vfmadd231ps");

  const __m256 acc[6][2] = {{c00, c01}, {c10, c11}, {c20, c21},
                            {c30, c31}, {c40, c41}, {c50, c51}};
  store_tile<avx2::Vec<float>>(acc, C, rsc, alpha, beta);
}

void sgemm_avx2_6x16(int64_t kc, const float* A, int64_t rsa, int64_t csa, const float* Bp,
                     float* C, int64_t rsc, float alpha, float beta) {
  sgemm_avx2_6x16_at(kc, A, A + 3 * rsa, rsa, csa, Bp, C, rsc, alpha, beta);
}

void dgemm_avx2_6x8(int64_t kc, const double* A, int64_t rsa, int64_t csa, const double* Bp,
                    double* C, int64_t rsc, double alpha, double beta) {
  for (int i = 0; i < 6; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(C + i * rsc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(C + i * rsc + 7), _MM_HINT_T0);
  }
  __m256d c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, b0, b1, av;
  const double* a = A;
  const double* a3 = A + 3 * rsa;
  const double* bp = Bp;
  int64_t k = kc, k4;
  const int64_t rs = rsa * 8, cs = csa * 8;
  FASTDL_KLOOP("vbroadcastsd", "vfmadd231pd");

  const __m256d acc[6][2] = {{c00, c01}, {c10, c11}, {c20, c21},
                             {c30, c31}, {c40, c41}, {c50, c51}};
  store_tile<avx2::Vec<double>>(acc, C, rsc, alpha, beta);
}

// Packs one full B sliver of a row-major B (unit column stride): a 64-byte row copy
// per k, inline rather than a memcpy call per row. Each row also prefetches the next
// sliver's 64 bytes (into L2): with a wide B (conv's columns, rows ~20 KB apart) every
// row is on its own page, the hardware prefetcher does not follow, and the copy
// otherwise waits on L3 once per row (measured: 28% of a 64x288 @ 288x5408 product).
void spack_bn_avx2(int64_t kc, const float* B, int64_t rsb, float* Bp) {
  for (int64_t k = 0; k < kc; ++k, B += rsb, Bp += 16) {
    _mm_prefetch(reinterpret_cast<const char*>(B + 16), _MM_HINT_T1);
    _mm256_storeu_ps(Bp, _mm256_loadu_ps(B));
    _mm256_storeu_ps(Bp + 8, _mm256_loadu_ps(B + 8));
  }
}

void dpack_bn_avx2(int64_t kc, const double* B, int64_t rsb, double* Bp) {
  for (int64_t k = 0; k < kc; ++k, B += rsb, Bp += 8) {
    _mm_prefetch(reinterpret_cast<const char*>(B + 8), _MM_HINT_T1);
    _mm256_storeu_pd(Bp, _mm256_loadu_pd(B));
    _mm256_storeu_pd(Bp + 4, _mm256_loadu_pd(B + 4));
  }
}

namespace {
// r[0..7] <- its 8x8 transpose (row j of the result is column j of the input).
inline void transpose8x8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]),
               t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]),
               t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]),
               t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE),
               s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE),
               s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE),
               s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
  r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
  r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
  r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
  r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}
}  // namespace

// Packs 16 columns of a transposed B (unit row stride, as in x @ W.T) into sliver rows
// of stride ldp: 8x8 register transposes instead of a scalar gather.
void spack_bt16_avx2(int64_t kc, const float* B, int64_t csb, float* Bp, int64_t ldp) {
  int64_t k = 0;
  for (; k + 8 <= kc; k += 8) {
    for (int half = 0; half < 2; ++half) {
      const float* b = B + k + half * 8 * csb;
      __m256 r[8];
      for (int j = 0; j < 8; ++j) r[j] = _mm256_loadu_ps(b + j * csb);
      transpose8x8(r);
      float* d = Bp + k * ldp + half * 8;
      for (int j = 0; j < 8; ++j) _mm256_storeu_ps(d + j * ldp, r[j]);
    }
  }
  for (; k < kc; ++k)
    for (int j = 0; j < 16; ++j) Bp[k * ldp + j] = B[k + j * csb];
}

// One full 16-column sliver of transposed B.
void spack_bt_avx2(int64_t kc, const float* B, int64_t csb, float* Bp) { spack_bt16_avx2(kc, B, csb, Bp, 16); }

// Packs one full 6-row A sliver of row-major A (unit column stride): Ap[k*6 + i] =
// A[i*rsa + k]. Eight k at a time through an 8x8 transpose (two zero rows); each
// k's 6 values are stored 8 wide, the 2 extra lanes overwritten by the next k's store,
// except the eighth k's, which is stored as 4 + 2 so nothing past the group is written.
void spack_a6_avx2(int64_t kc, const float* A, int64_t rsa, float* Ap) {
  int64_t k = 0;
  for (; k + 8 <= kc; k += 8, Ap += 48) {
    __m256 r[8];
    for (int i = 0; i < 6; ++i) r[i] = _mm256_loadu_ps(A + i * rsa + k);
    r[6] = r[7] = _mm256_setzero_ps();
    transpose8x8(r);
    for (int j = 0; j < 7; ++j) _mm256_storeu_ps(Ap + j * 6, r[j]);
    _mm_storeu_ps(Ap + 42, _mm256_castps256_ps128(r[7]));
    _mm_storel_pi(reinterpret_cast<__m64*>(Ap + 46), _mm256_extractf128_ps(r[7], 1));
  }
  for (; k < kc; ++k, Ap += 6)
    for (int i = 0; i < 6; ++i) Ap[i] = A[i * rsa + k];
}

// Same for double: one full 8-column sliver, 4x4 transposes.
void dpack_bt_avx2(int64_t kc, const double* B, int64_t csb, double* Bp) {
  int64_t k = 0;
  for (; k + 4 <= kc; k += 4) {
    for (int half = 0; half < 2; ++half) {
      const double* b = B + k + half * 4 * csb;
      const __m256d r0 = _mm256_loadu_pd(b), r1 = _mm256_loadu_pd(b + csb),
                    r2 = _mm256_loadu_pd(b + 2 * csb), r3 = _mm256_loadu_pd(b + 3 * csb);
      const __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1),
                    t2 = _mm256_unpacklo_pd(r2, r3), t3 = _mm256_unpackhi_pd(r2, r3);
      double* d = Bp + k * 8 + half * 4;
      _mm256_storeu_pd(d + 0 * 8, _mm256_permute2f128_pd(t0, t2, 0x20));
      _mm256_storeu_pd(d + 1 * 8, _mm256_permute2f128_pd(t1, t3, 0x20));
      _mm256_storeu_pd(d + 2 * 8, _mm256_permute2f128_pd(t0, t2, 0x31));
      _mm256_storeu_pd(d + 3 * 8, _mm256_permute2f128_pd(t1, t3, 0x31));
    }
  }
  for (; k < kc; ++k)
    for (int j = 0; j < 8; ++j) Bp[k * 8 + j] = B[k + j * csb];
}

// FMA throughput probe: `iters` rounds of 12 independent ymm FMAs, all in registers
// (12 chains cover the 4-cycle latency of two FMA pipes). 192 flops per round.
float fma_probe_avx2(int64_t iters) {
  const __m256 x = _mm256_set1_ps(0.9999999f), y = _mm256_set1_ps(1e-7f);
  __m256 a0 = _mm256_set1_ps(0.f), a1 = _mm256_set1_ps(1.f), a2 = _mm256_set1_ps(2.f),
         a3 = _mm256_set1_ps(3.f), a4 = _mm256_set1_ps(4.f), a5 = _mm256_set1_ps(5.f),
         a6 = _mm256_set1_ps(6.f), a7 = _mm256_set1_ps(7.f), a8 = _mm256_set1_ps(8.f),
         a9 = _mm256_set1_ps(9.f), a10 = _mm256_set1_ps(10.f), a11 = _mm256_set1_ps(11.f);
  for (int64_t i = 0; i < iters; ++i) {
    a0 = _mm256_fmadd_ps(a0, x, y), a1 = _mm256_fmadd_ps(a1, x, y), a2 = _mm256_fmadd_ps(a2, x, y);
    a3 = _mm256_fmadd_ps(a3, x, y), a4 = _mm256_fmadd_ps(a4, x, y), a5 = _mm256_fmadd_ps(a5, x, y);
    a6 = _mm256_fmadd_ps(a6, x, y), a7 = _mm256_fmadd_ps(a7, x, y), a8 = _mm256_fmadd_ps(a8, x, y);
    a9 = _mm256_fmadd_ps(a9, x, y), a10 = _mm256_fmadd_ps(a10, x, y), a11 = _mm256_fmadd_ps(a11, x, y);
  }
  const __m256 s = _mm256_add_ps(
      _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                    _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7))),
      _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
  return _mm256_cvtss_f32(s);
}

}  // namespace gemm_ukr
}  // namespace cpu
}  // namespace fastdl
