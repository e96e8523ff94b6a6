#include "index_args.h"

#include <string>
#include <vector>

#include "../common/strided_index.h"

namespace fastdl {

namespace {

// Empty views count as contiguous whatever their strides (NumPy gives them 0).
bool dense(const TensorArg& t) { return t.numel() == 0 || t.is_contiguous(); }

void require_dense(const char* op, const char* name, const TensorArg& t) {
  if (!dense(t)) fail_value(std::string(op) + ": " + name + " must be contiguous, got " + describe(t));
}

void check_index_1d(const char* op, const TensorArg& index) {
  check_dtype(op, index, DType::Int64);
  if (index.ndim() != 1) fail_value(std::string(op) + ": index must be 1-D, got " + describe(index));
}

// `other` must be `base` with dim resized to len(index) (1-D index).
void check_selected_shape(const char* op, const char* other_name, const TensorArg& other, const char* base_name,
                          const TensorArg& base, int dim, const TensorArg& index) {
  std::vector<int64_t> want = base.shape;
  want[dim] = index.shape[0];
  if (other.shape != want)
    fail_value(std::string(op) + ": " + other_name + " " + describe(other) + " does not match " + base_name + " " +
               describe(base) + " with " + std::to_string(index.shape[0]) + " indices along dim " +
               std::to_string(dim));
}

}  // namespace

int wrap_index_dim(const char* op, int64_t dim, const TensorArg& t) {
  const int nd = t.ndim();
  if (nd > kMaxDims) fail_value(std::string(op) + ": more than 16 dimensions in " + describe(t));
  if (dim < -nd || dim >= nd || nd == 0)
    fail_index(std::string(op) + ": dim " + std::to_string(dim) + " is out of range for " + describe(t));
  return static_cast<int>(dim < 0 ? dim + nd : dim);
}

void fail_index_out_of_bounds(const char* op, int64_t value, int dim, int64_t size) {
  fail_index(std::string(op) + ": index " + std::to_string(value) + " is out of bounds for dim " +
             std::to_string(dim) + " with size " + std::to_string(size));
}

int check_index_select_args(const DeviceCheck& on_device, const TensorArg& x, int64_t dim_in,
                            const TensorArg& index, const TensorArg& out) {
  const char* op = "index_select";
  on_device(x), on_device(index), on_device(out);
  const int dim = wrap_index_dim(op, dim_in, x);
  check_dtype(op, out, x.dtype);
  require_dense(op, "out", out);
  check_index_1d(op, index);
  check_selected_shape(op, "out", out, "x", x, dim, index);
  return dim;
}

int check_index_accumulate_args(const char* op, const DeviceCheck& on_device, const TensorArg& target,
                                int64_t dim_in, const TensorArg& index, const TensorArg& src) {
  on_device(target), on_device(index), on_device(src);
  const int dim = wrap_index_dim(op, dim_in, target);
  require_dense(op, "target", target);
  check_dtype(op, src, target.dtype);
  check_index_1d(op, index);
  check_selected_shape(op, "src", src, "target", target, dim, index);
  return dim;
}

int check_gather_args(const DeviceCheck& on_device, const TensorArg& x, int64_t dim_in, const TensorArg& index,
                      const TensorArg& out) {
  const char* op = "gather";
  on_device(x), on_device(index), on_device(out);
  const int dim = wrap_index_dim(op, dim_in, x);
  check_dtype(op, index, DType::Int64);
  check_dtype(op, out, x.dtype);
  const int nd = x.ndim();
  bool ok = index.ndim() == nd;
  for (int d = 0; ok && d < nd; ++d) ok = d == dim || index.shape[d] <= x.shape[d];
  if (!ok)
    fail_value(std::string(op) + ": index " + describe(index) + " must have x's ndim and fit x " + describe(x) +
               " outside dim " + std::to_string(dim));
  check_same_shape(op, out, index);
  return dim;
}

int check_scatter_add_args(const DeviceCheck& on_device, const TensorArg& target, int64_t dim_in,
                           const TensorArg& index, const TensorArg& src, const char* op) {
  on_device(target), on_device(index), on_device(src);
  const int dim = wrap_index_dim(op, dim_in, target);
  check_dtype(op, index, DType::Int64);
  check_dtype(op, src, target.dtype);
  require_dense(op, "target", target);
  const int nd = target.ndim();
  bool ok = index.ndim() == nd && src.ndim() == nd;
  for (int d = 0; ok && d < nd; ++d)
    ok = index.shape[d] <= src.shape[d] && (d == dim || index.shape[d] <= target.shape[d]);
  if (!ok)
    fail_value(std::string(op) + ": index " + describe(index) + " must have target's ndim, fit src " +
               describe(src) + " and fit target " + describe(target) + " outside dim " + std::to_string(dim));
  return dim;
}

}  // namespace fastdl
