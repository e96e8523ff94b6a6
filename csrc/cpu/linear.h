// CPU fully connected layer: one GEMM with the bias folded in as its initial C.
#pragma once
#include <optional>

#include "../core/tensor_arg.h"

namespace fastdl {
namespace cpu {

// out = x @ weight^T + bias for x (M, K), weight (N, K), bias (N,) or none, out (M, N).
// float32/float64, one dtype; x, weight, bias any strides; out contiguous and not
// overlapping the inputs.
void linear(const TensorArg& x, const TensorArg& weight, const std::optional<TensorArg>& bias,
            const TensorArg& out);

}  // namespace cpu
}  // namespace fastdl
