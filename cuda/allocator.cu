// Caching device allocator. cudaMalloc/cudaFree are slow and cudaFree synchronises
// the device, so freed blocks go to per-device free lists keyed by their rounded
// size (core/block_cache.h) and are handed out again to the next request of the same
// size class. Blocks are never split: a training loop that allocates the same shapes every step
// reuses them exactly. Reuse needs no events because every kernel and copy runs on
// the legacy default stream (see common.cuh), so a block's last use is ordered
// before any later kernel that writes to it.
#include <cstdio>
#include <mutex>
#include <vector>

#include "common.cuh"
#include "core/block_cache.h"
#include "core/buffer.h"
#include "core/errors.h"
#include "cuda_api.h"

namespace fastdl {
namespace cuda {

namespace {

struct DeviceState {
  BlockCache free_blocks;
  int64_t allocated = 0;  // rounded bytes of live blocks
  int64_t peak = 0;
};

struct Allocator {
  std::mutex mu;
  std::vector<DeviceState> dev;

  DeviceState& state(int device) {
    if (dev.empty()) dev.resize(device_count());
    return dev.at(device);
  }

  // Returns every cached block of `device` to the driver. Caller holds mu.
  void release_cached(int device) {
    DeviceState& s = state(device);
    if (s.free_blocks.cached_bytes() == 0) return;
    DeviceGuard g(device);
    s.free_blocks.release_all([](void* p) { cudaFree(p); });  // cannot fail for a pointer we own
  }
};

// Never destroyed: Python may free Buffers after static destructors have run.
Allocator& allocator() {
  static Allocator* a = new Allocator();
  return *a;
}

std::string human(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  while (bytes >= 1024 && u < 5) { bytes /= 1024; ++u; }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f %s", bytes, units[u]);
  return buf;
}

int resolve(const char* what, int device) {
  require_device(what, device);
  return device < 0 ? current_device() : device;
}

}  // namespace

void* allocate(size_t nbytes, int device) {
  require_device("CUDA allocation", device);
  if (device < 0) fail_value("CUDA allocation: invalid CUDA device index -1");
  if (nbytes == 0) return nullptr;
  const size_t size = BlockCache::round_size(nbytes);
  Allocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mu);
  DeviceState& s = a.state(device);
  void* ptr = s.free_blocks.take(size);
  if (ptr == nullptr) {
    DeviceGuard g(device);
    cudaError_t err = cudaMalloc(&ptr, size);
    if (err == cudaErrorMemoryAllocation) {  // give the cache back and try once more
      cudaGetLastError();
      a.release_cached(device);
      err = cudaMalloc(&ptr, size);
    }
    if (err == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      size_t free_b = 0, total_b = 0;
      cudaMemGetInfo(&free_b, &total_b);
      cudaGetLastError();
      throw OutOfMemoryError("CUDA out of memory: tried to allocate " + std::to_string(nbytes) +
                               " bytes (" + human(double(nbytes)) + ") on device " +
                               std::to_string(device) + ", which has " + human(double(total_b)) +
                               " in total and " + human(double(free_b)) + " free; fastdl holds " +
                               human(double(s.allocated)) + " in live tensors");
    }
    FASTDL_CUDA_CHECK(err);
  }
  s.allocated += static_cast<int64_t>(size);
  if (s.allocated > s.peak) s.peak = s.allocated;
  return ptr;
}

// Called from ~Buffer, so it must not throw: it only moves the block to the cache
// (or, if even that fails, hands it straight back to the driver).
void deallocate(void* ptr, size_t nbytes, int device) noexcept {
  if (ptr == nullptr) return;
  const size_t size = BlockCache::round_size(nbytes);
  Allocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mu);
  if (device < 0 || static_cast<size_t>(device) >= a.dev.size()) return;  // not ours
  DeviceState& s = a.dev[device];
  s.allocated -= static_cast<int64_t>(size);
  try {
    s.free_blocks.put(size, ptr);
  } catch (...) {
    cudaFree(ptr);
  }
}

void install_allocator() {
  DeviceAllocator& h = cuda_allocator();
  h.alloc = &allocate;
  h.free = &deallocate;
}

int64_t memory_allocated(int device) {
  int d = resolve("memory_allocated", device);
  Allocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mu);
  return a.state(d).allocated;
}

int64_t max_memory_allocated(int device) {
  int d = resolve("max_memory_allocated", device);
  Allocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mu);
  return a.state(d).peak;
}

int64_t memory_reserved(int device) {
  int d = resolve("memory_reserved", device);
  Allocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mu);
  return a.state(d).allocated + a.state(d).free_blocks.cached_bytes();
}

void reset_peak_memory_stats(int device) {
  int d = resolve("reset_peak_memory_stats", device);
  Allocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mu);
  a.state(d).peak = a.state(d).allocated;
}

void empty_cache() {
  require_device("empty_cache");
  Allocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mu);
  for (int d = 0; d < device_count(); ++d) a.release_cached(d);
}

}  // namespace cuda
}  // namespace fastdl
