#include "scan.h"

#include <string>

#include "../common/scan_ops.h"
#include "../core/parallel.h"
#include "softmax_args.h"

namespace fastdl {
namespace cpu {

void cumsum(const TensorArg& x, const TensorArg& out, int64_t dim, bool reverse) {
  const char* op = reverse ? "cumsum_backward" : "cumsum";
  check_cpu(op, x);
  check_cpu(op, out);
  check_same_shape(op, x, out);
  check_dtype(op, out, x.dtype);
  check_contiguous(op, "x", x);
  check_contiguous(op, "out", out);
  check_dim(op, x, dim);
  if (x.numel() == 0) return;
  // The tensor as (outer, L, inner) lines along dim: a line per (outer, inner) pair.
  const Dims3 d = split_at(x, dim);
  FASTDL_DISPATCH_NUMERIC(x.dtype, op, [&] {
    const scalar_t* xp = x.data<scalar_t>();
    scalar_t* yp = out.data<scalar_t>();
    parallel_for(d.outer * d.inner, d.L, [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c) {
        const int64_t off = (c / d.inner) * d.L * d.inner + c % d.inner;
        scan::cumsum_line(xp + off, yp + off, d.L, d.inner, reverse);
      }
    });
  })
}

void cum_extreme(const TensorArg& x, const TensorArg& values, const TensorArg& indices, int64_t dim, bool largest) {
  const char* op = largest ? "cummax" : "cummin";
  check_cpu(op, x);
  check_cpu(op, values);
  check_cpu(op, indices);
  check_cum_extreme_operands(op, x, values, indices, dim);
  if (x.numel() == 0) return;
  const Dims3 d = split_at(x, dim);
  FASTDL_DISPATCH_NUMERIC(x.dtype, op, [&] {
    const scalar_t* xp = x.data<scalar_t>();
    scalar_t* vp = values.data<scalar_t>();
    int64_t* ip = indices.data<int64_t>();
    parallel_for(d.outer * d.inner, d.L, [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c) {
        const int64_t off = (c / d.inner) * d.L * d.inner + c % d.inner;
        if (largest)
          scan::cum_extreme_line<true>(xp + off, vp + off, ip + off, d.L, d.inner);
        else
          scan::cum_extreme_line<false>(xp + off, vp + off, ip + off, d.L, d.inner);
      }
    });
  })
}

}  // namespace cpu
}  // namespace fastdl
