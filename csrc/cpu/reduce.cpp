#include "reduce.h"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <utility>

#include "../common/reduce_ops.h"
#include "../common/strided_index.h"
#include "../core/cpu_features.h"
#include "../core/parallel.h"
#include "reduce_args.h"

namespace fastdl {
namespace cpu {

namespace {

// Row-major walk over a multi-index that tracks the element offset, so stepping to
// the next position costs no divisions. n == 0 is a single position at offset 0.
struct Walker {
  int n;
  const int64_t* shape;
  const int64_t* stride;
  int64_t idx[kMaxDims];
  int64_t off = 0;
  Walker(int n_, const int64_t* shape_, const int64_t* stride_, int64_t start)
      : n(n_), shape(shape_), stride(stride_) {
    for (int d = n - 1; d >= 0; --d) {
      idx[d] = start % shape[d];
      start /= shape[d];
      off += idx[d] * stride[d];
    }
  }
  void next() {
    for (int d = n - 1; d >= 0; --d) {
      off += stride[d];
      if (++idx[d] < shape[d]) return;
      off -= shape[d] * stride[d];
      idx[d] = 0;
    }
  }
};

using Layout = ReduceLayout;

// Ops whose lanes may be combined in any order: max / min / any / all give the same
// value (sums and products would round differently, and their bits are kept). A
// sequential combine of max's 32 float lanes compiled to data-dependent branches and
// took half of a 1024-wide row's time.
template <typename Op> constexpr bool kAnyOrder = false;
template <typename T> constexpr bool kAnyOrder<red::Max<T>> = true;
template <typename T> constexpr bool kAnyOrder<red::Min<T>> = true;
template <typename T> constexpr bool kAnyOrder<red::Any<T>> = true;
template <typename T> constexpr bool kAnyOrder<red::All<T>> = true;

// Folds R contiguous runs of n >= 16 elements, p[r][0..n), into a[r] each, side by side:
// every run in the order reduce_row gives one alone (so the same bits), R times the
// independent chains. kLanes independent accumulators per run let the compiler
// vectorise without reassociating a single chain.
template <int R, typename Op, typename T>
void reduce_runs(typename Op::acc_t (&a)[R], const T* const (&p)[R], int64_t n) {
  using acc_t = typename Op::acc_t;
  // Enough independent chains to hide latency: 128 bytes of the wider of input and
  // accumulator, i.e. 8 SSE or 4 AVX registers per run.
  constexpr int kLanes = 128 / std::max(sizeof(acc_t), sizeof(T));
  acc_t lane[R][kLanes];
  for (int r = 0; r < R; ++r)
    for (int k = 0; k < kLanes; ++k) lane[r][k] = Op::init();
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int r = 0; r < R; ++r)
      for (int k = 0; k < kLanes; ++k) lane[r][k] = Op::step(lane[r][k], p[r][i + k], 0);
  for (int r = 0; r < R; ++r) {
    if constexpr (kAnyOrder<Op>) {
      // the last partial block into the lanes too: a scalar tail of up to 31 data-dependent
      // selects cost 3 ns each (amax(1) of (4096, 16): 215 us against torch's 52)
      for (int64_t j = i; j < n; ++j) lane[r][j - i] = Op::step(lane[r][j - i], p[r][j], 0);
      // halving: the wide steps vectorise, and 5 scalar steps instead of 32 remain
      for (int w = kLanes / 2; w >= 1; w /= 2)
        for (int k = 0; k < w; ++k) lane[r][k] = Op::combine(lane[r][k], lane[r][k + w]);
      a[r] = Op::combine(a[r], lane[r][0]);
    } else {
      for (int k = 0; k < kLanes; ++k) a[r] = Op::combine(a[r], lane[r][k]);
      for (int64_t j = i; j < n; ++j) a[r] = Op::step(a[r], p[r][j], 0);
    }
  }
}

// Folds n elements p[0], p[stride], ... (reduced linear indices idx0, idx0+1, ...)
// into a. Contiguous runs of order-free ops go through reduce_runs; arg ops find the
// extreme first, then its first position.
template <typename Op, typename T>
typename Op::acc_t reduce_row(typename Op::acc_t a, const T* p, int64_t n, int64_t stride, int64_t idx0) {
  using acc_t = typename Op::acc_t;
  if (stride == 1 && n >= 16) {
    if constexpr (Op::kIndexed) {
      using VOp = typename Op::ValueOp;
      const T v = VOp::finish(reduce_row<VOp>(VOp::init(), p, n, 1, 0));
      int64_t j = 0;  // v is one of p[0..n), so the search stops inside the run
      if (red::is_nan(v)) {
        while (!red::is_nan(p[j])) ++j;
      } else {
        while (!(p[j] == v)) ++j;
      }
      return Op::combine(a, acc_t{v, idx0 + j});
    } else {
      acc_t one[1] = {a};
      const T* const run[1] = {p};
      reduce_runs<1, Op>(one, run, n);
      return one[0];
    }
  }
  for (int64_t i = 0; i < n; ++i) a = Op::step(a, p[i * stride], idx0 + i);
  return a;
}

// Two whole contiguous rows of n >= 16, each from Op::init(): out[r] = Op::finish of row r.
// The general path's outputs go in pairs when each is one such row: the second row's
// chains fill the first's latency, above all its lanes' final in-order combine. 1 thread,
// in cache, old / new us: amax(1) of (2048, 32) 44.5 / 25.7, (1024, 64) 25.2 / 16.5,
// (256, 1024) 31.8 / 22.2; sum(1) of (4096, 16) 55.4 / 28.2, (2048, 32) 32.1 / 19.8, (1024,
// 64) 19.4 / 14.1. Sums and products of rows longer than kPairMaxRun stay one at a time:
// their double lanes as pairs were slower ((256, 256) 10.1 / 11.4, (256, 1024) 26.6 / 40.9).
constexpr int64_t kPairMaxRun = 128;
template <typename Op, typename T>
void reduce_row_pair(const T* p0, const T* p1, int64_t n, typename Op::out_t* out) {
  typename Op::acc_t a[2] = {Op::init(), Op::init()};
  const T* const run[2] = {p0, p1};
  reduce_runs<2, Op>(a, run, n);
  out[0] = Op::finish(a[0]);
  out[1] = Op::finish(a[1]);
}

// Folds one contiguous row of w elements (reduced index r) into w accumulators: the
// column-block path of run(), where each output is a column of the rows.
template <typename Op, typename T>
void fold_into_columns(typename Op::acc_t* acc, const T* p, int64_t w, int64_t r) {
  for (int64_t j = 0; j < w; ++j) acc[j] = Op::step(acc[j], p[j], r);
}

// The same folds compiled for AVX2 (picked at run time by use_avx2()); `flatten`
// inlines the fold and the op into them so the lanes use 256-bit vectors (a float
// column sum into double accumulators at 1 thread: 64x512 over dim 0 6.5 -> 4.3 us,
// 3200x512 290 -> 199 us).
#if defined(__x86_64__) && defined(__GNUC__)
template <typename Op, typename T>
__attribute__((target("avx2,fma"), flatten)) typename Op::acc_t reduce_row_avx2(typename Op::acc_t a, const T* p,
                                                                                int64_t n, int64_t stride,
                                                                                int64_t idx0) {
  return reduce_row<Op>(a, p, n, stride, idx0);
}
template <typename Op, typename T>
__attribute__((target("avx2,fma"), flatten)) void fold_into_columns_avx2(typename Op::acc_t* acc, const T* p,
                                                                         int64_t w, int64_t r) {
  fold_into_columns<Op>(acc, p, w, r);
}
template <typename Op, typename T>
__attribute__((target("avx2,fma"), flatten)) void reduce_row_pair_avx2(const T* p0, const T* p1, int64_t n,
                                                                       typename Op::out_t* out) {
  reduce_row_pair<Op>(p0, p1, n, out);
}
template <typename Op, typename T> auto pick_reduce_row() {
  return use_avx2() ? &reduce_row_avx2<Op, T> : &reduce_row<Op, T>;
}
template <typename Op, typename T> auto pick_reduce_row_pair() {
  return use_avx2() ? &reduce_row_pair_avx2<Op, T> : &reduce_row_pair<Op, T>;
}
template <typename Op, typename T> auto pick_fold_into_columns() {
  return use_avx2() ? &fold_into_columns_avx2<Op, T> : &fold_into_columns<Op, T>;
}
#else
template <typename Op, typename T> auto pick_reduce_row() { return &reduce_row<Op, T>; }
template <typename Op, typename T> auto pick_reduce_row_pair() { return &reduce_row_pair<Op, T>; }
template <typename Op, typename T> auto pick_fold_into_columns() { return &fold_into_columns<Op, T>; }
#endif

template <template <typename> class OpT, typename T>
void run(const TensorArg& x, const TensorArg& out, const Layout& L) {
  using Op = OpT<T>;
  using acc_t = typename Op::acc_t;
  using out_t = typename Op::out_t;
  const T* xp = x.data<T>();
  out_t* op = out.data<out_t>();
  if (L.out_numel == 0) return;
  if (L.red_numel == 0) {
    std::fill(op, op + L.out_numel, Op::finish(Op::init()));
    return;
  }
  const int64_t rn = L.rshape[L.nr - 1], rs = L.rstride[L.nr - 1];
  const int64_t rows = L.red_numel / rn;
  const auto fold = pick_reduce_row<Op, T>();

  // One output over a long range: per-chunk partials combined in order. The chunking
  // depends only on the size, so the result does not depend on the thread count.
  if (L.out_numel == 1 && L.red_numel >= 4 * kGrainSize) {
    const int64_t nchunks = std::min<int64_t>(64, L.red_numel / (2 * kGrainSize));
    std::unique_ptr<acc_t[]> part(new acc_t[nchunks]);
    parallel_for(nchunks, L.red_numel / nchunks, [&](int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c) {
        const int64_t b = L.red_numel * c / nchunks, e = L.red_numel * (c + 1) / nchunks;
        int64_t col = b % rn;
        Walker w(L.nr - 1, L.rshape, L.rstride, b / rn);
        acc_t a = Op::init();
        for (int64_t p = b; p < e; col = 0, w.next()) {
          const int64_t len = std::min(rn - col, e - p);
          a = fold(a, xp + w.off + col * rs, len, rs, p);
          p += len;
        }
        part[c] = a;
      }
    });
    acc_t a = part[0];
    for (int64_t c = 1; c < nchunks; ++c) a = Op::combine(a, part[c]);
    op[0] = Op::finish(a);
    return;
  }

  // The innermost kept dim is contiguous but the reduced ones are not (e.g. summing a
  // (N, C) tensor over N): stream whole rows into a block of accumulators instead of
  // gathering each output's column. Blocks are as wide as L1 allows, narrower only to
  // give every thread work; each column still folds in index order.
  const int64_t kc = L.kshape[L.nk - 1];
  if (L.kstride[L.nk - 1] == 1 && kc >= 2 && rs != 1) {
    const int64_t kouter = L.out_numel / kc;
    const int64_t splits = (get_num_threads() + kouter - 1) / kouter;
    const int64_t block = std::min<int64_t>(2048, std::max<int64_t>(64, (kc + splits - 1) / splits));
    const int64_t nblk = (kc + block - 1) / block;
    const auto fold_row = pick_fold_into_columns<Op, T>();
    parallel_for(kouter * nblk, L.red_numel * std::min(kc, block), [&](int64_t i0, int64_t i1) {
      std::unique_ptr<acc_t[]> acc(new acc_t[block]);
      for (int64_t i = i0; i < i1; ++i) {
        const int64_t ko = i / nblk, c0 = (i % nblk) * block, w = std::min(block, kc - c0);
        const T* base = xp + Walker(L.nk - 1, L.kshape, L.kstride, ko).off + c0;
        for (int64_t j = 0; j < w; ++j) acc[j] = Op::init();
        Walker rw(L.nr, L.rshape, L.rstride, 0);
        for (int64_t r = 0; r < L.red_numel; ++r, rw.next()) fold_row(acc.get(), base + rw.off, w, r);
        out_t* o = op + ko * kc + c0;
        for (int64_t j = 0; j < w; ++j) o[j] = Op::finish(acc[j]);
      }
    });
    return;
  }

  // General case: each output folds its reduced sub-tensor, row by row; outputs that are
  // one contiguous row each, two at a time.
  const bool pairs = !Op::kIndexed && rows == 1 && rs == 1 && rn >= 16 && (kAnyOrder<Op> || rn <= kPairMaxRun);
  const auto fold_pair = pick_reduce_row_pair<Op, T>();
  parallel_for(L.out_numel, L.red_numel, [&](int64_t o0, int64_t o1) {
    Walker kw(L.nk, L.kshape, L.kstride, o0);
    int64_t o = o0;
    for (; pairs && o + 1 < o1; o += 2) {
      const int64_t off0 = kw.off;
      kw.next();
      fold_pair(xp + off0, xp + kw.off, rn, op + o);
      kw.next();
    }
    for (; o < o1; ++o, kw.next()) {
      acc_t a = Op::init();
      Walker w(L.nr - 1, L.rshape, L.rstride, 0);
      for (int64_t r = 0; r < rows; ++r, w.next())
        a = fold(a, xp + kw.off + w.off, rn, rs, r * rn);
      op[o] = Op::finish(a);
    }
  });
}

using Kind = ReduceKind;

}  // namespace

void reduce(const std::string& op, const TensorArg& x, const TensorArg& out,
            const std::vector<int64_t>& dims) {
  const char* name = op.c_str();
  check_cpu(name, x);
  check_cpu(name, out);
  const ReduceArgs args = check_reduce_args(op, x, out, dims);
  const Kind kind = args.kind;
  const std::vector<bool>& reduced = args.reduced;
  const bool is_arg = args.is_arg;

  const Layout L = make_reduce_layout(x, reduced, is_arg);
  switch (kind) {
    case Kind::Sum: FASTDL_DISPATCH_NUMERIC(x.dtype, name, [&] { run<red::Sum, scalar_t>(x, out, L); }) break;
    case Kind::Prod: FASTDL_DISPATCH_NUMERIC(x.dtype, name, [&] { run<red::Prod, scalar_t>(x, out, L); }) break;
    case Kind::Max: FASTDL_DISPATCH_NUMERIC(x.dtype, name, [&] { run<red::Max, scalar_t>(x, out, L); }) break;
    case Kind::Min: FASTDL_DISPATCH_NUMERIC(x.dtype, name, [&] { run<red::Min, scalar_t>(x, out, L); }) break;
    case Kind::ArgMax: FASTDL_DISPATCH_NUMERIC(x.dtype, name, [&] { run<red::ArgMax, scalar_t>(x, out, L); }) break;
    case Kind::ArgMin: FASTDL_DISPATCH_NUMERIC(x.dtype, name, [&] { run<red::ArgMin, scalar_t>(x, out, L); }) break;
    case Kind::Any: FASTDL_DISPATCH_ALL(x.dtype, name, [&] { run<red::Any, scalar_t>(x, out, L); }) break;
    case Kind::All: FASTDL_DISPATCH_ALL(x.dtype, name, [&] { run<red::All, scalar_t>(x, out, L); }) break;
  }
}

}  // namespace cpu
}  // namespace fastdl
