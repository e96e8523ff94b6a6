#include "conv_batched.h"

#include <algorithm>
#include <type_traits>
#include <vector>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "../core/parallel.h"
#include "../core/scratch_buffer.h"
#include "../common/im2col.h"
#include "gemm.h"

namespace fastdl {
namespace cpu {

namespace {

// Output positions per image up to which the batch shares one GEMM (measured at 1
// thread: 4x4 maps 1.6-1.7x faster than per image; 6x6 and 7x7 maps, whose per-image
// GEMM wastes a quarter of its 16-wide column tiles, 1.5 / 1.3x faster at 1 thread and
// 1.35 / 1.55x at 2 (forward), 1.25-1.45x with the backward; 8x8 maps ~3% slower).
constexpr int64_t kMaxPositions = 60;
// Column workspace bound, in elements (4 MB of float32): images run in chunks of it.
constexpr int64_t kMaxColumnElems = int64_t(1) << 20;

thread_local ScratchBuffer t_cols, t_rows, t_padded;

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

// Images as the unfold reads them (and the fold writes them): element (n, c, h, w) of
// the zero-padded image at data + n*sN + c*sC + h*sH + w*sW, h < H + 2ph, w < W + 2pw.
// With padding every tap of every output position lands inside, so a column row is a
// copy of OH short input row segments: no per-element bounds test or offset table.
template <typename T>
struct Padded {
  T* data;
  int64_t sN, sC, sH, sW;

  // Per column row (c, i, j): the offset of its first output row's segment in an image
  // (computed once: splitting a row index costs two integer divisions).
  std::vector<int64_t> row_offsets(const ConvGeom& g) const {
    std::vector<int64_t> off(static_cast<size_t>(g.C * g.kh * g.kw));
    for (int64_t r = 0; r < static_cast<int64_t>(off.size()); ++r) {
      int64_t c, i, j;
      im2col_row_split(r, g.kh, g.kw, &c, &i, &j);
      off[r] = c * sC + i * g.dh * sH + j * g.dw * sW;
    }
    return off;
  }
};

bool pads(const ConvGeom& g) { return g.ph || g.pw; }

// Images [n0, n0 + nb) of x: in place without padding, else a zero-padded copy in this
// thread's buffer (contiguous (nb, C, Hp, Wp)).
template <typename T>
Padded<T> padded_images(const ConvGeom& g, const TensorArg& x, int64_t n0, int64_t nb) {
  T* xb = x.data<T>();
  if (!pads(g)) return {xb + n0 * x.strides[0], x.strides[0], x.strides[1], x.strides[2], x.strides[3]};
  const int64_t Wp = g.W + 2 * g.pw, Hp = g.H + 2 * g.ph, sC = Hp * Wp, sN = g.C * sC;
  T* buf = t_padded.get<T>(nb * sN);
  parallel_for(nb, sN, [&](int64_t j0, int64_t j1) {
    std::fill(buf + j0 * sN, buf + j1 * sN, T(0));
    for (int64_t j = j0; j < j1; ++j)
      for (int64_t c = 0; c < g.C; ++c)
        for (int64_t h = 0; h < g.H; ++h) {
          const T* src = xb + (n0 + j) * x.strides[0] + c * x.strides[1] + h * x.strides[2];
          T* dst = buf + j * sN + c * sC + (h + g.ph) * Wp + g.pw;
          for (int64_t w = 0; w < g.W; ++w) dst[w] = src[w * x.strides[3]];
        }
  });
  return {buf, sN, sC, Wp, 1};
}

// fn(std::integral_constant<int64_t, OW>) for the common short unit-step output rows,
// else fn(std::integral_constant<int64_t, 0>) (length OW at run time). The unfold and
// fold move rows of 1-32 elements: with a constant length a row is a few vector moves
// instead of a loop (a third of the unfold's time on 4x4 maps).
template <typename F>
void with_row_length(int64_t OW, int64_t step, F&& fn) {
  if (step == 1 && OW == 4) return fn(std::integral_constant<int64_t, 4>{});
  if (step == 1 && OW == 2) return fn(std::integral_constant<int64_t, 2>{});
  if (step == 1 && OW == 8) return fn(std::integral_constant<int64_t, 8>{});
  fn(std::integral_constant<int64_t, 0>{});
}

// dst[i] = src[2 i] for i < n (a stride-2 convolution's row): the even lanes of two
// 4-float loads per 4 outputs (SSE, in every x86-64), the last 1-4 one by one, so that no
// load reaches past src[2 (n - 1)]. Scalar strided moves were ~8% of cnn1d's training step
// (its three stride-2 blocks unfold 10-20-wide rows).
template <typename T>
inline void copy_even(T* dst, const T* src, int64_t n) {
  int64_t i = 0;
#if defined(__SSE2__)
  if constexpr (std::is_same_v<T, float>)
    for (; i + 5 <= n; i += 4)
      _mm_storeu_ps(dst + i, _mm_shuffle_ps(_mm_loadu_ps(src + 2 * i), _mm_loadu_ps(src + 2 * i + 4),
                                            _MM_SHUFFLE(2, 0, 2, 0)));
#endif
  for (; i < n; ++i) dst[i] = src[2 * i];
}

// cols (C*kh*kw, nb*L), column j*L + l = position l of image n0 + j.
template <typename T>
void unfold_images(const ConvProblem& p, const TensorArg& x, int64_t n0, int64_t nb, T* cols) {
  const ConvGeom& g = p.g;
  const Padded<T> in = padded_images<T>(g, x, n0, nb);
  const std::vector<int64_t> row_off = in.row_offsets(g);
  const int64_t rows = p.K * p.groups, width = nb * p.L, step = g.sw * in.sW, row_step = g.sh * in.sH;
  // Row by row, so the stores run along each column row (the images are the smaller
  // operand and stay in cache).
  with_row_length(g.OW, step, [&](auto ow_const) {
    const int64_t OW = decltype(ow_const)::value ? decltype(ow_const)::value : g.OW;
    parallel_for(rows, width, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        T* dst = cols + r * width;
        for (int64_t j = 0; j < nb; ++j) {
          const T* src = in.data + j * in.sN + row_off[r];
          if (step == 2) {
            for (int64_t oh = 0; oh < g.OH; ++oh, src += row_step, dst += OW) copy_even(dst, src, OW);
            continue;
          }
          for (int64_t oh = 0; oh < g.OH; ++oh, src += row_step, dst += OW)
            for (int64_t ow = 0; ow < OW; ++ow) dst[ow] = src[ow * step];
        }
      }
    });
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
  for_chunks(p, [&](int64_t n0, int64_t nb) {
    const int64_t width = nb * p.L;
    unfold_images<T>(p, x, n0, nb, cols);
    for (int64_t gi = 0; gi < p.groups; ++gi)  // out_g (Og, width) = w_g (Og, K) @ cols_g (K, width)
      gemm<T>(p.Og, width, p.K, T(1), wb + gi * p.Og * p.K, p.K, 1, cols + gi * p.K * width, width, 1, T(0),
              out + gi * p.Og * width, width, 1);
    scatter_rows<T>(p, out, bias, n0, nb, y.data<T>());
  });
}

// The adjoint of unfold_images: gx of images [n0, n0 + nb) from their column
// gradients dcols. Columns are added into zero-padded images (gx itself when the conv
// does not pad), whose inner H x W is then gx: every tap lands inside, as for the unfold.
template <typename T>
void fold_images(const ConvProblem& p, const T* dcols, int64_t n0, int64_t nb, const TensorArg& gx) {
  const ConvGeom& g = p.g;
  const int64_t CK = g.C * g.kh * g.kw, HW = g.H * g.W, width = nb * p.L;
  const int64_t Wp = g.W + 2 * g.pw, sC = (g.H + 2 * g.ph) * Wp, sN = g.C * sC;
  T* folded = pads(g) ? t_padded.get<T>(nb * sN) : nullptr;
  const Padded<T> out = folded ? Padded<T>{folded, sN, sC, Wp, 1}
                               : Padded<T>{gx.data<T>() + n0 * g.C * HW, g.C * HW, HW, g.W, 1};
  const std::vector<int64_t> row_off = out.row_offsets(g);
  with_row_length(g.OW, g.sw, [&](auto ow_const) {
    const int64_t OW = decltype(ow_const)::value ? decltype(ow_const)::value : g.OW;
    // Each image's planes take only its own columns: threads split images.
    parallel_for(nb, CK * p.L, [&](int64_t j0, int64_t j1) {
      for (int64_t j = j0; j < j1; ++j) {
        std::fill(out.data + j * out.sN, out.data + j * out.sN + g.C * out.sC, T(0));
        for (int64_t r = 0; r < CK; ++r) {
          const T* src = dcols + r * width + j * p.L;
          T* dst = out.data + j * out.sN + row_off[r];
          for (int64_t oh = 0; oh < g.OH; ++oh, src += OW, dst += g.sh * out.sH)
            for (int64_t ow = 0; ow < OW; ++ow) dst[ow * g.sw] += src[ow];
        }
        if (folded)
          for (int64_t c = 0; c < g.C; ++c)
            for (int64_t h = 0; h < g.H; ++h)
              std::copy_n(folded + j * sN + c * sC + (h + g.ph) * Wp + g.pw, g.W,
                          gx.data<T>() + ((n0 + j) * g.C + c) * HW + h * g.W);
      }
    });
  });
}

template <typename T>
void input_grad(const ConvProblem& p, const TensorArg& gy, const TensorArg& w, const TensorArg& gx) {
  const int64_t CK = p.g.C * p.g.kh * p.g.kw, nbmax = chunk_images(p);
  T* dcols = t_cols.get<T>(CK * nbmax * p.L);
  T* gyb = t_rows.get<T>(p.O * nbmax * p.L);
  const T* wb = w.data<T>();
  for_chunks(p, [&](int64_t n0, int64_t nb) {
    const int64_t width = nb * p.L;
    gather_rows<T>(p, gy.data<T>(), n0, nb, gyb);
    for (int64_t gi = 0; gi < p.groups; ++gi)  // dcols_g (K, width) = w_g^T (K, Og) @ gy_g (Og, width)
      gemm<T>(p.K, width, p.Og, T(1), wb + gi * p.Og * p.K, 1, p.K, gyb + gi * p.Og * width, width, 1, T(0),
              dcols + gi * p.K * width, width, 1);
    fold_images<T>(p, dcols, n0, nb, gx);
  });
}

template <typename T>
void weight_grad(const ConvProblem& p, const TensorArg& x, const TensorArg& gy, const TensorArg& gw,
                 const std::optional<TensorArg>& gb) {
  const int64_t CK = p.g.C * p.g.kh * p.g.kw, nbmax = chunk_images(p);
  T* cols = t_cols.get<T>(CK * nbmax * p.L);
  T* gyb = t_rows.get<T>(p.O * nbmax * p.L);
  T* gwb = gw.data<T>();
  for_chunks(p, [&](int64_t n0, int64_t nb) {
    const int64_t width = nb * p.L;
    unfold_images<T>(p, x, n0, nb, cols);
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
