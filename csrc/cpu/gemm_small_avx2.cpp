// AVX2/FMA kernels for small products (compiled with -mavx2 -mfma; called only when
// use_avx2() is true). Contracts: gemm_ukr::sgemm_small_avx2 / sgemm_dot_avx2 in gemm.h;
// gemm_small in gemm.cpp picks between them.
//
// No packing, no cache blocking, no heap. Row kernel (small_gemm, gemm_small_rows.inc,
// shared with the AVX-512 file): C in tiles of MR
// rows x W = 2 vectors of columns (16 floats / 8 doubles), each over the whole K,
// broadcasting A[i, k] (any strides) and loading B[k, j0:j0+W] straight from memory;
// a narrow last block runs one vector wide, its columns past N masked (never read or
// written); edge rows run a kernel of exactly that many rows, so no work is padded.
// Dot kernel (dot_gemm), for C with few columns: vectors run along K over contiguous
// rows of A and columns of B, MR x NR accumulators reduced to MR x NR sums at the end.
// Like gemm_avx2.cpp this file includes no std or project headers with inline code other
// than the AVX2-only avx2_vec.h (an AVX2 copy of a shared inline function could be
// picked for portable callers).
#include <immintrin.h>

#include <cstdint>

#include "avx2_vec.h"

namespace fastdl {
namespace cpu {
namespace gemm_ukr {
namespace {

using avx2::Vec;

#include "gemm_small_rows.inc"

// Dot-product form for narrow C with rows of A and columns of B both contiguous in k
// (x @ W^T with few outputs): Dot<T> holds A (row stride rsa, unit column stride) and
// B^T (column j of B at Bt + j * ldb, unit stride); vectors run along k.
template <typename T>
struct Dot {
  int64_t M, N, K;
  T alpha;
  const T* A;
  int64_t rsa;
  const T* Bt;
  int64_t ldb;
  T beta;
  T* C;
  int64_t rsc, csc;
};

// C[0:MR, 0:NR] of the rows at a and columns at bt: MR x NR vector accumulators over
// k (the last K % L values masked), then their lane sums. Not inlined: inlined into the
// driver, GCC ran out of registers and spilled inside the k loop.
template <typename T, int MR, int NR>
__attribute__((noinline)) void dot_tile(const Dot<T>& p, const T* a, const T* bt, T* c, typename Vec<T>::M tail) {
  using V = Vec<T>;
  constexpr int L = V::L;
  typename V::R acc[MR][NR];
  FASTDL_UNROLL
  for (int i = 0; i < MR; ++i)
    FASTDL_UNROLL
    for (int j = 0; j < NR; ++j) acc[i][j] = V::zero();
  auto step = [&](int64_t k, auto load) {
    typename V::R bv[NR];
    FASTDL_UNROLL
    for (int j = 0; j < NR; ++j) bv[j] = load(bt + j * p.ldb + k);
    FASTDL_UNROLL
    for (int i = 0; i < MR; ++i) {
      const typename V::R av = load(a + i * p.rsa + k);
      FASTDL_UNROLL
      for (int j = 0; j < NR; ++j) acc[i][j] = V::fma(av, bv[j], acc[i][j]);
    }
  };
  int64_t k = 0;
  for (; k + L <= p.K; k += L) step(k, [](const T* q) { return V::load(q); });
  if (k < p.K) step(k, [&](const T* q) { return V::load(q, tail); });
  alignas(32) T s[MR][4];
  FASTDL_UNROLL
  for (int i = 0; i < MR; ++i)
    V::sums4(acc[i][0], acc[i][NR > 1 ? 1 : 0], acc[i][NR > 2 ? 2 : 0], acc[i][NR > 3 ? 3 : 0], s[i]);
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) store_scalar(c + i * p.rsc + j * p.csc, s[i][j], p.alpha, p.beta);
}

// Columns four at a time, rows so that accumulators, B vectors and one A vector fit
// the 16 ymm registers (2 x 4, 3 x 3, 5 x 2, 8 x 1 accumulators; more spill).
template <typename T>
void dot_gemm(const Dot<T>& p) {
  const typename Vec<T>::M tail = Vec<T>::first(static_cast<int>(p.K % Vec<T>::L));
  for (int64_t j0 = 0; j0 < p.N; j0 += 4) {
    const T* bt = p.Bt + j0 * p.ldb;
    T* c = p.C + j0 * p.csc;
    auto columns = [&](auto nr, auto maxr) {
      constexpr int NR = decltype(nr)::value;
      by_rows<decltype(maxr)::value>(p.M, [&](auto rows, int64_t i) {
        dot_tile<T, decltype(rows)::value, NR>(p, p.A + i * p.rsa, bt, c + i * p.rsc, tail);
      });
    };
    switch (p.N - j0 < 4 ? p.N - j0 : 4) {
      case 1: columns(Rows<1>{}, Rows<8>{}); break;
      case 2: columns(Rows<2>{}, Rows<5>{}); break;
      case 3: columns(Rows<3>{}, Rows<3>{}); break;
      default: columns(Rows<4>{}, Rows<2>{}); break;
    }
  }
}

}  // namespace

void sgemm_dot_avx2(int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t rsa, const float* Bt,
                    int64_t ldb, float beta, float* C, int64_t rsc, int64_t csc) {
  dot_gemm<float>({M, N, K, alpha, A, rsa, Bt, ldb, beta, C, rsc, csc});
}

void dgemm_dot_avx2(int64_t M, int64_t N, int64_t K, double alpha, const double* A, int64_t rsa,
                    const double* Bt, int64_t ldb, double beta, double* C, int64_t rsc, int64_t csc) {
  dot_gemm<double>({M, N, K, alpha, A, rsa, Bt, ldb, beta, C, rsc, csc});
}

void sgemm_small_avx2(int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t rsa, int64_t csa,
                      const float* B, int64_t rsb, int64_t bwidth, int64_t bstep, float beta, float* C, int64_t rsc,
                      int64_t csc) {
  small_gemm<float>({M, N, K, alpha, A, rsa, csa, B, rsb, bwidth, bstep, beta, C, rsc, csc});
}

void dgemm_small_avx2(int64_t M, int64_t N, int64_t K, double alpha, const double* A, int64_t rsa,
                      int64_t csa, const double* B, int64_t rsb, int64_t bwidth, int64_t bstep, double beta, double* C,
                      int64_t rsc, int64_t csc) {
  small_gemm<double>({M, N, K, alpha, A, rsa, csa, B, rsb, bwidth, bstep, beta, C, rsc, csc});
}

}  // namespace gemm_ukr
}  // namespace cpu
}  // namespace fastdl
