// CUDA matmul with the contract of csrc/cpu/gemm.h: out = alpha * a @ b + beta * out
// for a (..., M, K), b (..., K, N), identical batch dims (broadcast ones have stride 0),
// any non-negative strides. No cuBLAS.
//
// float32 whose operands each have one unit-stride dim, a leading dim that is a
// multiple of 4 and a 16-byte aligned start runs the tiled SGEMM below; every other
// case (odd strides, float64, int64) runs a simple strided tiled kernel. With
// allow_tf32() on, the float32 operands the SGEMM takes run on TF32 tensor cores
// instead (gemm_tf32.cu, sm_80+; or, opted in, gemm_wgmma.cu on compute 9.0 when both
// operands are K-major); the strided kernel stays full fp32. float16 and
// bfloat16 operands laid out the same way (leading dims a multiple of 8) run on tensor
// cores (gemm_half.cu, sm_80+; or, opted in, gemm_wgmma.cu on compute 9.0), others on
// the strided kernel; all accumulate in fp32 and round the result once.
//
// SGEMM (its register-blocked core in sgemm_tile.cuh): a 128x128 block tile of C per
// 256-thread block, K consumed 8 at a time. Each thread loads one float4 of A and one
// of B per k-step (along whichever dim is contiguous, so all four transpose
// combinations stay vectorised). Shared memory is double buffered: the next k-tile is
// fetched into registers while the current one is multiplied, so there is one
// __syncthreads per k-step. The batch index is blockIdx.z.
#include "common/half_convert.h"
#include "cpu/matmul_args.h"
#include "cuda_api.h"
#include "gemm_args.cuh"
#include "gemm_wgmma.cuh"
#include "sgemm_tile.cuh"
#include "tensor_checks.h"

namespace fastdl {
namespace cuda {

namespace {

constexpr int kBM = kSgemmBM, kBN = kSgemmBN, kThreads = kGemmThreads;

// A_K: A's K dim has unit stride (row-major A); else its M dim does (transposed A).
// B_N: B's N dim has unit stride (row-major B); else its K dim does.
template <bool A_K, bool B_N>
__global__ void __launch_bounds__(kThreads) sgemm_kernel(GemmArgs g) {
  __shared__ __align__(16) SgemmSmem smem;

  const int64_t z = g.z0 + blockIdx.z;
  int64_t oa, ob, oc;
  batch_offsets(g.batch, z, &oa, &ob, &oc);
  const float* A = static_cast<const float*>(g.A) + oa;
  const float* B = static_cast<const float*>(g.B) + ob;
  float* C = static_cast<float*>(g.C) + oc;
  const int64_t m0 = (g.y0 + blockIdx.y) * kBM, n0 = static_cast<int64_t>(blockIdx.x) * kBN;
  const int t = threadIdx.x;

  // This thread's float4 of each tile: (row, col) inside the tile, the float4 running
  // along the unit-stride dim.
  const int a_m = A_K ? t / 2 : (t % 32) * 4, a_k = A_K ? (t % 2) * 4 : t / 32;
  const int b_k = B_N ? t / 32 : (t % 2) * 4, b_n = B_N ? (t % 32) * 4 : t / 2;
  const int64_t am = m0 + a_m, bn = n0 + b_n;

  auto load_a = [&](int64_t k0) -> float4 {
    const int64_t k = k0 + a_k;
    if (A_K) return am < g.M ? load4(A + am * g.rsa + k, g.K - k) : make_float4(0.f, 0.f, 0.f, 0.f);
    return k < g.K ? load4(A + k * g.csa + am, g.M - am) : make_float4(0.f, 0.f, 0.f, 0.f);
  };
  auto load_b = [&](int64_t k0) -> float4 {
    const int64_t k = k0 + b_k;
    if (B_N) return k < g.K ? load4(B + k * g.rsb + bn, g.N - bn) : make_float4(0.f, 0.f, 0.f, 0.f);
    return bn < g.N ? load4(B + bn * g.csb + k, g.K - k) : make_float4(0.f, 0.f, 0.f, 0.f);
  };
  float acc[8][8];
  sgemm_block(smem, g.K, A_K, a_k, a_m, B_N, b_k, b_n, load_a, load_b, acc);
  const int ty = t / 16, tx = t % 16;  // rows ty*4 (+64), cols tx*4 (+64)

  const float alpha = static_cast<float>(g.alpha), beta = static_cast<float>(g.beta);
#pragma unroll
  for (int i = 0; i < 8; ++i) {
    const int64_t m = m0 + sgemm_row(ty, i);
    if (m >= g.M) continue;
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      const int64_t n = n0 + sgemm_col(tx, j);
      if (n >= g.N) continue;
      float* c = C + m * g.rsc + n * g.csc;
      *c = beta == 0.f ? alpha * acc[i][j] : alpha * acc[i][j] + beta * *c;
    }
  }
}

// The fallback for any strides and dtype: 64x64 C tiles, 16-deep K tiles staged in
// shared memory with scalar strided loads, 4x4 outputs per thread (256 threads). Half
// types are widened as they are staged (Acc: float) and the result rounded once.
constexpr int kSM = 64, kSK = 16;

template <typename T>
__global__ void __launch_bounds__(kThreads) gemm_strided_kernel(GemmArgs g) {
  using Acc = decltype(widen(T{}));
  __shared__ Acc As[kSK][kSM + 1];
  __shared__ Acc Bs[kSK][kSM + 1];
  const int64_t z = g.z0 + blockIdx.z;
  int64_t oa, ob, oc;
  batch_offsets(g.batch, z, &oa, &ob, &oc);
  const T* A = static_cast<const T*>(g.A) + oa;
  const T* B = static_cast<const T*>(g.B) + ob;
  T* C = static_cast<T*>(g.C) + oc;
  const int64_t m0 = (g.y0 + blockIdx.y) * kSM, n0 = static_cast<int64_t>(blockIdx.x) * kSM;
  const int t = threadIdx.x, ty = t / 16, tx = t % 16;
  Acc acc[4][4] = {};
  for (int64_t k0 = 0; k0 < g.K; k0 += kSK) {
    for (int e = t; e < kSK * kSM; e += kThreads) {
      const int kk = e / kSM, mm = e % kSM;  // consecutive threads: consecutive m / n
      const int64_t k = k0 + kk, m = m0 + mm, n = n0 + mm;
      As[kk][mm] = (k < g.K && m < g.M) ? widen(A[m * g.rsa + k * g.csa]) : Acc(0);
      Bs[kk][mm] = (k < g.K && n < g.N) ? widen(B[k * g.rsb + n * g.csb]) : Acc(0);
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kSK; ++kk)
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] += As[kk][ty + 16 * i] * Bs[kk][tx + 16 * j];
    __syncthreads();
  }
  const Acc alpha = static_cast<Acc>(g.alpha), beta = static_cast<Acc>(g.beta);
#pragma unroll  // acc stays in registers only if every index is a constant
  for (int i = 0; i < 4; ++i) {
    const int64_t m = m0 + ty + 16 * i;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int64_t n = n0 + tx + 16 * j;
      if (m >= g.M || n >= g.N) continue;
      T* c = C + m * g.rsc + n * g.csc;
      *c = convert_value<T>(beta == Acc(0) ? Acc(alpha * acc[i][j]) : Acc(alpha * acc[i][j] + beta * widen(*c)));
    }
  }
}

// The checks of cpu::matmul, plus the device checks.
void check_matmul_args(const TensorArg& a, const TensorArg& b, const TensorArg& out) {
  check_matmul_shapes(a, b, out);
  if (a.dtype == DType::Bool) fail_type(std::string("matmul: unsupported dtype bool"));
  const int device = out.buf->device_index();
  for (const TensorArg* t : {&out, &a, &b}) check_cuda_operand("matmul", *t, device);
}

// An operand (rows x cols, strides rs, cs) suits 16-byte loads along its columns
// (unit_cols) or rows: unit stride there, a leading dim that keeps every 16-byte run
// aligned (a multiple of `per16`, the elements in 16 bytes), and an aligned start.
// Size-1 dims have arbitrary strides.
bool vec_ok(const void* p, int64_t rows, int64_t cols, int64_t rs, int64_t cs, bool unit_cols, int per16) {
  if (reinterpret_cast<uintptr_t>(p) % 16 != 0) return false;
  if (unit_cols) return (cols == 1 || cs == 1) && (rows == 1 || rs % per16 == 0);
  return (rows == 1 || rs == 1) && (cols == 1 || cs % per16 == 0);
}

// Which 16-byte layout each operand has, if both have one (and every batch's start
// stays aligned): a_k: A contiguous along K (else M); b_n: B contiguous along N (else K).
struct VecLayout {
  bool ok, a_k, b_n;
};

VecLayout vec_layout(const GemmArgs& g, const TensorArg& a, const TensorArg& b, int per16) {
  const int nd = a.ndim();
  for (int d = 0; d < nd - 2; ++d)
    if (a.shape[d] > 1 && (a.strides[d] % per16 != 0 || b.strides[d] % per16 != 0)) return {false, false, false};
  const bool a_k = vec_ok(g.A, g.M, g.K, g.rsa, g.csa, true, per16);
  const bool a_m = !a_k && vec_ok(g.A, g.M, g.K, g.rsa, g.csa, false, per16);
  const bool b_n = vec_ok(g.B, g.K, g.N, g.rsb, g.csb, true, per16);
  const bool b_k = !b_n && vec_ok(g.B, g.K, g.N, g.rsb, g.csb, false, per16);
  return {(a_k || a_m) && (b_n || b_k), a_k, b_n};
}

}  // namespace

void matmul(const TensorArg& a, const TensorArg& b, const TensorArg& out, double alpha, double beta) {
  require_device("matmul");
  check_matmul_args(a, b, out);
  const int nd = a.ndim();
  GemmArgs g{};
  g.M = a.shape[nd - 2];
  g.K = a.shape[nd - 1];
  g.N = b.shape[nd - 1];
  // alpha == 0 reads neither A nor B (their NaNs must not leak in): run with K = 0.
  if (alpha == 0.0) g.K = 0;
  g.A = a.bytes();
  g.rsa = a.strides[nd - 2];
  g.csa = a.strides[nd - 1];
  g.B = b.bytes();
  g.rsb = b.strides[nd - 2];
  g.csb = b.strides[nd - 1];
  g.C = out.bytes();
  g.rsc = out.strides[nd - 2];
  g.csc = out.strides[nd - 1];
  g.alpha = alpha;
  g.beta = beta;
  g.batch.nb = nd - 2;
  int64_t batch = 1;
  for (int d = 0; d < nd - 2; ++d) {
    g.batch.shape[d] = a.shape[d];
    g.batch.stride[0][d] = a.strides[d];
    g.batch.stride[1][d] = b.strides[d];
    g.batch.stride[2][d] = out.strides[d];
    batch *= a.shape[d];
  }
  if (batch == 0 || g.M == 0 || g.N == 0) return;

  DeviceGuard guard(out.buf->device_index());
  if (a.dtype == DType::Float32) {
    const VecLayout v = vec_layout(g, a, b, 4);
    if (v.ok) {
      // TF32: the wgmma kernel (opt-in, compute 9.0, both operands K-major), else mma.sync.
      if (allow_tf32() && gemm_wgmma(g, batch, WgmmaType::TF32, v.a_k, !v.b_n)) return;
      if (allow_tf32() && sgemm_tf32(g, batch, v.a_k, !v.b_n)) return;
      if (v.a_k && v.b_n) launch_tiles(sgemm_kernel<true, true>, g, batch, kBM, kBN);
      else if (v.a_k) launch_tiles(sgemm_kernel<true, false>, g, batch, kBM, kBN);
      else if (v.b_n) launch_tiles(sgemm_kernel<false, true>, g, batch, kBM, kBN);
      else launch_tiles(sgemm_kernel<false, false>, g, batch, kBM, kBN);
      return;
    }
  }
  if (is_half(a.dtype)) {
    const VecLayout v = vec_layout(g, a, b, 8);
    const bool bf16 = a.dtype == DType::BFloat16;
    const WgmmaType type = bf16 ? WgmmaType::BF16 : WgmmaType::F16;
    if (v.ok && gemm_wgmma(g, batch, type, v.a_k, !v.b_n)) return;  // opt-in, compute 9.0 only
    if (v.ok && gemm_half(g, batch, bf16, v.a_k, !v.b_n)) return;
    if (a.dtype == DType::Float16) launch_tiles(gemm_strided_kernel<Half>, g, batch, kSM, kSM);
    else launch_tiles(gemm_strided_kernel<BFloat16>, g, batch, kSM, kSM);
    return;
  }
  FASTDL_DISPATCH_NUMERIC(a.dtype, "matmul", [&] {
    launch_tiles(gemm_strided_kernel<scalar_t>, g, batch, kSM, kSM);
  })
}

}  // namespace cuda
}  // namespace fastdl
