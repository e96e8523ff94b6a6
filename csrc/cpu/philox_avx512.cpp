// AVX-512 Philox4x32-10, 32 counters per call as two blocks of 16 lanes (philox_simd.h's
// rounds): the same words as philox_avx2.cpp's draw32 (and common/philox.h's scalar draw),
// in the same layout. Compiled with -mavx512f; like the other *_avx512.cpp files it
// includes no project or std headers with portable inline code.
#include <immintrin.h>

#include <cstdint>

#include "philox_avx512.h"
#include "philox_simd.h"

namespace fastdl {
namespace cpu {
namespace philox_avx512 {

namespace {

// philox_simd.h's instructions at 16 lanes.
struct Lanes16 {
  using I = __m512i;
  static constexpr int L = 16;
  static I set1(uint32_t v) { return _mm512_set1_epi32(static_cast<int>(v)); }
  static I iota() { return _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15); }
  static I add(I a, I b) { return _mm512_add_epi32(a, b); }
  static I load(const uint32_t* p) { return _mm512_load_si512(p); }
  static I mul_even(I a, I b) { return _mm512_mul_epu32(a, b); }
  static I srl64(I a) { return _mm512_srli_epi64(a, 32); }
  static I sll64(I a) { return _mm512_slli_epi64(a, 32); }
  static I odd_from(I a, I b) { return _mm512_mask_blend_epi32(0xAAAA, a, b); }
  static I xor3(I a, I b, I c) { return _mm512_ternarylogic_epi32(a, b, c, 0x96); }
};

}  // namespace

void draw32(uint64_t seed, uint64_t c0, uint32_t (&w)[4][4][8]) {
  __m512i x[4][2];  // two independent 16-lane blocks hide the multiplies' latency
  philox_simd::draw_blocks<Lanes16, 2>(seed, c0, x);
  // lanes 0-7 of block b are counters c0 + 16 b + 0..7 (w[2 b]), lanes 8-15 the next 8
  for (int b = 0; b < 2; ++b)
    for (int j = 0; j < 4; ++j) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(w[2 * b][j]), _mm512_castsi512_si256(x[j][b]));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(w[2 * b + 1][j]), _mm512_extracti64x4_epi64(x[j][b], 1));
    }
}

}  // namespace philox_avx512
}  // namespace cpu
}  // namespace fastdl
