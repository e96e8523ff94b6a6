// CUDA binary ops: out = op(a, b), the functors of csrc/common/elementwise_ops.h,
// with the dtype rules of csrc/cpu/elementwise.cpp (comparisons and logical ops
// write bool).
#include <functional>
#include <unordered_map>

#include "cpu/elementwise.h"
#include "elementwise.cuh"

namespace fastdl {
namespace cuda {

namespace {

template <typename T, typename R, typename F>
struct BinaryElem {
  F f;
  __device__ void operator()(char* const* p, const int64_t* off) const {
    reinterpret_cast<R*>(p[0])[off[0]] =
        f(reinterpret_cast<const T*>(p[1])[off[1]], reinterpret_cast<const T*>(p[2])[off[2]]);
  }
};

template <typename T, typename R, typename F>
void run(const char* op, F f, const TensorArg& a, const TensorArg& b, const TensorArg& out) {
  launch_elementwise<3>(op, {&out, &a, &b}, BinaryElem<T, R, F>{f});
}

using BinaryFn = std::function<void(const TensorArg&, const TensorArg&, const TensorArg&)>;

#define BINARY_ARITH_ENTRY(name, F, KIND)                                 \
  {name, [](const TensorArg& a, const TensorArg& b, const TensorArg& o) {     \
     FASTDL_DISPATCH_##KIND(a.dtype, name, [&] { run<scalar_t, scalar_t>(name, ew::F{}, a, b, o); })  \
   }},
#define BINARY_BOOL_ENTRY(name, F)                                          \
  {name, [](const TensorArg& a, const TensorArg& b, const TensorArg& o) {     \
     FASTDL_DISPATCH_ALL(a.dtype, name, [&] { run<scalar_t, bool>(name, ew::F{}, a, b, o); })          \
   }},

const std::unordered_map<std::string, BinaryFn>& binary_table() {
  static const std::unordered_map<std::string, BinaryFn> t = {
      FASTDL_BINARY_ARITH_OPS(BINARY_ARITH_ENTRY) FASTDL_BINARY_BOOL_OPS(BINARY_BOOL_ENTRY)
  };
  return t;
}

}  // namespace

void binary(const std::string& op, const TensorArg& a, const TensorArg& b, const TensorArg& out) {
  require_device(op.c_str());
  auto it = binary_table().find(op);
  if (it == binary_table().end()) fail_value("unknown binary op '" + op + "'");
  check_same_shape(op.c_str(), a, out);
  check_same_shape(op.c_str(), b, out);
  check_dtype(op.c_str(), b, a.dtype);
  check_dtype(op.c_str(), out, cpu::binary_is_comparison(op) ? DType::Bool : a.dtype);
  it->second(a, b, out);
}

}  // namespace cuda
}  // namespace fastdl
