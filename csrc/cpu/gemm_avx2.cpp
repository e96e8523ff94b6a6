// AVX2/FMA gemm micro-kernels (this file is compiled with -mavx2 -mfma; it is only
// called when use_avx2() is true). Contract: see gemm_ukr in gemm.h. Each kernel keeps
// its whole C tile in 12 ymm accumulators, loads two B vectors per k and broadcasts
// the MR values of A. This file includes no project or std headers with inline code
// (gemm.h pulls in <string>/<vector>): an AVX2-compiled copy of a shared inline
// function could be picked by the linker for portable callers. The declarations below
// repeat gemm.h's gemm_ukr ones; a mismatch fails at link time.
#include <immintrin.h>

#include <cstdint>

namespace fastdl {
namespace cpu {
namespace gemm_ukr {

#define FASTDL_S_ROW(i)                          \
  a = _mm256_broadcast_ss(Ap + (i));             \
  c##i##0 = _mm256_fmadd_ps(a, b0, c##i##0);     \
  c##i##1 = _mm256_fmadd_ps(a, b1, c##i##1);

#define FASTDL_S_STEP                                                        \
  b0 = _mm256_loadu_ps(Bp);                                                  \
  b1 = _mm256_loadu_ps(Bp + 8);                                              \
  FASTDL_S_ROW(0) FASTDL_S_ROW(1) FASTDL_S_ROW(2) FASTDL_S_ROW(3) FASTDL_S_ROW(4) \
  FASTDL_S_ROW(5)                                                            \
  Ap += 6;                                                                   \
  Bp += 16;

#define FASTDL_S_STORE(i)                                                            \
  {                                                                                  \
    float* c = C + (i) * rsc;                                                        \
    __m256 r0 = _mm256_mul_ps(va, c##i##0), r1 = _mm256_mul_ps(va, c##i##1);         \
    if (beta_nz) {                                                                   \
      r0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(c), r0);                              \
      r1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(c + 8), r1);                          \
    }                                                                                \
    _mm256_storeu_ps(c, r0);                                                         \
    _mm256_storeu_ps(c + 8, r1);                                                     \
  }

void sgemm_avx2_6x16(int64_t kc, const float* Ap, const float* Bp, float* C, int64_t rsc,
                     float alpha, float beta) {
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
         c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  __m256 a, b0, b1;
  for (int i = 0; i < 6; ++i) {  // the tile is written at the end: start fetching it now
    _mm_prefetch(reinterpret_cast<const char*>(C + i * rsc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(C + i * rsc + 15), _MM_HINT_T0);
  }
  int64_t k = 0;
  for (; k + 4 <= kc; k += 4) {
    _mm_prefetch(reinterpret_cast<const char*>(Ap + 64), _MM_HINT_T0);
    FASTDL_S_STEP FASTDL_S_STEP FASTDL_S_STEP FASTDL_S_STEP
  }
  for (; k < kc; ++k) { FASTDL_S_STEP }
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  const bool beta_nz = beta != 0.0f;
  FASTDL_S_STORE(0) FASTDL_S_STORE(1) FASTDL_S_STORE(2) FASTDL_S_STORE(3) FASTDL_S_STORE(4)
  FASTDL_S_STORE(5)
}

#define FASTDL_D_ROW(i)                          \
  a = _mm256_broadcast_sd(Ap + (i));             \
  c##i##0 = _mm256_fmadd_pd(a, b0, c##i##0);     \
  c##i##1 = _mm256_fmadd_pd(a, b1, c##i##1);

#define FASTDL_D_STEP                                                        \
  b0 = _mm256_loadu_pd(Bp);                                                  \
  b1 = _mm256_loadu_pd(Bp + 4);                                              \
  FASTDL_D_ROW(0) FASTDL_D_ROW(1) FASTDL_D_ROW(2) FASTDL_D_ROW(3) FASTDL_D_ROW(4) \
  FASTDL_D_ROW(5)                                                            \
  Ap += 6;                                                                   \
  Bp += 8;

#define FASTDL_D_STORE(i)                                                            \
  {                                                                                  \
    double* c = C + (i) * rsc;                                                       \
    __m256d r0 = _mm256_mul_pd(va, c##i##0), r1 = _mm256_mul_pd(va, c##i##1);        \
    if (beta_nz) {                                                                   \
      r0 = _mm256_fmadd_pd(vb, _mm256_loadu_pd(c), r0);                              \
      r1 = _mm256_fmadd_pd(vb, _mm256_loadu_pd(c + 4), r1);                          \
    }                                                                                \
    _mm256_storeu_pd(c, r0);                                                         \
    _mm256_storeu_pd(c + 4, r1);                                                     \
  }

void dgemm_avx2_6x8(int64_t kc, const double* Ap, const double* Bp, double* C, int64_t rsc,
                    double alpha, double beta) {
  __m256d c00 = _mm256_setzero_pd(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
          c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  __m256d a, b0, b1;
  for (int i = 0; i < 6; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(C + i * rsc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(C + i * rsc + 7), _MM_HINT_T0);
  }
  int64_t k = 0;
  for (; k + 4 <= kc; k += 4) {
    _mm_prefetch(reinterpret_cast<const char*>(Ap + 48), _MM_HINT_T0);
    FASTDL_D_STEP FASTDL_D_STEP FASTDL_D_STEP FASTDL_D_STEP
  }
  for (; k < kc; ++k) { FASTDL_D_STEP }
  const __m256d va = _mm256_set1_pd(alpha), vb = _mm256_set1_pd(beta);
  const bool beta_nz = beta != 0.0;
  FASTDL_D_STORE(0) FASTDL_D_STORE(1) FASTDL_D_STORE(2) FASTDL_D_STORE(3) FASTDL_D_STORE(4)
  FASTDL_D_STORE(5)
}

}  // namespace gemm_ukr
}  // namespace cpu
}  // namespace fastdl
