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

// The same with the op looked up once: find_* give the table entry (nullptr for an
// unknown name; entries live as long as the program). The fast paths keep them per op
// name: on a 32x64 tensor, looking a name up and comparing it cost ~0.1 us a call.
struct UnaryOp;
struct BinaryOp;
const UnaryOp* find_unary(const std::string& op);
const BinaryOp* find_binary(const std::string& op);
void unary(const UnaryOp& op, const TensorArg& x, const TensorArg& out, double p0, double p1);
void binary(const BinaryOp& op, const TensorArg& a, const TensorArg& b, const TensorArg& out);
// Whether the op's result is bool (comparisons and logical ops).
bool has_bool_result(const BinaryOp& op);
// out = cond ? a : b
void where(const TensorArg& cond, const TensorArg& a, const TensorArg& b, const TensorArg& out);
// out = lerp(a, b, w) for a number w (common/elementwise_ops.h lerp_scalar; scale is w when
// small, else 1 - w); a, b, out float32 / float64 of one shape, any strides (broadcast
// operands with stride 0; out may be a).
void lerp_scalar(const TensorArg& a, const TensorArg& b, const TensorArg& out, double scale, bool small);
// out = a op b (op: add, sub, mul, div) for float16 or bfloat16 a, b, out of one shape and
// dtype (any strides; broadcasts as stride 0): computed in float32, rounded once.
void half_arith(const std::string& op, const TensorArg& a, const TensorArg& b, const TensorArg& out);
// dst = src, converting dtype.
void copy(const TensorArg& src, const TensorArg& dst);
void fill(const TensorArg& dst, double value);

bool binary_is_comparison(const std::string& op);

}  // namespace cpu
}  // namespace fastdl
