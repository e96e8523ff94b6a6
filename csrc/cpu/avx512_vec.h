// AVX-512 vectors of float (16 lanes) behind avx2_vec.h's interface (the parts the small
// GEMM row kernel and vec_math_simd.h use). Include it only from *_avx512.cpp
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
  static constexpr int kTwoVectorRows = 8;  // small-GEMM tile rows: 16 accumulators of 32 registers
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
  static R add(R a, R b) { return _mm512_add_ps(a, b); }
  static R sub(R a, R b) { return _mm512_sub_ps(a, b); }
  static R div(R a, R b) { return _mm512_div_ps(a, b); }

  // avx2::Vec<float>'s interface for vec_math_simd.h, in AVX-512F instructions only
  // (use_avx512() asks for nothing more): bitwise float ops through the integer ones.
  using I = __m512i;
  using Cmp = __mmask16;
  static constexpr unsigned kAllLanes = 0xFFFF;
  static constexpr bool kHasScalef = true;
  static R scale_pow2(R p, R n) { return _mm512_scalef_ps(p, n); }  // p 2^floor(n), one rounding
  static constexpr bool kHasGetexp = true;
  static R exponent(R x) { return _mm512_getexp_ps(x); }  // floor(log2 |x|), denormals included
  static R mantissa_half(R x) { return _mm512_getmant_ps(x, _MM_MANT_NORM_p5_1, _MM_MANT_SIGN_zero); }  // [0.5, 1)
  static R fnma(R a, R b, R c) { return _mm512_fnmadd_ps(a, b, c); }  // c - a b
  static R fms(R a, R b, R c) { return _mm512_fmsub_ps(a, b, c); }    // a b - c
  static R min(R a, R b) { return _mm512_min_ps(a, b); }  // b where either is NaN, as AVX2's
  static R max(R a, R b) { return _mm512_max_ps(a, b); }
  static R round(R x) { return _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static R rcp(R x) { return _mm512_rcp14_ps(x); }  // 14 bits where AVX2's rcp has 12
  static R bit_and(R a, R b) { return from_bits(_mm512_and_si512(bits(a), bits(b))); }
  static R bit_or(R a, R b) { return from_bits(_mm512_or_si512(bits(a), bits(b))); }
  static R bit_xor(R a, R b) { return from_bits(_mm512_xor_si512(bits(a), bits(b))); }
  static R sqrt(R x) { return _mm512_sqrt_ps(x); }
  static R abs(R x) { return from_bits(_mm512_and_si512(bits(x), _mm512_set1_epi32(0x7FFFFFFF))); }
  template <int P> static Cmp cmp(R a, R b) { return _mm512_cmp_ps_mask(a, b, P); }
  static Cmp cmp_and_not(Cmp a, Cmp b) { return static_cast<Cmp>(a & ~b); }
  static Cmp cmp_or(Cmp a, Cmp b) { return static_cast<Cmp>(a | b); }
  static R blend(R a, R b, Cmp m) { return _mm512_mask_blend_ps(m, a, b); }  // m ? b : a
  static R when(Cmp m, R x) { return _mm512_maskz_mov_ps(m, x); }             // m ? x : 0
  static R unless(Cmp m, R x) { return _mm512_maskz_mov_ps(static_cast<Cmp>(~m), x); }
  static unsigned lanes(Cmp m) { return m; }
  static Cmp odd(I q) { return _mm512_test_epi32_mask(q, _mm512_set1_epi32(1)); }  // lanes whose integer is odd
  static I to_int(R x) { return _mm512_cvtps_epi32(x); }
  static R to_float(I i) { return _mm512_cvtepi32_ps(i); }
  static I bits(R x) { return _mm512_castps_si512(x); }
  static R from_bits(I i) { return _mm512_castsi512_ps(i); }
  static I iset1(int v) { return _mm512_set1_epi32(v); }
  static I iadd(I a, I b) { return _mm512_add_epi32(a, b); }
  static I isub(I a, I b) { return _mm512_sub_epi32(a, b); }
  static I iand(I a, I b) { return _mm512_and_si512(a, b); }
  static I ior(I a, I b) { return _mm512_or_si512(a, b); }
  template <int S> static I shl(I a) { return _mm512_slli_epi32(a, S); }
  template <int S> static I shr(I a) { return _mm512_srli_epi32(a, S); }
  template <int S> static I sar(I a) { return _mm512_srai_epi32(a, S); }
};

}  // namespace avx512
}  // namespace fastdl
