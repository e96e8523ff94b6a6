// Thread-level parallelism. OpenMP when the compiler has it; serial otherwise.
// Work below kGrainSize elements stays on one thread: spawning costs more.
#pragma once
#include <cstdint>
#include <algorithm>
#ifdef _OPENMP
#include <omp.h>
#endif

namespace fastdl {

constexpr int64_t kGrainSize = 32768;

int get_num_threads();
void set_num_threads(int n);

// Calls fn(begin, end) over [0, n) split into contiguous chunks, one per thread.
// `cost_per_item` scales the grain: a row of 1000 elements counts as 1000 items.
template <typename F>
void parallel_for(int64_t n, int64_t cost_per_item, F&& fn) {
  if (n <= 0) return;
  int64_t work = n * std::max<int64_t>(cost_per_item, 1);
#ifdef _OPENMP
  int nt = get_num_threads();
  if (nt > 1 && work >= kGrainSize && n > 1) {
    int chunks = static_cast<int>(std::min<int64_t>(nt, n));
#pragma omp parallel for num_threads(chunks) schedule(static, 1)
    for (int c = 0; c < chunks; ++c) {
      int64_t b = n * c / chunks, e = n * (c + 1) / chunks;
      if (b < e) fn(b, e);
    }
    return;
  }
#endif
  (void)work;
  fn(0, n);
}

}  // namespace fastdl
