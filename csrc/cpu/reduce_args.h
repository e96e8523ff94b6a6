// Argument checks of reduce(op, x, out, dims), shared by the CPU kernel (reduce.cpp)
// and the CUDA kernel (cuda/reduce.cu) so both reject the same inputs with the same
// messages, and the kept/reduced split of x both walk. Device checks stay with each
// backend.
#pragma once
#include <string>
#include <vector>

#include "../common/strided_index.h"
#include "../core/tensor_arg.h"

namespace fastdl {

enum class ReduceKind { Sum, Prod, Max, Min, ArgMax, ArgMin, Any, All };

struct ReduceArgs {
  ReduceKind kind;
  std::vector<bool> reduced;  // per dim of x
  bool is_arg;                // argmax / argmin
};

ReduceArgs check_reduce_args(const std::string& op, const TensorArg& x, const TensorArg& out,
                             const std::vector<int64_t>& dims);

// x split into kept dims (which index the contiguous output, row-major) and reduced
// dims, each collapsed so the inner loops are as long as possible. Plain data: the
// CUDA kernels take it by value.
struct ReduceLayout {
  int nk = 0, nr = 0;
  int64_t kshape[kMaxDims], kstride[kMaxDims];
  int64_t rshape[kMaxDims], rstride[kMaxDims];
  int64_t out_numel = 1, red_numel = 1;
};

// keep_order: the reduced dims are walked in index order, so the reduced linear index
// is the row-major index into the reduced sub-tensor (what arg ops report). Otherwise
// they are walked largest stride first, so the innermost loop has the smallest stride.
ReduceLayout make_reduce_layout(const TensorArg& x, const std::vector<bool>& reduced, bool keep_order);

}  // namespace fastdl
