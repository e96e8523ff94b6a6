// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11)
// and the per-element transforms built on it. Shared by the CPU and CUDA random
// kernels so both produce the same stream.
//
// Stream contract (CUDA kernels must follow it exactly):
//   key     = (lo32(seed), hi32(seed))
//   counter = (lo32(c), hi32(c), 0, 0) with c = offset + i for output element i
//             (i = linear row-major index into the contiguous out); randperm's step k
//             uses c = offset + k.
//   Every random_* kernel consumes one counter per output element (randperm: n
//   counters for n elements) and RETURNS THE NEW OFFSET, offset + counters consumed,
//   which Python stores as the generator's next offset.
// Word usage per counter (w = the 4 output words):
//   uniform float32: w0 >> 8 (24 bits); uniform float64 / bernoulli: 53 bits of
//   (w1:w0); normal: u1 from (w1:w0), u2 from (w3:w2), computed in double for both
//   dtypes; random_int: the 64-bit draw (w1:w0) reduced by multiply-high; randperm
//   step k swaps slot n-1-k with slot int_in_range(w, 0, n-k).
// Scaling: uniform = T(low + (high - low) * u) computed in double, stepped back one ulp
//   if it rounds to high; normal = T(mean + std * z); bernoulli = (uniform_f64 < p).
// Integer results are bit-identical across devices; normals go through log/cos, so
// CPU and CUDA agree to about one ulp of double before rounding to the output dtype.
#pragma once
#include <cmath>
#include <cstdint>
#include "hd.h"

namespace fastdl {
namespace philox {

struct U4 { uint32_t v[4]; };

constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;   // round multipliers
constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;   // Weyl key increments

FASTDL_HD uint32_t mulhilo32(uint32_t a, uint32_t b, uint32_t* hi) {
  uint64_t p = static_cast<uint64_t>(a) * b;
  *hi = static_cast<uint32_t>(p >> 32);
  return static_cast<uint32_t>(p);
}

FASTDL_HD U4 philox_round(U4 c, uint32_t k0, uint32_t k1) {
  uint32_t hi0, hi1;
  uint32_t lo0 = mulhilo32(kM0, c.v[0], &hi0);
  uint32_t lo1 = mulhilo32(kM1, c.v[2], &hi1);
  U4 r = {{hi1 ^ c.v[1] ^ k0, lo1, hi0 ^ c.v[3] ^ k1, lo0}};
  return r;
}

// The raw generator: 10 rounds, key bumped between rounds.
FASTDL_HD U4 philox4x32_10(U4 ctr, uint32_t k0, uint32_t k1) {
  ctr = philox_round(ctr, k0, k1);
  for (int r = 1; r < 10; ++r) {
    k0 += kW0;
    k1 += kW1;
    ctr = philox_round(ctr, k0, k1);
  }
  return ctr;
}

// The four words for counter c under seed (see the stream contract above).
FASTDL_HD U4 draw(uint64_t seed, uint64_t c) {
  U4 ctr = {{static_cast<uint32_t>(c), static_cast<uint32_t>(c >> 32), 0u, 0u}};
  return philox4x32_10(ctr, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
}

FASTDL_HD uint64_t bits64(uint32_t lo, uint32_t hi) {
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

// High 64 bits of a*b: maps a uniform 64-bit draw onto [0, range) with bias at most
// range / 2^64 (negligible for any tensor-sized range), without rejection loops.
FASTDL_HD uint64_t mulhi64(uint64_t a, uint64_t b) {
#if defined(__CUDA_ARCH__)
  return __umul64hi(a, b);
#else
  return static_cast<uint64_t>((static_cast<unsigned __int128>(a) * b) >> 64);
#endif
}

// [0, 1) with 24 random bits: every value is an exact float.
FASTDL_HD float uniform_f32(const U4& w) { return static_cast<float>(w.v[0] >> 8) * 0x1.0p-24f; }

// The top 53 bits of (hi:lo) as a double; via int64 because signed conversion is
// one instruction on x86-64 and unsigned is not.
FASTDL_HD double top53(uint32_t lo, uint32_t hi) {
  return static_cast<double>(static_cast<int64_t>(bits64(lo, hi) >> 11));
}

// [0, 1) with 53 random bits from (w1:w0): every value is an exact double.
FASTDL_HD double uniform_f64(const U4& w) { return top53(w.v[0], w.v[1]) * 0x1.0p-53; }

// Standard normal by Box-Muller. u1 lies in (0, 1] (exactly representable), so the
// log is finite; one of the pair of normals is used so that each element depends on
// its own counter only.
FASTDL_HD double normal_f64(const U4& w) {
  const double two_pi = 6.283185307179586476925286766559;
  double u1 = (0x1.0p53 - top53(w.v[0], w.v[1])) * 0x1.0p-53;
  double u2 = top53(w.v[2], w.v[3]) * 0x1.0p-53;
  return sqrt(-2.0 * log(u1)) * cos(two_pi * u2);
}

// low + [0, range) with range = high - low computed in unsigned arithmetic so that
// e.g. [INT64_MIN, INT64_MAX) works.
FASTDL_HD int64_t int_in_range(const U4& w, int64_t low, uint64_t range) {
  return static_cast<int64_t>(static_cast<uint64_t>(low) + mulhi64(bits64(w.v[0], w.v[1]), range));
}

}  // namespace philox
}  // namespace fastdl
