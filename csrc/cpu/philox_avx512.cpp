// AVX-512 Philox4x32-10, 32 counters per call as two blocks of 16 lanes: the same words as
// philox_avx2.cpp's draw32 (and common/philox.h's scalar draw), in the same layout.
// Compiled with -mavx512f; like the other *_avx512.cpp files it includes no project or std
// headers with inline code, so the round constants are repeated here from common/philox.h
// (tests/test_random_kernels.py checks the words against the scalar generator).
#include <immintrin.h>

#include <cstdint>

#include "philox_avx512.h"

namespace fastdl {
namespace cpu {
namespace philox_avx512 {

namespace {

constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;  // round multipliers
constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;  // Weyl key increments

// lo / hi 32 bits of m * x for each of the 16 lanes of x: mul_epu32 multiplies the even
// lanes; the odd lanes are shifted down, multiplied, and blended back (as the AVX2 code).
inline void mulhilo(__m512i m, __m512i x, __m512i* lo, __m512i* hi) {
  const __m512i even = _mm512_mul_epu32(m, x);
  const __m512i odd = _mm512_mul_epu32(m, _mm512_srli_epi64(x, 32));
  *lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
  *hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
}

// Counter words (lo32(c), hi32(c)) for c = c0 + i, i < 16 (the high word may step inside
// the block when c0 + i crosses a multiple of 2^32).
void counters16(uint64_t c0, __m512i* x0, __m512i* x1) {
  const uint32_t lo0 = static_cast<uint32_t>(c0), hi0 = static_cast<uint32_t>(c0 >> 32);
  if (lo0 <= 0xFFFFFFFFu - 15) {  // the usual block: one high word
    *x0 = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(lo0)),
                           _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    *x1 = _mm512_set1_epi32(static_cast<int>(hi0));
    return;
  }
  alignas(64) uint32_t lo[16], hi[16];
  for (int i = 0; i < 16; ++i) {
    const uint64_t c = c0 + static_cast<uint64_t>(i);
    lo[i] = static_cast<uint32_t>(c);
    hi[i] = static_cast<uint32_t>(c >> 32);
  }
  *x0 = _mm512_load_si512(lo);
  *x1 = _mm512_load_si512(hi);
}

}  // namespace

void draw32(uint64_t seed, uint64_t c0, uint32_t (&w)[4][4][8]) {
  constexpr int B = 2;  // two independent 16-lane blocks hide the multiplies' latency
  __m512i x0[B], x1[B], x2[B], x3[B];
  for (int b = 0; b < B; ++b) {
    counters16(c0 + 16 * static_cast<uint64_t>(b), &x0[b], &x1[b]);
    x2[b] = x3[b] = _mm512_setzero_si512();
  }
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  const __m512i m0 = _mm512_set1_epi32(static_cast<int>(kM0)), m1 = _mm512_set1_epi32(static_cast<int>(kM1));
  for (int r = 0; r < 10; ++r) {
    if (r) {
      k0 += kW0;
      k1 += kW1;
    }
    const __m512i vk0 = _mm512_set1_epi32(static_cast<int>(k0)), vk1 = _mm512_set1_epi32(static_cast<int>(k1));
    for (int b = 0; b < B; ++b) {
      __m512i lo0, hi0, lo1, hi1;
      mulhilo(m0, x0[b], &lo0, &hi0);
      mulhilo(m1, x2[b], &lo1, &hi1);
      x0[b] = _mm512_ternarylogic_epi32(hi1, x1[b], vk0, 0x96);  // hi1 ^ x1 ^ k0
      x2[b] = _mm512_ternarylogic_epi32(hi0, x3[b], vk1, 0x96);
      x1[b] = lo1;
      x3[b] = lo0;
    }
  }
  // lanes 0-7 of block b are counters c0 + 16 b + 0..7 (w[2 b]), lanes 8-15 the next 8
  for (int b = 0; b < B; ++b) {
    const __m512i words[4] = {x0[b], x1[b], x2[b], x3[b]};
    for (int j = 0; j < 4; ++j) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(w[2 * b][j]), _mm512_castsi512_si256(words[j]));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(w[2 * b + 1][j]), _mm512_extracti64x4_epi64(words[j], 1));
    }
  }
}

}  // namespace philox_avx512
}  // namespace cpu
}  // namespace fastdl
