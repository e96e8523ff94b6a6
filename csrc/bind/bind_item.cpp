// _C.cpu_item(t): t.item() for a one-element CPU tensor, the Python number read straight
// from the buffer (float for floating dtypes, int, bool, complex); None for anything
// else (another device, more elements), which Tensor.item's Python path handles and
// words. Through NumPy (frombuffer, reshape, item) loss.item() took ~1.7 us, torch 0.26;
// training loops call it every step.
#include <pybind11/pybind11.h>

#include <cstring>

#include "../common/complex_convert.h"
#include "../common/half_convert.h"
#include "raw_python.h"
#include "registry.h"
#include "tensor_load.h"

namespace fastdl {
namespace {

template <typename T>
T load(const TensorArg& t) {
  T v;
  std::memcpy(&v, t.bytes(), sizeof(T));
  return v;
}

PyObject* item_of(const TensorArg& t) {
  switch (t.dtype) {
    case DType::Float32: return PyFloat_FromDouble(load<float>(t));
    case DType::Float64: return PyFloat_FromDouble(load<double>(t));
    case DType::Float16: return PyFloat_FromDouble(half_to_float(load<Half>(t)));
    case DType::BFloat16: return PyFloat_FromDouble(bfloat16_to_float(load<BFloat16>(t)));
    case DType::Int64: return PyLong_FromLongLong(load<int64_t>(t));
    case DType::Int32: return PyLong_FromLong(load<int32_t>(t));
    case DType::Int16: return PyLong_FromLong(load<int16_t>(t));
    case DType::Int8: return PyLong_FromLong(load<int8_t>(t));
    case DType::UInt8: return PyLong_FromLong(load<uint8_t>(t));
    case DType::Bool: return PyBool_FromLong(load<uint8_t>(t) != 0);
    case DType::Complex64: {
      const auto c = load<ComplexFloat>(t);
      return PyComplex_FromDoubles(c.re, c.im);
    }
    case DType::Complex128: {
      const auto c = load<ComplexDouble>(t);
      return PyComplex_FromDoubles(c.re, c.im);
    }
  }
  Py_RETURN_NONE;
}

PyObject* cpu_item(PyObject*, PyObject* t) {
  return translate_errors([&]() -> PyObject* {
    TensorArg a;
    if (!load_tensor(t, a) || !a.on_cpu() || a.numel() != 1) Py_RETURN_NONE;
    return item_of(a);
  });
}

PyMethodDef kMethods[] = {
    {"cpu_item", as_pycfunction(cpu_item), METH_O,
     "cpu_item(t): t.item() for a one-element CPU tensor, or None where the Python path must decide"},
};

}  // namespace

FASTDL_BIND(Top, item) { add_functions(m, kMethods); }

}  // namespace fastdl
