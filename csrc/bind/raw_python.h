// Helpers for the bindings written against the CPython API directly, where pybind11's
// argument dispatch would cost as much as the work (bind_tensor_new.cpp,
// bind_autograd_apply.cpp, bind_elementwise_new.cpp): METH_FASTCALL functions, and the
// byte offsets of a Python class's __slots__ fields.
#pragma once
#include <pybind11/pybind11.h>
#include <structmember.h>

#include <cstddef>

namespace fastdl {

// A METH_FASTCALL function `PyObject* f(PyObject*, PyObject* const*, Py_ssize_t)` (or a
// METH_O one) as the PyCFunction a PyMethodDef holds.
template <typename F>
PyCFunction as_pycfunction(F* fn) {
  return reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(fn));
}

// Adds each entry of `defs` to module m under its own name.
template <size_t N>
void add_functions(pybind11::module_& m, PyMethodDef (&defs)[N]) {
  for (PyMethodDef& def : defs) {
    PyObject* fn = PyCFunction_NewEx(&def, nullptr, nullptr);
    if (!fn) throw pybind11::error_already_set();
    m.add_object(def.ml_name, pybind11::reinterpret_steal<pybind11::object>(fn));
  }
}

// The byte offset of cls.<name> when it is an object __slots__ field (a member
// descriptor of type T_OBJECT_EX), else -1. Sets no Python error.
inline Py_ssize_t slot_offset(PyObject* cls, PyObject* name) {
  PyObject* d = PyObject_GetAttr(cls, name);
  if (!d) {
    PyErr_Clear();
    return -1;
  }
  Py_ssize_t offset = -1;
  if (Py_TYPE(d) == &PyMemberDescr_Type) {
    const PyMemberDef* m = reinterpret_cast<PyMemberDescrObject*>(d)->d_member;
    if (m->type == T_OBJECT_EX) offset = m->offset;
  }
  Py_DECREF(d);
  return offset;
}

// The same for a C string name, raising TypeError (naming `who`) when it is not a slot.
inline bool require_slot(const char* who, PyObject* cls, const char* name, Py_ssize_t* offset) {
  PyObject* key = PyUnicode_InternFromString(name);
  if (!key) return false;
  *offset = slot_offset(cls, key);
  Py_DECREF(key);
  if (*offset >= 0) return true;
  PyErr_Format(PyExc_TypeError, "%s: %R.%s is not a __slots__ field", who, cls, name);
  return false;
}

// Runs body() (a new reference, or null with a Python error set) and turns a C++
// exception into the Python error pybind11 would raise for it.
template <typename F>
PyObject* translate_errors(F&& body) {
  try {
    return body();
  } catch (...) {
    pybind11::detail::try_translate_exceptions();
    return nullptr;
  }
}

// tp_descr_get of a method descriptor type: t.method is the method bound to t (the
// operator slots call the descriptor unbound, with t first).
inline PyObject* bind_to_instance(PyObject* self, PyObject* obj, PyObject*) {
  if (!obj || obj == Py_None) return Py_NewRef(self);
  return PyMethod_New(self, obj);
}

// The field at `offset` of o (a borrowed reference; null when unset).
inline PyObject*& slot_at(PyObject* o, Py_ssize_t offset) {
  return *reinterpret_cast<PyObject**>(reinterpret_cast<char*>(o) + offset);
}

}  // namespace fastdl
