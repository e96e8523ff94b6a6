#include "conv_batched.h"

#include <algorithm>
#include <vector>

#include "../core/parallel.h"
#include "../core/scratch_buffer.h"
#include "../common/im2col.h"
#include "gemm.h"

namespace fastdl {
namespace cpu {

namespace {

// Output positions per image up to which the batch shares one GEMM (measured at 1
// thread: 4x4 maps 1.6-1.7x faster than per image, 8x8 ones ~5% slower).
constexpr int64_t kMaxPositions = 32;
// Column workspace bound, in elements (4 MB of float32): images run in chunks of it.
constexpr int64_t kMaxColumnElems = int64_t(1) << 20;

thread_local ScratchBuffer t_cols, t_rows;

// Images per chunk: as many as fit the column bound, at least one.
int64_t chunk_images(const ConvProblem& p) {
  const int64_t per_image = std::max<int64_t>(p.g.C * p.g.kh * p.g.kw * p.L, 1);
  return std::clamp<int64_t>(kMaxColumnElems / per_image, 1, std::max<int64_t>(p.g.N, 1));
}

// Calls fn(n0, nb) for each chunk of images [n0, n0 + nb).
template <typename F>
void for_chunks(const ConvProblem& p, F&& fn) {
  const int64_t nb = chunk_images(p);
  for (int64_t n0 = 0; n0 < p.g.N; n0 += nb) fn(n0, std::min(nb, p.g.N - n0));
}

// Where each column entry (tap row r, output position l) of an image reads it: the
// element offset from the image's first element, or -1 in the padding. The same for
// every image, so it is computed once per call and each image's unfold (and fold) is
// a plain gather (scatter-add) through it: positions are few here, and unfold_row's
// per-row set-up would cost more than the copying (it runs C*kh*kw times per image).
std::vector<int64_t> tap_offsets(const ConvGeom& g, int64_t sC, int64_t sH, int64_t sW) {
  std::vector<int64_t> off(static_cast<size_t>(g.C * g.kh * g.kw * g.OH * g.OW));
  int64_t* o = off.data();
  for (int64_t c = 0; c < g.C; ++c)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t jj = 0; jj < g.kw; ++jj)
        for (int64_t oh = 0; oh < g.OH; ++oh) {
          const int64_t ih = conv_in_coord(oh, i, g.sh, g.ph, g.dh);
          for (int64_t ow = 0; ow < g.OW; ++ow) {
            const int64_t iw = conv_in_coord(ow, jj, g.sw, g.pw, g.dw);
            const bool inside = ih >= 0 && ih < g.H && iw >= 0 && iw < g.W;
            *o++ = inside ? c * sC + ih * sH + iw * sW : int64_t(-1);
          }
        }
  return off;
}

// cols (C*kh*kw, nb*L), column j*L + l = position l of image n0 + j.
template <typename T>
void unfold_images(const ConvProblem& p, const TensorArg& x, const std::vector<int64_t>& taps, int64_t n0,
                   int64_t nb, T* cols) {
  const int64_t rows = p.K * p.groups, width = nb * p.L;
  parallel_for(nb, rows * p.L, [&](int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; ++j) {
      const T* xn = x.data<T>() + (n0 + j) * x.strides[0];
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t* off = taps.data() + r * p.L;
        T* dst = cols + r * width + j * p.L;
        for (int64_t l = 0; l < p.L; ++l) dst[l] = off[l] >= 0 ? xn[off[l]] : T(0);
      }
    }
  });
}

// Between NCHW (t: (N, O, L) contiguous) and the GEMM's (O, nb*L) layout of images
// [n0, n0 + nb): to_rows gathers t into m; else t = m (+ bias[o]).
template <typename T>
void gather_rows(const ConvProblem& p, const T* t, int64_t n0, int64_t nb, T* m) {
  parallel_for(nb * p.O, p.L, [&](int64_t e0, int64_t e1) {
    for (int64_t e = e0; e < e1; ++e) {
      const int64_t j = e / p.O, o = e % p.O;
      std::copy_n(t + ((n0 + j) * p.O + o) * p.L, p.L, m + o * nb * p.L + j * p.L);
    }
  });
}

template <typename T>
void scatter_rows(const ConvProblem& p, const T* m, const std::optional<TensorArg>& bias, int64_t n0, int64_t nb,
                  T* t) {
  const T* b = bias ? bias->data<T>() : nullptr;
  const int64_t bs = bias ? bias->strides[0] : 0;
  parallel_for(nb * p.O, p.L, [&](int64_t e0, int64_t e1) {
    for (int64_t e = e0; e < e1; ++e) {
      const int64_t j = e / p.O, o = e % p.O;
      const T* src = m + o * nb * p.L + j * p.L;
      T* dst = t + ((n0 + j) * p.O + o) * p.L;
      const T add = b ? b[o * bs] : T(0);
      for (int64_t l = 0; l < p.L; ++l) dst[l] = src[l] + add;
    }
  });
}

template <typename T>
void forward(const ConvProblem& p, const TensorArg& x, const TensorArg& w, const std::optional<TensorArg>& bias,
             const TensorArg& y) {
  const int64_t CK = p.g.C * p.g.kh * p.g.kw, nbmax = chunk_images(p);
  T* cols = t_cols.get<T>(CK * nbmax * p.L);
  T* out = t_rows.get<T>(p.O * nbmax * p.L);
  const T* wb = w.data<T>();
  const std::vector<int64_t> taps = tap_offsets(p.g, x.strides[1], x.strides[2], x.strides[3]);
  for_chunks(p, [&](int64_t n0, int64_t nb) {
    const int64_t width = nb * p.L;
    unfold_images<T>(p, x, taps, n0, nb, cols);
    for (int64_t gi = 0; gi < p.groups; ++gi)  // out_g (Og, width) = w_g (Og, K) @ cols_g (K, width)
      gemm<T>(p.Og, width, p.K, T(1), wb + gi * p.Og * p.K, p.K, 1, cols + gi * p.K * width, width, 1, T(0),
              out + gi * p.Og * width, width, 1);
    scatter_rows<T>(p, out, bias, n0, nb, y.data<T>());
  });
}

template <typename T>
void input_grad(const ConvProblem& p, const TensorArg& gy, const TensorArg& w, const TensorArg& gx) {
  const ConvGeom& g = p.g;
  const int64_t CK = g.C * g.kh * g.kw, HW = g.H * g.W, nbmax = chunk_images(p);
  T* dcols = t_cols.get<T>(CK * nbmax * p.L);
  T* gyb = t_rows.get<T>(p.O * nbmax * p.L);
  const T* wb = w.data<T>();
  const std::vector<int64_t> taps = tap_offsets(g, HW, g.W, 1);  // into gx (contiguous)
  for_chunks(p, [&](int64_t n0, int64_t nb) {
    const int64_t width = nb * p.L;
    gather_rows<T>(p, gy.data<T>(), n0, nb, gyb);
    for (int64_t gi = 0; gi < p.groups; ++gi)  // dcols_g (K, width) = w_g^T (K, Og) @ gy_g (Og, width)
      gemm<T>(p.K, width, p.Og, T(1), wb + gi * p.Og * p.K, 1, p.K, gyb + gi * p.Og * width, width, 1, T(0),
              dcols + gi * p.K * width, width, 1);
    // Each image's planes take only its own columns: threads split images.
    parallel_for(nb, CK * p.L, [&](int64_t j0, int64_t j1) {
      for (int64_t j = j0; j < j1; ++j) {
        T* gxn = gx.data<T>() + (n0 + j) * g.C * HW;
        std::fill(gxn, gxn + g.C * HW, T(0));
        for (int64_t r = 0; r < CK; ++r) {
          const int64_t* off = taps.data() + r * p.L;
          const T* src = dcols + r * width + j * p.L;
          for (int64_t l = 0; l < p.L; ++l)
            if (off[l] >= 0) gxn[off[l]] += src[l];
        }
      }
    });
  });
}

template <typename T>
void weight_grad(const ConvProblem& p, const TensorArg& x, const TensorArg& gy, const TensorArg& gw,
                 const std::optional<TensorArg>& gb) {
  const int64_t CK = p.g.C * p.g.kh * p.g.kw, nbmax = chunk_images(p);
  T* cols = t_cols.get<T>(CK * nbmax * p.L);
  T* gyb = t_rows.get<T>(p.O * nbmax * p.L);
  T* gwb = gw.data<T>();
  const std::vector<int64_t> taps = tap_offsets(p.g, x.strides[1], x.strides[2], x.strides[3]);
  for_chunks(p, [&](int64_t n0, int64_t nb) {
    const int64_t width = nb * p.L;
    unfold_images<T>(p, x, taps, n0, nb, cols);
    gather_rows<T>(p, gy.data<T>(), n0, nb, gyb);
    for (int64_t gi = 0; gi < p.groups; ++gi)  // gw_g (Og, K) (+)= gy_g (Og, width) @ cols_g^T (width, K)
      gemm<T>(p.Og, p.K, width, T(1), gyb + gi * p.Og * width, width, 1, cols + gi * p.K * width, 1, width,
              n0 == 0 ? T(0) : T(1), gwb + gi * p.Og * p.K, p.K, 1);
  });
  if (gb) {  // in double, like the per-sample path
    T* bb = gb->data<T>();
    const T* g = gy.data<T>();
    for (int64_t o = 0; o < p.O; ++o) {
      double s = 0;
      for (int64_t n = 0; n < p.g.N; ++n)
        for (int64_t l = 0; l < p.L; ++l) s += g[(n * p.O + o) * p.L + l];
      bb[o] = static_cast<T>(s);
    }
  }
}

}  // namespace

bool conv_batched_applies(const ConvProblem& p) {
  return p.g.N > 1 && p.L <= kMaxPositions && !p.pointwise;
}

void conv2d_forward_batched(const ConvProblem& p, const TensorArg& x, const TensorArg& w,
                            const std::optional<TensorArg>& bias, const TensorArg& y) {
  FASTDL_DISPATCH_FLOAT(x.dtype, "conv2d_forward", [&] { forward<scalar_t>(p, x, w, bias, y); })
}

void conv2d_input_grad_batched(const ConvProblem& p, const TensorArg& gy, const TensorArg& w, const TensorArg& gx) {
  FASTDL_DISPATCH_FLOAT(gx.dtype, "conv2d_input_grad", [&] { input_grad<scalar_t>(p, gy, w, gx); })
}

void conv2d_weight_grad_batched(const ConvProblem& p, const TensorArg& x, const TensorArg& gy, const TensorArg& gw,
                                const std::optional<TensorArg>& gb) {
  FASTDL_DISPATCH_FLOAT(x.dtype, "conv2d_weight_grad", [&] { weight_grad<scalar_t>(p, x, gy, gw, gb); })
}

}  // namespace cpu
}  // namespace fastdl
