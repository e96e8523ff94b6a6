// Selections along one dim of a float32 / float64 CPU tensor in one C++ call, outputs
// included (what ops/reduce.py and ops/sorting.py do in Python around the kernels costs
// several times the kernels on the small tensors an RL update or a metric passes):
//   _C.cpu_arg_reduce_new(op, x, dim, keepdim, index_dtype, with_values): argmax /
//     argmin over dim (x.argmax(dim)), or with `with_values` the (values, indices) of
//     max(dim) / min(dim);
//   _C.cpu_topk_new(x, k, dim, largest, index_dtype): topk's (values, indices);
//   _C.cpu_gather_new(x, dim, index): gather(x, dim, index) for a float32 / float64 /
//     int64 / bool CPU x and an int64 CPU index of x's ndim.
// dim is a plain int in [-ndim, ndim) of a tensor with at least one dim; index_dtype is
// fastdl.int64. Anything else (other dtypes or devices, an empty dim, k out of range)
// returns None and the Python path handles it, errors included.
#include <pybind11/pybind11.h>

#include <vector>

#include "../cpu/index.h"
#include "../cpu/reduce.h"
#include "../cpu/sort.h"
#include "gil.h"
#include "raw_python.h"
#include "registry.h"
#include "tensor_load.h"
#include "tensor_new.h"

namespace fastdl {
namespace {

// values[o] = x at indices[o] along dim, for every position o (row-major) of the
// contiguous `out_shape` (x's shape but along dim): gather(x, dim, indices).
template <typename T>
void gather_along(const TensorArg& x, int64_t dim, const std::vector<int64_t>& out_shape, const int64_t* indices,
                  T* values) {
  const size_t nd = out_shape.size(), dd = static_cast<size_t>(dim);
  int64_t n = 1;
  for (int64_t s : out_shape) n *= s;
  std::vector<int64_t> pos(nd, 0);
  const T* base = x.data<T>();
  int64_t off = 0;  // x's offset of pos, without dim's part
  for (int64_t o = 0; o < n; ++o) {
    values[o] = base[off + indices[o] * x.strides[dd]];
    for (size_t d = nd; d-- > 0;) {
      if (++pos[d] < out_shape[d]) {
        if (d != dd) off += x.strides[d];
        break;
      }
      if (d != dd) off -= (pos[d] - 1) * x.strides[d];
      pos[d] = 0;
    }
  }
}

// The selection's outputs: contiguous tensors of x's shape with `extent` along dim
// (dim dropped when `drop`), the indices of `index_dtype`, the values (when wanted) of
// x's dtype, and the kernels' views of them.
struct Selected {
  pybind11::object indices, values;  // values: unset unless wanted
  TensorArg idx;                      // the kernel's view of indices
  BufferPtr value_buf;
  std::vector<int64_t> shape;  // x's shape with `extent` along dim (both kernels' view)

  Selected(PyObject* x_obj, const TensorArg& x, int64_t dim, int64_t extent, bool drop, PyObject* index_dtype,
           bool with_values) {
    shape = x.shape;
    shape[static_cast<size_t>(dim)] = extent;
    std::vector<int64_t> seen = shape;
    if (drop) seen.erase(seen.begin() + dim);
    pybind11::tuple seen_obj = int_tuple(seen);
    static PyObject* const k_device = PyUnicode_InternFromString("_device");
    static PyObject* const k_dtype = PyUnicode_InternFromString("_dtype");
    auto attr = [&](PyObject* name) {
      auto a = pybind11::reinterpret_steal<pybind11::object>(PyObject_GetAttr(x_obj, name));
      if (!a) throw pybind11::error_already_set();
      return a;
    };
    pybind11::object device = attr(k_device);
    auto fresh = [&](PyObject* dtype, BufferPtr* buf) {
      auto t = pybind11::reinterpret_steal<pybind11::object>(empty_from_tuple(seen_obj.ptr(), dtype, device.ptr(), buf));
      if (!t) throw pybind11::error_already_set();
      return t;
    };
    indices = fresh(index_dtype, &idx.buf);
    idx.dtype = DType::Int64;
    idx.shape = shape;
    idx.strides = contiguous_strides(shape);
    if (with_values) values = fresh(attr(k_dtype).ptr(), &value_buf);
  }

  // values = x at the kernel's indices; then the result: indices, or (values, indices)
  PyObject* finish(const TensorArg& x, int64_t dim) {
    if (!values) return indices.release().ptr();
    const int64_t* ip = static_cast<const int64_t*>(idx.buf->data());
    if (x.dtype == DType::Float32) gather_along(x, dim, shape, ip, static_cast<float*>(value_buf->data()));
    else gather_along(x, dim, shape, ip, static_cast<double*>(value_buf->data()));
    return pybind11::make_tuple(values, indices).release().ptr();
  }
};

PyObject* cpu_arg_reduce_new(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 6 || !PyUnicode_Check(args[0])) {
    PyErr_SetString(PyExc_TypeError, "cpu_arg_reduce_new(op, x, dim, keepdim, index_dtype, with_values)");
    return nullptr;
  }
  return translate_errors([&]() -> PyObject* {
    TensorArg x;
    int64_t dim;
    if ((args[3] != Py_True && args[3] != Py_False) || !load_tensor(args[1], x) || !is_float_cpu(x) ||
        !load_dim(args[2], x.ndim(), dim) || x.shape[static_cast<size_t>(dim)] == 0)
      Py_RETURN_NONE;  // (an empty dim: the Python path words the error)
    const char* op = PyUnicode_AsUTF8(args[0]);
    if (!op) throw pybind11::error_already_set();
    Selected s(args[1], x, dim, 1, args[3] == Py_False, args[4], PyObject_IsTrue(args[5]));
    {
      GilReleaseIf gil(heavy_call(x));
      cpu::reduce(op, x, s.idx, {dim});
    }
    return s.finish(x, dim);
  });
}

PyObject* cpu_topk_new(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 5) {
    PyErr_SetString(PyExc_TypeError, "cpu_topk_new(x, k, dim, largest, index_dtype)");
    return nullptr;
  }
  return translate_errors([&]() -> PyObject* {
    TensorArg x;
    int64_t dim;
    if (!PyLong_CheckExact(args[1]) || (args[3] != Py_True && args[3] != Py_False) || !load_tensor(args[0], x) ||
        !is_float_cpu(x) || !x.is_contiguous() || !load_dim(args[2], x.ndim(), dim))
      Py_RETURN_NONE;  // (argsort reads contiguous lines; other layouts take the Python path)
    int overflow = 0;
    const long long k = PyLong_AsLongLongAndOverflow(args[1], &overflow);
    if (overflow || k < 0 || k > x.shape[static_cast<size_t>(dim)]) Py_RETURN_NONE;
    Selected s(args[0], x, dim, k, false, args[4], true);
    {
      GilReleaseIf gil(heavy_call(x));
      cpu::argsort(x, s.idx, dim, args[3] == Py_True);
    }
    return s.finish(x, dim);
  });
}

// The dtypes the gather kernel reads itself (others go through ops/int_narrow and
// ops/complex_*, in Python).
bool gathered_dtype(DType dt) {
  return dt == DType::Float32 || dt == DType::Float64 || dt == DType::Int64 || dt == DType::Bool;
}

PyObject* cpu_gather_new(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 3) {
    PyErr_SetString(PyExc_TypeError, "cpu_gather_new(x, dim, index)");
    return nullptr;
  }
  return translate_errors([&]() -> PyObject* {
    TensorArg x, index;
    int64_t dim;
    if (!load_tensor(args[0], x) || !x.on_cpu() || !gathered_dtype(x.dtype) || !load_tensor(args[2], index) ||
        index.dtype != DType::Int64 ||
        !index.on_cpu() || index.ndim() != x.ndim() || !load_dim(args[1], x.ndim(), dim))
      Py_RETURN_NONE;
    static PyObject* const k_shape = PyUnicode_InternFromString("_shape");
    auto shape = pybind11::reinterpret_steal<pybind11::object>(PyObject_GetAttr(args[2], k_shape));
    if (!shape) throw pybind11::error_already_set();
    pybind11::object out;
    const TensorArg o = new_output(args[0], x, shape.ptr(), index.shape, out);
    {
      GilReleaseIf gil(heavy_call(o));
      cpu::gather(x, dim, index, o);  // (checks the shapes and the index values, and words the errors)
    }
    return out.release().ptr();
  });
}

PyMethodDef kMethods[] = {
    {"cpu_gather_new", as_pycfunction(cpu_gather_new), METH_FASTCALL,
     "cpu_gather_new(x, dim, index): gather's result, or None where the Python path must decide"},
    {"cpu_arg_reduce_new", as_pycfunction(cpu_arg_reduce_new), METH_FASTCALL,
     "cpu_arg_reduce_new(op, x, dim, keepdim, index_dtype, with_values): indices, or (values, indices); None "
     "where the Python path must decide"},
    {"cpu_topk_new", as_pycfunction(cpu_topk_new), METH_FASTCALL,
     "cpu_topk_new(x, k, dim, largest, index_dtype): (values, indices), or None where the Python path must "
     "decide"},
};

}  // namespace

FASTDL_BIND(Top, select_new) { add_functions(m, kMethods); }

}  // namespace fastdl
