// Reading fastdl.Tensor arguments and making output tensors in the raw-CPython fast
// paths (bind_elementwise_new.cpp, bind_linalg_new.cpp), which return None to hand any
// case they do not take to the Python path.
#pragma once
#include <pybind11/pybind11.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "../core/buffer.h"
#include "tensor_caster.h"
#include "tensor_new.h"

namespace fastdl {

// o's kernel view when o is a fastdl.Tensor; false (no Python error) otherwise. Only a
// Tensor reaches the caster: its getattr fallback would raise and clear five
// AttributeErrors for a number, a microsecond per call.
inline bool load_tensor(PyObject* o, TensorArg& out) {
  if (!is_tensor(o)) return false;
  pybind11::detail::make_caster<TensorArg> c;
  if (!c.load(o, false)) return false;
  out = std::move(pybind11::detail::cast_op<TensorArg&>(c));
  return true;
}

inline bool is_float_cpu(const TensorArg& t) {
  return (t.dtype == DType::Float32 || t.dtype == DType::Float64) && t.buf->device() == DeviceType::CPU;
}

// A plain int dim in [-ndim, ndim), normalised into `out`; false (no Python error) for
// anything else, which the Python path words.
inline bool load_dim(PyObject* o, int64_t ndim, int64_t& out) {
  if (!PyLong_CheckExact(o)) return false;
  int overflow = 0;
  const long long d = PyLong_AsLongLongAndOverflow(o, &overflow);
  if (overflow || d < -ndim || d >= ndim) return false;
  out = d < 0 ? d + ndim : d;
  return true;
}

// The int arguments of x.view(*sizes), permute(*dims), expand(*sizes) as a tuple or list
// (read with PySequence_Fast_*): `args` itself, or the one tuple or list it holds
// (x.view((2, 3))).
inline PyObject* int_args(PyObject* args) {
  if (PyTuple_GET_SIZE(args) == 1 &&
      (PyTuple_Check(PyTuple_GET_ITEM(args, 0)) || PyList_Check(PyTuple_GET_ITEM(args, 0))))
    return PyTuple_GET_ITEM(args, 0);
  return args;
}

// Element strides of a contiguous tensor of `dims` (a size-0 dim counts as 1).
inline std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& dims) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (size_t i = dims.size(); i-- > 1;) strides[i - 1] = strides[i] * std::max<int64_t>(dims[i], 1);
  return strides;
}

// A tuple of Python ints (a shape or strides for the Python side).
inline pybind11::tuple int_tuple(const std::vector<int64_t>& values) {
  pybind11::tuple t(values.size());
  for (size_t i = 0; i < values.size(); ++i) t[i] = pybind11::int_(values[i]);
  return t;
}

// A new contiguous tensor of `shape` (a tuple; `dims` its values) with the dtype and
// device of the tensor `like` (`like_arg` its view), held in `obj`, and its kernel view
// (built here, not read back from the new object). With `strides` (not empty: dense
// strides of another dim order, core/elementwise_layout.h), the tensor is laid out so.
inline TensorArg new_output(PyObject* like, const TensorArg& like_arg, PyObject* shape,
                            const std::vector<int64_t>& dims, pybind11::object& obj,
                            const std::vector<int64_t>& strides = {}) {
  TensorArg o;
  obj = pybind11::reinterpret_steal<pybind11::object>(empty_like_from_tuple(like, shape, &o.buf));
  if (!obj) throw pybind11::error_already_set();
  o.dtype = like_arg.dtype;
  o.shape = dims;
  if (strides.empty()) {
    o.strides = contiguous_strides(dims);  // as empty_from_tuple made it
  } else {
    if (!restride_new_tensor(obj.ptr(), strides)) throw pybind11::error_already_set();
    o.strides = strides;
  }
  return o;
}

}  // namespace fastdl
