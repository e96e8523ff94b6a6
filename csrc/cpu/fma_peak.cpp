// fma_peak_gflops: the machine's measured float32 FMA ceiling, for quoting GEMM rates
// as a fraction of what the cores can do (bench/bench_gemm.py, fastdl.bench).
#include <algorithm>
#include <atomic>
#include <ctime>
#include <vector>

#include "../core/cpu_features.h"
#include "../core/errors.h"
#include "../core/parallel.h"
#include "gemm.h"

namespace fastdl {
namespace cpu {

namespace {
// CPU time of the calling thread: unlike wall time, it does not count the time the
// thread spends descheduled, so the figure is the cores' rate even on a busy machine.
double thread_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}
}  // namespace

double fma_peak_gflops(int threads) {
  if (!cpu_has_avx2_fma()) fail_value("fma_peak_gflops: this CPU has no AVX2+FMA");
  if (threads < 1) fail_value("fma_peak_gflops: threads must be >= 1");
  constexpr int64_t kIters = 1 << 20;            // ~200 M flops per thread: ~2 ms
  // 12 FMAs per iteration of 8 lanes (ymm), or 16 (zmm) where the GEMM runs AVX-512
  const bool zmm = use_avx512();
  const double flops = double(kIters) * 12 * (zmm ? 16 : 8) * 2;
  const int before = get_num_threads();
  set_num_threads(threads);
  // Each of `threads` pieces times its own loop; the peak is the sum of their rates,
  // best of several rounds (round 0 warms up the pool and the clock frequency; on a
  // shared VM a vCPU is sometimes not running when its thread is, so take many: one
  // run here read half the peak with 8 rounds).
  std::vector<double> rate(static_cast<size_t>(threads));
  std::atomic<float> sink{0.f};
  double best = 0;
  for (int round = 0; round < 32; ++round) {
    parallel_for(threads, kGrainSize, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const double t0 = thread_seconds();
        sink.store(zmm ? gemm_ukr::fma_probe_avx512(kIters) : gemm_ukr::fma_probe_avx2(kIters),
                   std::memory_order_relaxed);
        rate[static_cast<size_t>(i)] = flops / (thread_seconds() - t0) / 1e9;
      }
    });
    double sum = 0;
    for (double r : rate) sum += r;
    if (round > 0) best = std::max(best, sum);
  }
  set_num_threads(before);
  return best;
}

}  // namespace cpu
}  // namespace fastdl
