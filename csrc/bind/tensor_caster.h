// Lets every binding take a Python fastdl.Tensor where the C++ signature says
// TensorArg: the caster reads the tensor's _buf, _dtype, _shape, _strides, _offset.
#pragma once
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "../core/tensor_arg.h"
#include "buffer_object.h"
#include "raw_python.h"

namespace pybind11 {
namespace detail {

template <>
struct type_caster<fastdl::TensorArg> {
  PYBIND11_TYPE_CASTER(fastdl::TensorArg, const_name("Tensor"));

  // Called once per tensor argument of every kernel call, so a small op's cost is
  // mostly here. The five fields are __slots__ of Tensor: their byte offsets are read
  // once per Python type from the slot descriptors, then each field is one load.
  // Other objects (and a type whose fields are not plain slots) take getattr.
  bool load(handle src, bool) {
    PyObject* o = src.ptr();
    PyObject* f[kFields];
    const SlotLayout* lay = layout_of(Py_TYPE(o));
    if (lay) {
      for (int i = 0; i < kFields; ++i) {
        f[i] = fastdl::slot_at(o, lay->offset[i]);
        if (!f[i]) return false;  // an unset slot
      }
      return fill(f);
    }
    object held[kFields];
    for (int i = 0; i < kFields; ++i) {
      held[i] = reinterpret_steal<object>(PyObject_GetAttr(o, field_names()[i]));
      if (!held[i]) { PyErr_Clear(); return false; }
      f[i] = held[i].ptr();
    }
    return fill(f);
  }

  static handle cast(const fastdl::TensorArg&, return_value_policy, handle) {
    throw std::runtime_error("TensorArg cannot be returned to Python");
  }

 private:
  enum { kBuf, kDtype, kShape, kStrides, kOffset, kFields };

  static PyObject* const* field_names() {
    static PyObject* const names[kFields] = {
        PyUnicode_InternFromString("_buf"), PyUnicode_InternFromString("_dtype"),
        PyUnicode_InternFromString("_shape"), PyUnicode_InternFromString("_strides"),
        PyUnicode_InternFromString("_offset")};
    return names;
  }

  struct SlotLayout { PyTypeObject* type; Py_ssize_t offset[kFields]; };

  // The slot offsets of a type (Tensor, Parameter, ...), or null when a field is not
  // an object slot. Types seen are kept alive, so a cached pointer is never reused.
  static const SlotLayout* layout_of(PyTypeObject* tp) {
    static SlotLayout cache[8];
    static int n = 0;
    for (int i = 0; i < n; ++i)
      if (cache[i].type == tp) return &cache[i];
    if (n == 8) return nullptr;  // more tensor types than expected: the rest use getattr
    SlotLayout lay{tp, {}};
    for (int i = 0; i < kFields; ++i) {
      lay.offset[i] = fastdl::slot_offset(reinterpret_cast<PyObject*>(tp), field_names()[i]);
      if (lay.offset[i] < 0) return nullptr;
    }
    Py_INCREF(tp);
    cache[n] = lay;
    return &cache[n++];
  }

  bool fill(PyObject* const* f) {
    const fastdl::BufferPtr* buf = fastdl::buffer_of(f[kBuf]);
    if (!buf) return false;  // _buf is not a fastdl._C.Buffer: not a tensor
    value.buf = *buf;
    value.dtype = static_cast<fastdl::DType>(dtype_code(f[kDtype]));
    read_ints(f[kShape], value.shape);
    read_ints(f[kStrides], value.strides);
    value.offset = as_int64(f[kOffset]);
    if (value.shape.size() != value.strides.size())
      throw std::invalid_argument("corrupt tensor view: shape and strides differ in length");
    return true;
  }

  // dtype.code, remembered per dtype object (fastdl has ten, all immortal singletons).
  static int64_t dtype_code(PyObject* dt) {
    static PyObject* seen[16];
    static int64_t codes[16];
    static int n = 0;
    for (int i = 0; i < n; ++i)
      if (seen[i] == dt) return codes[i];
    static PyObject* const k_code = PyUnicode_InternFromString("code");
    object code = reinterpret_steal<object>(PyObject_GetAttr(dt, k_code));
    if (!code) throw error_already_set();
    const int64_t c = as_int64(code.ptr());
    if (n < 16) {
      Py_INCREF(dt);
      seen[n] = dt;
      codes[n++] = c;
    }
    return c;
  }

  static int64_t as_int64(PyObject* v) {
    long long x = PyLong_AsLongLong(v);  // accepts anything with __index__
    if (x == -1 && PyErr_Occurred()) throw error_already_set();
    return static_cast<int64_t>(x);
  }

  // Shapes are tuples (or tuple subclasses such as Size): read them in place;
  // anything else goes through PySequence_Fast.
  static void read_ints(PyObject* seq, std::vector<int64_t>& out) {
    object fast;
    if (!PyTuple_Check(seq) && !PyList_Check(seq)) {
      fast = reinterpret_steal<object>(PySequence_Fast(seq, "tensor shape/strides must be a sequence"));
      if (!fast) throw error_already_set();
      seq = fast.ptr();
    }
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject** items = PySequence_Fast_ITEMS(seq);
    out.resize(static_cast<size_t>(n));
    for (Py_ssize_t i = 0; i < n; ++i) out[static_cast<size_t>(i)] = as_int64(items[i]);
  }
};

}  // namespace detail
}  // namespace pybind11
