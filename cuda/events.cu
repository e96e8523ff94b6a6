// CUDA events for fastdl.cuda.Event, device properties for get_device_properties, and the
// CUDA version fastdl was compiled with (fastdl.version.cuda).
// Every fastdl kernel runs on the legacy default stream, so an event is recorded there:
// it marks the point after all work queued so far, which is what timing code wants.
#include <string>

#include "common.cuh"
#include "core/errors.h"
#include "cuda_api.h"

namespace fastdl {
namespace cuda {

namespace {
cudaEvent_t as_event(uintptr_t e) {
  if (e == 0) fail_value("CUDA event: the event was already destroyed");
  return reinterpret_cast<cudaEvent_t>(e);
}
}  // namespace

uintptr_t event_create(bool timing) {
  require_device("Event");
  cudaEvent_t e = nullptr;
  FASTDL_CUDA_CHECK(cudaEventCreateWithFlags(&e, timing ? cudaEventDefault : cudaEventDisableTiming));
  return reinterpret_cast<uintptr_t>(e);
}

void event_destroy(uintptr_t e) noexcept {
  if (e != 0) cudaEventDestroy(reinterpret_cast<cudaEvent_t>(e));
}

void event_record(uintptr_t e) { FASTDL_CUDA_CHECK(cudaEventRecord(as_event(e), nullptr)); }

void event_synchronize(uintptr_t e) { FASTDL_CUDA_CHECK(cudaEventSynchronize(as_event(e))); }

bool event_query(uintptr_t e) {
  const cudaError_t err = cudaEventQuery(as_event(e));
  if (err == cudaErrorNotReady) {
    cudaGetLastError();
    return false;
  }
  FASTDL_CUDA_CHECK(err);
  return true;
}

float event_elapsed_ms(uintptr_t start, uintptr_t end) {
  float ms = 0.0f;
  FASTDL_CUDA_CHECK(cudaEventElapsedTime(&ms, as_event(start), as_event(end)));
  return ms;
}

std::string runtime_version() {
  return std::to_string(CUDART_VERSION / 1000) + "." + std::to_string(CUDART_VERSION % 1000 / 10);
}

DeviceProperties device_properties(int device) {
  require_device("get_device_properties", device);
  if (device < 0) device = current_device();
  cudaDeviceProp p;
  FASTDL_CUDA_CHECK(cudaGetDeviceProperties(&p, device));
  int major = 0, minor = 0, sms = 0, l2 = 0, warp = 0;
  FASTDL_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
  FASTDL_CUDA_CHECK(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device));
  FASTDL_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  FASTDL_CUDA_CHECK(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, device));
  FASTDL_CUDA_CHECK(cudaDeviceGetAttribute(&warp, cudaDevAttrWarpSize, device));
  return {p.name, major, minor, static_cast<int64_t>(p.totalGlobalMem), sms, l2, warp};
}

}  // namespace cuda
}  // namespace fastdl
