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
  static constexpr int kTwoVectorRows = 6;  // small-GEMM tile rows: 12 accumulators of 16 registers
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

  // What vec_math_simd.h's width-generic functions use (avx512::Vec<float> has the same).
  using I = __m256i;   // 32-bit integer lanes
  using Cmp = __m256;  // a comparison's lanes: all ones where true
  static constexpr unsigned kAllLanes = 0xFF;
  static constexpr bool kHasScalef = false;  // no p 2^n in one instruction
  static constexpr bool kHasGetexp = false;  // no exponent / mantissa in one instruction
  static R fnma(R a, R b, R c) { return _mm256_fnmadd_ps(a, b, c); }  // c - a b
  static R fms(R a, R b, R c) { return _mm256_fmsub_ps(a, b, c); }    // a b - c
  // min / max return b where either is NaN: callers write (bound, x) to let a NaN x through.
  static R min(R a, R b) { return _mm256_min_ps(a, b); }
  static R max(R a, R b) { return _mm256_max_ps(a, b); }
  static R round(R x) { return _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static R rcp(R x) { return _mm256_rcp_ps(x); }
  static R bit_and(R a, R b) { return _mm256_and_ps(a, b); }
  static R bit_or(R a, R b) { return _mm256_or_ps(a, b); }
  static R bit_xor(R a, R b) { return _mm256_xor_ps(a, b); }
  static R sqrt(R x) { return _mm256_sqrt_ps(x); }
  static R abs(R x) { return _mm256_andnot_ps(set1(-0.0f), x); }
  template <int P> static Cmp cmp(R a, R b) { return _mm256_cmp_ps(a, b, P); }
  static Cmp cmp_and_not(Cmp a, Cmp b) { return _mm256_andnot_ps(b, a); }  // a and not b
  static Cmp cmp_or(Cmp a, Cmp b) { return _mm256_or_ps(a, b); }
  static R blend(R a, R b, Cmp m) { return _mm256_blendv_ps(a, b, m); }  // m ? b : a
  static R when(Cmp m, R x) { return _mm256_and_ps(m, x); }              // m ? x : 0
  static R unless(Cmp m, R x) { return _mm256_andnot_ps(m, x); }         // m ? 0 : x
  static unsigned lanes(Cmp m) { return static_cast<unsigned>(_mm256_movemask_ps(m)); }
  // Lanes whose integer is odd, as blend / when read a Cmp: by its sign bit.
  static Cmp odd(__m256i q) { return _mm256_castsi256_ps(_mm256_slli_epi32(q, 31)); }
  static I to_int(R x) { return _mm256_cvtps_epi32(x); }  // rounded to nearest
  static R to_float(I i) { return _mm256_cvtepi32_ps(i); }
  static I bits(R x) { return _mm256_castps_si256(x); }
  static R from_bits(I i) { return _mm256_castsi256_ps(i); }
  static I iset1(int v) { return _mm256_set1_epi32(v); }
  static I iadd(I a, I b) { return _mm256_add_epi32(a, b); }
  static I isub(I a, I b) { return _mm256_sub_epi32(a, b); }
  static I iand(I a, I b) { return _mm256_and_si256(a, b); }
  static I ior(I a, I b) { return _mm256_or_si256(a, b); }
  template <int S> static I shl(I a) { return _mm256_slli_epi32(a, S); }
  template <int S> static I shr(I a) { return _mm256_srli_epi32(a, S); }
  template <int S> static I sar(I a) { return _mm256_srai_epi32(a, S); }
};
template <> struct Vec<double> {
  using R = __m256d;
  using M = __m256i;
  static constexpr int L = 4;
  static constexpr int kTwoVectorRows = 6;
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
