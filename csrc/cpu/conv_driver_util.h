// Pieces the conv drivers share (conv_driver.cpp, conv_subpixel.cpp,
// conv_space_to_depth.cpp): threading over items claimed one at a time, the direct
// kernels' packed weight panels and their flat-row rule.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <vector>

#include "../core/parallel.h"
#include "conv_args.h"
#include "conv_direct.h"

namespace fastdl {
namespace cpu {

// Calls fn(i) for i in [0, items) on up to get_num_threads() threads that claim items
// one at a time, so a thread the (shared) machine deschedules does fewer rather than
// holding up the rest. One item runs on the caller, where the gemm threads itself.
template <typename F>
void for_items(int64_t items, int64_t cost_per_item, F&& fn) {
  std::atomic<int64_t> next{0};
  const int64_t workers = std::min<int64_t>(items, get_num_threads());
  parallel_for(workers, cost_per_item * items / std::max<int64_t>(workers, 1), [&](int64_t, int64_t) {
    for (int64_t i; (i = next.fetch_add(1)) < items;) fn(i);
  });
}

// Floats per group of the direct kernels' packed weights: panels of kPanel output
// channels, zero past the group's end.
inline int64_t direct_group_size(const ConvProblem& p) {
  return (p.Og + conv_direct::kPanel - 1) / conv_direct::kPanel * p.K * conv_direct::kPanel;
}

// The packed weights, weight(o, k) the tap k of output channel o (of all groups).
template <typename Weight>
std::vector<float> direct_panels(const ConvProblem& p, Weight&& weight) {
  const int64_t group_size = direct_group_size(p);
  std::vector<float> wp(static_cast<size_t>(p.groups * group_size), 0.0f);
  for (int64_t gi = 0; gi < p.groups; ++gi)
    for (int64_t o = 0; o < p.Og; ++o)
      for (int64_t k = 0; k < p.K; ++k)
        wp[gi * group_size + ((o / conv_direct::kPanel) * p.K + k) * conv_direct::kPanel +
           o % conv_direct::kPanel] = weight(gi * p.Og + o, k);
  return wp;
}

// The direct kernels vectorise 8 columns of a row: rows narrower than a multiple of 8
// leave lanes idle, and below 8 take the narrow tiles (load-bound). Whether a plane of
// rows x cols outputs should run as one flat row of flat_width columns instead, at its
// input's row stride (flat_width = (rows - 1) * stride + cols; the stride - cols
// columns past each row are computed and dropped).
inline bool runs_flat(int64_t rows, int64_t cols, int64_t flat_width) {
  auto used_lanes = [](int64_t wanted, int64_t computed) { return double(wanted) / (8 * ((computed + 7) / 8)); };
  return cols < 8 || used_lanes(rows * cols, flat_width) > used_lanes(cols, cols);
}

}  // namespace cpu
}  // namespace fastdl
