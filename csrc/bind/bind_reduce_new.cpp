// cpu_reduce_new(op, x, dims, keepdim): a reduction of a float32 / float64 CPU tensor in
// one call, output included, for the declared forward of ops/reduce.py's _Sum
// (bind_autograd_apply.cpp). What reduce_kernel does in Python (empty, the kernel, a view
// dropping the reduced dims) costs more than a 32x64 sum itself. _C.cpu_reduce_new is the
// same for Python callers.
#include <pybind11/pybind11.h>

#include <vector>

#include "../cpu/reduce.h"
#include "elementwise_new.h"
#include "gil.h"
#include "raw_python.h"
#include "registry.h"
#include "tensor_load.h"

namespace fastdl {
namespace {

// dims as the front normalised them: a list or tuple of sorted, unique ints in [0, ndim).
bool load_dims(PyObject* obj, int ndim, std::vector<int64_t>& out) {
  if (!PyList_Check(obj) && !PyTuple_Check(obj)) return false;
  const Py_ssize_t n = PySequence_Fast_GET_SIZE(obj);
  PyObject** items = PySequence_Fast_ITEMS(obj);
  out.resize(static_cast<size_t>(n));
  for (Py_ssize_t i = 0; i < n; ++i) {
    if (!PyLong_CheckExact(items[i])) return false;
    const long long d = PyLong_AsLongLong(items[i]);
    if (d < 0 || d >= ndim || (i > 0 && d <= out[static_cast<size_t>(i - 1)])) {
      PyErr_Clear();  // an overflow: not a dim either
      return false;
    }
    out[static_cast<size_t>(i)] = d;
  }
  return true;
}

}  // namespace

PyObject* cpu_reduce_new(PyObject* op_name, PyObject* x_obj, PyObject* dims_obj, PyObject* keepdim) {
  return translate_errors([&]() -> PyObject* {
    TensorArg x;
    std::vector<int64_t> dims;
    if (!PyUnicode_Check(op_name) || (keepdim != Py_True && keepdim != Py_False) || !load_tensor(x_obj, x) ||
        !is_float_cpu(x) || !load_dims(dims_obj, x.ndim(), dims))
      Py_RETURN_NONE;
    // The kernel writes the keepdim shape; the result is the same memory seen without the
    // reduced dims (size 1 there, so the other strides are the contiguous ones).
    std::vector<int64_t> keep = x.shape, shape;
    for (int64_t d : dims) keep[static_cast<size_t>(d)] = 1;
    size_t next = 0;
    for (size_t i = 0; i < keep.size(); ++i) {
      const bool reduced = next < dims.size() && dims[next] == static_cast<int64_t>(i);
      next += reduced;
      if (!reduced || keepdim == Py_True) shape.push_back(keep[i]);
    }
    pybind11::tuple shape_obj(shape.size());
    for (size_t i = 0; i < shape.size(); ++i) shape_obj[i] = pybind11::int_(shape[i]);
    pybind11::object out;
    TensorArg o = new_output(x_obj, x, shape_obj.ptr(), shape, out);
    o.shape = keep;
    o.strides = contiguous_strides(keep);
    const char* op = PyUnicode_AsUTF8(op_name);
    if (!op) throw pybind11::error_already_set();
    const std::string op_name_s(op);
    {
      GilReleaseIf gil(heavy_call(x));
      cpu::reduce(op_name_s, x, o, dims);
    }
    return out.release().ptr();
  });
}

namespace {

PyObject* reduce_new(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 4) {
    PyErr_SetString(PyExc_TypeError, "cpu_reduce_new(op, x, dims, keepdim)");
    return nullptr;
  }
  return cpu_reduce_new(args[0], args[1], args[2], args[3]);
}

PyMethodDef kMethods[] = {
    {"cpu_reduce_new", as_pycfunction(reduce_new), METH_FASTCALL,
     "cpu_reduce_new(op, x, dims, keepdim): the reduction, or None where the Python path must decide"},
};

}  // namespace

// Also on _C for ops/reduce._AMaxMin (full max() / min(), amax / amin).
FASTDL_BIND(Top, reduce_new) { add_functions(m, kMethods); }

}  // namespace fastdl
