// Host (CPU) memory for Buffers. Blocks of at least kMinCachedBytes are cached when
// freed and handed out again for the next request of the same size class, up to a limit
// on the bytes held in the cache. Why: glibc serves large sizes with fresh mmap'd pages,
// and every step of a training loop then pays a page fault per 4 KiB it writes (the
// MNIST CNN step: ~11,000 faults, a quarter of its time). Blocks from 1 KiB up are
// cached too (session 9): freeing an op's few-KiB output next to the heap's top chunk
// made glibc consolidate its fast bins on every op (malloc / free were ~13% of a small
// op's time; `a * b + b` with grad on (32, 64) 4.06-4.09 -> 3.76-3.91 us). Smaller
// blocks go straight to the C library, whose thread cache serves them without that.
#pragma once
#include <cstddef>
#include <cstdint>

namespace fastdl {

struct HostCacheStats {
  int64_t cached_bytes;  // bytes held in the cache (freed, not yet reused)
  int64_t limit_bytes;   // the cache never holds more than this
  int64_t hits;          // allocations served from the cache
  int64_t misses;        // cacheable allocations that had to ask the C library
};

constexpr size_t kMinCachedBytes = size_t(1) << 10;

void* host_allocate(size_t nbytes);            // 64-byte aligned; throws std::bad_alloc
void host_deallocate(void* p, size_t nbytes) noexcept;
HostCacheStats host_cache_stats();
void host_cache_empty();                       // frees every cached block
void host_cache_set_limit(int64_t bytes);      // 0 disables caching (and empties the cache)

}  // namespace fastdl
