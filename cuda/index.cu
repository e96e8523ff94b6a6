// CUDA indexing kernels with the contracts of csrc/cpu/index.h.
//
// Every index tensor is scanned on the device first (first_bad_index): the position
// of the first out-of-range value lands in a device flag that the host reads back,
// and IndexError is raised before any kernel reads or writes at an index.
// The gather-like ops (index_select, gather) and scatter-like ops (index_add,
// scatter_add, index_put) are elementwise kernels over three views: the operand on
// the indexed side is seen with stride 0 along `dim`, and the index value times that
// dim's stride is added per element. Scatters accumulate with atomicAdd; index_put
// without accumulation lets the last occurrence of a duplicate win, as on the CPU,
// by first recording each target slot's largest index position (atomicMax).
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "cpu/index_args.h"
#include "elementwise.cuh"
#include "temp_tensor.h"
#include "tensor_checks.h"

namespace fastdl {
namespace cuda {

namespace {

struct IndexView {
  const int64_t* p;
  int ndim;
  int64_t shape[kMaxDims], strides[kMaxDims];
};

__global__ void find_bad_index(IndexView v, int64_t n, int64_t lo, int64_t hi, int64_t allowed,
                               unsigned long long* first) {
  FASTDL_GRID_STRIDE_LOOP(i, n) {
    const int64_t x = v.p[strided_offset(i, v.ndim, v.shape, v.strides)];
    if ((x < lo || x >= hi) && x != allowed) atomicMin(first, static_cast<unsigned long long>(i));
  }
}

}  // namespace

std::pair<int64_t, int64_t> first_bad_index(const TensorArg& index, int64_t lo, int64_t hi, int64_t allowed) {
  const int64_t n = index.numel();
  if (n == 0) return {-1, 0};
  const int device = index.buf->device_index();
  IndexView v;
  v.p = index.data<int64_t>();
  v.ndim = index.ndim();
  for (int d = 0; d < v.ndim; ++d) v.shape[d] = index.shape[d], v.strides[d] = index.strides[d];
  if (v.ndim == 0) v.ndim = 1, v.shape[0] = 1, v.strides[0] = 0;
  TensorArg flag = empty_cuda({1}, DType::Int64, device);
  auto* first = reinterpret_cast<unsigned long long*>(flag.bytes());
  FASTDL_CUDA_CHECK(cudaMemsetAsync(first, 0xff, sizeof(*first), 0));
  find_bad_index<<<grid_size(n, device), kBlockSize>>>(v, n, lo, hi, allowed, first);
  FASTDL_CUDA_CHECK(cudaGetLastError());
  unsigned long long pos = 0;
  FASTDL_CUDA_CHECK(cudaMemcpy(&pos, first, sizeof(pos), cudaMemcpyDeviceToHost));
  if (pos == std::numeric_limits<unsigned long long>::max()) return {-1, 0};
  int64_t value = 0;
  const int64_t off = strided_offset(static_cast<int64_t>(pos), v.ndim, v.shape, v.strides);
  FASTDL_CUDA_CHECK(cudaMemcpy(&value, v.p + off, sizeof(value), cudaMemcpyDeviceToHost));
  return {static_cast<int64_t>(pos), value};
}

namespace {

bool dense(const TensorArg& t) { return t.numel() == 0 || t.is_contiguous(); }

// Raises the CPU kernels' IndexError when some value of `index` is outside [-size, size).
void check_indices(const char* op, const TensorArg& index, int dim, int64_t size) {
  const auto bad = first_bad_index(index, -size, size, -size);
  if (bad.first >= 0) fail_index_out_of_bounds(op, bad.second, dim, size);
}

// A 1-D index seen through `shape`: its values run along `dim`, broadcast elsewhere.
TensorArg index_along(const TensorArg& index, const std::vector<int64_t>& shape, int dim) {
  TensorArg v = index;
  v.shape = shape;
  v.strides.assign(shape.size(), 0);
  v.strides[dim] = index.strides[0];
  return v;
}

// t seen through `shape` with stride 0 along dim (the index supplies that coordinate).
TensorArg without_dim(const TensorArg& t, const std::vector<int64_t>& shape, int dim) {
  TensorArg v = t;
  v.shape = shape;
  v.strides[dim] = 0;
  return v;
}

__device__ __forceinline__ int64_t wrap(int64_t v, int64_t size) { return v < 0 ? v + size : v; }

// p[0] = out, p[1] = index, p[2] = source (stride 0 along dim).
template <typename T>
struct GatherElem {
  int64_t size, src_dim_stride;
  __device__ void operator()(char* const* p, const int64_t* off) const {
    const int64_t v = wrap(reinterpret_cast<const int64_t*>(p[1])[off[1]], size);
    reinterpret_cast<T*>(p[0])[off[0]] = reinterpret_cast<const T*>(p[2])[off[2] + v * src_dim_stride];
  }
};

template <typename T>
__device__ __forceinline__ void atomic_add(T* t, T v) {
  if constexpr (std::is_same<T, bool>::value) {
    if (v) *t = true;  // bool + bool is logical or; concurrent stores of true are benign
  } else if constexpr (std::is_same<T, int64_t>::value) {
    atomicAdd(reinterpret_cast<unsigned long long*>(t), static_cast<unsigned long long>(v));  // wraps
  } else {
    atomicAdd(t, v);
  }
}

// p[0] = target (stride 0 along dim), p[1] = index, p[2] = src.
// winner == nullptr: accumulate; else assign where this is the slot's last occurrence
// (off[1] is the position in a contiguous 1-D index).
template <typename T>
struct ScatterElem {
  int64_t size, dst_dim_stride;
  const int64_t* winner;
  __device__ void operator()(char* const* p, const int64_t* off) const {
    const int64_t v = wrap(reinterpret_cast<const int64_t*>(p[1])[off[1]], size);
    T* t = reinterpret_cast<T*>(p[0]) + off[0] + v * dst_dim_stride;
    const T s = reinterpret_cast<const T*>(p[2])[off[2]];
    if (winner == nullptr) atomic_add(t, s);
    else if (winner[v] == off[1]) *t = s;
  }
};

__global__ void last_occurrence(const int64_t* idx, int64_t n, int64_t size, int64_t* winner) {
  FASTDL_GRID_STRIDE_LOOP(i, n) {
    atomicMax(reinterpret_cast<long long*>(winner + wrap(idx[i], size)), static_cast<long long>(i));
  }
}

// index_add / index_put.
void index_accumulate(const char* op, const TensorArg& target, int64_t dim_in, const TensorArg& index,
                      const TensorArg& src, bool accumulate) {
  require_device(op);
  const int dim = check_index_accumulate_args(op, on_cuda(op, target), target, dim_in, index, src);
  const int device = target.buf->device_index();
  DeviceGuard guard(device);
  const int64_t size = target.shape[dim];
  check_indices(op, index, dim, size);
  const int64_t n = index.shape[0];
  if (src.numel() == 0) return;
  const TensorArg idx = accumulate ? index : contiguous_cuda(index);
  const TensorArg tv = without_dim(target, src.shape, dim), iv = index_along(idx, src.shape, dim);
  const int64_t t_dim = target.strides[dim];
  TensorArg winner;
  if (!accumulate) {
    winner = empty_cuda({size}, DType::Int64, device);
    FASTDL_CUDA_CHECK(cudaMemsetAsync(winner.bytes(), 0xff, size * sizeof(int64_t), 0));  // -1
    last_occurrence<<<grid_size(n, device), kBlockSize>>>(idx.data<int64_t>(), n, size, winner.data<int64_t>());
    FASTDL_CUDA_CHECK(cudaGetLastError());
  }
  const int64_t* wp = accumulate ? nullptr : winner.data<int64_t>();
  FASTDL_DISPATCH_ALL(target.dtype, op, [&] {
    launch_elementwise<3>(op, {&tv, &iv, &src}, ScatterElem<scalar_t>{size, t_dim, wp});
  })
}

constexpr int kChunkThreads = 256, kChunkIters = 8;
constexpr int64_t kChunk = kChunkThreads * kChunkIters;  // elements per nonzero chunk

struct XView {
  const char* p;
  int ndim;
  int64_t shape[kMaxDims], strides[kMaxDims];
};

XView xview(const TensorArg& x) {
  XView v;
  v.p = x.bytes();
  v.ndim = x.ndim();
  for (int d = 0; d < v.ndim; ++d) v.shape[d] = x.shape[d], v.strides[d] = x.strides[d];
  if (v.ndim == 0) v.ndim = 1, v.shape[0] = 1, v.strides[0] = 0;
  return v;
}

template <typename T>
__device__ __forceinline__ bool nonzero_at(const XView& v, int64_t i) {
  return reinterpret_cast<const T*>(v.p)[strided_offset(i, v.ndim, v.shape, v.strides)] != T(0);
}

// counts[c] = nonzeros in chunk c (elements [c * kChunk, (c + 1) * kChunk)).
template <typename T>
__global__ void __launch_bounds__(kChunkThreads) count_chunks(XView v, int64_t n, int64_t chunks, int64_t* counts) {
  __shared__ int sh[kChunkThreads / 32];
  for (int64_t c = blockIdx.x; c < chunks; c += gridDim.x) {
    int cnt = 0;
    for (int k = 0; k < kChunkIters; ++k) {
      const int64_t i = c * kChunk + k * kChunkThreads + threadIdx.x;
      cnt += i < n && nonzero_at<T>(v, i);
    }
    for (int o = 16; o > 0; o /= 2) cnt += __shfl_xor_sync(0xffffffffu, cnt, o);
    if (threadIdx.x % 32 == 0) sh[threadIdx.x / 32] = cnt;
    __syncthreads();
    if (threadIdx.x == 0) {
      int64_t total = 0;
      for (int w = 0; w < kChunkThreads / 32; ++w) total += sh[w];
      counts[c] = total;
    }
    __syncthreads();
  }
}

// Writes the coordinates of chunk c's nonzeros, in order, from row start[c] of out.
template <typename T>
__global__ void __launch_bounds__(kChunkThreads)
    write_chunks(XView v, int64_t n, int64_t chunks, const int64_t* start, int64_t* out, int nd) {
  __shared__ int sh[kChunkThreads / 32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  for (int64_t c = blockIdx.x; c < chunks; c += gridDim.x) {
    int64_t row = start[c];
    for (int k = 0; k < kChunkIters; ++k) {
      const int64_t i = c * kChunk + k * kChunkThreads + threadIdx.x;
      const bool hit = i < n && nonzero_at<T>(v, i);
      const unsigned mask = __ballot_sync(0xffffffffu, hit);
      if (lane == 0) sh[warp] = __popc(mask);
      __syncthreads();
      int before = __popc(mask & ((1u << lane) - 1u)), total = 0;
      for (int w = 0; w < kChunkThreads / 32; ++w) {
        if (w < warp) before += sh[w];
        total += sh[w];
      }
      if (hit) {
        int64_t* o = out + (row + before) * nd;
        int64_t rem = i;
        for (int d = nd - 1; d >= 0; --d) {
          o[d] = rem % v.shape[d];
          rem /= v.shape[d];
        }
      }
      row += total;
      __syncthreads();  // sh is rewritten by the next step
    }
  }
}

template <typename T>
__global__ void count_all(XView v, int64_t n, unsigned long long* total) {
  unsigned long long cnt = 0;
  FASTDL_GRID_STRIDE_LOOP(i, n) cnt += nonzero_at<T>(v, i);
  for (int o = 16; o > 0; o /= 2) cnt += __shfl_xor_sync(0xffffffffu, cnt, o);
  if (threadIdx.x % 32 == 0 && cnt) atomicAdd(total, cnt);
}

unsigned chunk_grid(int64_t chunks) { return static_cast<unsigned>(std::min<int64_t>(chunks, 1 << 20)); }

}  // namespace

void index_select(const TensorArg& x, int64_t dim_in, const TensorArg& index, const TensorArg& out) {
  const char* op = "index_select";
  require_device(op);
  const int dim = check_index_select_args(on_cuda(op, out), x, dim_in, index, out);
  DeviceGuard guard(out.buf->device_index());
  const int64_t size = x.shape[dim];
  check_indices(op, index, dim, size);
  if (out.numel() == 0) return;
  const TensorArg xv = without_dim(x, out.shape, dim), iv = index_along(index, out.shape, dim);
  FASTDL_DISPATCH_ALL(x.dtype, op, [&] {
    launch_elementwise<3>(op, {&out, &iv, &xv}, GatherElem<scalar_t>{size, x.strides[dim]});
  })
}

void index_add(const TensorArg& target, int64_t dim, const TensorArg& index, const TensorArg& src) {
  index_accumulate("index_add", target, dim, index, src, true);
}

void index_put(const TensorArg& target, int64_t dim, const TensorArg& index, const TensorArg& src,
               bool accumulate) {
  index_accumulate("index_put", target, dim, index, src, accumulate);
}

void gather(const TensorArg& x, int64_t dim_in, const TensorArg& index, const TensorArg& out) {
  const char* op = "gather";
  require_device(op);
  const int dim = check_gather_args(on_cuda(op, out), x, dim_in, index, out);
  DeviceGuard guard(out.buf->device_index());
  const int64_t size = x.shape[dim];
  check_indices(op, index, dim, size);
  if (out.numel() == 0) return;
  const TensorArg xv = without_dim(x, index.shape, dim);
  FASTDL_DISPATCH_ALL(x.dtype, op, [&] {
    launch_elementwise<3>(op, {&out, &index, &xv}, GatherElem<scalar_t>{size, x.strides[dim]});
  })
}

void scatter_add(const TensorArg& target, int64_t dim_in, const TensorArg& index, const TensorArg& src) {
  const char* op = "scatter_add";
  require_device(op);
  const int dim = check_scatter_add_args(on_cuda(op, target), target, dim_in, index, src);
  DeviceGuard guard(target.buf->device_index());
  const int64_t size = target.shape[dim];
  check_indices(op, index, dim, size);
  if (index.numel() == 0) return;
  const TensorArg tv = without_dim(target, index.shape, dim);
  TensorArg sv = src;
  sv.shape = index.shape;  // the leading corner of src that index covers
  FASTDL_DISPATCH_ALL(target.dtype, op, [&] {
    launch_elementwise<3>(op, {&tv, &index, &sv}, ScatterElem<scalar_t>{size, target.strides[dim], nullptr});
  })
}

int64_t count_nonzero(const TensorArg& x) {
  const char* op = "count_nonzero";
  require_device(op);
  if (x.ndim() > kMaxDims) fail_value("count_nonzero: more than 16 dimensions in " + describe(x));
  const int device = x.buf->device_index();
  check_cuda_operand(op, x, device);
  const int64_t n = x.numel();
  if (n == 0) return 0;
  DeviceGuard guard(device);
  TensorArg total = empty_cuda({1}, DType::Int64, device);
  auto* tp = reinterpret_cast<unsigned long long*>(total.bytes());
  FASTDL_CUDA_CHECK(cudaMemsetAsync(tp, 0, sizeof(*tp), 0));
  FASTDL_DISPATCH_ALL(x.dtype, op, [&] {
    count_all<scalar_t><<<grid_size(n, device), kBlockSize>>>(xview(x), n, tp);
    FASTDL_CUDA_CHECK(cudaGetLastError());
  })
  unsigned long long host = 0;
  FASTDL_CUDA_CHECK(cudaMemcpy(&host, tp, sizeof(host), cudaMemcpyDeviceToHost));
  return static_cast<int64_t>(host);
}

void nonzero(const TensorArg& x, const TensorArg& out) {
  const char* op = "nonzero";
  require_device(op);
  check_dtype(op, out, DType::Int64);
  if (x.ndim() > kMaxDims) fail_value("nonzero: more than 16 dimensions in " + describe(x));
  const int device = out.buf->device_index();
  check_cuda_operand(op, x, device);
  check_cuda_operand(op, out, device);
  DeviceGuard guard(device);
  const int64_t n = x.numel(), nd = x.ndim();
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  // Pass 1: nonzeros per chunk; their exclusive prefix sums (on the host) give each
  // chunk's first output row.
  std::vector<int64_t> start(static_cast<size_t>(chunks));
  TensorArg dev_start = empty_cuda({std::max<int64_t>(chunks, 1)}, DType::Int64, device);
  int64_t* sp = dev_start.data<int64_t>();
  if (chunks > 0) {
    FASTDL_DISPATCH_ALL(x.dtype, op, [&] {
      count_chunks<scalar_t><<<chunk_grid(chunks), kChunkThreads>>>(xview(x), n, chunks, sp);
      FASTDL_CUDA_CHECK(cudaGetLastError());
    })
    FASTDL_CUDA_CHECK(cudaMemcpy(start.data(), sp, chunks * sizeof(int64_t), cudaMemcpyDeviceToHost));
  }
  int64_t total = 0;
  for (auto& c : start) {
    const int64_t cnt = c;
    c = total;
    total += cnt;
  }
  if (out.shape != std::vector<int64_t>{total, nd} || !dense(out))
    fail_value(std::string(op) + ": out must be contiguous int64[" + std::to_string(total) + ", " +
               std::to_string(nd) + "] for x " + describe(x) + ", got " + describe(out));
  if (total == 0 || nd == 0) return;
  FASTDL_CUDA_CHECK(cudaMemcpy(sp, start.data(), chunks * sizeof(int64_t), cudaMemcpyHostToDevice));
  FASTDL_DISPATCH_ALL(x.dtype, op, [&] {
    write_chunks<scalar_t><<<chunk_grid(chunks), kChunkThreads>>>(xview(x), n, chunks, sp,
                                                                  out.data<int64_t>(), static_cast<int>(nd));
    FASTDL_CUDA_CHECK(cudaGetLastError());
  })
}

}  // namespace cuda
}  // namespace fastdl
