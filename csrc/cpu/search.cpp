#include "search.h"

#include "../common/search_ops.h"
#include "../core/parallel.h"

namespace fastdl {
namespace cpu {

void searchsorted(const TensorArg& seq, const TensorArg& values, const TensorArg& out, bool right) {
  const char* op = "searchsorted";
  check_cpu(op, seq);
  check_cpu(op, values);
  check_cpu(op, out);
  check_searchsorted_operands(seq, values, out);
  const int64_t rows = values.shape[0], K = values.shape[1], n = seq.shape[1];
  const int64_t seq_row_step = seq.shape[0] == 1 ? 0 : n;
  if (rows * K == 0) return;
  int64_t* o = out.data<int64_t>();
  FASTDL_DISPATCH_NUMERIC(seq.dtype, op, [&] {
    const scalar_t* s = seq.data<scalar_t>();
    const scalar_t* v = values.data<scalar_t>();
    // a query costs ~log2(n) dependent loads: counted as 64 items toward the threading grain
    parallel_for(rows * K, 64, [&](int64_t b, int64_t e) {
      for (int64_t q = b; q < e; ++q)
        o[q] = search::insertion_point(s + (q / K) * seq_row_step, n, v[q], right);
    });
  })
}

}  // namespace cpu
}  // namespace fastdl
