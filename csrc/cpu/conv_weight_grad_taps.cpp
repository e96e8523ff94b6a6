// The weight gradient of a conv with 3-wide kernels on the GEMM micro-kernel, reading
// the input in place (no im2col). See conv_weight_grad_taps.h.
//
// Per sample and group, gw^T (K x Og) += X (K x Q) @ G (Q x Og) over the plane's Q
// flattened positions q = oh * row_stride + ow: row k of X is the input at x + tap[k] + q,
// so X needs no copy, and G is gy transposed into the micro-kernel's NR-column slivers
// with zero rows at the row_stride - OW positions past each output row (their X values
// are the next row's inputs, multiplied by zero). The kernel's 6-row tile reads A as two
// groups of 3 equally spaced rows: the 3 taps of one kernel row (spaced by the W
// dilation) and the 3 of the next, wherever they are (sgemm_*_at).
// This file is portable code: it calls the AVX2 / AVX-512 kernels only when use_avx2()
// (applies() checks it).
#include "conv_weight_grad_taps.h"

#include <algorithm>
#include <cstring>

#include "../core/cpu_features.h"
#include "gemm.h"

namespace fastdl {
namespace cpu {
namespace conv_wgrad_taps {

namespace {

using Ukr = void (*)(int64_t, const float*, const float*, int64_t, int64_t, const float*, float*, int64_t, float,
                     float);

// The micro-kernel of this machine and its tile width for Og output channels. With
// AVX-512 the 6 x 64 tile where the channels fill 64-wide slivers at least as well as
// 32-wide ones (64, 128, 100; not 32 or 96).
struct TapKernel {
  Ukr ukr;
  int nr;
};

TapKernel tap_kernel(int64_t Og) {
  if (use_avx512() && (Og % 64 == 0 || Og % 64 > 32)) return {gemm_ukr::sgemm_avx512_6x64_at, 64};
  if (use_avx512()) return {gemm_ukr::sgemm_avx512_6x32_at, 32};
  return {gemm_ukr::sgemm_avx2_6x16_at, 16};
}

constexpr int kMR = 6;
// Positions per K block. Whole planes up to this size (MNIST's 24 x 26: 622) run as one
// block: C's tiles are loaded and stored once per sample rather than once per block,
// and that measured faster than a B block that stays in L1 (1 thread, MNIST 32 -> 64:
// 9.6-10.2 ms at 256 positions, 9.0-9.4 at one block).
constexpr int64_t kKC = 1024;

// The packed gy of a band of output rows stays within this many floats (1 MiB; MNIST's
// 24 x 26 plane of 64 channels, 160 KiB, is one band).
constexpr int64_t kMaxPackedFloats = int64_t(1) << 18;

int64_t flat_positions(const conv_direct::Plane& p) { return (p.OH - 1) * p.row_stride + p.OW; }

// Output rows per band.
int64_t band_rows(const conv_direct::Plane& p, int64_t Og, int nr) {
  const int64_t per_row = (Og + nr - 1) / nr * nr * p.row_stride;
  return std::clamp<int64_t>(kMaxPackedFloats / std::max<int64_t>(per_row, 1), 1, std::max<int64_t>(p.OH, 1));
}

// Bp <- gy (Og x OH*OW, channel stride L) transposed into zero-padded NR-column slivers
// of Q rows (sliver s at Bp + s * Q * NR), row q = oh * row_stride + ow holding
// gy[:, oh, ow] for ow < OW and zeros past it.
void pack_gy(const conv_direct::Plane& p, const float* gy, int64_t L, int64_t Og, int nr, float* Bp) {
  const int64_t Q = flat_positions(p);
  for (int64_t s = 0; s * nr < Og; ++s) {
    float* sliver = Bp + s * Q * nr;
    for (int64_t oh = 0; oh < p.OH; ++oh) {
      float* rows = sliver + oh * p.row_stride * nr;
      for (int64_t c0 = s * nr; c0 < (s + 1) * nr; c0 += 16) {
        float* dst = rows + (c0 - s * nr);
        if (c0 + 16 <= Og) {
          gemm_ukr::spack_bt16_avx2(p.OW, gy + c0 * L + oh * p.OW, L, dst, nr);
          continue;
        }
        for (int64_t ow = 0; ow < p.OW; ++ow)
          for (int64_t j = 0; j < 16; ++j) dst[ow * nr + j] = c0 + j < Og ? gy[(c0 + j) * L + oh * p.OW + ow] : 0.0f;
      }
      if (oh + 1 < p.OH) std::fill(rows + p.OW * nr, rows + p.row_stride * nr, 0.0f);
    }
  }
}

}  // namespace

bool any_nonfinite(const float* x, int64_t n) {
  uint32_t hit = 0;
  for (int64_t i = 0; i < n; ++i) {
    uint32_t bits;
    std::memcpy(&bits, x + i, sizeof bits);
    hit |= (bits & 0x7f800000u) == 0x7f800000u;
  }
  return hit != 0;
}

bool applies(const ConvProblem& p, int64_t row_stride) {
  const ConvGeom& g = p.g;
  if (!use_avx2() || g.sw != 1 || g.kw != 3 || p.pointwise || p.K <= conv_direct::kMaxTaps) return false;
  // The flattened plane computes row_stride positions per output row where OW are
  // wanted: take planes that waste at most 1 in 4 of them (and whose rows do not overlap).
  return row_stride >= g.OW && 4 * g.OW >= 3 * row_stride;
}

int64_t packed_floats(const conv_direct::Plane& p, int64_t Og) {
  const int nr = tap_kernel(Og).nr;
  return (Og + nr - 1) / nr * nr * ((band_rows(p, Og, nr) - 1) * p.row_stride + p.OW);
}

namespace {

// accumulate() on plane p, gy's channels L apart.
void accumulate_band(const TapKernel& kn, const conv_direct::Plane& p, const float* gy, int64_t L, int64_t Og,
                     float* packed, float* gwt, int64_t ldg, bool wanted_only) {
  const int nr = kn.nr;
  const int64_t Q = flat_positions(p);
  pack_gy(p, gy, L, Og, nr, packed);
  const int64_t slivers = (Og + nr - 1) / nr, row_tiles = (p.K + kMR - 1) / kMR;
  alignas(64) float tile[kMR * 64];
  // gwt += X[:, q0:q0+kc] @ G[q0:q0+kc, :]
  auto run_block = [&](int64_t q0, int64_t kc) {
    for (int64_t s = 0; s < slivers; ++s) {
      const float* bp = packed + (s * Q + q0) * nr;
      const int n = static_cast<int>(std::min<int64_t>(nr, Og - s * nr));
      for (int64_t t = 0; t < row_tiles; ++t) {
        const int64_t k0 = t * kMR;
        const int m = static_cast<int>(std::min<int64_t>(kMR, p.K - k0));  // 6, or 3 for the last kernel row
        const float* a = p.x + p.tap[k0] + q0;
        const float* a3 = m == kMR ? p.x + p.tap[k0 + 3] + q0 : a;
        const int64_t rsa = p.tap[k0 + 1] - p.tap[k0];
        float* c = gwt + k0 * ldg + s * nr;
        if (m == kMR && n == nr) {
          kn.ukr(kc, a, a3, rsa, 1, bp, c, ldg, 1.0f, 1.0f);
          continue;
        }
        kn.ukr(kc, a, a3, rsa, 1, bp, tile, nr, 1.0f, 0.0f);
        for (int i = 0; i < m; ++i)
          for (int j = 0; j < n; ++j) c[i * ldg + j] += tile[i * nr + j];
      }
    }
  };
  if (wanted_only) {
    for (int64_t oh = 0; oh < p.OH; ++oh) run_block(oh * p.row_stride, p.OW);
    return;
  }
  const int64_t blocks = (Q + kKC - 1) / kKC;
  for (int64_t b = 0; b < blocks; ++b) run_block(Q * b / blocks, Q * (b + 1) / blocks - Q * b / blocks);
}

}  // namespace

void accumulate(const conv_direct::Plane& p, const float* gy, int64_t Og, float* packed, float* gwt, int64_t ldg,
                bool wanted_only) {
  const TapKernel kn = tap_kernel(Og);
  const int64_t rows = band_rows(p, Og, kn.nr);
  for (int64_t oh0 = 0; oh0 < p.OH; oh0 += rows) {
    conv_direct::Plane band = p;
    band.x = p.x + oh0 * p.row_stride;
    band.OH = std::min(rows, p.OH - oh0);
    accumulate_band(kn, band, gy + oh0 * p.OW, p.OH * p.OW, Og, packed, gwt, ldg, wanted_only);
  }
}

}  // namespace conv_wgrad_taps
}  // namespace cpu
}  // namespace fastdl
