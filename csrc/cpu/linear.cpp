#include "linear.h"

#include <initializer_list>
#include <string>
#include <vector>

#include "../core/parallel.h"
#include "gemm.h"

namespace fastdl {
namespace cpu {

void linear(const TensorArg& x, const TensorArg& weight, const std::optional<TensorArg>& bias,
            const TensorArg& out) {
  const std::string op = "linear";
  for (const TensorArg* t : {&x, &weight, &out}) check_cpu(op.c_str(), *t);
  if (!is_floating(x.dtype)) fail_type(op + ": expected a float32 or float64 input, got " + describe(x));
  if (x.ndim() != 2 || weight.ndim() != 2 || out.ndim() != 2)
    fail_value(op + ": expected 2-D input, weight and out, got " + describe(x) + ", " + describe(weight) + ", " +
               describe(out));
  const int64_t M = x.shape[0], K = x.shape[1], N = weight.shape[0];
  if (weight.shape[1] != K)
    fail_value(op + ": input " + describe(x) + " and weight " + describe(weight) +
               " disagree on in_features (weight must be (out_features, in_features))");
  if (out.shape[0] != M || out.shape[1] != N)
    fail_value(op + ": out must be [" + std::to_string(M) + ", " + std::to_string(N) + "], got " + describe(out));
  check_dtype(op.c_str(), weight, x.dtype);
  check_dtype(op.c_str(), out, x.dtype);
  if (out.numel() && !out.is_contiguous()) fail_value(op + ": out must be contiguous, got " + describe(out));
  if (bias) {
    check_cpu(op.c_str(), *bias);
    check_dtype(op.c_str(), *bias, x.dtype);
    if (bias->ndim() != 1 || bias->shape[0] != N)
      fail_value(op + ": bias must be [" + std::to_string(N) + "], got " + describe(*bias));
  }
  if (out.numel() == 0) return;
  FASTDL_DISPATCH_FLOAT(x.dtype, op, [&] {
    using T = scalar_t;
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
            weight.strides[0], bias ? T(1) : T(0), o, N, 1);
  })
}

namespace {

void check_output(const std::string& op, const TensorArg& t, const char* name, DType dtype,
                  std::initializer_list<int64_t> shape) {
  check_cpu(op.c_str(), t);
  check_dtype(op.c_str(), t, dtype);
  if (t.shape != std::vector<int64_t>(shape)) {
    std::string want;
    for (int64_t s : shape) want += (want.empty() ? "" : ", ") + std::to_string(s);
    fail_value(op + ": " + name + " must be [" + want + "], got " + describe(t));
  }
  if (t.numel() && !t.is_contiguous()) fail_value(op + ": " + name + " must be contiguous, got " + describe(t));
}

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
  const std::string op = "linear_backward";
  check_cpu(op.c_str(), grad);
  if (!is_floating(grad.dtype)) fail_type(op + ": expected a float32 or float64 grad, got " + describe(grad));
  if (grad.ndim() != 2) fail_value(op + ": expected a 2-D grad, got " + describe(grad));
  if (grad_x && !weight) fail_value(op + ": grad_input needs the weight");
  if (grad_weight && !x) fail_value(op + ": grad_weight needs the input");
  const int64_t M = grad.shape[0], N = grad.shape[1];
  // in_features from whichever of input and weight is given (checked against both below)
  const int64_t K = x && x->ndim() == 2 ? x->shape[1] : (weight && weight->ndim() == 2 ? weight->shape[1] : 0);
  if (x) {
    check_cpu(op.c_str(), *x);
    check_dtype(op.c_str(), *x, grad.dtype);
    if (x->ndim() != 2 || x->shape[0] != M)
      fail_value(op + ": input must be [" + std::to_string(M) + ", in_features] for grad " + describe(grad) +
                 ", got " + describe(*x));
  }
  if (weight) {
    check_cpu(op.c_str(), *weight);
    check_dtype(op.c_str(), *weight, grad.dtype);
    if (weight->ndim() != 2 || weight->shape[0] != N || weight->shape[1] != K)
      fail_value(op + ": weight must be [" + std::to_string(N) + ", " + std::to_string(K) + "] for grad " +
                 describe(grad) + (x ? " and input " + describe(*x) : std::string()) + ", got " + describe(*weight));
  }
  if (grad_x) check_output(op, *grad_x, "grad_input", grad.dtype, {M, K});
  if (grad_weight) check_output(op, *grad_weight, "grad_weight", grad.dtype, {N, K});
  if (grad_bias) check_output(op, *grad_bias, "grad_bias", grad.dtype, {N});
  FASTDL_DISPATCH_FLOAT(grad.dtype, op, [&] {
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
