// fastdl._C.Buffer, a CPython type over a BufferPtr (why: buffer_object.h).
//
// Python sees what the former pybind11 class offered:
//   Buffer(nbytes, device=0, index=0)  new memory (device 0 CPU, 1 CUDA)
//   Buffer.wrap_numpy(array)           shares a C-contiguous array's memory, keeping it alive
//   .nbytes .device .device_index .ptr (read-only), .version (the in-place write counter)
//   the buffer protocol (bytes, writable) for CPU memory: np.frombuffer(buf, ...)
//   pickling, through the reducer tensor.py installs
#include "buffer_object.h"

#include <new>
#include <string>

#include "raw_python.h"

namespace fastdl {
namespace {

struct BufferObject {
  PyObject_HEAD
  BufferPtr buf;  // never null once tp_new / wrap_buffer return
  PyObject* weakrefs;
};

// Static, as CPython's own types: the fields are set in add_buffer_type.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
PyTypeObject g_buffer_type = {PyVarObject_HEAD_INIT(nullptr, 0)};
#pragma GCC diagnostic pop

BufferObject* as_buffer(PyObject* o) { return reinterpret_cast<BufferObject*>(o); }

// An empty object of the type, its BufferPtr constructed (null).
PyObject* alloc_object() {
  PyObject* o = g_buffer_type.tp_alloc(&g_buffer_type, 0);
  if (o) new (&as_buffer(o)->buf) BufferPtr();
  return o;
}

void buffer_dealloc(PyObject* self) {
  BufferObject* b = as_buffer(self);
  if (b->weakrefs) PyObject_ClearWeakRefs(self);
  b->buf.~BufferPtr();  // the memory goes back to its allocator (or its owner) here
  Py_TYPE(self)->tp_free(self);
}

// Buffer(nbytes, device=0, index=0)
PyObject* buffer_new(PyTypeObject*, PyObject* args, PyObject* kwargs) {
  static const char* kwlist[] = {"nbytes", "device", "index", nullptr};
  long long nbytes = 0;
  int device = 0, index = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "L|ii:Buffer", const_cast<char**>(kwlist), &nbytes, &device,
                                   &index))
    return nullptr;
  if (nbytes < 0) {
    PyErr_Format(PyExc_ValueError, "Buffer: negative size %lld", nbytes);
    return nullptr;
  }
  if (device != static_cast<int>(DeviceType::CPU) && device != static_cast<int>(DeviceType::CUDA)) {
    PyErr_Format(PyExc_ValueError, "Buffer: device must be 0 (cpu) or 1 (cuda), got %d", device);
    return nullptr;
  }
  return translate_errors([&]() -> PyObject* {
    return wrap_buffer(std::make_shared<Buffer>(static_cast<size_t>(nbytes), static_cast<DeviceType>(device), index));
  });
}

// Buffer.wrap_numpy(array): the array's memory, shared (torch.from_numpy semantics). The
// Buffer holds the array's buffer export, so the array stays alive and cannot be resized.
PyObject* buffer_wrap_numpy(PyObject*, PyObject* arr) {
  auto* view = new (std::nothrow) Py_buffer;
  if (!view) return PyErr_NoMemory();
  if (PyObject_GetBuffer(arr, view, PyBUF_STRIDES) != 0) {
    delete view;
    return nullptr;
  }
  if (!PyBuffer_IsContiguous(view, 'C')) {
    PyBuffer_Release(view);
    delete view;
    PyErr_SetString(PyExc_ValueError, "wrap_numpy needs a C-contiguous array");
    return nullptr;
  }
  return translate_errors([&]() -> PyObject* {
    // The release may run where the GIL is not held (a kernel thread dropping the last reference).
    auto release = [view] {
      const PyGILState_STATE gil = PyGILState_Ensure();
      PyBuffer_Release(view);
      PyGILState_Release(gil);
      delete view;
    };
    BufferPtr buf;
    try {
      buf = std::make_shared<Buffer>(view->buf, static_cast<size_t>(view->len), release);
    } catch (...) {
      release();
      throw;
    }
    return wrap_buffer(std::move(buf));
  });
}

const Buffer& held(PyObject* self) { return *as_buffer(self)->buf; }

PyObject* get_nbytes(PyObject* self, void*) { return PyLong_FromSize_t(held(self).nbytes()); }
PyObject* get_device(PyObject* self, void*) { return PyLong_FromLong(static_cast<long>(held(self).device())); }
PyObject* get_device_index(PyObject* self, void*) { return PyLong_FromLong(held(self).device_index()); }
PyObject* get_ptr(PyObject* self, void*) { return PyLong_FromVoidPtr(held(self).data()); }
PyObject* get_version(PyObject* self, void*) { return PyLong_FromLongLong(as_buffer(self)->buf->version); }

int set_version(PyObject* self, PyObject* value, void*) {
  if (!value) {
    PyErr_SetString(PyExc_TypeError, "Buffer.version cannot be deleted");
    return -1;
  }
  const long long v = PyLong_AsLongLong(value);
  if (v == -1 && PyErr_Occurred()) return -1;
  as_buffer(self)->buf->version = v;
  return 0;
}

// The buffer protocol: the bytes of CPU memory, writable (np.frombuffer reads tensors through it).
int buffer_getbuffer(PyObject* self, Py_buffer* view, int flags) {
  const Buffer& b = held(self);
  if (b.device() != DeviceType::CPU) {
    view->obj = nullptr;
    PyErr_SetString(PyExc_BufferError, "a CUDA buffer has no host memory view; copy it to the CPU first");
    return -1;
  }
  return PyBuffer_FillInfo(view, self, b.data(), static_cast<Py_ssize_t>(b.nbytes()), 0, flags);
}

PyGetSetDef kGetSet[] = {
    {"nbytes", get_nbytes, nullptr, "size in bytes", nullptr},
    {"device", get_device, nullptr, "0 for cpu, 1 for cuda", nullptr},
    {"device_index", get_device_index, nullptr, "the device's index", nullptr},
    {"ptr", get_ptr, nullptr, "the first byte's address", nullptr},
    {"version", get_version, set_version, "bumped by every in-place write (autograd checks it)", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr},
};

// pickle: Buffer.__reduce__ is the Python hook tensor.py installs (set_buffer_reducer):
// the bytes and the device, rebuilt as a new Buffer. pickle's memo sees one object per
// Buffer, so the tensors of one pickle that share memory share it again when loaded.
PyObject* g_reducer = nullptr;

PyObject* buffer_reduce(PyObject* self, PyObject*) {
  if (!g_reducer) {
    PyErr_SetString(PyExc_TypeError, "Buffer: pickling needs fastdl imported (fastdl.tensor sets the reducer)");
    return nullptr;
  }
  return PyObject_CallOneArg(g_reducer, self);
}

PyMethodDef kBufferMethods[] = {
    {"__reduce__", buffer_reduce, METH_NOARGS, "pickle support: (rebuild, args) from fastdl.tensor"},
    {"wrap_numpy", as_pycfunction(buffer_wrap_numpy), METH_O | METH_STATIC,
     "wrap_numpy(array): a Buffer sharing a C-contiguous array's memory (keeps the array alive)"},
    {nullptr, nullptr, 0, nullptr},
};

PyBufferProcs g_buffer_procs = {buffer_getbuffer, nullptr};

// set_buffer_reducer(fn): fn(buffer) -> (callable, args) becomes Buffer.__reduce__.
PyObject* set_buffer_reducer(PyObject*, PyObject* fn) {
  if (!PyCallable_Check(fn)) {
    PyErr_SetString(PyExc_TypeError, "set_buffer_reducer(fn): fn must be callable");
    return nullptr;
  }
  Py_XSETREF(g_reducer, Py_NewRef(fn));
  Py_RETURN_NONE;
}

PyMethodDef kModuleMethods[] = {
    {"set_buffer_reducer", set_buffer_reducer, METH_O, "set_buffer_reducer(fn): Buffer.__reduce__ (pickle) is fn(buffer)"},
};

}  // namespace

PyObject* wrap_buffer(BufferPtr buf) {
  PyObject* o = alloc_object();
  if (o) as_buffer(o)->buf = std::move(buf);
  return o;
}

const BufferPtr* buffer_of(PyObject* o) {
  return Py_TYPE(o) == &g_buffer_type ? &as_buffer(o)->buf : nullptr;
}

void add_buffer_type(pybind11::module_& m) {
  PyTypeObject& t = g_buffer_type;
  t.tp_name = "fastdl._C.Buffer";
  t.tp_basicsize = sizeof(BufferObject);
  t.tp_dealloc = buffer_dealloc;
  t.tp_flags = Py_TPFLAGS_DEFAULT;
  t.tp_doc = "Buffer(nbytes, device=0, index=0): a block of bytes on one device; tensors are views of one";
  t.tp_new = buffer_new;
  t.tp_getset = kGetSet;
  t.tp_methods = kBufferMethods;
  t.tp_as_buffer = &g_buffer_procs;
  t.tp_weaklistoffset = offsetof(BufferObject, weakrefs);
  if (PyType_Ready(&t) < 0) throw pybind11::error_already_set();
  Py_INCREF(&t);
  m.add_object("Buffer", pybind11::reinterpret_borrow<pybind11::object>(reinterpret_cast<PyObject*>(&t)));
  add_functions(m, kModuleMethods);
}

}  // namespace fastdl
