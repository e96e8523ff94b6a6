// The common case of an elementwise op in one call, output included:
// _C.cpu_binary_new(op, a, b): two float32 or two float64 CPU tensors of one dtype,
//   broadcast against each other (cpu::binary on stride-0 views built here), which is
//   what ops/elementwise.binary_kernel does in Python (_operands, expand_view, empty,
//   the kernel) at a third of the cost for a broadcast;
// _C.cpu_unary_new(op, x, p0, p1): a float32 or float64 CPU tensor (unary_kernel).
// Anything else (numbers, mixed dtypes or devices, integer or half dtypes, shapes that
// do not broadcast, bool results) returns None and the Python path handles it, errors
// included, so there is one definition of the ops' rules.
#include <pybind11/pybind11.h>

#include <vector>

#include "../cpu/elementwise.h"
#include "registry.h"
#include "tensor_new.h"

namespace fastdl {
namespace {

// `t` seen with `shape` (t broadcast to it): missing leading dims and size-1 dims stride 0.
TensorArg broadcast_view(const TensorArg& t, const std::vector<int64_t>& shape) {
  TensorArg v = t;
  const size_t nd = shape.size(), lead = nd - t.shape.size();
  v.shape = shape;
  v.strides.assign(nd, 0);
  for (size_t i = lead; i < nd; ++i)
    if (t.shape[i - lead] == shape[i]) v.strides[i] = t.strides[i - lead];
  return v;
}

// The broadcast shape of a and b, or false when they do not broadcast.
bool broadcast_shape(const std::vector<int64_t>& a, const std::vector<int64_t>& b, std::vector<int64_t>& out) {
  const size_t nd = std::max(a.size(), b.size());
  out.assign(nd, 1);
  for (const auto* s : {&a, &b}) {
    const size_t lead = nd - s->size();
    for (size_t i = 0; i < s->size(); ++i) {
      const int64_t d = (*s)[i];
      int64_t& o = out[lead + i];
      if (d == o || d == 1) continue;
      if (o != 1) return false;
      o = d;
    }
  }
  return true;
}

bool load(PyObject* o, TensorArg& out) {
  pybind11::detail::make_caster<TensorArg> c;
  if (!c.load(o, false)) return false;
  out = std::move(pybind11::detail::cast_op<TensorArg&>(c));
  return true;
}

bool float_cpu(const TensorArg& t) {
  return (t.dtype == DType::Float32 || t.dtype == DType::Float64) && t.buf->device() == DeviceType::CPU;
}

PyObject* binary_new(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 3 || !PyUnicode_Check(args[0])) {
    PyErr_SetString(PyExc_TypeError, "cpu_binary_new(op, a, b)");
    return nullptr;
  }
  try {
    TensorArg a, b;
    const std::string op = PyUnicode_AsUTF8(args[0]);
    if (cpu::binary_is_comparison(op) || op.rfind("logical_", 0) == 0) Py_RETURN_NONE;  // bool results
    if (!load(args[1], a) || !load(args[2], b)) Py_RETURN_NONE;  // numbers, other objects
    static PyObject* const k_dtype = PyUnicode_InternFromString("_dtype");
    static PyObject* const k_device = PyUnicode_InternFromString("_device");
    if (!float_cpu(a) || !float_cpu(b) || b.dtype != a.dtype) Py_RETURN_NONE;
    std::vector<int64_t> shape;
    if (!broadcast_shape(a.shape, b.shape, shape)) Py_RETURN_NONE;
    pybind11::object dtype = pybind11::reinterpret_steal<pybind11::object>(PyObject_GetAttr(args[1], k_dtype));
    pybind11::object device = pybind11::reinterpret_steal<pybind11::object>(PyObject_GetAttr(args[1], k_device));
    pybind11::tuple dims(shape.size());
    for (size_t i = 0; i < shape.size(); ++i) dims[i] = pybind11::int_(shape[i]);
    if (!dtype || !device) throw pybind11::error_already_set();
    PyObject* out = empty_from_tuple(dims.ptr(), dtype.ptr(), device.ptr());
    if (!out) return nullptr;
    pybind11::object held = pybind11::reinterpret_steal<pybind11::object>(out);
    TensorArg o;
    if (!load(out, o)) throw std::runtime_error("cpu_binary_new: the new tensor did not load");
    cpu::binary(op, a.shape == shape ? a : broadcast_view(a, shape), b.shape == shape ? b : broadcast_view(b, shape),
                o);
    return held.release().ptr();
  } catch (...) {
    pybind11::detail::try_translate_exceptions();
    return nullptr;
  }
}

PyObject* unary_new(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 4 || !PyUnicode_Check(args[0])) {
    PyErr_SetString(PyExc_TypeError, "cpu_unary_new(op, x, p0, p1)");
    return nullptr;
  }
  try {
    TensorArg x;
    if (!load(args[1], x) || !float_cpu(x)) Py_RETURN_NONE;
    const double p0 = PyFloat_AsDouble(args[2]), p1 = PyFloat_AsDouble(args[3]);
    if (PyErr_Occurred()) {  // parameters float() rejects: the Python path says so
      PyErr_Clear();
      Py_RETURN_NONE;
    }
    static PyObject* const k_shape = PyUnicode_InternFromString("_shape");
    static PyObject* const k_dtype = PyUnicode_InternFromString("_dtype");
    static PyObject* const k_device = PyUnicode_InternFromString("_device");
    pybind11::object shape = pybind11::reinterpret_steal<pybind11::object>(PyObject_GetAttr(args[1], k_shape));
    pybind11::object dtype = pybind11::reinterpret_steal<pybind11::object>(PyObject_GetAttr(args[1], k_dtype));
    pybind11::object device = pybind11::reinterpret_steal<pybind11::object>(PyObject_GetAttr(args[1], k_device));
    if (!shape || !dtype || !device) throw pybind11::error_already_set();
    PyObject* out = empty_from_tuple(shape.ptr(), dtype.ptr(), device.ptr());
    if (!out) return nullptr;
    pybind11::object held = pybind11::reinterpret_steal<pybind11::object>(out);
    TensorArg o;
    if (!load(out, o)) throw std::runtime_error("cpu_unary_new: the new tensor did not load");
    cpu::unary(PyUnicode_AsUTF8(args[0]), x, o, p0, p1);
    return held.release().ptr();
  } catch (...) {
    pybind11::detail::try_translate_exceptions();
    return nullptr;
  }
}

PyMethodDef kMethods[] = {
    {"cpu_binary_new", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(binary_new)), METH_FASTCALL,
     "cpu_binary_new(op, a, b): a new tensor, or None where the Python path must decide"},
    {"cpu_unary_new", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(unary_new)), METH_FASTCALL,
     "cpu_unary_new(op, x, p0, p1): a new tensor, or None where the Python path must decide"},
};

}  // namespace

// On _C itself, not _C.cpu: the CPU and CUDA kernel modules keep the same signatures.
FASTDL_BIND(Top, elementwise_new) {
  for (PyMethodDef& def : kMethods) {
    PyObject* fn = PyCFunction_NewEx(&def, nullptr, nullptr);
    if (!fn) throw py::error_already_set();
    m.add_object(def.ml_name, py::reinterpret_steal<py::object>(fn));
  }
}

}  // namespace fastdl
