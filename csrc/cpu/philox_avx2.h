// Philox4x32-10 for 8 consecutive counters at once in AVX2 (philox_avx2.cpp): the same
// words as common/philox.h's draw(seed, c) for c = c0 .. c0+7, so the random kernels'
// stream (and its equality with the CUDA kernels') is unchanged. Declarations only:
// this header is included by an AVX2-compiled file.
#pragma once
#include <cstdint>

namespace fastdl {
namespace cpu {
namespace philox_avx2 {

// w[j][i] = word j of draw(seed, c0 + i), i < 8. Call only when use_avx2().
void draw8(uint64_t seed, uint64_t c0, uint32_t (&w)[4][8]);
// w[b][j][i] = word j of draw(seed, c0 + 8 b + i), b < 4: four blocks in one pass, ~2x the
// throughput of four draw8 calls.
void draw32(uint64_t seed, uint64_t c0, uint32_t (&w)[4][4][8]);
// z[i] = philox::normal_f64(draw(seed, c0 + i)) to about an ulp of double (normal_avx2.cpp).
void normal8(uint64_t seed, uint64_t c0, double (&z)[8]);
void normal32(uint64_t seed, uint64_t c0, double (&z)[32]);
// o[k] = random_uniform's value for word block w's counter k < 32 (uniform_avx2.cpp): the
// scalar rule's bits, T(low + (high - low) u), and below_hi where that is not below hi.
void uniform32(const uint32_t (&w)[4][4][8], double low, double high, float hi, float below_hi, float* o);
void uniform32(const uint32_t (&w)[4][4][8], double low, double high, double hi, double below_hi, double* o);

}  // namespace philox_avx2
}  // namespace cpu
}  // namespace fastdl
