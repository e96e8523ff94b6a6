// Device discovery and control. device_count() must work on machines without a GPU
// or driver (the module imports everywhere), so it maps every error to 0 devices.
#include <mutex>
#include <vector>

#include "common.cuh"
#include "core/errors.h"
#include "cuda_api.h"

namespace fastdl {
namespace cuda {

namespace {

struct DeviceInfo {
  int count = 0;
  std::string why_none;  // cudaGetDeviceCount's error when count is 0
  std::vector<int> sms;
};

// Queried once: the set of visible devices cannot change within a process.
const DeviceInfo& info() {
  static const DeviceInfo d = [] {
    DeviceInfo r;
    cudaError_t err = cudaGetDeviceCount(&r.count);
    if (err != cudaSuccess) {
      cudaGetLastError();
      r.count = 0;
      r.why_none = std::string(cudaGetErrorName(err)) + ": " + cudaGetErrorString(err);
    } else if (r.count == 0) {
      r.why_none = "cudaGetDeviceCount returned 0";
    }
    for (int i = 0; i < r.count; ++i) {
      int n = 0;
      if (cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, i) != cudaSuccess) {
        cudaGetLastError();
        n = 1;
      }
      r.sms.push_back(n);
    }
    return r;
  }();
  return d;
}

}  // namespace

int device_count() { return info().count; }

void require_device(const char* what, int device) {
  const DeviceInfo& d = info();
  if (d.count == 0)
    throw std::runtime_error(std::string(what) +
                             ": no CUDA device is available (fastdl was built with CUDA, but the "
                             "driver reports 0 devices) [" + d.why_none + "]");
  if (device < -1 || device >= d.count)
    fail_value(std::string(what) + ": invalid CUDA device index " + std::to_string(device) +
               " (" + std::to_string(d.count) + " device(s) visible)");
}

int sm_count(int device) { return info().sms.at(device); }

int current_device() {
  require_device("current_device");
  int dev = 0;
  FASTDL_CUDA_CHECK(cudaGetDevice(&dev));
  return dev;
}

void set_device(int device) {
  require_device("set_device", device);
  if (device < 0) fail_value("set_device: invalid CUDA device index -1");
  FASTDL_CUDA_CHECK(cudaSetDevice(device));
}

DeviceGuard::DeviceGuard(int device) {
  FASTDL_CUDA_CHECK(cudaGetDevice(&prev_));
  if (prev_ != device) FASTDL_CUDA_CHECK(cudaSetDevice(device));
}

DeviceGuard::~DeviceGuard() {
  int now = -1;
  if (cudaGetDevice(&now) == cudaSuccess && now != prev_) cudaSetDevice(prev_);
}

std::string device_name(int device) {
  require_device("device_name", device);
  cudaDeviceProp p;
  FASTDL_CUDA_CHECK(cudaGetDeviceProperties(&p, device < 0 ? current_device() : device));
  return p.name;
}

std::pair<int, int> capability(int device) {
  require_device("capability", device);
  if (device < 0) device = current_device();
  int major = 0, minor = 0;
  FASTDL_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
  FASTDL_CUDA_CHECK(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device));
  return {major, minor};
}

std::pair<size_t, size_t> mem_get_info(int device) {
  require_device("mem_get_info", device);
  DeviceGuard g(device < 0 ? current_device() : device);
  size_t free_b = 0, total_b = 0;
  FASTDL_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  return {free_b, total_b};
}

void synchronize() {
  require_device("synchronize");
  FASTDL_CUDA_CHECK(cudaDeviceSynchronize());
}

}  // namespace cuda
}  // namespace fastdl
