// CUDA linear and linear_backward with the contracts of csrc/cpu/linear.h, built from
// existing device kernels (no kernel of their own, hence plain C++): forward, the bias
// is broadcast into out by the strided copy kernel, then the GEMM adds x @ W^T to it
// (beta = 1), then an activation, if any, by the unary kernel; backward, two GEMMs over transposed views and a sum over rows.
#include "cpu/linear_args.h"
#include "cuda_api.h"
#include "matrix_views.h"
#include "layer_kernels.h"
#include "tensor_checks.h"

namespace fastdl {
namespace cuda {

void linear(const TensorArg& x, const TensorArg& weight, const OptTensor& bias, const TensorArg& out,
            const std::string& activation) {
  require_device("linear");
  check_linear_args(on_cuda("linear", x), x, weight, bias, out, activation);
  if (out.numel() == 0) return;
  if (bias) copy(repeated_rows(*bias, out.shape[0]), out);  // out starts as the bias
  matmul(x, transposed(weight), out, 1.0, bias ? 1.0 : 0.0);
  // Not a GEMM epilogue here: the unary kernel in place, one more pass over out.
  if (activation != "none") unary(activation, out, out, 0.0, 0.0);
}

void linear_backward(const TensorArg& grad, const OptTensor& x, const OptTensor& weight, const OptTensor& grad_x,
                     const OptTensor& grad_weight, const OptTensor& grad_bias) {
  require_device("linear_backward");
  const LinearDims d = check_linear_backward_args(on_cuda("linear_backward", grad), grad, x, weight, grad_x,
                                                  grad_weight, grad_bias);
  if (grad_x) matmul(grad, *weight, *grad_x, 1.0, 0.0);                  // (M, N) @ (N, K); zeros when N == 0
  if (grad_weight) matmul(transposed(grad), *x, *grad_weight, 1.0, 0.0);  // (N, M) @ (M, K); zeros when M == 0
  if (grad_bias) {
    TensorArg row = *grad_bias;  // the sum over dim 0 keeps that dim: (1, N)
    row.shape = {1, d.N};
    row.strides = {d.N, 1};
    reduce("sum", grad, row, {0});
  }
}

}  // namespace cuda
}  // namespace fastdl
