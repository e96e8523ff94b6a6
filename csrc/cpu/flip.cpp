#include "flip.h"

#include <cstring>

#include "../common/flip_view.h"
#include "../core/parallel.h"
#include "memory_runs.h"

namespace fastdl {
namespace cpu {

namespace {

// Copies rows of n elements of type T (an unsigned type of the element's size) from the
// flipped view into out.

template <typename T>
void flip_rows(const char* x, char* out, int ndim, const int64_t* shape, const FlippedView& v) {
  const int64_t n = shape[ndim - 1], step = v.strides[ndim - 1];
  int64_t rows = 1;
  for (int d = 0; d < ndim - 1; ++d) rows *= shape[d];
  const T* src = reinterpret_cast<const T*>(x) + v.base;
  T* dst = reinterpret_cast<T*>(out);
  parallel_for(rows, n, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T* s = src + strided_offset(r * n, ndim, shape, v.strides);
      T* o = dst + r * n;
      if (step == 1) {
        copy_run(o, s, size_t(n) * sizeof(T));
      } else if (step == -1) {
        for (int64_t j = 0; j < n; ++j) o[j] = s[-j];  // (vectorises as loads and lane reversal)
      } else {
        for (int64_t j = 0; j < n; ++j) o[j] = s[j * step];
      }
    }
  });
}

}  // namespace

void flip(const TensorArg& x, const TensorArg& out, const std::vector<int64_t>& dims) {
  check_cpu("flip", x);
  check_cpu("flip", out);
  const uint32_t mask = flip_mask(x, out, dims);
  if (x.numel() == 0) return;
  // the flipped view, then dims merged where both it and out run contiguously (a flip of
  // every dim of a contiguous tensor is one reversed run)
  int ndim = x.ndim();
  int64_t shape[kMaxDims];
  int64_t strides[2][kMaxDims];
  const FlippedView v = flipped_view(ndim, x.shape.data(), x.strides.data(), mask);
  int64_t expect = 1;
  for (int d = ndim - 1; d >= 0; --d) {
    shape[d] = x.shape[d];
    strides[0][d] = v.strides[d];
    strides[1][d] = expect;
    expect *= x.shape[d];
  }
  ndim = collapse_dims(ndim, shape, 2, strides);
  FlippedView merged{v.base, {}};
  for (int d = 0; d < ndim; ++d) merged.strides[d] = strides[0][d];
  const char* xp = x.bytes();
  char* op = out.bytes();
  const bool copied = with_element_of_size(itemsize(x.dtype), [&](auto element) {
    flip_rows<decltype(element)>(xp, op, ndim, shape, merged);
  });
  if (!copied) fail_type("flip: unsupported element size for " + describe(x));
}

}  // namespace cpu
}  // namespace fastdl
