// The binary search of searchsorted / bucketize, shared by the CPU (csrc/cpu/search.cpp)
// and CUDA (cuda/search.cu) kernels, so the CPU tests exercise what the GPU runs.
#pragma once
#include <cstdint>

#include "hd.h"

namespace fastdl {
namespace search {

// The insertion point of v into seq[0..n) (sorted, NaN last): the first i with
// seq[i] >= v (right = false) or seq[i] > v (right = true). The tests are torch's,
// written as "move right while !(seq[mid] >= v)", so a NaN v goes past every element and a
// NaN in the sequence counts as larger than every number.
template <typename T>
FASTDL_HD int64_t insertion_point(const T* seq, int64_t n, T v, bool right) {
  int64_t lo = 0, hi = n;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    const T s = seq[mid];
    const bool after = right ? !(s > v) : !(s >= v);
    lo = after ? mid + 1 : lo;
    hi = after ? hi : mid;
  }
  return lo;
}

}  // namespace search
}  // namespace fastdl
