// AVX-512 vectors of float (16 lanes) behind avx2_vec.h's interface (the part the small
// GEMM row kernel uses), for gemm_small_avx512.cpp. Include it only from *_avx512.cpp
// files: its inline functions are AVX-512 code.
#pragma once
#include <immintrin.h>

#include <cstdint>

namespace fastdl {
namespace avx512 {

template <typename T> struct Vec;
template <> struct Vec<float> {
  using R = __m512;
  using M = __mmask16;
  static constexpr int L = 16;
  static R zero() { return _mm512_setzero_ps(); }
  static R set1(float x) { return _mm512_set1_ps(x); }
  static R bcast(const float* p) { return _mm512_set1_ps(*p); }
  static R load(const float* p) { return _mm512_loadu_ps(p); }
  static R load(const float* p, M m) { return _mm512_maskz_loadu_ps(m, p); }  // masked lanes not read
  static void store(float* p, R v) { _mm512_storeu_ps(p, v); }
  static void store(float* p, M m, R v) { _mm512_mask_storeu_ps(p, m, v); }
  static R fma(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  static R mul(R a, R b) { return _mm512_mul_ps(a, b); }
  static M first(int64_t n) { return static_cast<M>(n >= 16 ? 0xFFFF : n <= 0 ? 0 : (1u << n) - 1u); }  // lanes [0, n)
};

}  // namespace avx512
}  // namespace fastdl
