// CUDA factorizations and solves with the contract of csrc/cpu/linalg_factor.h: one
// thread per matrix of the batch, running common/linalg_factor.h's per-matrix code (the
// CPU kernel's arithmetic, in the same order). Simple and correct for the small matrices
// DL models factor (n up to a few dozen, many of them); a large single matrix would want
// a blocked, multi-thread factorization (cuSOLVER's getrf / potrf) instead.
#include "common.cuh"
#include "common/linalg_factor.h"
#include "cpu/linalg_factor.h"
#include "cpu/linalg_factor_args.h"
#include "cuda_api.h"
#include "tensor_checks.h"

namespace fastdl {
namespace cuda {

namespace {

template <typename T>
__device__ linalg::Mat<T> matrix(T* base, int64_t m, int64_t rows, int64_t cols) {
  return {base + m * rows * cols, cols, 1};
}

template <typename T>
__global__ void lu_factor_kernel(T* a, int64_t* piv, int64_t* info, FactorDims d) {
  FASTDL_GRID_STRIDE_LOOP(m, d.batch) info[m] = linalg::lu_factor(matrix(a, m, d.n, d.n), d.n, piv + m * d.n, 1);
}

template <typename T>
__global__ void lu_solve_kernel(const T* lu, const int64_t* piv, T* b, FactorDims d) {
  FASTDL_GRID_STRIDE_LOOP(m, d.batch)
  linalg::lu_solve(matrix(lu, m, d.n, d.n), d.n, piv + m * d.n, 1, matrix(b, m, d.n, d.nrhs), d.nrhs);
}

template <typename T>
__global__ void cholesky_kernel(T* a, int64_t* info, FactorDims d) {
  FASTDL_GRID_STRIDE_LOOP(m, d.batch) info[m] = linalg::cholesky(matrix(a, m, d.n, d.n), d.n);
}

template <typename T>
__global__ void solve_triangular_kernel(const T* a, T* b, FactorDims d, bool upper, bool unit) {
  FASTDL_GRID_STRIDE_LOOP(m, d.batch)
  linalg::solve_triangular(matrix(a, m, d.n, d.n), d.n, matrix(b, m, d.n, d.nrhs), d.nrhs, upper, unit);
}

template <typename T>
__global__ void qr_kernel(T* a, T* tau, T* q, QrDims d) {
  FASTDL_GRID_STRIDE_LOOP(i, d.batch) {
    const linalg::Mat<T> am = matrix(a, i, d.m, d.n);
    linalg::householder_qr(am, d.m, d.n, tau + i * d.k, 1);
    if (d.c > 0)
      linalg::householder_q(linalg::Mat<const T>{am.p, am.rs, am.cs}, d.m, d.n, tau + i * d.k, 1,
                            matrix(q, i, d.m, d.c), d.c);
  }
}

template <typename T>
__global__ void eigh_kernel(T* a, T* w, T* v, int64_t* info, FactorDims d) {
  FASTDL_GRID_STRIDE_LOOP(m, d.batch)
  info[m] = linalg::eigh_jacobi(matrix(a, m, d.n, d.n), d.n, w + m * d.n, 1, matrix(v, m, d.n, d.n),
                                cpu::kEighMaxSweeps);
}

template <typename T>
__global__ void svd_kernel(T* a, T* s, T* v, int64_t* info, QrDims d) {
  FASTDL_GRID_STRIDE_LOOP(i, d.batch)
  info[i] = linalg::svd_jacobi(matrix(a, i, d.m, d.n), d.m, d.n, s + i * d.n, 1, matrix(v, i, d.n, d.n),
                               cpu::kSvdMaxSweeps);
}

// Runs launch(grid) on a's device for a non-empty batch, then checks the launch.
template <typename Dims, typename F>
void launch_batch(const TensorArg& a, const Dims& d, F&& launch) {
  if (d.batch == 0) return;
  const int device = a.buf->device_index();
  DeviceGuard guard(device);
  launch(grid_size(d.batch, device));
  FASTDL_CUDA_CHECK(cudaGetLastError());
}

}  // namespace

void lu_factor(const TensorArg& a, const TensorArg& pivots, const TensorArg& info) {
  require_device("lu_factor");
  const FactorDims d = check_factor_args("lu_factor", on_cuda("lu_factor", a), a, &pivots, info);
  FASTDL_DISPATCH_FLOAT(a.dtype, "lu_factor", [&] {
    launch_batch(a, d, [&](unsigned grid) {
      lu_factor_kernel<<<grid, kBlockSize>>>(a.data<scalar_t>(), pivots.data<int64_t>(), info.data<int64_t>(), d);
    });
  })
}

void lu_solve(const TensorArg& lu, const TensorArg& pivots, const TensorArg& b) {
  require_device("lu_solve");
  const FactorDims d = check_solve_args("lu_solve", on_cuda("lu_solve", lu), lu, &pivots, b);
  FASTDL_DISPATCH_FLOAT(lu.dtype, "lu_solve", [&] {
    launch_batch(lu, d, [&](unsigned grid) {
      lu_solve_kernel<<<grid, kBlockSize>>>(static_cast<const scalar_t*>(lu.data<scalar_t>()),
                                            static_cast<const int64_t*>(pivots.data<int64_t>()),
                                            b.data<scalar_t>(), d);
    });
  })
}

void cholesky(const TensorArg& a, const TensorArg& info) {
  require_device("cholesky");
  const FactorDims d = check_factor_args("cholesky", on_cuda("cholesky", a), a, nullptr, info);
  FASTDL_DISPATCH_FLOAT(a.dtype, "cholesky", [&] {
    launch_batch(a, d, [&](unsigned grid) {
      cholesky_kernel<<<grid, kBlockSize>>>(a.data<scalar_t>(), info.data<int64_t>(), d);
    });
  })
}

void solve_triangular(const TensorArg& a, const TensorArg& b, bool upper, bool unitriangular) {
  require_device("solve_triangular");
  const FactorDims d = check_solve_args("solve_triangular", on_cuda("solve_triangular", a), a, nullptr, b);
  FASTDL_DISPATCH_FLOAT(a.dtype, "solve_triangular", [&] {
    launch_batch(a, d, [&](unsigned grid) {
      solve_triangular_kernel<<<grid, kBlockSize>>>(static_cast<const scalar_t*>(a.data<scalar_t>()),
                                                    b.data<scalar_t>(), d, upper, unitriangular);
    });
  })
}

void qr(const TensorArg& a, const TensorArg& tau, const TensorArg& q) {
  require_device("qr");
  const QrDims d = check_qr_args("qr", on_cuda("qr", a), a, tau, q);
  FASTDL_DISPATCH_FLOAT(a.dtype, "qr", [&] {
    launch_batch(a, d, [&](unsigned grid) {
      qr_kernel<<<grid, kBlockSize>>>(a.data<scalar_t>(), tau.data<scalar_t>(), q.data<scalar_t>(), d);
    });
  })
}

void eigh(const TensorArg& a, const TensorArg& w, const TensorArg& v, const TensorArg& info) {
  require_device("eigh");
  const FactorDims d = check_eigh_args("eigh", on_cuda("eigh", a), a, w, v, info);
  FASTDL_DISPATCH_FLOAT(a.dtype, "eigh", [&] {
    launch_batch(a, d, [&](unsigned grid) {
      eigh_kernel<<<grid, kBlockSize>>>(a.data<scalar_t>(), w.data<scalar_t>(), v.data<scalar_t>(),
                                        info.data<int64_t>(), d);
    });
  })
}

void svd(const TensorArg& a, const TensorArg& s, const TensorArg& v, const TensorArg& info) {
  require_device("svd");
  const QrDims d = check_svd_args("svd", on_cuda("svd", a), a, s, v, info);
  FASTDL_DISPATCH_FLOAT(a.dtype, "svd", [&] {
    launch_batch(a, d, [&](unsigned grid) {
      svd_kernel<<<grid, kBlockSize>>>(a.data<scalar_t>(), s.data<scalar_t>(), v.data<scalar_t>(),
                                       info.data<int64_t>(), d);
    });
  })
}

}  // namespace cuda
}  // namespace fastdl
