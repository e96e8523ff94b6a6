#include "linear.h"

#include <vector>

#include "../core/parallel.h"
#include "gemm.h"
#include "linear_args.h"

namespace fastdl {
namespace cpu {

void linear(const TensorArg& x, const TensorArg& weight, const std::optional<TensorArg>& bias,
            const TensorArg& out, const std::string& activation) {
  const LinearDims d = check_linear_args(on_cpu("linear"), x, weight, bias, out, activation);
  const int64_t M = d.M, N = d.N, K = d.K;
  FASTDL_DISPATCH_FLOAT(x.dtype, "linear", [&] {
    using T = scalar_t;
    if (out.numel() == 0) return;
    const RowActivation<T> act = row_activation<T>(activation);
    T* o = out.data<T>();
    if (bias) {  // C starts as the broadcast bias; the GEMM adds x @ W^T to it (beta = 1)
      const T* b = bias->data<T>();
      const int64_t bs = bias->strides[0];
      parallel_for(M, N, [&](int64_t m0, int64_t m1) {
        for (int64_t m = m0; m < m1; ++m)
          for (int64_t n = 0; n < N; ++n) o[m * N + n] = b[n * bs];
      });
    }
    // B = W^T: B[k][n] = W[n][k], so B's row stride is W's column stride and vice versa
    gemm<T>(M, N, K, T(1), x.data<T>(), x.strides[0], x.strides[1], weight.data<T>(), weight.strides[1],
            weight.strides[0], bias ? T(1) : T(0), o, N, 1, act);
  })
}

namespace {

// out[n] = sum over m of g[m, n], accumulated in double.
template <typename T>
void column_sums(int64_t M, int64_t N, const T* g, int64_t rsg, int64_t csg, T* out) {
  parallel_for(N, M, [&](int64_t n0, int64_t n1) {
    std::vector<double> acc(static_cast<size_t>(n1 - n0), 0.0);
    for (int64_t m = 0; m < M; ++m) {
      const T* row = g + m * rsg;
      for (int64_t n = n0; n < n1; ++n) acc[n - n0] += row[n * csg];
    }
    for (int64_t n = n0; n < n1; ++n) out[n] = static_cast<T>(acc[n - n0]);
  });
}

}  // namespace

void linear_backward(const TensorArg& grad, const std::optional<TensorArg>& x,
                     const std::optional<TensorArg>& weight, const std::optional<TensorArg>& grad_x,
                     const std::optional<TensorArg>& grad_weight, const std::optional<TensorArg>& grad_bias) {
  const LinearDims d =
      check_linear_backward_args(on_cpu("linear_backward"), grad, x, weight, grad_x, grad_weight, grad_bias);
  const int64_t M = d.M, N = d.N, K = d.K;
  FASTDL_DISPATCH_FLOAT(grad.dtype, "linear_backward", [&] {
    using T = scalar_t;
    const T* g = grad.data<T>();
    const int64_t rsg = grad.strides[0], csg = grad.strides[1];
    if (grad_x && grad_x->numel())  // (M, N) @ (N, K); all zeros when N == 0
      gemm<T>(M, K, N, T(1), g, rsg, csg, weight->data<T>(), weight->strides[0], weight->strides[1], T(0),
              grad_x->data<T>(), K, 1);
    if (grad_weight && grad_weight->numel())  // grad^T (N, M) @ x (M, K)
      gemm<T>(N, K, M, T(1), g, csg, rsg, x->data<T>(), x->strides[0], x->strides[1], T(0),
              grad_weight->data<T>(), K, 1);
    if (grad_bias) column_sums<T>(M, N, g, rsg, csg, grad_bias->data<T>());
  })
}

}  // namespace cpu
}  // namespace fastdl
