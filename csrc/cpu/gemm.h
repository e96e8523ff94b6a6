// CPU matrix multiply. `gemm` is the BLAS-style entry other kernels (conv, LSTM) call
// with raw pointers and element strides; `matmul` is the batched TensorArg entry bound
// to Python. Both accept any non-negative strides (transposed, sliced, broadcast).
#pragma once
#include <cstdint>
#include <vector>

#include "../core/tensor_arg.h"
#include "activation_rows.h"

namespace fastdl {
namespace cpu {

// C = alpha * A @ B + beta * C. A is MxK, B is KxN, C is MxN, each given by its
// (row stride, column stride) in elements. beta == 0 means C is not read (NaN or
// garbage in C is ignored); alpha == 0 or K == 0 leaves C = beta * C without reading
// A or B. C must not overlap A or B. Threads over get_num_threads() unless called
// from inside a parallel region. Instantiated for float and double.
// `act` (activation_rows.h), if given, is applied to C afterwards as an epilogue: per
// tile while it is in L1 on the blocked paths, as a pass over C on the small ones.
template <typename T>
void gemm(int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t rsa, int64_t csa,
          const T* B, int64_t rsb, int64_t csb, T beta, T* C, int64_t rsc, int64_t csc,
          RowActivation<T> act = nullptr);

// out = alpha * a @ b + beta * out for a: (..., M, K), b: (..., K, N), out: (..., M, N).
// Batch dims must be identical in all three (broadcast ones arrive as stride 0).
// float32 / float64 use the blocked gemm; int64 a plain loop.
void matmul(const TensorArg& a, const TensorArg& b, const TensorArg& out, double alpha, double beta);

// B packed once for many products with the same B (an RNN's recurrent weight, used by
// every time step): the whole K x N matrix as the micro-kernel's zero-padded NR-column
// slivers, so gemm_prepacked skips packing. Built by pack_b_once; move-only.
template <typename T>
class PackedB {
 public:
  PackedB(int64_t K, int64_t N, int nr);
  PackedB(PackedB&&) = default;
  PackedB(const PackedB&) = delete;
  int64_t K, N;
  int nr;
  // Sliver s (columns [s*nr, s*nr+nr)) at sliver(s), element (k, j) at [k*nr + j].
  T* sliver(int64_t s) { return data_ + s * K * nr; }
  const T* sliver(int64_t s) const { return data_ + s * K * nr; }

 private:
  std::vector<T> buf_;
  T* data_;  // buf_ rounded up to a 64-byte boundary
};

// B (K x N, element strides rsb, csb) packed for gemm_prepacked.
template <typename T>
PackedB<T> pack_b_once(int64_t K, int64_t N, const T* B, int64_t rsb, int64_t csb);

// C (M x B.N) = alpha * A @ B + beta * C with B from pack_b_once, on the calling thread
// only (callers thread over row blocks of A and C). A any strides, C unit column stride
// (csc == 1); the beta == 0 / alpha == 0 rules of gemm; C must not overlap A or B.
template <typename T>
void gemm_prepacked(int64_t M, T alpha, const T* A, int64_t rsa, int64_t csa, const PackedB<T>& B, T beta,
                    T* C, int64_t rsc);

// Measured float32 FMA peak of this machine in GFLOP/s on `threads` threads: each of
// the pool's threads runs a register-only FMA loop (ymm; zmm when use_avx512()) timed by
// its own CPU clock, and the rates are summed (best of several rounds). The ceiling GEMM
// rates are quoted against. Raises ValueError without AVX2+FMA.
double fma_peak_gflops(int threads);

// Micro-kernel contract shared by gemm.cpp and gemm_avx2.cpp / gemm_avx512.cpp (internal):
//   C[0:MR, 0:NR] = alpha * A @ Bp + beta * C   (beta == 0: C is not read)
// A is MR x kc with element strides (rsa, csa): a packed sliver (rsa = 1, csa = MR)
// or, for small problems, the caller's matrix itself. Bp is a packed sliver of kc
// rows of NR values (Bp[k*NR + j]). C has row stride rsc and unit column stride.
namespace gemm_ukr {
void sgemm_avx2_6x16(int64_t kc, const float* A, int64_t rsa, int64_t csa, const float* Bp,
                     float* C, int64_t rsc, float alpha, float beta);
// The same with rows 3-5 of A at A3 (A3 + rsa, A3 + 2 rsa) rather than A + 3 rsa: two
// 3-row groups of A anywhere (conv's weight grad reads two kernel rows of taps in place).
void sgemm_avx2_6x16_at(int64_t kc, const float* A, const float* A3, int64_t rsa, int64_t csa, const float* Bp,
                        float* C, int64_t rsc, float alpha, float beta);
void dgemm_avx2_6x8(int64_t kc, const double* A, int64_t rsa, int64_t csa, const double* Bp,
                    double* C, int64_t rsc, double alpha, double beta);
// Bp <- one full NR-column sliver (NR = 16 / 8) of B, for k < kc and j < NR:
// row-major B (bn): Bp[k*NR + j] = B[k*rsb + j]; transposed B (bt): B[k + j*csb].
void spack_bn_avx2(int64_t kc, const float* B, int64_t rsb, float* Bp);
void dpack_bn_avx2(int64_t kc, const double* B, int64_t rsb, double* Bp);
void spack_bt_avx2(int64_t kc, const float* B, int64_t csb, float* Bp);
// The same 16 columns of transposed B into slivers of any row stride ldp >= 16 (the
// AVX-512 kernel's 32-wide slivers pack as two of these).
void spack_bt16_avx2(int64_t kc, const float* B, int64_t csb, float* Bp, int64_t ldp);
void dpack_bt_avx2(int64_t kc, const double* B, int64_t csb, double* Bp);
// Ap <- one full 6-row sliver of row-major A (unit column stride), for k < kc and
// i < 6: Ap[k*6 + i] = A[i*rsa + k].
void spack_a6_avx2(int64_t kc, const float* A, int64_t rsa, float* Ap);
// Small products without packing (gemm_small_avx2.cpp): C (M x N) = alpha * A @ B + beta * C,
// A any strides, C any strides, B's W-column block at j0 (W = 16 floats / 8 doubles, j0 a
// multiple of W) at B + j0 / bwidth * bstep + j0 % bwidth with element (k, j) at + k * rsb + j:
// row-major B is (rsb, bwidth = bstep = any multiple of W), the blocked kernel's packed
// NR-column slivers (NR, NR, K * NR). Columns past N are not read. The beta == 0 rule of
// gemm; M, N, K > 0.
void sgemm_small_avx2(int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t rsa, int64_t csa,
                      const float* B, int64_t rsb, int64_t bwidth, int64_t bstep, float beta, float* C,
                      int64_t rsc, int64_t csc);
void dgemm_small_avx2(int64_t M, int64_t N, int64_t K, double alpha, const double* A, int64_t rsa,
                      int64_t csa, const double* B, int64_t rsb, int64_t bwidth, int64_t bstep, double beta,
                      double* C, int64_t rsc, int64_t csc);
// Dot-product form (same file) for narrow C: C (M x N) = alpha * A @ B + beta * C with
// A's rows contiguous (row stride rsa) and column j of B contiguous at Bt + j * ldb.
void sgemm_dot_avx2(int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t rsa, const float* Bt,
                    int64_t ldb, float beta, float* C, int64_t rsc, int64_t csc);
void dgemm_dot_avx2(int64_t M, int64_t N, int64_t K, double alpha, const double* A, int64_t rsa,
                    const double* Bt, int64_t ldb, double beta, double* C, int64_t rsc, int64_t csc);
// AVX-512 (gemm_avx512.cpp, compiled with -mavx512f; called only when use_avx512()),
// all with the AVX2 kernel's bits: the 6 x 64 float kernel (24 zmm accumulators) and its
// 64-column B packers; the 6 x 32 kernel on the left half of a 64-wide sliver (slivers
// of at most 32 columns); the 6 x 32 kernel on 32-wide slivers with rows 3-5 of A at A3
// (conv's weight gradient, as sgemm_avx2_6x16_at). A slivers are spack_a6_avx2's.
void sgemm_avx512_6x64(int64_t kc, const float* A, int64_t rsa, int64_t csa, const float* Bp,
                       float* C, int64_t rsc, float alpha, float beta);
void sgemm_avx512_6x64_at(int64_t kc, const float* A, const float* A3, int64_t rsa, int64_t csa, const float* Bp,
                          float* C, int64_t rsc, float alpha, float beta);
void sgemm_avx512_6x32_of64(int64_t kc, const float* A, int64_t rsa, int64_t csa, const float* Bp,
                            float* C, int64_t rsc, float alpha, float beta);
void sgemm_avx512_6x32_at(int64_t kc, const float* A, const float* A3, int64_t rsa, int64_t csa, const float* Bp,
                          float* C, int64_t rsc, float alpha, float beta);
void spack_bn64_avx512(int64_t kc, const float* B, int64_t rsb, float* Bp);
void spack_bt64_avx512(int64_t kc, const float* B, int64_t csb, float* Bp);
float fma_probe_avx512(int64_t iters);  // iters x 384 float32 flops (12 zmm chains)
// sgemm_small_avx2's contract on 16-float vectors (blocks of W = 32 columns;
// gemm_small_avx512.cpp).
void sgemm_small_avx512(int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t rsa, int64_t csa,
                        const float* B, int64_t rsb, int64_t bwidth, int64_t bstep, float beta, float* C,
                        int64_t rsc, int64_t csc);
// Runs `iters` x 192 float32 flops of register-only FMAs; returns a value derived from
// them so the loop is not optimised away. Used by fma_peak_gflops.
float fma_probe_avx2(int64_t iters);
}  // namespace gemm_ukr

}  // namespace cpu
}  // namespace fastdl
