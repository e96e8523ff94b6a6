// Buffer: a block of bytes on one device, reference-counted through shared_ptr.
// Tensors are views (shape, strides, offset) over a Buffer; the Buffer knows nothing
// of shapes. Live counts let tests prove that training loops do not leak.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

namespace fastdl {

enum class DeviceType : int { CPU = 0, CUDA = 1 };

// Device memory hooks, installed by the CUDA backend when it is compiled in.
struct DeviceAllocator {
  void* (*alloc)(size_t nbytes, int device) = nullptr;
  void (*free)(void* ptr, size_t nbytes, int device) = nullptr;
};
DeviceAllocator& cuda_allocator();

class Buffer {
 public:
  Buffer(size_t nbytes, DeviceType device, int device_index = 0);
  // Wraps memory owned elsewhere (a NumPy array); `release` runs on destruction.
  Buffer(void* data, size_t nbytes, std::function<void()> release);
  // The same for memory on any device (a DLPack tensor from another library).
  Buffer(void* data, size_t nbytes, DeviceType device, int device_index, std::function<void()> release);
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  DeviceType device() const { return device_; }
  int device_index() const { return device_index_; }

  // Bumped by every in-place write; autograd compares it with the value it saw when
  // a tensor was saved for backward.
  int64_t version = 0;

  static int64_t live_count() { return live_count_.load(); }
  static int64_t live_bytes() { return live_bytes_.load(); }

 private:
  void* data_ = nullptr;
  size_t nbytes_ = 0;
  DeviceType device_;
  int device_index_;
  std::function<void()> release_;  // set for external (wrapped) memory only
  static std::atomic<int64_t> live_count_;
  static std::atomic<int64_t> live_bytes_;
};

using BufferPtr = std::shared_ptr<Buffer>;

}  // namespace fastdl
