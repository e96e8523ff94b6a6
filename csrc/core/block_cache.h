// Freed memory blocks kept for reuse, keyed by size class. Shared by the host allocator
// (csrc/core/host_allocator.cpp) and the CUDA caching allocator (cuda/allocator.cu).
// Blocks are never split or merged: a training loop that allocates the same shapes every
// step gets the same blocks back. Not thread-safe: each allocator holds its own lock.
#pragma once
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace fastdl {

class BlockCache {
 public:
  // Size class of a request: below 1 MiB the next multiple of 512 B; above, the next of
  // 2^k * {1, 1.25, 1.5, 1.75}, which wastes at most 25% yet keeps the classes few.
  static size_t round_size(size_t n) {
    constexpr size_t kSmallLimit = size_t(1) << 20, kSmallRound = 512;
    if (n < kSmallLimit) return ((n + kSmallRound - 1) / kSmallRound) * kSmallRound;
    size_t p = kSmallLimit;
    while (p * 2 <= n) p *= 2;  // p = largest power of two <= n
    const size_t step = p / 4;
    return ((n + step - 1) / step) * step;
  }

  // A cached block of size class `size`, removed from the cache; nullptr if none.
  void* take(size_t size) {
    auto it = free_.find(size);
    if (it == free_.end() || it->second.empty()) return nullptr;
    void* p = it->second.back();
    it->second.pop_back();
    cached_ -= static_cast<int64_t>(size);
    return p;
  }

  // Keeps `p` (of size class `size`) for reuse. May throw std::bad_alloc (the caller
  // then frees the block itself).
  void put(size_t size, void* p) {
    free_[size].push_back(p);
    cached_ += static_cast<int64_t>(size);
  }

  // Hands every cached block to release(ptr) and empties the cache.
  template <typename Release>
  void release_all(Release&& release) {
    for (auto& kv : free_)
      for (void* p : kv.second) release(p);
    free_.clear();
    cached_ = 0;
  }

  int64_t cached_bytes() const { return cached_; }

 private:
  std::unordered_map<size_t, std::vector<void*>> free_;  // size class -> blocks
  int64_t cached_ = 0;
};

}  // namespace fastdl
