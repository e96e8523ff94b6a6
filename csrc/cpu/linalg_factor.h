// Batched dense factorizations and solves (fastdl.linalg's kernels; Python composes
// solve / inv / det / slogdet / cholesky_solve from them). Contract of both backends
// (CUDA: cuda/linalg_factor.cu), every operand contiguous, float32 or float64, one
// matrix per batch entry (the per-matrix code is csrc/common/linalg_factor.h):
//   lu_factor(a, pivots, info): a (..., n, n) <- P L U in place (LAPACK getrf layout),
//     pivots int64 (..., n) 1-based, info int64 (...): 0, or k when U[k-1, k-1] == 0.
//   lu_solve(lu, pivots, b): b (..., n, k) <- A^-1 b from lu_factor's result.
//   cholesky(a, info): a (..., n, n) <- its lower Cholesky factor (from the lower
//     triangle; upper triangle zeroed), info (...): 0, or the order of the first leading
//     minor that is not positive-definite.
//   solve_triangular(a, b, upper, unitriangular): b (..., n, k) <- A^-1 b, A triangular
//     (only that triangle is read; no singularity check, as torch).
//   qr(a, tau, q): a (..., m, n) <- Householder QR in place (LAPACK geqrf layout: R on
//     and above the diagonal), tau (..., min(m, n)), q (..., m, c) <- Q's first c <= m
//     columns (c = 0: none).
//   eigh(a, w, v, info): from a's lower triangle (a overwritten), w (..., n) <- the
//     eigenvalues ascending, v (..., n, n) <- eigenvectors as columns (cyclic Jacobi),
//     info (...): 0, or 1 when the sweeps did not converge.
//   svd(a, s, v, info): a (..., m, n) with m >= n is overwritten with U (..., m, n),
//     s (..., n) <- the singular values descending, v (..., n, n) <- V (A = U diag(s) V^T),
//     by one-sided Jacobi; info (...): 0, or 1 when the sweeps did not converge.
// The kernels never raise for singular / indefinite input: Python reads info and raises.
#pragma once
#include "../core/tensor_arg.h"

namespace fastdl {
namespace cpu {

void lu_factor(const TensorArg& a, const TensorArg& pivots, const TensorArg& info);
void lu_solve(const TensorArg& lu, const TensorArg& pivots, const TensorArg& b);
void cholesky(const TensorArg& a, const TensorArg& info);
void solve_triangular(const TensorArg& a, const TensorArg& b, bool upper, bool unitriangular);
void qr(const TensorArg& a, const TensorArg& tau, const TensorArg& q);
void eigh(const TensorArg& a, const TensorArg& w, const TensorArg& v, const TensorArg& info);
void svd(const TensorArg& a, const TensorArg& s, const TensorArg& v, const TensorArg& info);

// Jacobi sweeps before eigh reports no convergence (it takes ~6-10 for n <= 100).
constexpr int kEighMaxSweeps = 100;
// Jacobi sweeps before svd reports no convergence (one-sided Jacobi takes ~6-12).
constexpr int kSvdMaxSweeps = 100;

}  // namespace cpu
}  // namespace fastdl
