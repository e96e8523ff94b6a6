// _C.cpu.wgmma_layout() and _C.cpu.wgmma_smem_desc(): the sm_90a GEMM's bit and index
// math (common/wgmma_layout.h, run by cuda/gemm_wgmma.cu) evaluated on the CPU, so
// tests/test_wgmma_layout.py checks it against models of TMA and wgmma from the PTX ISA
// on machines without a GPU (the kernel itself has not run anywhere yet).
#include <string>
#include <utility>
#include <vector>

#include "common/wgmma_layout.h"
#include "core/errors.h"
#include "registry.h"

using namespace fastdl;

namespace {

// (rows, stage_k) int64 array of tile_offset over mn < rows, k < stage_k.
py::array_t<int64_t> tile_offsets(bool k_major, int rows, int elem_bytes) {
  const int kk = wgmma::stage_k(elem_bytes);
  py::array_t<int64_t> out({rows, kk});
  auto o = out.mutable_unchecked<2>();
  for (int mn = 0; mn < rows; ++mn)
    for (int k = 0; k < kk; ++k) o(mn, k) = wgmma::tile_offset(k_major, mn, k, elem_bytes);
  return out;
}

void check_elem_bytes(int elem_bytes) {
  if (elem_bytes != 2 && elem_bytes != 4)
    fail_value("wgmma_layout: elem_bytes must be 2 or 4, got " + std::to_string(elem_bytes));
}

}  // namespace

FASTDL_BIND(CPU, wgmma_layout) {
  m.def("wgmma_layout", [](int elem_bytes) {
    check_elem_bytes(elem_bytes);
    py::dict d;
    const std::pair<const char*, int> constants[] = {
        {"BM", wgmma::kBM}, {"BN", wgmma::kBN}, {"BK", wgmma::stage_k(elem_bytes)}, {"stages", wgmma::kStages},
        {"box", wgmma::kBox}, {"box_bytes", wgmma::kBoxBytes}, {"row_bytes", wgmma::kRowBytes},
        {"instr_m", wgmma::kInstrM}, {"instr_n", wgmma::kInstrN}, {"instr_k", wgmma::instr_k(elem_bytes)},
        {"consumers", wgmma::kConsumers}, {"threads", wgmma::kThreads}, {"stage_bytes", wgmma::kStageBytes},
        {"a_bytes", wgmma::kABytes}, {"acc", wgmma::kAcc}, {"swizzle_128b", static_cast<int>(wgmma::kSwizzle128B)},
        {"elem_bytes", elem_bytes}};
    for (const auto& [name, value] : constants) d[name] = value;
    for (const bool k_major : {true, false}) {
      const char* suffix = k_major ? "_k_major" : "_mn_major";
      d[py::str(std::string("tile_offset") + suffix)] = tile_offsets(k_major, wgmma::kBN, elem_bytes);  // [mn][k]
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
  }, py::arg("elem_bytes") = 2, "the sm_90a wgmma GEMM's tile, swizzle and fragment math (common/wgmma_layout.h)");
  m.def("wgmma_swizzle128", &wgmma::swizzle128, py::arg("offset"));
  m.def("wgmma_smem_desc", &wgmma::smem_desc, py::arg("addr"), py::arg("lbo"), py::arg("sbo"), py::arg("swizzle"),
        "the 64-bit wgmma shared-memory matrix descriptor");
  m.def("wgmma_desc_start", &wgmma::desc_start, py::arg("k_major"), py::arg("mn0"), py::arg("k0"),
        py::arg("elem_bytes") = 2);
  m.def("wgmma_box_coord", [](bool k_major, int64_t mn0, int64_t k0, int j, int64_t z, int z_step) {
    const wgmma::BoxCoord c = wgmma::box_coord(k_major, mn0, k0, j, z, z_step);
    return py::make_tuple(c.inner, c.outer, c.batch);
  }, py::arg("k_major"), py::arg("mn0"), py::arg("k0"), py::arg("j"), py::arg("z") = 0, py::arg("z_step") = 0,
        "(inner, outer, batch) tensor-map coordinates of box j");
  m.def("wgmma_tma_operand", [](uint64_t base, int elem_bytes, int64_t inner, int64_t outer, int64_t ld,
                                int64_t batch, int64_t batch_stride) {
    check_elem_bytes(elem_bytes);
    const wgmma::TmaOperand t = wgmma::tma_operand(base, elem_bytes, inner, outer, ld, batch, batch_stride);
    py::dict d;
    d["ok"] = t.ok;
    d["z_step"] = t.z_step;
    d["dims"] = py::make_tuple(t.dims[0], t.dims[1], t.dims[2]);
    d["strides"] = py::make_tuple(t.strides[0], t.strides[1]);
    d["box"] = py::make_tuple(t.box[0], t.box[1], t.box[2]);
    return d;
  }, py::arg("base"), py::arg("elem_bytes"), py::arg("inner"), py::arg("outer"), py::arg("ld"), py::arg("batch"),
        py::arg("batch_stride"), "one operand's 3-D tensor-map geometry (cuTensorMapEncodeTiled's arguments)");
  m.def("wgmma_flat_batch", [](const std::vector<int64_t>& shape, const std::vector<std::vector<int64_t>>& strides) {
    if (shape.size() > static_cast<size_t>(kMaxDims) || strides.size() != 3)
      fail_value("wgmma_flat_batch: at most 16 batch dims and 3 stride lists");
    int64_t st[3][kMaxDims];
    for (int k = 0; k < 3; ++k) {
      if (strides[k].size() != shape.size()) fail_value("wgmma_flat_batch: one stride per batch dim");
      for (size_t d = 0; d < shape.size(); ++d) st[k][d] = strides[k][d];
    }
    int64_t count = 0, flat[3] = {0, 0, 0};
    if (!wgmma::flat_batch(static_cast<int>(shape.size()), shape.data(), st, &count, flat))
      return py::object(py::none());
    return py::object(py::make_tuple(count, py::make_tuple(flat[0], flat[1], flat[2])));
  }, py::arg("shape"), py::arg("strides"), "(count, (stride_a, stride_b, stride_c)) of the merged batch, or None");
}
