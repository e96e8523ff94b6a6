// Row loops of float32 layer norm (norm.cpp), in an AVX2 copy (layer_norm_rows_avx2.cpp,
// compiled with -mavx2 and -ffp-contract=off). Each does the same operations in the same
// order as norm.cpp's portable loops, 8 floats (two 4-double halves) a step, so both
// give the same bits: the double sums keep norm.cpp's lane_sums layout (lane k takes
// elements k, k + 8, ...; the lanes are added 0..7, then the tail in order), and no
// multiply and add are fused. Call only when use_avx2() is true.
#pragma once
#include <cstdint>

namespace fastdl {
namespace cpu {
namespace layer_norm_avx2 {

// (sum v, sum v * v) with v = double(x[j]) - shift, j < n.
void moments(const float* x, int64_t n, double shift, double* s0, double* s1);
// y[j] = (x[j] - m) * k * w[j] + b[j]; w and b may each be null (then left out).
void normalize(const float* x, int64_t n, float m, float k, const float* w, const float* b, float* y);
// (sum gw, sum gw * (double(x[j]) - m) * k) with gw = double(g[j]) * double(w[j]) (w
// null: 1.0).
void grad_moments(const float* g, const float* x, const float* w, int64_t n, double m, double k, double* a,
                  double* b);
// dx[j] = k * (g[j] * w[j] - ma - (x[j] - m) * k * mb); w null: g[j] alone.
void grad_input(const float* g, const float* x, const float* w, int64_t n, float m, float k, float ma, float mb,
                float* dx);
// pw[j] += double(g[j]) * (double(x[j]) - m) * k; pb[j] += double(g[j]).
void param_grads(const float* g, const float* x, int64_t n, double m, double k, double* pw, double* pb);

}  // namespace layer_norm_avx2
}  // namespace cpu
}  // namespace fastdl
