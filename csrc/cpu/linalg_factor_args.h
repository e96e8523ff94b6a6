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

}  // namespace fastdl
