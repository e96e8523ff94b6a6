// The LSTM / GRU cell equations of csrc/common/rnn_cells.h on one batch row, written once
// for any vector width as templates on V (avx2::Vec<float>, 8 lanes; avx512::Vec<float>,
// 16), with GCC vector operators on V::R. FASTDL_RNN_CELL_ROWS(V) defines the four row
// functions of rnn_cells_vec.h in the namespace where it is expanded. Include this header
// ONLY from *_avx2.cpp / *_avx512.cpp files: its code is that ISA's (rnn_cells.h is not
// included for the same reason), and the tests hold both versions to the scalar results.
#pragma once
#include <cstdint>

#include "vec_math_simd.h"

namespace fastdl {
namespace cpu {
namespace rnn_simd {

template <class V> using R = typename V::R;

// Cheaper sigmoid / tanh for the LSTM forward cell. vec_math_simd.h's versions keep full
// relative accuracy over the whole float range (denormal results, tanh of tiny x). The
// forward cell multiplies every gate by values in [-1, 1], so an absolute error of a few
// float32 ulps of 1 stays one in h and c, within the cells' tolerance against the scalar
// equations (tests/test_rnn_kernels.py). The backward cell keeps vec::simd::tanh: there
// tanh(c) is multiplied by unbounded gradients. Here:
// - e^x with one 2^n scale, x clamped to [-87, 88] (results stay normal floats),
// - sigmoid(x) = 1 / (1 + e^-x),
// - tanh(x) = 1 - 2 / (1 + e^2x): no small-|x| polynomial branch and no blend; near 0
//   the error is ~1 ulp of 1 in absolute terms, not relative.
// About a third fewer instructions per cell than the full-range versions; the same
// limits at +-inf (0 / 1, -1 / 1) and NaN in -> NaN out.
template <class V> inline R<V> gate_exp(R<V> x) {
  x = V::max(V::set1(-87.0f), V::min(V::set1(88.0f), x));  // (bound, x): NaN passes
  R<V> n;
  const R<V> p = vec::simd::exp_reduced<V>(x, &n);
  return V::mul(p, vec::simd::pow2i<V>(V::to_int(n)));  // n in [-126, 127]
}
template <class V> inline R<V> gate_sigmoid(R<V> x) { return 1.0f / (1.0f + gate_exp<V>(-x)); }
template <class V> inline R<V> gate_tanh(R<V> x) { return 1.0f - 2.0f / (1.0f + gate_exp<V>(x + x)); }

// Hidden units [j, j + V::L) of a row: all lanes (kFull) or the first H - j (masked).
template <class V, bool kFull>
struct Block {
  int64_t j;
  typename V::M mask;
  R<V> load(const float* row) const { return kFull ? V::load(row + j) : V::load(row + j, mask); }
  void store(float* row, R<V> v) const {
    if (kFull) V::store(row + j, v);
    else V::store(row + j, mask, v);
  }
};

// body(block) for every block of hidden units; gate k of a block is at row + k*H.
template <class V, typename F>
void for_blocks(int64_t H, F&& body) {
  int64_t j = 0;
  for (; j + V::L <= H; j += V::L) body(Block<V, true>{j, typename V::M{}});
  if (j < H) body(Block<V, false>{j, V::first(static_cast<int>(H - j))});
}

template <class V>
void lstm_forward_row(const float* gates, const float* c_prev, float* h_out, float* c_out, float* act, int64_t H) {
  for_blocks<V>(H, [&](auto k) {
    const R<V> i = gate_sigmoid<V>(k.load(gates)), f = gate_sigmoid<V>(k.load(gates + H));
    const R<V> g = gate_tanh<V>(k.load(gates + 2 * H)), o = gate_sigmoid<V>(k.load(gates + 3 * H));
    const R<V> c = f * k.load(c_prev) + i * g;
    k.store(act, i);
    k.store(act + H, f);
    k.store(act + 2 * H, g);
    k.store(act + 3 * H, o);
    k.store(c_out, c);
    k.store(h_out, o * gate_tanh<V>(c));
  });
}

template <class V>
void lstm_backward_row(const float* act, const float* c_prev, const float* c, const float* grad_h,
                       const float* grad_c, float* grad_gates, float* grad_c_prev, int64_t H) {
  for_blocks<V>(H, [&](auto k) {
    const R<V> i = k.load(act), f = k.load(act + H), g = k.load(act + 2 * H), o = k.load(act + 3 * H);
    const R<V> cp = k.load(c_prev), dh = k.load(grad_h), tc = vec::simd::tanh<V>(k.load(c));
    const R<V> dc = k.load(grad_c) + dh * o * (1.0f - tc * tc);
    k.store(grad_gates, dc * g * i * (1.0f - i));
    k.store(grad_gates + H, dc * cp * f * (1.0f - f));
    k.store(grad_gates + 2 * H, dc * i * (1.0f - g * g));
    k.store(grad_gates + 3 * H, dh * tc * o * (1.0f - o));
    k.store(grad_c_prev, dc * f);
  });
}

template <class V>
void gru_forward_row(const float* gi, const float* gh, const float* h_prev, float* h_out, float* saved, int64_t H) {
  for_blocks<V>(H, [&](auto k) {
    const R<V> ghn = k.load(gh + 2 * H), h = k.load(h_prev);
    const R<V> r = vec::simd::sigmoid<V>(k.load(gi) + k.load(gh));
    const R<V> z = vec::simd::sigmoid<V>(k.load(gi + H) + k.load(gh + H));
    const R<V> n = vec::simd::tanh<V>(k.load(gi + 2 * H) + r * ghn);
    k.store(saved, r);
    k.store(saved + H, z);
    k.store(saved + 2 * H, n);
    k.store(saved + 3 * H, ghn);
    k.store(h_out, (1.0f - z) * n + z * h);
  });
}

template <class V>
void gru_backward_row(const float* saved, const float* h_prev, const float* grad_h, float* grad_gi, float* grad_gh,
                      float* grad_h_prev, int64_t H) {
  for_blocks<V>(H, [&](auto k) {
    const R<V> r = k.load(saved), z = k.load(saved + H), n = k.load(saved + 2 * H);
    const R<V> ghn = k.load(saved + 3 * H), h = k.load(h_prev), dh = k.load(grad_h);
    const R<V> dan = dh * (1.0f - z) * (1.0f - n * n);
    const R<V> daz = dh * (h - n) * z * (1.0f - z);
    const R<V> dar = dan * ghn * r * (1.0f - r);
    k.store(grad_gi, dar);
    k.store(grad_gh, dar);
    k.store(grad_gi + H, daz);
    k.store(grad_gh + H, daz);
    k.store(grad_gi + 2 * H, dan);
    k.store(grad_gh + 2 * H, dan * r);
    k.store(grad_h_prev, dh * z);
  });
}

}  // namespace rnn_simd
}  // namespace cpu
}  // namespace fastdl

// The four row functions of rnn_cells_vec.h at V's width, for rnn_cells_avx2.cpp and
// rnn_cells_avx512.cpp.
#define FASTDL_RNN_CELL_ROWS(V)                                                                                   \
  void lstm_forward_row(const float* gates, const float* c_prev, float* h_out, float* c_out, float* act,         \
                        int64_t H) {                                                                              \
    rnn_simd::lstm_forward_row<V>(gates, c_prev, h_out, c_out, act, H);                                           \
  }                                                                                                               \
  void lstm_backward_row(const float* act, const float* c_prev, const float* c, const float* grad_h,             \
                         const float* grad_c, float* grad_gates, float* grad_c_prev, int64_t H) {                 \
    rnn_simd::lstm_backward_row<V>(act, c_prev, c, grad_h, grad_c, grad_gates, grad_c_prev, H);                   \
  }                                                                                                               \
  void gru_forward_row(const float* gi, const float* gh, const float* h_prev, float* h_out, float* saved,        \
                       int64_t H) {                                                                               \
    rnn_simd::gru_forward_row<V>(gi, gh, h_prev, h_out, saved, H);                                                \
  }                                                                                                               \
  void gru_backward_row(const float* saved, const float* h_prev, const float* grad_h, float* grad_gi,            \
                        float* grad_gh, float* grad_h_prev, int64_t H) {                                          \
    rnn_simd::gru_backward_row<V>(saved, h_prev, grad_h, grad_gi, grad_gh, grad_h_prev, H);                       \
  }
