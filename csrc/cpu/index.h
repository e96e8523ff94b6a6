// CPU indexing kernels. Index tensors are int64 with any strides; an index i < 0 means
// i + size, and anything still outside [0, size) raises IndexError
// ("<op>: index 7 is out of bounds for dim 0 with size 5") before any write happens.
// `dim` may be negative (dim + ndim). 0-d tensors are rejected by the dim-based ops:
// Python reshapes scalars to 1-D first.
#pragma once
#include <cstdint>
#include "../core/tensor_arg.h"

namespace fastdl {
namespace cpu {

// out = x with dim replaced by len(index); x any strides; out contiguous, x's dtype.
void index_select(const TensorArg& x, int64_t dim, const TensorArg& index, const TensorArg& out);
// target[.., index[i], ..] += src[.., i, ..] (duplicates accumulate). target
// contiguous; src any strides, target's shape with dim replaced by len(index).
void index_add(const TensorArg& target, int64_t dim, const TensorArg& index, const TensorArg& src);
// index_add when accumulate, else assignment; with duplicate indices and
// accumulate=false the last occurrence in `index` wins (deterministic).
void index_put(const TensorArg& target, int64_t dim, const TensorArg& index, const TensorArg& src,
               bool accumulate);
// torch.gather: out[i][j][k] = x[i][index[i][j][k]][k] (dim=1). index has x's ndim and
// index.size(d) <= x.size(d) for d != dim; out has index's shape (any strides).
void gather(const TensorArg& x, int64_t dim, const TensorArg& index, const TensorArg& out);
// torch.Tensor.scatter_add_: target[i][index[i][j][k]][k] += src[i][j][k] (dim=1).
// target contiguous; index.size(d) <= src.size(d) for all d and <= target.size(d)
// for d != dim; src any strides.
void scatter_add(const TensorArg& target, int64_t dim, const TensorArg& index, const TensorArg& src);
// torch.Tensor.scatter_ (no reduce): target[i][index[i][j][k]][k] = src[i][j][k], the same
// operands but indices in [0, size) only (torch's rule); a repeated index keeps the last j (CPU only: CUDA runs ops/indexing_extra.py's
// index_put composition, which keeps the last too).
void scatter(const TensorArg& target, int64_t dim, const TensorArg& index, const TensorArg& src);
// Number of elements != 0 (NaN counts as nonzero), any dtype and strides.
int64_t count_nonzero(const TensorArg& x);
// out int64 (count_nonzero(x), x.ndim), contiguous: coordinates of the nonzero
// elements in row-major order (torch.nonzero).
void nonzero(const TensorArg& x, const TensorArg& out);

}  // namespace cpu
}  // namespace fastdl
