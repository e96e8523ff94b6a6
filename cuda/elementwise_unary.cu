// CUDA unary ops: out = op(x; p0, p1), the functors of csrc/common/elementwise_ops.h,
// with the dtype rules of csrc/cpu/elementwise.cpp.
#include <functional>
#include <unordered_map>

#include "elementwise.cuh"

namespace fastdl {
namespace cuda {

namespace {

template <typename T, typename F>
struct UnaryElem {
  F f;
  double p0, p1;
  __device__ void operator()(char* const* p, const int64_t* off) const {
    reinterpret_cast<T*>(p[0])[off[0]] = f(reinterpret_cast<const T*>(p[1])[off[1]], p0, p1);
  }
};

template <typename T, typename F>
void run(const char* op, F f, const TensorArg& x, const TensorArg& out, double p0, double p1) {
  launch_elementwise<2>(op, {&out, &x}, UnaryElem<T, F>{f, p0, p1});
}

using UnaryFn = std::function<void(const TensorArg&, const TensorArg&, double, double)>;

#define UNARY_ENTRY(name, F, KIND)                                        \
  {name, [](const TensorArg& x, const TensorArg& o, double p0, double p1) {   \
     FASTDL_DISPATCH_##KIND(x.dtype, name, [&] { run<scalar_t>(name, ew::F{}, x, o, p0, p1); })     \
   }},

const std::unordered_map<std::string, UnaryFn>& unary_table() {
  static const std::unordered_map<std::string, UnaryFn> t = {
      FASTDL_UNARY_OPS(UNARY_ENTRY)
      {"logical_not", [](const TensorArg& x, const TensorArg& o, double p0, double p1) {
         check_dtype("logical_not", x, DType::Bool);
         run<bool>("logical_not", ew::LogicalNot{}, x, o, p0, p1);
       }},
  };
  return t;
}

}  // namespace

void unary(const std::string& op, const TensorArg& x, const TensorArg& out, double p0, double p1) {
  require_device(op.c_str());
  auto it = unary_table().find(op);
  if (it == unary_table().end()) fail_value("unknown unary op '" + op + "'");
  check_same_shape(op.c_str(), x, out);
  check_dtype(op.c_str(), out, x.dtype);
  it->second(x, out, p0, p1);
}

}  // namespace cuda
}  // namespace fastdl
