// Shape/dtype/stride checks of matmul(a, b, out), shared by the CPU kernel (gemm.cpp)
// and the CUDA kernel (cuda/gemm.cu); each backend adds its own device checks.
#pragma once
#include "../core/tensor_arg.h"

namespace fastdl {

void check_matmul_shapes(const TensorArg& a, const TensorArg& b, const TensorArg& out);

}  // namespace fastdl
