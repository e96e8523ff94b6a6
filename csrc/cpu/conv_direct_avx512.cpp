// AVX-512 kernel of the direct convolution forward (contract in conv_direct.h). Compiled
// with -mavx512f and called only when use_avx512() is true; like gemm_avx512.cpp it
// includes no header with portable inline code.
//
// The AVX2 kernels vectorise along each output row, so a 26-wide row fills 4 vectors of
// 8 (81% of the lanes) and would fill 2 of 16 no better. Here the vectors run along the
// flattened plane instead: position q = oh * row_stride + ow reads x[q + tap[k]] for
// every ow < row_stride, so consecutive positions are consecutive inputs across row
// ends. The row_stride - OW positions past each row's end are computed and dropped (2
// of 28 for a 3x3 layer on a padded 26-wide map). A tile is one panel of 8 channels x
// 3 vectors of 16 positions: per tap 3 input loads and 8 broadcasts feed 24 FMAs.
// Each output sums its taps in order from its initial value, as the AVX2 kernels do:
// the same bits.
#include <immintrin.h>

#include <cstdint>

#include "avx512_vec.h"
#include "conv_direct.h"

namespace fastdl {
namespace cpu {
namespace conv_direct {

namespace {

constexpr int64_t kFlatTile = 48;  // positions per tile: 3 vectors of 16

// Loads 16 positions; the plane's last tile masks lanes past its end, which are
// neither read nor (being zero) of any consequence: the tile is stored into scratch.
using V = avx512::Vec<float>;

template <bool kMasked>
__m512 load16(const float* p, __mmask16 m) {
  return kMasked ? V::load(p, m) : V::load(p);
}

// ys[r * ld + 0..48) = init[r] + sum over taps of w[k * kPanel + r] * x[tap[k] + 0..48).
template <bool kMasked>
void flat_tile(const float* x, const int64_t* tap, int64_t K, const float* w, const float* init,
               const __mmask16 (&m)[3], float* ys, int64_t ld) {
#define FASTDL_INIT(R) a##R##0 = a##R##1 = a##R##2 = _mm512_set1_ps(init[R])
#define FASTDL_FMA(R)                            \
  b = _mm512_set1_ps(w[R]);                      \
  a##R##0 = _mm512_fmadd_ps(v0, b, a##R##0);     \
  a##R##1 = _mm512_fmadd_ps(v1, b, a##R##1);     \
  a##R##2 = _mm512_fmadd_ps(v2, b, a##R##2)
#define FASTDL_STORE(R)                             \
  _mm512_storeu_ps(ys + R * ld, a##R##0);           \
  _mm512_storeu_ps(ys + R * ld + 16, a##R##1);      \
  _mm512_storeu_ps(ys + R * ld + 32, a##R##2)
  __m512 a00, a01, a02, a10, a11, a12, a20, a21, a22, a30, a31, a32, a40, a41, a42, a50, a51, a52, a60, a61, a62,
      a70, a71, a72;
  FASTDL_INIT(0);
  FASTDL_INIT(1);
  FASTDL_INIT(2);
  FASTDL_INIT(3);
  FASTDL_INIT(4);
  FASTDL_INIT(5);
  FASTDL_INIT(6);
  FASTDL_INIT(7);
  for (int64_t k = 0; k < K; ++k, w += kPanel) {
    const float* xt = x + tap[k];
    const __m512 v0 = load16<kMasked>(xt, m[0]), v1 = load16<kMasked>(xt + 16, m[1]),
                 v2 = load16<kMasked>(xt + 32, m[2]);
    __m512 b;
    FASTDL_FMA(0);
    FASTDL_FMA(1);
    FASTDL_FMA(2);
    FASTDL_FMA(3);
    FASTDL_FMA(4);
    FASTDL_FMA(5);
    FASTDL_FMA(6);
    FASTDL_FMA(7);
  }
  FASTDL_STORE(0);
  FASTDL_STORE(1);
  FASTDL_STORE(2);
  FASTDL_STORE(3);
  FASTDL_STORE(4);
  FASTDL_STORE(5);
  FASTDL_STORE(6);
  FASTDL_STORE(7);
#undef FASTDL_INIT
#undef FASTDL_FMA
#undef FASTDL_STORE
}

// Flattened positions up to the last output, and the scratch rows' length: whole tiles.
int64_t flat_positions(const Plane& p) { return (p.OH - 1) * p.row_stride + p.OW; }
int64_t flat_row_length(const Plane& p) { return (flat_positions(p) + kFlatTile - 1) / kFlatTile * kFlatTile; }

}  // namespace

int64_t flat_scratch_floats(const Plane& p) { return kPanel * flat_row_length(p); }

void forward_flat_avx512(const Plane& p, const float* wp, const float* bias, int64_t Og, float* y, float* scratch) {
  const int64_t L = p.OH * p.OW, K = p.K, rs = p.row_stride;
  const int64_t P = flat_positions(p), ld = flat_row_length(p);
  const __mmask16 all[3] = {0xffff, 0xffff, 0xffff};
  for (int64_t o0 = 0; o0 < Og; o0 += kPanel, wp += K * kPanel) {
    const int64_t rows = Og - o0 < kPanel ? Og - o0 : kPanel;
    float init[kPanel];
    for (int r = 0; r < kPanel; ++r) init[r] = bias && r < rows ? bias[o0 + r] : 0.0f;
    int64_t q = 0;
    for (; q + kFlatTile <= P; q += kFlatTile) flat_tile<false>(p.x + q, p.tap, K, wp, init, all, scratch + q, ld);
    if (q < P) {
      const __mmask16 m[3] = {V::first(P - q), V::first(P - q - 16), V::first(P - q - 32)};
      flat_tile<true>(p.x + q, p.tap, K, wp, init, m, scratch + q, ld);
    }
    // Keep each row's first OW positions.
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t oh = 0; oh < p.OH; ++oh) {
        const float* src = scratch + r * ld + oh * rs;
        float* dst = y + (o0 + r) * L + oh * p.OW;
        for (int64_t ow = 0; ow < p.OW; ++ow) dst[ow] = src[ow];
      }
  }
}

}  // namespace conv_direct
}  // namespace cpu
}  // namespace fastdl
