// _C.grad_mode: the object autograd.py keeps as _state, whose `enabled` attribute is the
// per-thread grad mode (grad_mode.h).
//
// Why not a threading.local: reading one attribute of it costs ~60 ns (module state
// lookup, the thread's dict), and every op reads the mode, in C++ (Function.apply, the
// fast fronts) and in Python; here C++ reads a thread_local bool and Python a getset.
#include "grad_mode.h"

#include <pybind11/pybind11.h>

namespace fastdl {
namespace {

thread_local bool t_grad_enabled = true;

PyObject* get_enabled(PyObject*, void*) { return Py_NewRef(t_grad_enabled ? Py_True : Py_False); }

int set_enabled(PyObject*, PyObject* value, void*) {
  if (!value) {
    PyErr_SetString(PyExc_TypeError, "grad_mode.enabled cannot be deleted");
    return -1;
  }
  const int on = PyObject_IsTrue(value);
  if (on < 0) return -1;
  t_grad_enabled = on != 0;
  return 0;
}

PyGetSetDef kGetSet[] = {
    {"enabled", get_enabled, set_enabled, "whether ops record the autograd graph on this thread", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr},
};

PyType_Slot kSlots[] = {
    {Py_tp_getset, kGetSet},
    {Py_tp_doc, const_cast<char*>("the per-thread grad mode (autograd._state): .enabled")},
    {0, nullptr},
};

PyType_Spec kSpec = {"fastdl._C.GradMode", static_cast<int>(sizeof(PyObject)), 0, Py_TPFLAGS_DEFAULT, kSlots};

}  // namespace

bool grad_enabled() { return t_grad_enabled; }
void set_grad_enabled(bool on) { t_grad_enabled = on; }

// _C.grad_mode: the one instance (module.cpp adds it).
pybind11::object grad_mode_object() {
  PyObject* type = PyType_FromSpec(&kSpec);
  if (!type) throw pybind11::error_already_set();
  PyObject* o = PyObject_New(PyObject, reinterpret_cast<PyTypeObject*>(type));
  Py_DECREF(type);  // the instance holds its heap type
  if (!o) throw pybind11::error_already_set();
  return pybind11::reinterpret_steal<pybind11::object>(o);
}

}  // namespace fastdl
