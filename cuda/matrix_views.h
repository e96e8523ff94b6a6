// Views of 2-D operands for the drivers that build layers from the matmul kernel
// (linear.cpp, rnn_sequence.cpp): no copies, only shapes and strides.
#pragma once
#include <vector>

#include "core/tensor_arg.h"

namespace fastdl {
namespace cuda {

// t^T for a 2-D t: the same memory with the two dims (and strides) swapped.
inline TensorArg transposed(const TensorArg& t) {
  TensorArg tt = t;
  tt.shape = {t.shape[1], t.shape[0]};
  tt.strides = {t.strides[1], t.strides[0]};
  return tt;
}

// A 1-D vector (a bias) seen as `rows` x len rows, every row the vector (row stride 0).
inline TensorArg repeated_rows(const TensorArg& v, int64_t rows) {
  TensorArg r = v;
  r.shape = {rows, v.shape[0]};
  r.strides = {0, v.strides[0]};
  return r;
}

}  // namespace cuda
}  // namespace fastdl
