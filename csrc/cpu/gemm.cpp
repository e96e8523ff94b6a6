// Blocked, packed gemm driver (BLIS loop structure) and the batched matmul entry.
//
//   for jc in N step NC:
//     for pc in K step KC:
//       for ic in M step MC:      A block MC x KC stays in L2
//         for jr in NC step NR:   B sliver KC x NR, packed on first use (ic == 0) into
//                                 the KC x NC panel, stays in L1 across the ir loop
//           for ir in MC step MR: micro-kernel on one MR x NR tile of C
//
// Packing is where arbitrary strides are absorbed: the micro-kernels see contiguous,
// zero-padded B slivers, and A either packed into MR-row slivers or, when A is
// row-major, read in place (packing it would cost ~16/N of the arithmetic for
// nothing; only a partial last sliver is packed, to zero-pad it). Partial C tiles and
// C with a non-unit column stride go through a local tile. Threads split C into a
// grid of sub-blocks and run the serial driver on each independently (no barriers;
// each thread packs what it reads, duplicating at most O(K*N) of O(M*N*K) work).
// Single-row / single-column results and tiny problems take direct loops.
#include "gemm.h"
#include "matmul_args.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string>
#include <type_traits>
#include <vector>

#include "../core/cpu_features.h"
#include "../core/parallel.h"

namespace fastdl {
namespace cpu {

namespace {

// Below this many multiply-adds a problem runs on one thread: spawning costs more.
constexpr int64_t kParallelMinWork = int64_t(1) << 20;
// Tiny problems skip packing (its fixed cost dominates) and run a direct loop.
constexpr int64_t kDirectMaxWork = 4096;

// A micro-kernel with its tile shape and cache blocking, plus optional fast packers
// for full B slivers of row-major (bn) and transposed (bt) B. MC is a multiple of MR
// and NC of NR, so only the last tile of a dimension can be partial.
template <typename T>
struct Kernel {
  void (*ukr)(int64_t, const T*, int64_t, int64_t, const T*, T*, int64_t, T, T);
  int mr, nr;
  int64_t mc, kc, nc;
  void (*pack_bn)(int64_t, const T*, int64_t, T*);
  void (*pack_bt)(int64_t, const T*, int64_t, T*);
};

// Portable micro-kernel with the same contract as the AVX2 ones; the compiler
// vectorises the j loops with the baseline instruction set.
template <typename T, int MR, int NR>
void ukr_portable(int64_t kc, const T* A, int64_t rsa, int64_t csa, const T* Bp, T* C,
                  int64_t rsc, T alpha, T beta) {
  T acc[MR][NR] = {};
  for (int64_t k = 0; k < kc; ++k, A += csa, Bp += NR)
    for (int i = 0; i < MR; ++i) {
      const T a = A[i * rsa];
      for (int j = 0; j < NR; ++j) acc[i][j] += a * Bp[j];
    }
  for (int i = 0; i < MR; ++i) {
    T* c = C + i * rsc;
    if (beta == T(0))
      for (int j = 0; j < NR; ++j) c[j] = alpha * acc[i][j];
    else
      for (int j = 0; j < NR; ++j) c[j] = alpha * acc[i][j] + beta * c[j];
  }
}

template <typename T> Kernel<T> select_kernel();
template <> Kernel<float> select_kernel<float>() {
  if (use_avx2())
    return {gemm_ukr::sgemm_avx2_6x16, 6,  16, 144, 256, 4080,
            gemm_ukr::spack_bn_avx2,   gemm_ukr::spack_bt_avx2};
  return {ukr_portable<float, 4, 8>, 4, 8, 128, 256, 4096, nullptr, nullptr};
}
template <> Kernel<double> select_kernel<double>() {
  if (use_avx2())
    return {gemm_ukr::dgemm_avx2_6x8, 6,  8, 72, 256, 2040,
            gemm_ukr::dpack_bn_avx2,  gemm_ukr::dpack_bt_avx2};
  return {ukr_portable<double, 4, 4>, 4, 4, 64, 256, 2048, nullptr, nullptr};
}

// Thread-local, 64-byte aligned, grow-only scratch for packed panels.
class PackBuffer {
 public:
  ~PackBuffer() { std::free(p_); }
  template <typename T>
  T* get(int64_t n) {
    size_t bytes = (static_cast<size_t>(n) * sizeof(T) + 63) & ~size_t(63);
    if (bytes > cap_) {
      std::free(p_);
      p_ = std::aligned_alloc(64, bytes);
      if (!p_) throw std::bad_alloc();
      cap_ = bytes;
    }
    return static_cast<T*>(p_);
  }

 private:
  void* p_ = nullptr;
  size_t cap_ = 0;
};
thread_local PackBuffer t_apack, t_bpack;

// Ap <- A[0:mc, 0:kc] as MR-row slivers, column by column; rows past mc are zero.
template <typename T>
void pack_a(int MR, int64_t mc, int64_t kc, const T* A, int64_t rsa, int64_t csa, T* Ap) {
  for (int64_t i0 = 0; i0 < mc; i0 += MR, Ap += MR * kc) {
    const int m = static_cast<int>(std::min<int64_t>(MR, mc - i0));
    const T* a = A + i0 * rsa;
    if (m == MR && csa == 1) {
      // Row-major A: walk each row contiguously.
      for (int i = 0; i < MR; ++i) {
        const T* row = a + i * rsa;
        for (int64_t k = 0; k < kc; ++k) Ap[k * MR + i] = row[k];
      }
    } else {
      for (int64_t k = 0; k < kc; ++k) {
        T* dst = Ap + k * MR;
        const T* col = a + k * csa;
        for (int i = 0; i < m; ++i) dst[i] = col[i * rsa];
        for (int i = m; i < MR; ++i) dst[i] = T(0);
      }
    }
  }
}

// Bp <- one NR-column sliver B[0:kc, 0:n] (n <= NR), row by row; columns past n are zero.
template <typename T>
void pack_b(const Kernel<T>& kn, int64_t kc, int n, const T* B, int64_t rsb, int64_t csb, T* Bp) {
  const int NR = kn.nr;
  if (n == NR && csb == 1 && kn.pack_bn) return kn.pack_bn(kc, B, rsb, Bp);
  if (n == NR && rsb == 1 && kn.pack_bt) return kn.pack_bt(kc, B, csb, Bp);
  if (n == NR && rsb == 1) {
    // Transposed B (x @ W.T): walk each column of B contiguously.
    for (int j = 0; j < NR; ++j) {
      const T* col = B + j * csb;
      for (int64_t k = 0; k < kc; ++k) Bp[k * NR + j] = col[k];
    }
    return;
  }
  for (int64_t k = 0; k < kc; ++k) {
    T* dst = Bp + k * NR;
    const T* row = B + k * rsb;
    for (int j = 0; j < n; ++j) dst[j] = row[j * csb];
    for (int j = n; j < NR; ++j) dst[j] = T(0);
  }
}

// C = beta * C (beta == 0 writes zeros without reading C).
template <typename T>
void scale_c(int64_t M, int64_t N, T beta, T* C, int64_t rsc, int64_t csc) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      T& c = C[i * rsc + j * csc];
      c = beta == T(0) ? T(0) : beta * c;
    }
}

// Direct loop for tiny problems and the int64 path: one row of C at a time,
// accumulated in a local row so C is read (if at all) and written once.
template <typename T>
void gemm_direct(int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t rsa, int64_t csa,
                 const T* B, int64_t rsb, int64_t csb, T beta, T* C, int64_t rsc, int64_t csc) {
  std::vector<T> acc(static_cast<size_t>(N));
  for (int64_t i = 0; i < M; ++i) {
    std::fill(acc.begin(), acc.end(), T(0));
    for (int64_t k = 0; k < K; ++k) {
      const T a = A[i * rsa + k * csa];
      const T* b = B + k * rsb;
      if (csb == 1)
        for (int64_t j = 0; j < N; ++j) acc[j] += a * b[j];
      else
        for (int64_t j = 0; j < N; ++j) acc[j] += a * b[j * csb];
    }
    T* c = C + i * rsc;
    for (int64_t j = 0; j < N; ++j) {
      T& cj = c[j * csc];
      cj = beta == T(0) ? alpha * acc[j] : alpha * acc[j] + beta * cj;
    }
  }
}

// A single row of C (gemv) when B has unit row stride (e.g. x @ W.T): one dot product
// per column of B, along contiguous memory. Eight partial sums let the compiler
// vectorise without reassociating a single sum.
template <typename T>
void gemv_dot(int64_t N, int64_t K, T alpha, const T* A, int64_t csa, const T* B, int64_t csb,
              T beta, T* C, int64_t csc) {
  for (int64_t j = 0; j < N; ++j) {
    const T* b = B + j * csb;
    T acc[8] = {};
    int64_t k = 0;
    if (csa == 1)
      for (; k + 8 <= K; k += 8)
        for (int u = 0; u < 8; ++u) acc[u] += A[k + u] * b[k + u];
    T sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; k < K; ++k) sum += A[k * csa] * b[k];
    T& c = C[j * csc];
    c = beta == T(0) ? alpha * sum : alpha * sum + beta * c;
  }
}

// One thread's blocked gemm (M, N, K > 0, alpha != 0). With `direct_a` the
// micro-kernel reads full MR-row slivers of A in place (only a partial last sliver is
// packed): for small problems packing A would cost as much as the arithmetic.
template <typename T>
void gemm_serial(const Kernel<T>& kn, bool direct_a, int64_t M, int64_t N, int64_t K, T alpha,
                 const T* A, int64_t rsa, int64_t csa, const T* B, int64_t rsb, int64_t csb,
                 T beta, T* C, int64_t rsc, int64_t csc) {
  const int MR = kn.mr, NR = kn.nr;
  const int64_t KC = std::min(kn.kc, K);
  const int64_t MC = std::min(kn.mc, (M + MR - 1) / MR * MR);
  const int64_t NC = std::min(kn.nc, (N + NR - 1) / NR * NR);
  T* Ap = t_apack.get<T>(MC * KC);
  T* Bp = t_bpack.get<T>(NC * KC);
  alignas(64) T tile[6 * 16];  // partial tiles and non-unit column stride land here first

  for (int64_t jc = 0; jc < N; jc += NC) {
    const int64_t nc = std::min(NC, N - jc);
    for (int64_t pc = 0; pc < K; pc += KC) {
      const int64_t kc = std::min(KC, K - pc);
      const T beta_k = pc == 0 ? beta : T(1);  // later K blocks accumulate
      for (int64_t ic = 0; ic < M; ic += MC) {
        const int64_t mc = std::min(MC, M - ic);
        const T* Ablk = A + ic * rsa + pc * csa;
        const int64_t mfull = mc / MR * MR;
        if (!direct_a)
          pack_a(MR, mc, kc, Ablk, rsa, csa, Ap);
        else if (mfull < mc)
          pack_a(MR, mc - mfull, kc, Ablk + mfull * rsa, rsa, csa, Ap);
        for (int64_t jr = 0; jr < nc; jr += NR) {
          const int n = static_cast<int>(std::min<int64_t>(NR, nc - jr));
          T* bp = Bp + jr * kc;
          // Each B sliver is packed right before its first use, so the first row
          // of tiles reads it from L1 rather than streaming the whole panel back in.
          if (ic == 0) pack_b(kn, kc, n, B + pc * rsb + (jc + jr) * csb, rsb, csb, bp);
          for (int64_t ir = 0; ir < mc; ir += MR) {
            const int m = static_cast<int>(std::min<int64_t>(MR, mc - ir));
            const T* ap = Ap + ir * kc;
            int64_t ars = 1, acs = MR;
            if (direct_a && ir < mfull) ap = Ablk + ir * rsa, ars = rsa, acs = csa;
            else if (direct_a) ap = Ap;
            T* c = C + (ic + ir) * rsc + (jc + jr) * csc;
            if (m == MR && n == NR && csc == 1) {
              kn.ukr(kc, ap, ars, acs, bp, c, rsc, alpha, beta_k);
            } else {
              kn.ukr(kc, ap, ars, acs, bp, tile, NR, T(1), T(0));
              for (int i = 0; i < m; ++i)
                for (int j = 0; j < n; ++j) {
                  T& cij = c[i * rsc + j * csc];
                  const T v = alpha * tile[i * NR + j];
                  cij = beta_k == T(0) ? v : v + beta_k * cij;
                }
            }
          }
        }
      }
    }
  }
}

// Boundary t of `parts` near-equal pieces of [0, n), aligned to `unit`.
int64_t split_point(int64_t n, int parts, int unit, int t) {
  const int64_t units = (n + unit - 1) / unit;
  return std::min(n, units * t / parts * unit);
}

template <typename T>
void gemm_impl(int nthreads, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t rsa,
               int64_t csa, const T* B, int64_t rsb, int64_t csb, T beta, T* C, int64_t rsc,
               int64_t csc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == T(0)) return scale_c(M, N, beta, C, rsc, csc);
  if ((N == 1 && M > 1) || (csc != 1 && rsc == 1 && M > 1)) {
    // Compute C^T = B^T A^T instead: turns a column-vector result into a row (the
    // gemv paths below) and column-major C into row-major (the kernels store rows).
    // A' = B^T (A'[n,k] = B[k,n]), B' = A^T, C' = C^T.
    std::swap(M, N);
    std::swap(A, B);
    std::swap(rsa, csb);
    std::swap(csa, rsb);
    std::swap(rsc, csc);
  }
  if (M == 1 && rsb == 1 && K > 1)
    return gemv_dot(N, K, alpha, A, csa, B, csb, beta, C, csc);
  const double work = double(M) * double(N) * double(K);  // double: no overflow
  if (M == 1 || work <= kDirectMaxWork)  // M == 1 with row-major B: axpy rows of B
    return gemm_direct(M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, rsc, csc);

  const Kernel<T> kn = select_kernel<T>();
  const bool direct_a = csa == 1;  // row-major A: the kernel reads its rows in place
  if (nthreads <= 1 || work < kParallelMinWork)
    return gemm_serial(kn, direct_a, M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, rsc, csc);

  // Grid tm x tn = nthreads minimising the per-thread perimeter (packing traffic),
  // never splitting a dimension into pieces thinner than one tile.
  int tm = 1, tn = nthreads;
  double best = -1;
  for (int f = 1; f <= nthreads; ++f) {
    if (nthreads % f) continue;
    const int g = nthreads / f;
    if ((f > 1 && M < int64_t(f) * kn.mr) || (g > 1 && N < int64_t(g) * kn.nr)) continue;
    const double cost = double(M) / f + double(N) / g;
    if (best < 0 || cost < best) best = cost, tm = f, tn = g;
  }
  if (best < 0)
    return gemm_serial(kn, direct_a, M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, rsc, csc);
  // Cut each split dimension into up to 4x more chunks than threads and hand them
  // out dynamically, so a thread that is descheduled (the machine is shared) or
  // slower does fewer. Chunks stay >= 64 rows / 128 columns to keep packing amortised.
  const int64_t cm = tm == 1 ? 1 : tm * std::clamp<int64_t>(M / (int64_t(tm) * 64), 1, 4);
  const int64_t cn = tn == 1 ? 1 : tn * std::clamp<int64_t>(N / (int64_t(tn) * 128), 1, 4);
  std::atomic<int64_t> next{0};
  parallel_for(nthreads, kGrainSize, [&](int64_t, int64_t) {
    for (int64_t t; (t = next.fetch_add(1)) < cm * cn;) {
      const int ci = static_cast<int>(t / cn), cj = static_cast<int>(t % cn);
      const int cmi = static_cast<int>(cm), cni = static_cast<int>(cn);
      const int64_t i0 = split_point(M, cmi, kn.mr, ci), i1 = split_point(M, cmi, kn.mr, ci + 1);
      const int64_t j0 = split_point(N, cni, kn.nr, cj), j1 = split_point(N, cni, kn.nr, cj + 1);
      if (i0 < i1 && j0 < j1)
        gemm_serial(kn, direct_a, i1 - i0, j1 - j0, K, alpha, A + i0 * rsa, rsa, csa,
                    B + j0 * csb, rsb, csb, beta, C + i0 * rsc + j0 * csc, rsc, csc);
    }
  });
}

int default_threads() {
  if (in_parallel()) return 1;  // already inside a parallel_for chunk (e.g. per-sample conv)
  return get_num_threads();
}

void check_matmul_args(const TensorArg& a, const TensorArg& b, const TensorArg& out) {
  check_cpu("matmul", a);
  check_cpu("matmul", b);
  check_cpu("matmul", out);
  check_matmul_shapes(a, b, out);
}

template <typename T>
void matmul_typed(const TensorArg& a, const TensorArg& b, const TensorArg& out, T alpha, T beta) {
  const int nd = a.ndim(), nb_dims = nd - 2;
  const int64_t M = a.shape[nd - 2], K = a.shape[nd - 1], N = b.shape[nd - 1];
  int64_t batch = 1;
  for (int d = 0; d < nb_dims; ++d) batch *= a.shape[d];
  if (batch == 0 || M == 0 || N == 0) return;
  const T* A = a.data<T>();
  const T* B = b.data<T>();
  T* C = out.data<T>();

  auto run_one = [&](int64_t idx, int threads) {
    int64_t oa = 0, ob = 0, oc = 0;
    for (int d = nb_dims - 1; d >= 0; --d) {  // batch index -> element offsets
      const int64_t i = idx % a.shape[d];
      idx /= a.shape[d];
      oa += i * a.strides[d], ob += i * b.strides[d], oc += i * out.strides[d];
    }
    if constexpr (std::is_floating_point_v<T>)
      gemm_impl<T>(threads, M, N, K, alpha, A + oa, a.strides[nd - 2], a.strides[nd - 1], B + ob,
                   b.strides[nd - 2], b.strides[nd - 1], beta, C + oc, out.strides[nd - 2],
                   out.strides[nd - 1]);
    else if (K == 0)
      scale_c(M, N, beta, C + oc, out.strides[nd - 2], out.strides[nd - 1]);
    else
      gemm_direct(M, N, K, alpha, A + oa, a.strides[nd - 2], a.strides[nd - 1], B + ob,
                  b.strides[nd - 2], b.strides[nd - 1], beta, C + oc, out.strides[nd - 2],
                  out.strides[nd - 1]);
  };

  const int nt = default_threads();
  const double work = double(M) * double(N) * double(std::max<int64_t>(K, 1));
  if (batch > 1 && nt > 1 && work < kParallelMinWork) {
    // Many small matrices: one thread per group of whole matrices.
    parallel_for(batch, static_cast<int64_t>(work), [&](int64_t b0, int64_t b1) {
      for (int64_t i = b0; i < b1; ++i) run_one(i, 1);
    });
  } else {
    for (int64_t i = 0; i < batch; ++i) run_one(i, nt);
  }
}

}  // namespace

template <typename T>
void gemm(int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t rsa, int64_t csa,
          const T* B, int64_t rsb, int64_t csb, T beta, T* C, int64_t rsc, int64_t csc) {
  gemm_impl<T>(default_threads(), M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, rsc, csc);
}

template void gemm<float>(int64_t, int64_t, int64_t, float, const float*, int64_t, int64_t,
                          const float*, int64_t, int64_t, float, float*, int64_t, int64_t);
template void gemm<double>(int64_t, int64_t, int64_t, double, const double*, int64_t, int64_t,
                           const double*, int64_t, int64_t, double, double*, int64_t, int64_t);

void matmul(const TensorArg& a, const TensorArg& b, const TensorArg& out, double alpha, double beta) {
  check_matmul_args(a, b, out);
  switch (a.dtype) {
    case DType::Float32:
      return matmul_typed<float>(a, b, out, static_cast<float>(alpha), static_cast<float>(beta));
    case DType::Float64:
      return matmul_typed<double>(a, b, out, alpha, beta);
    case DType::Int64:
      return matmul_typed<int64_t>(a, b, out, static_cast<int64_t>(alpha), static_cast<int64_t>(beta));
    default:
      fail_type(std::string("matmul: unsupported dtype ") + dtype_name(a.dtype));
  }
}

}  // namespace cpu
}  // namespace fastdl
