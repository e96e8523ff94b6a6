// The common case of an elementwise op in one call, output included:
// _C.cpu_binary_new(op, a, b): two float32 or two float64 CPU tensors of one dtype, or
//   one of them and a Python float or int, broadcast against each other (cpu::binary on
//   stride-0 views built here): what ops/elementwise.binary_kernel does in Python
//   (_operands, scalar_tensor, expand_view, empty, the kernel) at a third of the cost
//   for a broadcast;
// _C.cpu_unary_new(op, x, p0, p1): a float32 or float64 CPU tensor (unary_kernel);
// _C.cpu_where_new(cond, a, b): a bool CPU cond and a, b as cpu_binary_new takes them
//   (ops/elementwise.Where, masked_fill);
// _C.cpu_assign_new(t, value): the plain copy of in-place ops (below).
// Anything else (two numbers, bools, mixed dtypes or devices, integer or half dtypes,
// shapes that do not broadcast, bool results) returns None and the Python path handles
// it, errors included, so there is one definition of the ops' rules.
// The same two are C++ functions (elementwise_new.h) for Function.apply's declared
// forwards (bind_autograd_apply.cpp).
#include <pybind11/pybind11.h>

#include <algorithm>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../core/buffer.h"
#include "../core/elementwise_layout.h"
#include "../cpu/elementwise.h"
#include "raw_python.h"
#include "gil.h"
#include "registry.h"
#include "elementwise_new.h"
#include "tensor_load.h"

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

// The broadcast shape of the operands' shapes, or false when they do not broadcast.
bool broadcast_shape(std::initializer_list<const std::vector<int64_t>*> shapes, std::vector<int64_t>& out) {
  size_t nd = 0;
  for (const auto* s : shapes) nd = std::max(nd, s->size());
  out.assign(nd, 1);
  for (const auto* s : shapes) {
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

// A Python float or int (not a bool) as a 0-d operand of dtype `dt`, as the Python
// path's scalar_tensor makes it (the value through a double, then rounded to dt).
bool load_number(PyObject* o, DType dt, TensorArg& out) {
  if (!PyFloat_CheckExact(o) && !PyLong_CheckExact(o)) return false;
  const double v = PyFloat_AsDouble(o);
  if (v == -1.0 && PyErr_Occurred()) {  // an int beyond a double's range: the Python path reports it
    PyErr_Clear();
    return false;
  }
  out.buf = std::make_shared<Buffer>(itemsize(dt), DeviceType::CPU, 0);
  out.dtype = dt;
  out.shape.clear();
  out.strides.clear();
  out.offset = 0;
  if (dt == DType::Float32) *static_cast<float*>(out.buf->data()) = static_cast<float>(v);
  else *static_cast<double*>(out.buf->data()) = v;
  return true;
}

// The result's shape object: the `_shape` of an operand (a non-null object of the
// pairs) that has `shape` already (the common case), else a new tuple.
pybind11::object shape_object(const std::vector<int64_t>& shape,
                              std::initializer_list<std::pair<PyObject*, const TensorArg*>> operands) {
  static PyObject* const k_shape = PyUnicode_InternFromString("_shape");
  for (const auto& [obj, arg] : operands) {
    if (obj && arg->shape == shape) {
      auto dims = pybind11::reinterpret_steal<pybind11::object>(PyObject_GetAttr(obj, k_shape));
      if (!dims) throw pybind11::error_already_set();
      return dims;
    }
  }
  return int_tuple(shape);
}

// The table entry of op name `name` (a str), looked up once per name object: the fronts
// and the declared forwards pass the same interned strings on every call.
template <typename Op>
const Op& resolve(PyObject* name, const char* kind, const Op* (*find)(const std::string&)) {
  static PyObject* seen[64];
  static const Op* ops[64];
  static int n = 0;
  for (int i = 0; i < n; ++i)
    if (seen[i] == name) return *ops[i];
  const char* s = PyUnicode_AsUTF8(name);
  if (!s) throw pybind11::error_already_set();
  const Op* op = find(s);
  if (!op) fail_value(std::string("unknown ") + kind + " op '" + s + "'");  // a name no front passes
  if (n < 64) {
    seen[n] = Py_NewRef(name);  // kept alive, so the pointer is never another string's
    ops[n++] = op;
  }
  return *op;
}

}  // namespace

PyObject* cpu_binary_new(PyObject* op_name, PyObject* a_obj, PyObject* b_obj) {
  return translate_errors([&]() -> PyObject* {
    const cpu::BinaryOp& op = resolve(op_name, "binary", cpu::find_binary);
    if (cpu::has_bool_result(op)) Py_RETURN_NONE;  // comparisons and logical ops
    TensorArg a, b;
    bool is_a = load_tensor(a_obj, a), is_b = load_tensor(b_obj, b);
    if (is_a == is_b) {
      if (!is_a || !is_float_cpu(a) || !is_float_cpu(b) || b.dtype != a.dtype) Py_RETURN_NONE;
    } else if (!(is_a ? is_float_cpu(a) && load_number(b_obj, a.dtype, b)
                      : is_float_cpu(b) && load_number(a_obj, b.dtype, a))) {
      Py_RETURN_NONE;  // the other operand is not a plain number (or the tensor not float CPU)
    }
    std::vector<int64_t> shape;
    if (!broadcast_shape({&a.shape, &b.shape}, shape)) Py_RETURN_NONE;
    pybind11::object dims = shape_object(shape, {{is_a ? a_obj : nullptr, &a}, {is_b ? b_obj : nullptr, &b}});
    const TensorArg av = a.shape == shape ? a : broadcast_view(a, shape);
    const TensorArg bv = b.shape == shape ? b : broadcast_view(b, shape);
    pybind11::object out;
    const TensorArg o = new_output(is_a ? a_obj : b_obj, is_a ? a : b, dims.ptr(), shape, out,
                                   elementwise_out_strides(shape, {&av, &bv}));
    {
      GilReleaseIf gil(heavy_call(o));  // the output's size: broadcast operands read as much
      cpu::binary(op, av, bv, o);
    }
    return out.release().ptr();
  });
}

PyObject* cpu_unary_new(PyObject* op_name, PyObject* x_obj, PyObject* p0_obj, PyObject* p1_obj) {
  return translate_errors([&]() -> PyObject* {
    TensorArg x;
    const cpu::UnaryOp& op = resolve(op_name, "unary", cpu::find_unary);
    if (!load_tensor(x_obj, x) || !is_float_cpu(x)) Py_RETURN_NONE;
    const double p0 = PyFloat_AsDouble(p0_obj), p1 = PyFloat_AsDouble(p1_obj);
    if (PyErr_Occurred()) {  // parameters float() rejects: the Python path says so
      PyErr_Clear();
      Py_RETURN_NONE;
    }
    static PyObject* const k_shape = PyUnicode_InternFromString("_shape");
    pybind11::object shape = pybind11::reinterpret_steal<pybind11::object>(PyObject_GetAttr(x_obj, k_shape));
    if (!shape) throw pybind11::error_already_set();
    pybind11::object out;
    const TensorArg o = new_output(x_obj, x, shape.ptr(), x.shape, out, elementwise_out_strides(x.shape, {&x}));
    {
      GilReleaseIf gil(heavy_call(x, o));
      cpu::unary(op, x, o, p0, p1);
    }
    return out.release().ptr();
  });
}

// (Python-only: no declared forward runs where.)
static PyObject* cpu_where_new(PyObject* cond_obj, PyObject* a_obj, PyObject* b_obj) {
  return translate_errors([&]() -> PyObject* {
    TensorArg c, a, b;
    if (!load_tensor(cond_obj, c) || c.dtype != DType::Bool || c.buf->device() != DeviceType::CPU) Py_RETURN_NONE;
    bool is_a = load_tensor(a_obj, a), is_b = load_tensor(b_obj, b);
    if (is_a && is_b) {
      if (!is_float_cpu(a) || b.dtype != a.dtype || !is_float_cpu(b)) Py_RETURN_NONE;
    } else if (!(is_a ? is_float_cpu(a) && load_number(b_obj, a.dtype, b)
                      : is_b && is_float_cpu(b) && load_number(a_obj, b.dtype, a))) {
      Py_RETURN_NONE;  // two numbers, or a tensor that is not float CPU, or a bool / complex number
    }
    std::vector<int64_t> shape;
    if (!broadcast_shape({&c.shape, &a.shape, &b.shape}, shape)) Py_RETURN_NONE;
    pybind11::object dims =
        shape_object(shape, {{is_a ? a_obj : nullptr, &a}, {is_b ? b_obj : nullptr, &b}, {cond_obj, &c}});
    const TensorArg cv = c.shape == shape ? c : broadcast_view(c, shape);
    const TensorArg av = a.shape == shape ? a : broadcast_view(a, shape);
    const TensorArg bv = b.shape == shape ? b : broadcast_view(b, shape);
    pybind11::object out;
    const TensorArg o = new_output(is_a ? a_obj : b_obj, is_a ? a : b, dims.ptr(), shape, out,
                                   elementwise_out_strides(shape, {&cv, &av, &bv}));
    {
      GilReleaseIf gil(heavy_call(o));
      cpu::where(cv, av, bv, o);
    }
    return out.release().ptr();
  });
}

// _C.cpu_assign_new(t, value): ops/elementwise.assign_'s common case, t[...] = value for
// two CPU tensors of one dtype and shape over different buffers, t with no dim that
// repeats an element (stride 0): the copy, and True; False (nothing done) for anything
// else (broadcasting, conversion, overlap, other devices), which the Python path decides.
// The caller checks autograd first and bumps t's version.
static PyObject* cpu_assign_new(PyObject* t_obj, PyObject* v_obj) {
  return translate_errors([&]() -> PyObject* {
    TensorArg t, v;
    if (!load_tensor(t_obj, t) || !load_tensor(v_obj, v) || !t.on_cpu() || !v.on_cpu() || v.dtype != t.dtype ||
        v.shape != t.shape || v.buf == t.buf)
      Py_RETURN_FALSE;
    for (int d = 0; d < t.ndim(); ++d)
      if (t.strides[d] == 0 && t.shape[d] > 1) Py_RETURN_FALSE;
    {
      GilReleaseIf gil(heavy_call(t));
      cpu::copy(v, t);
    }
    Py_RETURN_TRUE;
  });
}

namespace {

PyObject* assign_new(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2) {
    PyErr_SetString(PyExc_TypeError, "cpu_assign_new(t, value)");
    return nullptr;
  }
  return cpu_assign_new(args[0], args[1]);
}

PyObject* where_new(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 3) {
    PyErr_SetString(PyExc_TypeError, "cpu_where_new(cond, a, b)");
    return nullptr;
  }
  return cpu_where_new(args[0], args[1], args[2]);
}

PyObject* binary_new(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 3 || !PyUnicode_Check(args[0])) {
    PyErr_SetString(PyExc_TypeError, "cpu_binary_new(op, a, b)");
    return nullptr;
  }
  return cpu_binary_new(args[0], args[1], args[2]);
}

PyObject* unary_new(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 4 || !PyUnicode_Check(args[0])) {
    PyErr_SetString(PyExc_TypeError, "cpu_unary_new(op, x, p0, p1)");
    return nullptr;
  }
  return cpu_unary_new(args[0], args[1], args[2], args[3]);
}

// _C.elementwise_strides(a, b, ...): the strides of the new output of an elementwise op
// whose inputs are the tensors a, b, ... (views of one shape, broadcast already), or
// None for row-major: the Python paths' side of core/elementwise_layout.h.
PyObject* elementwise_strides(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  return translate_errors([&]() -> PyObject* {
    if (nargs < 1 || nargs > 4) fail_type("elementwise_strides(a, b, ...): one to four tensors");
    TensorArg t[4];
    for (Py_ssize_t i = 0; i < nargs; ++i) {
      if (!load_tensor(args[i], t[i])) fail_type("elementwise_strides: expected tensors");
      if (t[i].shape != t[0].shape) fail_value("elementwise_strides: the views differ in shape");
    }
    std::vector<int64_t> strides;
    switch (nargs) {
      case 1: strides = elementwise_out_strides(t[0].shape, {&t[0]}); break;
      case 2: strides = elementwise_out_strides(t[0].shape, {&t[0], &t[1]}); break;
      case 3: strides = elementwise_out_strides(t[0].shape, {&t[0], &t[1], &t[2]}); break;
      default: strides = elementwise_out_strides(t[0].shape, {&t[0], &t[1], &t[2], &t[3]});
    }
    if (strides.empty()) Py_RETURN_NONE;
    return int_tuple(strides).release().ptr();
  });
}

PyMethodDef kMethods[] = {
    {"elementwise_strides", as_pycfunction(elementwise_strides), METH_FASTCALL,
     "elementwise_strides(a, b, ...): a new elementwise output's strides for these inputs, None for row-major"},
    {"cpu_binary_new", as_pycfunction(binary_new), METH_FASTCALL,
     "cpu_binary_new(op, a, b): a new tensor, or None where the Python path must decide"},
    {"cpu_assign_new", as_pycfunction(assign_new), METH_FASTCALL,
     "cpu_assign_new(t, value): True once value is copied into t, False where the Python path must decide"},
    {"cpu_where_new", as_pycfunction(where_new), METH_FASTCALL,
     "cpu_where_new(cond, a, b): a new tensor, or None where the Python path must decide"},
    {"cpu_unary_new", as_pycfunction(unary_new), METH_FASTCALL,
     "cpu_unary_new(op, x, p0, p1): a new tensor, or None where the Python path must decide"},
};

}  // namespace

// On _C itself, not _C.cpu: the CPU and CUDA kernel modules keep the same signatures.
FASTDL_BIND(Top, elementwise_new) { add_functions(m, kMethods); }

}  // namespace fastdl
