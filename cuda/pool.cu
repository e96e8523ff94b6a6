// CUDA pooling with the contracts of csrc/cpu/pool.h and the window math of
// csrc/common/pool_window.h. Forward kernels: one thread per output. Backward of the
// average pools: one thread per input element gathering the outputs whose window
// holds it (no atomics, fixed order). Backward of max pooling scatters through the
// saved indices with atomicAdd, after the indices are checked on the device.
#include "common.cuh"
#include "common/pool_window.h"
#include "cpu/pool_args.h"
#include "cuda_api.h"
#include "layer_kernels.h"
#include "temp_tensor.h"
#include "tensor_checks.h"

namespace fastdl {
namespace cuda {

namespace {

struct Planes {  // a 4-D (N, C, H, W) view
  int64_t N, C, H, W;
  int64_t sN, sC, sH, sW;
};

Planes planes_of(const TensorArg& t) {
  return {t.shape[0], t.shape[1], t.shape[2], t.shape[3], t.strides[0], t.strides[1], t.strides[2], t.strides[3]};
}

// Flat index e of a dense (N, C, H, W) tensor -> (plane n*C + c, h, w).
__device__ __forceinline__ void split_dense(int64_t e, int64_t H, int64_t W, int64_t* plane, int64_t* h,
                                            int64_t* w) {
  *w = e % W;
  *h = (e / W) % H;
  *plane = e / (W * H);
}

__device__ __forceinline__ int64_t plane_offset(const Planes& v, int64_t plane) {
  return (plane / v.C) * v.sN + (plane % v.C) * v.sC;
}

struct Window {  // one axis of a pooling window
  int64_t k, s, p, d;
};

// Max over the (dilated) window: strict > keeps the first max; the first NaN (row-major
// tap order) wins, as on the CPU.
template <typename T>
__global__ void max_pool_kernel(const T* x, Planes xv, T* out, int64_t* idx, int64_t OH, int64_t OW, Window wh,
                                Window ww) {
  FASTDL_GRID_STRIDE_LOOP(e, xv.N * xv.C * OH * OW) {
    int64_t plane, oh, ow;
    split_dense(e, OH, OW, &plane, &oh, &ow);
    int64_t h0, h1, w0, w1;
    max_pool_window(oh, xv.H, wh.k, wh.s, wh.p, wh.d, &h0, &h1);
    max_pool_window(ow, xv.W, ww.k, ww.s, ww.p, ww.d, &w0, &w1);
    const T* xp = x + plane_offset(xv, plane);
    T best = -INFINITY;
    int64_t best_i = h0 * xv.W + w0;
    for (int64_t ih = h0; ih < h1; ih += wh.d) {
      for (int64_t iw = w0; iw < w1; iw += ww.d) {
        const T v = xp[ih * xv.sH + iw * xv.sW];
        if (v > best || v != v) {
          best = v;
          best_i = ih * xv.W + iw;
          if (v != v) goto done;
        }
      }
    }
  done:
    out[e] = best;
    idx[e] = best_i;
  }
}

template <typename T>
__global__ void max_pool_backward_kernel(const T* go, Planes gv, const int64_t* idx, Planes iv, T* gi,
                                         int64_t HW) {
  FASTDL_GRID_STRIDE_LOOP(e, gv.N * gv.C * gv.H * gv.W) {
    int64_t plane, oh, ow;
    split_dense(e, gv.H, gv.W, &plane, &oh, &ow);
    const int64_t k = idx[plane_offset(iv, plane) + oh * iv.sH + ow * iv.sW];
    atomicAdd(gi + plane * HW + k, go[plane_offset(gv, plane) + oh * gv.sH + ow * gv.sW]);
  }
}

struct AvgParams {
  Window h, w;
  bool count_include_pad;
  int64_t divisor_override;
  bool adaptive;  // windows from adaptive_start / adaptive_end instead of (k, s, p)
};

// The window of output o along one axis of length `in` (pooled to `out`): [start, end)
// clipped to the input; returns the length counted by count_include_pad.
__device__ __forceinline__ int64_t avg_window(const AvgParams& a, const Window& w, int64_t o, int64_t in,
                                              int64_t out, int64_t* start, int64_t* end) {
  if (a.adaptive) {
    *start = adaptive_start(o, out, in);
    *end = adaptive_end(o, out, in);
    return *end - *start;
  }
  return avg_pool_window(o, in, w.k, w.s, w.p, start, end);
}

// The outputs whose window may hold input coordinate i: a superset, each one checked
// against its window by the caller.
__device__ __forceinline__ void candidate_outputs(const AvgParams& a, const Window& w, int64_t i, int64_t in,
                                                  int64_t out, int64_t* lo, int64_t* hi) {
  if (a.adaptive) {
    *lo = (i * out) / in;
    *hi = ((i + 1) * out + in - 1) / in;
  } else {
    *lo = win_floor_div(i + w.p - w.k, w.s) + 1;
    *hi = win_floor_div(i + w.p, w.s) + 1;
  }
  *lo = *lo < 0 ? 0 : *lo;
  *hi = *hi > out ? out : *hi;
}

template <typename T>
__global__ void avg_pool_kernel(const T* x, Planes xv, T* out, int64_t OH, int64_t OW, AvgParams a) {
  FASTDL_GRID_STRIDE_LOOP(e, xv.N * xv.C * OH * OW) {
    int64_t plane, oh, ow, h0, h1, w0, w1;
    split_dense(e, OH, OW, &plane, &oh, &ow);
    const int64_t ph = avg_window(a, a.h, oh, xv.H, OH, &h0, &h1);
    const int64_t pw = avg_window(a, a.w, ow, xv.W, OW, &w0, &w1);
    const T* xp = x + plane_offset(xv, plane);
    T sum = 0;
    for (int64_t ih = h0; ih < h1; ++ih)
      for (int64_t iw = w0; iw < w1; ++iw) sum += xp[ih * xv.sH + iw * xv.sW];
    const int64_t div = avg_pool_divisor(ph * pw, (h1 - h0) * (w1 - w0), a.count_include_pad, a.divisor_override);
    out[e] = sum / static_cast<T>(div);
  }
}

template <typename T>
__global__ void avg_pool_backward_kernel(const T* go, Planes gv, T* gi, int64_t H, int64_t W, AvgParams a) {
  FASTDL_GRID_STRIDE_LOOP(e, gv.N * gv.C * H * W) {
    int64_t plane, ih, iw, oh0, oh1, ow0, ow1;
    split_dense(e, H, W, &plane, &ih, &iw);
    candidate_outputs(a, a.h, ih, H, gv.H, &oh0, &oh1);
    candidate_outputs(a, a.w, iw, W, gv.W, &ow0, &ow1);
    const T* gp = go + plane_offset(gv, plane);
    T sum = 0;
    for (int64_t oh = oh0; oh < oh1; ++oh) {
      int64_t h0, h1;
      const int64_t ph = avg_window(a, a.h, oh, H, gv.H, &h0, &h1);
      if (ih < h0 || ih >= h1) continue;
      for (int64_t ow = ow0; ow < ow1; ++ow) {
        int64_t w0, w1;
        const int64_t pw = avg_window(a, a.w, ow, W, gv.W, &w0, &w1);
        if (iw < w0 || iw >= w1) continue;
        const int64_t div =
            avg_pool_divisor(ph * pw, (h1 - h0) * (w1 - w0), a.count_include_pad, a.divisor_override);
        sum += gp[oh * gv.sH + ow * gv.sW] / static_cast<T>(div);
      }
    }
    gi[e] = sum;
  }
}

template <typename F>
void launch(const char* op, const TensorArg& t, int64_t n, F&& f) {
  if (n == 0) return;
  const int device = t.buf->device_index();
  DeviceGuard guard(device);
  FASTDL_DISPATCH_FLOAT(t.dtype, op, [&] { f(scalar_t(), grid_size(n, device)); })
  FASTDL_CUDA_CHECK(cudaGetLastError());
}

void avg_forward(const char* op, const TensorArg& x, const TensorArg& out, const AvgParams& a) {
  const int64_t OH = out.shape[2], OW = out.shape[3];
  launch(op, x, out.numel(), [&](auto zero, unsigned grid) {
    using T = decltype(zero);
    avg_pool_kernel<T><<<grid, kBlockSize>>>(x.data<T>(), planes_of(x), out.data<T>(), OH, OW, a);
  });
}

void avg_backward(const char* op, const TensorArg& grad_out, const TensorArg& grad_in, const AvgParams& a) {
  const int64_t H = grad_in.shape[2], W = grad_in.shape[3];
  launch(op, grad_in, grad_in.numel(), [&](auto zero, unsigned grid) {
    using T = decltype(zero);
    avg_pool_backward_kernel<T><<<grid, kBlockSize>>>(grad_out.data<T>(), planes_of(grad_out), grad_in.data<T>(),
                                                      H, W, a);
  });
}

}  // namespace

void max_pool2d(const TensorArg& x, const TensorArg& out, const TensorArg& indices, int64_t kh, int64_t kw,
                int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw, bool ceil_mode) {
  require_device("max_pool2d");
  const PoolSize s = check_max_pool_args(on_cuda("max_pool2d", x), x, out, indices, kh, kw, sh, sw, ph, pw, dh, dw,
                                         ceil_mode);
  launch("max_pool2d", x, out.numel(), [&](auto zero, unsigned grid) {
    using T = decltype(zero);
    max_pool_kernel<T><<<grid, kBlockSize>>>(x.data<T>(), planes_of(x), out.data<T>(), indices.data<int64_t>(),
                                             s.OH, s.OW, Window{kh, sh, ph, dh}, Window{kw, sw, pw, dw});
  });
}

void max_pool2d_backward(const TensorArg& grad_out, const TensorArg& indices, const TensorArg& grad_in) {
  const char* op = "max_pool2d_backward";
  require_device(op);
  check_max_pool_backward_args(on_cuda(op, grad_out), grad_out, indices, grad_in);
  const int64_t HW = grad_in.shape[2] * grad_in.shape[3];
  if (grad_in.numel() == 0) return;
  DeviceGuard guard(grad_in.buf->device_index());
  if (first_bad_index(indices, 0, HW, 0).first >= 0)
    fail_index(std::string(op) + ": an index is outside the input plane of " + describe(grad_in));
  fill(grad_in, 0.0);
  launch(op, grad_in, grad_out.numel(), [&](auto zero, unsigned grid) {
    using T = decltype(zero);
    max_pool_backward_kernel<T><<<grid, kBlockSize>>>(grad_out.data<T>(), planes_of(grad_out),
                                                      indices.data<int64_t>(), planes_of(indices),
                                                      grad_in.data<T>(), HW);
  });
}

void avg_pool2d(const TensorArg& x, const TensorArg& out, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                int64_t ph, int64_t pw, bool ceil_mode, bool count_include_pad, int64_t divisor_override) {
  const char* op = "avg_pool2d";
  require_device(op);
  check_avg_pool_args(op, on_cuda(op, x), x, out, false, kh, kw, sh, sw, ph, pw, ceil_mode, divisor_override);
  avg_forward(op, x, out, {{kh, sh, ph, 1}, {kw, sw, pw, 1}, count_include_pad, divisor_override, false});
}

void avg_pool2d_backward(const TensorArg& grad_out, const TensorArg& grad_in, int64_t kh, int64_t kw,
                         int64_t sh, int64_t sw, int64_t ph, int64_t pw, bool ceil_mode,
                         bool count_include_pad, int64_t divisor_override) {
  const char* op = "avg_pool2d_backward";
  require_device(op);
  check_avg_pool_args(op, on_cuda(op, grad_out), grad_in, grad_out, true, kh, kw, sh, sw, ph, pw, ceil_mode,
                      divisor_override);
  avg_backward(op, grad_out, grad_in, {{kh, sh, ph, 1}, {kw, sw, pw, 1}, count_include_pad, divisor_override, false});
}

void adaptive_avg_pool2d(const TensorArg& x, const TensorArg& out) {
  const char* op = "adaptive_avg_pool2d";
  require_device(op);
  check_adaptive_pool_args(op, on_cuda(op, x), x, out, false);
  avg_forward(op, x, out, {{}, {}, true, 0, true});
}

void adaptive_avg_pool2d_backward(const TensorArg& grad_out, const TensorArg& grad_in) {
  const char* op = "adaptive_avg_pool2d_backward";
  require_device(op);
  check_adaptive_pool_args(op, on_cuda(op, grad_out), grad_in, grad_out, true);
  avg_backward(op, grad_out, grad_in, {{}, {}, true, 0, true});
}

}  // namespace cuda
}  // namespace fastdl
