// The running scans of one line (cumsum; cummax / cummin's positions), shared by the CPU (csrc/cpu/scan.cpp) and CUDA
// (cuda/scan.cu) kernels, so the CPU tests exercise the arithmetic the GPU runs.
#pragma once
#include <cstdint>

#include "hd.h"

namespace fastdl {
namespace scan {

// The running sum's type: float32 sums in double (as torch's CPU cumsum), so a long
// line does not drift; float64 and int64 in their own type.
template <typename T> struct Acc { using type = T; };
template <> struct Acc<float> { using type = double; };

// y[i] = x[0] + ... + x[i] along a line of n elements `stride` apart, or, reversed,
// y[i] = x[i] + ... + x[n-1] (the gradient of a cumsum). y may alias x.
template <typename T>
FASTDL_HD void cumsum_line(const T* x, T* y, int64_t n, int64_t stride, bool reverse) {
  typename Acc<T>::type acc = 0;
  for (int64_t k = 0; k < n; ++k) {
    const int64_t i = (reverse ? n - 1 - k : k) * stride;
    acc += static_cast<typename Acc<T>::type>(x[i]);
    y[i] = static_cast<T>(acc);
  }
}

// The running maximum (Largest) or minimum along a line of n elements `stride` apart and
// its position, written to values / idx with the same layout: torch's rule, element k
// takes over when it is NaN or when it is >= (<=) the running value, so ties and repeated
// NaNs go to the last occurrence, and a NaN, once seen, wins against every number (a
// comparison with a NaN running value is false). Integers run the same code (v != v is
// false for them).
template <bool Largest, typename T>
FASTDL_HD void cum_extreme_line(const T* x, T* values, int64_t* idx, int64_t n, int64_t stride) {
  T best = x[0];
  int64_t at = 0;
  values[0] = best;
  idx[0] = 0;
  for (int64_t k = 1; k < n; ++k) {
    const T v = x[k * stride];
    if (v != v || (Largest ? v >= best : v <= best)) {
      best = v;
      at = k;
    }
    values[k * stride] = best;
    idx[k * stride] = at;
  }
}

}  // namespace scan
}  // namespace fastdl
