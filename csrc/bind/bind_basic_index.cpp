// _C.basic_view_args(x, key): the (shape, strides, offset) of the view x[key] for a
// basic key (ints, slices, None, one Ellipsis, or a tuple of them), any device: what
// ops/indexing._parse works out in Python (~5 us for x[:, 1:3]; torch's whole x[:, 1:3]
// takes ~2.7). None for any other key (bools, tensors, lists, NumPy integers) and for a
// key the Python path rejects (an index out of range, a step <= 0, too many indices,
// two Ellipses): _parse stays the one definition of the rules and words the errors.
#include <pybind11/pybind11.h>

#include <vector>

#include "raw_python.h"
#include "registry.h"
#include "tensor_load.h"

namespace fastdl {
namespace {

bool is_plain_int(PyObject* k) { return PyLong_CheckExact(k); }  // (bool is not exact)

// How many of x's dims item k consumes; -1 for an item this parser does not take.
int consumes(PyObject* k) {
  if (k == Py_None || k == Py_Ellipsis) return 0;
  if (PySlice_Check(k) || is_plain_int(k)) return 1;
  return -1;
}

PyObject* basic_view_args(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2) {
    PyErr_SetString(PyExc_TypeError, "basic_view_args(x, key)");
    return nullptr;
  }
  return translate_errors([&]() -> PyObject* {
    TensorArg x;
    if (!load_tensor(args[0], x)) Py_RETURN_NONE;
    PyObject* key = args[1];
    PyObject* const* items = &key;
    Py_ssize_t n = 1;
    if (PyTuple_CheckExact(key)) {
      items = &PyTuple_GET_ITEM(key, 0);
      n = PyTuple_GET_SIZE(key);
    }
    int consumed = 0, ellipses = 0;
    for (Py_ssize_t i = 0; i < n; ++i) {
      const int c = consumes(items[i]);
      if (c < 0) Py_RETURN_NONE;
      consumed += c;
      ellipses += items[i] == Py_Ellipsis;
    }
    if (consumed > x.ndim() || ellipses > 1) Py_RETURN_NONE;
    std::vector<int64_t> shape, strides;
    int64_t offset = x.offset;
    int d = 0;
    for (Py_ssize_t i = 0; i < n; ++i) {
      PyObject* k = items[i];
      if (k == Py_None) {
        shape.push_back(1);
        strides.push_back(0);
      } else if (k == Py_Ellipsis) {
        for (int e = 0; e < x.ndim() - consumed; ++e, ++d) {
          shape.push_back(x.shape[d]);
          strides.push_back(x.strides[d]);
        }
      } else if (is_plain_int(k)) {
        int overflow = 0;
        const long long v = PyLong_AsLongLongAndOverflow(k, &overflow);
        const int64_t size = x.shape[d];
        if (overflow || v < -size || v >= size) Py_RETURN_NONE;
        offset += (v < 0 ? v + size : v) * x.strides[d];
        ++d;
      } else {  // a slice
        Py_ssize_t start, stop, step;
        if (PySlice_Unpack(k, &start, &stop, &step) < 0) {
          PyErr_Clear();
          Py_RETURN_NONE;
        }
        if (step <= 0) Py_RETURN_NONE;
        const Py_ssize_t len = PySlice_AdjustIndices(static_cast<Py_ssize_t>(x.shape[d]), &start, &stop, step);
        shape.push_back(len);
        strides.push_back(x.strides[d] * step);
        if (len) offset += start * x.strides[d];
        ++d;
      }
    }
    for (; d < x.ndim(); ++d) {
      shape.push_back(x.shape[d]);
      strides.push_back(x.strides[d]);
    }
    return pybind11::make_tuple(int_tuple(shape), int_tuple(strides), offset).release().ptr();
  });
}

PyMethodDef kMethods[] = {
    {"basic_view_args", as_pycfunction(basic_view_args), METH_FASTCALL,
     "basic_view_args(x, key): (shape, strides, offset) of x[key] for a basic key, or None where the Python "
     "path must decide"},
};

}  // namespace

FASTDL_BIND(Top, basic_index) { add_functions(m, kMethods); }

}  // namespace fastdl
