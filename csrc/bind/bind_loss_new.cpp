// _C.cpu_cross_entropy_new(logits, target, ignore_index): the common case of
// cross_entropy in one C++ call, outputs included: contiguous float32 / float64 CPU
// logits (N, C) with N > 0, a contiguous int64 CPU target (N,), no class weights, no
// label smoothing. Returns (per-sample losses (N,), each row's log-sum-exp (N,), the
// number of targets that are not ignore_index: the mean's divisor), or None for
// anything else, which ops/loss.cross_entropy checks, reshapes and words. In Python the
// checks, contiguity tests, allocations and the host count of the mean cost ~3x the
// kernel on a (64, 10) batch.
#include <pybind11/pybind11.h>

#include <optional>

#include "../cpu/softmax.h"
#include "gil.h"
#include "raw_python.h"
#include "registry.h"
#include "tensor_load.h"

namespace fastdl {
namespace {

PyObject* cpu_cross_entropy_new(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 3) {
    PyErr_SetString(PyExc_TypeError, "cpu_cross_entropy_new(logits, target, ignore_index)");
    return nullptr;
  }
  return translate_errors([&]() -> PyObject* {
    TensorArg x, t;
    if (!load_tensor(args[0], x) || !is_float_cpu(x) || x.ndim() != 2 || x.shape[0] == 0 || !x.is_contiguous() ||
        !load_tensor(args[1], t) || t.dtype != DType::Int64 || !t.on_cpu() || t.ndim() != 1 ||
        t.shape[0] != x.shape[0] || !t.is_contiguous() || !PyLong_CheckExact(args[2]))
      Py_RETURN_NONE;
    int overflow = 0;
    const long long ignore_index = PyLong_AsLongLongAndOverflow(args[2], &overflow);
    if (overflow) Py_RETURN_NONE;
    static PyObject* const k_shape = PyUnicode_InternFromString("_shape");
    auto shape = pybind11::reinterpret_steal<pybind11::object>(PyObject_GetAttr(args[1], k_shape));
    if (!shape) throw pybind11::error_already_set();
    pybind11::object loss, lse;
    const TensorArg loss_arg = new_output(args[0], x, shape.ptr(), t.shape, loss);
    const TensorArg lse_arg = new_output(args[0], x, shape.ptr(), t.shape, lse);
    int64_t valid = 0;
    {
      GilReleaseIf gil(heavy_call(x));
      cpu::cross_entropy(x, t, std::nullopt, loss_arg, lse_arg, ignore_index, 0.0);
      const int64_t* tp = t.data<int64_t>();
      for (int64_t i = 0; i < t.shape[0]; ++i) valid += tp[i] != ignore_index;
    }
    return pybind11::make_tuple(loss, lse, valid).release().ptr();
  });
}

PyMethodDef kMethods[] = {
    {"cpu_cross_entropy_new", as_pycfunction(cpu_cross_entropy_new), METH_FASTCALL,
     "cpu_cross_entropy_new(logits, target, ignore_index): (losses, lse, valid count), or None where the "
     "Python path must decide"},
};

}  // namespace

FASTDL_BIND(Top, loss_new) { add_functions(m, kMethods); }

}  // namespace fastdl
