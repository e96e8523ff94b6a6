// _C.SizeBase: the tuple subclass that fastdl.Size (tensor.py) derives from. Its only
// addition is indexing: a slice gives a Size (as torch.Size's does), anything else is
// tuple indexing.
//
// Why in C: Size in Python needed a __getitem__ to return a Size for slices, which made
// every `x.shape[i]` a Python call (~0.35 us; a conv front reads shapes a dozen times).
// A Python subclass that defines no __getitem__ inherits this slot and indexes at C speed.
#include <pybind11/pybind11.h>

#include "registry.h"

namespace fastdl {
namespace {

PyObject* size_subscript(PyObject* self, PyObject* key) {
  PyObject* got = PyTuple_Type.tp_as_mapping->mp_subscript(self, key);
  if (!got || !PySlice_Check(key)) return got;
  // The slice as an instance of self's class (fastdl.Size), holding the same items.
  PyTypeObject* cls = Py_TYPE(self);
  const Py_ssize_t n = PyTuple_GET_SIZE(got);
  PyObject* out = cls->tp_alloc(cls, n);
  if (out)
    for (Py_ssize_t i = 0; i < n; ++i) PyTuple_SET_ITEM(out, i, Py_NewRef(PyTuple_GET_ITEM(got, i)));
  Py_DECREF(got);
  return out;
}

PyType_Slot kSlots[] = {
    {Py_mp_subscript, reinterpret_cast<void*>(size_subscript)},
    {Py_tp_doc, const_cast<char*>("a tuple whose slices are of its own class (the base of fastdl.Size)")},
    {0, nullptr},
};

}  // namespace
}  // namespace fastdl

FASTDL_BIND(Top, size_base) {
  using namespace fastdl;
  PyType_Spec spec = {"fastdl._C.SizeBase", static_cast<int>(PyTuple_Type.tp_basicsize),
                      static_cast<int>(PyTuple_Type.tp_itemsize), Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, kSlots};
  PyObject* type = PyType_FromSpecWithBases(&spec, reinterpret_cast<PyObject*>(&PyTuple_Type));
  if (!type) throw py::error_already_set();
  m.add_object("SizeBase", py::reinterpret_steal<py::object>(type));
}
