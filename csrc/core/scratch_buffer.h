// A grow-only, 64-byte aligned scratch buffer. Kernels keep one per thread
// (thread_local) for packed panels and column workspaces, so a training loop that
// calls them with the same shapes allocates once and then reuses the memory.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

#include "large_alloc.h"

namespace fastdl {

class ScratchBuffer {
 public:
  ScratchBuffer() = default;
  ScratchBuffer(const ScratchBuffer&) = delete;
  ScratchBuffer& operator=(const ScratchBuffer&) = delete;
  ~ScratchBuffer() { std::free(p_); }

  // Room for n elements of T; the contents are unspecified (not kept across growth).
  template <typename T>
  T* get(int64_t n) {
    const size_t bytes = (static_cast<size_t>(n) * sizeof(T) + 63) & ~size_t(63);
    if (bytes > cap_) {
      std::free(p_);
      p_ = aligned_alloc_large(bytes);
      if (!p_) {
        cap_ = 0;
        throw std::bad_alloc();
      }
      cap_ = bytes;
    }
    return static_cast<T*>(p_);
  }

 private:
  void* p_ = nullptr;
  size_t cap_ = 0;
};

}  // namespace fastdl
