// Implicit-GEMM conv2d forward on CUDA (conv_implicit.cu): y = w @ columns(x) + bias
// with the column matrix read from x on the fly (csrc/common/im2col.h's
// im2col_source), never materialised. Plain C++: conv_driver.cpp includes this.
#pragma once
#include <optional>
#include <string>

#include "cpu/conv_args.h"

namespace fastdl {
namespace cuda {

// Which forward algorithm conv2d_forward uses (fastdl.backends.cuda.conv.algorithm):
// "im2col" (unfold + matmul), "implicit_gemm" (where it applies, else im2col), or
// "auto": implicit GEMM where it applies and the unfolded columns of the batch would
// not fit the im2col path's workspace in one chunk. The "auto" rule is a memory rule,
// not a measured one: bench/gpu_layers.py times both paths so it can be tuned.
void set_conv_algo(const std::string& algo);
std::string conv_algo();
bool conv_use_implicit(const ConvProblem& p, const TensorArg& x, int64_t workspace_elems);

// Whether the implicit kernel covers this problem: float32, one group, not pointwise
// (a 1x1 conv's columns are x itself, read in place by the matmul path).
bool conv_implicit_applies(const ConvProblem& p, const TensorArg& x);

// y = conv2d(x, w) + bias for a problem conv_implicit_applies to; the operands are
// the checked ones of conv2d_forward (y and w contiguous, x any strides).
void conv2d_forward_implicit(const ConvProblem& p, const TensorArg& x, const TensorArg& w,
                             const std::optional<TensorArg>& bias, const TensorArg& y);

}  // namespace cuda
}  // namespace fastdl
