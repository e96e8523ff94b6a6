#include "buffer.h"

#include <stdexcept>
#include <string>

#include "host_allocator.h"

namespace fastdl {

std::atomic<int64_t> Buffer::live_count_{0};
std::atomic<int64_t> Buffer::live_bytes_{0};

DeviceAllocator& cuda_allocator() {
  static DeviceAllocator a;
  return a;
}

Buffer::Buffer(size_t nbytes, DeviceType device, int device_index)
    : nbytes_(nbytes), device_(device), device_index_(device_index) {
  if (device == DeviceType::CPU) {
    data_ = host_allocate(nbytes);
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
    host_deallocate(data_, nbytes_);
  } else if (cuda_allocator().free) {
    cuda_allocator().free(data_, nbytes_, device_index_);
  }
  live_count_--;
  live_bytes_ -= static_cast<int64_t>(nbytes_);
}

}  // namespace fastdl
