// AVX2 Philox4x32-10, 8 counters per call (contract in philox_avx2.h): philox_simd.h's
// rounds at 8 lanes. Compiled with -mavx2 -mfma; like the other *_avx2.cpp files it
// includes no project or std headers with portable inline code.
//
// Why: the random kernels spend ~12 ns per element in the scalar generator (10 rounds
// of two 32x32->64 multiplies); dropout masks draw one counter per element.
#include <immintrin.h>

#include <cstdint>

#include "philox_avx2.h"
#include "philox_simd.h"

namespace fastdl {
namespace cpu {
namespace philox_avx2 {

namespace {

// philox_simd.h's instructions at 8 lanes.
struct Lanes8 {
  using I = __m256i;
  static constexpr int L = 8;
  static I set1(uint32_t v) { return _mm256_set1_epi32(static_cast<int>(v)); }
  static I iota() { return _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); }
  static I add(I a, I b) { return _mm256_add_epi32(a, b); }
  static I load(const uint32_t* p) { return _mm256_load_si256(reinterpret_cast<const __m256i*>(p)); }
  static I mul_even(I a, I b) { return _mm256_mul_epu32(a, b); }
  static I srl64(I a) { return _mm256_srli_epi64(a, 32); }
  static I sll64(I a) { return _mm256_slli_epi64(a, 32); }
  static I odd_from(I a, I b) { return _mm256_blend_epi32(a, b, 0xAA); }
  static I xor3(I a, I b, I c) { return _mm256_xor_si256(_mm256_xor_si256(a, b), c); }
};

template <int B>
void draw_blocks(uint64_t seed, uint64_t c0, uint32_t (*w)[4][8]) {
  __m256i x[4][B];
  philox_simd::draw_blocks<Lanes8, B>(seed, c0, x);
  for (int b = 0; b < B; ++b)
    for (int j = 0; j < 4; ++j) _mm256_storeu_si256(reinterpret_cast<__m256i*>(w[b][j]), x[j][b]);
}

}  // namespace

void draw8(uint64_t seed, uint64_t c0, uint32_t (&w)[4][8]) { draw_blocks<1>(seed, c0, &w); }
void draw32(uint64_t seed, uint64_t c0, uint32_t (&w)[4][4][8]) { draw_blocks<4>(seed, c0, w); }

}  // namespace philox_avx2
}  // namespace cpu
}  // namespace fastdl
