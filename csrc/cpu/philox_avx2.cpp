// AVX2 Philox4x32-10, 8 counters per call (contract in philox_avx2.h). Compiled with
// -mavx2 -mfma; like the other *_avx2.cpp files it includes no project or std headers
// with inline code, so the round constants are repeated here from common/philox.h
// (tests/test_random_kernels.py checks the words against the scalar generator).
//
// Why: the random kernels spend ~12 ns per element in the scalar generator (10 rounds
// of two 32x32->64 multiplies); dropout masks draw one counter per element.
#include <immintrin.h>

#include <cstdint>

#include "philox_avx2.h"

namespace fastdl {
namespace cpu {
namespace philox_avx2 {

namespace {

constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;  // round multipliers
constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;  // Weyl key increments

// lo / hi 32 bits of m * x for each of the 8 lanes of x. mul_epu32 multiplies the even
// lanes; the odd lanes are shifted down, multiplied, and blended back.
inline void mulhilo(__m256i m, __m256i x, __m256i* lo, __m256i* hi) {
  const __m256i even = _mm256_mul_epu32(m, x);
  const __m256i odd = _mm256_mul_epu32(m, _mm256_srli_epi64(x, 32));
  *lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
  *hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
}

// Counter words (lo32(c), hi32(c)) for c = c0 + i, i < 8 (the high word may step inside
// the block when c0 + i crosses a multiple of 2^32).
void counters8(uint64_t c0, __m256i* x0, __m256i* x1) {
  const uint32_t lo0 = static_cast<uint32_t>(c0), hi0 = static_cast<uint32_t>(c0 >> 32);
  if (lo0 <= 0xFFFFFFFFu - 7) {  // the usual block: one high word
    *x0 = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(lo0)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    *x1 = _mm256_set1_epi32(static_cast<int>(hi0));
    return;
  }
  alignas(32) uint32_t lo[8], hi[8];
  for (int i = 0; i < 8; ++i) {
    const uint64_t c = c0 + static_cast<uint64_t>(i);
    lo[i] = static_cast<uint32_t>(c);
    hi[i] = static_cast<uint32_t>(c >> 32);
  }
  *x0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(lo));
  *x1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(hi));
}

// B blocks of 8 counters (c0 + 8 b + i) in one loop: each round is a chain of dependent
// multiplies, so independent blocks side by side keep the multiplier busy (one block
// alone waits on that latency most of the time).
template <int B>
void draw_blocks(uint64_t seed, uint64_t c0, uint32_t (*w)[4][8]) {
  __m256i x0[B], x1[B], x2[B], x3[B];
  for (int b = 0; b < B; ++b) {
    counters8(c0 + 8 * static_cast<uint64_t>(b), &x0[b], &x1[b]);
    x2[b] = x3[b] = _mm256_setzero_si256();
  }
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  const __m256i m0 = _mm256_set1_epi32(static_cast<int>(kM0)), m1 = _mm256_set1_epi32(static_cast<int>(kM1));
  for (int r = 0; r < 10; ++r) {
    if (r) {
      k0 += kW0;
      k1 += kW1;
    }
    const __m256i vk0 = _mm256_set1_epi32(static_cast<int>(k0)), vk1 = _mm256_set1_epi32(static_cast<int>(k1));
    for (int b = 0; b < B; ++b) {
      __m256i lo0, hi0, lo1, hi1;
      mulhilo(m0, x0[b], &lo0, &hi0);
      mulhilo(m1, x2[b], &lo1, &hi1);
      x0[b] = _mm256_xor_si256(_mm256_xor_si256(hi1, x1[b]), vk0);
      x2[b] = _mm256_xor_si256(_mm256_xor_si256(hi0, x3[b]), vk1);
      x1[b] = lo1;
      x3[b] = lo0;
    }
  }
  for (int b = 0; b < B; ++b) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(w[b][0]), x0[b]);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(w[b][1]), x1[b]);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(w[b][2]), x2[b]);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(w[b][3]), x3[b]);
  }
}

}  // namespace

void draw8(uint64_t seed, uint64_t c0, uint32_t (&w)[4][8]) { draw_blocks<1>(seed, c0, &w); }
void draw32(uint64_t seed, uint64_t c0, uint32_t (&w)[4][4][8]) { draw_blocks<4>(seed, c0, w); }

}  // namespace philox_avx2
}  // namespace cpu
}  // namespace fastdl
