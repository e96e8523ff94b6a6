// torch.triu_indices / tril_indices' kernel (CPU only: on a device the Python side copies
// the CPU result over, as it did the NumPy one).
//   tri_indices(out, row, col, offset, upper): out (2, n) contiguous int64 or int32, n the
//   number of elements of the row x col matrix's triangle (upper: j - i >= offset, else
//   j - i <= offset); row 0 of out gets their row and row 1 their column coordinates, in
//   row-major order.
#pragma once
#include <cstdint>

#include "../core/tensor_arg.h"

namespace fastdl {
namespace cpu {

// The triangle's element count (the caller sizes out with it).
int64_t tri_count(int64_t row, int64_t col, int64_t offset, bool upper);
void tri_indices(const TensorArg& out, int64_t row, int64_t col, int64_t offset, bool upper);

}  // namespace cpu
}  // namespace fastdl
