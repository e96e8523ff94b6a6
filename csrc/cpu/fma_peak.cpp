// fma_peak_gflops: the machine's measured float32 FMA ceiling, for quoting GEMM rates
// as a fraction of what the cores can do (bench/bench_gemm.py, fastdl.bench).
#include <algorithm>
#include <atomic>
#include <chrono>

#include "../core/cpu_features.h"
#include "../core/errors.h"
#include "../core/parallel.h"
#include "gemm.h"

namespace fastdl {
namespace cpu {

double fma_peak_gflops(int threads) {
  if (!cpu_has_avx2_fma()) fail_value("fma_peak_gflops: this CPU has no AVX2+FMA");
  if (threads < 1) fail_value("fma_peak_gflops: threads must be >= 1");
  constexpr int64_t kIters = 1 << 21;        // ~400 M flops per thread: a few ms
  constexpr double kFlopsPerIter = 12 * 8 * 2;  // 12 ymm FMAs of 8 lanes
  const int before = get_num_threads();
  set_num_threads(threads);
  std::atomic<float> sink{0.f};
  double best = 0;
  for (int rep = 0; rep < 8; ++rep) {  // rep 0 warms up the pool and the clock
    const auto t0 = std::chrono::steady_clock::now();
    parallel_for(threads, kGrainSize, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) sink.store(gemm_ukr::fma_probe_avx2(kIters));
    });
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (rep > 0) best = std::max(best, threads * kIters * kFlopsPerIter / s / 1e9);
  }
  set_num_threads(before);
  return best;
}

}  // namespace cpu
}  // namespace fastdl
