// CUDA factorizations and solves with the contract of csrc/cpu/linalg_factor.h: one
// thread per matrix of the batch, running common/linalg_factor.h's per-matrix code (the
// CPU kernel's arithmetic, in the same order). Simple and correct for the small matrices
// DL models factor (n up to a few dozen, many of them); a large single matrix would want
// a blocked, multi-thread factorization (cuSOLVER's getrf / potrf) instead.
#include "common.cuh"
#include "common/linalg_factor.h"
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

// Runs launch(grid) on a's device for a non-empty batch, then checks the launch.
template <typename F>
void launch_batch(const TensorArg& a, const FactorDims& d, F&& launch) {
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

}  // namespace cuda
}  // namespace fastdl
