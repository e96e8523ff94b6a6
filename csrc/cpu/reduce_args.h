// Argument checks of reduce(op, x, out, dims), shared by the CPU kernel (reduce.cpp)
// and the CUDA kernel (cuda/reduce.cu) so both reject the same inputs with the same
// messages. Device checks stay with each backend.
#pragma once
#include <string>
#include <vector>

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

}  // namespace fastdl
