// Implicit-GEMM conv2d forward (contract in conv_implicit.h). As a GEMM,
// y[n, o, l] = sum_r w[o, r] * cols[r, (n, l)] with M = O, K = C*kh*kw and N = the
// batch's output positions; the B tile is gathered from x through im2col_source_at
// (the index math the CPU tests check), so no column workspace exists and the whole
// batch is one launch. The tile machinery is the SGEMM's (sgemm_tile.cuh): 128x128
// C tiles, 8-deep double-buffered K steps, an 8x8 sub-tile per thread. Each thread
// gathers the same 4 output columns at every K step, so it splits them into
// (image, oh, ow) once; per K step it splits its row into (c, i, j) once. The bias is
// added in the epilogue.
#include <atomic>

#include "common.cuh"
#include "common/im2col.h"
#include "conv_implicit.h"
#include "cuda_api.h"
#include "sgemm_tile.cuh"

namespace fastdl {
namespace cuda {

namespace {

constexpr int kThreads = 256;

struct ImplicitArgs {
  ConvGeom g;
  ImageStrides xs;
  const float* x;
  const float* w;      // (O, K) contiguous
  const float* bias;   // nullptr: none
  int64_t bias_stride;
  float* y;            // (N, O, L) contiguous
  int64_t O, K, L, cols;  // cols = N * L
  bool w_vec;          // every row of w starts 16-byte aligned: float4 loads
};

__global__ void __launch_bounds__(kThreads) conv_implicit_kernel(ImplicitArgs a) {
  __shared__ __align__(16) SgemmSmem smem;
  const int64_t m0 = static_cast<int64_t>(blockIdx.y) * kSgemmBM, n0 = static_cast<int64_t>(blockIdx.x) * kSgemmBN;
  const int t = threadIdx.x;
  // A (w) as in the SGEMM's row-major case; B gathered 4 columns wide along N.
  const int a_m = t / 2, a_k = (t % 2) * 4, b_k = t / 32, b_n = (t % 32) * 4;
  const int64_t am = m0 + a_m;

  int64_t img[4], oh[4], ow[4];
  bool live[4];
#pragma unroll
  for (int q = 0; q < 4; ++q) {
    const int64_t col = n0 + b_n + q, l = col % a.L;
    live[q] = col < a.cols;
    img[q] = col / a.L, oh[q] = l / a.g.OW, ow[q] = l % a.g.OW;
  }

  auto load_a = [&](int64_t k0) -> float4 {
    const int64_t k = k0 + a_k;
    if (am >= a.O) return make_float4(0.f, 0.f, 0.f, 0.f);
    const float* p = a.w + am * a.K + k;
    if (a.w_vec) return load4(p, a.K - k);
    float v[4];
#pragma unroll
    for (int q = 0; q < 4; ++q) v[q] = k + q < a.K ? __ldg(p + q) : 0.f;
    return make_float4(v[0], v[1], v[2], v[3]);
  };
  auto load_b = [&](int64_t k0) -> float4 {
    const int64_t r = k0 + b_k;
    float v[4] = {0.f, 0.f, 0.f, 0.f};
    if (r < a.K) {
      int64_t c, i, j;
      im2col_row_split(r, a.g.kh, a.g.kw, &c, &i, &j);
#pragma unroll
      for (int q = 0; q < 4; ++q) {
        int64_t src;
        if (live[q] && im2col_source_at(a.g, a.xs, img[q], c, i, j, oh[q], ow[q], &src)) v[q] = __ldg(a.x + src);
      }
    }
    return make_float4(v[0], v[1], v[2], v[3]);
  };
  float acc[8][8];
  sgemm_block(smem, a.K, true, a_k, a_m, true, b_k, b_n, load_a, load_b, acc);
  const int ty = t / 16, tx = t % 16;

#pragma unroll
  for (int j = 0; j < 8; ++j) {
    const int64_t col = n0 + sgemm_col(tx, j);
    if (col >= a.cols) continue;
    float* yc = a.y + (col / a.L) * a.O * a.L + col % a.L;  // y[n, 0, l]
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      const int64_t m = m0 + sgemm_row(ty, i);
      if (m >= a.O) continue;
      yc[m * a.L] = acc[i][j] + (a.bias ? a.bias[m * a.bias_stride] : 0.f);
    }
  }
}

}  // namespace

namespace {
enum ConvAlgo { kAuto, kIm2col, kImplicit };
std::atomic<int> g_conv_algo{kAuto};
const char* const kAlgoNames[] = {"auto", "im2col", "implicit_gemm"};
}  // namespace

void set_conv_algo(const std::string& algo) {
  for (int a = kAuto; a <= kImplicit; ++a)
    if (algo == kAlgoNames[a]) return g_conv_algo.store(a);
  fail_value("conv algorithm must be 'auto', 'im2col' or 'implicit_gemm', got '" + algo + "'");
}

std::string conv_algo() { return kAlgoNames[g_conv_algo.load()]; }

bool conv_implicit_applies(const ConvProblem& p, const TensorArg& x) {
  return x.dtype == DType::Float32 && p.groups == 1 && !p.pointwise;
}

bool conv_use_implicit(const ConvProblem& p, const TensorArg& x, int64_t workspace_elems) {
  const int algo = g_conv_algo.load();
  if (algo == kIm2col || !conv_implicit_applies(p, x)) return false;
  return algo == kImplicit || p.g.N * p.K * p.L > workspace_elems;
}

void conv2d_forward_implicit(const ConvProblem& p, const TensorArg& x, const TensorArg& w,
                             const std::optional<TensorArg>& bias, const TensorArg& y) {
  ImplicitArgs a{};
  a.g = p.g;
  a.xs = {x.strides[0], x.strides[1], x.strides[2], x.strides[3]};
  a.x = x.data<float>();
  a.w = w.data<float>();
  a.bias = bias ? bias->data<float>() : nullptr;
  a.bias_stride = bias ? bias->strides[0] : 0;
  a.y = y.data<float>();
  a.O = p.O, a.K = p.K, a.L = p.L, a.cols = p.g.N * p.L;
  a.w_vec = reinterpret_cast<uintptr_t>(a.w) % 16 == 0 && a.K % 4 == 0;
  if (a.cols == 0 || a.O == 0) return;
  const int64_t gx = (a.cols + kSgemmBN - 1) / kSgemmBN, gy = (a.O + kSgemmBM - 1) / kSgemmBM;
  if (gx > 0x7fffffff || gy > 65535) fail_value("conv2d_forward: problem too large for one implicit-GEMM grid");
  DeviceGuard guard(y.buf->device_index());
  conv_implicit_kernel<<<dim3(static_cast<unsigned>(gx), static_cast<unsigned>(gy)), kThreads>>>(a);
  FASTDL_CUDA_CHECK(cudaGetLastError());
}

}  // namespace cuda
}  // namespace fastdl
