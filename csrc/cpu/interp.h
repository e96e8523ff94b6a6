// The separable step of F.interpolate's linear modes (linear, bilinear, trilinear): linear
// interpolation along one dim, and its adjoint. x and out are contiguous, of one float
// dtype, the same shape but for `dim` (n_in in x, n_out in out); i0, i1 (int64) and w0,
// w1 (x's dtype) are contiguous (n_out,) source indices in [0, n_in) and weights.
//   interp_linear(x, out, dim, i0, i1, w0, w1):
//     out[..., j, ...] = x[..., i0[j], ...] * w0[j] + x[..., i1[j], ...] * w1[j]
//     (both products rounded, then their sum: the bits of the composed index_select /
//     mul / add it replaces; the file is built without FMA contraction).
//   interp_linear_backward(g, gx, dim, i0, i1, w0, w1), g shaped as out, gx as x:
//     gx = 0, then for j = 0 .. n_out-1: gx[..., i0[j], ...] += g[..., j, ...] * w0[j],
//     gx[..., i1[j], ...] += g[..., j, ...] * w1[j].
// One pass each, no temporaries: the composed forward made four full-size tensors per dim.
#pragma once
#include <cstdint>

#include "../core/tensor_arg.h"

namespace fastdl {
namespace cpu {

void interp_linear(const TensorArg& x, const TensorArg& out, int64_t dim, const TensorArg& i0,
                   const TensorArg& i1, const TensorArg& w0, const TensorArg& w1);
void interp_linear_backward(const TensorArg& g, const TensorArg& gx, int64_t dim, const TensorArg& i0,
                            const TensorArg& i1, const TensorArg& w0, const TensorArg& w1);

}  // namespace cpu
}  // namespace fastdl
