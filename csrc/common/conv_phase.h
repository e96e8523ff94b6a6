// The sub-pixel (polyphase) split of a strided convolution's input gradient along one
// axis, dilation 1. Input position h = oh * s - p + i gets gy[oh] * w[i], so the
// positions h = r + s * m of one phase r (0 <= r < s) take only the taps
// i = i0 + s * t, t < taps, reading gy[m + q - t]: each phase is a stride-1
// correlation of gy with every s-th tap, reversed, and no tap multiplies a zero the
// stride inserted (col2im's scatter of all k taps). The CPU drivers run the phases
// on the direct conv kernels (csrc/cpu/conv_subpixel.cpp); a conv_transpose2d is this
// gradient, so its forward runs the same way.
#pragma once
#include <cstdint>

#include "hd.h"

namespace fastdl {

struct ConvPhase {
  int64_t i0;     // the phase's first tap (r + p) mod s
  int64_t taps;   // taps i0, i0 + s, ... below k (0 when i0 >= k: the phase is all zeros)
  int64_t q;      // gy index of position m = 0 through tap t = 0: (r + p - i0) / s
  int64_t count;  // positions r, r + s, ... below the input length n
};

// Phase r of an axis of kernel k, stride s, padding p and input length n.
FASTDL_HD ConvPhase conv_phase(int64_t r, int64_t k, int64_t s, int64_t p, int64_t n) {
  ConvPhase ph;
  ph.i0 = (r + p) % s;
  ph.taps = ph.i0 < k ? (k - ph.i0 + s - 1) / s : 0;
  ph.q = (r + p - ph.i0) / s;
  ph.count = r < n ? (n - r + s - 1) / s : 0;
  return ph;
}

// As a forward correlation, phase tap t' = taps - 1 - t reads gy[m + first_read + t'],
// weight w[i0 + s * (taps - 1 - t')]: the gy index its position m = 0 reads first.
FASTDL_HD int64_t conv_phase_first_read(const ConvPhase& ph) { return ph.q - ph.taps + 1; }

// The kernel tap the phase's forward tap t' multiplies.
FASTDL_HD int64_t conv_phase_kernel_tap(const ConvPhase& ph, int64_t s, int64_t t) {
  return ph.i0 + s * (ph.taps - 1 - t);
}

}  // namespace fastdl
