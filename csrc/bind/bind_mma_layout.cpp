// _C.cpu.mma_tf32_layout(): the index math of the TF32 tensor-core GEMM
// (common/mma_tf32_layout.h, run by cuda/gemm_tf32.cu) evaluated on the CPU, so
// tests/test_tf32_layout.py checks it against the PTX fragment tables, for coverage
// and for shared-memory bank conflicts on machines without a GPU.
#include <functional>
#include <utility>

#include "common/mma_tf32_layout.h"
#include "registry.h"

using namespace fastdl;
using namespace fastdl::mma_tf32;

namespace {

// An int32 array of `shape` + (2,) holding fn(i, j) as (row, col) over [0, n0) x [0, n1).
py::array_t<int> pairs(int n0, int n1, const std::function<RowCol(int, int)>& fn) {
  py::array_t<int> out({n0, n1, 2});
  auto o = out.mutable_unchecked<3>();
  for (int i = 0; i < n0; ++i)
    for (int j = 0; j < n1; ++j) {
      const RowCol rc = fn(i, j);
      o(i, j, 0) = rc.row;
      o(i, j, 1) = rc.col;
    }
  return out;
}

// The shared-memory offset of every (mn, k) of a tile, as an int32 (kBM, kBK) array.
template <bool K_INNER>
py::array_t<int> offsets() {
  py::array_t<int> out({kBM, kBK});
  auto o = out.mutable_unchecked<2>();
  for (int mn = 0; mn < kBM; ++mn)
    for (int k = 0; k < kBK; ++k) o(mn, k) = tile_offset<K_INNER>(mn, k);
  return out;
}

}  // namespace

FASTDL_BIND(CPU, mma_tf32_layout) {
  m.def("mma_tf32_layout", [] {
    py::dict d;
    const std::pair<const char*, int> constants[] = {
        {"BM", kBM}, {"BN", kBN}, {"BK", kBK}, {"stages", kStages}, {"threads", kThreads},
        {"warps_m", kWarpsM}, {"warps_n", kWarpsN}, {"WM", kWM}, {"WN", kWN},
        {"tile_floats", kTileFloats}, {"chunks_per_thread", kChunksPerThread}};
    for (const auto& [name, value] : constants) d[name] = value;
    d["a_frag"] = pairs(32, 4, a_frag);  // [lane][i] -> (m, k)
    d["b_frag"] = pairs(32, 2, b_frag);  // [lane][i] -> (k, n)
    d["c_frag"] = pairs(32, 4, c_frag);  // [lane][i] -> (m, n)
    d["warp_origin"] = pairs(kThreads / 32, 1, [](int w, int) { return warp_origin(w); });
    d["copy_chunk_k_inner"] = pairs(kThreads, kChunksPerThread, copy_chunk<true>);  // -> (mn, k)
    d["copy_chunk_mn_inner"] = pairs(kThreads, kChunksPerThread, copy_chunk<false>);
    d["tile_offset_k_inner"] = offsets<true>();  // [mn][k] -> float offset
    d["tile_offset_mn_inner"] = offsets<false>();
    return d;
  }, "the TF32 GEMM's fragment, copy and shared-memory index math (common/mma_tf32_layout.h)");
  m.def("mma_tf32_chunk_bytes",
        [](bool k_inner, int64_t mn, int64_t k, int64_t extent, int64_t K) {
          return k_inner ? chunk_bytes<true>(mn, k, extent, K) : chunk_bytes<false>(mn, k, extent, K);
        },
        py::arg("k_inner"), py::arg("mn"), py::arg("k"), py::arg("extent"), py::arg("K"),
        "bytes of the TF32 GEMM's 16-byte copy at (mn, k) that lie inside the operand");
}
