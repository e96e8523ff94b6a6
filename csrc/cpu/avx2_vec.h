// AVX2 vectors of float (8 lanes) and double (4) behind one interface, for the AVX2
// kernel files (gemm_small_avx2.cpp, binary_arith_avx2.cpp). Include it only from
// *_avx2.cpp files: its inline functions are AVX2 code, and a portable file that
// instantiated them could run them on a CPU without AVX2.
#pragma once
#include <immintrin.h>

namespace fastdl {
namespace avx2 {

template <typename T> struct Vec;
template <> struct Vec<float> {
  using R = __m256;
  using M = __m256i;
  static constexpr int L = 8;
  static R zero() { return _mm256_setzero_ps(); }
  static R set1(float x) { return _mm256_set1_ps(x); }
  static R bcast(const float* p) { return _mm256_broadcast_ss(p); }
  static R load(const float* p) { return _mm256_loadu_ps(p); }
  static R load(const float* p, M m) { return _mm256_maskload_ps(p, m); }
  static void store(float* p, R v) { _mm256_storeu_ps(p, v); }
  static void store(float* p, M m, R v) { _mm256_maskstore_ps(p, m, v); }
  static R fma(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  static R add(R a, R b) { return _mm256_add_ps(a, b); }
  static R sub(R a, R b) { return _mm256_sub_ps(a, b); }
  static R mul(R a, R b) { return _mm256_mul_ps(a, b); }
  static R div(R a, R b) { return _mm256_div_ps(a, b); }
  static M first(int n) { return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); }
  // out[0:4] = the lane sums of a0..a3.
  static void sums4(R a0, R a1, R a2, R a3, float* out) {
    const __m256 t = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
    _mm_storeu_ps(out, _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1)));
  }
};
template <> struct Vec<double> {
  using R = __m256d;
  using M = __m256i;
  static constexpr int L = 4;
  static R zero() { return _mm256_setzero_pd(); }
  static R set1(double x) { return _mm256_set1_pd(x); }
  static R bcast(const double* p) { return _mm256_broadcast_sd(p); }
  static R load(const double* p) { return _mm256_loadu_pd(p); }
  static R load(const double* p, M m) { return _mm256_maskload_pd(p, m); }
  static void store(double* p, R v) { _mm256_storeu_pd(p, v); }
  static void store(double* p, M m, R v) { _mm256_maskstore_pd(p, m, v); }
  static R fma(R a, R b, R c) { return _mm256_fmadd_pd(a, b, c); }
  static R add(R a, R b) { return _mm256_add_pd(a, b); }
  static R sub(R a, R b) { return _mm256_sub_pd(a, b); }
  static R mul(R a, R b) { return _mm256_mul_pd(a, b); }
  static R div(R a, R b) { return _mm256_div_pd(a, b); }
  static M first(int n) { return _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3)); }
  static void sums4(R a0, R a1, R a2, R a3, double* out) {
    const __m256d t0 = _mm256_hadd_pd(a0, a1), t1 = _mm256_hadd_pd(a2, a3);
    _mm256_storeu_pd(out, _mm256_add_pd(_mm256_permute2f128_pd(t0, t1, 0x20), _mm256_permute2f128_pd(t0, t1, 0x31)));
  }
};

}  // namespace avx2
}  // namespace fastdl
