#include "parallel.h"

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <new>
#include <thread>

#include <pthread.h>
#include <vector>
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define FASTDL_PAUSE() _mm_pause()
#else
#define FASTDL_PAUSE() ((void)0)
#endif

namespace fastdl {

static int default_threads() {
  if (const char* env = std::getenv("FASTDL_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc ? static_cast<int>(hc) : 1;
}

// Atomic: with the GIL released, a kernel may read it while another thread sets it.
static std::atomic<int> g_num_threads{default_threads()};
static thread_local bool t_in_parallel = false;

int get_num_threads() { return g_num_threads.load(std::memory_order_relaxed); }
void set_num_threads(int n) { g_num_threads.store(n < 1 ? 1 : n, std::memory_order_relaxed); }
bool in_parallel() { return t_in_parallel; }

namespace {

// How long an idle worker polls for the next job before sleeping: long enough to catch
// the next op of a training loop (Python between ops takes microseconds), short
// enough not to steal much from other processes on a loaded machine.
constexpr int kSpinPolls = 4000;  // ~50-100 us of PAUSE + checks

// One job at a time (callers from several Python threads take turns on job_mutex).
// `state` packs the job generation (high 32 bits), the chunk count (16 bits) and the
// next unclaimed chunk (low 16 bits), so a claim is one CAS that also proves the job is
// still the current one: a worker that wakes late cannot claim a chunk of a finished job.
class Pool {
 public:
  static Pool& get() {
    static Pool* pool = [] {
      // A forked child (e.g. a DataLoader worker) has none of the parent's threads and
      // may have inherited a locked mutex: it starts over with an empty pool.
      pthread_atfork(nullptr, nullptr, [] { get().reset_after_fork(); });
      return new Pool;  // never destroyed: workers may outlive static teardown
    }();
    return *pool;
  }

  void run(int64_t n, int chunks, int threads, detail::ChunkFn fn, void* ctx) {
    std::lock_guard<std::mutex> job_lock(job_mutex_);
    ensure_workers(threads - 1);
    fn_ = fn, ctx_ = ctx, n_ = n, chunks_ = chunks;
    error_ = nullptr;
    done_.store(0, std::memory_order_relaxed);
    gen_ = (gen_ + 1) & 0xffffffffu;
    state_.store(gen_ << 32 | uint64_t(chunks) << 16, std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard<std::mutex> lk(sleep_mutex_);
      wake_.notify_all();
    }
    t_in_parallel = true;
    while (claim_and_run(gen_)) {
    }
    t_in_parallel = false;
    // Wait only for chunks that workers claimed; yield so a preempted one can finish.
    for (int spins = 0; done_.load(std::memory_order_acquire) < chunks; ++spins) {
      if (spins < 64) FASTDL_PAUSE();
      else std::this_thread::yield();
    }
    if (error_) std::rethrow_exception(error_);
  }

 private:
  // Claims one chunk of job `gen` and runs it; false when none is left (or the job is over).
  bool claim_and_run(uint64_t gen) {
    uint64_t s = state_.load(std::memory_order_acquire);
    for (;;) {
      const uint64_t next = s & 0xffff, chunks = (s >> 16) & 0xffff;
      if ((s >> 32) != gen || next >= chunks) return false;
      if (state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel)) {
        const int64_t c = static_cast<int64_t>(next), k = static_cast<int64_t>(chunks);
        const int64_t b = n_ * c / k, e = n_ * (c + 1) / k;
        try {
          if (b < e) fn_(ctx_, b, e);
        } catch (...) {
          std::lock_guard<std::mutex> lk(error_mutex_);
          if (!error_) error_ = std::current_exception();
        }
        done_.fetch_add(1, std::memory_order_acq_rel);
        return true;
      }
    }
  }

  void reset_after_fork() {
    new (&job_mutex_) std::mutex;
    new (&sleep_mutex_) std::mutex;
    new (&error_mutex_) std::mutex;
    new (&wake_) std::condition_variable;
    workers_.clear();  // detached handles of threads that do not exist in the child
    sleepers_.store(0);
  }

  void ensure_workers(int wanted) {
    while (static_cast<int>(workers_.size()) < wanted) {
      workers_.emplace_back([this] { worker_loop(); });
      workers_.back().detach();
    }
  }

  void worker_loop() {
    t_in_parallel = true;
    uint64_t seen = state_.load(std::memory_order_acquire) >> 32;
    for (;;) {
      uint64_t gen = state_.load(std::memory_order_acquire) >> 32;
      for (int i = 0; gen == seen && i < kSpinPolls; ++i) {
        FASTDL_PAUSE();
        gen = state_.load(std::memory_order_acquire) >> 32;
      }
      if (gen == seen) {
        std::unique_lock<std::mutex> lk(sleep_mutex_);
        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        wake_.wait(lk, [&] { return (state_.load(std::memory_order_seq_cst) >> 32) != seen; });
        sleepers_.fetch_sub(1, std::memory_order_relaxed);
        gen = state_.load(std::memory_order_acquire) >> 32;
      }
      seen = gen;
      while (claim_and_run(gen)) {
      }
    }
  }

  std::mutex job_mutex_, sleep_mutex_, error_mutex_;
  std::condition_variable wake_;
  std::vector<std::thread> workers_;
  std::atomic<uint64_t> state_{0};
  std::atomic<int> done_{0};
  std::atomic<int> sleepers_{0};
  uint64_t gen_ = 0;
  detail::ChunkFn fn_ = nullptr;
  void* ctx_ = nullptr;
  int64_t n_ = 0;
  int chunks_ = 0;
  std::exception_ptr error_;
};

}  // namespace

void detail::run_chunks(int64_t n, int chunks, int threads, ChunkFn fn, void* ctx) {
  Pool::get().run(n, std::min(chunks, 0xffff), threads, fn, ctx);
}

}  // namespace fastdl
