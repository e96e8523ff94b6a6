// Thread-level parallelism on fastdl's own thread pool (parallel.cpp).
// Work below kGrainSize elements stays on one thread: waking another costs more.
//
// Why not an OpenMP parallel region: its fork/join makes the caller wait until every
// thread has been scheduled. On a shared, oversubscribed machine a worker may not run
// for a whole scheduler slice, so a 2-thread small kernel ran 5-50x slower than on one
// thread. Here the caller starts on the chunks at once and a worker that wakes late
// finds none left: the caller waits only for chunks a worker has actually claimed.
#pragma once
#include <algorithm>
#include <cstdint>
#include <type_traits>

namespace fastdl {

constexpr int64_t kGrainSize = 32768;

int get_num_threads();
void set_num_threads(int n);

// True on a thread that is running a parallel_for chunk (nested calls run serially).
bool in_parallel();

namespace detail {
using ChunkFn = void (*)(void* ctx, int64_t begin, int64_t end);
// Runs fn over [0, n) cut into `chunks` fixed pieces (boundaries n*c/chunks) on the
// caller plus up to threads-1 pool workers; returns when every piece is done.
void run_chunks(int64_t n, int chunks, int threads, ChunkFn fn, void* ctx);
}  // namespace detail

// Calls fn(begin, end) over [0, n) split into contiguous chunks, one per thread.
// `cost_per_item` scales the grain: a row of 1000 elements counts as 1000 items.
// The chunk boundaries depend only on n and the thread count, never on timing, so
// results are reproducible for a given get_num_threads().
template <typename F>
void parallel_for(int64_t n, int64_t cost_per_item, F&& fn) {
  if (n <= 0) return;
  const int64_t work = n * std::max<int64_t>(cost_per_item, 1);
  const int nt = get_num_threads();
  if (nt > 1 && work >= kGrainSize && n > 1 && !in_parallel()) {
    using Fn = std::remove_reference_t<F>;
    const int chunks = static_cast<int>(std::min<int64_t>(nt, n));
    detail::run_chunks(n, chunks, nt,
                       [](void* c, int64_t b, int64_t e) { (*static_cast<Fn*>(c))(b, e); },
                       const_cast<void*>(static_cast<const void*>(&fn)));
    return;
  }
  fn(0, n);
}

}  // namespace fastdl
