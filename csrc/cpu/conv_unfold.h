// One row of the im2col column matrix and its adjoint, restricted to a band of output
// rows [oh0, oh1): the building blocks of im2col / col2im (conv.cpp) and of the
// blocked convolution drivers (conv_driver.cpp), which unfold a few output rows at a
// time so the columns stay in cache.
#pragma once
#include <algorithm>
#include <cstdint>

#include "../common/im2col.h"
#include "conv_args.h"

namespace fastdl {
namespace cpu {

// Output rows of the band [oh0, oh1) and columns [*ow0, *ow1) whose tap (i, j) reads
// inside the input; the rest of the band reads padding.
inline void band_valid_range(const ConvGeom& g, int64_t i, int64_t j, int64_t oh0, int64_t oh1, int64_t* vh0,
                             int64_t* vh1, int64_t* ow0, int64_t* ow1) {
  conv_valid_range(g.H, g.OH, i, g.sh, g.ph, g.dh, vh0, vh1);
  conv_valid_range(g.W, g.OW, j, g.sw, g.pw, g.dw, ow0, ow1);
  *vh0 = std::clamp(*vh0, oh0, oh1);
  *vh1 = std::clamp(*vh1, *vh0, oh1);
}

// dst[(oh - oh0)*OW + ow] = x[c, oh*sh - ph + i*dh, ow*sw - pw + j*dw] (0 in the
// padding) for the band; xp is channel c's plane with element strides sH, sW.
template <typename T>
void unfold_row(const T* xp, int64_t sH, int64_t sW, const ConvGeom& g, int64_t i, int64_t j, int64_t oh0,
                int64_t oh1, T* dst) {
  int64_t vh0, vh1, ow0, ow1;
  band_valid_range(g, i, j, oh0, oh1, &vh0, &vh1, &ow0, &ow1);
  std::fill(dst, dst + (vh0 - oh0) * g.OW, T(0));
  std::fill(dst + (vh1 - oh0) * g.OW, dst + (oh1 - oh0) * g.OW, T(0));
  const int64_t step = g.sw * sW;
  const int64_t iw0 = conv_in_coord(ow0, j, g.sw, g.pw, g.dw);
  for (int64_t oh = vh0; oh < vh1; ++oh) {
    T* d = dst + (oh - oh0) * g.OW;
    const T* s = xp + conv_in_coord(oh, i, g.sh, g.ph, g.dh) * sH + iw0 * sW;
    std::fill(d, d + ow0, T(0));
    std::fill(d + ow1, d + g.OW, T(0));
    if (step == 1) {
      std::copy(s, s + (ow1 - ow0), d + ow0);
    } else {
      for (int64_t k = 0; k < ow1 - ow0; ++k) d[ow0 + k] = s[k * step];
    }
  }
}

// The adjoint of unfold_row: adds src[((oh - oh0)*OW + ow) * s2] into the contiguous
// (H, W) plane at the position that column entry reads.
template <typename T>
void fold_row_add(const T* src, int64_t s2, const ConvGeom& g, int64_t i, int64_t j, int64_t oh0, int64_t oh1,
                  T* plane) {
  int64_t vh0, vh1, ow0, ow1;
  band_valid_range(g, i, j, oh0, oh1, &vh0, &vh1, &ow0, &ow1);
  const int64_t iw0 = conv_in_coord(ow0, j, g.sw, g.pw, g.dw);
  for (int64_t oh = vh0; oh < vh1; ++oh) {
    T* d = plane + conv_in_coord(oh, i, g.sh, g.ph, g.dh) * g.W + iw0;
    const T* s = src + ((oh - oh0) * g.OW + ow0) * s2;
    if (g.sw == 1 && s2 == 1) {
      for (int64_t k = 0; k < ow1 - ow0; ++k) d[k] += s[k];
    } else {
      for (int64_t k = 0; k < ow1 - ow0; ++k) d[k * g.sw] += s[k * s2];
    }
  }
}

}  // namespace cpu
}  // namespace fastdl
