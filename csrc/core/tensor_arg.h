// TensorArg: what a kernel sees of a Python fastdl.Tensor — the buffer plus the view
// (dtype, shape, strides in elements, offset in elements). Kernels never allocate
// their outputs' metadata: Python decides shapes, C++ fills memory.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "buffer.h"
#include "dtype.h"

namespace fastdl {

struct TensorArg {
  BufferPtr buf;
  DType dtype = DType::Float32;
  std::vector<int64_t> shape;
  std::vector<int64_t> strides;
  int64_t offset = 0;

  int ndim() const { return static_cast<int>(shape.size()); }
  int64_t numel() const {
    int64_t n = 1;
    for (auto s : shape) n *= s;
    return n;
  }
  bool is_contiguous() const {
    if (numel() == 0) return true;  // no element is ever addressed (NumPy gives such views stride 0)
    int64_t expect = 1;
    for (int d = ndim() - 1; d >= 0; --d) {
      if (shape[d] != 1 && strides[d] != expect) return false;
      expect *= shape[d];
    }
    return true;
  }
  bool on_cpu() const { return buf->device() == DeviceType::CPU; }
  template <typename T>
  T* data() const { return static_cast<T*>(buf->data()) + offset; }
  char* bytes() const { return static_cast<char*>(buf->data()) + offset * itemsize(dtype); }
};

std::string describe(const TensorArg& t);  // "float32[2, 3] on cpu"

inline void check_same_shape(const char* op, const TensorArg& a, const TensorArg& b) {
  if (a.shape != b.shape) fail_value(std::string(op) + ": shape mismatch " + describe(a) + " vs " + describe(b));
}
inline void check_dtype(const char* op, const TensorArg& a, DType d) {
  if (a.dtype != d)
    fail_type(std::string(op) + ": expected dtype " + dtype_name(d) + ", got " + describe(a));
}
inline void check_cpu(const char* op, const TensorArg& a) {
  if (!a.on_cpu()) fail_value(std::string(op) + ": CPU kernel given " + describe(a));
}

}  // namespace fastdl
