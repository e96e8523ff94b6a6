// Function.apply in C++: every differentiable op's call passes here, so it is the
// hottest few lines of Python the library had (a quarter of a small op's time).
// The logic is autograd.py's, unchanged; autograd.py binds its classes once
// (bind_autograd) and installs `Function.apply = classmethod(_C.function_apply)`:
//
//   needs[i] = grad mode on and args[i] is a Tensor with requires_grad
//   no need:  ctx.needs_input_grad = (False,) * n; return cls.forward(ctx, *args)
//   else:     ctx.needs_input_grad = needs; forward with grad mode off;
//             node = Node(cls, ctx, edges, out_meta) with one edge per input that
//             needs grad ((producer node, output index), or the leaf's AccumulateGrad);
//             each floating-point output gets grad_fn = node, its index, requires_grad.
//
// Tensor and Node fields are __slots__, written through their descriptors' offsets
// (as bind_tensor_new.cpp does) after checking the descriptors at bind time.
#include <pybind11/pybind11.h>

#include <string>

#include "raw_python.h"
#include "registry.h"

namespace fastdl {
namespace {

enum TensorSlot { kRequiresGrad, kGradFn, kOutIndex, kAccumulator, kShape, kDtype, kDevice, kTensorSlots };
const char* const kTensorSlotNames[kTensorSlots] = {"_requires_grad", "_grad_fn", "_out_index", "_accumulator",
                                                    "_shape", "_dtype", "_device"};
enum NodeSlot { kFn, kCtx, kEdges, kOutMeta, kNodeSlots };
const char* const kNodeSlotNames[kNodeSlots] = {"fn", "ctx", "edges", "out_meta"};

struct Autograd {
  PyObject* state = nullptr;        // autograd._state (thread-local grad mode)
  PyObject* context = nullptr;      // autograd.Context
  PyTypeObject* node = nullptr;     // autograd.Node
  PyObject* accumulate = nullptr;   // autograd.AccumulateGrad
  PyTypeObject* tensor = nullptr;   // tensor.Tensor
  Py_ssize_t tensor_off[kTensorSlots] = {};
  Py_ssize_t node_off[kNodeSlots] = {};
  PyObject *s_enabled, *s_forward, *s_needs, *s_category;  // interned attribute names
};
Autograd g;

inline PyObject* tslot(PyObject* t, TensorSlot s) { return slot_at(t, g.tensor_off[s]); }  // borrowed, may be null

// Replaces a slot's value with `value` (a new reference, stolen).
inline void set_tslot(PyObject* t, TensorSlot s, PyObject* value) {
  PyObject*& field = slot_at(t, g.tensor_off[s]);
  PyObject* old = field;
  field = value;
  Py_XDECREF(old);
}

bool slot_offsets(PyObject* cls, const char* const* names, int n, Py_ssize_t* out) {
  for (int i = 0; i < n; ++i)
    if (!require_slot("bind_autograd", cls, names[i], &out[i])) return false;
  return true;
}

// bind_autograd(state, Context, Node, AccumulateGrad, Tensor)
PyObject* bind_autograd(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 5 || !PyType_Check(args[2]) || !PyType_Check(args[4])) {
    PyErr_SetString(PyExc_TypeError, "bind_autograd(state, Context, Node, AccumulateGrad, Tensor)");
    return nullptr;
  }
  Autograd a;
  if (!slot_offsets(args[2], kNodeSlotNames, kNodeSlots, a.node_off) ||
      !slot_offsets(args[4], kTensorSlotNames, kTensorSlots, a.tensor_off))
    return nullptr;
  for (int i = 0; i < 5; ++i) Py_INCREF(args[i]);
  a.state = args[0];
  a.context = args[1];
  a.node = reinterpret_cast<PyTypeObject*>(args[2]);
  a.accumulate = args[3];
  a.tensor = reinterpret_cast<PyTypeObject*>(args[4]);
  a.s_enabled = PyUnicode_InternFromString("enabled");
  a.s_forward = PyUnicode_InternFromString("forward");
  a.s_needs = PyUnicode_InternFromString("needs_input_grad");
  a.s_category = PyUnicode_InternFromString("category");
  g = a;
  Py_RETURN_NONE;
}

// (False,) * n, shared: the no-grad path's needs_input_grad.
PyObject* all_false(Py_ssize_t n) {
  static PyObject* cache[9] = {};
  if (n < 9 && cache[n]) return Py_NewRef(cache[n]);
  PyObject* t = PyTuple_New(n);
  if (!t) return nullptr;
  for (Py_ssize_t i = 0; i < n; ++i) PyTuple_SET_ITEM(t, i, Py_NewRef(Py_False));
  if (n < 9) cache[n] = Py_NewRef(t);
  return t;
}

// cls.forward(ctx, *args)
PyObject* call_forward(PyObject* cls, PyObject* ctx, PyObject* const* args, Py_ssize_t n) {
  PyObject* forward = PyObject_GetAttr(cls, g.s_forward);
  if (!forward) return nullptr;
  PyObject* small[9];
  PyObject** argv = n < 9 ? small : static_cast<PyObject**>(PyMem_Malloc(sizeof(PyObject*) * (n + 1)));
  if (!argv) {
    Py_DECREF(forward);
    return PyErr_NoMemory();
  }
  argv[0] = ctx;
  for (Py_ssize_t i = 0; i < n; ++i) argv[i + 1] = args[i];
  PyObject* out = PyObject_Vectorcall(forward, argv, n + 1, nullptr);
  if (argv != small) PyMem_Free(argv);
  Py_DECREF(forward);
  return out;
}

// The edge of a tensor that needs grad: (its producer node, output index), or (its
// AccumulateGrad, 0) for a leaf, created on first use and kept in t._accumulator.
PyObject* edge_of(PyObject* t) {
  PyObject* fn = tslot(t, kGradFn);
  static PyObject* const zero = PyLong_FromLong(0);
  if (fn && fn != Py_None) return PyTuple_Pack(2, fn, tslot(t, kOutIndex) ? tslot(t, kOutIndex) : zero);
  PyObject* acc = tslot(t, kAccumulator);
  if (!acc || acc == Py_None) {
    acc = PyObject_CallOneArg(g.accumulate, t);
    if (!acc) return nullptr;
    set_tslot(t, kAccumulator, acc);
  }
  return PyTuple_Pack(2, acc, zero);
}

// Makes output i point back at node (floating point only: integer outputs never require
// grad); returns its (shape, dtype, device), or None for a non-tensor.
PyObject* link(PyObject* o, PyObject* node, Py_ssize_t i) {
  if (!PyObject_TypeCheck(o, g.tensor)) return Py_NewRef(Py_None);
  if (!tslot(o, kDtype) || !tslot(o, kShape) || !tslot(o, kDevice)) {
    PyErr_SetString(PyExc_RuntimeError, "Function.apply: forward returned a Tensor with unset fields");
    return nullptr;
  }
  PyObject* category = PyObject_GetAttr(tslot(o, kDtype), g.s_category);
  if (!category) return nullptr;
  const long c = PyLong_AsLong(category);
  Py_DECREF(category);
  if (c == -1 && PyErr_Occurred()) return nullptr;
  if (c == 2) {
    PyObject* index = PyLong_FromSsize_t(i);
    if (!index) return nullptr;
    set_tslot(o, kGradFn, Py_NewRef(node));
    set_tslot(o, kOutIndex, index);
    set_tslot(o, kRequiresGrad, Py_NewRef(Py_True));
  }
  return PyTuple_Pack(3, tslot(o, kShape), tslot(o, kDtype), tslot(o, kDevice));
}

// Runs forward with grad mode off, restoring it whatever happens.
PyObject* forward_without_grad(PyObject* cls, PyObject* ctx, PyObject* const* args, Py_ssize_t n) {
  if (PyObject_SetAttr(g.state, g.s_enabled, Py_False) < 0) return nullptr;
  PyObject* out = call_forward(cls, ctx, args, n);
  PyObject *type, *value, *tb;
  PyErr_Fetch(&type, &value, &tb);
  const int restored = PyObject_SetAttr(g.state, g.s_enabled, Py_True);
  if (type) {
    if (restored < 0) PyErr_Clear();
    PyErr_Restore(type, value, tb);
    return nullptr;
  }
  if (restored < 0) {
    Py_XDECREF(out);
    return nullptr;
  }
  return out;
}

// An output that forward saved for backward (relu, tanh, exp, ... save theirs) would hold
// the node through its grad_fn while the node holds the ctx: a reference cycle, which
// only the garbage collector frees when backward never runs (a forward under grad mode
// without backward). The ctx keeps output.detach() instead (the same buffer and view, so
// the version check still sees in-place writes), as torch's SavedVariable does for
// outputs.
bool detach_saved_outputs(PyObject* ctx, PyObject* out) {
  static PyObject* const s_saved = PyUnicode_InternFromString("_saved");
  static PyObject* const s_detach = PyUnicode_InternFromString("detach");
  PyObject* saved = PyObject_GetAttr(ctx, s_saved);
  if (!saved) return false;
  pybind11::object held = pybind11::reinterpret_steal<pybind11::object>(saved);
  if (!PyTuple_Check(saved) || PyTuple_GET_SIZE(saved) == 0) return true;
  const bool many = PyTuple_Check(out);
  auto is_output = [&](PyObject* s) {
    if (!many) return s == out;
    for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(out); ++j)
      if (PyTuple_GET_ITEM(out, j) == s) return true;
    return false;
  };
  const Py_ssize_t n = PyTuple_GET_SIZE(saved);
  PyObject* replaced = nullptr;
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject* s = PyTuple_GET_ITEM(saved, i);
    if (s == Py_None || !is_output(s)) continue;
    if (!replaced) {  // a fresh tuple: the saved one may be shared
      replaced = PyTuple_New(n);
      if (!replaced) return false;
      for (Py_ssize_t j = 0; j < n; ++j) PyTuple_SET_ITEM(replaced, j, Py_NewRef(PyTuple_GET_ITEM(saved, j)));
    }
    PyObject* alias = PyObject_CallMethodNoArgs(s, s_detach);
    if (!alias) {
      Py_DECREF(replaced);
      return false;
    }
    Py_SETREF(PyTuple_GET_ITEM(replaced, i), alias);  // the copy's own reference goes
  }
  if (!replaced) return true;
  const int rc = PyObject_SetAttr(ctx, s_saved, replaced);
  Py_DECREF(replaced);
  return rc == 0;
}

// The graph part of apply once forward has run: node, edges, the outputs' links.
PyObject* record(PyObject* cls, PyObject* ctx, PyObject* const* args, Py_ssize_t n, const bool* needs,
                 PyObject* out) {
  PyObject* edges = PyTuple_New(n);
  if (!edges) return nullptr;
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject* e = needs[i] ? edge_of(args[i]) : Py_NewRef(Py_None);
    if (!e) {
      Py_DECREF(edges);
      return nullptr;
    }
    PyTuple_SET_ITEM(edges, i, e);
  }
  PyObject* node = g.node->tp_alloc(g.node, 0);
  if (!node) {
    Py_DECREF(edges);
    return nullptr;
  }
  slot_at(node, g.node_off[kFn]) = Py_NewRef(cls);
  slot_at(node, g.node_off[kCtx]) = Py_NewRef(ctx);
  slot_at(node, g.node_off[kEdges]) = edges;
  slot_at(node, g.node_off[kOutMeta]) = Py_NewRef(Py_None);
  const bool many = PyTuple_Check(out);
  const Py_ssize_t m = many ? PyTuple_GET_SIZE(out) : 1;
  PyObject* meta = PyTuple_New(m);
  for (Py_ssize_t i = 0; meta && i < m; ++i) {
    PyObject* item = link(many ? PyTuple_GET_ITEM(out, i) : out, node, i);
    if (!item) Py_CLEAR(meta);
    else PyTuple_SET_ITEM(meta, i, item);
  }
  if (!meta) {
    Py_DECREF(node);
    return nullptr;
  }
  PyObject*& field = slot_at(node, g.node_off[kOutMeta]);
  Py_DECREF(field);
  field = meta;
  Py_DECREF(node);  // the outputs hold it now (a graph with no float output dies here)
  return detach_saved_outputs(ctx, out) ? out : nullptr;
}

// function_apply(cls, *args): Function.apply
PyObject* function_apply(PyObject*, PyObject* const* argv, Py_ssize_t nargs) {
  if (!g.tensor) {
    PyErr_SetString(PyExc_RuntimeError, "fastdl._C: bind_autograd has not been called");
    return nullptr;
  }
  if (nargs < 1) {
    PyErr_SetString(PyExc_TypeError, "Function.apply needs the Function class");
    return nullptr;
  }
  PyObject* cls = argv[0];
  PyObject* const* args = argv + 1;
  const Py_ssize_t n = nargs - 1;
  bool small_needs[16];
  bool* needs = n <= 16 ? small_needs : static_cast<bool*>(PyMem_Malloc(static_cast<size_t>(n)));
  if (!needs) return PyErr_NoMemory();
  bool recording = false;
  PyObject* enabled = PyObject_GetAttr(g.state, g.s_enabled);
  PyObject* ctx = enabled ? PyObject_CallNoArgs(g.context) : nullptr;
  PyObject* out = nullptr;
  if (ctx) {
    const bool grad_mode = enabled == Py_True;
    for (Py_ssize_t i = 0; i < n; ++i) {
      needs[i] = grad_mode && PyObject_TypeCheck(args[i], g.tensor) && tslot(args[i], kRequiresGrad) == Py_True;
      recording |= needs[i];
    }
    PyObject* flags = recording ? PyTuple_New(n) : all_false(n);
    if (flags && recording)
      for (Py_ssize_t i = 0; i < n; ++i) PyTuple_SET_ITEM(flags, i, Py_NewRef(needs[i] ? Py_True : Py_False));
    const int set = flags ? PyObject_SetAttr(ctx, g.s_needs, flags) : -1;
    Py_XDECREF(flags);
    if (set == 0) {
      out = recording ? forward_without_grad(cls, ctx, args, n) : call_forward(cls, ctx, args, n);
      if (out && recording && !record(cls, ctx, args, n, needs, out)) Py_CLEAR(out);
    }
  }
  Py_XDECREF(enabled);
  Py_XDECREF(ctx);
  if (needs != small_needs) PyMem_Free(needs);
  return out;
}

// edge_of(tensor): the edge above, for the engine's roots (autograd.py).
PyObject* edge_of_py(PyObject*, PyObject* t) {
  if (!g.tensor) {
    PyErr_SetString(PyExc_RuntimeError, "fastdl._C: bind_autograd has not been called");
    return nullptr;
  }
  if (!PyObject_TypeCheck(t, g.tensor)) {
    PyErr_Format(PyExc_TypeError, "edge_of: expected a Tensor, got %s", Py_TYPE(t)->tp_name);
    return nullptr;
  }
  return edge_of(t);
}

PyMethodDef kMethods[] = {
    {"bind_autograd", as_pycfunction(bind_autograd), METH_FASTCALL,
     "bind_autograd(state, Context, Node, AccumulateGrad, Tensor): the classes function_apply uses"},
    {"function_apply", as_pycfunction(function_apply), METH_FASTCALL,
     "function_apply(cls, *args): Function.apply (see autograd.py)"},
    {"edge_of", as_pycfunction(edge_of_py), METH_O,
     "edge_of(tensor): (producer node, output index), or (the leaf's AccumulateGrad, 0)"},
};

}  // namespace

FASTDL_BIND(Top, autograd_apply) { add_functions(m, kMethods); }

}  // namespace fastdl
