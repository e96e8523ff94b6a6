// The optimizers' elementwise loops (optim.cpp's fused steps), compiled twice: in
// optim.cpp for any x86-64 CPU and in optim_avx2.cpp with AVX2 and -ffp-contract=off
// (CMakeLists.txt), which keeps every multiply and add a separately rounded operation
// (no FMA), so both give the same bits and only the vector width differs.
// The loops live in an anonymous namespace, so each of those files has its own copy:
// a shared inline template would let the linker keep the AVX2 copy for both.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>

#if defined(__AVX__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace fastdl {
namespace cpu {

template <typename T>
struct SgdScalars { T sign, wd, mom, damp1, neg_lr; };

template <typename T>
struct AdamScalars { T sign, wd, decay, w1, b2, one_minus_b2, bc2s, eps, neg_step; };

template <typename T>
struct RmspropScalars { T sign, wd, alpha, w, eps, mom, neg_lr; };

struct SgdFlags { bool wd, mom, nest, init; };
struct AdamFlags { bool l2, ams, low; };
struct RmspropFlags { bool wd, cent, mom, low; };

// The AVX2 copies of the *_rows functions below (optim_avx2.cpp; float and double).
template <typename T>
void sgd_rows_avx2(T* p, const T* g, T* buf, int64_t b, int64_t e, SgdScalars<T> s, SgdFlags f);
template <typename T>
void adam_rows_avx2(T* p, const T* g, T* m, T* v, T* vmax, int64_t b, int64_t e, AdamScalars<T> s, AdamFlags f);
template <typename T>
void rmsprop_rows_avx2(T* p, const T* g, T* sq, T* ga, T* buf, int64_t b, int64_t e, RmspropScalars<T> s,
                       RmspropFlags f);

namespace {

// Turns runtime flags into compile-time ones so that each inner loop is branch-free
// and vectorisable.
template <typename F>
void with_flag(bool b, F&& f) {
  if (b) f(std::true_type{});
  else f(std::false_type{});
}

// torch.lerp's formula, whose branch (weight < 0.5) is fixed per call.
template <typename T, bool LOW>
inline T lerp(T self, T end, T w) {
  if constexpr (LOW) return self + w * (end - self);
  else return end - (end - self) * (T(1) - w);
}

// torch.maximum: NaN in either operand wins.
template <typename T>
inline T nan_max(T a, T b) {
  return a != a ? a : (b != b ? b : (a > b ? a : b));
}

// x[i] = sqrt(x[i]). std::sqrt's errno branch keeps loops that call it scalar (the
// build does not pass -fno-math-errno), so Adam and RMSprop run in blocks: a
// vectorised pass up to the square root, this pass, a vectorised pass after it. The
// SSE2 instructions round exactly like std::sqrt and give the same NaN for x < 0.
constexpr int64_t kBlock = 256;

template <typename T>
void sqrt_block(T* x, int64_t n) {
  int64_t i = 0;
#if defined(__AVX__)
  if constexpr (std::is_same_v<T, float>) {
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_sqrt_ps(_mm256_loadu_ps(x + i)));
  } else {
    for (; i + 4 <= n; i += 4) _mm256_storeu_pd(x + i, _mm256_sqrt_pd(_mm256_loadu_pd(x + i)));
  }
#elif defined(__SSE2__)
  if constexpr (std::is_same_v<T, float>) {
    for (; i + 4 <= n; i += 4) _mm_storeu_ps(x + i, _mm_sqrt_ps(_mm_loadu_ps(x + i)));
  } else {
    for (; i + 2 <= n; i += 2) _mm_storeu_pd(x + i, _mm_sqrt_pd(_mm_loadu_pd(x + i)));
  }
#endif
  for (; i < n; ++i) x[i] = std::sqrt(x[i]);
}

// The loops below are separate functions so that their scalars are values in
// registers and their arrays __restrict: the compiler then vectorises them (captured
// references to float scalars would be reloaded after every float store).

template <typename T, bool WD, bool MOM, bool NEST, bool INIT>
void sgd_range(T* __restrict p, const T* __restrict g0, T* __restrict buf, int64_t b, int64_t e,
               SgdScalars<T> s) {
  for (int64_t i = b; i < e; ++i) {
    T g = s.sign * g0[i];
    if constexpr (WD) g = g + s.wd * p[i];
    if constexpr (MOM) {
      T m;
      if constexpr (INIT) m = g;
      else m = buf[i] * s.mom + s.damp1 * g;
      buf[i] = m;
      if constexpr (NEST) g = g + s.mom * m;
      else g = m;
    }
    p[i] = p[i] + s.neg_lr * g;
  }
}

template <typename T, bool L2, bool AMS, bool LOW>
void adam_range(T* __restrict p, const T* __restrict g0, T* __restrict m, T* __restrict v, T* __restrict vmax,
                int64_t b, int64_t e, AdamScalars<T> s) {
  T root[kBlock];
  for (int64_t b0 = b; b0 < e; b0 += kBlock) {
    const int64_t n = std::min<int64_t>(kBlock, e - b0);
    T *pb = p + b0, *mb = m + b0, *vb = v + b0, *vmaxb = AMS ? vmax + b0 : nullptr;
    const T* gb = g0 + b0;
    for (int64_t i = 0; i < n; ++i) {
      T g = s.sign * gb[i];
      if constexpr (L2) g = g + s.wd * pb[i];
      mb[i] = lerp<T, LOW>(mb[i], g, s.w1);
      const T vi = vb[i] * s.b2 + s.one_minus_b2 * g * g;
      vb[i] = vi;
      if constexpr (AMS) {
        vmaxb[i] = nan_max(vmaxb[i], vi);
        root[i] = vmaxb[i];
      } else {
        root[i] = vi;
      }
    }
    sqrt_block(root, n);
    for (int64_t i = 0; i < n; ++i) {
      const T denom = root[i] / s.bc2s + s.eps;
      pb[i] = pb[i] * s.decay + s.neg_step * mb[i] / denom;
    }
  }
}

template <typename T, bool WD, bool CENT, bool MOM, bool LOW>
void rmsprop_range(T* __restrict p, const T* __restrict g0, T* __restrict sq, T* __restrict ga, T* __restrict buf,
                   int64_t b, int64_t e, RmspropScalars<T> s) {
  T root[kBlock];
  for (int64_t b0 = b; b0 < e; b0 += kBlock) {
    const int64_t n = std::min<int64_t>(kBlock, e - b0);
    T *pb = p + b0, *sqb = sq + b0, *gab = CENT ? ga + b0 : nullptr, *bufb = MOM ? buf + b0 : nullptr;
    const T* gb = g0 + b0;
    // the decayed gradient is recomputed in the second pass (p is not yet updated)
    auto grad = [&](int64_t i) {
      T g = s.sign * gb[i];
      if constexpr (WD) g = g + s.wd * pb[i];
      return g;
    };
    for (int64_t i = 0; i < n; ++i) {
      const T g = grad(i);
      const T sqi = sqb[i] * s.alpha + s.w * g * g;
      sqb[i] = sqi;
      if constexpr (CENT) {
        const T gi = lerp<T, LOW>(gab[i], g, s.w);
        gab[i] = gi;
        root[i] = sqi + T(-1) * gi * gi;
      } else {
        root[i] = sqi;
      }
    }
    sqrt_block(root, n);
    for (int64_t i = 0; i < n; ++i) {
      const T g = grad(i), avg = root[i] + s.eps;
      if constexpr (MOM) {
        const T mi = bufb[i] * s.mom + g / avg;
        bufb[i] = mi;
        pb[i] = pb[i] + s.neg_lr * mi;
      } else {
        pb[i] = pb[i] + s.neg_lr * g / avg;
      }
    }
  }
}

// Runtime flags -> the branch-free instance of each loop, over elements [b, e).
template <typename T>
void sgd_rows(T* p, const T* g, T* buf, int64_t b, int64_t e, SgdScalars<T> s, SgdFlags f) {
  with_flag(f.wd, [&](auto WD) {
    with_flag(f.mom, [&](auto MOM) {
      with_flag(f.nest, [&](auto NEST) {
        with_flag(f.init, [&](auto INIT) { sgd_range<T, WD.value, MOM.value, NEST.value, INIT.value>(p, g, buf, b, e, s); });
      });
    });
  });
}

template <typename T>
void adam_rows(T* p, const T* g, T* m, T* v, T* vmax, int64_t b, int64_t e, AdamScalars<T> s, AdamFlags f) {
  with_flag(f.l2, [&](auto L2) {
    with_flag(f.ams, [&](auto AMS) {
      with_flag(f.low, [&](auto LOW) { adam_range<T, L2.value, AMS.value, LOW.value>(p, g, m, v, vmax, b, e, s); });
    });
  });
}

template <typename T>
void rmsprop_rows(T* p, const T* g, T* sq, T* ga, T* buf, int64_t b, int64_t e, RmspropScalars<T> s,
                  RmspropFlags f) {
  with_flag(f.wd, [&](auto WD) {
    with_flag(f.cent, [&](auto CENT) {
      with_flag(f.mom, [&](auto MOM) {
        with_flag(f.low, [&](auto LOW) {
          rmsprop_range<T, WD.value, CENT.value, MOM.value, LOW.value>(p, g, sq, ga, buf, b, e, s);
        });
      });
    });
  });
}

}  // namespace
}  // namespace cpu
}  // namespace fastdl
