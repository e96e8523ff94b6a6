// CUDA random kernels with the contracts of csrc/cpu/random.h. Element i of `out` is
// f(philox::draw(seed, offset + i)) with the transforms of csrc/common/philox.h, the
// same functions the CPU kernels call, so the streams match the CPU's (integers and
// uniforms bit for bit; normals to about an ulp of double, see philox.h). randperm's
// Fisher-Yates is serial: it runs on the CPU kernel and the result is copied over.
#include <cmath>
#include <limits>
#include <string>

#include "common.cuh"
#include "common/philox.h"
#include "cpu/random.h"
#include "cuda_api.h"
#include "temp_tensor.h"
#include "tensor_checks.h"

namespace fastdl {
namespace cuda {

namespace {

bool dense(const TensorArg& t) { return t.numel() == 0 || t.is_contiguous(); }

// The CPU kernels' checks; returns the number of counters `out` uses.
int64_t check_random_out(const char* op, const TensorArg& out, int64_t offset) {
  require_device(op);
  if (!dense(out)) fail_value(std::string(op) + ": out must be contiguous, got " + describe(out));
  if (offset < 0) fail_value(std::string(op) + ": offset must be non-negative, got " + std::to_string(offset));
  const int64_t n = out.numel();
  if (n > std::numeric_limits<int64_t>::max() - offset)
    fail_value(std::string(op) + ": offset " + std::to_string(offset) + " overflows with " + describe(out));
  check_cuda_operand(op, out, out.buf->device_index());
  return n;
}

template <typename T, typename F>
__global__ void fill_kernel(T* out, int64_t n, uint64_t seed, int64_t offset, F f) {
  FASTDL_GRID_STRIDE_LOOP(i, n) out[i] = f(philox::draw(seed, static_cast<uint64_t>(offset + i)));
}

template <typename T, typename F>
int64_t fill_random(const char* op, const TensorArg& out, uint64_t seed, int64_t offset, F f) {
  const int64_t n = check_random_out(op, out, offset);
  if (n == 0) return offset;
  const int device = out.buf->device_index();
  DeviceGuard guard(device);
  fill_kernel<T><<<grid_size(n, device), kBlockSize>>>(out.data<T>(), n, seed, offset, f);
  FASTDL_CUDA_CHECK(cudaGetLastError());
  return offset + n;
}

// The per-element transforms, as in csrc/cpu/random.cpp.
template <typename T> struct Uniform {
  double low, high;
  T hi, below_hi;  // high in T, and the value one ulp below it that replaces it
  __device__ T operator()(const philox::U4& w) const {
    const double u = sizeof(T) == 4 ? static_cast<double>(philox::uniform_f32(w)) : philox::uniform_f64(w);
    const T v = static_cast<T>(low + (high - low) * u);
    return v < hi ? v : below_hi;
  }
};

template <typename T> struct Normal {
  double mean, std;
  __device__ T operator()(const philox::U4& w) const { return static_cast<T>(mean + std * philox::normal_f64(w)); }
};

template <typename T> struct RandInt {
  int64_t low;
  uint64_t range;
  __device__ T operator()(const philox::U4& w) const { return static_cast<T>(philox::int_in_range(w, low, range)); }
};

template <typename T> struct Bernoulli {
  double p;
  __device__ T operator()(const philox::U4& w) const { return static_cast<T>(philox::uniform_f64(w) < p); }
};

template <typename T>
__global__ void arange_kernel(T* o, int64_t n, int64_t s, double start, double step) {
  FASTDL_GRID_STRIDE_LOOP(i, n) o[i * s] = static_cast<T>(start + static_cast<double>(i) * step);
}

__global__ void arange_int_kernel(int64_t* o, int64_t n, int64_t s, int64_t a, int64_t d) {
  FASTDL_GRID_STRIDE_LOOP(i, n) o[i * s] = a + i * d;
}

}  // namespace

int64_t random_uniform(const TensorArg& out, uint64_t seed, int64_t offset, double low, double high) {
  require_device("random_uniform");
  if (!(std::isfinite(low) && std::isfinite(high) && low <= high))
    fail_value("random_uniform: need finite low <= high, got [" + std::to_string(low) + ", " +
               std::to_string(high) + ")");
  int64_t next = 0;
  FASTDL_DISPATCH_FLOAT(out.dtype, "random_uniform", [&] {
    using T = scalar_t;
    const T lo = static_cast<T>(low), hi = static_cast<T>(high);
    const T below_hi = lo < hi ? std::nextafter(hi, lo) : lo;
    next = fill_random<T>("random_uniform", out, seed, offset, Uniform<T>{low, high, hi, below_hi});
  })
  return next;
}

int64_t random_normal(const TensorArg& out, uint64_t seed, int64_t offset, double mean, double std) {
  require_device("random_normal");
  if (!(std::isfinite(mean) && std::isfinite(std) && std >= 0))
    fail_value("random_normal: need finite mean and std >= 0, got mean " + std::to_string(mean) + ", std " +
               std::to_string(std));
  int64_t next = 0;
  FASTDL_DISPATCH_FLOAT(out.dtype, "random_normal", [&] {
    next = fill_random<scalar_t>("random_normal", out, seed, offset, Normal<scalar_t>{mean, std});
  })
  return next;
}

int64_t random_int(const TensorArg& out, uint64_t seed, int64_t offset, int64_t low, int64_t high) {
  require_device("random_int");
  if (low >= high)
    fail_value("random_int: need low < high, got [" + std::to_string(low) + ", " + std::to_string(high) + ")");
  const uint64_t range = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
  int64_t next = 0;
  FASTDL_DISPATCH_NUMERIC(out.dtype, "random_int", [&] {
    next = fill_random<scalar_t>("random_int", out, seed, offset, RandInt<scalar_t>{low, range});
  })
  return next;
}

int64_t bernoulli(const TensorArg& out, uint64_t seed, int64_t offset, double p) {
  require_device("bernoulli");
  if (!(p >= 0.0 && p <= 1.0)) fail_value("bernoulli: p must be in [0, 1], got " + std::to_string(p));
  int64_t next = 0;
  FASTDL_DISPATCH_ALL(out.dtype, "bernoulli", [&] {
    next = fill_random<scalar_t>("bernoulli", out, seed, offset, Bernoulli<scalar_t>{p});
  })
  return next;
}

int64_t randperm(const TensorArg& out, uint64_t seed, int64_t offset) {
  require_device("randperm");
  check_dtype("randperm", out, DType::Int64);
  if (out.ndim() != 1) fail_value("randperm: out must be 1-D, got " + describe(out));
  check_random_out("randperm", out, offset);
  const int64_t n = out.numel();
  TensorArg host;
  host.buf = std::make_shared<Buffer>(static_cast<size_t>(n) * sizeof(int64_t), DeviceType::CPU);
  host.dtype = DType::Int64;
  host.shape = {n};
  host.strides = {1};
  const int64_t next = cpu::randperm(host, seed, offset);
  DeviceGuard guard(out.buf->device_index());
  if (n > 0)
    FASTDL_CUDA_CHECK(cudaMemcpy(out.bytes(), host.bytes(), n * sizeof(int64_t), cudaMemcpyHostToDevice));
  return next;
}

void arange(const TensorArg& out, double start, double step) {
  require_device("arange");
  if (out.ndim() != 1) fail_value("arange: out must be 1-D, got " + describe(out));
  if (!(std::isfinite(start) && std::isfinite(step)))
    fail_value("arange: start and step must be finite, got " + std::to_string(start) + ", " + std::to_string(step));
  const int device = out.buf->device_index();
  check_cuda_operand("arange", out, device);
  const int64_t n = out.shape[0], s = out.strides[0];
  auto integral = [](double v) { return std::floor(v) == v && std::fabs(v) < 0x1.0p63; };
  if (out.dtype == DType::Int64 && n > 0) {  // both ends fit in int64 (the sequence is monotone)
    const double last = start + static_cast<double>(n - 1) * step;
    int64_t exact_last = 0;
    const bool ok = integral(start) && integral(step)
                        ? !__builtin_mul_overflow(static_cast<int64_t>(step), n - 1, &exact_last) &&
                              !__builtin_add_overflow(exact_last, static_cast<int64_t>(start), &exact_last)
                        : std::fabs(start) < 0x1.0p63 && std::fabs(last) < 0x1.0p63;
    if (!ok) fail_value("arange: values overflow int64 for " + describe(out));
  }
  if (n == 0) return;
  DeviceGuard guard(device);
  if (out.dtype == DType::Int64 && integral(start) && integral(step)) {
    arange_int_kernel<<<grid_size(n, device), kBlockSize>>>(out.data<int64_t>(), n, s, static_cast<int64_t>(start),
                                                            static_cast<int64_t>(step));
  } else {
    FASTDL_DISPATCH_NUMERIC(out.dtype, "arange", [&] {
      arange_kernel<scalar_t><<<grid_size(n, device), kBlockSize>>>(out.data<scalar_t>(), n, s, start, step);
    })
  }
  FASTDL_CUDA_CHECK(cudaGetLastError());
}

}  // namespace cuda
}  // namespace fastdl
