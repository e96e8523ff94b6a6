// _C.cpu.wgmma_layout() and _C.cpu.wgmma_smem_desc(): the sm_90a GEMM's bit and index
// math (common/wgmma_layout.h, run by cuda/gemm_wgmma.cu) evaluated on the CPU, so
// tests/test_wgmma_layout.py checks it against models of TMA and wgmma from the PTX ISA
// on machines without a GPU (the kernel itself has not run anywhere yet).
#include <utility>

#include "common/wgmma_layout.h"
#include "registry.h"

using namespace fastdl;

namespace {

// (rows, kBK) int64 array of tile_offset over mn < rows, k < kBK.
py::array_t<int64_t> tile_offsets(bool k_major, int rows) {
  py::array_t<int64_t> out({rows, wgmma::kBK});
  auto o = out.mutable_unchecked<2>();
  for (int mn = 0; mn < rows; ++mn)
    for (int k = 0; k < wgmma::kBK; ++k) o(mn, k) = wgmma::tile_offset(k_major, mn, k);
  return out;
}

}  // namespace

FASTDL_BIND(CPU, wgmma_layout) {
  m.def("wgmma_layout", [] {
    py::dict d;
    const std::pair<const char*, int> constants[] = {
        {"BM", wgmma::kBM}, {"BN", wgmma::kBN}, {"BK", wgmma::kBK}, {"stages", wgmma::kStages},
        {"box", wgmma::kBox}, {"box_bytes", wgmma::kBoxBytes}, {"instr_m", wgmma::kInstrM},
        {"instr_n", wgmma::kInstrN}, {"instr_k", wgmma::kInstrK}, {"consumers", wgmma::kConsumers},
        {"threads", wgmma::kThreads}, {"stage_bytes", wgmma::kStageBytes}, {"a_bytes", wgmma::kABytes},
        {"acc", wgmma::kAcc}, {"swizzle_128b", static_cast<int>(wgmma::kSwizzle128B)}};
    for (const auto& [name, value] : constants) d[name] = value;
    for (const bool k_major : {true, false}) {
      const char* suffix = k_major ? "_k_major" : "_mn_major";
      d[py::str(std::string("tile_offset") + suffix)] = tile_offsets(k_major, wgmma::kBN);  // [mn][k] -> byte
      d[py::str(std::string("lbo") + suffix)] = wgmma::desc_lbo(k_major);
      d[py::str(std::string("sbo") + suffix)] = wgmma::desc_sbo(k_major);
    }
    py::array_t<int> acc({128, wgmma::kAcc, 2});  // [thread][i] -> (row, col) of C in the 64 x kBN tile
    auto a = acc.mutable_unchecked<3>();
    for (int t = 0; t < 128; ++t)
      for (int i = 0; i < wgmma::kAcc; ++i) {
        const wgmma::RowCol rc = wgmma::acc_coord(t, i);
        a(t, i, 0) = rc.row;
        a(t, i, 1) = rc.col;
      }
    d["acc_coord"] = acc;
    return d;
  }, "the sm_90a wgmma GEMM's tile, swizzle and fragment math (common/wgmma_layout.h)");
  m.def("wgmma_swizzle128", &wgmma::swizzle128, py::arg("offset"));
  m.def("wgmma_smem_desc", &wgmma::smem_desc, py::arg("addr"), py::arg("lbo"), py::arg("sbo"), py::arg("swizzle"),
        "the 64-bit wgmma shared-memory matrix descriptor");
  m.def("wgmma_desc_start", &wgmma::desc_start, py::arg("k_major"), py::arg("mn0"), py::arg("k0"));
  m.def("wgmma_box_coord", [](bool k_major, int64_t mn0, int64_t k0, int j) {
    const wgmma::BoxCoord c = wgmma::box_coord(k_major, mn0, k0, j);
    return std::make_pair(c.inner, c.outer);
  }, py::arg("k_major"), py::arg("mn0"), py::arg("k0"), py::arg("j"), "(inner, outer) tensor-map coordinates of box j");
}
