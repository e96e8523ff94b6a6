#include "linalg_factor.h"

#include <string>

#include "../common/linalg_factor.h"
#include "../core/parallel.h"
#include "linalg_factor_args.h"

namespace fastdl {
namespace cpu {

namespace {

// fn(m) for every matrix of the batch, on the pool's threads when the batch is worth it
// (cost ~ n^3 per matrix).
template <typename F>
void for_each_matrix(const FactorDims& d, F&& fn) {
  parallel_for(d.batch, d.n * d.n * (d.n + d.nrhs), [&](int64_t b, int64_t e) {
    for (int64_t m = b; m < e; ++m) fn(m);
  });
}

template <typename T>
linalg::Mat<T> matrix(T* base, int64_t m, int64_t rows, int64_t cols) {
  return {base + m * rows * cols, cols, 1};
}

}  // namespace

void lu_factor(const TensorArg& a, const TensorArg& pivots, const TensorArg& info) {
  const FactorDims d = check_factor_args("lu_factor", on_cpu("lu_factor"), a, &pivots, info);
  FASTDL_DISPATCH_FLOAT(a.dtype, "lu_factor", [&] {
    scalar_t* ap = a.data<scalar_t>();
    int64_t *pp = pivots.data<int64_t>(), *ip = info.data<int64_t>();
    for_each_matrix(d, [&](int64_t m) { ip[m] = linalg::lu_factor(matrix(ap, m, d.n, d.n), d.n, pp + m * d.n, 1); });
  })
}

void lu_solve(const TensorArg& lu, const TensorArg& pivots, const TensorArg& b) {
  const FactorDims d = check_solve_args("lu_solve", on_cpu("lu_solve"), lu, &pivots, b);
  FASTDL_DISPATCH_FLOAT(lu.dtype, "lu_solve", [&] {
    const scalar_t* ap = lu.data<scalar_t>();
    const int64_t* pp = pivots.data<int64_t>();
    scalar_t* bp = b.data<scalar_t>();
    for_each_matrix(d, [&](int64_t m) {
      linalg::lu_solve(matrix(ap, m, d.n, d.n), d.n, pp + m * d.n, 1, matrix(bp, m, d.n, d.nrhs), d.nrhs);
    });
  })
}

void cholesky(const TensorArg& a, const TensorArg& info) {
  const FactorDims d = check_factor_args("cholesky", on_cpu("cholesky"), a, nullptr, info);
  FASTDL_DISPATCH_FLOAT(a.dtype, "cholesky", [&] {
    scalar_t* ap = a.data<scalar_t>();
    int64_t* ip = info.data<int64_t>();
    for_each_matrix(d, [&](int64_t m) { ip[m] = linalg::cholesky(matrix(ap, m, d.n, d.n), d.n); });
  })
}

void solve_triangular(const TensorArg& a, const TensorArg& b, bool upper, bool unitriangular) {
  const FactorDims d = check_solve_args("solve_triangular", on_cpu("solve_triangular"), a, nullptr, b);
  FASTDL_DISPATCH_FLOAT(a.dtype, "solve_triangular", [&] {
    const scalar_t* ap = a.data<scalar_t>();
    scalar_t* bp = b.data<scalar_t>();
    for_each_matrix(d, [&](int64_t m) {
      linalg::solve_triangular(matrix(ap, m, d.n, d.n), d.n, matrix(bp, m, d.n, d.nrhs), d.nrhs, upper,
                               unitriangular);
    });
  })
}

void qr(const TensorArg& a, const TensorArg& tau, const TensorArg& q) {
  const QrDims d = check_qr_args("qr", on_cpu("qr"), a, tau, q);
  FASTDL_DISPATCH_FLOAT(a.dtype, "qr", [&] {
    scalar_t *ap = a.data<scalar_t>(), *tp = tau.data<scalar_t>(), *qp = q.data<scalar_t>();
    parallel_for(d.batch, d.m * d.n * (d.n + d.c), [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const linalg::Mat<scalar_t> am = matrix(ap, i, d.m, d.n);
        linalg::householder_qr(am, d.m, d.n, tp + i * d.k, 1);
        if (d.c > 0)
          linalg::householder_q(linalg::Mat<const scalar_t>{am.p, am.rs, am.cs}, d.m, d.n, tp + i * d.k, 1,
                                matrix(qp, i, d.m, d.c), d.c);
      }
    });
  })
}

void eigh(const TensorArg& a, const TensorArg& w, const TensorArg& v, const TensorArg& info) {
  const FactorDims d = check_eigh_args("eigh", on_cpu("eigh"), a, w, v, info);
  FASTDL_DISPATCH_FLOAT(a.dtype, "eigh", [&] {
    scalar_t *ap = a.data<scalar_t>(), *wp = w.data<scalar_t>(), *vp = v.data<scalar_t>();
    int64_t* ip = info.data<int64_t>();
    for_each_matrix(d, [&](int64_t m) {
      ip[m] = linalg::eigh_jacobi(matrix(ap, m, d.n, d.n), d.n, wp + m * d.n, 1, matrix(vp, m, d.n, d.n),
                                  kEighMaxSweeps);
    });
  })
}

void svd(const TensorArg& a, const TensorArg& s, const TensorArg& v, const TensorArg& info) {
  const QrDims d = check_svd_args("svd", on_cpu("svd"), a, s, v, info);
  FASTDL_DISPATCH_FLOAT(a.dtype, "svd", [&] {
    scalar_t *ap = a.data<scalar_t>(), *sp = s.data<scalar_t>(), *vp = v.data<scalar_t>();
    int64_t* ip = info.data<int64_t>();
    parallel_for(d.batch, d.m * d.n * d.n * 8, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i)
        ip[i] = linalg::svd_jacobi(matrix(ap, i, d.m, d.n), d.m, d.n, sp + i * d.n, 1, matrix(vp, i, d.n, d.n),
                                   kSvdMaxSweeps);
    });
  })
}

}  // namespace cpu
}  // namespace fastdl
