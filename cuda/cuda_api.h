// Everything the CUDA backend (cuda/*.cu, compiled by nvcc) exports to the bindings
// (cuda/*.cpp, compiled by g++). Plain C++ only: no CUDA types or headers here.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "core/tensor_arg.h"

namespace fastdl {
namespace cuda {

// ---- devices (device.cu) ----
// Number of visible devices; 0 (never an exception) without a driver or a GPU.
int device_count();
// Throws std::runtime_error "<what>: no CUDA device is available (...)" when
// device_count() is 0, and ValueError when `device` is not a valid index.
// device = -1 checks only that some device exists.
void require_device(const char* what, int device = -1);
int current_device();
void set_device(int device);
std::string device_name(int device);
std::pair<int, int> capability(int device);
std::pair<size_t, size_t> mem_get_info(int device);  // (free, total) bytes
void synchronize();  // waits for the current device; raises pending kernel errors

// ---- caching allocator (allocator.cu) ----
void* allocate(size_t nbytes, int device);  // throws "CUDA out of memory: ..."
void deallocate(void* ptr, size_t nbytes, int device) noexcept;
void install_allocator();  // points fastdl::cuda_allocator() at alloc/free
// Statistics of one device (-1: the current one). "allocated" counts the rounded
// sizes of live blocks, "reserved" adds the cached free blocks.
int64_t memory_allocated(int device);
int64_t max_memory_allocated(int device);
int64_t memory_reserved(int device);
void reset_peak_memory_stats(int device);
void empty_cache();  // returns every cached free block of every device to the driver

// ---- elementwise kernels (elementwise_*.cu); semantics of csrc/cpu/elementwise.h ----
void unary(const std::string& op, const TensorArg& x, const TensorArg& out, double p0, double p1);
void binary(const std::string& op, const TensorArg& a, const TensorArg& b, const TensorArg& out);
void where(const TensorArg& cond, const TensorArg& a, const TensorArg& b, const TensorArg& out);
void fill(const TensorArg& dst, double value);

// ---- copies (transfer.cu) ----
// dst = src for any pair of devices. cuda->cuda: any strides, any dtype conversion.
// cpu<->cuda: both contiguous with the same dtype (ValueError otherwise).
void copy(const TensorArg& src, const TensorArg& dst);

}  // namespace cuda
}  // namespace fastdl
