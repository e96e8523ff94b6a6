// F16C conversions (half_convert_avx2.h). Compiled with -mavx2 -mfma -mf16c; includes no
// header with portable inline code (see vec_math_avx2.cpp), so partial blocks go through
// an 8-value buffer instead of the scalar conversions of common/half_convert.h.
//
// vcvtps2ph rounds to nearest even from the float itself and keeps NaNs' sign and top
// payload bits with the quiet bit set: half_convert.h's narrowing exactly. vcvtph2ps is
// exact but also quiets signalling NaNs, which half_convert.h widens unchanged: their
// quiet bit is cleared again.
#include "half_convert_avx2.h"

#include "binary_arith.h"

#include <immintrin.h>

#include <cstring>

namespace fastdl {
namespace cpu {
namespace f16c {

namespace {

inline __m128i narrow8(const float* x) {
  return _mm256_cvtps_ph(_mm256_loadu_ps(x), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

inline __m256 widen8(const uint16_t* x) {
  const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x));
  const __m256i w = _mm256_cvtepu16_epi32(h);
  // signalling NaN: exponent all ones, quiet bit (0x200) clear, some other mantissa bit set
  const __m256i exp_quiet = _mm256_and_si256(w, _mm256_set1_epi32(0x7e00));
  const __m256i payload = _mm256_and_si256(w, _mm256_set1_epi32(0x1ff));
  const __m256i snan = _mm256_andnot_si256(_mm256_cmpeq_epi32(payload, _mm256_setzero_si256()),
                                           _mm256_cmpeq_epi32(exp_quiet, _mm256_set1_epi32(0x7c00)));
  const __m256 f = _mm256_cvtph_ps(h);
  return _mm256_andnot_ps(_mm256_castsi256_ps(_mm256_and_si256(snan, _mm256_set1_epi32(0x00400000))), f);
}

}  // namespace

// Sixteen values a step, stored as one 32-byte vector: with a 16-byte store per 8 values
// the loop ran at half the speed (2^20 floats out of cache, Zen 3: 187 -> 99 us).
void float_to_half(const float* x, uint16_t* out, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), _mm256_set_m128i(narrow8(x + i + 8), narrow8(x + i)));
  for (; i + 8 <= n; i += 8) _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), narrow8(x + i));
  if (i < n) {
    float in[8] = {};
    uint16_t res[8];
    std::memcpy(in, x + i, static_cast<size_t>(n - i) * sizeof(float));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(res), narrow8(in));
    std::memcpy(out + i, res, static_cast<size_t>(n - i) * sizeof(uint16_t));
  }
}

// Sixteen values a step; the signalling-NaN fix-up only for a step with an infinity or NaN
// in it (one compare of the exponents), plain vcvtph2ps otherwise: 2^20 values, 1 thread,
// 0.21 -> 0.13 ms (Zen 3; the fix-up's seven vector ops were most of the loop).
void half_to_float(const uint16_t* x, float* out, int64_t n) {
  int64_t i = 0;
  const __m256i exp_mask = _mm256_set1_epi16(0x7c00);
  for (; i + 16 <= n; i += 16) {
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i));
    if (_mm256_movemask_epi8(_mm256_cmpeq_epi16(_mm256_and_si256(h, exp_mask), exp_mask))) {
      _mm256_storeu_ps(out + i, widen8(x + i));
      _mm256_storeu_ps(out + i + 8, widen8(x + i + 8));
    } else {
      _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm256_castsi256_si128(h)));
      _mm256_storeu_ps(out + i + 8, _mm256_cvtph_ps(_mm256_extracti128_si256(h, 1)));
    }
  }
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, widen8(x + i));
  if (i < n) {
    uint16_t in[8] = {};
    float res[8];
    std::memcpy(in, x + i, static_cast<size_t>(n - i) * sizeof(uint16_t));
    _mm256_storeu_ps(res, widen8(in));
    std::memcpy(out + i, res, static_cast<size_t>(n - i) * sizeof(float));
  }
}

namespace {

template <vec::Arith OP>
inline __m256 apply(__m256 a, __m256 b) {
  if constexpr (OP == vec::Arith::Add) return _mm256_add_ps(a, b);
  else if constexpr (OP == vec::Arith::Sub) return _mm256_sub_ps(a, b);
  else if constexpr (OP == vec::Arith::Mul) return _mm256_mul_ps(a, b);
  else return _mm256_div_ps(a, b);
}

// XS / YS: whether x / y advance (1) or stay (0, a scalar). Partial blocks go through
// 16-value buffers.
template <vec::Arith OP, int XS, int YS>
void arith_loop(const uint16_t* x, const uint16_t* y, uint16_t* out, int64_t n) {
  const __m256 xs = _mm256_cvtph_ps(_mm_set1_epi16(static_cast<short>(x[0])));
  const __m256 ys = _mm256_cvtph_ps(_mm_set1_epi16(static_cast<short>(y[0])));
  auto half8 = [](const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); };
  auto step16 = [&](const uint16_t* xp, const uint16_t* yp, uint16_t* op) {
    const __m256 r0 = apply<OP>(XS ? half8(xp) : xs, YS ? half8(yp) : ys);
    const __m256 r1 = apply<OP>(XS ? half8(xp + 8) : xs, YS ? half8(yp + 8) : ys);
    const __m128i h0 = _mm256_cvtps_ph(r0, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m128i h1 = _mm256_cvtps_ph(r1, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(op), _mm256_set_m128i(h1, h0));
  };
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) step16(x + XS * i, y + YS * i, out + i);
  if (i < n) {
    uint16_t xb[16] = {}, yb[16] = {}, ob[16];
    const int64_t m = n - i;
    if (XS) std::memcpy(xb, x + i, static_cast<size_t>(m) * 2);
    if (YS) std::memcpy(yb, y + i, static_cast<size_t>(m) * 2);
    step16(XS ? xb : x, YS ? yb : y, ob);
    std::memcpy(out + i, ob, static_cast<size_t>(m) * 2);
  }
}

template <vec::Arith OP>
void arith_steps(const uint16_t* x, int64_t xs, const uint16_t* y, int64_t ys, uint16_t* out, int64_t n) {
  if (xs && ys) return arith_loop<OP, 1, 1>(x, y, out, n);
  if (xs) return arith_loop<OP, 1, 0>(x, y, out, n);
  arith_loop<OP, 0, 1>(x, y, out, n);
}

}  // namespace

void half_arith(vec::Arith op, const uint16_t* x, int64_t x_step, const uint16_t* y, int64_t y_step, uint16_t* out,
                int64_t n) {
  if (n <= 0) return;
  switch (op) {
    case vec::Arith::Add: return arith_steps<vec::Arith::Add>(x, x_step, y, y_step, out, n);
    case vec::Arith::Sub: return arith_steps<vec::Arith::Sub>(x, x_step, y, y_step, out, n);
    case vec::Arith::Mul: return arith_steps<vec::Arith::Mul>(x, x_step, y, y_step, out, n);
    case vec::Arith::Div: return arith_steps<vec::Arith::Div>(x, x_step, y, y_step, out, n);
  }
}

}  // namespace f16c
}  // namespace cpu
}  // namespace fastdl
