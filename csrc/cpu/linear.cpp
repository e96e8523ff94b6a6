#include "linear.h"

#include <string>

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

}  // namespace cpu
}  // namespace fastdl
