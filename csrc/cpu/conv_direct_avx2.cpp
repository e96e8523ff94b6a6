// AVX2 kernels of the direct convolution (contracts in conv_direct.h). Compiled with
// -mavx2 -mfma and called only when use_avx2() is true; like gemm_avx2.cpp it includes
// no project or std headers with inline code (an AVX2-compiled copy of a shared inline
// function could be picked by the linker for portable callers).
#include <immintrin.h>

#include <cstdint>

#include "conv_direct.h"

namespace fastdl {
namespace cpu {
namespace conv_direct {

namespace {

// Lanes [0, n) set: the last, partial vector of an output row (lanes past it are
// neither read, so no load runs past the image, nor written).
__m256i first_lanes(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

template <bool kTail>
__m256 load(const float* p, __m256i mask) {
  return kTail ? _mm256_maskload_ps(p, mask) : _mm256_loadu_ps(p);
}

// One tile: yr[r * L + 0..8) = init[r] + sum over taps of w[r, k] * input(k, 8 columns
// from xr), for r < rows. One input load and kPanel broadcast FMAs per tap; the eight
// sums are named locals, since GCC keeps an (always may-alias) __m256 array in memory.
template <bool kTail>
void forward_tile(const float* xr, const int64_t* tap, int64_t K, const float* w, const float* init,
                  __m256i mask, int64_t rows, int64_t L, float* yr) {
  __m256 a0 = _mm256_broadcast_ss(init), a1 = _mm256_broadcast_ss(init + 1), a2 = _mm256_broadcast_ss(init + 2),
         a3 = _mm256_broadcast_ss(init + 3), a4 = _mm256_broadcast_ss(init + 4), a5 = _mm256_broadcast_ss(init + 5),
         a6 = _mm256_broadcast_ss(init + 6), a7 = _mm256_broadcast_ss(init + 7);
  for (int64_t k = 0; k < K; ++k, w += kPanel) {
    const __m256 v = load<kTail>(xr + tap[k], mask);
    a0 = _mm256_fmadd_ps(v, _mm256_broadcast_ss(w), a0);
    a1 = _mm256_fmadd_ps(v, _mm256_broadcast_ss(w + 1), a1);
    a2 = _mm256_fmadd_ps(v, _mm256_broadcast_ss(w + 2), a2);
    a3 = _mm256_fmadd_ps(v, _mm256_broadcast_ss(w + 3), a3);
    a4 = _mm256_fmadd_ps(v, _mm256_broadcast_ss(w + 4), a4);
    a5 = _mm256_fmadd_ps(v, _mm256_broadcast_ss(w + 5), a5);
    a6 = _mm256_fmadd_ps(v, _mm256_broadcast_ss(w + 6), a6);
    a7 = _mm256_fmadd_ps(v, _mm256_broadcast_ss(w + 7), a7);
  }
  const __m256 acc[kPanel] = {a0, a1, a2, a3, a4, a5, a6, a7};
  for (int64_t r = 0; r < rows; ++r) {
    if (kTail)
      _mm256_maskstore_ps(yr + r * L, mask, acc[r]);
    else
      _mm256_storeu_ps(yr + r * L, acc[r]);
  }
}

// A wide tile for full panels: 4 of the panel's channels (w points at the first one's
// weights) x 3 vectors of 8 output columns anywhere in the plane (the vector v reads
// x[v] + tap and writes y[v] + r * L), y[v][r * L + 0..8) = init[r] + sum over taps.
// Per tap 3 input loads and 4 broadcasts feed 12 FMAs, where the 8 x 8 tile needs 9
// loads for 8 (loads, not FMAs, bound the narrow tile). The sums run over the taps in
// order from init, as in forward_tile: either tile gives the same bits.
void forward_wide_tile(const float* const (&x)[3], const int64_t* tap, int64_t K, const float* w,
                       const float* init, int64_t L, float* const (&y)[3]) {
#define FASTDL_ROW_INIT(R) a##R##0 = a##R##1 = a##R##2 = _mm256_broadcast_ss(init + R)
#define FASTDL_ROW_FMA(R)                               \
  b = _mm256_broadcast_ss(w + R);                      \
  a##R##0 = _mm256_fmadd_ps(v0, b, a##R##0);           \
  a##R##1 = _mm256_fmadd_ps(v1, b, a##R##1);           \
  a##R##2 = _mm256_fmadd_ps(v2, b, a##R##2)
#define FASTDL_ROW_STORE(R)                             \
  _mm256_storeu_ps(y[0] + R * L, a##R##0);             \
  _mm256_storeu_ps(y[1] + R * L, a##R##1);             \
  _mm256_storeu_ps(y[2] + R * L, a##R##2)
  __m256 a00, a01, a02, a10, a11, a12, a20, a21, a22, a30, a31, a32;
  FASTDL_ROW_INIT(0);
  FASTDL_ROW_INIT(1);
  FASTDL_ROW_INIT(2);
  FASTDL_ROW_INIT(3);
  const float *x0 = x[0], *x1 = x[1], *x2 = x[2];
  for (int64_t k = 0; k < K; ++k, w += kPanel) {
    const int64_t t = tap[k];
    const __m256 v0 = _mm256_loadu_ps(x0 + t), v1 = _mm256_loadu_ps(x1 + t), v2 = _mm256_loadu_ps(x2 + t);
    __m256 b;
    FASTDL_ROW_FMA(0);
    FASTDL_ROW_FMA(1);
    FASTDL_ROW_FMA(2);
    FASTDL_ROW_FMA(3);
  }
  FASTDL_ROW_STORE(0);
  FASTDL_ROW_STORE(1);
  FASTDL_ROW_STORE(2);
  FASTDL_ROW_STORE(3);
#undef FASTDL_ROW_INIT
#undef FASTDL_ROW_FMA
#undef FASTDL_ROW_STORE
}

// Sum of the 8 lanes.
float lane_sum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

// How the vector at column ow of a row is read: all 8 lanes; the partial last vector
// re-read over the last full 8 columns with the already-counted lanes zeroed (an AND,
// so 0 * 0 adds nothing even where the input is inf), or masked loads below 8 columns.
enum class Part { kFull, kLastLanes, kMasked };

template <Part kPart>
__m256 load_part(const float* p, __m256 keep, __m256i mask) {
  if (kPart == Part::kFull) return _mm256_loadu_ps(p);
  if (kPart == Part::kLastLanes) return _mm256_and_ps(_mm256_loadu_ps(p), keep);
  return _mm256_maskload_ps(p, mask);
}

// acc[t] += gy * input(tap[t]) and gsum += gy over one column of 8-wide vectors (the
// vector at column 0 of xc / gc, every output row): rows are the inner loop, since
// rows are short (a few vectors) and each needs its own pointer set-up.
template <int kTaps, Part kPart>
inline void weight_grad_column(const Plane& p, const float* xc, const float* gc, const int64_t* tap, __m256 keep,
                               __m256i mask, __m256 (&acc)[kTaps], __m256& gsum) {
  for (int64_t oh = 0; oh < p.OH; ++oh, xc += p.row_stride, gc += p.OW) {
    const __m256 g = load_part<kPart>(gc, keep, mask);
    gsum = _mm256_add_ps(gsum, g);
#pragma GCC unroll 12
    for (int t = 0; t < kTaps; ++t) acc[t] = _mm256_fmadd_ps(g, load_part<kPart>(xc + tap[t], keep, mask), acc[t]);
  }
}

// gw[t] += sum over the plane of gy * input(tap[t]) for kTaps taps, each sum in a
// register; returns the sum of gy.
template <int kTaps>
float weight_grad_taps(const Plane& p, const float* gy, const int64_t* tap, float* gw) {
  const int64_t OW = p.OW, rem = OW % 8;
  __m256 acc[kTaps];
  for (int t = 0; t < kTaps; ++t) acc[t] = _mm256_setzero_ps();
  __m256 gsum = _mm256_setzero_ps();
  const __m256i mask = first_lanes(rem);
  const __m256 keep = _mm256_castsi256_ps(_mm256_xor_si256(first_lanes(8 - rem), _mm256_set1_epi32(-1)));
  int64_t ow = 0;
  for (; ow + 8 <= OW; ow += 8)
    weight_grad_column<kTaps, Part::kFull>(p, p.x + ow, gy + ow, tap, keep, mask, acc, gsum);
  if (ow < OW && OW >= 8)
    weight_grad_column<kTaps, Part::kLastLanes>(p, p.x + OW - 8, gy + OW - 8, tap, keep, mask, acc, gsum);
  else if (ow < OW)
    weight_grad_column<kTaps, Part::kMasked>(p, p.x, gy, tap, keep, mask, acc, gsum);
  for (int t = 0; t < kTaps; ++t) gw[t] += lane_sum(acc[t]);
  return lane_sum(gsum);
}

// Up to 12 taps per pass keeps their sums, the gy sum, the gy vector and one input in
// 15 registers.
constexpr int64_t kTapsPerPass = 12;

}  // namespace

void forward_avx2(const Plane& p, const float* wp, const float* bias, int64_t Og, float* y) {
  const int64_t L = p.OH * p.OW, OW = p.OW, K = p.K;
  const int64_t* tap = p.tap;
  const __m256i mask = first_lanes(OW % 8);
  for (int64_t o0 = 0; o0 < Og; o0 += kPanel, wp += K * kPanel) {
    const int64_t rows = Og - o0 < kPanel ? Og - o0 : kPanel;
    float init[kPanel];
    for (int r = 0; r < kPanel; ++r) init[r] = bias && r < rows ? bias[o0 + r] : 0.0f;
    if (OW < 8) {  // rows narrower than a vector: masked loads and stores
      for (int64_t oh = 0; oh < p.OH; ++oh)
        forward_tile<true>(p.x + oh * p.row_stride, tap, K, wp, init, mask, rows, L, y + o0 * L + oh * OW);
      continue;
    }
    // The plane's output vectors, row by row: columns 0, 8, 16, ... and, for a partial
    // last vector, the last 8 columns again (the same values stored twice, no masked
    // stores: slow on AMD). Full panels take them three at a time in wide tiles.
    const int64_t per_row = (OW + 7) / 8, vectors = p.OH * per_row;
    auto column = [&](int64_t v) { return v % per_row * 8 < OW - 8 ? v % per_row * 8 : OW - 8; };
    int64_t v = 0;
    if (rows == kPanel)
      for (; v + 3 <= vectors; v += 3) {
        const float* x[3];
        float* yv[3];
        for (int i = 0; i < 3; ++i) {
          const int64_t oh = (v + i) / per_row, ow = column(v + i);
          x[i] = p.x + oh * p.row_stride + ow;
          yv[i] = y + o0 * L + oh * OW + ow;
        }
        for (int64_t half = 0; half < kPanel; half += 4) {
          float* const yh[3] = {yv[0] + half * L, yv[1] + half * L, yv[2] + half * L};
          forward_wide_tile(x, tap, K, wp + half, init + half, L, yh);
        }
      }
    for (; v < vectors; ++v) {
      const int64_t oh = v / per_row, ow = column(v);
      forward_tile<false>(p.x + oh * p.row_stride + ow, tap, K, wp, init, mask, rows, L, y + o0 * L + oh * OW + ow);
    }
  }
}

void weight_grad_avx2(const Plane& p, const float* gy, int64_t Og, float* gw, double* gy_sum) {
  using TapsFn = float (*)(const Plane&, const float*, const int64_t*, float*);
  static constexpr TapsFn by_count[kTapsPerPass + 1] = {
      nullptr,                 weight_grad_taps<1>,  weight_grad_taps<2>,  weight_grad_taps<3>,
      weight_grad_taps<4>,     weight_grad_taps<5>,  weight_grad_taps<6>,  weight_grad_taps<7>,
      weight_grad_taps<8>,     weight_grad_taps<9>,  weight_grad_taps<10>, weight_grad_taps<11>,
      weight_grad_taps<12>};
  // Passes of nearly equal tap counts (27 taps: 9 + 9 + 9, not 12 + 12 + 3).
  const int64_t passes = (p.K + kTapsPerPass - 1) / kTapsPerPass;
  const int64_t L = p.OH * p.OW;
  for (int64_t o = 0; o < Og; ++o)
    for (int64_t s = 0; s < passes; ++s) {
      const int64_t k0 = p.K * s / passes, k1 = p.K * (s + 1) / passes;
      const float sum = by_count[k1 - k0](p, gy + o * L, p.tap + k0, gw + o * p.K + k0);
      if (s == 0 && gy_sum) gy_sum[o] += sum;
    }
}

}  // namespace conv_direct
}  // namespace cpu
}  // namespace fastdl
