// Argument checks of the factorization kernels (contracts in csrc/cpu/linalg_factor.h),
// shared by the CPU and CUDA versions so both raise the same errors. Each returns the
// batch of matrices the kernel loops over.
#pragma once
#include <cstdint>

#include "operand_check.h"

namespace fastdl {

// `batch` matrices of n x n (and right-hand sides of n x nrhs), all contiguous.
struct FactorDims {
  int64_t batch = 1, n = 0, nrhs = 0;
};

// A factorization in place: a float (..., n, n); pivots (when given) int64 (..., n);
// info int64 (...).
FactorDims check_factor_args(const char* op, const DeviceCheck& on_device, const TensorArg& a,
                             const TensorArg* pivots, const TensorArg& info);
// A solve in place: a float (..., n, n), b a's dtype (..., n, nrhs) with a's batch
// dims, pivots (when given) int64 (..., n).
FactorDims check_solve_args(const char* op, const DeviceCheck& on_device, const TensorArg& a,
                            const TensorArg* pivots, const TensorArg& b);

// Householder QR: a float (..., m, n) in place, tau a's dtype (..., min(m, n)), q a's
// dtype (..., m, c) with c <= m (0: no Q).
struct QrDims {
  int64_t batch = 1, m = 0, n = 0, k = 0, c = 0;
};
QrDims check_qr_args(const char* op, const DeviceCheck& on_device, const TensorArg& a, const TensorArg& tau,
                     const TensorArg& q);
// Symmetric eigendecomposition: a float (..., n, n) in place, w a's dtype (..., n),
// v a's dtype (..., n, n), info int64 (...).
FactorDims check_eigh_args(const char* op, const DeviceCheck& on_device, const TensorArg& a, const TensorArg& w,
                           const TensorArg& v, const TensorArg& info);

// Thin SVD: a float (..., m, n) with m >= n in place (becomes U), s a's dtype (..., n),
// v a's dtype (..., n, n), info int64 (...). Returns (batch, m, n, k = n, c = 0).
QrDims check_svd_args(const char* op, const DeviceCheck& on_device, const TensorArg& a, const TensorArg& s,
                      const TensorArg& v, const TensorArg& info);

}  // namespace fastdl
