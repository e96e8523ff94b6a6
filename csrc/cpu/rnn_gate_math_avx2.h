// Cheaper float32 sigmoid / tanh for the LSTM forward cell row (rnn_cells_avx2.cpp;
// include only from *_avx2.cpp files). vec_math_avx2.h's versions keep full relative
// accuracy over the whole float range (denormal results, tanh of tiny x). The forward
// cell multiplies every gate by values in [-1, 1], so an absolute error of a few
// float32 ulps of 1 stays one in h and c, within the cells' tolerance against the
// scalar equations (tests/test_rnn_kernels.py). The backward cell keeps tanh8: there
// tanh(c) is multiplied by unbounded gradients. Here:
// - e^x with one 2^n scale, x clamped to [-87, 88] (results stay normal floats),
// - sigmoid(x) = 1 / (1 + e^-x),
// - tanh(x) = 1 - 2 / (1 + e^2x): no small-|x| polynomial branch and no blend; near 0
//   the error is ~1 ulp of 1 in absolute terms, not relative.
// About a third fewer instructions per cell than the full-range versions; the same
// limits at +-inf (0 / 1, -1 / 1) and NaN in -> NaN out.
#pragma once
#include <immintrin.h>

#include "vec_math_avx2.h"

namespace fastdl {
namespace cpu {
namespace rnn_avx2 {

inline __m256 gate_exp8(__m256 x) {
  x = _mm256_max_ps(vec::splat(-87.0f), _mm256_min_ps(vec::splat(88.0f), x));  // (bound, x): NaN passes
  __m256 n;
  const __m256 p = vec::exp_reduced8(x, &n);
  return _mm256_mul_ps(p, vec::pow2i(_mm256_cvtps_epi32(n)));  // n in [-126, 127]
}

inline __m256 gate_sigmoid8(__m256 x) {
  const __m256 one = vec::splat(1.0f);
  return _mm256_div_ps(one, _mm256_add_ps(one, gate_exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

inline __m256 gate_tanh8(__m256 x) {
  const __m256 one = vec::splat(1.0f);
  const __m256 e = gate_exp8(_mm256_add_ps(x, x));
  return _mm256_sub_ps(one, _mm256_div_ps(vec::splat(2.0f), _mm256_add_ps(one, e)));
}

}  // namespace rnn_avx2
}  // namespace cpu
}  // namespace fastdl
