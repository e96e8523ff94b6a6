#include "pad.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "../common/flip_view.h"
#include "../core/errors.h"
#include "../core/parallel.h"
#include "memory_runs.h"

namespace fastdl {
namespace cpu {

namespace {

void check_pad(const TensorArg& x, const TensorArg& out, const std::vector<int64_t>& left,
               const std::vector<int64_t>& right, const TensorArg& fill) {
  const char* op = "pad_constant";
  check_cpu(op, x);
  check_cpu(op, out);
  check_cpu(op, fill);
  check_dtype(op, out, x.dtype);
  check_dtype(op, fill, x.dtype);
  if (!out.is_contiguous()) fail_value(std::string(op) + ": out must be contiguous, got " + describe(out));
  if (fill.numel() != 1) fail_value(std::string(op) + ": fill must hold one element, got " + describe(fill));
  if (x.ndim() < 1 || x.ndim() > kMaxDims || out.ndim() != x.ndim() || int64_t(left.size()) != x.ndim() ||
      int64_t(right.size()) != x.ndim())
    fail_value(std::string(op) + ": expected one (left, right) pair per dim of " + describe(x) + " and out " +
               describe(out) + ", got " + std::to_string(left.size()) + " / " + std::to_string(right.size()));
  for (int64_t d = 0; d < x.ndim(); ++d)
    if (left[d] < 0 || right[d] < 0 || out.shape[d] != x.shape[d] + left[d] + right[d])
      fail_value(std::string(op) + ": dim " + std::to_string(d) + " padded by (" + std::to_string(left[d]) + ", " +
                 std::to_string(right[d]) + ") does not take " + describe(x) + " to " + describe(out));
}

// Planes of the last two dims (a leading 1 for 1-D input): each plane filled, or its rows
// filled or written around the input row, without per-row index arithmetic. Short rows
// (7 floats) copy inline (copy_run): a memcpy call per row cost more than the row.
template <typename T>
void pad_planes(const TensorArg& x, const TensorArg& out, const std::vector<int64_t>& left_dims, const T value) {
  const int nd = static_cast<int>(x.ndim()), lead = std::max(nd - 2, 0);
  const int64_t width = out.shape[nd - 1], n = x.shape[nd - 1], lw = left_dims[nd - 1], step = x.strides[nd - 1];
  const int64_t height = nd >= 2 ? out.shape[nd - 2] : 1, top = nd >= 2 ? left_dims[nd - 2] : 0;
  const int64_t in_height = nd >= 2 ? x.shape[nd - 2] : 1, row_step = nd >= 2 ? x.strides[nd - 2] : 0;
  const int64_t planes = out.numel() / (width * height);
  const T* src = reinterpret_cast<const T*>(x.bytes());
  T* dst = reinterpret_cast<T*>(out.bytes());
  auto write_row = [&](T* o, const T* s) {
    for (int64_t j = 0; j < lw; ++j) o[j] = value;
    if (step == 1)
      copy_run(o + lw, s, size_t(n) * sizeof(T));
    else
      for (int64_t j = 0; j < n; ++j) o[lw + j] = s[j * step];
    for (int64_t j = lw + n; j < width; ++j) o[j] = value;
  };
  parallel_for(planes, height * width, [&](int64_t p0, int64_t p1) {
    int64_t idx[kMaxDims] = {};  // the plane's index along each leading dim, advanced plane by plane
    for (int64_t p = p0, d = lead - 1; d >= 0; --d) {
      idx[d] = p % out.shape[d];
      p /= out.shape[d];
    }
    for (int64_t p = p0; p < p1; ++p) {
      T* o = dst + p * height * width;
      int64_t offset = 0;
      bool inside = n > 0;
      for (int d = 0; d < lead; ++d) {
        const int64_t i = idx[d] - left_dims[d];
        inside = inside && i >= 0 && i < x.shape[d];
        offset += i * x.strides[d];
      }
      for (int d = lead - 1; d >= 0 && ++idx[d] == out.shape[d]; --d) idx[d] = 0;
      if (!inside) {
        fill_run(o, height * width, value);
        continue;
      }
      for (int64_t h = 0; h < height; ++h, o += width) {
        const int64_t i = h - top;
        if (i < 0 || i >= in_height)
          fill_run(o, width, value);
        else
          write_row(o, src + offset + i * row_step);
      }
    }
  });
}

}  // namespace

void pad_constant(const TensorArg& x, const TensorArg& out, const std::vector<int64_t>& left,
                  const std::vector<int64_t>& right, const TensorArg& fill) {
  check_pad(x, out, left, right, fill);
  if (out.numel() == 0) return;
  const bool done = with_element_of_size(itemsize(x.dtype), [&](auto element) {
    using T = decltype(element);
    T value;
    std::memcpy(&value, fill.bytes(), sizeof(T));
    pad_planes<T>(x, out, left, value);
  });
  if (!done) fail_type("pad_constant: unsupported element size for " + describe(x));
}

}  // namespace cpu
}  // namespace fastdl
