#include "cpu_features.h"

#include <atomic>
#include <cstdlib>
#include <unistd.h>

namespace fastdl {

bool cpu_has_avx2_fma() {
#if defined(__x86_64__) || defined(__i386__)
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
#else
  return false;
#endif
}

// libgcc's check includes the OS's support for the zmm / opmask state (XCR0).
bool cpu_has_avx512f() {
#if defined(__x86_64__) || defined(__i386__)
  static const bool has = cpu_has_avx2_fma() && __builtin_cpu_supports("avx512f");
  return has;
#else
  return false;
#endif
}

bool cpu_has_f16c() {
#if defined(__x86_64__) || defined(__i386__)
  static const bool has = __builtin_cpu_supports("f16c");
  return has;
#else
  return false;
#endif
}

long cpu_l2_cache_bytes() {
#ifdef _SC_LEVEL2_CACHE_SIZE
  static const long bytes = sysconf(_SC_LEVEL2_CACHE_SIZE);  // glibc: from cpuid
  return bytes > 0 ? bytes : 0;
#else
  return 0;
#endif
}

static bool initial_choice() {
  const char* env = std::getenv("FASTDL_DISABLE_AVX2");
  if (env && env[0] && env[0] != '0') return false;
  return cpu_has_avx2_fma();
}

static bool initial_avx512_choice() {
  const char* env = std::getenv("FASTDL_DISABLE_AVX512");
  if (env && env[0] && env[0] != '0') return false;
  return cpu_has_avx512f();
}

// Atomic: kernels running without the GIL read it while another thread may set it.
static std::atomic<bool> g_use_avx2{initial_choice()};
static std::atomic<bool> g_use_avx512{initial_avx512_choice()};

bool use_avx2() { return g_use_avx2.load(std::memory_order_relaxed); }
void set_use_avx2(bool on) { g_use_avx2.store(on && cpu_has_avx2_fma(), std::memory_order_relaxed); }
bool use_avx512() { return use_avx2() && g_use_avx512.load(std::memory_order_relaxed); }
void set_use_avx512(bool on) { g_use_avx512.store(on && cpu_has_avx512f(), std::memory_order_relaxed); }

}  // namespace fastdl
