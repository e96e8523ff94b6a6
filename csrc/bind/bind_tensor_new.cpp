// Building fastdl.Tensor objects in C++: every op's output (ops/_util.empty ->
// _C.empty_cpu) and every view (Tensor._make -> _C.make_tensor) is made here.
//
// Why: in Python, an output cost ~1 us (the Buffer, object.__new__, thirteen slot
// assignments, Size(...), contiguous_strides), a fifth of a small op's whole cost.
// Here the slots are written through the byte offsets of Tensor's slot descriptors,
// read once when tensor.py calls bind_tensor_class (the way tensor_caster.h reads
// them), so the Python class stays the one definition of the fields and their order.
// The functions are raw METH_FASTCALL C functions: pybind11's argument dispatch would
// cost as much as the work.
#include <pybind11/pybind11.h>

#include <new>
#include <stdexcept>
#include <string>

#include "../core/buffer.h"
#include "buffer_object.h"
#include "raw_python.h"
#include "registry.h"
#include "tensor_new.h"

namespace fastdl {
namespace {

// The slots every Tensor gets, in tensor.py's __slots__ order (__weakref__ aside).
enum Slot { kBuf, kDtype, kShape, kStrides, kOffset, kDevice, kRequiresGrad, kGrad, kGradFn, kOutIndex,
            kAccumulator, kHooks, kBase, kSlots };
const char* const kSlotNames[kSlots] = {"_buf",   "_dtype",    "_shape",       "_strides", "_offset",
                                        "_device", "_requires_grad", "grad", "_grad_fn",  "_out_index",
                                        "_accumulator", "_hooks", "_base"};

struct TensorClass {
  PyTypeObject* tensor = nullptr;  // fastdl.Tensor (subclasses share its slot offsets)
  PyTypeObject* size = nullptr;    // fastdl.Size, a tuple subclass
  Py_ssize_t offset[kSlots] = {};
};
TensorClass g_class;

PyObject* fail(PyObject* type, const std::string& msg) {
  PyErr_SetString(type, msg.c_str());
  return nullptr;
}

// Stores `value` (a new reference, stolen) in slot s of a freshly allocated tensor.
inline void put(PyObject* t, Slot s, PyObject* value) { slot_at(t, g_class.offset[s]) = value; }

inline PyObject* ref(PyObject* o) {
  Py_INCREF(o);
  return o;
}

// A new Size holding the items of `shape` (kept as they are, as Size(shape) does).
PyObject* as_size(PyObject* shape) {
  if (Py_TYPE(shape) == g_class.size) return ref(shape);
  if (!PyTuple_Check(shape)) return PyObject_CallOneArg(reinterpret_cast<PyObject*>(g_class.size), shape);
  const Py_ssize_t n = PyTuple_GET_SIZE(shape);
  PyObject* s = g_class.size->tp_alloc(g_class.size, n);
  if (!s) return nullptr;
  for (Py_ssize_t i = 0; i < n; ++i) PyTuple_SET_ITEM(s, i, ref(PyTuple_GET_ITEM(shape, i)));
  return s;
}

// A tensor of type `cls` (Tensor or a subclass) over buf; every argument a borrowed
// reference. Returns a new reference, or null with the error set.
PyObject* new_tensor(PyTypeObject* cls, PyObject* buf, PyObject* dtype, PyObject* shape, PyObject* strides,
                     PyObject* offset, PyObject* device, PyObject* base) {
  PyObject* size = as_size(shape);
  if (!size) return nullptr;
  PyObject* st = PyTuple_CheckExact(strides) ? ref(strides) : PySequence_Tuple(strides);
  if (!st) {
    Py_DECREF(size);
    return nullptr;
  }
  PyObject* out_index = PyLong_FromLong(0);
  PyObject* t = out_index ? cls->tp_alloc(cls, 0) : nullptr;  // every slot null
  if (!t) {
    Py_XDECREF(out_index);
    Py_DECREF(size);
    Py_DECREF(st);
    return nullptr;
  }
  put(t, kBuf, ref(buf));
  put(t, kDtype, ref(dtype));
  put(t, kShape, size);
  put(t, kStrides, st);
  put(t, kOffset, ref(offset));
  put(t, kDevice, ref(device));
  put(t, kRequiresGrad, ref(Py_False));
  put(t, kGrad, ref(Py_None));
  put(t, kGradFn, ref(Py_None));
  put(t, kOutIndex, out_index);
  put(t, kAccumulator, ref(Py_None));
  put(t, kHooks, ref(Py_None));
  put(t, kBase, ref(base));
  return t;
}

bool bound() {
  if (g_class.tensor) return true;
  PyErr_SetString(PyExc_RuntimeError, "fastdl._C: bind_tensor_class(Tensor, Size) has not been called");
  return false;
}

// bind_tensor_class(Tensor, Size): called once by tensor.py after defining both.
PyObject* bind_tensor_class(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2 || !PyType_Check(args[0]) || !PyType_Check(args[1]) ||
      !PyType_IsSubtype(reinterpret_cast<PyTypeObject*>(args[1]), &PyTuple_Type))
    return fail(PyExc_TypeError, "bind_tensor_class(Tensor, Size): expected the Tensor class and a tuple subclass");
  TensorClass c;
  c.tensor = reinterpret_cast<PyTypeObject*>(args[0]);
  c.size = reinterpret_cast<PyTypeObject*>(args[1]);
  for (int i = 0; i < kSlots; ++i)
    if (!require_slot("bind_tensor_class", args[0], kSlotNames[i], &c.offset[i])) return nullptr;
  Py_INCREF(c.tensor);
  Py_INCREF(c.size);
  g_class = c;
  Py_RETURN_NONE;
}

// make_tensor(cls, buf, dtype, shape, strides, offset, device[, base]): Tensor._make.
PyObject* make_tensor(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (!bound()) return nullptr;
  if (nargs != 7 && nargs != 8)
    return fail(PyExc_TypeError, "Tensor._make(buf, dtype, shape, strides, offset, device, base=None): wrong "
                                 "number of arguments");
  if (!PyType_Check(args[0]) || !PyType_IsSubtype(reinterpret_cast<PyTypeObject*>(args[0]), g_class.tensor))
    return fail(PyExc_TypeError, "Tensor._make: cls must be Tensor or a subclass");
  return new_tensor(reinterpret_cast<PyTypeObject*>(args[0]), args[1], args[2], args[3], args[4], args[5],
                    args[6], nargs == 8 ? args[7] : Py_None);
}

// The Buffer as a Python object (its C++ side in *held when asked), C++ errors turned
// into Python ones.
PyObject* cpu_buffer_object(int64_t nbytes, BufferPtr* held) {
  try {
    auto buf = std::make_shared<Buffer>(static_cast<size_t>(nbytes), DeviceType::CPU, 0);
    if (held) *held = buf;
    return wrap_buffer(std::move(buf));
  } catch (const std::bad_alloc&) {
    return PyErr_NoMemory();
  } catch (const OutOfMemoryError&) {  // fastdl.OutOfMemoryError, registered with pybind11
    pybind11::detail::try_translate_exceptions();
    return nullptr;
  } catch (const pybind11::error_already_set& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
    return nullptr;
  } catch (const std::exception& e) {
    return fail(PyExc_RuntimeError, e.what());
  }
}

}  // namespace

PyObject* empty_from_tuple(PyObject* shape, PyObject* dtype, PyObject* device, BufferPtr* buffer) {
  const Py_ssize_t n = PyTuple_GET_SIZE(shape);
  static PyObject* const k_itemsize = PyUnicode_InternFromString("itemsize");
  PyObject* itemsize_obj = PyObject_GetAttr(dtype, k_itemsize);
  if (!itemsize_obj) return nullptr;
  const long long itemsize = PyLong_AsLongLong(itemsize_obj);
  Py_DECREF(itemsize_obj);
  if (itemsize == -1 && PyErr_Occurred()) return nullptr;
  // strides as contiguous_strides(shape): each the product of the later extents (0 counts as 1)
  PyObject* strides = PyTuple_New(n);
  if (!strides) return nullptr;
  int64_t numel = 1, acc = 1;
  bool overflow = false;
  for (Py_ssize_t i = n - 1; i >= 0; --i) {
    const long long s = PyLong_AsLongLong(PyTuple_GET_ITEM(shape, i));
    if (s == -1 && PyErr_Occurred()) {
      Py_DECREF(strides);
      return nullptr;
    }
    if (s < 0) {
      Py_DECREF(strides);
      PyObject* r = PyObject_Repr(shape);
      std::string shown = r ? PyUnicode_AsUTF8(r) : "?";
      Py_XDECREF(r);
      return fail(PyExc_ValueError, "empty: negative dimension in shape " + shown);
    }
    PyObject* stride = PyLong_FromLongLong(acc);
    if (!stride) {
      Py_DECREF(strides);
      return nullptr;
    }
    PyTuple_SET_ITEM(strides, i, stride);
    overflow |= __builtin_mul_overflow(numel, s, &numel);
    overflow |= __builtin_mul_overflow(acc, s > 1 ? s : 1, &acc);
  }
  int64_t nbytes = 0;
  overflow |= __builtin_mul_overflow(numel, static_cast<int64_t>(itemsize), &nbytes);
  if (overflow) {
    Py_DECREF(strides);
    return fail(PyExc_ValueError, "empty: the shape's size overflows 64-bit byte counts");
  }
  PyObject* buf = cpu_buffer_object(nbytes, buffer);
  if (!buf) {
    Py_DECREF(strides);
    return nullptr;
  }
  static PyObject* const zero = PyLong_FromLong(0);
  PyObject* t = new_tensor(g_class.tensor, buf, dtype, shape, strides, zero, device, Py_None);
  Py_DECREF(buf);
  Py_DECREF(strides);
  return t;
}

PyObject* empty_like_from_tuple(PyObject* like, PyObject* shape, BufferPtr* buffer) {
  if (!is_tensor(like)) {
    PyErr_SetString(PyExc_TypeError, "empty_like_from_tuple: expected a Tensor");
    return nullptr;
  }
  PyObject* dtype = slot_at(like, g_class.offset[kDtype]);
  PyObject* device = slot_at(like, g_class.offset[kDevice]);
  if (!dtype || !device) return fail(PyExc_RuntimeError, "empty_like_from_tuple: the tensor has unset fields");
  return empty_from_tuple(shape, dtype, device, buffer);
}

bool restride_new_tensor(PyObject* t, const std::vector<int64_t>& strides) {
  PyObject* tuple = PyTuple_New(static_cast<Py_ssize_t>(strides.size()));
  if (!tuple) return false;
  for (size_t i = 0; i < strides.size(); ++i) {
    PyObject* v = PyLong_FromLongLong(strides[i]);
    if (!v) {
      Py_DECREF(tuple);
      return false;
    }
    PyTuple_SET_ITEM(tuple, static_cast<Py_ssize_t>(i), v);
  }
  PyObject*& slot = slot_at(t, g_class.offset[kStrides]);
  Py_XSETREF(slot, tuple);
  return true;
}

bool is_tensor(PyObject* o) { return g_class.tensor && PyObject_TypeCheck(o, g_class.tensor); }

PyObject* detached_alias(PyObject* t) {
  if (!bound()) return nullptr;
  if (!PyObject_TypeCheck(t, g_class.tensor)) {
    PyErr_Format(PyExc_TypeError, "detach: expected a Tensor, got %s", Py_TYPE(t)->tp_name);
    return nullptr;
  }
  const auto* off = g_class.offset;
  for (int s : {kBuf, kDtype, kShape, kStrides, kOffset, kDevice, kBase})
    if (!slot_at(t, off[s])) return fail(PyExc_RuntimeError, "detach: the tensor has unset fields");
  return new_tensor(Py_TYPE(t), slot_at(t, off[kBuf]), slot_at(t, off[kDtype]), slot_at(t, off[kShape]),
                    slot_at(t, off[kStrides]), slot_at(t, off[kOffset]), slot_at(t, off[kDevice]),
                    slot_at(t, off[kBase]));
}

bool buffer_version(PyObject* t, int64_t* version) {
  PyObject* buf = PyObject_TypeCheck(t, g_class.tensor) ? slot_at(t, g_class.offset[kBuf]) : nullptr;
  const BufferPtr* held = buf ? buffer_of(buf) : nullptr;
  if (!held) {
    PyErr_SetString(PyExc_RuntimeError, "buffer_version: not a tensor over a Buffer");
    return false;
  }
  *version = (*held)->version;
  return true;
}

namespace {

// empty_cpu(shape, dtype, device): an uninitialised contiguous CPU tensor (ops/_util.empty).
PyObject* empty_cpu(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (!bound()) return nullptr;
  if (nargs != 3) return fail(PyExc_TypeError, "empty_cpu(shape, dtype, device): expected 3 arguments");
  PyObject *dtype = args[1], *device = args[2];
  PyObject* shape = PyTuple_Check(args[0]) ? ref(args[0]) : PySequence_Tuple(args[0]);
  if (!shape) return nullptr;
  PyObject* t = empty_from_tuple(shape, dtype, device);
  Py_DECREF(shape);
  return t;
}

// tensor.detach(): a tensor of the same class over the same memory and view, without
// the autograd fields (a new reference).
PyObject* tensor_detach(PyObject* t, PyObject*) { return detached_alias(t); }

// Tensor methods written in C++, installed by tensor.py through tensor_method(name).
PyMethodDef kTensorMethods[] = {
    {"detach", as_pycfunction(tensor_detach), METH_NOARGS,
     "detach(): a tensor sharing this one's memory and view, outside the autograd graph"},
};

// tensor_method(name): the kTensorMethods entry as a method descriptor of Tensor.
PyObject* tensor_method(PyObject*, PyObject* name) {
  if (!bound()) return nullptr;
  const char* s = PyUnicode_Check(name) ? PyUnicode_AsUTF8(name) : nullptr;
  for (PyMethodDef& def : kTensorMethods)
    if (s && std::string(s) == def.ml_name) return PyDescr_NewMethod(g_class.tensor, &def);
  PyErr_Format(PyExc_ValueError, "tensor_method: no C++ Tensor method %R", name);
  return nullptr;
}

PyMethodDef kMethods[] = {
    {"tensor_method", as_pycfunction(tensor_method), METH_O,
     "tensor_method(name): the C++ Tensor method `name` (detach) as a method descriptor of Tensor"},
    {"bind_tensor_class", as_pycfunction(bind_tensor_class), METH_FASTCALL,
     "bind_tensor_class(Tensor, Size): the classes make_tensor and empty_cpu build"},
    {"make_tensor", as_pycfunction(make_tensor), METH_FASTCALL,
     "make_tensor(cls, buf, dtype, shape, strides, offset, device, base=None): Tensor._make"},
    {"empty_cpu", as_pycfunction(empty_cpu), METH_FASTCALL,
     "empty_cpu(shape, dtype, device): an uninitialised contiguous CPU tensor"},
};

}  // namespace

FASTDL_BIND(Top, tensor_new) { add_functions(m, kMethods); }

}  // namespace fastdl
