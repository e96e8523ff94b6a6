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

// In place: Householder QR of the m x n matrix A (LAPACK geqrf's layout): R on and above
// the diagonal, the reflectors' vectors v (v[0] = 1 implied) below it, their scales in
// tau[j * tau_stride], j < k = min(m, n). H_j = I - tau_j v_j v_j^T, A = H_0 ... H_{k-1} R;
// each reflector as LAPACK's larfg (beta = -sign(alpha) ||x||), so R's signs match it.
template <typename T>
FASTDL_HD void householder_qr(Mat<T> a, int64_t m, int64_t n, T* tau, int64_t tau_stride) {
  const int64_t k = m < n ? m : n;
  for (int64_t j = 0; j < k; ++j) {
    // ||x|| of the column below the diagonal as scale * sqrt(sum (x / scale)^2), so that
    // squares of very large or tiny entries neither overflow nor vanish (LAPACK's nrm2)
    const T alpha = a(j, j);
    T scale = abs_of(alpha);
    for (int64_t i = j + 1; i < m; ++i) scale = abs_of(a(i, j)) > scale ? abs_of(a(i, j)) : scale;
    T sigma = 0;
    for (int64_t i = j + 1; scale > T(0) && i < m; ++i) sigma += (a(i, j) / scale) * (a(i, j) / scale);
    T t = 0;
    if (sigma != T(0)) {
      const T norm = scale * std::sqrt((alpha / scale) * (alpha / scale) + sigma);
      const T beta = alpha >= T(0) ? -norm : norm;
      t = (beta - alpha) / beta;
      const T scale = T(1) / (alpha - beta);
      for (int64_t i = j + 1; i < m; ++i) a(i, j) *= scale;
      a(j, j) = beta;
      for (int64_t c = j + 1; c < n; ++c) {  // H_j applied to the trailing columns
        T w = a(j, c);
        for (int64_t i = j + 1; i < m; ++i) w += a(i, j) * a(i, c);
        w *= t;
        a(j, c) -= w;
        for (int64_t i = j + 1; i < m; ++i) a(i, c) -= w * a(i, j);
      }
    }
    tau[j * tau_stride] = t;
  }
}

// q (m x c, c <= m) <- the first c columns of Q = H_0 ... H_{k-1} from householder_qr's
// (a, tau) (LAPACK orgqr): the identity's columns, reflected from the last H_j back.
template <typename T>
FASTDL_HD void householder_q(Mat<const T> a, int64_t m, int64_t n, const T* tau, int64_t tau_stride, Mat<T> q,
                             int64_t c) {
  const int64_t k = m < n ? m : n;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t l = 0; l < c; ++l) q(i, l) = i == l ? T(1) : T(0);
  for (int64_t j = k - 1; j >= 0; --j) {
    const T t = tau[j * tau_stride];
    if (t == T(0)) continue;
    for (int64_t l = 0; l < c; ++l) {
      T w = q(j, l);
      for (int64_t i = j + 1; i < m; ++i) w += a(i, j) * q(i, l);
      w *= t;
      q(j, l) -= w;
      for (int64_t i = j + 1; i < m; ++i) q(i, l) -= w * a(i, j);
    }
  }
}

template <typename T> struct Eps;
template <> struct Eps<float> { static constexpr float value = 1.1920929e-07f; };
template <> struct Eps<double> { static constexpr double value = 2.220446049250313e-16; };

// Symmetric eigendecomposition by cyclic Jacobi rotations (Golub & Van Loan 8.5): from
// A's lower triangle (a is overwritten), w[i * w_stride] <- the eigenvalues ascending and
// v's columns <- their orthonormal eigenvectors. Sweeps until the off-diagonal mass is
// below (eps ||A||_F)^2; returns 0, or 1 if max_sweeps did not get there or A has an inf
// or NaN entry.
template <typename T>
FASTDL_HD int64_t eigh_jacobi(Mat<T> a, int64_t n, T* w, int64_t w_stride, Mat<T> v, int max_sweeps) {
  // Works on A / max|a_ij| (eigenvalues scaled back at the end): the convergence test sums
  // squares, which would overflow or vanish for very large or tiny entries.
  T big = 0;
  for (int64_t j = 0; j < n; ++j)
    for (int64_t i = j; i < n; ++i) big = abs_of(a(i, j)) > big ? abs_of(a(i, j)) : big;
  const T unscale = big > T(0) ? big : T(1);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      a(i, j) = (j > i ? a(j, i) : a(i, j)) / unscale;
      v(i, j) = i == j ? T(1) : T(0);
    }
  T total = 0;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) total += a(i, j) * a(i, j);
  const T tol = Eps<T>::value * Eps<T>::value * total;
  int64_t info = 1;
  // an inf or NaN entry: tol would be inf or NaN, so report it instead of sweeping
  const bool finite = total - total == T(0);
  for (int sweep = 0; finite && sweep <= max_sweeps; ++sweep) {
    T off = 0;
    for (int64_t j = 0; j < n; ++j)
      for (int64_t i = j + 1; i < n; ++i) off += 2 * a(i, j) * a(i, j);
    if (off <= tol) {
      info = 0;
      break;
    }
    if (sweep == max_sweeps) break;
    for (int64_t p = 0; p < n; ++p)
      for (int64_t q = p + 1; q < n; ++q) {
        const T apq = a(p, q);
        if (apq == T(0)) continue;
        // the rotation J (c s; -s c) on (p, q) that zeroes a(p, q) in J^T A J
        const T theta = (a(q, q) - a(p, p)) / (2 * apq);
        const T t = (theta >= T(0) ? T(1) : T(-1)) / (abs_of(theta) + std::sqrt(theta * theta + T(1)));
        const T c = T(1) / std::sqrt(t * t + T(1)), s = t * c;
        for (int64_t k = 0; k < n; ++k) {  // A J (columns p, q)
          const T akp = a(k, p), akq = a(k, q);
          a(k, p) = c * akp - s * akq;
          a(k, q) = s * akp + c * akq;
        }
        for (int64_t k = 0; k < n; ++k) {  // J^T (A J) (rows p, q)
          const T apk = a(p, k), aqk = a(q, k);
          a(p, k) = c * apk - s * aqk;
          a(q, k) = s * apk + c * aqk;
        }
        a(p, q) = a(q, p) = T(0);
        for (int64_t k = 0; k < n; ++k) {  // V J
          const T vkp = v(k, p), vkq = v(k, q);
          v(k, p) = c * vkp - s * vkq;
          v(k, q) = s * vkp + c * vkq;
        }
      }
  }
  for (int64_t i = 0; i < n; ++i) w[i * w_stride] = a(i, i) * unscale;
  for (int64_t i = 0; i < n; ++i) {  // selection sort, ascending, moving the vectors along
    int64_t lo = i;
    for (int64_t j = i + 1; j < n; ++j)
      if (w[j * w_stride] < w[lo * w_stride]) lo = j;
    if (lo == i) continue;
    const T tw = w[i * w_stride];
    w[i * w_stride] = w[lo * w_stride];
    w[lo * w_stride] = tw;
    for (int64_t k = 0; k < n; ++k) {
      const T tv = v(k, i);
      v(k, i) = v(k, lo);
      v(k, lo) = tv;
    }
  }
  return info;
}

// Thin SVD of a (m x n, m >= n) by one-sided Jacobi rotations (Hestenes; Demmel &
// Veselic 1992): column pairs of a are rotated until every pair is orthogonal to working
// precision (|a_p . a_q| <= eps ||a_p|| ||a_q||), accumulating the rotations in v. Then
// s[j * s_stride] <- ||a_j||, a's columns <- the left singular vectors a_j / s_j and v's
// columns <- the right ones (A = U diag(s) V^T), sorted by s descending. A column that is
// exactly zero (rank deficiency) gets a unit vector orthogonal to the previous columns
// (Gram-Schmidt on the standard basis), so U always has orthonormal columns. Returns 0,
// or 1 if max_sweeps did not get there or A has an inf or NaN entry. Relative accuracy of
// each singular value is about eps times the matrix's condition number at worst, and
// usually eps (one-sided Jacobi is accurate for small singular values, unlike eigh(A^T A)).
template <typename T>
FASTDL_HD int64_t svd_jacobi(Mat<T> a, int64_t m, int64_t n, T* s, int64_t s_stride, Mat<T> v, int max_sweeps) {
  // Works on A / max|a_ij| (singular values scaled back at the end): the dot products
  // would overflow or vanish for very large or tiny entries.
  T big = 0;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) big = abs_of(a(i, j)) > big ? abs_of(a(i, j)) : big;
  const bool finite = big - big == T(0);
  const T unscale = big > T(0) && finite ? big : T(1);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) a(i, j) = a(i, j) / unscale;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) v(i, j) = i == j ? T(1) : T(0);
  const T tol = Eps<T>::value * T(m);
  int64_t info = 1;
  for (int sweep = 0; finite && sweep < max_sweeps; ++sweep) {
    bool rotated = false;
    for (int64_t p = 0; p < n; ++p)
      for (int64_t q = p + 1; q < n; ++q) {
        T alpha = 0, beta = 0, gamma = 0;
        for (int64_t k = 0; k < m; ++k) {
          alpha += a(k, p) * a(k, p);
          beta += a(k, q) * a(k, q);
          gamma += a(k, p) * a(k, q);
        }
        if (gamma == T(0) || abs_of(gamma) <= tol * std::sqrt(alpha) * std::sqrt(beta)) continue;
        rotated = true;
        // the rotation (c s; -s c) on columns p, q that makes them orthogonal
        const T zeta = (beta - alpha) / (2 * gamma);
        const T t = (zeta >= T(0) ? T(1) : T(-1)) / (abs_of(zeta) + std::sqrt(zeta * zeta + T(1)));
        const T c = T(1) / std::sqrt(t * t + T(1)), sn = t * c;
        for (int64_t k = 0; k < m; ++k) {
          const T akp = a(k, p), akq = a(k, q);
          a(k, p) = c * akp - sn * akq;
          a(k, q) = sn * akp + c * akq;
        }
        for (int64_t k = 0; k < n; ++k) {
          const T vkp = v(k, p), vkq = v(k, q);
          v(k, p) = c * vkp - sn * vkq;
          v(k, q) = sn * vkp + c * vkq;
        }
      }
    if (!rotated) {
      info = 0;
      break;
    }
  }
  for (int64_t j = 0; j < n; ++j) {
    T nrm = 0;
    for (int64_t k = 0; k < m; ++k) nrm += a(k, j) * a(k, j);
    nrm = std::sqrt(nrm);
    s[j * s_stride] = nrm;
    if (nrm > T(0))
      for (int64_t k = 0; k < m; ++k) a(k, j) /= nrm;
  }
  for (int64_t i = 0; i < n; ++i) {  // selection sort, descending, moving the vectors along
    int64_t hi = i;
    for (int64_t j = i + 1; j < n; ++j)
      if (s[j * s_stride] > s[hi * s_stride]) hi = j;
    if (hi == i) continue;
    const T ts = s[i * s_stride];
    s[i * s_stride] = s[hi * s_stride];
    s[hi * s_stride] = ts;
    for (int64_t k = 0; k < m; ++k) {
      const T tu = a(k, i);
      a(k, i) = a(k, hi);
      a(k, hi) = tu;
    }
    for (int64_t k = 0; k < n; ++k) {
      const T tv = v(k, i);
      v(k, i) = v(k, hi);
      v(k, hi) = tv;
    }
  }
  // zero columns (sorted last): the first standard basis vector that stays long after
  // removing its components along the columns before (twice, for orthogonality)
  for (int64_t j = 0; j < n; ++j) {
    if (s[j * s_stride] > T(0)) continue;
    for (int64_t e = 0; e < m; ++e) {
      for (int64_t k = 0; k < m; ++k) a(k, j) = k == e ? T(1) : T(0);
      for (int pass = 0; pass < 2; ++pass)
        for (int64_t l = 0; l < j; ++l) {
          T d = 0;
          for (int64_t k = 0; k < m; ++k) d += a(k, l) * a(k, j);
          for (int64_t k = 0; k < m; ++k) a(k, j) -= d * a(k, l);
        }
      T nrm = 0;
      for (int64_t k = 0; k < m; ++k) nrm += a(k, j) * a(k, j);
      nrm = std::sqrt(nrm);
      if (nrm > T(0.5)) {
        for (int64_t k = 0; k < m; ++k) a(k, j) /= nrm;
        break;
      }
    }
  }
  for (int64_t j = 0; j < n; ++j) s[j * s_stride] *= unscale;
  return finite ? info : 1;
}

}  // namespace linalg
}  // namespace fastdl
