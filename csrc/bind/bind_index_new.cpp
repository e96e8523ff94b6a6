// Advanced indexing of CPU tensors by index tensors in one call (cpu/index_rows.h):
// through the Python path x[idx] took 25-55 us on small tensors (torch 3-5 us), most
// of it parsing the key, NumPy arithmetic on the indices and an index_select's checks.
//
// _C.cpu_index_rows(x, key, positions_like): x[key] as a new contiguous tensor when key
//   is a CPU index tensor or a tuple of them that the Python path would read as
//   leading-dim rows (int64 / int32 tensors of ndim >= 1 for x's first dims, or one bool
//   mask of x's leading shape). With positions_like (an int64 CPU tensor: the dtype and
//   device of the result) it returns (out, positions, m): the rows' row-major positions
//   over x.shape[:m], which the backward adds the gradient at, and m.
// _C.cpu_put_rows(x, key, value): x[key] = value for such a key, a contiguous x and a
//   CPU tensor value of x's dtype (not sharing x's buffer) that broadcasts to the
//   indexed shape; returns True.
// Both return None for any other case, an out-of-range index or a shape that does not
// broadcast included: the Python path (ops/indexing.py) decides those and words the
// errors, so the rules have one definition.
#include <pybind11/pybind11.h>

#include <vector>

#include "../cpu/index_rows.h"
#include "gil.h"
#include "raw_python.h"
#include "registry.h"
#include "tensor_load.h"

namespace fastdl {
namespace {

enum class KeyKind { None, Indices, Mask };

// Loads key's tensors into `keys` and says how the Python path would read them.
KeyKind load_key(PyObject* key, const TensorArg& x, std::vector<TensorArg>& keys) {
  if (is_tensor(key)) {
    keys.resize(1);
    if (!load_tensor(key, keys[0])) return KeyKind::None;
  } else if (PyTuple_CheckExact(key)) {
    const Py_ssize_t n = PyTuple_GET_SIZE(key);
    if (n < 1 || n > x.ndim()) return KeyKind::None;
    keys.resize(static_cast<size_t>(n));
    for (Py_ssize_t i = 0; i < n; ++i)
      if (!load_tensor(PyTuple_GET_ITEM(key, i), keys[i])) return KeyKind::None;
  } else {
    return KeyKind::None;
  }
  for (const TensorArg& k : keys)
    if (!k.on_cpu() || k.ndim() == 0) return KeyKind::None;  // (a 0-d integer key is an int: a view)
  if (keys[0].dtype == DType::Bool) {
    const TensorArg& mask = keys[0];
    if (keys.size() != 1 || mask.ndim() > x.ndim()) return KeyKind::None;
    for (int d = 0; d < mask.ndim(); ++d)
      if (mask.shape[d] != x.shape[d]) return KeyKind::None;
    return KeyKind::Mask;
  }
  if (static_cast<int>(keys.size()) > x.ndim()) return KeyKind::None;
  for (const TensorArg& k : keys)
    if (k.dtype != DType::Int64 && k.dtype != DType::Int32) return KeyKind::None;
  return KeyKind::Indices;
}

std::optional<cpu::RowPlan> plan_rows(PyObject* key, const TensorArg& x, bool positions) {
  std::vector<TensorArg> keys;
  switch (load_key(key, x, keys)) {
    case KeyKind::Mask: return cpu::plan_mask_rows(x, keys[0], positions);
    case KeyKind::Indices: return cpu::plan_index_rows(x, keys, positions);
    default: return std::nullopt;
  }
}

// plan.lead + x.shape[m:]
std::vector<int64_t> indexed_shape(const cpu::RowPlan& plan, const TensorArg& x) {
  std::vector<int64_t> dims = plan.lead;
  dims.insert(dims.end(), x.shape.begin() + plan.m, x.shape.end());
  return dims;
}


PyObject* index_rows(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 3) {
    PyErr_SetString(PyExc_TypeError, "cpu_index_rows(x, key, positions_like)");
    return nullptr;
  }
  return translate_errors([&]() -> PyObject* {
    TensorArg x;
    if (!load_tensor(args[0], x) || !x.on_cpu() || x.ndim() == 0) Py_RETURN_NONE;
    const bool want_positions = args[2] != Py_None;
    TensorArg like;
    if (want_positions && (!load_tensor(args[2], like) || like.dtype != DType::Int64)) Py_RETURN_NONE;
    const std::optional<cpu::RowPlan> plan = plan_rows(args[1], x, want_positions);
    if (!plan) Py_RETURN_NONE;
    const std::vector<int64_t> dims = indexed_shape(*plan, x);
    pybind11::object out;
    const TensorArg o = new_output(args[0], x, int_tuple(dims).ptr(), dims, out);
    {
      GilReleaseIf gil(heavy_call(o));
      cpu::gather_rows(x, *plan, o);
    }
    if (!want_positions) return out.release().ptr();
    const std::vector<int64_t> n{static_cast<int64_t>(plan->positions.size())};
    pybind11::object pos;
    const TensorArg p = new_output(args[2], like, int_tuple(n).ptr(), n, pos);
    std::copy(plan->positions.begin(), plan->positions.end(), p.data<int64_t>());
    return pybind11::make_tuple(out, pos, plan->m).release().ptr();
  });
}

// value's view broadcast to `dims` (strides 0 where it broadcasts); false when it does not.
bool broadcast_to(const TensorArg& value, const std::vector<int64_t>& dims, TensorArg& out) {
  if (value.ndim() > static_cast<int>(dims.size())) return false;
  out = value;
  out.shape = dims;
  out.strides.assign(dims.size(), 0);
  const size_t lead = dims.size() - value.shape.size();
  for (size_t j = 0; j < value.shape.size(); ++j) {
    if (value.shape[j] == dims[lead + j]) out.strides[lead + j] = value.strides[j];
    else if (value.shape[j] != 1) return false;
  }
  return true;
}

PyObject* put_rows(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 3) {
    PyErr_SetString(PyExc_TypeError, "cpu_put_rows(x, key, value)");
    return nullptr;
  }
  return translate_errors([&]() -> PyObject* {
    TensorArg x, value, src;
    if (!load_tensor(args[0], x) || !x.on_cpu() || x.ndim() == 0 || !x.is_contiguous() ||
        !load_tensor(args[2], value) || !value.on_cpu() || value.dtype != x.dtype || value.buf == x.buf)
      Py_RETURN_NONE;
    const std::optional<cpu::RowPlan> plan = plan_rows(args[1], x, false);
    if (!plan || !broadcast_to(value, indexed_shape(*plan, x), src)) Py_RETURN_NONE;
    {
      GilReleaseIf gil(heavy_call(src));
      cpu::put_rows(x, *plan, src);
    }
    Py_RETURN_TRUE;
  });
}

PyMethodDef kMethods[] = {
    {"cpu_index_rows", as_pycfunction(index_rows), METH_FASTCALL,
     "cpu_index_rows(x, key, positions_like): x[key] for index-tensor keys (with the rows' positions when "
     "positions_like is an int64 tensor), or None where the Python path must decide"},
    {"cpu_put_rows", as_pycfunction(put_rows), METH_FASTCALL,
     "cpu_put_rows(x, key, value): x[key] = value for index-tensor keys, True, or None where the Python path "
     "must decide"},
};

}  // namespace

FASTDL_BIND(Top, index_new) { add_functions(m, kMethods); }

}  // namespace fastdl
