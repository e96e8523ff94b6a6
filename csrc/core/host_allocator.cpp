#include "host_allocator.h"

#include <cstdlib>
#include <mutex>
#include <new>
#include <string>

#include <pthread.h>

#include "block_cache.h"
#include "errors.h"
#include "large_alloc.h"

namespace fastdl {

namespace {

constexpr size_t kHostAlignment = 64;  // one cache line; AVX-512 safe

// FASTDL_HOST_CACHE_MB sets the limit (0 turns the cache off); the default holds the
// turnover of the bundled models' training steps with room to spare.
int64_t initial_limit() {
  const char* env = std::getenv("FASTDL_HOST_CACHE_MB");
  if (env && *env) {
    char* end = nullptr;
    const long long mb = std::strtoll(env, &end, 10);
    if (end != env && *end == '\0' && mb >= 0) return static_cast<int64_t>(mb) << 20;
  }
  return int64_t(1024) << 20;
}

struct HostCache {
  std::mutex mu;
  BlockCache blocks;
  int64_t limit = initial_limit();
  int64_t hits = 0, misses = 0;
};

// Never destroyed: Python may free Buffers after static destructors have run.
HostCache& cache() {
  static HostCache* c = [] {
    // A forked child (a DataLoader worker) may inherit the lock held by another thread
    // of the parent: it starts with a fresh one (the cached blocks are its own copies).
    pthread_atfork(nullptr, nullptr, [] { new (&cache().mu) std::mutex; });
    return new HostCache();
  }();
  return *c;
}

// Null when the system has no memory for it.
void* aligned(size_t size) { return aligned_alloc_large(size); }

[[noreturn]] void out_of_memory(size_t nbytes) {
  throw OutOfMemoryError("CPU out of memory: tried to allocate " + std::to_string(nbytes) + " bytes (" +
                         std::to_string(static_cast<double>(nbytes) / (1 << 30)) + " GiB)");
}

// The size actually allocated for a request: cached sizes are whole size classes (a
// multiple of 512 B, so of the alignment too); others only rounded up to the alignment,
// as aligned_alloc requires, and never 0.
size_t block_size(size_t nbytes) {
  if (nbytes >= kMinCachedBytes) return BlockCache::round_size(nbytes);
  const size_t padded = (nbytes + kHostAlignment - 1) / kHostAlignment * kHostAlignment;
  return padded == 0 ? kHostAlignment : padded;
}

}  // namespace

void* host_allocate(size_t nbytes) {
  const size_t size = block_size(nbytes);
  if (nbytes < kMinCachedBytes) {
    if (void* p = aligned(size)) return p;
    out_of_memory(nbytes);
  }
  HostCache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    if (void* p = c.blocks.take(size)) {
      ++c.hits;
      return p;
    }
    ++c.misses;
  }
  if (void* p = aligned(size)) return p;
  host_cache_empty();  // give the cache back and try once more
  if (void* p = aligned(size)) return p;
  out_of_memory(nbytes);
}

void host_deallocate(void* p, size_t nbytes) noexcept {
  if (p == nullptr) return;
  if (nbytes >= kMinCachedBytes) {
    const size_t size = block_size(nbytes);
    HostCache& c = cache();
    std::lock_guard<std::mutex> lock(c.mu);
    if (c.blocks.cached_bytes() + static_cast<int64_t>(size) <= c.limit) {
      try {
        c.blocks.put(size, p);
        return;
      } catch (...) {  // no room for the bookkeeping: free the block below
      }
    }
  }
  std::free(p);
}

HostCacheStats host_cache_stats() {
  HostCache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  return {c.blocks.cached_bytes(), c.limit, c.hits, c.misses};
}

void host_cache_empty() {
  HostCache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  c.blocks.release_all([](void* p) { std::free(p); });
}

void host_cache_set_limit(int64_t bytes) {
  HostCache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  c.limit = bytes < 0 ? 0 : bytes;
  if (c.blocks.cached_bytes() > c.limit) c.blocks.release_all([](void* p) { std::free(p); });
}

}  // namespace fastdl
