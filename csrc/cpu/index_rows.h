// Advanced indexing by leading-dim keys in one pass, for x[key] and x[key] = v where key
// is index tensors for x's first m dims (int64 / int32, broadcast together) or one bool
// mask over them: the patterns of training code (q[rows, actions], emb[ids], x[mask],
// data[batch_idx]). The rows the key selects are planned once (their element offsets in
// x, and their row-major positions over x.shape[:m] for the backward's index_add), then
// each row's trailing block x[i, ...] is copied whole.
//
// The Python indexing path (ops/indexing.py, ops/index_host.py) defines the rules; the
// bindings (bind/bind_index_new.cpp) call these only for keys it would take the same
// way, and hand everything else, errors included, back to it.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "../core/tensor_arg.h"

namespace fastdl {
namespace cpu {

struct RowPlan {
  int m = 0;                       // leading dims of x the key indexes
  std::vector<int64_t> lead;       // the key's result shape: the indices' broadcast shape, or {count} for a mask
  std::vector<int64_t> offsets;    // each selected row's element offset from x.data()
  std::vector<int64_t> positions;  // its row-major position over x.shape[:m] (filled when asked)
};

// keys: m >= 1 int64 / int32 CPU tensors of ndim >= 1, m <= x.ndim. nullopt when their
// shapes do not broadcast or an index is outside [-size, size) (the caller's general
// path raises those errors).
std::optional<RowPlan> plan_index_rows(const TensorArg& x, const std::vector<TensorArg>& keys, bool positions);

// mask: a bool CPU tensor whose shape is x.shape[:mask.ndim] (ndim >= 1, any strides).
RowPlan plan_mask_rows(const TensorArg& x, const TensorArg& mask, bool positions);

// out (contiguous, x's dtype, shape plan.lead + x.shape[m:]) = the planned rows of x.
void gather_rows(const TensorArg& x, const RowPlan& plan, const TensorArg& out);

// The planned rows of x = src, src any strides (0 where broadcast) with shape
// plan.lead + x.shape[m:] and x's dtype; rows written in order, so with repeated
// indices the last one wins (as index_put).
void put_rows(const TensorArg& x, const RowPlan& plan, const TensorArg& src);

}  // namespace cpu
}  // namespace fastdl
