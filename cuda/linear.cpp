// CUDA linear with the contract of csrc/cpu/linear.h, built from two existing device
// kernels (no kernel of its own, hence plain C++): the bias is broadcast into out by
// the strided copy kernel, then the GEMM adds x @ W^T to it (beta = 1).
#include "cpu/linear_args.h"
#include "cuda_api.h"
#include "layer_kernels.h"
#include "tensor_checks.h"

namespace fastdl {
namespace cuda {

void linear(const TensorArg& x, const TensorArg& weight, const OptTensor& bias, const TensorArg& out) {
  require_device("linear");
  check_linear_args(on_cuda("linear", x), x, weight, bias, out);
  if (out.numel() == 0) return;
  if (bias) {
    TensorArg rows = *bias;  // bias seen as (M, N) with a zero row stride
    rows.shape = out.shape;
    rows.strides = {0, bias->strides[0]};
    copy(rows, out);
  }
  TensorArg wt = weight;  // W^T: (K, N) over W's memory
  wt.shape = {weight.shape[1], weight.shape[0]};
  wt.strides = {weight.strides[1], weight.strides[0]};
  matmul(x, wt, out, 1.0, bias ? 1.0 : 0.0);
}

}  // namespace cuda
}  // namespace fastdl
