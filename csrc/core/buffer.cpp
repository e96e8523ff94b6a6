#include "buffer.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

namespace fastdl {

std::atomic<int64_t> Buffer::live_count_{0};
std::atomic<int64_t> Buffer::live_bytes_{0};

DeviceAllocator& cuda_allocator() {
  static DeviceAllocator a;
  return a;
}

static constexpr size_t kHostAlignment = 64;  // one cache line; AVX-512 safe

Buffer::Buffer(size_t nbytes, DeviceType device, int device_index)
    : nbytes_(nbytes), device_(device), device_index_(device_index) {
  if (device == DeviceType::CPU) {
    // Round up so aligned_alloc's size requirement holds; never allocate 0 bytes.
    size_t padded = ((nbytes + kHostAlignment - 1) / kHostAlignment) * kHostAlignment;
    if (padded == 0) padded = kHostAlignment;
    data_ = std::aligned_alloc(kHostAlignment, padded);
    if (!data_) throw std::bad_alloc();
  } else {
    auto& a = cuda_allocator();
    if (!a.alloc) throw std::runtime_error("fastdl was built without CUDA support");
    data_ = a.alloc(nbytes, device_index);  // throws on out-of-memory
  }
  live_count_++;
  live_bytes_ += static_cast<int64_t>(nbytes);
}

Buffer::Buffer(void* data, size_t nbytes, std::function<void()> release)
    : Buffer(data, nbytes, DeviceType::CPU, 0, std::move(release)) {}

Buffer::Buffer(void* data, size_t nbytes, DeviceType device, int device_index, std::function<void()> release)
    : data_(data), nbytes_(nbytes), device_(device), device_index_(device_index),
      release_(std::move(release)) {
  live_count_++;
  live_bytes_ += static_cast<int64_t>(nbytes);
}

Buffer::~Buffer() {
  if (release_) {
    release_();
  } else if (device_ == DeviceType::CPU) {
    std::free(data_);
  } else if (cuda_allocator().free) {
    cuda_allocator().free(data_, nbytes_, device_index_);
  }
  live_count_--;
  live_bytes_ -= static_cast<int64_t>(nbytes_);
}

}  // namespace fastdl
