#include "activation_rows.h"

#include "../common/elementwise_ops.h"
#include "../core/cpu_features.h"
#include "../core/errors.h"
#include "vec_math.h"

namespace fastdl {
namespace cpu {

namespace {

template <typename T, typename F>
void scalar_rows(T* v, int64_t n) {
  for (int64_t i = 0; i < n; ++i) v[i] = F{}(v[i], 0.0, 0.0);
}

void tanh_avx2(float* v, int64_t n) { vec::tanh_f32_avx2(v, v, n); }
void sigmoid_avx2(float* v, int64_t n) { vec::sigmoid_f32_avx2(v, v, n); }
void tanh_avx512(float* v, int64_t n) { vec::tanh_f32_avx512(v, v, n); }
void sigmoid_avx512(float* v, int64_t n) { vec::sigmoid_f32_avx512(v, v, n); }

// The array kernel the unary op uses for this dtype, if any (elementwise.cpp's
// vec_f32_kernel: float32 with AVX2 or AVX-512).
template <typename T>
RowActivation<T> vector_kernel(const std::string& activation) {
  if constexpr (std::is_same_v<T, float>) {
    if (use_avx512()) {
      if (activation == "tanh") return tanh_avx512;
      if (activation == "sigmoid") return sigmoid_avx512;
    }
    if (use_avx2()) {
      if (activation == "tanh") return tanh_avx2;
      if (activation == "sigmoid") return sigmoid_avx2;
    }
  }
  return nullptr;
}

}  // namespace

template <typename T>
RowActivation<T> row_activation(const std::string& activation) {
  if (activation == "none") return nullptr;
  if (RowActivation<T> f = vector_kernel<T>(activation)) return f;
  if (activation == "relu") return scalar_rows<T, ew::Relu>;
  if (activation == "tanh") return scalar_rows<T, ew::Tanh>;
  if (activation == "sigmoid") return scalar_rows<T, ew::Sigmoid>;
  fail_value("unknown activation '" + activation + "'");
}

template RowActivation<float> row_activation<float>(const std::string&);
template RowActivation<double> row_activation<double>(const std::string&);

}  // namespace cpu
}  // namespace fastdl
