// AVX2 LSTM / GRU cell rows (compiled with -mavx2 -mfma). The equations are those of
// csrc/common/rnn_cells.h written on 8 lanes with GCC vector operators on __m256; that
// header is not included here (its inline templates must not be AVX2-compiled, see
// gemm_avx2.cpp), and the tests hold the two versions to the same results.
#include "rnn_cells_avx2.h"

#include "rnn_gate_math_avx2.h"
#include "vec_math_avx2.h"

namespace fastdl {
namespace cpu {
namespace rnn_avx2 {

namespace {

using vec::sigmoid8;
using vec::tanh8;

// Hidden units [j, j+8) of a row, all 8 lanes (kFull) or the first H - j (masked).
template <bool kFull>
struct Block {
  int64_t j;
  __m256i mask;
  __m256 load(const float* row) const {
    return kFull ? _mm256_loadu_ps(row + j) : _mm256_maskload_ps(row + j, mask);
  }
  void store(float* row, __m256 v) const {
    if (kFull) _mm256_storeu_ps(row + j, v);
    else _mm256_maskstore_ps(row + j, mask, v);
  }
};

// body(block) for every block of hidden units; gate k of a block is at row + k*H.
template <typename F>
void for_blocks(int64_t H, F&& body) {
  int64_t j = 0;
  for (; j + 8 <= H; j += 8) body(Block<true>{j, _mm256_setzero_si256()});
  if (j < H) body(Block<false>{j, vec::tail_mask(H - j)});
}

}  // namespace

void lstm_forward_row(const float* gates, const float* c_prev, float* h_out, float* c_out,
                      float* act, int64_t H) {
  for_blocks(H, [&](auto k) {
    const __m256 i = gate_sigmoid8(k.load(gates)), f = gate_sigmoid8(k.load(gates + H));
    const __m256 g = gate_tanh8(k.load(gates + 2 * H)), o = gate_sigmoid8(k.load(gates + 3 * H));
    const __m256 c = f * k.load(c_prev) + i * g;
    k.store(act, i);
    k.store(act + H, f);
    k.store(act + 2 * H, g);
    k.store(act + 3 * H, o);
    k.store(c_out, c);
    k.store(h_out, o * gate_tanh8(c));
  });
}

void lstm_backward_row(const float* act, const float* c_prev, const float* c, const float* grad_h,
                       const float* grad_c, float* grad_gates, float* grad_c_prev, int64_t H) {
  for_blocks(H, [&](auto k) {
    const __m256 i = k.load(act), f = k.load(act + H), g = k.load(act + 2 * H), o = k.load(act + 3 * H);
    const __m256 cp = k.load(c_prev), dh = k.load(grad_h), tc = tanh8(k.load(c));
    const __m256 dc = k.load(grad_c) + dh * o * (1.0f - tc * tc);
    k.store(grad_gates, dc * g * i * (1.0f - i));
    k.store(grad_gates + H, dc * cp * f * (1.0f - f));
    k.store(grad_gates + 2 * H, dc * i * (1.0f - g * g));
    k.store(grad_gates + 3 * H, dh * tc * o * (1.0f - o));
    k.store(grad_c_prev, dc * f);
  });
}

void gru_forward_row(const float* gi, const float* gh, const float* h_prev, float* h_out,
                     float* saved, int64_t H) {
  for_blocks(H, [&](auto k) {
    const __m256 ghn = k.load(gh + 2 * H), h = k.load(h_prev);
    const __m256 r = sigmoid8(k.load(gi) + k.load(gh));
    const __m256 z = sigmoid8(k.load(gi + H) + k.load(gh + H));
    const __m256 n = tanh8(k.load(gi + 2 * H) + r * ghn);
    k.store(saved, r);
    k.store(saved + H, z);
    k.store(saved + 2 * H, n);
    k.store(saved + 3 * H, ghn);
    k.store(h_out, (1.0f - z) * n + z * h);
  });
}

void gru_backward_row(const float* saved, const float* h_prev, const float* grad_h,
                      float* grad_gi, float* grad_gh, float* grad_h_prev, int64_t H) {
  for_blocks(H, [&](auto k) {
    const __m256 r = k.load(saved), z = k.load(saved + H), n = k.load(saved + 2 * H);
    const __m256 ghn = k.load(saved + 3 * H), h = k.load(h_prev), dh = k.load(grad_h);
    const __m256 dan = dh * (1.0f - z) * (1.0f - n * n);
    const __m256 daz = dh * (h - n) * z * (1.0f - z);
    const __m256 dar = dan * ghn * r * (1.0f - r);
    k.store(grad_gi, dar);
    k.store(grad_gh, dar);
    k.store(grad_gi + H, daz);
    k.store(grad_gh + H, daz);
    k.store(grad_gi + 2 * H, dan);
    k.store(grad_gh + 2 * H, dan * r);
    k.store(grad_h_prev, dh * z);
  });
}

}  // namespace rnn_avx2
}  // namespace cpu
}  // namespace fastdl
