// Argument checks of the indexing kernels (contracts in csrc/cpu/index.h), shared by
// the CPU and CUDA kernels: devices first (on_device), then dims, dtypes, layouts and
// shapes. The index VALUES are checked by each backend (a host loop on the CPU, a
// device scan on CUDA) and reported with fail_index_out_of_bounds, so both raise the
// same IndexError.
#pragma once
#include <cstdint>

#include "operand_check.h"

namespace fastdl {

// `dim` wrapped into [0, t.ndim()), or IndexError; ValueError above kMaxDims dims.
int wrap_index_dim(const char* op, int64_t dim, const TensorArg& t);

[[noreturn]] void fail_index_out_of_bounds(const char* op, int64_t value, int dim, int64_t size);

// index_select(x, dim, index, out): out contiguous, x's dtype, x's shape with dim
// replaced by len(index); index int64 1-D. Returns the wrapped dim.
int check_index_select_args(const DeviceCheck& on_device, const TensorArg& x, int64_t dim,
                            const TensorArg& index, const TensorArg& out);
// index_add / index_put(target, dim, index, src): target contiguous, src target's dtype
// and shape with dim replaced by len(index); index int64 1-D. Returns the wrapped dim.
int check_index_accumulate_args(const char* op, const DeviceCheck& on_device, const TensorArg& target,
                                int64_t dim, const TensorArg& index, const TensorArg& src);
// gather(x, dim, index, out): index int64 with x's ndim, fitting x outside dim; out
// x's dtype and index's shape. Returns the wrapped dim.
int check_gather_args(const DeviceCheck& on_device, const TensorArg& x, int64_t dim, const TensorArg& index,
                      const TensorArg& out);
// scatter_add / scatter(target, dim, index, src): target contiguous; index int64 fitting
// src, and target outside dim; src target's dtype. Returns the wrapped dim.
int check_scatter_add_args(const DeviceCheck& on_device, const TensorArg& target, int64_t dim,
                           const TensorArg& index, const TensorArg& src, const char* op = "scatter_add");

}  // namespace fastdl
