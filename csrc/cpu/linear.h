// CPU fully connected layer: one GEMM with the bias folded in as its initial C, and a
// backward that makes its two GEMMs and the bias sum in one call.
#pragma once
#include <optional>
#include <string>

#include "../core/tensor_arg.h"

namespace fastdl {
namespace cpu {

// out = act(x @ weight^T + bias) for x (M, K), weight (N, K), bias (N,) or none, out
// (M, N); act is "none", "relu", "tanh" or "sigmoid", applied as the GEMM's epilogue
// with the unary ops' arithmetic (bit-identical to linear, then the activation op).
// float32/float64, one dtype; x, weight, bias any strides; out contiguous and not
// overlapping the inputs.
void linear(const TensorArg& x, const TensorArg& weight, const std::optional<TensorArg>& bias,
            const TensorArg& out, const std::string& activation);

// The gradients of linear for grad = d(loss)/d(out) (M, N): grad_x = grad @ weight
// (M, K), grad_weight = grad^T @ x (N, K), grad_bias = grad summed over rows (N,).
// Each output is optional (None: not computed), contiguous, and written, not added to;
// x is needed only for grad_weight and weight only for grad_x (autograd saves only
// what it needs). Inputs any strides; one float dtype throughout.
void linear_backward(const TensorArg& grad, const std::optional<TensorArg>& x,
                     const std::optional<TensorArg>& weight, const std::optional<TensorArg>& grad_x,
                     const std::optional<TensorArg>& grad_weight, const std::optional<TensorArg>& grad_bias);

}  // namespace cpu
}  // namespace fastdl
