// AVX2 copies of layer norm's float32 row loops (layer_norm_rows.h: same operations, same
// order, same bits as norm.cpp's portable loops). Compiled with -mavx2 -mfma and
// -ffp-contract=off (CMakeLists.txt), so the separate multiplies and adds stay separate.
// Includes no header with portable inline code (see vec_math_avx2.cpp).
#include "layer_norm_rows.h"

#include <immintrin.h>

namespace fastdl {
namespace cpu {
namespace layer_norm_avx2 {

namespace {

// Floats j..j+3 and j+4..j+7 as doubles: norm.cpp's lanes 0-3 and 4-7.
inline __m256d lo4(const float* p) { return _mm256_cvtps_pd(_mm_loadu_ps(p)); }
inline __m256d hi4(const float* p) { return _mm256_cvtps_pd(_mm_loadu_ps(p + 4)); }

// The 8 lanes (lo = 0-3, hi = 4-7) added in lane order, as lane_sums does.
inline double add_lanes(__m256d lo, __m256d hi) {
  alignas(32) double l[8];
  _mm256_store_pd(l, lo);
  _mm256_store_pd(l + 4, hi);
  double s = 0;
  for (double v : l) s += v;
  return s;
}

}  // namespace

void moments(const float* x, int64_t n, double shift, double* s0, double* s1) {
  const __m256d sh = _mm256_set1_pd(shift);
  __m256d a0 = _mm256_setzero_pd(), a1 = a0, q0 = a0, q1 = a0;
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256d v0 = _mm256_sub_pd(lo4(x + j), sh), v1 = _mm256_sub_pd(hi4(x + j), sh);
    a0 = _mm256_add_pd(a0, v0);
    a1 = _mm256_add_pd(a1, v1);
    q0 = _mm256_add_pd(q0, _mm256_mul_pd(v0, v0));
    q1 = _mm256_add_pd(q1, _mm256_mul_pd(v1, v1));
  }
  double t0 = add_lanes(a0, a1), t1 = add_lanes(q0, q1);
  for (; j < n; ++j) {
    const double v = double(x[j]) - shift;
    t0 += v;
    t1 += v * v;
  }
  *s0 = t0, *s1 = t1;
}

void normalize(const float* x, int64_t n, float m, float k, const float* w, const float* b, float* y) {
  const __m256 vm = _mm256_set1_ps(m), vk = _mm256_set1_ps(k);
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    __m256 v = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + j), vm), vk);
    if (w) v = _mm256_mul_ps(v, _mm256_loadu_ps(w + j));
    if (b) v = _mm256_add_ps(v, _mm256_loadu_ps(b + j));
    _mm256_storeu_ps(y + j, v);
  }
  for (; j < n; ++j) {
    float v = (x[j] - m) * k;
    if (w) v = v * w[j];
    if (b) v = v + b[j];
    y[j] = v;
  }
}

void grad_moments(const float* g, const float* x, const float* w, int64_t n, double m, double k, double* a,
                  double* b) {
  const __m256d vm = _mm256_set1_pd(m), vk = _mm256_set1_pd(k);
  __m256d a0 = _mm256_setzero_pd(), a1 = a0, b0 = a0, b1 = a0;
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    __m256d g0 = lo4(g + j), g1 = hi4(g + j);
    if (w) g0 = _mm256_mul_pd(g0, lo4(w + j)), g1 = _mm256_mul_pd(g1, hi4(w + j));
    a0 = _mm256_add_pd(a0, g0);
    a1 = _mm256_add_pd(a1, g1);
    b0 = _mm256_add_pd(b0, _mm256_mul_pd(_mm256_mul_pd(g0, _mm256_sub_pd(lo4(x + j), vm)), vk));
    b1 = _mm256_add_pd(b1, _mm256_mul_pd(_mm256_mul_pd(g1, _mm256_sub_pd(hi4(x + j), vm)), vk));
  }
  double t0 = add_lanes(a0, a1), t1 = add_lanes(b0, b1);
  for (; j < n; ++j) {
    const double gw = w ? double(g[j]) * double(w[j]) : double(g[j]);
    t0 += gw;
    t1 += gw * (double(x[j]) - m) * k;
  }
  *a = t0, *b = t1;
}

void grad_input(const float* g, const float* x, const float* w, int64_t n, float m, float k, float ma, float mb,
                float* dx) {
  const __m256 vm = _mm256_set1_ps(m), vk = _mm256_set1_ps(k), va = _mm256_set1_ps(ma), vb = _mm256_set1_ps(mb);
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    __m256 gw = _mm256_loadu_ps(g + j);
    if (w) gw = _mm256_mul_ps(gw, _mm256_loadu_ps(w + j));
    const __m256 c = _mm256_mul_ps(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + j), vm), vk), vb);
    _mm256_storeu_ps(dx + j, _mm256_mul_ps(vk, _mm256_sub_ps(_mm256_sub_ps(gw, va), c)));
  }
  for (; j < n; ++j) {
    const float gw = w ? g[j] * w[j] : g[j];
    dx[j] = k * (gw - ma - (x[j] - m) * k * mb);
  }
}

void param_grads(const float* g, const float* x, int64_t n, double m, double k, double* pw, double* pb) {
  const __m256d vm = _mm256_set1_pd(m), vk = _mm256_set1_pd(k);
  int64_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const __m256d gv = _mm256_cvtps_pd(_mm_loadu_ps(g + j));
    const __m256d xv = _mm256_cvtps_pd(_mm_loadu_ps(x + j));
    _mm256_storeu_pd(pw + j, _mm256_add_pd(_mm256_loadu_pd(pw + j),
                                           _mm256_mul_pd(_mm256_mul_pd(gv, _mm256_sub_pd(xv, vm)), vk)));
    _mm256_storeu_pd(pb + j, _mm256_add_pd(_mm256_loadu_pd(pb + j), gv));
  }
  for (; j < n; ++j) {
    pw[j] += double(g[j]) * (double(x[j]) - m) * k;
    pb[j] += double(g[j]);
  }
}

}  // namespace layer_norm_avx2
}  // namespace cpu
}  // namespace fastdl
