// The common cases of matmul and linear in one call each, output included, for
// float32 / float64 CPU tensors of one dtype; what ops/linalg.matmul and
// nn/functional/linear do in Python for them (the checks, the Function, empty, the
// kernel call) costs more than a 32x64 @ 64x64 product itself.
//
// _C.cpu_matmul_new(a, b, allow_grad): a @ b for 2-D a and b with a's columns == b's
//   rows, a new (M, N) tensor; the GEMM reads any strides in place.
// _C.cpu_linear_new(x, weight, bias, activation, allow_grad): linear_activation's
//   kernel (cpu::linear) for 2-D x, weight (out, in), bias (out,) or None, activation
//   "none" | "relu" | "tanh" | "sigmoid".
// With allow_grad false both return None when an operand requires grad (the Python
// path records the graph); the fronts pass true under no_grad and the Functions'
// forwards pass true. Anything else returns None and the Python path handles it,
// errors included: one definition of the rules.
#include <pybind11/pybind11.h>

#include <cstring>
#include <optional>

#include "../cpu/gemm.h"
#include "../cpu/linear.h"
#include "raw_python.h"
#include "gil.h"
#include "registry.h"
#include "tensor_load.h"

namespace fastdl {
namespace {

// t._requires_grad for a tensor; false for anything else (loading it fails next).
bool requires_grad(PyObject* t) {
  static PyObject* const k_requires_grad = PyUnicode_InternFromString("_requires_grad");
  if (!is_tensor(t)) return false;
  PyObject* v = PyObject_GetAttr(t, k_requires_grad);
  if (!v) throw pybind11::error_already_set();
  const bool r = v == Py_True;
  Py_DECREF(v);
  return r;
}

// Whether the fast path may run: allow_grad, or none of `tensors` requires grad. Checked
// before loading the operands: the fronts call with operands needing grad on every
// training step, and a slot read costs far less than loading a tensor.
bool graph_free(PyObject* allow_grad, std::initializer_list<PyObject*> tensors) {
  if (allow_grad == Py_True) return true;
  for (PyObject* t : tensors)
    if (requires_grad(t)) return false;
  return true;
}

bool float_cpu_2d(const TensorArg& t, DType dtype) { return is_float_cpu(t) && t.dtype == dtype && t.ndim() == 2; }

// A new (rows, cols) tensor like `like` (`like_arg` its view), in `obj`, and its kernel view.
TensorArg new_matrix(PyObject* like, const TensorArg& like_arg, int64_t rows, int64_t cols, pybind11::object& obj) {
  pybind11::tuple shape = pybind11::make_tuple(rows, cols);
  return new_output(like, like_arg, shape.ptr(), {rows, cols}, obj);
}

template <typename T>
void product(const TensorArg& a, const TensorArg& b, const TensorArg& out) {
  const int64_t M = a.shape[0], K = a.shape[1], N = b.shape[1];
  cpu::gemm<T>(M, N, K, T(1), a.data<T>(), a.strides[0], a.strides[1], b.data<T>(), b.strides[0], b.strides[1],
               T(0), out.data<T>(), N, 1);
}

PyObject* matmul_new(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 3) {
    PyErr_SetString(PyExc_TypeError, "cpu_matmul_new(a, b, allow_grad)");
    return nullptr;
  }
  return translate_errors([&]() -> PyObject* {
    TensorArg a, b;
    if (!graph_free(args[2], {args[0], args[1]}) || !load_tensor(args[0], a) || !load_tensor(args[1], b) ||
        !float_cpu_2d(a, a.dtype) || !float_cpu_2d(b, a.dtype) || a.shape[1] != b.shape[0])
      Py_RETURN_NONE;
    pybind11::object out;
    const TensorArg o = new_matrix(args[0], a, a.shape[0], b.shape[1], out);
    {
      GilReleaseIf gil(heavy_call(a, b, o) || o.numel() * a.shape[1] >= (int64_t(1) << 20));  // M*N*K
      if (a.dtype == DType::Float32) product<float>(a, b, o);
      else product<double>(a, b, o);
    }
    return out.release().ptr();
  });
}

bool known_activation(const char* name) {
  for (const char* a : {"none", "relu", "tanh", "sigmoid"})
    if (std::strcmp(name, a) == 0) return true;
  return false;
}

PyObject* linear_new(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 5 || !PyUnicode_Check(args[3])) {
    PyErr_SetString(PyExc_TypeError, "cpu_linear_new(x, weight, bias, activation, allow_grad)");
    return nullptr;
  }
  return translate_errors([&]() -> PyObject* {
    TensorArg x, w;
    std::optional<TensorArg> bias;
    if (!graph_free(args[4], {args[0], args[1], args[2]})) Py_RETURN_NONE;
    if (!load_tensor(args[0], x) || !load_tensor(args[1], w) || !float_cpu_2d(x, x.dtype) ||
        !float_cpu_2d(w, x.dtype) || x.shape[1] != w.shape[1])
      Py_RETURN_NONE;
    if (args[2] != Py_None) {
      TensorArg b;
      if (!load_tensor(args[2], b) || !is_float_cpu(b) || b.dtype != x.dtype || b.ndim() != 1 ||
          b.shape[0] != w.shape[0])
        Py_RETURN_NONE;
      bias = std::move(b);
    }
    const char* activation = PyUnicode_AsUTF8(args[3]);
    if (!activation) throw pybind11::error_already_set();
    if (!known_activation(activation)) Py_RETURN_NONE;
    pybind11::object out;
    const TensorArg o = new_matrix(args[0], x, x.shape[0], w.shape[0], out);
    const std::string activation_s(activation);
    {
      GilReleaseIf gil(heavy_call(x, w, o) || o.numel() * x.shape[1] >= (int64_t(1) << 20));  // M*N*K
      cpu::linear(x, w, bias, o, activation_s);
    }
    return out.release().ptr();
  });
}

PyMethodDef kMethods[] = {
    {"cpu_matmul_new", as_pycfunction(matmul_new), METH_FASTCALL,
     "cpu_matmul_new(a, b, allow_grad): a @ b as a new tensor, or None where the Python path must decide"},
    {"cpu_linear_new", as_pycfunction(linear_new), METH_FASTCALL,
     "cpu_linear_new(x, weight, bias, activation, allow_grad): linear (+ activation) as a new tensor, or None "
     "where the Python path must decide"},
};

}  // namespace

FASTDL_BIND(Top, linalg_new) { add_functions(m, kMethods); }

}  // namespace fastdl
