// torch.flip's index math, shared by the CPU (csrc/cpu/flip.cpp) and CUDA (cuda/flip.cu)
// kernels: the input seen as a view that walks the flipped dims backwards (a negative
// stride from the last element of each), so output element `linear` reads
// base + strided_offset(linear, ...) of it.
#pragma once
#include <cstddef>
#include <cstdint>

#include "hd.h"
#include "strided_index.h"

namespace fastdl {

struct FlippedView {
  int64_t base;                // element offset of the output's first element in the input
  int64_t strides[kMaxDims];   // the input's strides, negated along the flipped dims
};

// flip_mask bit d set: dim d is reversed.
FASTDL_HD FlippedView flipped_view(int ndim, const int64_t* shape, const int64_t* strides, uint32_t flip_mask) {
  FlippedView v{0, {}};
  for (int d = 0; d < ndim; ++d) {
    const bool flip = (flip_mask >> d) & 1u;
    v.strides[d] = flip ? -strides[d] : strides[d];
    if (flip && shape[d] > 0) v.base += (shape[d] - 1) * strides[d];
  }
  return v;
}

// flip copies elements as bytes: f(T{}) with the unsigned type of `bytes` bytes (complex128
// as two words); false when no type has that size.
struct Bytes16 { uint64_t lo, hi; };
template <typename F>
bool with_element_of_size(size_t bytes, F&& f) {
  switch (bytes) {
    case 1: f(uint8_t{}); return true;
    case 2: f(uint16_t{}); return true;
    case 4: f(uint32_t{}); return true;
    case 8: f(uint64_t{}); return true;
    case 16: f(Bytes16{}); return true;
    default: return false;
  }
}

}  // namespace fastdl
