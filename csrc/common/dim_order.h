// The memory order of an elementwise op's dims, as torch's TensorIterator decides it
// (reorder_dimensions): dims sorted by the operands' strides, so that an output laid
// out in that order is walked densely and follows its inputs' layout (x.t() + 1 is
// transposed like x.t(), a channels-last input gives a channels-last result).
// Shared by the CPU loop (strided_loop.h, which walks dims in this order), the
// output allocation of the elementwise fronts (bind_elementwise_new.cpp) and,
// through nvcc, anything CUDA that includes it.
#pragma once
#include <cstdint>

#include "hd.h"
#include "strided_index.h"  // kMaxDims

namespace fastdl {

// Whether dim d0 belongs inside (-1) or outside (1) dim d1, or no operand tells (0):
// the first operand with a nonzero stride on both dims decides; a tie in strides puts
// the smaller dim inside (TensorIterator's should_swap).
FASTDL_HD int compare_dims(int d0, int d1, const int64_t* shape, int nops, const int64_t (*strides)[kMaxDims]) {
  for (int k = 0; k < nops; ++k) {
    const int64_t s0 = strides[k][d0], s1 = strides[k][d1];
    if (s0 == 0 || s1 == 0) continue;  // broadcast along one of them: ask the next operand
    if (s0 < s1) return -1;
    if (s0 > s1) return 1;
    if (shape[d0] > shape[d1]) return 1;
  }
  return 0;
}

// perm[0..ndim) = the dims from outermost to innermost. Starts from row-major and moves
// a dim only where an operand says so (a stable insertion sort), so contiguous operands
// keep the identity and undecided dims keep their row-major place.
FASTDL_HD void order_dims(int ndim, const int64_t* shape, int nops, const int64_t (*strides)[kMaxDims], int* perm) {
  int inner_first[kMaxDims];
  for (int i = 0; i < ndim; ++i) inner_first[i] = ndim - 1 - i;
  for (int i = 1; i < ndim; ++i) {
    int d1 = i;
    for (int d0 = i - 1; d0 >= 0; --d0) {
      const int c = compare_dims(inner_first[d0], inner_first[d1], shape, nops, strides);
      if (c > 0) {
        const int t = inner_first[d0];
        inner_first[d0] = inner_first[d1];
        inner_first[d1] = t;
        d1 = d0;
      } else if (c < 0) {
        break;
      }
    }
  }
  for (int i = 0; i < ndim; ++i) perm[i] = inner_first[ndim - 1 - i];
}

// Whether perm (outermost first) is 0, 1, ..., ndim - 1.
FASTDL_HD bool is_identity(int ndim, const int* perm) {
  for (int i = 0; i < ndim; ++i)
    if (perm[i] != i) return false;
  return true;
}

// Element strides of a dense tensor of `shape` whose dims lie in memory in `perm`'s
// order (outermost first); a size-0 dim counts as 1, as in row-major strides.
FASTDL_HD void dense_strides_in_order(int ndim, const int64_t* shape, const int* perm, int64_t* strides) {
  int64_t step = 1;
  for (int i = ndim - 1; i >= 0; --i) {
    strides[perm[i]] = step;
    step *= shape[perm[i]] > 1 ? shape[perm[i]] : 1;
  }
}

}  // namespace fastdl
