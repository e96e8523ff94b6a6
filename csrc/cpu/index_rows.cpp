#include "index_rows.h"

#include <cstring>

#include "../core/parallel.h"
#include "memory_runs.h"

namespace fastdl {
namespace cpu {

namespace {

// Odometer over a shape in row-major order, carrying one element offset per operand:
// step() moves to the next position and updates every offset by its operand's stride.
template <int N>
struct Odometer {
  const std::vector<int64_t>& shape;
  std::vector<int64_t> idx;
  std::vector<int64_t> strides[N];  // per operand, one per dim of shape
  int64_t off[N] = {};

  explicit Odometer(const std::vector<int64_t>& s) : shape(s), idx(s.size(), 0) {
    for (auto& st : strides) st.assign(s.size(), 0);
  }
  void step() {
    for (size_t j = shape.size(); j-- > 0;) {
      for (int k = 0; k < N; ++k) off[k] += strides[k][j];
      if (++idx[j] < shape[j]) return;
      for (int k = 0; k < N; ++k) off[k] -= strides[k][j] * shape[j];
      idx[j] = 0;
    }
  }
};

// The element offsets of a row's trailing block (dims from `first` on) in row-major
// order: one run of `count` unit-stride elements when the dims collapse to that, else a
// table.
struct BlockWalk {
  int64_t count = 1;
  bool unit = true;
  std::vector<int64_t> table;

  explicit BlockWalk(int64_t n) : count(n) {}  // a contiguous block
  BlockWalk(const std::vector<int64_t>& shape, const std::vector<int64_t>& strides, size_t first) {
    int64_t expect = 1;
    for (size_t d = shape.size(); d-- > first;) {
      if (shape[d] != 1 && strides[d] != expect) unit = false;
      expect *= shape[d];
      count *= shape[d];
    }
    if (unit || count == 0) return;
    const std::vector<int64_t> dims(shape.begin() + static_cast<std::ptrdiff_t>(first), shape.end());
    Odometer<1> walk(dims);
    walk.strides[0].assign(strides.begin() + static_cast<std::ptrdiff_t>(first), strides.end());
    table.resize(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i, walk.step()) table[i] = walk.off[0];
  }
  int64_t at(int64_t i) const { return unit ? i : table[i]; }
};

template <size_t S>
struct Element {
  unsigned char bytes[S];
};

// Copies a block of `count` elements of S bytes from src (walk sw) to dst (walk dw).
template <size_t S>
void copy_block(char* dst, const BlockWalk& dw, const char* src, const BlockWalk& sw) {
  using E = Element<S>;
  E* d = reinterpret_cast<E*>(dst);
  const E* s = reinterpret_cast<const E*>(src);
  if (dw.count == 1) {  // one element per row (q[rows, actions], x[mask] over all dims)
    *d = *s;
    return;
  }
  if (dw.unit && sw.unit) {
    copy_run(d, s, static_cast<size_t>(dw.count) * S);
    return;
  }
  for (int64_t i = 0; i < dw.count; ++i) d[dw.at(i)] = s[sw.at(i)];
}

template <typename F>
void with_element_size(size_t size, F&& f) {
  switch (size) {
    case 1: f(std::integral_constant<size_t, 1>{}); return;
    case 2: f(std::integral_constant<size_t, 2>{}); return;
    case 4: f(std::integral_constant<size_t, 4>{}); return;
    case 8: f(std::integral_constant<size_t, 8>{}); return;
    default: f(std::integral_constant<size_t, 16>{}); return;
  }
}

int64_t read_index(const TensorArg& key, int64_t element) {
  return key.dtype == DType::Int32 ? static_cast<int64_t>(key.data<int32_t>()[element]) : key.data<int64_t>()[element];
}

std::vector<int64_t> broadcast_shape(const std::vector<TensorArg>& keys, bool* ok) {
  size_t nd = 0;
  for (const TensorArg& k : keys) nd = std::max(nd, k.shape.size());
  std::vector<int64_t> out(nd, 1);
  *ok = true;
  for (const TensorArg& k : keys)
    for (size_t j = 0; j < k.shape.size(); ++j) {
      int64_t& o = out[nd - k.shape.size() + j];
      const int64_t s = k.shape[j];
      if (s == o || s == 1) continue;
      if (o != 1) *ok = false;
      o = s;
    }
  return out;
}

// Whether x's first m dims step through memory by one stride (*stride) in row-major order.
bool collapsed_stride(const TensorArg& x, int m, int64_t* stride) {
  int64_t s = 0, expect = 0;
  bool first = true;
  for (int d = m; d-- > 0;) {
    if (x.shape[d] == 1) continue;
    if (first) {
      s = x.strides[d];
      expect = s * x.shape[d];
      first = false;
    } else if (x.strides[d] != expect) {
      return false;
    } else {
      expect *= x.shape[d];
    }
  }
  *stride = s;
  return true;
}

}  // namespace

std::optional<RowPlan> plan_index_rows(const TensorArg& x, const std::vector<TensorArg>& keys, bool positions) {
  RowPlan plan;
  plan.m = static_cast<int>(keys.size());
  bool ok = false;
  plan.lead = broadcast_shape(keys, &ok);
  if (!ok) return std::nullopt;
  int64_t n = 1;
  for (int64_t s : plan.lead) n *= s;
  plan.offsets.resize(static_cast<size_t>(n));
  if (positions) plan.positions.resize(static_cast<size_t>(n));
  if (n == 0) return plan;
  if (plan.m == 1 && keys[0].ndim() == 1) {  // x[idx]: the common case, without the odometer
    const TensorArg& key = keys[0];
    const int64_t size = x.shape[0], ks = key.strides[0], xs = x.strides[0];
    for (int64_t i = 0; i < n; ++i) {
      const int64_t v = read_index(key, i * ks), w = v < 0 ? v + size : v;
      if (w < 0 || w >= size) return std::nullopt;
      plan.offsets[i] = w * xs;
      if (positions) plan.positions[i] = w;
    }
    return plan;
  }
  // Each key's stride along each dim of the broadcast shape (0 where it broadcasts).
  constexpr int kMaxKeys = 8;
  const int m = plan.m;
  if (m > kMaxKeys) return std::nullopt;  // (the general path takes it)
  Odometer<kMaxKeys> walk(plan.lead);
  const size_t nd = plan.lead.size();
  for (int k = 0; k < m; ++k) {
    const TensorArg& key = keys[k];
    for (size_t j = 0; j < key.shape.size(); ++j)
      if (key.shape[j] != 1) walk.strides[k][nd - key.shape.size() + j] = key.strides[j];
  }
  for (int64_t i = 0; i < n; ++i, walk.step()) {
    int64_t pos = 0, off = 0;
    for (int d = 0; d < m; ++d) {
      const int64_t size = x.shape[d], v = read_index(keys[d], walk.off[d]), w = v < 0 ? v + size : v;
      if (w < 0 || w >= size) return std::nullopt;
      pos = pos * size + w;
      off += w * x.strides[d];
    }
    plan.offsets[i] = off;
    if (positions) plan.positions[i] = pos;
  }
  return plan;
}

RowPlan plan_mask_rows(const TensorArg& x, const TensorArg& mask, bool positions) {
  RowPlan plan;
  plan.m = mask.ndim();
  int64_t rows = 1;
  for (int64_t s : mask.shape) rows *= s;
  int64_t row_stride = 0;
  if (mask.is_contiguous() && collapsed_stride(x, plan.m, &row_stride)) {  // the common case, without the odometer
    const bool* mp = mask.data<bool>();
    for (int64_t r = 0; r < rows; ++r) {
      if (!mp[r]) continue;
      plan.offsets.push_back(r * row_stride);
      if (positions) plan.positions.push_back(r);
    }
    plan.lead = {static_cast<int64_t>(plan.offsets.size())};
    return plan;
  }
  Odometer<2> walk(mask.shape);  // operand 0: the mask, 1: x
  walk.strides[0] = mask.strides;
  walk.strides[1].assign(x.strides.begin(), x.strides.begin() + plan.m);
  const bool* mp = mask.data<bool>();
  for (int64_t r = 0; r < rows; ++r, walk.step()) {
    if (!mp[walk.off[0]]) continue;
    plan.offsets.push_back(walk.off[1]);
    if (positions) plan.positions.push_back(r);
  }
  plan.lead = {static_cast<int64_t>(plan.offsets.size())};
  return plan;
}

void gather_rows(const TensorArg& x, const RowPlan& plan, const TensorArg& out) {
  const BlockWalk xw(x.shape, x.strides, static_cast<size_t>(plan.m));
  const BlockWalk ow(xw.count);  // out is contiguous
  const int64_t n = static_cast<int64_t>(plan.offsets.size()), block = xw.count;
  if (n * block == 0) return;
  const size_t size = itemsize(x.dtype);
  const char* xp = x.bytes();
  char* op = out.bytes();
  with_element_size(size, [&](auto s) {
    constexpr size_t S = decltype(s)::value;
    parallel_for(n, block, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r)
        copy_block<S>(op + r * block * S, ow, xp + plan.offsets[r] * S, xw);
    });
  });
}

void put_rows(const TensorArg& x, const RowPlan& plan, const TensorArg& src) {
  const size_t m = static_cast<size_t>(plan.m), nd = plan.lead.size();
  const BlockWalk xw(x.shape, x.strides, m);
  const BlockWalk sw(src.shape, src.strides, nd);
  const int64_t n = static_cast<int64_t>(plan.offsets.size());
  if (n * xw.count == 0) return;
  Odometer<1> rows(plan.lead);  // src's row offsets
  rows.strides[0].assign(src.strides.begin(), src.strides.begin() + static_cast<std::ptrdiff_t>(nd));
  const size_t size = itemsize(x.dtype);
  char* xp = x.bytes();
  const char* sp = src.bytes();
  with_element_size(size, [&](auto s) {
    constexpr size_t S = decltype(s)::value;
    if (nd == 1) {  // src rows one stride apart: no odometer
      const int64_t step = src.strides[0];
      for (int64_t r = 0; r < n; ++r) copy_block<S>(xp + plan.offsets[r] * S, xw, sp + r * step * S, sw);
      return;
    }
    for (int64_t r = 0; r < n; ++r, rows.step())
      copy_block<S>(xp + plan.offsets[r] * S, xw, sp + rows.off[0] * S, sw);
  });
}

}  // namespace cpu
}  // namespace fastdl
