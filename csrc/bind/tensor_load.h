// Reading fastdl.Tensor arguments and making output tensors in the raw-CPython fast
// paths (bind_elementwise_new.cpp, bind_matmul_new.cpp), which return None to hand any
// case they do not take to the Python path.
#pragma once
#include <pybind11/pybind11.h>

#include <stdexcept>
#include <utility>

#include "../core/buffer.h"
#include "tensor_caster.h"
#include "tensor_new.h"

namespace fastdl {

// o's kernel view when o is a fastdl.Tensor; false (no Python error) otherwise.
inline bool load_tensor(PyObject* o, TensorArg& out) {
  pybind11::detail::make_caster<TensorArg> c;
  if (!c.load(o, false)) return false;
  out = std::move(pybind11::detail::cast_op<TensorArg&>(c));
  return true;
}

inline bool is_float_cpu(const TensorArg& t) {
  return (t.dtype == DType::Float32 || t.dtype == DType::Float64) && t.buf->device() == DeviceType::CPU;
}

// A new contiguous tensor of `shape` (a tuple) with the dtype and device of the tensor
// `like`, held in `obj`, and its kernel view.
inline TensorArg new_output_like(PyObject* like, PyObject* shape, pybind11::object& obj) {
  static PyObject* const k_dtype = PyUnicode_InternFromString("_dtype");
  static PyObject* const k_device = PyUnicode_InternFromString("_device");
  pybind11::object dtype = pybind11::reinterpret_steal<pybind11::object>(PyObject_GetAttr(like, k_dtype));
  pybind11::object device = pybind11::reinterpret_steal<pybind11::object>(PyObject_GetAttr(like, k_device));
  if (!dtype || !device) throw pybind11::error_already_set();
  obj = pybind11::reinterpret_steal<pybind11::object>(empty_from_tuple(shape, dtype.ptr(), device.ptr()));
  if (!obj) throw pybind11::error_already_set();
  TensorArg o;
  if (!load_tensor(obj.ptr(), o)) throw std::runtime_error("new_output_like: the new tensor did not load");
  return o;
}

}  // namespace fastdl
