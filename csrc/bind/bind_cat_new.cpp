// _C.cpu_cat_new(tensors, dim, allow_grad, stack): torch.cat (stack false) or torch.stack
// (stack true) of a list / tuple of contiguous CPU tensors of one dtype as one call,
// output included: through the Python front (checks, a Function, a copy kernel call
// per input) cat of four (8, 16) tensors took ~22 us and stack ~34 (torch 3.6 / 2.3);
// LSTM loops, collate functions and RL buffers call them every step.
// dim: an int in the output's range (negative counts from the end). With allow_grad
// false it returns None when an input requires grad (the Python front records _Cat).
// None as well for anything else: other dtypes or devices among the inputs, a
// non-contiguous input, shapes that do not match, 1-D empty inputs (cat skips them),
// an empty list, a dim out of range. The Python path (ops/shape.py) decides those and
// words the errors: the rules have one definition.
#include <pybind11/pybind11.h>

#include <cstring>
#include <vector>

#include "../core/parallel.h"
#include "gil.h"
#include "raw_python.h"
#include "registry.h"
#include "tensor_load.h"

namespace fastdl {
namespace {

bool requires_grad(PyObject* t) {
  static PyObject* const k_requires_grad = PyUnicode_InternFromString("_requires_grad");
  PyObject* v = PyObject_GetAttr(t, k_requires_grad);
  if (!v) throw pybind11::error_already_set();
  const bool r = v == Py_True;
  Py_DECREF(v);
  return r;
}

PyObject* cat_new(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 4 || !PyLong_CheckExact(args[1])) {
    PyErr_SetString(PyExc_TypeError, "cpu_cat_new(tensors, dim, allow_grad, stack)");
    return nullptr;
  }
  return translate_errors([&]() -> PyObject* {
    PyObject* seq = args[0];
    if (!PyList_CheckExact(seq) && !PyTuple_CheckExact(seq)) Py_RETURN_NONE;
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject** items = PySequence_Fast_ITEMS(seq);
    const bool stack = args[3] == Py_True, allow_grad = args[2] == Py_True;
    if (n == 0) Py_RETURN_NONE;
    std::vector<TensorArg> xs(static_cast<size_t>(n));
    for (Py_ssize_t i = 0; i < n; ++i) {
      if (!is_tensor(items[i]) || (!allow_grad && requires_grad(items[i])) || !load_tensor(items[i], xs[i]))
        Py_RETURN_NONE;
      const TensorArg& x = xs[i];
      if (!x.on_cpu() || !x.is_contiguous() || x.dtype != xs[0].dtype || x.ndim() != xs[0].ndim()) Py_RETURN_NONE;
      if (!stack && x.ndim() == 1 && x.shape[0] == 0) Py_RETURN_NONE;  // (cat's legacy skip: the Python path)
    }
    const int nd = xs[0].ndim(), out_nd = stack ? nd + 1 : nd;
    int overflow = 0;
    long long dim = PyLong_AsLongLongAndOverflow(args[1], &overflow);
    if (overflow || out_nd == 0 || dim < -out_nd || dim >= out_nd) Py_RETURN_NONE;
    if (dim < 0) dim += out_nd;
    const int d = static_cast<int>(dim);
    // every input's shape must equal the first's (except along d for cat)
    for (const TensorArg& x : xs)
      for (int k = 0; k < nd; ++k)
        if (x.shape[k] != xs[0].shape[k] && (stack || k != d)) Py_RETURN_NONE;
    std::vector<int64_t> dims = xs[0].shape;
    if (stack) {
      dims.insert(dims.begin() + d, n);
    } else {
      dims[d] = 0;
      for (const TensorArg& x : xs) dims[d] += x.shape[d];
    }
    // Each input is `outer` runs of `block_i` contiguous elements; the output interleaves them.
    int64_t outer = 1;
    for (int k = 0; k < d; ++k) outer *= dims[k];
    int64_t tail = 1;  // elements after dim d in the output
    for (int k = d + 1; k < out_nd; ++k) tail *= dims[k];
    std::vector<int64_t> block(static_cast<size_t>(n)), start(static_cast<size_t>(n));
    int64_t row = 0;
    for (Py_ssize_t i = 0; i < n; ++i) {
      block[i] = (stack ? 1 : xs[i].shape[d]) * tail;
      start[i] = row;
      row += block[i];
    }
    pybind11::object out;
    const TensorArg o = new_output(items[0], xs[0], int_tuple(dims).ptr(), dims, out);
    const size_t size = itemsize(o.dtype);
    {
      GilReleaseIf gil(heavy_call(o));
      char* op = o.bytes();
      parallel_for(outer, row, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r)
          for (Py_ssize_t i = 0; i < n; ++i)
            if (block[i])
              std::memcpy(op + (r * row + start[i]) * size, xs[i].bytes() + r * block[i] * size,
                          static_cast<size_t>(block[i]) * size);
      });
    }
    return out.release().ptr();
  });
}

PyMethodDef kMethods[] = {
    {"cpu_cat_new", as_pycfunction(cat_new), METH_FASTCALL,
     "cpu_cat_new(tensors, dim, allow_grad, stack): cat / stack of contiguous CPU tensors of one dtype as a new "
     "tensor, or None where the Python path must decide"},
};

}  // namespace

FASTDL_BIND(Top, cat_new) { add_functions(m, kMethods); }

}  // namespace fastdl
