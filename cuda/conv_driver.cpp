// CUDA convolution drivers with the contracts of csrc/cpu/conv.h, built from existing
// device kernels (no kernel of their own, hence plain C++): im2col / col2im
// (cuda/conv.cu), the batched matmul (cuda/gemm.cu), copy, reduce and add.
//
// Samples run a chunk at a time: the chunk's columns are unfolded into one workspace
// of at most kWorkspaceElems elements (at least one sample), which every chunk reuses,
// and one batched matmul (batch = samples x groups) covers the whole chunk. A 1x1
// stride-1 unpadded conv over rows of unit stride reads x in place as its columns.
// Workspaces come from the caching allocator, so later calls reuse the same memory.
// The forward pass may instead run the implicit-GEMM kernel (conv_implicit.h), which
// needs no workspace.
#include <algorithm>
#include <vector>

#include "cpu/conv_args.h"
#include "conv_implicit.h"
#include "cuda_api.h"
#include "layer_kernels.h"
#include "temp_tensor.h"
#include "tensor_checks.h"

namespace fastdl {
namespace cuda {

namespace {

// Workspace bound per call, in elements (8 MB of float32).
constexpr int64_t kWorkspaceElems = int64_t(1) << 21;

// A view of t's memory: shape and strides in elements, offset relative to t's.
TensorArg view(const TensorArg& t, std::vector<int64_t> shape, std::vector<int64_t> strides, int64_t offset = 0) {
  TensorArg v = t;
  v.shape = std::move(shape);
  v.strides = std::move(strides);
  v.offset = t.offset + offset;
  return v;
}

// x as its own columns (N, groups, K, L) when the conv is pointwise and each channel
// plane is one unit-stride run; else nothing.
std::optional<TensorArg> direct_columns(const ConvProblem& p, const TensorArg& x) {
  const ConvGeom& g = p.g;
  const bool flat = x.strides[3] == 1 && (g.H == 1 || x.strides[2] == g.W);
  if (!p.pointwise || !flat || x.strides[0] < 0 || x.strides[1] < 0) return std::nullopt;
  return view(x, {g.N, p.groups, p.K, p.L}, {x.strides[0], p.K * x.strides[1], x.strides[1], 1});
}

// Samples per chunk when each needs `per_sample` workspace elements (0: all at once).
int64_t chunk_samples(int64_t N, int64_t per_sample) {
  if (per_sample == 0) return std::max<int64_t>(N, 1);
  return std::clamp<int64_t>(kWorkspaceElems / per_sample, 1, std::max<int64_t>(N, 1));
}

// Samples [n0, n0 + n) of a tensor whose first dim is the sample.
TensorArg samples(const TensorArg& t, int64_t n0, int64_t n) {
  TensorArg v = t;
  v.shape[0] = n;
  v.offset += n0 * t.strides[0];
  return v;
}

// The columns of samples [n0, n0 + n) as (n, groups, K, L): x itself, or unfolded into ws.
TensorArg chunk_columns(const ConvProblem& p, const TensorArg& x, const std::optional<TensorArg>& direct,
                        const TensorArg& ws, int64_t n0, int64_t n) {
  if (direct) return samples(*direct, n0, n);
  const ConvGeom& g = p.g;
  const int64_t CK = g.C * g.kh * g.kw;
  const TensorArg cols = view(ws, {n, CK, p.L}, {CK * p.L, p.L, 1});
  im2col(samples(x, n0, n), cols, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw);
  return view(cols, {n, p.groups, p.K, p.L}, {CK * p.L, p.K * p.L, p.L, 1});
}

// The (O, Cg, kh, kw) weight as (n, groups, Og, K), the same for every sample.
TensorArg weight_groups(const ConvProblem& p, const TensorArg& w, int64_t n) {
  return view(w, {n, p.groups, p.Og, p.K}, {0, p.Og * p.K, p.K, 1});
}

// A (N, O, OH, OW) contiguous tensor as (N, groups, Og, L).
TensorArg output_groups(const ConvProblem& p, const TensorArg& y) {
  return view(y, {p.g.N, p.groups, p.Og, p.L}, {p.O * p.L, p.Og * p.L, p.L, 1});
}

// elems rounded up to a multiple of 4 (16 bytes of float32).
int64_t aligned(int64_t elems) { return (elems + 3) / 4 * 4; }

TensorArg workspace(const TensorArg& like, int64_t elems) {
  return empty_cuda({elems}, like.dtype, like.buf->device_index());
}

}  // namespace

void conv2d_forward(const TensorArg& x, const TensorArg& w, const OptTensor& bias, const TensorArg& y, int64_t kh,
                    int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw,
                    int64_t groups) {
  const char* op = "conv2d_forward";
  require_device(op);
  const ConvProblem p =
      check_conv2d_forward_args(on_cuda(op, x), x, w, bias, y, kh, kw, sh, sw, ph, pw, dh, dw, groups);
  if (y.numel() == 0) return;
  if (conv_use_implicit(p, x, kWorkspaceElems)) return conv2d_forward_implicit(p, x, w, bias, y);
  const TensorArg yg = output_groups(p, y);
  if (bias)  // y starts as the bias; the matmul adds onto it
    copy(view(*bias, yg.shape, {0, p.Og * bias->strides[0], bias->strides[0], 0}), yg);
  const auto direct = direct_columns(p, x);
  const int64_t per_sample = direct ? 0 : p.g.C * kh * kw * p.L;
  const int64_t nb = chunk_samples(p.g.N, per_sample);
  const TensorArg ws = workspace(x, nb * per_sample);
  for (int64_t n0 = 0; n0 < p.g.N; n0 += nb) {
    const int64_t n = std::min(nb, p.g.N - n0);
    matmul(weight_groups(p, w, n), chunk_columns(p, x, direct, ws, n0, n), samples(yg, n0, n), 1.0,
           bias ? 1.0 : 0.0);
  }
}

void conv2d_input_grad(const TensorArg& gy, const TensorArg& w, const TensorArg& gx, int64_t kh, int64_t kw,
                       int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t groups) {
  const char* op = "conv2d_input_grad";
  require_device(op);
  const ConvProblem p =
      check_conv2d_input_grad_args(on_cuda(op, gx), gy, w, gx, kh, kw, sh, sw, ph, pw, dh, dw, groups);
  if (gx.numel() == 0) return;
  const ConvGeom& g = p.g;
  const TensorArg gyg = output_groups(p, gy);
  auto wt = [&](int64_t n) {  // W^T per group: (n, groups, K, Og) over w's memory
    return view(w, {n, p.groups, p.K, p.Og}, {0, p.Og * p.K, 1, p.K});
  };
  if (p.pointwise) {  // the column gradient is the input gradient: (N, groups, K, H*W)
    matmul(wt(g.N), gyg, view(gx, {g.N, p.groups, p.K, p.L}, {g.C * p.L, p.K * p.L, p.L, 1}), 1.0, 0.0);
    return;
  }
  const int64_t CK = g.C * kh * kw;
  const int64_t nb = chunk_samples(g.N, CK * p.L);
  const TensorArg ws = workspace(gx, nb * CK * p.L);
  for (int64_t n0 = 0; n0 < g.N; n0 += nb) {
    const int64_t n = std::min(nb, g.N - n0);
    const TensorArg dcols = view(ws, {n, CK, p.L}, {CK * p.L, p.L, 1});
    matmul(wt(n), samples(gyg, n0, n), view(dcols, {n, p.groups, p.K, p.L}, {CK * p.L, p.K * p.L, p.L, 1}), 1.0,
           0.0);
    col2im(dcols, samples(gx, n0, n), kh, kw, sh, sw, ph, pw, dh, dw);
  }
}

void conv2d_weight_grad(const TensorArg& x, const TensorArg& gy, const TensorArg& gw, const OptTensor& gb,
                        int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh,
                        int64_t dw, int64_t groups) {
  const char* op = "conv2d_weight_grad";
  require_device(op);
  const ConvProblem p =
      check_conv2d_weight_grad_args(on_cuda(op, x), x, gy, gw, gb, kh, kw, sh, sw, ph, pw, dh, dw, groups);
  const ConvGeom& g = p.g;
  if (gb) reduce("sum", view(gy, {g.N, p.O, p.L}, {p.O * p.L, p.L, 1}), view(*gb, {1, p.O, 1}, {p.O, 1, 1}),
                 {0, 2});
  if (gw.numel() == 0) return;
  if (g.N * p.L == 0) {
    fill(gw, 0.0);
    return;
  }
  // Each chunk's per-sample products (n, groups, Og, K) land in the workspace and are
  // summed over the samples by the reduce kernel: a fixed order, no atomics.
  const auto direct = direct_columns(p, x);
  const int64_t cols_per_sample = direct ? 0 : g.C * kh * kw * p.L;
  const int64_t nb = chunk_samples(g.N, cols_per_sample + p.O * p.K);
  // Workspace: [columns | per-sample products | one chunk's sum], each part starting
  // 16-byte aligned for the vectorised matmul.
  const int64_t partial_at = aligned(nb * cols_per_sample), sum_at = aligned(partial_at + nb * p.O * p.K);
  const TensorArg ws = workspace(x, sum_at + p.O * p.K);
  const TensorArg partial = view(ws, {nb, p.groups, p.Og, p.K}, {p.O * p.K, p.Og * p.K, p.K, 1}, partial_at);
  const TensorArg chunk_sum = view(ws, {1, p.O * p.K}, {p.O * p.K, 1}, sum_at);
  const TensorArg gw_row = view(gw, {1, p.O * p.K}, {p.O * p.K, 1});
  const TensorArg gyg = output_groups(p, gy);
  for (int64_t n0 = 0; n0 < g.N; n0 += nb) {
    const int64_t n = std::min(nb, g.N - n0);
    const TensorArg cols = chunk_columns(p, x, direct, ws, n0, n);
    const TensorArg cols_t = view(cols, {n, p.groups, p.L, p.K},
                                  {cols.strides[0], cols.strides[1], 1, cols.strides[2]});
    const TensorArg part = samples(partial, 0, n);
    matmul(samples(gyg, n0, n), cols_t, part, 1.0, 0.0);
    const TensorArg sum_in = view(part, {n, p.O * p.K}, {p.O * p.K, 1});
    if (n0 == 0) {
      reduce("sum", sum_in, gw_row, {0});
    } else {
      reduce("sum", sum_in, chunk_sum, {0});
      binary("add", gw_row, chunk_sum, gw_row);
    }
  }
}

}  // namespace cuda
}  // namespace fastdl
