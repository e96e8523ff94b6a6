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

  // Called once per tensor argument of every kernel call, so it avoids pybind11's
  // generic conversions: attribute names are interned once, shape/strides are read
  // straight from their tuples (or lists).
  bool load(handle src, bool) {
    static PyObject* const k_buf = PyUnicode_InternFromString("_buf");
    static PyObject* const k_dtype = PyUnicode_InternFromString("_dtype");
    static PyObject* const k_shape = PyUnicode_InternFromString("_shape");
    static PyObject* const k_strides = PyUnicode_InternFromString("_strides");
    static PyObject* const k_offset = PyUnicode_InternFromString("_offset");
    static PyObject* const k_code = PyUnicode_InternFromString("code");
    PyObject* o = src.ptr();
    object buf = reinterpret_steal<object>(PyObject_GetAttr(o, k_buf));
    if (!buf) { PyErr_Clear(); return false; }
    object dt = reinterpret_steal<object>(PyObject_GetAttr(o, k_dtype));
    object shape = reinterpret_steal<object>(PyObject_GetAttr(o, k_shape));
    object strides = reinterpret_steal<object>(PyObject_GetAttr(o, k_strides));
    object offset = reinterpret_steal<object>(PyObject_GetAttr(o, k_offset));
    if (!dt || !shape || !strides || !offset) { PyErr_Clear(); return false; }
    value.buf = buf.cast<fastdl::BufferPtr>();
    object code = reinterpret_steal<object>(PyObject_GetAttr(dt.ptr(), k_code));
    if (!code) throw error_already_set();
    value.dtype = static_cast<fastdl::DType>(as_int64(code.ptr()));
    read_ints(shape.ptr(), value.shape);
    read_ints(strides.ptr(), value.strides);
    value.offset = as_int64(offset.ptr());
    if (value.shape.size() != value.strides.size())
      throw std::invalid_argument("corrupt tensor view: shape and strides differ in length");
    return true;
  }

  static int64_t as_int64(PyObject* v) {
    long long x = PyLong_AsLongLong(v);  // accepts anything with __index__
    if (x == -1 && PyErr_Occurred()) throw error_already_set();
    return static_cast<int64_t>(x);
  }

  static void read_ints(PyObject* seq, std::vector<int64_t>& out) {
    object fast = reinterpret_steal<object>(PySequence_Fast(seq, "tensor shape/strides must be a sequence"));
    if (!fast) throw error_already_set();
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast.ptr());
    PyObject** items = PySequence_Fast_ITEMS(fast.ptr());
    out.resize(static_cast<size_t>(n));
    for (Py_ssize_t i = 0; i < n; ++i) out[static_cast<size_t>(i)] = as_int64(items[i]);
  }

  static handle cast(const fastdl::TensorArg&, return_value_policy, handle) {
    throw std::runtime_error("TensorArg cannot be returned to Python");
  }
};

}  // namespace detail
}  // namespace pybind11
