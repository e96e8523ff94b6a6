#include "matmul_args.h"

#include <algorithm>

namespace fastdl {

namespace {

[[noreturn]] void fail_shapes(const std::string& what, const TensorArg& a, const TensorArg& b,
                              const TensorArg& out) {
  fail_value("matmul: " + what + " " + describe(a) + " @ " + describe(b) + " -> " + describe(out));
}

}  // namespace

void check_matmul_shapes(const TensorArg& a, const TensorArg& b, const TensorArg& out) {
  if (a.dtype != b.dtype || a.dtype != out.dtype)
    fail_type("matmul: dtype mismatch " + describe(a) + " @ " + describe(b) + " -> " + describe(out));
  if (a.ndim() < 2 || b.ndim() < 2 || out.ndim() < 2)
    fail_shapes("operands must be at least 2-D, got", a, b, out);
  if (a.shape[a.ndim() - 1] != b.shape[b.ndim() - 2])
    fail_value("matmul: shape mismatch " + describe(a) + " @ " + describe(b));
  if (a.ndim() != b.ndim() || a.ndim() != out.ndim() ||
      !std::equal(a.shape.begin(), a.shape.end() - 2, b.shape.begin()) ||
      !std::equal(a.shape.begin(), a.shape.end() - 2, out.shape.begin()))
    fail_shapes("batch dims differ", a, b, out);
  if (out.shape[out.ndim() - 2] != a.shape[a.ndim() - 2] ||
      out.shape[out.ndim() - 1] != b.shape[b.ndim() - 1])
    fail_shapes("out shape mismatch", a, b, out);
  for (int d = 0; d < out.ndim() && out.numel() > 0; ++d)
    if (out.shape[d] > 1 && out.strides[d] == 0)
      fail_shapes("out must not be a broadcast (stride 0) view", a, b, out);
  for (const TensorArg* t : {&a, &b, &out})
    for (int d = 0; d < t->ndim(); ++d)
      if (t->strides[d] < 0) fail_shapes("negative strides are not supported", a, b, out);
}

}  // namespace fastdl
