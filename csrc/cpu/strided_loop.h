// The CPU elementwise loop: walks N same-shape strided operands (broadcast operands
// carry stride 0) in the memory order of their dims (dim_order.h: the output's, where
// it decides), collapsing dimensions first so contiguous tensors become one flat loop
// the compiler vectorises, and a transposed output with transposed inputs one too.
// Rows are split across threads.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>

#include "../common/dim_order.h"
#include "../common/strided_index.h"
#include "../core/parallel.h"
#include "../core/tensor_arg.h"

namespace fastdl {

// inner(ptrs, inner_strides, n): process n elements starting at ptrs[k] (typed
// element pointers as char*), stepping inner_strides[k] bytes each.
template <int N, typename Inner>
void strided_loop(const std::array<const TensorArg*, N>& ops, Inner&& inner) {
  const TensorArg& ref = *ops[0];
  int ndim = ref.ndim();
  if (ndim > kMaxDims) fail_value("tensor has more than 16 dimensions");
  if (ref.numel() == 0) return;
  int64_t shape[kMaxDims];
  int64_t strides[N][kMaxDims];
  {
    int64_t given_strides[N][kMaxDims];
    for (int k = 0; k < N; ++k)
      for (int d = 0; d < ndim; ++d) given_strides[k][d] = ops[k]->strides[d];
    int perm[kMaxDims];
    order_dims(ndim, ref.shape.data(), N, given_strides, perm);
    for (int i = 0; i < ndim; ++i) {
      shape[i] = ref.shape[perm[i]];
      for (int k = 0; k < N; ++k) strides[k][i] = given_strides[k][perm[i]];
    }
  }
  ndim = collapse_dims(ndim, shape, N, strides);

  std::array<char*, N> base;
  std::array<int64_t, N> isz;
  for (int k = 0; k < N; ++k) {
    base[k] = ops[k]->bytes();
    isz[k] = static_cast<int64_t>(itemsize(ops[k]->dtype));
  }
  const int64_t inner_n = shape[ndim - 1];
  std::array<int64_t, N> inner_stride;
  for (int k = 0; k < N; ++k) inner_stride[k] = strides[k][ndim - 1] * isz[k];
  int64_t rows = 1;
  for (int d = 0; d < ndim - 1; ++d) rows *= shape[d];

  if (rows == 1 && inner_n >= 2 * kGrainSize) {
    // one long run (a contiguous tensor): threads take pieces of it, cut at multiples of
    // 64 elements; each element's result does not depend on the cut
    constexpr int64_t kPiece = 64;
    parallel_for((inner_n + kPiece - 1) / kPiece, kPiece, [&](int64_t c0, int64_t c1) {
      const int64_t i0 = c0 * kPiece, i1 = std::min(c1 * kPiece, inner_n);
      std::array<char*, N> p;
      for (int k = 0; k < N; ++k) p[k] = base[k] + i0 * inner_stride[k];
      inner(p, inner_stride, i1 - i0);
    });
    return;
  }
  // Each thread finds its first row's offsets by division, then steps an odometer over
  // the outer dims: with short rows (a (.., 64) tensor times a (64,) one) a division per
  // dim per row cost as much as the row itself.
  const int outer = ndim - 1;
  parallel_for(rows, inner_n, [&](int64_t r0, int64_t r1) {
    int64_t idx[kMaxDims];
    std::array<int64_t, N> off{};
    int64_t rem = r0;
    for (int d = outer - 1; d >= 0; --d) {
      idx[d] = rem % shape[d];
      rem /= shape[d];
      for (int k = 0; k < N; ++k) off[k] += idx[d] * strides[k][d];
    }
    std::array<char*, N> p;
    for (int64_t r = r0; r < r1; ++r) {
      for (int k = 0; k < N; ++k) p[k] = base[k] + off[k] * isz[k];
      inner(p, inner_stride, inner_n);
      for (int d = outer - 1; d >= 0; --d) {
        for (int k = 0; k < N; ++k) off[k] += strides[k][d];
        if (++idx[d] < shape[d]) break;
        for (int k = 0; k < N; ++k) off[k] -= shape[d] * strides[k][d];
        idx[d] = 0;
      }
    }
  });
}

}  // namespace fastdl
