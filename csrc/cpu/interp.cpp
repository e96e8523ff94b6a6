#include "interp.h"

#include <string>

#include "../core/dtype.h"
#include "../core/errors.h"
#include "../core/parallel.h"

namespace fastdl {
namespace cpu {

namespace {

// x / gx seen as (outer, n_in, inner) and out / g as (outer, n_out, inner).
struct Layout {
  int64_t outer = 1, n_in = 0, n_out = 0, inner = 1;
};

// The indices and weights as both loops read them.
template <typename T>
struct Taps {
  const int64_t *j0, *j1;
  const T *a, *b;
  Taps(const TensorArg& i0, const TensorArg& i1, const TensorArg& w0, const TensorArg& w1)
      : j0(i0.data<int64_t>()), j1(i1.data<int64_t>()), a(w0.data<T>()), b(w1.data<T>()) {}
};

// The checks both entry points run; `a` has the source extent, `b` the interpolated one.

Layout check_interp(const char* op, const TensorArg& a, const TensorArg& b, int64_t dim, const TensorArg& i0,
                    const TensorArg& i1, const TensorArg& w0, const TensorArg& w1) {
  for (const TensorArg* t : {&a, &b, &i0, &i1, &w0, &w1}) {
    check_cpu(op, *t);
    if (!t->is_contiguous()) fail_value(std::string(op) + ": expected contiguous tensors, got " + describe(*t));
  }
  check_dtype(op, b, a.dtype);
  check_dtype(op, w0, a.dtype);
  check_dtype(op, w1, a.dtype);
  check_dtype(op, i0, DType::Int64);
  check_dtype(op, i1, DType::Int64);
  if (dim < 0 || dim >= a.ndim() || a.ndim() != b.ndim())
    fail_value(std::string(op) + ": dim " + std::to_string(dim) + " out of range for " + describe(a) + " and " +
               describe(b));
  Layout l;
  for (int64_t d = 0; d < a.ndim(); ++d) {
    if (d != dim && a.shape[d] != b.shape[d])
      fail_value(std::string(op) + ": shapes differ outside dim " + std::to_string(dim) + ": " + describe(a) +
                 " vs " + describe(b));
    if (d < dim) l.outer *= a.shape[d];
    if (d > dim) l.inner *= a.shape[d];
  }
  l.n_in = a.shape[dim];
  l.n_out = b.shape[dim];
  for (const TensorArg* t : {&i0, &i1, &w0, &w1})
    if (t->ndim() != 1 || t->shape[0] != l.n_out)
      fail_value(std::string(op) + ": expected indices and weights of shape (" + std::to_string(l.n_out) + "), got " +
                 describe(*t));
  for (const TensorArg* t : {&i0, &i1}) {
    const int64_t* ix = t->data<int64_t>();
    for (int64_t j = 0; j < l.n_out; ++j)
      if (ix[j] < 0 || ix[j] >= l.n_in)
        fail_index(std::string(op) + ": source index " + std::to_string(ix[j]) + " out of range for size " +
                   std::to_string(l.n_in) + " in " + describe(a));
  }
  return l;
}

}  // namespace

void interp_linear(const TensorArg& x, const TensorArg& out, int64_t dim, const TensorArg& i0, const TensorArg& i1,
                   const TensorArg& w0, const TensorArg& w1) {
  const Layout l = check_interp("interp_linear", x, out, dim, i0, i1, w0, w1);
  if (out.numel() == 0) return;
  FASTDL_DISPATCH_FLOAT(x.dtype, "interp_linear", [&] {
    using T = scalar_t;
    const T* xp = x.data<T>();
    T* op = out.data<T>();
    const Taps<T> w(i0, i1, w0, w1);
    const int64_t n_in = l.n_in, n_out = l.n_out, inner = l.inner;
    if (inner == 1) {  // the last dim: a gather per output
      parallel_for(l.outer, n_out, [&](int64_t o0, int64_t o1) {
        for (int64_t o = o0; o < o1; ++o) {
          const T* src = xp + o * n_in;
          T* dst = op + o * n_out;
          for (int64_t j = 0; j < n_out; ++j) dst[j] = src[w.j0[j]] * w.a[j] + src[w.j1[j]] * w.b[j];
        }
      });
      return;
    }
    // rows of `inner` contiguous values: output row (o, j) from source rows i0[j], i1[j]
    parallel_for(l.outer * n_out, inner, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t o = r / n_out, j = r % n_out;
        const T* lo = xp + (o * n_in + w.j0[j]) * inner;
        const T* hi = xp + (o * n_in + w.j1[j]) * inner;
        const T wa = w.a[j], wb = w.b[j];
        T* dst = op + r * inner;
        for (int64_t k = 0; k < inner; ++k) dst[k] = lo[k] * wa + hi[k] * wb;
      }
    });
  });
}

void interp_linear_backward(const TensorArg& g, const TensorArg& gx, int64_t dim, const TensorArg& i0,
                            const TensorArg& i1, const TensorArg& w0, const TensorArg& w1) {
  const Layout l = check_interp("interp_linear_backward", gx, g, dim, i0, i1, w0, w1);
  if (gx.numel() == 0) return;
  FASTDL_DISPATCH_FLOAT(g.dtype, "interp_linear_backward", [&] {
    using T = scalar_t;
    const T* gp = g.data<T>();
    T* gxp = gx.data<T>();
    const Taps<T> w(i0, i1, w0, w1);
    const int64_t n_in = l.n_in, n_out = l.n_out, inner = l.inner;
    // each outer slice of gx is written by one thread, its j loop in order
    parallel_for(l.outer, n_out * inner, [&](int64_t o0, int64_t o1) {
      for (int64_t o = o0; o < o1; ++o) {
        T* dst = gxp + o * n_in * inner;
        const T* src = gp + o * n_out * inner;
        for (int64_t k = 0; k < n_in * inner; ++k) dst[k] = T(0);
        if (inner == 1) {
          for (int64_t j = 0; j < n_out; ++j) {
            dst[w.j0[j]] += src[j] * w.a[j];
            dst[w.j1[j]] += src[j] * w.b[j];
          }
          continue;
        }
        for (int64_t j = 0; j < n_out; ++j) {
          T* lo = dst + w.j0[j] * inner;
          T* hi = dst + w.j1[j] * inner;
          const T* s = src + j * inner;
          const T wa = w.a[j], wb = w.b[j];
          for (int64_t k = 0; k < inner; ++k) lo[k] += s[k] * wa;
          for (int64_t k = 0; k < inner; ++k) hi[k] += s[k] * wb;
        }
      }
    });
  });
}

}  // namespace cpu
}  // namespace fastdl
