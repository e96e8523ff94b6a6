// _C.view_args(x, shape), permute_args(x, dims), transpose_args(x, dim0, dim1),
// expand_args(x, sizes): view geometry in one C++ call (below each).
//
// _C.view_args(x, shape): the (shape, strides) of x.view(*shape) / x.reshape(*shape) for
// shape arguments of plain ints (or one tuple / list of them) with at most one -1:
// strides None where the shape cannot view x's memory (reshape copies then; view
// raises). None for anything else (other argument types, two -1s, a size that does not
// match), which ops/shape.infer_shape checks and words. In Python, infer_shape plus
// _view_strides cost ~5 us of x.view(-1)'s ~6.5 (torch's whole call: ~1.3).
#include <pybind11/pybind11.h>

#include <utility>
#include <vector>

#include "raw_python.h"
#include "registry.h"
#include "tensor_load.h"

namespace fastdl {
namespace {

// Strides that let `shape` view memory laid out as (old_shape, old_strides), or false
// (PyTorch's computeStride; ops/shape._view_strides is the same in Python).
bool view_strides(const std::vector<int64_t>& old_shape, const std::vector<int64_t>& old_strides,
                  const std::vector<int64_t>& shape, std::vector<int64_t>& out) {
  int64_t numel = 1;
  for (int64_t s : old_shape) numel *= s;
  if (numel == 0 || old_shape.empty()) {
    out = contiguous_strides(shape);
    return true;
  }
  out.assign(shape.size(), 0);
  int64_t view_d = static_cast<int64_t>(shape.size()) - 1;
  int64_t chunk_base_stride = old_strides.back(), tensor_numel = 1, view_numel = 1;
  for (int64_t d = static_cast<int64_t>(old_shape.size()) - 1; d >= 0; --d) {
    tensor_numel *= old_shape[d];
    if (d == 0 || (old_shape[d - 1] != 1 && old_strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        out[view_d] = view_numel * chunk_base_stride;
        view_numel *= shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return false;
      if (d > 0) {
        chunk_base_stride = old_strides[d - 1];
        tensor_numel = view_numel = 1;
      }
    }
  }
  return view_d == -1;
}


PyObject* view_args(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2 || !PyTuple_Check(args[1])) {
    PyErr_SetString(PyExc_TypeError, "view_args(x, shape_tuple)");
    return nullptr;
  }
  return translate_errors([&]() -> PyObject* {
    TensorArg x;
    if (!load_tensor(args[0], x)) Py_RETURN_NONE;
    PyObject* items = int_args(args[1]);
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(items);  // (a tuple or a list)
    PyObject** its = PySequence_Fast_ITEMS(items);
    std::vector<int64_t> shape(static_cast<size_t>(n));
    int64_t infer = -1, known = 1;
    for (Py_ssize_t i = 0; i < n; ++i) {
      if (!PyLong_CheckExact(its[i])) Py_RETURN_NONE;
      int overflow = 0;
      const long long v = PyLong_AsLongLongAndOverflow(its[i], &overflow);
      if (overflow || v < -1) Py_RETURN_NONE;
      if (v == -1) {
        if (infer >= 0) Py_RETURN_NONE;
        infer = i;
      } else {
        known *= v;
      }
      shape[i] = v;
    }
    const int64_t numel = x.numel();
    if (infer >= 0) {
      if (known == 0 || numel % known) Py_RETURN_NONE;
      shape[infer] = numel / known;
    } else if (known != numel) {
      Py_RETURN_NONE;
    }
    std::vector<int64_t> strides;
    if (!view_strides(x.shape, x.strides, shape, strides))
      return pybind11::make_tuple(int_tuple(shape), pybind11::none()).release().ptr();
    return pybind11::make_tuple(int_tuple(shape), int_tuple(strides)).release().ptr();
  });
}

// (dims, shape, strides) of x's dims reordered as `dims`.
PyObject* permuted(const TensorArg& x, const std::vector<int64_t>& dims) {
  std::vector<int64_t> shape(dims.size()), strides(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    shape[i] = x.shape[static_cast<size_t>(dims[i])];
    strides[i] = x.strides[static_cast<size_t>(dims[i])];
  }
  return pybind11::make_tuple(int_tuple(dims), int_tuple(shape), int_tuple(strides)).release().ptr();
}

// _C.permute_args(x, dims): x.permute(*dims) for plain int dims (or one tuple / list of
// them) that are a permutation of x's dims: (dims normalised, shape, strides); None for
// anything else, which ops/shape.permute checks and words.
PyObject* permute_args(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2 || !PyTuple_Check(args[1])) {
    PyErr_SetString(PyExc_TypeError, "permute_args(x, dims_tuple)");
    return nullptr;
  }
  return translate_errors([&]() -> PyObject* {
    TensorArg x;
    if (!load_tensor(args[0], x)) Py_RETURN_NONE;
    PyObject* items = int_args(args[1]);
    const int64_t nd = x.ndim();
    if (PySequence_Fast_GET_SIZE(items) != nd) Py_RETURN_NONE;
    PyObject** its = PySequence_Fast_ITEMS(items);
    std::vector<int64_t> dims(static_cast<size_t>(nd));
    std::vector<bool> seen(static_cast<size_t>(nd), false);
    for (int64_t i = 0; i < nd; ++i) {
      int64_t d;
      if (!load_dim(its[i], nd, d) || seen[static_cast<size_t>(d)]) Py_RETURN_NONE;
      seen[static_cast<size_t>(d)] = true;
      dims[static_cast<size_t>(i)] = d;
    }
    return permuted(x, dims);
  });
}

// _C.transpose_args(x, dim0, dim1): permute_args for x.transpose(dim0, dim1) of a
// tensor with at least one dim; None for anything else.
PyObject* transpose_args(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 3) {
    PyErr_SetString(PyExc_TypeError, "transpose_args(x, dim0, dim1)");
    return nullptr;
  }
  return translate_errors([&]() -> PyObject* {
    TensorArg x;
    int64_t d0, d1;
    if (!load_tensor(args[0], x) || !load_dim(args[1], x.ndim(), d0) || !load_dim(args[2], x.ndim(), d1))
      Py_RETURN_NONE;
    std::vector<int64_t> dims(static_cast<size_t>(x.ndim()));
    for (size_t i = 0; i < dims.size(); ++i) dims[i] = static_cast<int64_t>(i);
    std::swap(dims[static_cast<size_t>(d0)], dims[static_cast<size_t>(d1)]);
    return permuted(x, dims);
  });
}

// _C.expand_args(x, sizes): x.expand(*sizes) for plain int sizes (or one tuple / list of
// them; -1 keeps a dim of x): (shape, strides), a stride 0 for each new or broadcast
// dim; None for anything else, which ops/shape.expand checks and words.
PyObject* expand_args(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2 || !PyTuple_Check(args[1])) {
    PyErr_SetString(PyExc_TypeError, "expand_args(x, sizes_tuple)");
    return nullptr;
  }
  return translate_errors([&]() -> PyObject* {
    TensorArg x;
    if (!load_tensor(args[0], x)) Py_RETURN_NONE;
    PyObject* items = int_args(args[1]);
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(items);
    const Py_ssize_t lead = n - x.ndim();
    if (lead < 0) Py_RETURN_NONE;
    PyObject** its = PySequence_Fast_ITEMS(items);
    std::vector<int64_t> shape(static_cast<size_t>(n)), strides(static_cast<size_t>(n), 0);
    for (Py_ssize_t i = 0; i < n; ++i) {
      if (!PyLong_CheckExact(its[i])) Py_RETURN_NONE;
      int overflow = 0;
      int64_t s = PyLong_AsLongLongAndOverflow(its[i], &overflow);
      if (overflow || s < -1 || (i < lead && s < 0)) Py_RETURN_NONE;
      if (i >= lead) {
        const size_t k = static_cast<size_t>(i - lead);
        const int64_t cur = x.shape[k];
        if (s == -1) s = cur;
        if (s != cur && cur != 1) Py_RETURN_NONE;
        if (s == cur) strides[static_cast<size_t>(i)] = x.strides[k];
      }
      shape[static_cast<size_t>(i)] = s;
    }
    return pybind11::make_tuple(int_tuple(shape), int_tuple(strides)).release().ptr();
  });
}

PyMethodDef kMethods[] = {
    {"expand_args", as_pycfunction(expand_args), METH_FASTCALL,
     "expand_args(x, sizes): (shape, strides) of x.expand(*sizes), or None where the Python path must decide"},
    {"permute_args", as_pycfunction(permute_args), METH_FASTCALL,
     "permute_args(x, dims): (dims, shape, strides) of x.permute(*dims), or None where the Python path must "
     "decide"},
    {"transpose_args", as_pycfunction(transpose_args), METH_FASTCALL,
     "transpose_args(x, dim0, dim1): (dims, shape, strides) of x.transpose(dim0, dim1), or None where the "
     "Python path must decide"},
    {"view_args", as_pycfunction(view_args), METH_FASTCALL,
     "view_args(x, shape): (shape, strides or None) of x.view / x.reshape for plain int sizes, or None where "
     "the Python path must decide"},
};

}  // namespace

FASTDL_BIND(Top, view_args) { add_functions(m, kMethods); }

}  // namespace fastdl
