#include "index.h"

#include <algorithm>
#include <type_traits>
#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "../common/strided_index.h"
#include "../core/parallel.h"
#include "index_args.h"
#include "strided_loop.h"

namespace fastdl {
namespace cpu {

namespace {

// Empty views count as contiguous whatever their strides (NumPy gives them 0).
bool dense(const TensorArg& t) { return t.numel() == 0 || t.is_contiguous(); }

// Reads a checked 1-D int64 index into [0, size), wrapping negatives, throwing on the
// first bad one.
std::vector<int64_t> load_index_1d(const char* op, const TensorArg& index, int dim, int64_t size) {
  const int64_t n = index.shape[0], s = index.strides[0];
  const int64_t* p = index.data<int64_t>();
  std::vector<int64_t> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t v = p[i * s], w = v < 0 ? v + size : v;
    if (w < 0 || w >= size) fail_index_out_of_bounds(op, v, dim, size);
    out[i] = w;
  }
  return out;
}

// Scans an N-d index before any write (a throw inside a parallel region would
// terminate the process) and reports one offending value.
// Values must lie in [-size, size) (negatives count from the end), or with
// non_negative in [0, size) (torch.scatter's rule).
void check_index_nd(const char* op, const TensorArg& index, int dim, int64_t size, bool non_negative = false) {
  const int64_t lowest = non_negative ? 0 : -size;
  std::atomic<bool> bad{false};
  int64_t bad_value = 0;
  std::mutex mu;
  strided_loop<1>({&index}, [&](std::array<char*, 1> p, std::array<int64_t, 1> s, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      const int64_t v = *reinterpret_cast<const int64_t*>(p[0] + i * s[0]);
      if (v < lowest || v >= size) {
        std::lock_guard<std::mutex> lock(mu);
        bad = true;
        bad_value = v;
        return;
      }
    }
  });
  if (bad) fail_index_out_of_bounds(op, bad_value, dim, size);
}

// Offsets (elements) of the row-major positions of a strided sub-view (the dims
// after `dim`): one stride when they collapse, else a table.
struct InnerWalk {
  int64_t count = 1, stride = 1;
  std::vector<int64_t> table;  // empty when `stride` describes the walk

  InnerWalk(int nd, const int64_t* shape_in, const int64_t* strides_in) {
    int64_t shape[kMaxDims], strides[1][kMaxDims];
    for (int d = 0; d < nd; ++d) {
      shape[d] = shape_in[d];
      strides[0][d] = strides_in[d];
      count *= shape_in[d];
    }
    int cd = collapse_dims(nd, shape, 1, strides);
    if (cd == 1) {
      stride = strides[0][0];
    } else {
      table.resize(static_cast<size_t>(count));
      for (int64_t k = 0; k < count; ++k) table[k] = strided_offset(k, cd, shape, strides[0]);
    }
  }
  int64_t at(int64_t k) const { return table.empty() ? k * stride : table[k]; }
};

// Product of shape[b:e]: the outer (before dim) or inner (after dim) extent.
int64_t prod(const std::vector<int64_t>& v, int b, int e) {
  int64_t p = 1;
  for (int d = b; d < e; ++d) p *= v[d];
  return p;
}

template <typename T>
void copy_row(T* dst, const T* src, const InnerWalk& w) {
  if (!w.table.empty()) {
    for (int64_t k = 0; k < w.count; ++k) dst[k] = src[w.table[k]];
  } else if (w.stride == 1) {
    std::copy(src, src + w.count, dst);
  } else {
    for (int64_t k = 0; k < w.count; ++k) dst[k] = src[k * w.stride];
  }
}

// index_add / index_put: checks shapes, then for each outer slice walks the index in
// order, so duplicates are applied sequentially. Threads split the outer dims or the
// inner dims, never the indexed one, so no two threads touch the same element.
void index_accumulate(const char* op, const TensorArg& target, int64_t dim_in, const TensorArg& index,
                      const TensorArg& src, bool accumulate) {
  const int dim = check_index_accumulate_args(op, on_cpu(op), target, dim_in, index, src);
  const std::vector<int64_t> idx = load_index_1d(op, index, dim, target.shape[dim]);
  const int64_t n = static_cast<int64_t>(idx.size());
  const int nd = target.ndim();
  const int64_t outer = prod(target.shape, 0, dim), inner = prod(target.shape, dim + 1, nd);
  const int64_t tsize = target.shape[dim];
  if (outer * n * inner == 0) return;
  const InnerWalk sw(nd - dim - 1, src.shape.data() + dim + 1, src.strides.data() + dim + 1);
  const int64_t s_dim = src.strides[dim];

  FASTDL_DISPATCH_ALL(target.dtype, op, [&] {
    using T = scalar_t;
    T* tp = target.data<T>();
    const T* sp = src.data<T>();
    // One slice row t[k0, k1) from s through src's inner walk; the walk's kind is fixed
    // for the whole op, so each case is its own loop (unit stride vectorises).
    auto row = [&](T* t, const T* s, int64_t k0, int64_t k1) {
      if (!sw.table.empty()) {
        if (accumulate) for (int64_t k = k0; k < k1; ++k) t[k] = static_cast<T>(t[k] + s[sw.table[k]]);
        else for (int64_t k = k0; k < k1; ++k) t[k] = s[sw.table[k]];
      } else if (sw.stride == 1) {
        if (accumulate) for (int64_t k = k0; k < k1; ++k) t[k] = static_cast<T>(t[k] + s[k]);
        else std::copy(s + k0, s + k1, t + k0);
      } else {
        const int64_t ss = sw.stride;
        if (accumulate) for (int64_t k = k0; k < k1; ++k) t[k] = static_cast<T>(t[k] + s[k * ss]);
        else for (int64_t k = k0; k < k1; ++k) t[k] = s[k * ss];
      }
    };
    auto body = [&](int64_t o0, int64_t o1, int64_t k0, int64_t k1) {
      for (int64_t o = o0; o < o1; ++o) {
        const T* s_o = sp + strided_offset(o, dim, src.shape.data(), src.strides.data());
        T* t_o = tp + o * tsize * inner;
        if (inner == 1) {  // along the last dim: one element per index
          if (accumulate) for (int64_t i = 0; i < n; ++i) t_o[idx[i]] = static_cast<T>(t_o[idx[i]] + s_o[i * s_dim]);
          else for (int64_t i = 0; i < n; ++i) t_o[idx[i]] = s_o[i * s_dim];
          continue;
        }
        for (int64_t i = 0; i < n; ++i) row(t_o + idx[i] * inner, s_o + i * s_dim, k0, k1);
      }
    };
    if (outer >= inner) {
      parallel_for(outer, n * inner, [&](int64_t b, int64_t e) { body(b, e, 0, inner); });
    } else {
      parallel_for(inner, outer * n, [&](int64_t b, int64_t e) { body(0, outer, b, e); });
    }
  })
}

template <typename F>
void walk_runs(const TensorArg& x, int64_t b, int64_t e, F&& f) {
  // Elements [b, e) of x in row-major order as runs along the innermost dim:
  // f(coord, k0, k1, off) covers coord[..last-1] with the last coordinate k0 <= k < k1, the
  // element at off + (k - k0) * stride. Sizes and strides are copied into locals: f's int64
  // writes (nonzero's rows) could alias the vectors' storage, and the compiler reloaded
  // them on every step.
  const int nd = x.ndim();
  int64_t coord[kMaxDims], shape[kMaxDims], strides[kMaxDims];
  for (int d = 0; d < nd; ++d) shape[d] = x.shape[d], strides[d] = x.strides[d];
  int64_t rem = b, off = 0;
  for (int d = nd - 1; d >= 0; --d) {
    coord[d] = rem % shape[d];
    rem /= shape[d];
    off += coord[d] * strides[d];
  }
  if (nd == 0) {  // one element
    if (b < e) f(coord, int64_t(0), int64_t(1), off);
    return;
  }
  const int last = nd - 1;
  const int64_t inner = shape[last], step = strides[last];
  for (int64_t i = b; i < e;) {
    const int64_t k0 = coord[last], k1 = std::min(inner, k0 + (e - i));
    f(coord, k0, k1, off);
    i += k1 - k0;
    if (k1 < inner) break;  // (only at e)
    off -= k0 * step;  // the row's start, then the outer dims' odometer step
    coord[last] = 0;
    for (int d = last - 1; d >= 0; --d) {
      off += strides[d];
      if (++coord[d] < shape[d]) break;
      off -= strides[d] * shape[d];
      coord[d] = 0;
    }
  }
}

// Element by element, f(off), over walk_runs.
template <typename F>
void walk_range(const TensorArg& x, int64_t b, int64_t e, F&& f) {
  const int64_t step = x.ndim() ? x.strides[x.ndim() - 1] : 0;
  walk_runs(x, b, e, [&](const int64_t*, int64_t k0, int64_t k1, int64_t off) {
    for (int64_t k = k0; k < k1; ++k, off += step) f(off);
  });
}

// nonzero's fill of elements [b, e): each one's coordinates at the next free row, which
// moves on only past a nonzero element (no branch on the data); past the last nonzero one
// the writes go to `spare`. W: the rank, or 0 for any. The last coordinate lives in a
// register: read back from memory right after its store, it stalled every element.
template <int W, typename T>
void fill_nonzero_rows(const TensorArg& x, const T* xp, int64_t b, int64_t e, int64_t* row, int64_t* end,
                       int64_t* spare) {
  const int64_t width = W ? W : x.ndim();
  const int64_t step = x.strides[x.ndim() - 1];
  walk_runs(x, b, e, [&row, end, spare, xp, width, step](const int64_t* coord, int64_t k0, int64_t k1, int64_t off) {
    int64_t outer[kMaxDims];
    for (int64_t d = 0; d + 1 < width; ++d) outer[d] = coord[d];
    for (int64_t k = k0; k < k1; ++k, off += step) {
      int64_t* dst = row < end ? row : spare;
      if constexpr (W > 0) {
        for (int d = 0; d + 1 < W; ++d) dst[d] = outer[d];
      } else {
        for (int64_t d = 0; d + 1 < width; ++d) dst[d] = outer[d];
      }
      dst[width - 1] = k;
      row += width * static_cast<int64_t>(xp[off] != T(0));  // a product, not a branch
    }
  });
}

// Splits x's elements into chunks for the count-then-fill passes of nonzero.
int64_t num_chunks(int64_t numel) {
  if (numel < kGrainSize) return 1;
  return std::min<int64_t>(numel / (kGrainSize / 4), static_cast<int64_t>(get_num_threads()) * 4);
}

std::vector<int64_t> chunk_counts(const TensorArg& x, int64_t chunks) {
  std::vector<int64_t> counts(static_cast<size_t>(chunks), 0);
  const int64_t numel = x.numel();
  FASTDL_DISPATCH_ALL(x.dtype, "count_nonzero", [&] {
    using T = scalar_t;
    const T* xp = x.data<T>();
    const bool flat = x.is_contiguous();
    parallel_for(chunks, numel / chunks, [&](int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c) {
        int64_t cnt = 0;
        const int64_t b = numel * c / chunks, e = numel * (c + 1) / chunks;
        if (flat) {  // one run: a loop the compiler vectorises (the walk's stride is no constant),
          // counting into 32-bit lanes (a bool mask's bytes widen to 64 bits at half the speed)
          for (int64_t i = b; i < e;) {
            const int64_t stop = std::min(e, i + (int64_t(1) << 30));
            uint32_t part = 0;
            if (std::is_same_v<T, bool>) {  // bool's bytes as numbers: GCC keeps a bool loop scalar
              const uint8_t* u = reinterpret_cast<const uint8_t*>(xp);
              for (; i < stop; ++i) part += u[i] != 0;
            } else {
              for (; i < stop; ++i) part += xp[i] != T(0);
            }
            cnt += part;
          }
        } else {
          walk_range(x, b, e, [&](int64_t off) { cnt += xp[off] != T(0); });
        }
        counts[c] = cnt;
      }
    });
  })
  return counts;
}

}  // namespace

void index_select(const TensorArg& x, int64_t dim_in, const TensorArg& index, const TensorArg& out) {
  const char* op = "index_select";
  const int dim = check_index_select_args(on_cpu(op), x, dim_in, index, out);
  const std::vector<int64_t> idx = load_index_1d(op, index, dim, x.shape[dim]);
  const int64_t n = static_cast<int64_t>(idx.size());
  const int nd = x.ndim();
  const int64_t outer = prod(x.shape, 0, dim);
  const InnerWalk xw(nd - dim - 1, x.shape.data() + dim + 1, x.strides.data() + dim + 1);
  const int64_t inner = xw.count, x_dim = x.strides[dim];
  if (outer * n * inner == 0) return;

  FASTDL_DISPATCH_ALL(x.dtype, op, [&] {
    using T = scalar_t;
    const T* xp = x.data<T>();
    T* op_ = out.data<T>();
    // Output rows r = o * n + i. The offset of outer slice o is found once per slice (it
    // costs a division per dim), and a selection along the last dim (inner == 1, e.g.
    // the width pass of bilinear upsampling) is a plain gather loop.
    parallel_for(outer * n, inner, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1;) {
        const int64_t o = r / n, i_end = std::min(n, r1 - o * n);
        const T* base = xp + strided_offset(o, dim, x.shape.data(), x.strides.data());
        T* dst = op_ + o * n * inner;
        if (inner == 1) {
          for (int64_t i = r - o * n; i < i_end; ++i) dst[i] = base[idx[i] * x_dim];
        } else {
          for (int64_t i = r - o * n; i < i_end; ++i) copy_row(dst + i * inner, base + idx[i] * x_dim, xw);
        }
        r = o * n + i_end;
      }
    });
  })
}

void index_add(const TensorArg& target, int64_t dim, const TensorArg& index, const TensorArg& src) {
  index_accumulate("index_add", target, dim, index, src, true);
}

void index_put(const TensorArg& target, int64_t dim, const TensorArg& index, const TensorArg& src,
               bool accumulate) {
  index_accumulate("index_put", target, dim, index, src, accumulate);
}

void gather(const TensorArg& x, int64_t dim_in, const TensorArg& index, const TensorArg& out) {
  const char* op = "gather";
  const int dim = check_gather_args(on_cpu(op), x, dim_in, index, out);
  const int64_t size = x.shape[dim];
  check_index_nd(op, index, dim, size);
  // x seen through index's shape, with the gathered dim contributing via the index.
  TensorArg xv = x;
  xv.shape = index.shape;
  xv.strides[dim] = 0;
  const int64_t x_dim = x.strides[dim];
  FASTDL_DISPATCH_ALL(x.dtype, op, [&] {
    using T = scalar_t;
    strided_loop<3>({&out, &index, &xv}, [&](std::array<char*, 3> p, std::array<int64_t, 3> s, int64_t n) {
      for (int64_t t = 0; t < n; ++t) {
        int64_t v = *reinterpret_cast<const int64_t*>(p[1] + t * s[1]);
        if (v < 0) v += size;
        *reinterpret_cast<T*>(p[0] + t * s[0]) = reinterpret_cast<const T*>(p[2] + t * s[2])[v * x_dim];
      }
    });
  })
}

namespace {

// scatter_add (Accumulate) and scatter: target[.., index[.., j, ..], ..] (+)= src[.., j, ..].
// Columns: index positions with dim removed. Each column owns distinct target elements,
// so threads split columns and walk the indexed dim serially; a repeated index in a
// column is written in j order, so an assignment keeps the last one (as index_put).
template <bool Accumulate>
void scatter_columns(const char* op, const TensorArg& target, int64_t dim_in, const TensorArg& index,
                     const TensorArg& src) {
  const int dim = check_scatter_add_args(on_cpu(op), target, dim_in, index, src, op);
  const int nd = target.ndim();
  const int64_t size = target.shape[dim];
  check_index_nd(op, index, dim, size, /*non_negative=*/!Accumulate);
  const int64_t n = index.shape[dim];
  if (index.numel() == 0) return;

  int64_t cshape[kMaxDims], cstr[3][kMaxDims];
  int cd = 0;
  int64_t tstride = 1;
  for (int d = nd - 1; d >= 0; --d) {
    if (d != dim) {
      cshape[d - (d > dim)] = index.shape[d];
      cstr[0][d - (d > dim)] = index.strides[d];
      cstr[1][d - (d > dim)] = src.strides[d];
      cstr[2][d - (d > dim)] = tstride;
      ++cd;
    }
    tstride *= target.shape[d];
  }
  const int64_t cols = index.numel() / n;
  const int64_t i_dim = index.strides[dim], s_dim = src.strides[dim];
  const int64_t t_dim = prod(target.shape, dim + 1, nd);
  FASTDL_DISPATCH_ALL(target.dtype, op, [&] {
    using T = scalar_t;
    const int64_t* ip = index.data<int64_t>();
    const T* sp = src.data<T>();
    T* tp = target.data<T>();
    parallel_for(cols, n, [&](int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c) {
        const int64_t* ic = ip + strided_offset(c, cd, cshape, cstr[0]);
        const T* sc = sp + strided_offset(c, cd, cshape, cstr[1]);
        T* tc = tp + strided_offset(c, cd, cshape, cstr[2]);
        for (int64_t j = 0; j < n; ++j) {
          int64_t v = ic[j * i_dim];
          if (v < 0) v += size;
          T& t = tc[v * t_dim];
          if constexpr (Accumulate)
            t = static_cast<T>(t + sc[j * s_dim]);
          else
            t = sc[j * s_dim];
        }
      }
    });
  })
}

}  // namespace

void scatter_add(const TensorArg& target, int64_t dim, const TensorArg& index, const TensorArg& src) {
  scatter_columns<true>("scatter_add", target, dim, index, src);
}

void scatter(const TensorArg& target, int64_t dim, const TensorArg& index, const TensorArg& src) {
  scatter_columns<false>("scatter", target, dim, index, src);
}

int64_t count_nonzero(const TensorArg& x) {
  check_cpu("count_nonzero", x);
  if (x.ndim() > kMaxDims) fail_value("count_nonzero: more than 16 dimensions in " + describe(x));
  const int64_t numel = x.numel();
  if (numel == 0) return 0;
  int64_t total = 0;
  for (int64_t c : chunk_counts(x, num_chunks(numel))) total += c;
  return total;
}

void nonzero(const TensorArg& x, const TensorArg& out) {
  const char* op = "nonzero";
  check_cpu(op, x);
  check_cpu(op, out);
  check_dtype(op, out, DType::Int64);
  if (x.ndim() > kMaxDims) fail_value("nonzero: more than 16 dimensions in " + describe(x));
  const int64_t numel = x.numel(), nd = x.ndim();
  const int64_t chunks = numel == 0 ? 1 : num_chunks(numel);
  std::vector<int64_t> start = numel == 0 ? std::vector<int64_t>{0} : chunk_counts(x, chunks);
  int64_t total = 0;
  for (auto& c : start) {  // counts -> exclusive prefix sums: each chunk's first row
    const int64_t cnt = c;
    c = total;
    total += cnt;
  }
  if (out.shape != std::vector<int64_t>{total, nd} || !dense(out))
    fail_value(std::string(op) + ": out must be contiguous int64[" + std::to_string(total) + ", " +
               std::to_string(nd) + "] for x " + describe(x) + ", got " + describe(out));
  if (total == 0 || nd == 0) return;
  int64_t* o = out.data<int64_t>();
  FASTDL_DISPATCH_ALL(x.dtype, op, [&] {
    using T = scalar_t;
    const T* xp = x.data<T>();
    parallel_for(chunks, numel / chunks, [&](int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c) {
        // Every element's coordinates are written at the next free row, which moves on only
        // past a nonzero one: no branch on the data (a random mask mispredicted ~half its
        // elements) and no library copy per row. Past the chunk's last nonzero element the
        // writes go to a spare row.
        int64_t* row = o + start[c] * nd;
        int64_t* const end = o + (c + 1 < chunks ? start[c + 1] : total) * nd;
        int64_t spare[kMaxDims];
        const int64_t b = numel * c / chunks, e = numel * (c + 1) / chunks;
        switch (nd) {  // a constant width for the usual ranks: GCC made the runtime-width copy a memmove call
          case 1: fill_nonzero_rows<1>(x, xp, b, e, row, end, spare); break;
          case 2: fill_nonzero_rows<2>(x, xp, b, e, row, end, spare); break;
          case 3: fill_nonzero_rows<3>(x, xp, b, e, row, end, spare); break;
          case 4: fill_nonzero_rows<4>(x, xp, b, e, row, end, spare); break;
          default: fill_nonzero_rows<0>(x, xp, b, e, row, end, spare);
        }
      }
    });
  })
}

}  // namespace cpu
}  // namespace fastdl
