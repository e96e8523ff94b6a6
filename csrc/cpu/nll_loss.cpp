#include "nll_loss.h"

#include <cstring>
#include <limits>

#include "nll_loss_args.h"

namespace fastdl {
namespace cpu {

double nll_loss(const TensorArg& x, const TensorArg& target, const std::optional<TensorArg>& weight,
                const TensorArg& out, int64_t ignore_index, int64_t reduction) {
  const char* op = "nll_loss";
  const CeArgs a = check_cross_entropy_args(op, on_cpu(op), x, target, weight, ignore_index, 0.0);
  const NllReduction r = checked_nll_reduction(op, reduction);
  check_nll_output(op, on_cpu(op), "out", out, r, a.N, x.dtype);
  for (int64_t i = 0; i < a.N; ++i) {  // every target checked before any write
    const int64_t t = a.target[i * a.tstride];
    if (t != ignore_index && (t < 0 || t >= a.C)) fail_target_out_of_bounds(op, t, a.C);
  }
  double total_weight = 0;
  FASTDL_DISPATCH_FLOAT(x.dtype, op, [&] {
    using T = scalar_t;
    const T* xp = x.data<T>();
    const T* w = weight ? weight->data<T>() : nullptr;
    const int64_t ws = weight ? weight->strides[0] : 0;
    T* o = out.data<T>();
    const int64_t os = r == NllReduction::None ? out.strides[0] : 0;
    double sum = 0;
    for (int64_t i = 0; i < a.N; ++i) {
      const int64_t t = a.target[i * a.tstride];
      if (t == ignore_index) {
        if (r == NllReduction::None) o[i * os] = T(0);
        continue;
      }
      const T wt = w ? w[t * ws] : T(1);
      const T loss = -(wt * xp[i * a.C + t]);
      if (r == NllReduction::None) o[i * os] = loss;
      sum += double(loss);
      total_weight += double(wt);
    }
    if (r == NllReduction::Sum) *o = T(sum);
    if (r == NllReduction::Mean) *o = T(total_weight != 0 ? sum / total_weight : std::numeric_limits<double>::quiet_NaN());
  });
  return total_weight;
}

void nll_loss_backward(const TensorArg& target, const std::optional<TensorArg>& weight, const TensorArg& grad,
                       const TensorArg& grad_x, int64_t ignore_index, int64_t reduction, double total_weight) {
  const char* op = "nll_loss_backward";
  const CeArgs a = check_cross_entropy_args(op, on_cpu(op), grad_x, target, weight, ignore_index, 0.0);
  const NllReduction r = checked_nll_reduction(op, reduction);
  check_nll_output(op, on_cpu(op), "grad", grad, r, a.N, grad_x.dtype);
  FASTDL_DISPATCH_FLOAT(grad_x.dtype, op, [&] {
    using T = scalar_t;
    T* gx = grad_x.data<T>();
    std::memset(gx, 0, static_cast<size_t>(a.N * a.C) * sizeof(T));
    const T* w = weight ? weight->data<T>() : nullptr;
    const int64_t ws = weight ? weight->strides[0] : 0;
    const T* g = grad.data<T>();
    const int64_t gs = r == NllReduction::None ? grad.strides[0] : 0;
    const T scale = r == NllReduction::Mean ? T(1.0 / total_weight) : T(1);
    for (int64_t i = 0; i < a.N; ++i) {
      const int64_t t = a.target[i * a.tstride];
      if (t == ignore_index || t < 0 || t >= a.C) continue;  // (the forward rejected out-of-range ones)
      const T wt = w ? w[t * ws] : T(1);
      gx[i * a.C + t] = -(wt * (g[i * gs] * scale));
    }
  });
}

}  // namespace cpu
}  // namespace fastdl
