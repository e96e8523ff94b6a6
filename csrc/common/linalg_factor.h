// Dense factorizations and solves of ONE n x n matrix, shared by the CPU
// (csrc/cpu/linalg_factor.cpp) and CUDA (cuda/linalg_factor.cu) kernels, so the CPU
// tests exercise the arithmetic the GPU runs. Textbook unblocked algorithms in the
// matrix's own dtype: right for the small matrices DL models factor, not for n in the
// thousands (no blocking, no BLAS-3).
//
// A matrix is a pointer plus row and column strides (elements), so a transposed view is
// the same matrix with the strides swapped. Failures are returned as LAPACK's `info`:
// 0 ok, k > 0 the (1-based) pivot / leading minor that failed; never a trap or a throw.
#pragma once
#include <cmath>
#include <cstdint>

#include "hd.h"

namespace fastdl {
namespace linalg {

template <typename T>
struct Mat {
  T* p;
  int64_t rs, cs;  // row and column strides
  FASTDL_HD T& operator()(int64_t i, int64_t j) const { return p[i * rs + j * cs]; }
};

template <typename T>
FASTDL_HD T abs_of(T x) { return x < T(0) ? -x : x; }

// In place: B <- op(A)^-1 B for a triangular A (n x n) and B (n x nrhs), op(A) = A,
// with A's lower (upper = false) or upper triangle and, when unit, an implied unit
// diagonal. The other triangle of A is never read. A zero diagonal gives inf / nan, as
// LAPACK's trtrs without its check (torch.linalg.solve_triangular does not check either).
// Row-oriented so the inner loop runs along a row of B.
template <typename T>
FASTDL_HD void solve_triangular(Mat<const T> a, int64_t n, Mat<T> b, int64_t nrhs, bool upper, bool unit) {
  for (int64_t ii = 0; ii < n; ++ii) {
    const int64_t i = upper ? n - 1 - ii : ii;
    const int64_t k0 = upper ? i + 1 : 0, k1 = upper ? n : i;
    for (int64_t k = k0; k < k1; ++k) {
      const T aik = a(i, k);
      for (int64_t c = 0; c < nrhs; ++c) b(i, c) -= aik * b(k, c);
    }
    if (!unit) {
      const T d = a(i, i);
      for (int64_t c = 0; c < nrhs; ++c) b(i, c) /= d;
    }
  }
}

// In place: A = P L U with partial pivoting (LAPACK getrf's result: L unit lower below
// the diagonal, U on and above it; piv[k * piv_stride] = 1-based row swapped with row k).
// A column with no nonzero pivot is skipped (nothing to eliminate) and reported: the
// return value is the first such k + 1, so U has an exact zero there and det(A) = 0.
template <typename T>
FASTDL_HD int64_t lu_factor(Mat<T> a, int64_t n, int64_t* piv, int64_t piv_stride) {
  int64_t info = 0;
  for (int64_t k = 0; k < n; ++k) {
    int64_t p = k;
    T best = abs_of(a(k, k));
    for (int64_t i = k + 1; i < n; ++i) {
      const T v = abs_of(a(i, k));
      if (v > best) best = v, p = i;
    }
    piv[k * piv_stride] = p + 1;
    if (a(p, k) == T(0)) {
      if (info == 0) info = k + 1;
      continue;
    }
    if (p != k)
      for (int64_t j = 0; j < n; ++j) {
        const T t = a(k, j);
        a(k, j) = a(p, j);
        a(p, j) = t;
      }
    const T d = a(k, k);
    for (int64_t i = k + 1; i < n; ++i) {
      const T l = a(i, k) /= d;
      for (int64_t j = k + 1; j < n; ++j) a(i, j) -= l * a(k, j);
    }
  }
  return info;
}

// In place: B <- A^-1 B from lu_factor's (lu, piv) of A: the row swaps, then L, then U.
template <typename T>
FASTDL_HD void lu_solve(Mat<const T> lu, int64_t n, const int64_t* piv, int64_t piv_stride, Mat<T> b,
                        int64_t nrhs) {
  for (int64_t k = 0; k < n; ++k) {
    const int64_t p = piv[k * piv_stride] - 1;
    if (p != k)
      for (int64_t c = 0; c < nrhs; ++c) {
        const T t = b(k, c);
        b(k, c) = b(p, c);
        b(p, c) = t;
      }
  }
  solve_triangular(lu, n, b, nrhs, false, true);
  solve_triangular(lu, n, b, nrhs, true, false);
}

// In place: the lower Cholesky factor L (A = L L^T) from A's lower triangle; the strict
// upper triangle is set to zero. Returns 0, or k when the leading minor of order k is not
// positive-definite (a pivot <= 0 or NaN), as LAPACK's potrf.
template <typename T>
FASTDL_HD int64_t cholesky(Mat<T> a, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    T d = a(j, j);
    for (int64_t k = 0; k < j; ++k) d -= a(j, k) * a(j, k);
    if (!(d > T(0))) return j + 1;
    d = std::sqrt(d);
    a(j, j) = d;
    for (int64_t i = j + 1; i < n; ++i) {
      T s = a(i, j);
      for (int64_t k = 0; k < j; ++k) s -= a(i, k) * a(j, k);
      a(i, j) = s / d;
    }
    for (int64_t i = 0; i < j; ++i) a(i, j) = T(0);
  }
  return 0;
}

}  // namespace linalg
}  // namespace fastdl
