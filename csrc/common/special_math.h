// Special functions without a std:: counterpart (erfinv, digamma, polygamma, i0, i1),
// written for both the CPU loops and the CUDA kernels (FASTDL_HD, only std:: functions that
// CUDA also has on the device: exp, log, sqrt, erf, erfc, tan, floor, pow).
// Each works in double; float callers round the double result once, so float32 results
// are correctly rounded up to the double result's few-ulp error.
#pragma once
#include <cmath>
#include <limits>
#include "hd.h"

namespace fastdl {
namespace sm {

FASTDL_HD double inf() { return std::numeric_limits<double>::infinity(); }
FASTDL_HD double nan() { return std::numeric_limits<double>::quiet_NaN(); }
constexpr double kPi = 3.141592653589793238462643;
constexpr double kSqrtPi = 1.772453850905516027298167;

// ---- erfinv / erfcinv ------------------------------------------------------------------
// A starting point within ~0.2% (the closed-form approximation of erf by
// 1 - exp(-x^2 (4/pi + a x^2) / (1 + a x^2)), a = 0.147, inverted: a quadratic in x^2),
// then Halley steps on erf (centre) or erfc (tails, where 1 - |y| is the exact q and
// erfc keeps its relative precision): each step cubes the relative error.

// x > 0 with erfc(x) = q for 0 < q <= 1, from log(q (2 - q)) = log(1 - y^2).
FASTDL_HD double erfinv_start(double log1my2) {
  const double a = 0.147, b = 2.0 / (kPi * a) + 0.5 * log1my2;
  const double x2 = std::sqrt(b * b - log1my2 / a) - b;
  return std::sqrt(x2 > 0.0 ? x2 : 0.0);
}

// Solves erfc(x) = q for q in (0, 0.5] (x >= ~0.477).
FASTDL_HD double erfc_tail_solve(double q) {
  double x = erfinv_start(std::log(q) + std::log(2.0 - q));
  for (int i = 0; i < 3; ++i) {
    const double f = std::erfc(x) - q;               // decreasing in x
    const double d = -2.0 / kSqrtPi * std::exp(-x * x);  // f'
    const double r = f / d;                          // Newton step
    x -= r / (1.0 + x * r);                          // Halley: f''/f' = -2x
  }
  return x;
}

// Solves erf(x) = y for |y| <= 0.5.
FASTDL_HD double erf_centre_solve(double y) {
  const double ay = y < 0.0 ? -y : y;
  double x = erfinv_start(std::log((1.0 - ay) * (1.0 + ay)));
  if (y < 0.0) x = -x;
  for (int i = 0; i < 3; ++i) {
    const double f = std::erf(x) - y;
    const double d = 2.0 / kSqrtPi * std::exp(-x * x);
    if (d == 0.0) break;
    const double r = f / d;
    x -= r / (1.0 + x * r);
  }
  return x;
}

// erfinv(y): +-inf at +-1, NaN outside [-1, 1]; erfinv(-0) = -0.
FASTDL_HD double erfinv(double y) {
  if (!(y >= -1.0 && y <= 1.0)) return nan();
  if (y == 1.0) return inf();
  if (y == -1.0) return -inf();
  if (y == 0.0) return y;
  if (y > 0.5) return erfc_tail_solve(1.0 - y);   // 1 - y exact (Sterbenz)
  if (y < -0.5) return -erfc_tail_solve(1.0 + y);
  return erf_centre_solve(y);
}

// erfcinv(q) = erfinv(1 - q) without losing small q: +inf at 0, -inf at 2, NaN outside [0, 2].
FASTDL_HD double erfcinv(double q) {
  if (!(q >= 0.0 && q <= 2.0)) return nan();
  if (q == 0.0) return inf();
  if (q == 2.0) return -inf();
  if (q <= 0.5) return erfc_tail_solve(q);
  if (q >= 1.5) return -erfc_tail_solve(2.0 - q);  // 2 - q exact
  return erfinv(1.0 - q);                        // exact for q in [0.5, 1.5]
}

// ---- digamma / polygamma ----------------------------------------------------------------

// digamma: -inf at +0 and +inf at -0 (torch), NaN at negative integers and -inf.
FASTDL_HD double digamma(double x) {
  if (x != x || x == -inf()) return nan();
  if (x == inf()) return x;
  if (x == 0.0) return (1.0 / x) < 0.0 ? inf() : -inf();
  double acc = 0.0;
  if (x < 0.0) {
    const double fl = std::floor(x);
    if (x == fl) return nan();
    // reflection: psi(x) = psi(1 - x) - pi / tan(pi x), tan of the exact fractional part
    acc = -kPi / std::tan(kPi * (x - fl));
    x = 1.0 - x;
  }
  while (x < 10.0) {  // psi(x) = psi(x + 1) - 1/x
    acc -= 1.0 / x;
    x += 1.0;
  }
  // asymptotic series: log x - 1/(2x) - sum B_2k / (2k x^2k), 8 terms (< 1e-17 at x >= 10)
  const double z = 1.0 / (x * x);
  const double s = z * (1.0 / 12 - z * (1.0 / 120 - z * (1.0 / 252 - z * (1.0 / 240 - z * (1.0 / 132 -
                   z * (691.0 / 32760 - z * (1.0 / 12 - z * (3617.0 / 8160))))))));
  return acc + std::log(x) - 0.5 / x - s;
}

// Hurwitz zeta(s, a) for integer s >= 2 and a not a non-positive integer: the first terms
// summed until a + N >= s + 10 (and >= 10), then Euler-Maclaurin with 12 Bernoulli terms.
FASTDL_HD double hurwitz_zeta_int(int s, double a) {
  const double kB[12] = {  // B_2j / (2j)!
      8.3333333333333333333e-2,  -1.3888888888888888889e-3, 3.3068783068783068783e-5,
      -8.2671957671957671958e-7, 2.0876756987868098979e-8,  -5.2841901386874931848e-10,
      1.3382536530684678833e-11, -3.3896802963225828668e-13, 8.5860620562778445641e-15,
      -2.174868698558061873e-16, 5.5090028283602295152e-18, -1.3954464685812523341e-19};
  const double ds = double(s);
  const double start = ds + 10.0 > 10.0 ? ds + 10.0 : 10.0;
  double sum = 0.0;
  while (a < start) {  // a > -64 here (polygamma reflects below); at most ~s + 74 terms
    sum += std::pow(a, -ds);
    a += 1.0;
    // From a > 0 on, the rest, sum_{k>=0} (a + k)^-s, is below the integral a^(1-s) / (s-1)
    // + a^-s: once that is under an ulp of the sum, stop (for large s after a few terms).
    if (a > 0.0 && sum > 0.0 && std::pow(a, 1.0 - ds) / (ds - 1.0) + std::pow(a, -ds) < 1e-17 * sum) return sum;
  }
  const double inv = 1.0 / a, inv2 = inv * inv;
  const double w = std::pow(a, -ds);  // a^-s
  sum += w * a / (ds - 1.0) + 0.5 * w;
  // term j: B_2j/(2j)! * s (s+1) ... (s+2j-2) * a^(-s-2j+1)
  double t = w * inv * ds;  // s * a^(-s-1)
  for (int j = 0; j < 12; ++j) {
    const double term = kB[j] * t;
    sum += term;
    if (term < 0 ? -term < 1e-18 * sum : term < 1e-18 * sum) break;
    t *= (ds + 2 * j + 1) * (ds + 2 * j + 2) * inv2;
  }
  return sum;
}

// polygamma(n, x) = (-1)^(n+1) n! zeta(n + 1, x) for n >= 1; n = 0 is digamma.
// At the poles (x a non-positive integer): (-1)^(n+1) inf, as torch; 0 at +inf.
FASTDL_HD double polygamma(int n, double x) {
  if (n == 0) return digamma(x);
  if (x != x || x == -inf()) return nan();
  const double sign = (n % 2) ? 1.0 : -1.0;
  if (x == inf()) return 0.0 * sign;
  if (x <= 0.0 && x == std::floor(x)) return sign * inf();
  double fact = 1.0;  // n!, inf from n = 171 (as torch's exp(lgamma(n + 1)))
  for (int k = 2; k <= n && fact != inf(); ++k) fact *= double(k);
  const int s = n + 1;
  if (x > -64.0) return sign * fact * hurwitz_zeta_int(s, x);  // the recurrence walks up from x
  // x = f - N, 0 < f < 1: sum_{k>=0} (x + k)^-s = zeta(s, f) + sum_{j=1..N} (f - j)^-s, and
  // that sum is (-1)^s (zeta(s, 1 - f) - zeta(s, N + 1 - f)): O(1) work for any x, where
  // walking up from x would take |x| steps (a hang for x = -1e9, on a GPU thread too).
  const double fl = std::floor(x), f = x - fl, N = -fl;
  const double odd = (s % 2) ? -1.0 : 1.0;  // (-1)^s
  // the two large terms first: for odd s they cancel (exactly at f = 1/2), leaving the small one intact
  const double z = (hurwitz_zeta_int(s, f) + odd * hurwitz_zeta_int(s, 1.0 - f)) - odd * hurwitz_zeta_int(s, N + 1.0 - f);
  return sign * fact * z;
}

// ---- modified Bessel functions of the first kind, orders 0 and 1 -------------------------
// |x| < 30: the power series (positive terms, no cancellation); beyond, the asymptotic
// series e^x / sqrt(2 pi x) sum_k (-1)^k prod_{j<=k} (4 nu^2 - (2j-1)^2) / (k! (8x)^k),
// whose terms shrink far below an ulp before they start to grow.

FASTDL_HD double bessel_i_asymptotic(double ax, int nu) {
  if (ax == inf()) return ax;
  const double mu = 4.0 * nu * nu;
  double term = 1.0, sum = 1.0;
  for (int k = 1; k < 40; ++k) {
    const double odd = 2.0 * k - 1.0;
    term *= -(mu - odd * odd) / (8.0 * k * ax);
    sum += term;
    if ((term < 0 ? -term : term) < 1e-17 * sum) break;
  }
  const double h = std::exp(0.5 * ax);  // e^x in two halves: no overflow before the end
  return h * (h / std::sqrt(2.0 * kPi * ax)) * sum;
}

FASTDL_HD double i0(double x) {
  const double ax = x < 0.0 ? -x : x;
  if (ax != ax) return x;
  if (ax >= 30.0) return bessel_i_asymptotic(ax, 0);
  const double q = 0.25 * ax * ax;
  double term = 1.0, sum = 1.0;
  for (int k = 1; k < 200; ++k) {
    term *= q / (double(k) * double(k));
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return sum;
}

FASTDL_HD double i1(double x) {
  const double ax = x < 0.0 ? -x : x;
  if (ax != ax) return x;
  double r;
  if (ax >= 30.0) {
    r = bessel_i_asymptotic(ax, 1);
  } else {
    const double q = 0.25 * ax * ax;
    double term = 1.0, sum = 1.0;
    for (int k = 1; k < 200; ++k) {
      term *= q / (double(k) * double(k + 1));
      sum += term;
      if (term < 1e-17 * sum) break;
    }
    r = 0.5 * ax * sum;
  }
  return x < 0.0 ? -r : r;
}

}  // namespace sm
}  // namespace fastdl
