#include "fft.h"

#include <cmath>
#include <complex>
#include <cstring>
#include <vector>

#include "../core/parallel.h"

namespace fastdl {
namespace cpu {

namespace {

constexpr double kPi = 3.14159265358979323846264338327950288;

// exp(-2 pi i k / n) in double (then rounded once to R), k reduced mod n first so the
// angle stays small and exact-ish for large k.
template <typename R>
std::complex<R> root(int64_t k, int64_t n) {
  k %= n;
  const double a = -2.0 * kPi * static_cast<double>(k) / static_cast<double>(n);
  return {static_cast<R>(std::cos(a)), static_cast<R>(std::sin(a))};
}

// In-place forward radix-2 transform of a[0, m), m a power of two; tw[j] = root(j, m).
template <typename R>
void radix2(std::complex<R>* a, int64_t m, const std::complex<R>* tw) {
  for (int64_t i = 1, j = 0; i < m; ++i) {  // bit-reversal permutation
    int64_t bit = m >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j |= bit;
    if (i < j) std::swap(a[i], a[j]);
  }
  for (int64_t len = 2; len <= m; len <<= 1) {
    const int64_t half = len >> 1, step = m / len;
    for (int64_t i = 0; i < m; i += len) {
      for (int64_t j = 0; j < half; ++j) {
        const std::complex<R> u = a[i + j], v = a[i + j + half] * tw[j * step];
        a[i + j] = u + v;
        a[i + j + half] = u - v;
      }
    }
  }
}

// Everything a row of length n needs, computed once per call.
template <typename R>
struct Plan {
  int64_t n = 0, m = 0;  // m: the radix-2 length (n itself, or Bluestein's >= 2n - 1)
  bool bluestein = false;
  std::vector<std::complex<R>> tw;     // root(j, m), j < m / 2
  std::vector<std::complex<R>> chirp;  // exp(-i pi k^2 / n), k < n
  std::vector<std::complex<R>> kernel; // radix2 of the conjugate chirp, wrapped, / m

  explicit Plan(int64_t n_) : n(n_) {
    bluestein = (n & (n - 1)) != 0;
    m = 1;
    while (m < (bluestein ? 2 * n - 1 : n)) m <<= 1;
    tw.resize(static_cast<size_t>(m / 2 > 0 ? m / 2 : 1));
    for (int64_t j = 0; j < m / 2; ++j) tw[j] = root<R>(j, m);
    if (!bluestein) return;
    chirp.resize(static_cast<size_t>(n));
    // k^2 mod 2n in integers keeps the angle exact for large k.
    for (int64_t k = 0; k < n; ++k) {
      const int64_t k2 = static_cast<int64_t>((static_cast<unsigned __int128>(k) * k) % (2 * n));
      chirp[k] = root<R>(k2, 2 * n);
    }
    kernel.assign(static_cast<size_t>(m), std::complex<R>(0, 0));
    for (int64_t k = 0; k < n; ++k) {
      kernel[k] = std::conj(chirp[k]);
      if (k) kernel[m - k] = std::conj(chirp[k]);
    }
    radix2(kernel.data(), m, tw.data());
    const R inv = R(1) / static_cast<R>(m);
    for (auto& v : kernel) v *= inv;
  }

  // Forward transform of row (length n) in place; work: m scratch elements.
  void run(std::complex<R>* row, std::complex<R>* work) const {
    if (!bluestein) {
      radix2(row, n, tw.data());
      return;
    }
    for (int64_t k = 0; k < n; ++k) work[k] = row[k] * chirp[k];
    for (int64_t k = n; k < m; ++k) work[k] = 0;
    radix2(work, m, tw.data());
    // The inverse transform as conj(forward(conj)): the convolution with the chirp.
    for (int64_t k = 0; k < m; ++k) work[k] = std::conj(work[k] * kernel[k]);
    radix2(work, m, tw.data());
    for (int64_t k = 0; k < n; ++k) row[k] = std::conj(work[k]) * chirp[k];
  }
};

template <typename R>
void fft_rows(std::complex<R>* data, int64_t rows, int64_t n, bool inverse) {
  const Plan<R> plan(n);
  int64_t lg = 1;
  while ((int64_t(1) << lg) < plan.m) ++lg;
  parallel_for(rows, plan.m * lg, [&](int64_t begin, int64_t end) {
    std::vector<std::complex<R>> work(plan.bluestein ? static_cast<size_t>(plan.m) : 0);
    for (int64_t r = begin; r < end; ++r) {
      std::complex<R>* row = data + r * n;
      // The inverse as conj(forward(conj(x))): one forward path to get right.
      if (inverse)
        for (int64_t k = 0; k < n; ++k) row[k] = std::conj(row[k]);
      plan.run(row, work.data());
      if (inverse)
        for (int64_t k = 0; k < n; ++k) row[k] = std::conj(row[k]);
    }
  });
}

}  // namespace

void fft_c2c(const TensorArg& x, const TensorArg& out, bool inverse) {
  check_cpu("fft_c2c", x);
  check_cpu("fft_c2c", out);
  check_same_shape("fft_c2c", x, out);
  if (!is_complex(x.dtype)) fail_type("fft_c2c: expected a complex dtype, got " + describe(x));
  check_dtype("fft_c2c", out, x.dtype);
  if (x.ndim() < 1) fail_value("fft_c2c: expected at least one dim, got " + describe(x));
  if (!x.is_contiguous() || !out.is_contiguous())
    fail_value("fft_c2c: needs contiguous tensors, got " + describe(x) + " and " + describe(out));
  const int64_t numel = x.numel(), n = x.shape.back();
  if (numel == 0) return;
  // Copy (memmove: x may be out itself), then transform out in place.
  std::memmove(out.bytes(), x.bytes(), static_cast<size_t>(numel) * itemsize(x.dtype));
  if (x.dtype == DType::Complex64)
    fft_rows(reinterpret_cast<std::complex<float>*>(out.bytes()), numel / n, n, inverse);
  else
    fft_rows(reinterpret_cast<std::complex<double>*>(out.bytes()), numel / n, n, inverse);
}

}  // namespace cpu
}  // namespace fastdl
