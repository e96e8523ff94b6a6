#include "sort.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "../core/parallel.h"
#include "softmax_args.h"

namespace fastdl {
namespace cpu {
namespace {

// Each element becomes an unsigned key whose integer order is the sort order: floats
// by their sign-flipped bits (-0.0 folded into 0.0, every NaN the largest key), int64
// with its sign bit flipped, bool as 0 / 1. Descending complements the key, so one
// ascending, stable sort of (key, position) serves both directions and keeps ties in
// input order either way.
template <typename T> struct KeyOf;
// Branch-free for floats (random signs would mispredict a branch half the time):
// v + 0 turns -0.0 into 0.0, the sign mask flips all bits of negatives and only the sign
// bit of the others.
template <> struct KeyOf<float> {
  using type = uint32_t;
  static uint32_t get(float v) {
    v = v + 0.0f;
    uint32_t b;
    std::memcpy(&b, &v, 4);
    const uint32_t k = b ^ (static_cast<uint32_t>(static_cast<int32_t>(b) >> 31) | 0x80000000u);
    return v != v ? ~uint32_t(0) : k;
  }
};
template <> struct KeyOf<double> {
  using type = uint64_t;
  static uint64_t get(double v) {
    v = v + 0.0;
    uint64_t b;
    std::memcpy(&b, &v, 8);
    const uint64_t k = b ^ (static_cast<uint64_t>(static_cast<int64_t>(b) >> 63) | (uint64_t(1) << 63));
    return v != v ? ~uint64_t(0) : k;
  }
};
template <> struct KeyOf<int64_t> {
  using type = uint64_t;
  static uint64_t get(int64_t v) { return static_cast<uint64_t>(v) ^ (uint64_t(1) << 63); }
};
template <> struct KeyOf<bool> {
  using type = uint8_t;
  static uint8_t get(bool v) { return v ? 1 : 0; }
};

// (key, position): ordered by key, then position, a strict total order, so any sorting
// or selection algorithm gives the one stable result.
template <typename K>
struct Item {
  K key;
  int64_t pos;
  bool operator<(const Item& o) const { return key < o.key || (key == o.key && pos < o.pos); }
};

// Lines shorter than this sort by comparison; longer ones by a least-significant-digit
// radix sort (stable: each pass keeps the previous order within a digit), which skips
// the passes where every key has the same digit. Long lines take 11-bit digits (3
// passes for a 32-bit key instead of 4), worth their larger histograms from kWideMin on.
constexpr int64_t kRadixMin = 128;
constexpr int64_t kWideMin = 2048;
// Lines up to this long insert each item into the sorted first k (at most ~n^2 / 4
// moves, fewer for a small k): for 64 lines of 10, top 3, 3.9 -> ~1.5 us against a
// full std::sort of each line.
constexpr int64_t kInsertMax = 32;

// A per-chunk workspace: the line's items and the radix sort's second buffer.
template <typename K>
struct Scratch {
  std::vector<Item<K>> a, b;
  std::vector<uint32_t> hist;
  explicit Scratch(int64_t n) : a(n), b(n >= kRadixMin ? n : 0) {}  // (b: the radix sort's only)
};

template <int kBits, typename K>
const Item<K>* radix_sort(Item<K>* a, Item<K>* b, int64_t n, std::vector<uint32_t>& hist) {
  constexpr int kRadix = 1 << kBits;
  constexpr int kPasses = (8 * static_cast<int>(sizeof(K)) + kBits - 1) / kBits;
  constexpr K kMask = kRadix - 1;
  hist.assign(static_cast<size_t>(kPasses) * kRadix, 0);
  for (int64_t i = 0; i < n; ++i) {
    const K k = a[i].key;
    for (int p = 0; p < kPasses; ++p) ++hist[p * kRadix + ((k >> (kBits * p)) & kMask)];
  }
  for (int p = 0; p < kPasses; ++p) {
    uint32_t* h = hist.data() + p * kRadix;
    if (h[(a[0].key >> (kBits * p)) & kMask] == n) continue;  // one digit for all: order unchanged
    uint32_t sum = 0;
    for (int c = 0; c < kRadix; ++c) {
      const uint32_t t = h[c];
      h[c] = sum;
      sum += t;
    }
    for (int64_t i = 0; i < n; ++i) b[h[(a[i].key >> (kBits * p)) & kMask]++] = a[i];
    std::swap(a, b);
  }
  return a;
}

// A few of many (topk): a max-heap of the k first so far.
inline bool takes_heap(int64_t n, int64_t k) { return n > kInsertMax && k < n && k <= n / 16; }

// The k smallest of keys key_at(0 .. n) (ties to the earlier position), sorted, in
// a[0, k): a max-heap of the k first so far, each key read as the scan reaches it (no
// item array of the whole line). a needs room for k items.
template <typename K, typename KeyAt>
const Item<K>* top_k_by_heap(Item<K>* a, int64_t n, int64_t k, KeyAt key_at) {
  if (k == 0) return a;
  for (int64_t i = 0; i < k; ++i) a[i] = {key_at(i), i};
  std::make_heap(a, a + k);
  for (int64_t i = k; i < n; ++i) {
    // position i is above all in the heap: it goes first only with a smaller key
    const K key = key_at(i);
    if (key < a[0].key) {
      std::pop_heap(a, a + k);
      a[k - 1] = {key, i};
      std::push_heap(a, a + k);
    }
  }
  std::sort_heap(a, a + k);
  return a;
}

// Sorts the first k of a line of n items (in place in s.a, or in s.b after a radix
// sort); returns where the sorted prefix lies. (A few of many, takes_heap, go to
// top_k_by_heap instead, before the items are built.)
template <typename K>
const Item<K>* sort_line(Scratch<K>& s, int64_t n, int64_t k) {
  Item<K>* a = s.a.data();
  if (n <= kInsertMax) {  // a short line (topk of a class dim): each item inserted into the k first so far
    int64_t m = 0;        // a[0, m) holds the first m in order; a[i] is read before any write reaches it
    for (int64_t i = 0; i < n; ++i) {
      const Item<K> item = a[i];
      if (m == k && !(item.key < a[k - 1].key)) continue;  // (a later position loses ties: stable)
      int64_t j = m < k ? m++ : k - 1;
      for (; j > 0 && item.key < a[j - 1].key; --j) a[j] = a[j - 1];
      a[j] = item;
    }
    return a;
  }
  if (n < kRadixMin || n > int64_t(UINT32_MAX)) {  // (the histograms count in 32 bits)
    std::sort(a, a + n);  // (key, position) order: the stable order
    return a;
  }
  if constexpr (sizeof(K) > 1) {
    if (n >= kWideMin) return radix_sort<11>(a, s.b.data(), n, s.hist);
  }
  return radix_sort<8>(a, s.b.data(), n, s.hist);
}

template <typename T>
void argsort_lines(const TensorArg& x, const TensorArg& out, const Dims3& d, int64_t k, bool descending) {
  using K = typename KeyOf<T>::type;
  const T* xp = x.data<T>();
  int64_t* op = out.data<int64_t>();
  const int64_t L = d.L, inner = d.inner;
  const K flip = descending ? static_cast<K>(~K(0)) : K(0);
  // ~L log L per line for the comparison sorts, a few passes for the radix sort
  parallel_for(d.outer * inner, L * 8, [&](int64_t b, int64_t e) {
    Scratch<K> s(L);
    for (int64_t c = b; c < e; ++c) {
      const int64_t o = c / inner, i = c % inner;
      const T* src = xp + o * L * inner + i;
      const Item<K>* sorted;
      if (takes_heap(L, k)) {  // keys read as the heap scans them: no item array of the whole line
        sorted = top_k_by_heap(s.a.data(), L, k, [&](int64_t j) {
          return static_cast<K>(KeyOf<T>::get(src[j * inner]) ^ flip);
        });
      } else {
        for (int64_t j = 0; j < L; ++j) s.a[j] = {static_cast<K>(KeyOf<T>::get(src[j * inner]) ^ flip), j};
        sorted = sort_line(s, L, k);
      }
      int64_t* dst = op + o * k * inner + i;
      for (int64_t j = 0; j < k; ++j) dst[j * inner] = sorted[j].pos;
    }
  });
}

}  // namespace

void argsort(const TensorArg& x, const TensorArg& indices_out, int64_t dim, bool descending) {
  const char* op = "argsort";
  check_cpu(op, x);
  check_cpu(op, indices_out);
  check_dtype(op, indices_out, DType::Int64);
  check_contiguous(op, "x", x);
  check_contiguous(op, "indices_out", indices_out);
  check_dim(op, x, dim);
  bool shape_ok = indices_out.ndim() == x.ndim();
  for (int i = 0; shape_ok && i < x.ndim(); ++i)
    shape_ok = i == dim ? indices_out.shape[i] <= x.shape[i] : indices_out.shape[i] == x.shape[i];
  if (!shape_ok)
    fail_value(std::string(op) + ": indices_out " + describe(indices_out) + " must have the shape of x " +
               describe(x) + " (or a smaller size along dim " + std::to_string(dim) + ")");
  const Dims3 d = split_at(x, dim);
  const int64_t k = x.ndim() ? indices_out.shape[dim] : 1;
  if (d.outer * d.inner == 0 || k == 0) return;
  FASTDL_DISPATCH_ALL(x.dtype, op, [&] { argsort_lines<scalar_t>(x, indices_out, d, k, descending); })
}

}  // namespace cpu
}  // namespace fastdl
