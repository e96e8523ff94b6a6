// Blocked, packed gemm driver (BLIS loop structure) and the batched matmul entry.
//
//   for jc in N step NC:
//     for pc in K step KC:
//       for ic in M step MC:        A block MC x KC stays in L2
//         for chunk of the panel:   chunk_slivers B slivers (1 for the AVX2 kernels)
//           for ir in MC step MR:   A sliver MR x KC stays in L1 across the chunk
//             for jr in chunk:      B sliver KC x NR, packed on first use (ic == 0,
//                                   ir == 0) into the KC x NC panel (one chunk of
//                                   slots when there is one ic block)
//               micro-kernel on one MR x NR tile of C
// With one-sliver chunks that is BLIS's order (the sliver stays in L1 across the ir
// loop); the AVX-512 kernel's 64 KiB sliver does not fit L1, so it reads chunks of
// slivers from L2 with the A sliver held in L1 (Kernel::chunk_slivers).
//
// Packing is where arbitrary strides are absorbed: the micro-kernels see contiguous,
// zero-padded B slivers, and A either packed into MR-row slivers or, when A is
// row-major and C narrow (N <= 256), read in place (packing would cost about as much
// as it saves; only a partial last sliver is packed, to zero-pad it). Partial C tiles
// and C with a non-unit column stride go through a local tile. K (and, threaded, M)
// is cut into even blocks, so no pass is a thin remainder.
// Threads: when M spans several MC blocks and C is wide (>= 512 columns per thread),
// each thread runs the serial driver on one column slab (gemm_split_n), its B panel in
// its own L2; with narrower C (gemm_split_m) the threads share each packed KC x NC panel
// of B and take turns on its row blocks, one parallel job per panel. With few rows,
// gemm_split_n on dynamically handed-out column slabs.
// Small products (up to 2^22 multiply-adds, K <= 256, one thread; with AVX2) skip all
// of that: gemm_small runs unpacked register-blocked kernels (gemm_small_avx2.cpp)
// with exact-size edge tiles, no heap allocation and no cache blocking. Without AVX2,
// single-row / single-column results and tiny problems take direct loops.
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
#include "../core/scratch_buffer.h"

namespace fastdl {
namespace cpu {

namespace {

// Below this many multiply-adds a problem runs on one thread: spawning costs more.
constexpr int64_t kParallelMinWork = int64_t(1) << 20;
// Small problems (AVX2) skip packing and cache blocking: gemm_small. K is capped so that
// a K x NR block of B stays in L1 across the row loop.
constexpr int64_t kSmallMaxWork = int64_t(1) << 22;
constexpr int64_t kSmallMaxK = 256;
// Small products with row-major A and up to this many columns run as dot products
// along K; up to kDotMaxNCopied when B's columns must first be copied contiguous
// (measured: the row kernel is faster for 7-8 columns of row-major B).
constexpr int64_t kDotMaxN = 8;
constexpr int64_t kDotMaxNCopied = 6;
// C with few rows and B^T contiguous runs as dot products on C^T from this K on (below,
// half-empty vectors along K cost more than packing B).
constexpr int64_t kDotMinK = 16;
// Without AVX2, tiny problems run a direct loop (packing's fixed cost dominates).
constexpr int64_t kDirectMaxWork = 4096;
// Up to this many columns of C, row-major A is read in place rather than packed.
constexpr int64_t kDirectAMaxN = 256;
// Threads split K (gemm_split_k) when C has at most this many elements and K at least
// kSplitKMinK: the weight gradients of an LSTM layer (512 x 128 summed over 3,200
// rows) are such products.
constexpr int64_t kSplitKMaxC = int64_t(1) << 17;
constexpr int64_t kSplitKMinK = 1024;
// Products with more rows than one row block run as one column slab per thread
// (gemm_dispatch) when every slab is at least this wide; narrower slabs share a B panel
// (gemm_split_m). 2 threads, AVX-512 Xeon, medians of 10 alternating processes: 1024^3
// 322 -> 336 GFLOP/s, 2048^3 340 -> 347; 600^3 (300-column slabs) 299 -> 285.
constexpr int64_t kWideSlabMinN = 512;

// The largest tile of any kernel below (the AVX-512 float kernel's 6 x 64).
constexpr int kMaxMR = 6, kMaxNR = 64;
constexpr int64_t kMaxChunkSlivers = 64;  // >= NC / NR of every kernel

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
  // Optional fast packer for full A slivers of row-major A (unit column stride).
  void (*pack_a_rows)(int64_t, const T*, int64_t, T*);
  // The unpacked kernel for small products (gemm_ukr::sgemm_small_avx2 / _avx512; it
  // also reads this kernel's packed nr-wide slivers, passed as bwidth = nr), or nullptr.
  void (*small)(int64_t, int64_t, int64_t, T, const T*, int64_t, int64_t, const T*, int64_t, int64_t, int64_t, T,
                T*, int64_t, int64_t);
  // Its dot-product form for narrow C (gemm_ukr::sgemm_dot_avx2), or nullptr.
  void (*dot)(int64_t, int64_t, int64_t, T, const T*, int64_t, const T*, int64_t, T, T*, int64_t, int64_t);
  // gemm_prepacked gives `small` products of up to this many rows whole (0: only the rows
  // past the last full tile): the AVX-512 row kernel's 8-row tiles need no packed A and
  // hold more accumulators than the 6 x 32 micro-kernel did (the LSTM layer's 16-row batch
  // blocks, fastdl.bench: 9.3-9.6 -> 9.0-9.2 ms). Against the 6 x 64 kernel, 0 and 32 are
  // within 1-2% either way on the LSTM layer (1 and 2 threads, session 31).
  int64_t small_whole_rows = 0;
  // Optional kernel for slivers of at most NR / 2 columns: the left half of an NR-wide
  // packed sliver (B rows still NR apart), at the cost of NR / 2 columns, not NR.
  void (*ukr_half)(int64_t, const T*, int64_t, int64_t, const T*, T*, int64_t, T, T) = nullptr;
  // The narrowest sliver that runs at full width: NR / 2 with ukr_half, else NR. Column
  // slabs of threads are multiples of it.
  int slab_unit() const { return ukr_half ? nr / 2 : nr; }
  // B slivers per chunk of the macro-kernel's panel (1: one sliver at a time under every
  // row tile, BLIS's order, for kernels whose sliver stays in L1). The 6 x 64 kernel's
  // sliver (64 KiB at KC 256) does not fit L1, so that order streams both A's sliver
  // and B's from L2 for every tile; rows outer over a chunk of slivers that fits half
  // of L2 keeps A's 6 KiB sliver in L1 across the chunk (l2_chunk_slivers): +3-5% at 1
  // and 2 threads on 1024^3 to 4096^3, and also with K blocks of 144-160 (a sliver that
  // fits L1). The AVX2 6 x 16 kernel's 16 KiB sliver gained 0-2% from chunks: kept at 1.
  int64_t chunk_slivers = 1;
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

// Slivers of KC x NR packed B that fill half of one core's L2 (the A block and C's
// lines take most of the rest), at most kMaxChunkSlivers; 4 (256 KiB at KC 256) where the
// L2 size is unknown. 1 thread, a C++ loop over a 2016 x 2048 block of C with the
// production kernel and packers, 2 MiB L2: 1024-column chunks 206-208 GFLOP/s, 256
// columns 204, one sliver at a time 192-195; rows outer over the whole 2 MiB panel 142.
template <typename T>
int64_t l2_chunk_slivers(const Kernel<T>& kn) {
  const int64_t sliver_bytes = kn.kc * kn.nr * int64_t(sizeof(T)), l2 = cpu_l2_cache_bytes();
  if (l2 <= 0) return std::max<int64_t>(1, (int64_t(256) << 10) / sliver_bytes);
  return std::min(kMaxChunkSlivers, std::max<int64_t>(1, l2 / 2 / sliver_bytes));
}

template <typename T> Kernel<T> select_kernel();
template <> Kernel<float> select_kernel<float>() {
  // NC = 4032: the multiple of 64 next to the AVX2 kernel's 4080. MC = 288 rather than 144
  // (bench_gemm.py, 2 threads, a Xeon with 2 MiB of L2 per core: 512 / 1024 / 2048 at
  // 0.99-1.03 / 0.90-0.93 / 0.84-0.85 -> 1.10 / 0.92 / 0.91 of numpy, on the 6 x 32 kernel).
  // 6 x 64 rather than 6 x 32 (bench/README item 74): 2048^3 at 1 thread 167 -> 179 GFLOP/s.
  if (use_avx512()) {
    Kernel<float> kn{gemm_ukr::sgemm_avx512_6x64, 6,  64, 288, 256, 4032,
                     gemm_ukr::spack_bn64_avx512, gemm_ukr::spack_bt64_avx512, gemm_ukr::spack_a6_avx2,
                     gemm_ukr::sgemm_small_avx512,
                     gemm_ukr::sgemm_dot_avx2, 32, gemm_ukr::sgemm_avx512_6x32_of64};
    kn.chunk_slivers = l2_chunk_slivers(kn);
    return kn;
  }
  if (use_avx2())
    return {gemm_ukr::sgemm_avx2_6x16, 6,  16, 144, 256, 4080,
            gemm_ukr::spack_bn_avx2,   gemm_ukr::spack_bt_avx2, gemm_ukr::spack_a6_avx2,
            gemm_ukr::sgemm_small_avx2,
            gemm_ukr::sgemm_dot_avx2};
  return {ukr_portable<float, 4, 8>, 4, 8, 128, 256, 4096, nullptr, nullptr, nullptr, nullptr, nullptr};
}
template <> Kernel<double> select_kernel<double>() {
  if (use_avx2())
    return {gemm_ukr::dgemm_avx2_6x8, 6,  8, 72, 256, 2040,
            gemm_ukr::dpack_bn_avx2,  gemm_ukr::dpack_bt_avx2, nullptr, gemm_ukr::dgemm_small_avx2,
            gemm_ukr::dgemm_dot_avx2};
  return {ukr_portable<double, 4, 4>, 4, 4, 64, 256, 2048, nullptr, nullptr, nullptr, nullptr, nullptr};
}

// Per-thread scratch for packed panels.
thread_local ScratchBuffer t_apack, t_bpack, t_bspare;

// Ap[k*MR + i] <- a[k*csa + i] for one full sliver of transposed A (unit row stride).
template <int MR, typename T>
void pack_a_contiguous(int64_t kc, const T* a, int64_t csa, T* Ap) {
  for (int64_t k = 0; k < kc; ++k, a += csa, Ap += MR)
    for (int i = 0; i < MR; ++i) Ap[i] = a[i];
}

// How an mc-row block of A is cut into row tiles: `head` full MR-row tiles, then up to
// two tail tiles of `first` and `second` rows. Without an exact-rows kernel (portable)
// the tail is one partial tile, run as a padded MR-row one. With it, a remainder of up
// to MR / 2 rows shares the last full tile's rows (6 + 2 -> 4 + 4, 6 + 1 -> 4 + 3,
// 6 + 3 -> 5 + 4): 2 rows have 4 accumulators, too few to cover the FMA latency, and
// cost 2/3 of a full tile; as 4 + 4 they cost 4/3 for both. Tile t starts at start(t)
// and is sliver t of a packed block. A tile's rows do not change any element's sum.
struct RowTiles {
  int64_t head;
  int first, second;
  RowTiles(int64_t mc, int mr, bool exact_rows) {
    const int r = static_cast<int>(mc % mr);
    head = mc / mr;
    first = r;
    second = 0;
    if (exact_rows && head > 0 && r > 0 && r <= mr / 2) {
      head -= 1;
      first = (mr + r + 1) / 2;
      second = mr + r - first;
    }
  }
  int64_t count() const { return head + (first > 0) + (second > 0); }
  int64_t start(int64_t t, int mr) const { return t <= head ? t * mr : head * mr + first; }
  int rows(int64_t t, int mr) const { return t < head ? mr : t == head ? first : second; }
};

// Ap <- tiles [t0, plan.count()) of A[0:mc, 0:kc] as MR-row slivers (sliver t - t0 at
// Ap + (t - t0) * MR * kc), column by column; rows past a tile's are zero.
template <typename T>
void pack_a(const Kernel<T>& kn, const RowTiles& plan, int64_t t0, int64_t kc, const T* A, int64_t rsa,
            int64_t csa, T* Ap) {
  const int MR = kn.mr;
  for (int64_t t = t0; t < plan.count(); ++t, Ap += MR * kc) {
    const int m = plan.rows(t, MR);
    const T* a = A + plan.start(t, MR) * rsa;
    if (m == MR && csa == 1 && kn.pack_a_rows) {
      kn.pack_a_rows(kc, a, rsa, Ap);
    } else if (m == MR && csa == 1) {
      // Row-major A: walk each row contiguously.
      for (int i = 0; i < MR; ++i) {
        const T* row = a + i * rsa;
        for (int64_t k = 0; k < kc; ++k) Ap[k * MR + i] = row[k];
      }
    } else if (m == MR && rsa == 1) {
      // Transposed A (the weight gradients' dY^T @ X): each k's MR values are contiguous.
      // A copy of compile-time length: std::copy of a run-time MR is a memmove call per k.
      switch (MR) {
        case 6: pack_a_contiguous<6>(kc, a, csa, Ap); break;
        case 4: pack_a_contiguous<4>(kc, a, csa, Ap); break;
        default:
          for (int64_t k = 0; k < kc; ++k) std::copy(a + k * csa, a + k * csa + MR, Ap + k * MR);
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

// Direct loop for tiny problems without AVX2 and the int64 path: a chunk of one row of
// C at a time, accumulated in a local array so C is read (if at all) and written once.
template <typename T>
void gemm_direct(int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t rsa, int64_t csa,
                 const T* B, int64_t rsb, int64_t csb, T beta, T* C, int64_t rsc, int64_t csc) {
  constexpr int64_t kChunk = 64;
  T acc[kChunk];
  for (int64_t j0 = 0; j0 < N; j0 += kChunk) {
    const int64_t n = std::min(kChunk, N - j0);
    for (int64_t i = 0; i < M; ++i) {
      std::fill(acc, acc + n, T(0));
      for (int64_t k = 0; k < K; ++k) {
        const T a = A[i * rsa + k * csa];
        const T* b = B + k * rsb + j0 * csb;
        if (csb == 1)
          for (int64_t j = 0; j < n; ++j) acc[j] += a * b[j];
        else
          for (int64_t j = 0; j < n; ++j) acc[j] += a * b[j * csb];
      }
      T* c = C + i * rsc + j0 * csc;
      for (int64_t j = 0; j < n; ++j) {
        T& cj = c[j * csc];
        cj = beta == T(0) ? alpha * acc[j] : alpha * acc[j] + beta * cj;
      }
    }
  }
}

// Bp <- B (K x N, any strides) as ceil(N / NR) zero-padded NR-column slivers of K rows.
template <typename T>
void pack_b_slivers(const Kernel<T>& kn, int64_t K, int64_t N, const T* B, int64_t rsb, int64_t csb, T* Bp) {
  for (int64_t j = 0; j < N; j += kn.nr, Bp += K * kn.nr)
    pack_b(kn, K, static_cast<int>(std::min<int64_t>(kn.nr, N - j)), B + j * csb, rsb, csb, Bp);
}

// Bp <- B[0:kc, 0:nc] (row-major: unit column stride) as zero-padded NR-column slivers
// (sliver s at Bp + s * kc * NR), walking B row by row so that it is read sequentially.
template <typename T>
void pack_panel_rows(const Kernel<T>& kn, int64_t kc, int64_t nc, const T* B, int64_t rsb, T* Bp) {
  const int NR = kn.nr;
  const int64_t full = nc / NR, rest = nc - full * NR;
  for (int64_t k = 0; k < kc; ++k) {
    const T* row = B + k * rsb;
    T* dst = Bp + k * NR;
    for (int64_t s = 0; s < full; ++s) std::copy(row + s * NR, row + s * NR + NR, dst + s * kc * NR);
    if (rest) {
      T* d = dst + full * kc * NR;
      std::copy(row + full * NR, row + nc, d);
      std::fill(d + rest, d + NR, T(0));
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

// The operands of one gemm call (M, N, K > 0, alpha != 0), after the driver has
// turned column-major C around.
template <typename T>
struct Operands {
  int64_t M, N, K;
  T alpha;
  const T* A;
  int64_t rsa, csa;
  const T* B;
  int64_t rsb, csb;
  T beta;
  T* C;
  int64_t rsc, csc;
  RowActivation<T> act = nullptr;  // epilogue on the finished C (elementwise: any orientation)
};

// Turns the product into C^T = B^T A^T (A' = B^T: A'[n,k] = B[k,n], B' = A^T, C' = C^T),
// the same arithmetic with the roles of rows and columns exchanged.
template <typename T>
void transpose_product(Operands<T>& op) {
  std::swap(op.M, op.N);
  std::swap(op.A, op.B);
  std::swap(op.rsa, op.csb);
  std::swap(op.csa, op.rsb);
  std::swap(op.rsc, op.csc);
}

// Block size for cutting n into near-equal blocks of at most `cap`, in units of `unit`,
// with a block count that is a multiple of `parts`: no block is a thin remainder, and
// `parts` threads get equal shares. Depends only on its arguments (determinism).
int64_t even_block(int64_t n, int64_t cap, int64_t unit, int64_t parts) {
  const int64_t units = (n + unit - 1) / unit, cap_units = std::max<int64_t>(cap / unit, 1);
  int64_t blocks = (units + cap_units - 1) / cap_units;
  blocks = (blocks + parts - 1) / parts * parts;
  return (units + blocks - 1) / blocks * unit;
}

// The K block: KC cut evenly (K = 784 runs as 4 x 196, not 3 x 256 + 16, whose thin
// last block would pay the C load/store of a full pass for little arithmetic).
template <typename T>
int64_t k_block(const Kernel<T>& kn, int64_t K) {
  return std::min(K, even_block(K, kn.kc, 4, 1));
}

// The column panel: NC cut evenly in NR units (N = 4096 runs as 2 x 2048, not 4064 + 32,
// whose thin second panel repacked all of A for 32 columns: 4096^2 at 2 threads ran at
// 0.75x numpy on the AVX-512 kernel).
template <typename T>
int64_t n_block(const Kernel<T>& kn, int64_t N) {
  return even_block(N, kn.nc, kn.nr, 1);
}

// The activation epilogue on an m x n tile of C with any column stride.
template <typename T>
void apply_activation_tile(int m, int n, T* c, int64_t rsc, int64_t csc, RowActivation<T> act) {
  alignas(64) T row[kMaxNR];
  for (int i = 0; i < m; ++i) {
    T* ci = c + i * rsc;
    if (csc == 1) {
      act(ci, n);
      continue;
    }
    for (int j = 0; j < n; ++j) row[j] = ci[j * csc];
    act(row, n);
    for (int j = 0; j < n; ++j) ci[j * csc] = row[j];
  }
}

// One MR x NR tile of C (m x n valid at c) += the product of an A sliver and a packed B
// sliver, via the micro-kernel; a partial tile or a C with non-unit column stride goes
// through a local tile first. With the small kernel (AVX2), a tile of m < MR rows runs
// it on exactly m rows instead: batch sizes are powers of two, and 64 rows as 11 tiles
// of 6 paid for 66 (measured at 1 thread against numpy: 64x784 @ 784x128 0.96 -> 1.01, 64x512 @ 512x256 0.99 -> 1.05). It reads
// only those m rows of A, so A can be read in place up to its last row (prepare_a).
template <typename T>
void run_tile(const Kernel<T>& kn, int64_t kc, const T* ap, int64_t ars, int64_t acs, const T* bp,
              int m, int n, T alpha, T beta, T* c, int64_t rsc, int64_t csc, RowActivation<T> act) {
  const bool half = kn.ukr_half && n <= kn.nr / 2;
  const auto ukr = half ? kn.ukr_half : kn.ukr;
  const int width = half ? kn.nr / 2 : kn.nr;  // the columns the kernel computes
  if (m == kn.mr && n == width && csc == 1) {
    ukr(kc, ap, ars, acs, bp, c, rsc, alpha, beta);
    if (act)  // the epilogue, while the tile is in L1
      for (int i = 0; i < m; ++i) act(c + i * rsc, n);
    return;
  }
  if (m < kn.mr && kn.small) {
    kn.small(m, n, kc, alpha, ap, ars, acs, bp, kn.nr, kn.nr, kc * kn.nr, beta, c, rsc, csc);
    if (act) apply_activation_tile(m, n, c, rsc, csc, act);
    return;
  }
  alignas(64) T tile[kMaxMR * kMaxNR];
  ukr(kc, ap, ars, acs, bp, tile, width, T(1), T(0));
  for (int i = 0; i < m; ++i) {
    T* t = tile + i * width;
    for (int j = 0; j < n; ++j) t[j] = beta == T(0) ? alpha * t[j] : alpha * t[j] + beta * c[i * rsc + j * csc];
    if (act) act(t, n);
    for (int j = 0; j < n; ++j) c[i * rsc + j * csc] = t[j];
  }
}

// An mc x kc block of A as the micro-kernel reads it, in the row tiles of `plan`: the
// first `direct_tiles` read in place from `direct` with strides (rsa, csa), the others
// packed at `packed` (tile t as sliver t - direct_tiles, at + (t - direct_tiles) * MR * kc).
template <typename T>
struct ABlock {
  const T* packed;
  const T* direct;
  int64_t rsa, csa, direct_tiles, kc;
  RowTiles plan;
};

// Packs what of A[0:mc, 0:kc] the kernel will not read in place into Ap. With
// `in_place` (row-major A) nothing is packed, except a partial last tile when no
// exact-rows kernel runs it (run_tile): the MR-row kernel needs it zero-padded.
template <typename T>
ABlock<T> prepare_a(const Kernel<T>& kn, bool in_place, int64_t mc, int64_t kc, const T* A,
                    int64_t rsa, int64_t csa, T* Ap) {
  const RowTiles plan(mc, kn.mr, kn.small != nullptr);
  const int64_t direct_tiles = !in_place ? 0 : kn.small ? plan.count() : plan.head;
  if (direct_tiles < plan.count()) pack_a(kn, plan, direct_tiles, kc, A, rsa, csa, Ap);
  return {Ap, A, rsa, csa, direct_tiles, kc, plan};
}

// C[0:mc, 0:nc] (+)= alpha * A block @ B panel over one K block, in chunks of `chunk`
// NR-column slivers of B (<= kMaxChunkSlivers): for each chunk, every MR-row tile of the A
// block against each sliver of the chunk (with chunks of one sliver: for each sliver,
// every tile). get_b(jr, n, slot) returns sliver jr packed; it is called once per chunk,
// under the first row tile, with the sliver's place in the chunk (slot). The slivers are
// visited starting at sliver `first` and wrapping around (the order does not change any
// result: each tile is computed once either way).
template <typename T, typename GetB>
void macro_kernel(const Kernel<T>& kn, const ABlock<T>& a, int64_t mc, int64_t nc, int64_t first, int64_t chunk,
                  GetB&& get_b, T alpha, T beta, T* C, int64_t rsc, int64_t csc, RowActivation<T> act) {
  const int MR = kn.mr, NR = kn.nr;
  const int64_t slivers = (nc + NR - 1) / NR;
  const T* bp[kMaxChunkSlivers];
  for (int64_t s0 = 0; s0 < slivers; s0 += chunk) {
    const int64_t s1 = std::min(slivers, s0 + chunk);
    for (int64_t t = 0; t < a.plan.count(); ++t) {
      const int64_t ir = a.plan.start(t, MR);
      const int m = a.plan.rows(t, MR);
      for (int64_t s = s0; s < s1; ++s) {
        const int64_t jr = (first + s) % slivers * NR;
        const int n = static_cast<int>(std::min<int64_t>(NR, nc - jr));
        if (t == 0) bp[s - s0] = get_b(jr, n, s - s0);
        T* c = C + ir * rsc + jr * csc;
        if (t < a.direct_tiles)
          run_tile(kn, a.kc, a.direct + ir * a.rsa, a.rsa, a.csa, bp[s - s0], m, n, alpha, beta, c, rsc, csc, act);
        else
          run_tile(kn, a.kc, a.packed + (t - a.direct_tiles) * MR * a.kc, int64_t(1), int64_t(MR), bp[s - s0], m,
                   n, alpha, beta, c, rsc, csc, act);
      }
    }
  }
}

// One thread's blocked gemm. With `direct_a` the micro-kernel reads full MR-row
// slivers of A in place: for small problems packing A would cost as much as the
// arithmetic it saves.
template <typename T>
void gemm_serial(const Kernel<T>& kn, bool direct_a, const Operands<T>& op) {
  const int MR = kn.mr, NR = kn.nr;
  const int64_t KC = k_block(kn, op.K);
  const int64_t MC = std::min(kn.mc, (op.M + MR - 1) / MR * MR);
  const int64_t NC = n_block(kn, op.N);
  T* Ap = t_apack.get<T>(MC * KC);
  const bool one_row_block = op.M <= MC;
  // Row-major B under few rows of A, with a K block of the panel beyond L2 (1 MiB): the
  // block is packed first, row by row, so B is read sequentially. A sliver at a time reads
  // rows a full stride apart from L3 and waits on each, and with few rows of A no
  // arithmetic hides that (1 thread: 32x256 @ 256x2048 62 -> 69 GFLOP/s, 32x300 @ 300x8192
  // 59 -> 68). A B that fits L2 stays sliver-wise: there the panel's round trip costs more
  // (32x512 @ 512x512 72 -> 68 with it).
  const bool rows_first = one_row_block && op.csb == 1 && kn.pack_bn &&
                          std::min(op.K, KC) * op.N * int64_t(sizeof(T)) >= (int64_t(1) << 20);
  const int64_t slots = std::min(kn.chunk_slivers, (NC + NR - 1) / NR);  // one chunk's slivers
  T* Bp = t_bpack.get<T>(one_row_block && !rows_first ? slots * NR * KC : NC * KC);
  for (int64_t jc = 0; jc < op.N; jc += NC) {
    const int64_t nc = std::min(NC, op.N - jc);
    for (int64_t pc = 0; pc < op.K; pc += KC) {
      const int64_t kc = std::min(KC, op.K - pc);
      const T beta = pc == 0 ? op.beta : T(1);  // later K blocks accumulate
      const T* Bpc = op.B + pc * op.rsb + jc * op.csb;
      for (int64_t ic = 0; ic < op.M; ic += MC) {
        const int64_t mc = std::min(MC, op.M - ic);
        const ABlock<T> a = prepare_a(kn, direct_a, mc, kc, op.A + ic * op.rsa + pc * op.csa,
                                      op.rsa, op.csa, Ap);
        // Each B sliver is packed right before its first use, so the first row of
        // tiles reads it from L1 rather than streaming the whole panel back in. With
        // one row block no sliver is used again after its chunk: the chunks share one
        // chunk of slots, which stays in cache (a panel slot per sliver would write MBs
        // of fresh lines for conv's wide B).
        if (rows_first) pack_panel_rows(kn, kc, nc, Bpc, op.rsb, Bp);
        auto get_b = [&](int64_t jr, int n, int64_t slot) -> const T* {
          if (rows_first) return Bp + jr * kc;
          T* bp = Bp + (one_row_block ? slot * NR * kc : jr * kc);
          if (ic == 0) pack_b(kn, kc, n, Bpc + jr * op.csb, op.rsb, op.csb, bp);
          return bp;
        };
        macro_kernel(kn, a, mc, nc, 0, kn.chunk_slivers, get_b, op.alpha, beta, op.C + ic * op.rsc + jc * op.csc,
                     op.rsc, op.csc, pc + kc == op.K ? op.act : nullptr);
      }
    }
  }
}

// Threads on different columns: each runs gemm_serial on its own `width`-column slabs
// of C (handed out dynamically), packing its own B slivers and sharing A (read in
// place or packed by each). One parallel job for the whole product, no join per K block.
template <typename T>
void gemm_split_n(const Kernel<T>& kn, bool direct_a, int nthreads, const Operands<T>& op, int64_t width) {
  std::atomic<int64_t> next{0};
  parallel_for(nthreads, kGrainSize, [&](int64_t, int64_t) {
    for (int64_t j0; (j0 = next.fetch_add(1) * width) < op.N;) {
      Operands<T> slab = op;
      slab.N = std::min(width, op.N - j0);
      slab.B += j0 * op.csb;
      slab.C += j0 * op.csc;
      gemm_serial(kn, direct_a, slab);
    }
  });
}

// Threads on different rows sharing one packed B panel (BLIS's ic loop in parallel):
// per (jc, pc) block one parallel job in which each thread takes equal MR-aligned row
// blocks, packs them into its own A buffer, and runs them against the panel. B slivers
// are packed by whichever thread needs one first, so there is no barrier; a thread
// that finds a sliver being packed by another packs a private copy (same values)
// rather than wait for a thread that may have been descheduled. Threads begin at
// different slivers, so that rarely happens. One sliver at a time (chunk 1) even for
// the AVX-512 kernel: with chunks each thread sweeps the whole shared panel under its
// first row tile, half of it just written by the other core (2 threads, alternating
// calls: 512^3 x0.95, 512 x 2048 @ 2048 x 512 x0.95, 600^3 and 3200 x 128 @ 128 x 512
// within 2%).
template <typename T>
void gemm_split_m(const Kernel<T>& kn, bool direct_a, int nthreads, const Operands<T>& op) {
  const int NR = kn.nr;
  const int64_t KC = k_block(kn, op.K);
  // Row blocks: a multiple of nthreads of them, sizes differing by at most one MR
  // sliver, so every thread gets the same number of rows (equal-size blocks of
  // even_block leave a short last block, and its thread idling at each job's end).
  const int64_t units = (op.M + kn.mr - 1) / kn.mr;
  const int64_t blocks_of_mc = (units * kn.mr + kn.mc - 1) / kn.mc;
  const int64_t mblocks = std::min(units, (blocks_of_mc + nthreads - 1) / nthreads * nthreads);
  const int64_t MCB = (units + mblocks - 1) / mblocks * kn.mr;  // the largest block
  auto block_start = [&](int64_t b) { return std::min(op.M, b * units / mblocks * kn.mr); };
  const int64_t NC = n_block(kn, op.N);
  T* Bp = t_bpack.get<T>(NC * KC);
  enum : uint8_t { kUnpacked, kPacking, kReady };
  std::vector<std::atomic<uint8_t>> sliver(static_cast<size_t>(NC / NR));
  std::atomic<int64_t> next{0};
  for (int64_t jc = 0; jc < op.N; jc += NC) {
    const int64_t nc = std::min(NC, op.N - jc);
    for (int64_t pc = 0; pc < op.K; pc += KC) {
      const int64_t kc = std::min(KC, op.K - pc);
      const T beta = pc == 0 ? op.beta : T(1);
      const T* Bpc = op.B + pc * op.rsb + jc * op.csb;
      for (auto& s : sliver) s.store(kUnpacked, std::memory_order_relaxed);
      next.store(0, std::memory_order_relaxed);  // published by the job start
      parallel_for(nthreads, kGrainSize, [&](int64_t, int64_t) {
        T* Ap = t_apack.get<T>(MCB * kc);
        T* spare = t_bspare.get<T>(kc * NR);
        auto get_b = [&](int64_t jr, int n, int64_t) -> const T* {
          std::atomic<uint8_t>& s = sliver[static_cast<size_t>(jr / NR)];
          T* bp = Bp + jr * kc;
          uint8_t state = s.load(std::memory_order_acquire);
          if (state == kUnpacked && s.compare_exchange_strong(state, kPacking, std::memory_order_acquire)) {
            pack_b(kn, kc, n, Bpc + jr * op.csb, op.rsb, op.csb, bp);
            s.store(kReady, std::memory_order_release);
            return bp;
          }
          if (state == kReady) return bp;
          pack_b(kn, kc, n, Bpc + jr * op.csb, op.rsb, op.csb, spare);
          return spare;
        };
        for (int64_t blk; (blk = next.fetch_add(1)) < mblocks;) {
          const int64_t ic = block_start(blk), mc = block_start(blk + 1) - ic;
          const ABlock<T> a = prepare_a(kn, direct_a, mc, kc, op.A + ic * op.rsa + pc * op.csa,
                                        op.rsa, op.csa, Ap);
          // Threads start on different slivers (block b at the b % nthreads-th part of the
          // panel), so while the panel is being packed each packs its own part.
          const int64_t first = blk % nthreads * ((nc + NR - 1) / NR) / nthreads;
          macro_kernel(kn, a, mc, nc, first, 1, get_b, op.alpha, beta,
                       op.C + ic * op.rsc + jc * op.csc, op.rsc, op.csc, pc + kc == op.K ? op.act : nullptr);
        }
      });
    }
  }
}

// The activation epilogue over rows [i0, i1) of C, for the paths that do not run it per
// tile (small, direct and split-K products): C is small there or was just written.
template <typename T>
void apply_activation(const Operands<T>& op, int64_t i0, int64_t i1) {
  if (!op.act) return;
  constexpr int64_t kChunk = 64;
  T buf[kChunk];
  for (int64_t i = i0; i < i1; ++i) {
    T* row = op.C + i * op.rsc;
    if (op.csc == 1) {
      op.act(row, op.N);
      continue;
    }
    for (int64_t j0 = 0; j0 < op.N; j0 += kChunk) {  // strided row: through a buffer
      const int64_t n = std::min(kChunk, op.N - j0);
      for (int64_t j = 0; j < n; ++j) buf[j] = row[(j0 + j) * op.csc];
      op.act(buf, n);
      for (int64_t j = 0; j < n; ++j) row[(j0 + j) * op.csc] = buf[j];
    }
  }
}

// Threads on different K ranges, for products whose C is small next to the K they sum
// over (weight gradients, dW = dY^T X over many rows): each of `slots` fixed ranges of
// whole K blocks accumulates into its own C (slot 0 into C itself, with beta), and the
// partials are added in slot order, so a thread count gives the same bits every run.
// The other splits fit these badly: split_m runs one parallel job per K block (a join
// each), split_n has every thread pack all of A.
template <typename T>
void gemm_split_k(const Kernel<T>& kn, bool direct_a, int nthreads, const Operands<T>& op) {
  const int64_t KC = k_block(kn, op.K), kblocks = (op.K + KC - 1) / KC;
  const int64_t slots = std::min<int64_t>(nthreads, kblocks), MN = op.M * op.N;
  std::vector<T> partial(static_cast<size_t>((slots - 1) * MN));
  parallel_for(slots, op.M * op.N * op.K / slots, [&](int64_t s0, int64_t s1) {
    for (int64_t s = s0; s < s1; ++s) {
      const int64_t k0 = kblocks * s / slots * KC, k1 = std::min(op.K, kblocks * (s + 1) / slots * KC);
      Operands<T> part = op;
      part.act = nullptr;  // applied once the partial sums are added
      part.K = k1 - k0;
      part.A += k0 * op.csa;
      part.B += k0 * op.rsb;
      if (s > 0) {
        part.C = partial.data() + (s - 1) * MN;
        part.rsc = op.N, part.csc = 1, part.beta = T(0);
      }
      gemm_serial(kn, direct_a, part);
    }
  });
  parallel_for(op.M, op.N * (slots - 1), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i)
      for (int64_t s = 1; s < slots; ++s) {
        const T* p = partial.data() + (s - 1) * MN + i * op.N;
        T* c = op.C + i * op.rsc;
        for (int64_t j = 0; j < op.N; ++j) c[j * op.csc] += p[j];
      }
    apply_activation(op, i0, i1);
  });
}

// A small product on the kernel's unpacked paths. Narrow C would leave most lanes of
// the row kernel idle: with row-major A it runs as dot products along K (B's columns
// copied contiguous if they are not), with column-major A as C^T = B^T A^T, whose B
// (A^T) is then row-major and C^T wide. C with few rows and B^T contiguous (x @ W^T
// for a few samples) runs as dot products on C^T unless K is tiny. Otherwise the row
// kernel reads row-major B in place; any other B is packed into slivers first, O(K N)
// next to the product's O(M K N).
template <typename T>
void gemm_small(const Kernel<T>& kn, Operands<T> op) {
  auto dot_form = [](const Operands<T>& o) {
    return o.csa == 1 && o.N <= (o.rsb == 1 ? kDotMaxN : kDotMaxNCopied);
  };
  Operands<T> t = op;
  transpose_product(t);
  if (!dot_form(op) && dot_form(t) && op.M < op.N && op.K >= kDotMinK) op = t;
  if (dot_form(op)) {
    const T* Bt = op.B;
    int64_t ldb = op.csb;
    if (op.rsb != 1) {
      T* p = t_bpack.get<T>(op.N * op.K);
      for (int64_t j = 0; j < op.N; ++j)
        for (int64_t k = 0; k < op.K; ++k) p[j * op.K + k] = op.B[k * op.rsb + j * op.csb];
      Bt = p, ldb = op.K;
    }
    return kn.dot(op.M, op.N, op.K, op.alpha, op.A, op.rsa, Bt, ldb, op.beta, op.C, op.rsc, op.csc);
  }
  if (op.N < kn.slab_unit() && op.M > op.N && op.rsa == 1) transpose_product(op);
  const T* B = op.B;
  int64_t rsb = op.rsb, bstep = kn.nr;
  if (op.csb != 1) {
    T* Bp = t_bpack.get<T>((op.N + kn.nr - 1) / kn.nr * kn.nr * op.K);
    pack_b_slivers(kn, op.K, op.N, op.B, op.rsb, op.csb, Bp);
    B = Bp, rsb = kn.nr, bstep = kn.nr * op.K;
  }
  kn.small(op.M, op.N, op.K, op.alpha, op.A, op.rsa, op.csa, B, rsb, kn.nr, bstep, op.beta, op.C, op.rsc, op.csc);
}

// Runs the product on the path that suits it; returns whether the activation epilogue
// ran (the blocked paths run it per tile of C; the others leave it to the caller).
template <typename T>
bool gemm_dispatch(int nthreads, const Kernel<T>& kn, Operands<T> op) {
  if (op.K <= 0 || op.alpha == T(0)) return scale_c(op.M, op.N, op.beta, op.C, op.rsc, op.csc), false;
  if (op.csc != 1 && op.rsc == 1 && op.M > 1) transpose_product(op);  // the kernels store rows of C
  const double work = double(op.M) * double(op.N) * double(op.K);  // double: no overflow
  const bool parallel = nthreads > 1 && work >= kParallelMinWork;
  if (kn.small && !parallel && op.K <= kSmallMaxK && work <= kSmallMaxWork) return gemm_small(kn, op), false;
  if (op.N == 1 && op.M > 1) transpose_product(op);  // a column-vector result becomes a row
  if (op.M == 1 && op.rsb == 1 && op.K > 1)
    return gemv_dot(op.N, op.K, op.alpha, op.A, op.csa, op.B, op.csb, op.beta, op.C, op.csc), false;
  if (op.M == 1 || work <= kDirectMaxWork)  // M == 1 with row-major B: axpy rows of B
    return gemm_direct(op.M, op.N, op.K, op.alpha, op.A, op.rsa, op.csa, op.B, op.rsb, op.csb, op.beta, op.C,
                       op.rsc, op.csc), false;

  // Row-major A is read in place unless N is wide enough to amortise packing it,
  // which buys contiguous L2-resident slivers instead of MR rows a full stride apart.
  const bool direct_a = op.csa == 1 && op.N <= kDirectAMaxN;
  if (parallel && op.K >= kSplitKMinK && op.M * op.N <= kSplitKMaxC)
    return gemm_split_k(kn, direct_a, nthreads, op), true;
  if (parallel && op.M > kn.mc && op.N >= nthreads * kWideSlabMinN) {
    // Many rows and wide C: one column slab per thread, its B panel packed by and kept in
    // that core's L2 for all of its row blocks. Each thread packs all of A, which costs
    // less than split_m's shared panel (streamed from L3, half of it packed by the other
    // core) and its join per K block. One slab each: a thread descheduled mid-slab is not
    // helped out (one that has not started yet is: slabs are still handed out in turn).
    const int64_t unit = kn.slab_unit(), units = (op.N + unit - 1) / unit;
    return gemm_split_n(kn, direct_a, nthreads, op, (units + nthreads - 1) / nthreads * unit), true;
  }
  if (parallel && op.M > kn.mc) return gemm_split_m(kn, direct_a, nthreads, op), true;
  if (parallel && op.N >= int64_t(nthreads) * kn.slab_unit()) {
    // Few rows: up to 4x more slabs than threads, handed out dynamically, so a thread that
    // is descheduled (the machine is shared) or woken late does fewer. Narrow slabs cost
    // little: each packs only its own B slivers, and the A slivers stream from L2 as they
    // would in one wide slab. Slabs stay >= 2 tiles wide. (A shared B panel would cost a
    // job per K block, and every thread would stream every B sliver.)
    const int64_t unit = kn.slab_unit();
    const int64_t slabs = nthreads * std::clamp<int64_t>(op.N / (int64_t(nthreads) * 2 * unit), 1, 4);
    return gemm_split_n(kn, direct_a, nthreads, op, even_block(op.N, (op.N + slabs - 1) / slabs, unit, 1)), true;
  }
  return gemm_serial(kn, direct_a, op), true;
}

// C = act(alpha * A @ B + beta * C), act optional.
template <typename T>
void gemm_impl(int nthreads, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t rsa,
               int64_t csa, const T* B, int64_t rsb, int64_t csb, T beta, T* C, int64_t rsc,
               int64_t csc, RowActivation<T> act = nullptr) {
  if (M <= 0 || N <= 0) return;
  const Operands<T> op{M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, rsc, csc, act};
  if (!gemm_dispatch(nthreads, select_kernel<T>(), op)) apply_activation(op, 0, M);
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
          const T* B, int64_t rsb, int64_t csb, T beta, T* C, int64_t rsc, int64_t csc, RowActivation<T> act) {
  gemm_impl<T>(default_threads(), M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, rsc, csc, act);
}

template void gemm<float>(int64_t, int64_t, int64_t, float, const float*, int64_t, int64_t,
                          const float*, int64_t, int64_t, float, float*, int64_t, int64_t, RowActivation<float>);
template void gemm<double>(int64_t, int64_t, int64_t, double, const double*, int64_t, int64_t,
                           const double*, int64_t, int64_t, double, double*, int64_t, int64_t, RowActivation<double>);

template <typename T>
PackedB<T>::PackedB(int64_t K_, int64_t N_, int nr_)
    : K(K_), N(N_), nr(nr_), buf_(static_cast<size_t>(K_ * ((N_ + nr_ - 1) / nr_) * nr_ + 64 / sizeof(T))) {
  const auto addr = reinterpret_cast<uintptr_t>(buf_.data());
  data_ = buf_.data() + ((64 - addr % 64) % 64) / sizeof(T);
}

template <typename T>
PackedB<T> pack_b_once(int64_t K, int64_t N, const T* B, int64_t rsb, int64_t csb) {
  const Kernel<T> kn = select_kernel<T>();
  PackedB<T> packed(K, N, kn.nr);
  pack_b_slivers(kn, K, N, B, rsb, csb, packed.sliver(0));
  return packed;
}

template <typename T>
void gemm_prepacked(int64_t M, T alpha, const T* A, int64_t rsa, int64_t csa, const PackedB<T>& B, T beta,
                    T* C, int64_t rsc) {
  const int64_t N = B.N, K = B.K;
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == T(0)) return scale_c(M, N, beta, C, rsc, int64_t(1));
  const Kernel<T> kn = select_kernel<T>();
  // K blocks of a packed sliver are its consecutive row ranges: block pc starts at
  // sliver + pc * NR, so B needs no repacking for the K loop.
  // Rows past the last full MR-row tile run the small-product kernel, which has tiles of
  // exactly that many rows and reads the packed slivers as they are (block width nr,
  // element (k, j) at k * nr + j), so an edge costs its rows, not a whole padded tile.
  // Same K blocks and the same per-element FMA order, so the same bits as a full tile.
  // A remainder of 1-3 rows alone would run at 2-6 accumulators, too few to hide the FMA
  // latency: it takes the last full tile's rows with it (the small kernel shares them out
  // in tiles of 4-8 rows), which also spares packing A for them. (The LSTM's recurrent
  // step on 8-row batch blocks: 6 + 2 rows took 18% of charlm's training step, the 2-row
  // tile as much as half the 6-row one.)
  int64_t M_tiles = kn.small ? M / kn.mr * kn.mr : M;
  if (kn.small && M - M_tiles > 0 && M - M_tiles < 4 && M_tiles >= kn.mr) M_tiles -= kn.mr;
  if (M <= kn.small_whole_rows) M_tiles = 0;
  const int64_t KC = k_block(kn, K), MC = std::min(kn.mc, (M + kn.mr - 1) / kn.mr * kn.mr);
  T* Ap = t_apack.get<T>(MC * KC);
  for (int64_t pc = 0; pc < K; pc += KC) {
    const int64_t kc = std::min(KC, K - pc);
    const T beta_pc = pc == 0 ? beta : T(1);
    auto get_b = [&](int64_t jr, int, int64_t) -> const T* { return B.sliver(jr / kn.nr) + pc * kn.nr; };
    for (int64_t ic = 0; ic < M_tiles; ic += MC) {
      const int64_t mc = std::min(MC, M_tiles - ic);
      const ABlock<T> a = prepare_a(kn, csa == 1, mc, kc, A + ic * rsa + pc * csa, rsa, csa, Ap);
      macro_kernel(kn, a, mc, N, 0, kn.chunk_slivers, get_b, alpha, beta_pc, C + ic * rsc, rsc, int64_t(1), RowActivation<T>(nullptr));
    }
    if (M_tiles < M)
      kn.small(M - M_tiles, N, kc, alpha, A + M_tiles * rsa + pc * csa, rsa, csa, B.sliver(0) + pc * kn.nr, kn.nr,
               kn.nr, K * kn.nr, beta_pc, C + M_tiles * rsc, rsc, 1);
  }
}

template class PackedB<float>;
template class PackedB<double>;
template PackedB<float> pack_b_once<float>(int64_t, int64_t, const float*, int64_t, int64_t);
template PackedB<double> pack_b_once<double>(int64_t, int64_t, const double*, int64_t, int64_t);
template void gemm_prepacked<float>(int64_t, float, const float*, int64_t, int64_t, const PackedB<float>&, float,
                                    float*, int64_t);
template void gemm_prepacked<double>(int64_t, double, const double*, int64_t, int64_t, const PackedB<double>&,
                                     double, double*, int64_t);

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
