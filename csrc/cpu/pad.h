// F.pad's constant mode in one pass (the CPU kernel; other devices compose a fill and a
// copy): out (contiguous) = x with `left[d]` / `right[d]` elements of the value `fill` (one
// element of x's dtype) before / after it along each dim d, left and right >= 0 (crops
// are narrowed views before this). x any strides, any dtype (copied as bytes). Each
// output row (the last dim) is written once: filled, or its borders filled and the input
// row copied between them. (A fill of the borders and a strided copy into the middle
// made two passes and paid the copy's per-row setup for short rows: 0.7x torch on 7 x 7
// maps.)
#pragma once
#include <cstdint>
#include <vector>

#include "../core/tensor_arg.h"

namespace fastdl {
namespace cpu {

void pad_constant(const TensorArg& x, const TensorArg& out, const std::vector<int64_t>& left,
                  const std::vector<int64_t>& right, const TensorArg& fill);

}  // namespace cpu
}  // namespace fastdl
