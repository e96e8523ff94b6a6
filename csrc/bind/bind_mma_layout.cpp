// _C.cpu.mma_tf32_layout() and _C.cpu.mma_half_layout(): the index math of the
// tensor-core GEMMs (common/mma_tile_layout.h with mma_tf32_layout.h / mma_half_layout.h,
// run by cuda/gemm_tf32.cu and cuda/gemm_half.cu) evaluated on the CPU, so
// tests/test_tf32_layout.py and tests/test_half_gemm_layout.py check it against the
// PTX fragment tables, for coverage and for shared-memory bank conflicts on machines
// without a GPU.
#include <functional>
#include <utility>

#include "common/mma_half_layout.h"
#include "common/mma_tf32_layout.h"
#include "registry.h"

using namespace fastdl;
using mma::RowCol;

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

// The shared-memory offset (in elements) of every (mn, k) of a tile, as a (kBM, kBK) array.
template <typename Tile, bool K_INNER>
py::array_t<int> offsets() {
  py::array_t<int> out({mma::kBM, Tile::kBK});
  auto o = out.mutable_unchecked<2>();
  for (int mn = 0; mn < mma::kBM; ++mn)
    for (int k = 0; k < Tile::kBK; ++k) o(mn, k) = Tile::template offset<K_INNER>(mn, k);
  return out;
}

// What both GEMMs share: the tiling, and the staging of a Tile's operand tiles.
template <typename Tile>
py::dict tile_layout(const char* tile_elems_key) {
  py::dict d;
  const std::pair<const char*, int> constants[] = {
      {"BM", mma::kBM}, {"BN", mma::kBN}, {"BK", Tile::kBK}, {"stages", mma::kStages},
      {"threads", mma::kThreads}, {"warps_m", mma::kWarpsM}, {"warps_n", mma::kWarpsN}, {"WM", mma::kWM},
      {"WN", mma::kWN}, {tile_elems_key, Tile::kTileElems}, {"chunk", Tile::kChunk},
      {"chunks_per_thread", Tile::kChunksPerThread}};
  for (const auto& [name, value] : constants) d[name] = value;
  d["c_frag"] = pairs(32, 4, mma::c_frag);  // [lane][i] -> (m, n)
  d["warp_origin"] = pairs(mma::kThreads / 32, 1, [](int w, int) { return mma::warp_origin(w); });
  d["copy_chunk_k_inner"] = pairs(mma::kThreads, Tile::kChunksPerThread, Tile::template copy_chunk<true>);
  d["copy_chunk_mn_inner"] = pairs(mma::kThreads, Tile::kChunksPerThread, Tile::template copy_chunk<false>);
  d["chunk_step_k_inner"] = pairs(1, 1, [](int, int) { return Tile::template chunk_step<true>(); });
  d["chunk_step_mn_inner"] = pairs(1, 1, [](int, int) { return Tile::template chunk_step<false>(); });
  d["tile_offset_k_inner"] = offsets<Tile, true>();  // [mn][k] -> element offset
  d["tile_offset_mn_inner"] = offsets<Tile, false>();
  return d;
}

template <typename Tile>
int chunk_bytes(bool k_inner, int64_t mn, int64_t k, int64_t extent, int64_t K) {
  return k_inner ? Tile::template chunk_bytes<true>(mn, k, extent, K)
                 : Tile::template chunk_bytes<false>(mn, k, extent, K);
}

}  // namespace

FASTDL_BIND(CPU, mma_tf32_layout) {
  m.def("mma_tf32_layout", [] {
    py::dict d = tile_layout<mma_tf32::Tile>("tile_floats");
    d["a_frag"] = pairs(32, 4, mma_tf32::a_frag);  // [lane][i] -> (m, k)
    d["b_frag"] = pairs(32, 2, mma_tf32::b_frag);  // [lane][i] -> (k, n)
    return d;
  }, "the TF32 GEMM's fragment, copy and shared-memory index math (common/mma_tf32_layout.h)");
  m.def("mma_tf32_chunk_bytes", &chunk_bytes<mma_tf32::Tile>, py::arg("k_inner"), py::arg("mn"), py::arg("k"),
        py::arg("extent"), py::arg("K"), "bytes of the TF32 GEMM's 16-byte copy at (mn, k) that lie inside the operand");
  m.def("mma_half_layout", [] {
    py::dict d = tile_layout<mma_half::Tile>("tile_elems");
    d["a_frag"] = pairs(32, 8, mma_half::a_frag);  // [lane][i] -> (m, k)
    d["b_frag"] = pairs(32, 4, mma_half::b_frag);  // [lane][i] -> (k, n)
    for (const bool k_inner : {true, false})
      for (const bool a : {true, false})  // [lane] -> (mn, k) of the ldmatrix row it addresses
        d[py::str(std::string("ldmatrix_") + (a ? "a" : "b") + (k_inner ? "_k_inner" : "_mn_inner"))] =
            pairs(32, 1, [&](int lane, int) {
              return k_inner ? mma_half::ldmatrix_row<true>(lane, a) : mma_half::ldmatrix_row<false>(lane, a);
            });
    return d;
  }, "the fp16 / bf16 GEMM's fragment, ldmatrix, copy and shared-memory index math (common/mma_half_layout.h)");
  m.def("mma_half_chunk_bytes", &chunk_bytes<mma_half::Tile>, py::arg("k_inner"), py::arg("mn"), py::arg("k"),
        py::arg("extent"), py::arg("K"), "bytes of the fp16 / bf16 GEMM's 16-byte copy at (mn, k) inside the operand");
}
