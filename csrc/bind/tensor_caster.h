// Lets every binding take a Python fastdl.Tensor where the C++ signature says
// TensorArg: the caster reads the tensor's _buf, _dtype, _shape, _strides, _offset.
#pragma once
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "../core/tensor_arg.h"

namespace pybind11 {
namespace detail {

template <>
struct type_caster<fastdl::TensorArg> {
  PYBIND11_TYPE_CASTER(fastdl::TensorArg, const_name("Tensor"));

  bool load(handle src, bool) {
    PyObject* o = src.ptr();
    object buf = reinterpret_steal<object>(PyObject_GetAttrString(o, "_buf"));
    if (!buf) { PyErr_Clear(); return false; }
    object dt = reinterpret_steal<object>(PyObject_GetAttrString(o, "_dtype"));
    object shape = reinterpret_steal<object>(PyObject_GetAttrString(o, "_shape"));
    object strides = reinterpret_steal<object>(PyObject_GetAttrString(o, "_strides"));
    object offset = reinterpret_steal<object>(PyObject_GetAttrString(o, "_offset"));
    if (!dt || !shape || !strides || !offset) { PyErr_Clear(); return false; }
    value.buf = buf.cast<fastdl::BufferPtr>();
    value.dtype = static_cast<fastdl::DType>(dt.attr("code").cast<int>());
    value.shape = shape.cast<std::vector<int64_t>>();
    value.strides = strides.cast<std::vector<int64_t>>();
    value.offset = offset.cast<int64_t>();
    if (value.shape.size() != value.strides.size())
      throw std::invalid_argument("corrupt tensor view: shape and strides differ in length");
    return true;
  }

  static handle cast(const fastdl::TensorArg&, return_value_policy, handle) {
    throw std::runtime_error("TensorArg cannot be returned to Python");
  }
};

}  // namespace detail
}  // namespace pybind11
