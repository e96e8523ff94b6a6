// The common case of matmul in one call, output included:
// _C.cpu_matmul_new(a, b, allow_grad): a @ b for two 2-D float32 or two 2-D float64 CPU
// tensors with a's columns == b's rows, as a new (M, N) tensor; the GEMM reads any
// strides in place. What ops/linalg.matmul does in Python for them (the checks, the
// Function, empty, the kernel call) costs more than a 32x64 @ 64x64 product itself.
// With allow_grad false it also returns None when either operand requires grad (the
// Python path records the graph); _Matmul.forward passes true. Anything else returns
// None and the Python path handles it, errors included: one definition of the rules.
#include <pybind11/pybind11.h>

#include "../cpu/gemm.h"
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
    if (!load_tensor(args[0], a) || !load_tensor(args[1], b) || !is_float_cpu(a) || b.dtype != a.dtype ||
        !is_float_cpu(b) || a.ndim() != 2 || b.ndim() != 2 || a.shape[1] != b.shape[0])
      Py_RETURN_NONE;
    if (args[2] != Py_True && (requires_grad(args[0]) || requires_grad(args[1]))) Py_RETURN_NONE;
    pybind11::tuple dims = pybind11::make_tuple(a.shape[0], b.shape[1]);
    pybind11::object out;
    const TensorArg o = new_output_like(args[0], dims.ptr(), out);
    if (a.dtype == DType::Float32) product<float>(a, b, o);
    else product<double>(a, b, o);
    return out.release().ptr();
  });
}

PyMethodDef kMethods[] = {
    {"cpu_matmul_new", as_pycfunction(matmul_new), METH_FASTCALL,
     "cpu_matmul_new(a, b, allow_grad): a @ b as a new tensor, or None where the Python path must decide"},
};

}  // namespace

FASTDL_BIND(Top, matmul_new) { add_functions(m, kMethods); }

}  // namespace fastdl
