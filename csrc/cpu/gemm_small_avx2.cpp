// AVX2/FMA kernels for small products (compiled with -mavx2 -mfma; called only when
// use_avx2() is true). Contracts: gemm_ukr::sgemm_small_avx2 / sgemm_dot_avx2 in gemm.h;
// gemm_small in gemm.cpp picks between them.
//
// No packing, no cache blocking, no heap. Row kernel (small_gemm): C in tiles of MR
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

// Unrolls the loops over a tile's rows and vectors before GCC's scalar replacement
// runs: otherwise the accumulator array stays in memory (the may_alias loads of the
// k loop can't be proven not to touch it) and is stored to the stack every k step.
#define FASTDL_UNROLL _Pragma("GCC unroll 8")

namespace fastdl {
namespace cpu {
namespace gemm_ukr {
namespace {

using avx2::Vec;

// Runs f(Rows<MR>{}, i) over rows [0, M): MAXR (<= 8) rows at a time, then one call
// with exactly the remaining rows, so edge rows cost no padded work.
template <int N> struct Rows { static constexpr int value = N; };
template <int MAXR, typename F>
void by_rows(int64_t M, const F& f) {
  int64_t i = 0;
  for (; i + MAXR <= M; i += MAXR) f(Rows<MAXR>{}, i);
  switch (M - i) {
    case 1: if constexpr (MAXR > 1) f(Rows<1>{}, i); return;
    case 2: if constexpr (MAXR > 2) f(Rows<2>{}, i); return;
    case 3: if constexpr (MAXR > 3) f(Rows<3>{}, i); return;
    case 4: if constexpr (MAXR > 4) f(Rows<4>{}, i); return;
    case 5: if constexpr (MAXR > 5) f(Rows<5>{}, i); return;
    case 6: if constexpr (MAXR > 6) f(Rows<6>{}, i); return;
    case 7: if constexpr (MAXR > 7) f(Rows<7>{}, i); return;
    default: return;
  }
}

// by_rows for two-vector tiles: a remainder of 1-3 rows has 2-6 accumulators, too few to
// cover the FMA latency (two pipes of latency 4 need 8), so it shares the last full
// tile's rows instead: 6 + 1 -> 4 + 3, 6 + 2 -> 4 + 4, 6 + 3 -> 5 + 4 (32 rows: 2 rows
// at 4 accumulators cost 0.6 of a 6-row tile). Same bits: a tile's rows do not change
// any element's sum.
template <typename F>
void by_rows_of_6(int64_t M, const F& f) {
  const int64_t r = M % 6;
  if (M < 6 || r == 0 || r >= 4) return by_rows<6>(M, f);
  const int64_t head = M - 6 - r, first = (6 + r + 1) / 2;
  by_rows<6>(head, f);
  by_rows<6>(first, [&](auto rows, int64_t i) { f(rows, head + i); });
  by_rows<6>(6 + r - first, [&](auto rows, int64_t i) { f(rows, head + first + i); });
}

// *c = alpha * s + beta * *c (beta == 0: *c is not read).
template <typename T>
void store_scalar(T* c, T s, T alpha, T beta) {
  *c = beta == T(0) ? alpha * s : alpha * s + beta * *c;
}

// Operands of one small product: C (M x N) = alpha * A (M x K) @ B (K x N) + beta * C.
// B's column block starting at j0 (a multiple of W) is at B + j0 / bwidth * bstep +
// j0 % bwidth, its element (k, j) at + k * rsb + j: row-major B (bstep = bwidth) or packed
// bwidth-column slivers (bwidth a multiple of W: the blocked kernel's NR, 16 or 32).
template <typename T>
struct Small {
  int64_t M, N, K;
  T alpha;
  const T* A;
  int64_t rsa, csa;
  const T* B;
  int64_t rsb, bwidth, bstep;
  T beta;
  T* C;
  int64_t rsc, csc;
};

// C[0:MR, 0:ncols] of one column block (ncols <= NV * L; MASK: the last vector holds
// ncols - (NV - 1) * L < L valid lanes, selected by `mask`).
template <typename T, int MR, int NV, bool MASK>
void tile(const Small<T>& p, const T* a, const T* b, T* c, int ncols, typename Vec<T>::M mask) {
  using V = Vec<T>;
  constexpr int L = V::L;
  typename V::R acc[MR][NV];
  FASTDL_UNROLL
  for (int i = 0; i < MR; ++i)
    FASTDL_UNROLL
    for (int v = 0; v < NV; ++v) acc[i][v] = V::zero();
  for (int64_t k = 0; k < p.K; ++k, a += p.csa, b += p.rsb) {
    typename V::R bv[NV];
    FASTDL_UNROLL
    for (int v = 0; v < NV; ++v) bv[v] = MASK && v == NV - 1 ? V::load(b + v * L, mask) : V::load(b + v * L);
    FASTDL_UNROLL
    for (int i = 0; i < MR; ++i) {
      const typename V::R av = V::bcast(a + i * p.rsa);
      FASTDL_UNROLL
      for (int v = 0; v < NV; ++v) acc[i][v] = V::fma(av, bv[v], acc[i][v]);
    }
  }
  // The accumulators are indexed only in unrolled loops, which keeps them in
  // registers (see FASTDL_UNROLL).
  const typename V::R va = V::set1(p.alpha), vb = V::set1(p.beta);
  if (p.csc == 1) {
    FASTDL_UNROLL
    for (int i = 0; i < MR; ++i)
      FASTDL_UNROLL
      for (int v = 0; v < NV; ++v) {
        const bool masked = MASK && v == NV - 1;
        T* cv = c + i * p.rsc + v * L;
        typename V::R r = p.alpha == T(1) ? acc[i][v] : V::mul(va, acc[i][v]);
        if (p.beta != T(0)) r = V::fma(vb, masked ? V::load(cv, mask) : V::load(cv), r);
        if (masked)
          V::store(cv, mask, r);
        else
          V::store(cv, r);
      }
    return;
  }
  alignas(32) T t[MR][NV * L];  // strided columns of C: through a local tile
  FASTDL_UNROLL
  for (int i = 0; i < MR; ++i)
    FASTDL_UNROLL
    for (int v = 0; v < NV; ++v) V::store(&t[i][v * L], V::mul(va, acc[i][v]));
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < ncols; ++j) store_scalar(c + i * p.rsc + j * p.csc, t[i][j], T(1), p.beta);
}

// All rows of one column block, MAXR at a time.
template <typename T, int NV, bool MASK, int MAXR>
void column_block(const Small<T>& p, const T* b, T* c, int ncols) {
  const typename Vec<T>::M mask = Vec<T>::first(ncols - (NV - 1) * Vec<T>::L);
  auto run = [&](auto rows, int64_t i) {
    tile<T, decltype(rows)::value, NV, MASK>(p, p.A + i * p.rsa, b, c + i * p.rsc, ncols, mask);
  };
  if constexpr (MAXR == 6)
    by_rows_of_6(p.M, run);
  else
    by_rows<MAXR>(p.M, run);
}

// One MR-row strip of C across all its column blocks.
template <typename T, int MR>
void row_strip(const Small<T>& p, int64_t i) {
  constexpr int L = Vec<T>::L, W = 2 * L;
  const T* a = p.A + i * p.rsa;
  T* c = p.C + i * p.rsc;
  for (int64_t j0 = 0; j0 < p.N; j0 += W, c += W * p.csc) {
    const int n = p.N - j0 < W ? static_cast<int>(p.N - j0) : W;
    const T* b = p.B + j0 / p.bwidth * p.bstep + j0 % p.bwidth;
    if (n == W)
      tile<T, MR, 2, false>(p, a, b, c, n, Vec<T>::first(0));
    else if (n > L)
      tile<T, MR, 2, true>(p, a, b, c, n, Vec<T>::first(n - L));
    else if (n == L)
      tile<T, MR, 1, false>(p, a, b, c, n, Vec<T>::first(0));
    else
      tile<T, MR, 1, true>(p, a, b, c, n, Vec<T>::first(n));
  }
}

// When all of B fits in L1, row strips outer: C is written strip by strip in address
// order (with tiny K, writing C is most of the cost). Otherwise column blocks outer, so
// each K x W block of B stays in L1 across the row loop; two-vector blocks run 6 rows
// at a time (12 accumulators), one-vector blocks 8 (8 FMAs per B load rather than 6).
template <typename T>
void small_gemm(const Small<T>& p) {
  constexpr int L = Vec<T>::L, W = 2 * L;
  constexpr int64_t kBInL1 = 16 * 1024;
  if (p.K * p.N * int64_t(sizeof(T)) <= kBInL1)
    return by_rows_of_6(p.M, [&](auto rows, int64_t i) { row_strip<T, decltype(rows)::value>(p, i); });
  for (int64_t j0 = 0; j0 < p.N; j0 += W) {
    const int n = p.N - j0 < W ? static_cast<int>(p.N - j0) : W;
    const T* b = p.B + j0 / p.bwidth * p.bstep + j0 % p.bwidth;
    T* c = p.C + j0 * p.csc;
    if (n == W)
      column_block<T, 2, false, 6>(p, b, c, n);
    else if (n > L)
      column_block<T, 2, true, 6>(p, b, c, n);
    else if (n == L)
      column_block<T, 1, false, 8>(p, b, c, n);
    else
      column_block<T, 1, true, 8>(p, b, c, n);
  }
}

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
