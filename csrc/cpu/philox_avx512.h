// Philox4x32-10 for 32 consecutive counters on 16 AVX-512 lanes (philox_avx512.cpp): the
// same words, in the same layout, as philox_avx2.h's draw32. Declarations only: this header
// is included by an AVX-512-compiled file.
#pragma once
#include <cstdint>

namespace fastdl {
namespace cpu {
namespace philox_avx512 {

// w[b][j][i] = word j of draw(seed, c0 + 8 b + i), b < 4, i < 8. Call only when use_avx512().
void draw32(uint64_t seed, uint64_t c0, uint32_t (&w)[4][4][8]);

}  // namespace philox_avx512
}  // namespace cpu
}  // namespace fastdl
