// CPU elementwise kernels. All operands have the same shape (Python expands
// broadcast operands to stride-0 views first); any strides are accepted.
#pragma once
#include <string>
#include "../core/tensor_arg.h"

namespace fastdl {
namespace cpu {

// out = op(x; p0, p1). x and out share a dtype.
void unary(const std::string& op, const TensorArg& x, const TensorArg& out, double p0, double p1);
// out = op(a, b). a and b share a dtype; out has it too, or bool for comparisons.
void binary(const std::string& op, const TensorArg& a, const TensorArg& b, const TensorArg& out);
// out = cond ? a : b
void where(const TensorArg& cond, const TensorArg& a, const TensorArg& b, const TensorArg& out);
// dst = src, converting dtype.
void copy(const TensorArg& src, const TensorArg& dst);
void fill(const TensorArg& dst, double value);

bool binary_is_comparison(const std::string& op);

}  // namespace cpu
}  // namespace fastdl
