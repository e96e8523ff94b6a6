// 64-byte aligned allocation that gives large blocks transparent huge pages.
//
// Where the kernel's THP mode is "madvise" (common, and the case on our machines) no
// memory gets 2 MiB pages unless it asks: NumPy asks for its arrays of 4 MiB and more,
// fastdl's tensors and packing panels did not. A 2048^2 float GEMM reads A's rows 8 KiB
// apart (a page each with 4 KiB pages) and packs B into a 4 MiB panel; on 2 MiB pages
// those walks stay within the TLB.
#pragma once
#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>

namespace fastdl {

constexpr size_t kHugePageBytes = size_t(2) << 20;
// From this size on (NumPy's threshold too): rounding up to whole huge pages then adds at
// most half (4 MiB + 64 bytes takes 6 MiB), on average much less.
constexpr size_t kHugePageMinBytes = size_t(4) << 20;

// Like std::aligned_alloc(64, bytes) (bytes a multiple of 64; free with std::free);
// blocks of kHugePageMinBytes and more start on a 2 MiB boundary, are rounded up to whole 2 MiB
// pages and are advised MADV_HUGEPAGE (best effort: a kernel without THP ignores it).
inline void* aligned_alloc_large(size_t bytes) {
  if (bytes < kHugePageMinBytes) return std::aligned_alloc(64, bytes);
  const size_t rounded = (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
  void* p = std::aligned_alloc(kHugePageBytes, rounded);
  if (p) madvise(p, rounded, MADV_HUGEPAGE);
  return p;
}

}  // namespace fastdl
