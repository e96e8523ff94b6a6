// Releasing the GIL around long kernels, so other Python threads (data loading, an RL
// environment, logging) run meanwhile, as they do around every PyTorch op.
// Only above a size threshold: a tiny op would pay the release/re-acquire, and with
// another thread busy it could wait up to the interpreter's switch interval (5 ms) to
// get the GIL back. The released region must touch no Python object: kernels see only
// TensorArg views (C++ shared_ptr buffers; a NumPy-backed buffer's release takes the
// GIL itself) and throw C++ exceptions, which pybind11 translates after re-acquiring.
#pragma once
#include <Python.h>

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "../core/tensor_arg.h"

namespace fastdl {

// Elements (all tensor operands together) from which a kernel call releases the GIL:
// ~64K float ops take tens of microseconds, well above the release's ~0.1 us.
constexpr int64_t kGilReleaseNumel = int64_t(1) << 16;

// Releases the GIL for its scope when `release` (the caller must hold it).
class GilReleaseIf {
 public:
  explicit GilReleaseIf(bool release) : state_(release ? PyEval_SaveThread() : nullptr) {}
  ~GilReleaseIf() {
    if (state_) PyEval_RestoreThread(state_);
  }
  GilReleaseIf(const GilReleaseIf&) = delete;
  GilReleaseIf& operator=(const GilReleaseIf&) = delete;

 private:
  PyThreadState* state_;
};

namespace gil_detail {
inline int64_t work(const TensorArg& t) { return t.numel(); }
inline int64_t work(const std::optional<TensorArg>& t) { return t ? t->numel() : 0; }
inline int64_t work(const std::vector<TensorArg>& ts) {
  int64_t n = 0;
  for (const TensorArg& t : ts) n += t.numel();
  return n;
}
template <typename T>
int64_t work(const T&) { return 0; }  // scalars, strings, dims: no tensor data
}  // namespace gil_detail

// Whether a call on these operands is big enough to release the GIL.
template <typename... A>
bool heavy_call(const A&... a) {
  return (int64_t(0) + ... + gil_detail::work(a)) >= kGilReleaseNumel;
}

// Released<&cpu::f>::call has f's signature: pybind11 converts the arguments with the GIL
// held, then f runs with it released when its tensors are big enough (heavy_call).
template <auto F, typename Sig = decltype(F)>
struct Released;
template <auto F, typename R, typename... A>
struct Released<F, R (*)(A...)> {
  static R call(A... a) {
    GilReleaseIf gil(heavy_call(a...));
    return F(std::forward<A>(a)...);
  }
};

}  // namespace fastdl

// m.def("matmul", FASTDL_RELEASED(cpu::matmul), ...)
#define FASTDL_RELEASED(...) (&::fastdl::Released<__VA_ARGS__>::call)
