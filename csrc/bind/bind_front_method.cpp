// front_method(fast, fallback, arity): a Tensor method (or operator) whose common case is
// one C++ call. t.op(*args) with `arity` positional arguments (self included) runs
// fast(*args, allow_grad) with allow_grad = not grad mode; where that returns None (a case
// it does not take, an error to word, a graph to record) or the call has keywords or
// another count, fallback(*args, **kwargs) runs: the Python front stays the one
// definition of the op's rules.
//
// Why: `a @ b` through a Python front costs a frame and a grad-mode lookup, ~0.3 us, a
// tenth of a 32x64 @ 64x64 product (tensor.py installs Tensor.__matmul__ this way).
#include <pybind11/pybind11.h>

#include "grad_mode.h"
#include "raw_python.h"
#include "registry.h"

namespace fastdl {
namespace {

constexpr Py_ssize_t kMaxArity = 8;

struct FrontMethod {
  PyObject_HEAD
  vectorcallfunc vectorcall;
  PyObject* fast;
  PyObject* fallback;
  Py_ssize_t arity;
};

PyObject* front_vectorcall(PyObject* self, PyObject* const* args, size_t nargsf, PyObject* kwnames) {
  auto* m = reinterpret_cast<FrontMethod*>(self);
  const Py_ssize_t n = PyVectorcall_NARGS(nargsf);
  if (n == m->arity && !(kwnames && PyTuple_GET_SIZE(kwnames))) {
    PyObject* argv[kMaxArity + 1];
    for (Py_ssize_t i = 0; i < n; ++i) argv[i] = args[i];
    argv[n] = grad_enabled() ? Py_False : Py_True;
    PyObject* out = PyObject_Vectorcall(m->fast, argv, static_cast<size_t>(n + 1), nullptr);
    if (out != Py_None) return out;  // the result, or null with fast's error
    Py_DECREF(out);
  }
  return PyObject_Vectorcall(m->fallback, args, nargsf, kwnames);
}

PyObject* front_repr(PyObject* self) {
  return PyUnicode_FromFormat("<Tensor method: %R, else %R>", reinterpret_cast<FrontMethod*>(self)->fast,
                              reinterpret_cast<FrontMethod*>(self)->fallback);
}

void front_dealloc(PyObject* self) {
  PyTypeObject* type = Py_TYPE(self);
  Py_XDECREF(reinterpret_cast<FrontMethod*>(self)->fast);
  Py_XDECREF(reinterpret_cast<FrontMethod*>(self)->fallback);
  type->tp_free(self);
  Py_DECREF(type);
}

PyMemberDef kFrontMembers[] = {
    {"__vectorcalloffset__", T_PYSSIZET, offsetof(FrontMethod, vectorcall), READONLY, nullptr},
    {"fast", T_OBJECT, offsetof(FrontMethod, fast), READONLY, "the C++ call tried first"},
    {"fallback", T_OBJECT, offsetof(FrontMethod, fallback), READONLY, "the Python front"},
    {"__wrapped__", T_OBJECT, offsetof(FrontMethod, fallback), READONLY, nullptr},  // inspect.signature
    {nullptr, 0, 0, 0, nullptr},
};

// __name__, __qualname__, __doc__ and __module__ are the Python front's, for help() and reprs.
PyObject* fallback_attr(PyObject* self, void* name) {
  return PyObject_GetAttrString(reinterpret_cast<FrontMethod*>(self)->fallback, static_cast<const char*>(name));
}

PyGetSetDef kFrontGetSet[] = {
    {"__name__", fallback_attr, nullptr, nullptr, const_cast<char*>("__name__")},
    {"__qualname__", fallback_attr, nullptr, nullptr, const_cast<char*>("__qualname__")},
    {"__doc__", fallback_attr, nullptr, nullptr, const_cast<char*>("__doc__")},
    {"__module__", fallback_attr, nullptr, nullptr, const_cast<char*>("__module__")},
    {nullptr, nullptr, nullptr, nullptr, nullptr},
};

PyType_Slot kFrontSlots[] = {
    {Py_tp_getset, kFrontGetSet},
    {Py_tp_dealloc, reinterpret_cast<void*>(front_dealloc)},
    {Py_tp_call, reinterpret_cast<void*>(PyVectorcall_Call)},
    {Py_tp_descr_get, reinterpret_cast<void*>(bind_to_instance)},
    {Py_tp_repr, reinterpret_cast<void*>(front_repr)},
    {Py_tp_members, kFrontMembers},
    {0, nullptr},
};

PyType_Spec kFrontSpec = {"fastdl._C.FrontMethod", static_cast<int>(sizeof(FrontMethod)), 0,
                          Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL | Py_TPFLAGS_METHOD_DESCRIPTOR,
                          kFrontSlots};

PyObject* front_method(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  static PyTypeObject* type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&kFrontSpec));
  if (!type) return nullptr;
  if (nargs != 3 || !PyCallable_Check(args[0]) || !PyCallable_Check(args[1])) {
    PyErr_SetString(PyExc_TypeError, "front_method(fast, fallback, arity): fast and fallback callables");
    return nullptr;
  }
  const Py_ssize_t arity = PyLong_AsSsize_t(args[2]);
  if (arity == -1 && PyErr_Occurred()) return nullptr;
  if (arity < 1 || arity > kMaxArity) {
    PyErr_Format(PyExc_ValueError, "front_method: arity must be in [1, %zd], got %zd", kMaxArity, arity);
    return nullptr;
  }
  auto* m = PyObject_New(FrontMethod, type);
  if (!m) return nullptr;
  m->vectorcall = front_vectorcall;
  m->fast = Py_NewRef(args[0]);
  m->fallback = Py_NewRef(args[1]);
  m->arity = arity;
  return reinterpret_cast<PyObject*>(m);
}

PyMethodDef kMethods[] = {
    {"front_method", as_pycfunction(front_method), METH_FASTCALL,
     "front_method(fast, fallback, arity): a Tensor method running fast(*args, not grad_mode), and "
     "fallback(*args, **kwargs) where that returns None"},
};

}  // namespace

FASTDL_BIND(Top, front_method) { add_functions(m, kMethods); }

}  // namespace fastdl
