#include "grad_norm.h"

#include <string>

#include "../core/dtype.h"

namespace fastdl {
namespace cpu {

namespace {

// Four independent partial sums so the loop pipelines (and vectorises) without
// reassociating one long chain.
template <typename T>
double sum_squares(const T* x, int64_t n) {
  double acc[4] = {0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int u = 0; u < 4; ++u) acc[u] += double(x[i + u]) * double(x[i + u]);
  for (; i < n; ++i) acc[0] += double(x[i]) * double(x[i]);
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

}  // namespace

double sum_squares_multi(const std::vector<TensorArg>& tensors) {
  double total = 0;
  for (const TensorArg& t : tensors) {
    check_cpu("sum_squares_multi", t);
    if (!t.is_contiguous())
      fail_value("sum_squares_multi: expected contiguous tensors, got " + describe(t));
    FASTDL_DISPATCH_FLOAT(t.dtype, "sum_squares_multi", [&] { total += sum_squares(t.data<scalar_t>(), t.numel()); });
  }
  return total;
}

}  // namespace cpu
}  // namespace fastdl
