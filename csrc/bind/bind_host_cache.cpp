#include "registry.h"
#include "../core/host_allocator.h"

using namespace fastdl;

FASTDL_BIND(Top, host_cache) {
  m.def("host_cache_stats", [] {
    const HostCacheStats s = host_cache_stats();
    py::dict d;
    d["cached_bytes"] = s.cached_bytes;
    d["limit_bytes"] = s.limit_bytes;
    d["hits"] = s.hits;
    d["misses"] = s.misses;
    d["min_cached_bytes"] = static_cast<int64_t>(kMinCachedBytes);
    return d;
  });
  m.def("host_cache_empty", &host_cache_empty);
  m.def("host_cache_set_limit", &host_cache_set_limit, py::arg("bytes"));
}
