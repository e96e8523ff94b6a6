// Contiguous runs of memory copied or filled at the speed the CPU can give them.
//
// copy_run (dst and src disjoint): up to 256 bytes inline; longer runs by memcpy, except
// when dst lies 1-63 bytes after src modulo 4 KiB (a roll by a
// few elements, a copy into a shifted slice). A forward copy then loads each vector
// right after storing to an address with the same low 12 bits, and the core holds the
// load back until that store leaves (4K aliasing): roll(x, 3, -1) on (1024, 1024) took
// 2.6 ms against 0.3 ms for other shifts (Zen 3). Copied backwards, every load is
// issued ahead of the stores it could be mistaken for.
//
// fill_run: `rep stos` from 512 bytes on. The compiler's vector loop on the baseline
// instruction set writes 16 bytes per store and reads every line before writing it;
// the string instruction writes whole lines: 2.65 MB (zeros of (32, 64, 18, 18)) in
// 50 us against 109, and 2-2.5x on L1- and L2-sized runs too (Zen 3, one thread).
//
// Header-only and portable (SSE2 is the x86-64 baseline); include it only from files
// compiled for the baseline, not from *_avx2.cpp / *_avx512.cpp.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <emmintrin.h>
#endif

namespace fastdl {
namespace cpu {

inline void copy_run(void* dst, const void* src, size_t bytes) {
#if defined(__x86_64__)
  char* d = static_cast<char*>(dst);
  const char* s = static_cast<const char*>(src);
  auto copy16 = [](char* to, const char* from) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(to), _mm_loadu_si128(reinterpret_cast<const __m128i*>(from)));
  };
  if (bytes <= 256) {  // inline: a call to memcpy costs as much as a short row (pad's 16-float rows)
    if (bytes >= 16) {
      size_t i = 0;
      for (; i + 16 <= bytes; i += 16) copy16(d + i, s + i);
      if (i < bytes) copy16(d + bytes - 16, s + bytes - 16);  // the tail as one overlapping vector
    } else if (bytes >= 8) {
      uint64_t a, b;
      std::memcpy(&a, s, 8), std::memcpy(&b, s + bytes - 8, 8);
      std::memcpy(d, &a, 8), std::memcpy(d + bytes - 8, &b, 8);
    } else {
      for (size_t i = 0; i < bytes; ++i) d[i] = s[i];
    }
    return;
  }
  const uintptr_t ahead = (reinterpret_cast<uintptr_t>(dst) - reinterpret_cast<uintptr_t>(src)) & 4095;
  if (ahead != 0 && ahead < 64) {
    size_t i = bytes;
    for (; i >= 64; i -= 64) {  // four loads, then four stores, from the end down
      const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i - 64));
      const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i - 48));
      const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i - 32));
      const __m128i e = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i - 16));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(d + i - 64), a);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(d + i - 48), b);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(d + i - 32), c);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(d + i - 16), e);
    }
    if (i) std::memcpy(d, s, i);
    return;
  }
#endif
  std::memcpy(dst, src, bytes);
}

template <typename T>
void fill_run(T* o, int64_t n, T v) {
#if defined(__x86_64__)
  if constexpr (sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8) {
    if (n * int64_t(sizeof(T)) >= 512) {
      uint64_t bits = 0;
      std::memcpy(&bits, &v, sizeof(T));
      void* d = o;
      size_t count = static_cast<size_t>(n);
      if constexpr (sizeof(T) == 1) asm volatile("rep stosb" : "+D"(d), "+c"(count) : "a"(bits) : "memory");
      if constexpr (sizeof(T) == 2) asm volatile("rep stosw" : "+D"(d), "+c"(count) : "a"(bits) : "memory");
      if constexpr (sizeof(T) == 4) asm volatile("rep stosl" : "+D"(d), "+c"(count) : "a"(bits) : "memory");
      if constexpr (sizeof(T) == 8) asm volatile("rep stosq" : "+D"(d), "+c"(count) : "a"(bits) : "memory");
      return;
    }
  }
#endif
  std::fill(o, o + n, v);
}

}  // namespace cpu
}  // namespace fastdl
