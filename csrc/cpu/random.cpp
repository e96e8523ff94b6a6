#include "random.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "../common/philox.h"
#include "../core/cpu_features.h"
#include "../core/parallel.h"
#include "philox_avx2.h"
#include "philox_avx512.h"

namespace fastdl {
namespace cpu {

namespace {

// Empty views count as contiguous whatever their strides (NumPy gives them 0).
bool dense(const TensorArg& t) { return t.numel() == 0 || t.is_contiguous(); }

// Checks shared by all random kernels; returns the number of counters `n` will use.
int64_t check_random_out(const char* op, const TensorArg& out, int64_t offset) {
  check_cpu(op, out);
  if (!dense(out)) fail_value(std::string(op) + ": out must be contiguous, got " + describe(out));
  if (offset < 0) fail_value(std::string(op) + ": offset must be non-negative, got " + std::to_string(offset));
  int64_t n = out.numel();
  if (n > std::numeric_limits<int64_t>::max() - offset)
    fail_value(std::string(op) + ": offset " + std::to_string(offset) + " overflows with " + describe(out));
  return n;
}

// Philox words of 32 consecutive counters: the AVX-512 generator where the CPU has it
// (1.6 against 2.3 ns per counter in a C++ loop; 2^20 values at 1 thread: rand 3.7 -> 3.5
// ms, dropout's mask 3.8-4.2 -> 3.5-3.8, randint 3.4-3.6 -> 2.9-3.1), else AVX2's; the same
// words. Call only when use_avx2().
using Draw32 = void (*)(uint64_t, uint64_t, uint32_t (&)[4][4][8]);
Draw32 best_draw32() { return use_avx512() ? &philox_avx512::draw32 : &philox_avx2::draw32; }

philox::U4 lane(const uint32_t (&w)[4][8], int l) { return philox::U4{{w[0][l], w[1][l], w[2][l], w[3][l]}}; }

// out[i] = f(draw(seed, offset + i)): one counter per element, any thread split. With
// AVX2 the generator runs 32 (then 8) counters at a time (the same words), and
// block(w, o) writes the 32 values of a block's words w (f's values, in vector code where
// an op has it).
template <typename T, typename F, typename Block>
int64_t fill_random(const char* op, const TensorArg& out, uint64_t seed, int64_t offset, F f, Block block) {
  int64_t n = check_random_out(op, out, offset);
  T* o = out.data<T>();
  const bool avx2 = use_avx2();
  const auto draw32 = best_draw32();
  parallel_for(n, 16, [&](int64_t b, int64_t e) {
    int64_t i = b;
    if (avx2) {
      for (uint32_t w[4][4][8]; i + 32 <= e; i += 32) {
        draw32(seed, static_cast<uint64_t>(offset + i), w);
        block(w, o + i);
      }
      for (uint32_t w[4][8]; i + 8 <= e; i += 8) {
        philox_avx2::draw8(seed, static_cast<uint64_t>(offset + i), w);
        for (int l = 0; l < 8; ++l) o[i + l] = f(lane(w, l));
      }
    }
    for (; i < e; ++i) o[i] = f(philox::draw(seed, static_cast<uint64_t>(offset + i)));
  });
  return offset + n;
}

template <typename T, typename F>
int64_t fill_random(const char* op, const TensorArg& out, uint64_t seed, int64_t offset, F f) {
  return fill_random<T>(op, out, seed, offset, f, [&](const uint32_t (&w)[4][4][8], T* o) {
    for (int k = 0; k < 32; ++k) o[k] = f(lane(w[k / 8], k % 8));
  });
}

}  // namespace

int64_t random_uniform(const TensorArg& out, uint64_t seed, int64_t offset, double low, double high) {
  if (!(std::isfinite(low) && std::isfinite(high) && low <= high))
    fail_value("random_uniform: need finite low <= high, got [" + std::to_string(low) + ", " +
               std::to_string(high) + ")");
  int64_t next = 0;
  FASTDL_DISPATCH_FLOAT(out.dtype, "random_uniform", [&] {
    using T = scalar_t;
    const T lo = static_cast<T>(low), hi = static_cast<T>(high);
    // low + (high-low)*u can round up to high; step back one ulp to keep [low, high).
    const T below_hi = lo < hi ? std::nextafter(hi, lo) : lo;
    auto value = [=](const philox::U4& w) {
      double u = sizeof(T) == 4 ? static_cast<double>(philox::uniform_f32(w)) : philox::uniform_f64(w);
      T v = static_cast<T>(low + (high - low) * u);
      return v < hi ? v : below_hi;
    };
    // blocks of 32 on AVX2 lanes, the same bits (2^20 floats at 1 thread: 3.53 -> 2.13 ms; torch 2.5)
    next = fill_random<T>("random_uniform", out, seed, offset, value, [=](const uint32_t (&w)[4][4][8], T* o) {
      philox_avx2::uniform32(w, low, high, hi, below_hi, o);
    });
  })
  return next;
}

int64_t random_normal(const TensorArg& out, uint64_t seed, int64_t offset, double mean, double std) {
  if (!(std::isfinite(mean) && std::isfinite(std) && std >= 0))
    fail_value("random_normal: need finite mean and std >= 0, got mean " + std::to_string(mean) +
               ", std " + std::to_string(std));
  int64_t next = 0;
  FASTDL_DISPATCH_FLOAT(out.dtype, "random_normal", [&] {
    using T = scalar_t;
    const int64_t n = check_random_out("random_normal", out, offset);
    T* o = out.data<T>();
    const bool avx2 = use_avx2();
    parallel_for(n, 16, [&](int64_t b, int64_t e) {
      int64_t i = b;
      // 32 (then 8) counters at a time, log and cos vectorised too. The AVX-512 words make
      // it slower, though alone they take half the time (2^20 normals at 1 thread: 5.4 ->
      // 5.9 ms; a C++ loop 6.1 -> 5.8 where the words alone go 3.25 -> 1.65): alternating
      // zmm integer multiplies with the ymm double arithmetic costs more than it saves.
      if (avx2) {
        for (double z[32]; i + 32 <= e; i += 32) {
          philox_avx2::normal32(seed, static_cast<uint64_t>(offset + i), z);
          for (int l = 0; l < 32; ++l) o[i + l] = static_cast<T>(mean + std * z[l]);
        }
        for (double z[8]; i + 8 <= e; i += 8) {
          philox_avx2::normal8(seed, static_cast<uint64_t>(offset + i), z);
          for (int l = 0; l < 8; ++l) o[i + l] = static_cast<T>(mean + std * z[l]);
        }
      }
      for (; i < e; ++i)
        o[i] = static_cast<T>(mean + std * philox::normal_f64(philox::draw(seed, static_cast<uint64_t>(offset + i))));
    });
    next = offset + n;
  })
  return next;
}

int64_t random_int(const TensorArg& out, uint64_t seed, int64_t offset, int64_t low, int64_t high) {
  if (low >= high)
    fail_value("random_int: need low < high, got [" + std::to_string(low) + ", " + std::to_string(high) + ")");
  const uint64_t range = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
  int64_t next = 0;
  FASTDL_DISPATCH_NUMERIC(out.dtype, "random_int", [&] {
    using T = scalar_t;
    next = fill_random<T>("random_int", out, seed, offset, [=](const philox::U4& w) {
      return static_cast<T>(philox::int_in_range(w, low, range));
    });
  })
  return next;
}

int64_t bernoulli(const TensorArg& out, uint64_t seed, int64_t offset, double p) {
  if (!(p >= 0.0 && p <= 1.0)) fail_value("bernoulli: p must be in [0, 1], got " + std::to_string(p));
  int64_t next = 0;
  FASTDL_DISPATCH_ALL(out.dtype, "bernoulli", [&] {
    using T = scalar_t;
    // uniform_f64(w) < p, i.e. top53 < p 2^53, as an integer test whose 0 / 1 is the sign
    // bit of top53 - limit: compiled as a compare and select, it was a branch taken at
    // random (half the time at p = 0.5), ~3x the generator's own cost.
    const uint64_t limit = static_cast<uint64_t>(std::ceil(p * 0x1.0p53));
    next = fill_random<T>("bernoulli", out, seed, offset, [=](const philox::U4& w) {
      const uint64_t top53 = philox::bits64(w.v[0], w.v[1]) >> 11;
      return static_cast<T>(static_cast<int>((top53 - limit) >> 63));
    });
  })
  return next;
}

int64_t randperm(const TensorArg& out, uint64_t seed, int64_t offset) {
  check_dtype("randperm", out, DType::Int64);
  if (out.ndim() != 1) fail_value("randperm: out must be 1-D, got " + describe(out));
  const int64_t n = check_random_out("randperm", out, offset);
  int64_t* o = out.data<int64_t>();
  for (int64_t i = 0; i < n; ++i) o[i] = i;
  // Fisher-Yates from the top: step k (k = 0..n-2) swaps slot n-1-k with a uniform
  // slot in [0, n-1-k], drawn from counter offset + k.
  for (int64_t k = 0; k + 1 < n; ++k) {
    const int64_t i = n - 1 - k;
    const int64_t j = philox::int_in_range(philox::draw(seed, static_cast<uint64_t>(offset + k)), 0,
                                           static_cast<uint64_t>(i + 1));
    std::swap(o[i], o[j]);
  }
  return offset + n;
}

void arange(const TensorArg& out, double start, double step) {
  check_cpu("arange", out);
  if (out.ndim() != 1) fail_value("arange: out must be 1-D, got " + describe(out));
  if (!(std::isfinite(start) && std::isfinite(step)))
    fail_value("arange: start and step must be finite, got " + std::to_string(start) + ", " + std::to_string(step));
  const int64_t n = out.shape[0], s = out.strides[0];
  // |x| < 2^63 is exactly the doubles that convert to int64 without overflow.
  auto integral = [](double v) { return std::floor(v) == v && std::fabs(v) < 0x1.0p63; };
  if (out.dtype == DType::Int64 && n > 0) {
    // Both ends must fit in int64 (the sequence is monotone, so the rest does too).
    const double last = start + static_cast<double>(n - 1) * step;
    int64_t exact_last = 0;
    bool ok = integral(start) && integral(step)
                  ? !__builtin_mul_overflow(static_cast<int64_t>(step), n - 1, &exact_last) &&
                        !__builtin_add_overflow(exact_last, static_cast<int64_t>(start), &exact_last)
                  : std::fabs(start) < 0x1.0p63 && std::fabs(last) < 0x1.0p63;
    if (!ok) fail_value("arange: values overflow int64 for " + describe(out));
  }
  if (out.dtype == DType::Int64 && integral(start) && integral(step)) {
    int64_t* o = out.data<int64_t>();
    const int64_t a = static_cast<int64_t>(start), d = static_cast<int64_t>(step);
    parallel_for(n, 1, [&](int64_t b, int64_t e) {
      // a running value instead of a + i * d: AVX2 has adds of int64 lanes but no products
      int64_t v = a + b * d;
      if (s == 1) {
        for (int64_t i = b; i < e; ++i, v += d) o[i] = v;
      } else {
        for (int64_t i = b; i < e; ++i, v += d) o[i * s] = v;
      }
    });
    return;
  }
  FASTDL_DISPATCH_NUMERIC(out.dtype, "arange", [&] {
    using T = scalar_t;  // int64 here means a non-integral start/step: truncate
    T* o = out.data<T>();
    parallel_for(n, 1, [&](int64_t b, int64_t e) {
      // an int32 counter where it fits: x86 converts int32 lanes to double, not int64 ones
      if (s == 1 && e <= INT32_MAX) {
        for (int32_t i = static_cast<int32_t>(b); i < static_cast<int32_t>(e); ++i)
          o[i] = static_cast<T>(start + static_cast<double>(i) * step);
      } else {
        for (int64_t i = b; i < e; ++i) o[i * s] = static_cast<T>(start + static_cast<double>(i) * step);
      }
    });
  })
}

std::array<uint32_t, 4> philox4x32_10(std::array<uint32_t, 4> counter, std::array<uint32_t, 2> key) {
  philox::U4 c = {{counter[0], counter[1], counter[2], counter[3]}};
  philox::U4 r = philox::philox4x32_10(c, key[0], key[1]);
  return {r.v[0], r.v[1], r.v[2], r.v[3]};
}

}  // namespace cpu
}  // namespace fastdl
