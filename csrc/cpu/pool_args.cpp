#include "pool_args.h"

#include "../common/pool_window.h"

namespace fastdl {

namespace {

std::string pair_str(int64_t a, int64_t b) { return "(" + std::to_string(a) + ", " + std::to_string(b) + ")"; }

// An (input, output) pair of 4-D tensors of one floating dtype with the same N and C;
// `out` must be contiguous (kernels write it densely).
void check_planes(const std::string& op, const DeviceCheck& on_device, const TensorArg& in, const TensorArg& out) {
  on_device(in);
  on_device(out);
  if (!is_floating(in.dtype)) fail_type(op + ": expected float32 or float64, got " + describe(in));
  check_dtype(op.c_str(), out, in.dtype);
  if (in.ndim() != 4 || out.ndim() != 4)
    fail_value(op + ": expected 4-D (N, C, H, W) tensors, got " + describe(in) + " and " + describe(out));
  if (in.shape[0] != out.shape[0] || in.shape[1] != out.shape[1])
    fail_value(op + ": batch/channel sizes differ: " + describe(in) + " vs " + describe(out));
  if (out.numel() > 0 && !out.is_contiguous()) fail_value(op + ": output " + describe(out) + " must be contiguous");
}

void check_indices(const std::string& op, const DeviceCheck& on_device, const TensorArg& indices,
                   const TensorArg& like) {
  on_device(indices);
  check_dtype(op.c_str(), indices, DType::Int64);
  check_same_shape(op.c_str(), like, indices);
}

void check_window_params(const std::string& op, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                         int64_t pw, int64_t dh, int64_t dw) {
  if (kh < 1 || kw < 1 || sh < 1 || sw < 1 || dh < 1 || dw < 1 || ph < 0 || pw < 0)
    fail_value(op + ": kernel, stride and dilation must be >= 1 and padding >= 0");
  // PyTorch's rule; it also guarantees every avg window holds a real element.
  if (ph > kh / 2 || pw > kw / 2)
    fail_value(op + ": padding " + pair_str(ph, pw) + " must be at most half the kernel size " +
               pair_str(kh, kw));
}

std::string pool_params(int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, bool ceil_mode) {
  return "kernel " + pair_str(kh, kw) + ", stride " + pair_str(sh, sw) + ", padding " + pair_str(ph, pw) +
         ", ceil_mode " + (ceil_mode ? "true" : "false");
}

// The spatial sizes of `small` must be the pooled sizes of `big`.
void check_out_size(const std::string& op, const TensorArg& big, const TensorArg& small, PoolSize s,
                    const std::string& params) {
  if (small.shape[2] != s.OH || small.shape[3] != s.OW)
    fail_value(op + ": output " + describe(small) + " does not match input " + describe(big) + " with " +
               params + ": expected spatial size " + pair_str(s.OH, s.OW));
}

// Only reachable with dilation or an empty input: PyTorch would emit -inf with an
// index outside the plane, which its backward could not use.
void check_max_windows(const std::string& op, int64_t in, int64_t out, int64_t k, int64_t s, int64_t p,
                       int64_t d) {
  for (int64_t o = 0; o < out; ++o) {
    int64_t start, end;
    max_pool_window(o, in, k, s, p, d, &start, &end);
    if (start >= end)
      fail_value(op + ": window " + std::to_string(o) + " covers only padding (input size " + std::to_string(in) +
                 ")");
  }
}

}  // namespace

PoolSize check_max_pool_args(const DeviceCheck& on_device, const TensorArg& x, const TensorArg& out,
                             const TensorArg& indices, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                             int64_t ph, int64_t pw, int64_t dh, int64_t dw, bool ceil_mode) {
  const std::string op = "max_pool2d";
  check_planes(op, on_device, x, out);
  check_indices(op, on_device, indices, out);
  if (indices.numel() > 0 && !indices.is_contiguous())
    fail_value(op + ": indices " + describe(indices) + " must be contiguous");
  check_window_params(op, kh, kw, sh, sw, ph, pw, dh, dw);
  const int64_t H = x.shape[2], W = x.shape[3];
  const PoolSize s{pool_out_size(H, kh, sh, ph, dh, ceil_mode), pool_out_size(W, kw, sw, pw, dw, ceil_mode)};
  check_out_size(op, x, out, s, pool_params(kh, kw, sh, sw, ph, pw, ceil_mode) + ", dilation " + pair_str(dh, dw));
  check_max_windows(op, H, s.OH, kh, sh, ph, dh);
  check_max_windows(op, W, s.OW, kw, sw, pw, dw);
  return s;
}

void check_max_pool_backward_args(const DeviceCheck& on_device, const TensorArg& grad_out,
                                  const TensorArg& indices, const TensorArg& grad_in) {
  const std::string op = "max_pool2d_backward";
  check_planes(op, on_device, grad_out, grad_in);
  check_indices(op, on_device, indices, grad_out);
}

PoolSize check_avg_pool_args(const std::string& op, const DeviceCheck& on_device, const TensorArg& big,
                             const TensorArg& small, bool out_is_big, int64_t kh, int64_t kw, int64_t sh,
                             int64_t sw, int64_t ph, int64_t pw, bool ceil_mode, int64_t divisor_override) {
  if (out_is_big) check_planes(op, on_device, small, big);
  else check_planes(op, on_device, big, small);
  check_window_params(op, kh, kw, sh, sw, ph, pw, 1, 1);
  if (divisor_override < 0) fail_value(op + ": divisor_override must be positive (0 means none)");
  const int64_t H = big.shape[2], W = big.shape[3];
  const PoolSize s{pool_out_size(H, kh, sh, ph, 1, ceil_mode), pool_out_size(W, kw, sw, pw, 1, ceil_mode)};
  check_out_size(op, big, small, s, pool_params(kh, kw, sh, sw, ph, pw, ceil_mode));
  if ((H == 0 || W == 0) && s.OH * s.OW > 0) fail_value(op + ": empty input plane " + describe(big));
  return s;
}

void check_adaptive_pool_args(const std::string& op, const DeviceCheck& on_device, const TensorArg& big,
                              const TensorArg& small, bool out_is_big) {
  if (out_is_big) check_planes(op, on_device, small, big);
  else check_planes(op, on_device, big, small);
  if ((big.shape[2] == 0 || big.shape[3] == 0) && small.shape[2] * small.shape[3] > 0)
    fail_value(op + ": empty input plane " + describe(big) + " for output " + describe(small));
}

}  // namespace fastdl
