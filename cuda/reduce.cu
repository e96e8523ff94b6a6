// CUDA reductions with the contract of csrc/cpu/reduce.h and the accumulator functors
// of csrc/common/reduce_ops.h.
//
// Two kernels per (op, dtype):
// - row kernel: a block folds one output's reduced elements (threads stride over the
//   reduced index, so contiguous rows are read coalesced) and combines the threads'
//   partials in shared memory. A long reduction with few outputs is split over
//   `splits` blocks per output; the last block to finish (an atomic ticket) combines
//   the partials in split order, so no second launch is needed.
// - column kernel: one thread per output folds serially; used when the outputs are
//   many and the reduced dims are strided (e.g. summing (N, C) over N), where adjacent
//   threads then read adjacent elements.
// Arg ops break ties between partials by the smaller index (see combine_any_order).
#include <algorithm>
#include <utility>

#include "common.cuh"
#include "common/reduce_ops.h"
#include "common/strided_index.h"
#include "cpu/reduce_args.h"
#include "cuda_api.h"
#include "tensor_checks.h"

namespace fastdl {
namespace cuda {

namespace {

using Layout = ReduceLayout;

__device__ __forceinline__ int64_t red_offset(const Layout& L, int64_t r) {
  return L.nr == 1 ? r * L.rstride[0] : strided_offset(r, L.nr, L.rshape, L.rstride);
}

// Merges two partials whose index ranges interleave: for arg ops the partial with the
// smaller index goes first, which makes ties resolve to the first occurrence.
template <typename Op>
__device__ __forceinline__ typename Op::acc_t combine_any_order(typename Op::acc_t a,
                                                                typename Op::acc_t b) {
  if constexpr (Op::kIndexed) {
    if (a.i < 0) return b;
    if (b.i < 0) return a;
    return a.i < b.i ? Op::combine(a, b) : Op::combine(b, a);
  } else {
    return Op::combine(a, b);
  }
}

constexpr int kMaxThreads = 256;

// grid: (outputs, splits). Split s of output o covers reduced indices [b, e).
template <typename Op, typename T>
__global__ void __launch_bounds__(kMaxThreads)
    row_kernel(const T* x, typename Op::out_t* out, Layout L, int splits,
               typename Op::acc_t* part, unsigned* tickets) {
  using acc_t = typename Op::acc_t;
  __shared__ acc_t sh[kMaxThreads];
  __shared__ bool last;
  for (int64_t o = blockIdx.x; o < L.out_numel; o += gridDim.x) {
    const T* xo = x + (L.nk == 1 ? o * L.kstride[0] : strided_offset(o, L.nk, L.kshape, L.kstride));
    const int s = blockIdx.y;
    const int64_t b = L.red_numel * s / splits, e = L.red_numel * (s + 1) / splits;
    acc_t a = Op::init();
    for (int64_t r = b + threadIdx.x; r < e; r += blockDim.x) a = Op::step(a, xo[red_offset(L, r)], r);
    sh[threadIdx.x] = a;
    __syncthreads();
    for (int w = blockDim.x / 2; w > 0; w /= 2) {
      if (threadIdx.x < w) sh[threadIdx.x] = combine_any_order<Op>(sh[threadIdx.x], sh[threadIdx.x + w]);
      __syncthreads();
    }
    if (splits == 1) {
      if (threadIdx.x == 0) out[o] = Op::finish(sh[0]);
    } else {
      if (threadIdx.x == 0) {
        part[o * splits + s] = sh[0];
        __threadfence();  // the partial is visible before the ticket says so
        last = atomicAdd(&tickets[o], 1u) == static_cast<unsigned>(splits - 1);
      }
      __syncthreads();
      if (last && threadIdx.x == 0) {
        __threadfence();
        acc_t t = Op::init();
        for (int k = 0; k < splits; ++k) t = Op::combine(t, part[o * splits + k]);
        out[o] = Op::finish(t);
      }
    }
    __syncthreads();  // sh is reused by the next output
  }
}

template <typename Op, typename T>
__global__ void column_kernel(const T* x, typename Op::out_t* out, Layout L) {
  FASTDL_GRID_STRIDE_LOOP(o, L.out_numel) {
    const T* xo = x + (L.nk == 1 ? o * L.kstride[0] : strided_offset(o, L.nk, L.kshape, L.kstride));
    typename Op::acc_t a = Op::init();
    for (int64_t r = 0; r < L.red_numel; ++r) a = Op::step(a, xo[red_offset(L, r)], r);
    out[o] = Op::finish(a);
  }
}

template <template <typename> class OpT, typename T>
void run(const TensorArg& x, const TensorArg& out, const Layout& L, int device) {
  using Op = OpT<T>;
  using acc_t = typename Op::acc_t;
  const T* xp = x.data<T>();
  auto* op = out.data<typename Op::out_t>();
  const int64_t sms = sm_count(device);
  // Many outputs over strided reduced dims: a thread per output reads coalesced.
  const bool strided_red = L.red_numel > 1 && L.rstride[L.nr - 1] != 1;
  if (L.out_numel >= sms * 256 || (strided_red && L.out_numel >= sms * 32) || L.red_numel <= 4) {
    column_kernel<Op, T><<<grid_size(L.out_numel, device), kBlockSize>>>(xp, op, L);
    FASTDL_CUDA_CHECK(cudaGetLastError());
    return;
  }
  int threads = 32;
  while (threads < kMaxThreads && threads < L.red_numel) threads *= 2;
  // Split long reductions so that the grid has a few blocks per SM.
  int64_t splits = 1;
  if (L.out_numel < sms * 4) {
    splits = std::min<int64_t>((sms * 4 + L.out_numel - 1) / L.out_numel, L.red_numel / (4 * kMaxThreads));
    splits = std::max<int64_t>(1, std::min<int64_t>(splits, 1024));
  }
  const unsigned gx = static_cast<unsigned>(std::min<int64_t>(L.out_numel, 1 << 30));
  acc_t* part = nullptr;
  unsigned* tickets = nullptr;
  void* ws = nullptr;
  size_t ws_bytes = 0;
  if (splits > 1) {  // workspace from the caching allocator; freed stream-ordered below
    const size_t pbytes = ((L.out_numel * splits * sizeof(acc_t)) + 15) / 16 * 16;
    ws_bytes = pbytes + L.out_numel * sizeof(unsigned);
    ws = allocate(ws_bytes, device);
    part = static_cast<acc_t*>(ws);
    tickets = reinterpret_cast<unsigned*>(static_cast<char*>(ws) + pbytes);
    FASTDL_CUDA_CHECK(cudaMemsetAsync(tickets, 0, L.out_numel * sizeof(unsigned), 0));
  }
  row_kernel<Op, T><<<dim3(gx, static_cast<unsigned>(splits)), threads>>>(xp, op, L, static_cast<int>(splits),
                                                                        part, tickets);
  const cudaError_t err = cudaGetLastError();
  if (ws) deallocate(ws, ws_bytes, device);  // later users are ordered after the kernel
  FASTDL_CUDA_CHECK(err);
}

template <typename Op>
__global__ void fill_identity(typename Op::out_t* out, int64_t n) {
  FASTDL_GRID_STRIDE_LOOP(i, n) out[i] = Op::finish(Op::init());
}

template <template <typename> class OpT, typename T>
void dispatch(const TensorArg& x, const TensorArg& out, const Layout& L, int device) {
  if (L.out_numel == 0) return;
  if (L.red_numel == 0) {  // the identity (only sum, prod, any, all get here)
    fill_identity<OpT<T>><<<grid_size(L.out_numel, device), kBlockSize>>>(
        out.data<typename OpT<T>::out_t>(), L.out_numel);
    FASTDL_CUDA_CHECK(cudaGetLastError());
    return;
  }
  run<OpT, T>(x, out, L, device);
}

using Kind = ReduceKind;

}  // namespace

void reduce(const std::string& op, const TensorArg& x, const TensorArg& out,
            const std::vector<int64_t>& dims) {
  const char* name = op.c_str();
  require_device(name);
  const ReduceArgs args = check_reduce_args(op, x, out, dims);
  const Kind kind = args.kind;
  const std::vector<bool>& reduced = args.reduced;
  const int device = out.buf->device_index();
  check_cuda_operand(name, out, device);
  check_cuda_operand(name, x, device);

  const Layout L = make_reduce_layout(x, reduced, true);  // arg ops report row-major reduced indices
  DeviceGuard guard(device);
  switch (kind) {
    case Kind::Sum: FASTDL_DISPATCH_NUMERIC(x.dtype, name, [&] { dispatch<red::Sum, scalar_t>(x, out, L, device); }) break;
    case Kind::Prod: FASTDL_DISPATCH_NUMERIC(x.dtype, name, [&] { dispatch<red::Prod, scalar_t>(x, out, L, device); }) break;
    case Kind::Max: FASTDL_DISPATCH_NUMERIC(x.dtype, name, [&] { dispatch<red::Max, scalar_t>(x, out, L, device); }) break;
    case Kind::Min: FASTDL_DISPATCH_NUMERIC(x.dtype, name, [&] { dispatch<red::Min, scalar_t>(x, out, L, device); }) break;
    case Kind::ArgMax: FASTDL_DISPATCH_NUMERIC(x.dtype, name, [&] { dispatch<red::ArgMax, scalar_t>(x, out, L, device); }) break;
    case Kind::ArgMin: FASTDL_DISPATCH_NUMERIC(x.dtype, name, [&] { dispatch<red::ArgMin, scalar_t>(x, out, L, device); }) break;
    case Kind::Any: FASTDL_DISPATCH_ALL(x.dtype, name, [&] { dispatch<red::Any, scalar_t>(x, out, L, device); }) break;
    case Kind::All: FASTDL_DISPATCH_ALL(x.dtype, name, [&] { dispatch<red::All, scalar_t>(x, out, L, device); }) break;
  }
}

}  // namespace cuda
}  // namespace fastdl
