// CUDA where (out = cond ? a : b), fill (dst = value) and lerp with a number weight.
#include "common/elementwise_ops.h"
#include "elementwise.cuh"

namespace fastdl {
namespace cuda {

namespace {

template <typename T>
struct WhereElem {
  __device__ void operator()(char* const* p, const int64_t* off) const {
    const bool c = reinterpret_cast<const bool*>(p[1])[off[1]];
    reinterpret_cast<T*>(p[0])[off[0]] =
        c ? reinterpret_cast<const T*>(p[2])[off[2]] : reinterpret_cast<const T*>(p[3])[off[3]];
  }
};

template <typename T>
struct FillElem {
  T value;
  __device__ void operator()(char* const* p, const int64_t* off) const {
    reinterpret_cast<T*>(p[0])[off[0]] = value;
  }
};

template <typename T>
struct LerpElem {
  T scale;
  bool small;
  __device__ void operator()(char* const* p, const int64_t* off) const {
    reinterpret_cast<T*>(p[0])[off[0]] = ew::lerp_scalar(reinterpret_cast<const T*>(p[1])[off[1]],
                                                         reinterpret_cast<const T*>(p[2])[off[2]], scale, small);
  }
};

}  // namespace

void lerp_scalar(const TensorArg& a, const TensorArg& b, const TensorArg& out, double scale, bool small) {
  require_device("lerp");
  for (auto* t : {&a, &b}) {
    check_same_shape("lerp", *t, out);
    check_dtype("lerp", *t, out.dtype);
  }
  FASTDL_DISPATCH_FLOAT(out.dtype, "lerp", [&] {
    launch_elementwise<3>("lerp", {&out, &a, &b}, LerpElem<scalar_t>{static_cast<scalar_t>(scale), small});
  })
}

void where(const TensorArg& cond, const TensorArg& a, const TensorArg& b, const TensorArg& out) {
  require_device("where");
  for (auto* t : {&cond, &a, &b}) check_same_shape("where", *t, out);
  check_dtype("where", cond, DType::Bool);
  check_dtype("where", a, out.dtype);
  check_dtype("where", b, out.dtype);
  FASTDL_DISPATCH_STORAGE(out.dtype, "where", [&] {
    launch_elementwise<4>("where", {&out, &cond, &a, &b}, WhereElem<scalar_t>{});
  })
}

void fill(const TensorArg& dst, double value) {
  require_device("fill");
  FASTDL_DISPATCH_STORAGE(dst.dtype, "fill", [&] {
    launch_elementwise<1>("fill", {&dst}, FillElem<scalar_t>{convert_value<scalar_t>(value)});
  })
}

}  // namespace cuda
}  // namespace fastdl
