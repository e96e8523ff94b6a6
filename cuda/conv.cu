// CUDA im2col / col2im with the contract of csrc/cpu/conv.h and the index math of
// csrc/common/im2col.h. im2col: one thread per column entry (consecutive threads
// write consecutive output positions). col2im: one thread per image element summing
// the column entries that read it (a gather, so no atomics and a fixed order).
#include "common.cuh"
#include "common/im2col.h"
#include "cpu/conv_args.h"
#include "layer_kernels.h"
#include "cuda_api.h"
#include "tensor_checks.h"

namespace fastdl {
namespace cuda {

namespace {

template <typename T>
__global__ void im2col_kernel(const T* x, ImageStrides xs, T* cols, ConvGeom g) {
  const int64_t K = g.C * g.kh * g.kw, L = g.OH * g.OW;
  FASTDL_GRID_STRIDE_LOOP(e, g.N * K * L) {
    int64_t src;
    cols[e] = im2col_source(g, xs, e / (L * K), (e / L) % K, e % L, &src) ? x[src] : T(0);
  }
}

// The output coordinate o whose tap t reads input coordinate `in` along one axis
// (conv_in_coord(o, t, ...) == in), or -1 when there is none.
__device__ __forceinline__ int64_t reading_output(int64_t in, int64_t t, int64_t s, int64_t p, int64_t d,
                                                  int64_t out) {
  const int64_t num = in + p - t * d;
  if (num < 0 || num % s != 0) return -1;
  const int64_t o = num / s;
  return o < out ? o : -1;
}

template <typename T>
__global__ void col2im_kernel(const T* cols, int64_t s0, int64_t s1, int64_t s2, T* xg, ConvGeom g) {
  FASTDL_GRID_STRIDE_LOOP(e, g.N * g.C * g.H * g.W) {
    const int64_t iw = e % g.W, ih = (e / g.W) % g.H, c = (e / (g.W * g.H)) % g.C, n = e / (g.W * g.H * g.C);
    const T* cn = cols + n * s0;
    T sum = 0;
    for (int64_t i = 0; i < g.kh; ++i) {
      const int64_t oh = reading_output(ih, i, g.sh, g.ph, g.dh, g.OH);
      if (oh < 0) continue;
      for (int64_t j = 0; j < g.kw; ++j) {
        const int64_t ow = reading_output(iw, j, g.sw, g.pw, g.dw, g.OW);
        if (ow >= 0) sum += cn[im2col_row(c, i, j, g.kh, g.kw) * s1 + (oh * g.OW + ow) * s2];
      }
    }
    xg[e] = sum;
  }
}

}  // namespace

void im2col(const TensorArg& x, const TensorArg& cols, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
            int64_t ph, int64_t pw, int64_t dh, int64_t dw) {
  require_device("im2col");
  const ConvGeom g = check_conv_args("im2col", on_cuda("im2col", x), x, cols, false, kh, kw, sh, sw, ph, pw, dh, dw);
  const int64_t n = cols.numel();
  if (n == 0) return;
  const int device = x.buf->device_index();
  DeviceGuard guard(device);
  const ImageStrides xv{x.strides[0], x.strides[1], x.strides[2], x.strides[3]};
  FASTDL_DISPATCH_FLOAT(x.dtype, "im2col", [&] {
    im2col_kernel<scalar_t><<<grid_size(n, device), kBlockSize>>>(x.data<scalar_t>(), xv, cols.data<scalar_t>(), g);
  })
  FASTDL_CUDA_CHECK(cudaGetLastError());
}

void col2im(const TensorArg& cols, const TensorArg& x_grad, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
            int64_t ph, int64_t pw, int64_t dh, int64_t dw) {
  require_device("col2im");
  const ConvGeom g =
      check_conv_args("col2im", on_cuda("col2im", x_grad), x_grad, cols, true, kh, kw, sh, sw, ph, pw, dh, dw);
  const int64_t n = x_grad.numel();
  if (n == 0) return;
  const int device = x_grad.buf->device_index();
  DeviceGuard guard(device);
  FASTDL_DISPATCH_FLOAT(x_grad.dtype, "col2im", [&] {
    col2im_kernel<scalar_t><<<grid_size(n, device), kBlockSize>>>(
        cols.data<scalar_t>(), cols.strides[0], cols.strides[1], cols.strides[2], x_grad.data<scalar_t>(), g);
  })
  FASTDL_CUDA_CHECK(cudaGetLastError());
}

}  // namespace cuda
}  // namespace fastdl
