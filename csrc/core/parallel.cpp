#include "parallel.h"

#include <cstdlib>
#include <thread>

namespace fastdl {

static int default_threads() {
  if (const char* env = std::getenv("FASTDL_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc ? static_cast<int>(hc) : 1;
}

static int g_num_threads = default_threads();

int get_num_threads() { return g_num_threads; }
void set_num_threads(int n) { g_num_threads = n < 1 ? 1 : n; }

}  // namespace fastdl
