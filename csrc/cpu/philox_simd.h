// Philox4x32-10 on the 32-bit lanes of a SIMD integer type, written once for
// philox_avx2.cpp (8 lanes) and philox_avx512.cpp (16): the same words as
// common/philox.h's draw(seed, c) for consecutive counters c, lane i holding counter
// c0 + i. Include this header ONLY from *_avx2.cpp / *_avx512.cpp files: its code is that
// ISA's. The round constants are repeated here from common/philox.h (which those files may
// not include); tests/test_random_kernels.py checks the words against the scalar generator.
//
// V names the instructions: I (the vector), L (lanes), set1, iota (0, 1, ..., L-1), add,
// load (L aligned uint32), mul_even (32x32->64 products of the even lanes), srl64 / sll64
// (64-bit shifts by 32), odd_from (a's even lanes and b's odd ones), xor3.
#pragma once
#include <cstdint>

namespace fastdl {
namespace cpu {
namespace philox_simd {

constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;  // round multipliers
constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;  // Weyl key increments

// lo / hi 32 bits of m * x in each lane: mul_even multiplies the even lanes; the odd lanes
// are shifted down, multiplied, and blended back.
template <class V>
inline void mulhilo(typename V::I m, typename V::I x, typename V::I* lo, typename V::I* hi) {
  const typename V::I even = V::mul_even(m, x);
  const typename V::I odd = V::mul_even(m, V::srl64(x));
  *lo = V::odd_from(even, V::sll64(odd));
  *hi = V::odd_from(V::srl64(even), odd);
}

// Counter words (lo32(c), hi32(c)) for c = c0 + i, i < L (the high word may step inside
// the block when c0 + i crosses a multiple of 2^32).
template <class V>
inline void counters(uint64_t c0, typename V::I* x0, typename V::I* x1) {
  const uint32_t lo0 = static_cast<uint32_t>(c0), hi0 = static_cast<uint32_t>(c0 >> 32);
  if (lo0 <= 0xFFFFFFFFu - (V::L - 1)) {  // the usual block: one high word
    *x0 = V::add(V::set1(lo0), V::iota());
    *x1 = V::set1(hi0);
    return;
  }
  alignas(64) uint32_t lo[V::L], hi[V::L];
  for (int i = 0; i < V::L; ++i) {
    const uint64_t c = c0 + static_cast<uint64_t>(i);
    lo[i] = static_cast<uint32_t>(c);
    hi[i] = static_cast<uint32_t>(c >> 32);
  }
  *x0 = V::load(lo);
  *x1 = V::load(hi);
}

// x[j][b] = word j of the counters c0 + L b + i (lane i), b < B. Each round is a chain of
// dependent multiplies, so B independent blocks side by side keep the multiplier busy
// (one block alone waits on that latency most of the time).
template <class V, int B>
inline void draw_blocks(uint64_t seed, uint64_t c0, typename V::I (&x)[4][B]) {
  for (int b = 0; b < B; ++b) {
    counters<V>(c0 + static_cast<uint64_t>(V::L) * b, &x[0][b], &x[1][b]);
    x[2][b] = x[3][b] = V::set1(0);
  }
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  const typename V::I m0 = V::set1(kM0), m1 = V::set1(kM1);
  for (int r = 0; r < 10; ++r) {
    if (r) {
      k0 += kW0;
      k1 += kW1;
    }
    const typename V::I vk0 = V::set1(k0), vk1 = V::set1(k1);
    for (int b = 0; b < B; ++b) {
      typename V::I lo0, hi0, lo1, hi1;
      mulhilo<V>(m0, x[0][b], &lo0, &hi0);
      mulhilo<V>(m1, x[2][b], &lo1, &hi1);
      x[0][b] = V::xor3(hi1, x[1][b], vk0);
      x[2][b] = V::xor3(hi0, x[3][b], vk1);
      x[1][b] = lo1;
      x[3][b] = lo0;
    }
  }
}

}  // namespace philox_simd
}  // namespace cpu
}  // namespace fastdl
