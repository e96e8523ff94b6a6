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
// A Function whose class declares `fast_forward` in its own body (Add, Sub, Mul, Div
// and the unary table of ops/elementwise.py) gets its forward run here when the
// operands are the float CPU ones cpu_binary_new / cpu_unary_new handle: the kernel,
// then (when recording) the same ctx fields its Python forward would leave, so the
// call never enters Python; anything else runs the Python forward (run_declared).
//
// Tensor and Node fields are __slots__, written through their descriptors' offsets
// (as bind_tensor_new.cpp does) after checking the descriptors at bind time.
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "elementwise_new.h"
#include "grad_mode.h"
#include "raw_python.h"
#include "registry.h"
#include "tensor_new.h"

namespace fastdl {
namespace {

enum TensorSlot { kRequiresGrad, kGradFn, kOutIndex, kAccumulator, kShape, kDtype, kDevice, kTensorSlots };
const char* const kTensorSlotNames[kTensorSlots] = {"_requires_grad", "_grad_fn", "_out_index", "_accumulator",
                                                    "_shape", "_dtype", "_device"};
enum NodeSlot { kFn, kCtx, kEdges, kOutMeta, kNodeSlots };
const char* const kNodeSlotNames[kNodeSlots] = {"fn", "ctx", "edges", "out_meta"};

struct Autograd {
  PyObject* context = nullptr;      // autograd.Context
  PyTypeObject* node = nullptr;     // autograd.Node
  PyObject* accumulate = nullptr;   // autograd.AccumulateGrad
  PyTypeObject* tensor = nullptr;   // tensor.Tensor
  Py_ssize_t tensor_off[kTensorSlots] = {};
  Py_ssize_t node_off[kNodeSlots] = {};
  PyObject *s_forward, *s_needs, *s_category, *s_fast_forward;  // interned attribute names
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

// bind_autograd(Context, Node, AccumulateGrad, Tensor)
PyObject* bind_autograd(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 4 || !PyType_Check(args[1]) || !PyType_Check(args[3])) {
    PyErr_SetString(PyExc_TypeError, "bind_autograd(Context, Node, AccumulateGrad, Tensor)");
    return nullptr;
  }
  Autograd a;
  if (!slot_offsets(args[1], kNodeSlotNames, kNodeSlots, a.node_off) ||
      !slot_offsets(args[3], kTensorSlotNames, kTensorSlots, a.tensor_off))
    return nullptr;
  for (int i = 0; i < 4; ++i) Py_INCREF(args[i]);
  a.context = args[0];
  a.node = reinterpret_cast<PyTypeObject*>(args[1]);
  a.accumulate = args[2];
  a.tensor = reinterpret_cast<PyTypeObject*>(args[3]);
  a.s_forward = PyUnicode_InternFromString("forward");
  a.s_needs = PyUnicode_InternFromString("needs_input_grad");
  a.s_category = PyUnicode_InternFromString("category");
  a.s_fast_forward = PyUnicode_InternFromString("fast_forward");
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

// dtype.category (2: floating point), remembered per dtype object (fastdl's are a few
// immortal singletons); -1 with an error set when it cannot be read.
long category_of(PyObject* dtype) {
  static PyObject* seen[16];
  static long categories[16];
  static int n = 0;
  for (int i = 0; i < n; ++i)
    if (seen[i] == dtype) return categories[i];
  PyObject* category = PyObject_GetAttr(dtype, g.s_category);
  if (!category) return -1;
  const long c = PyLong_AsLong(category);
  Py_DECREF(category);
  if (c == -1 && PyErr_Occurred()) return -1;
  if (n < 16) {
    seen[n] = Py_NewRef(dtype);
    categories[n++] = c;
  }
  return c;
}

// Makes output i point back at node (floating point and complex only: integer outputs
// never require grad); returns its (shape, dtype, device), or None for a non-tensor.
PyObject* link(PyObject* o, PyObject* node, Py_ssize_t i) {
  if (!PyObject_TypeCheck(o, g.tensor)) return Py_NewRef(Py_None);
  if (!tslot(o, kDtype) || !tslot(o, kShape) || !tslot(o, kDevice)) {
    PyErr_SetString(PyExc_RuntimeError, "Function.apply: forward returned a Tensor with unset fields");
    return nullptr;
  }
  const long c = category_of(tslot(o, kDtype));
  if (c == -1 && PyErr_Occurred()) return nullptr;
  if (c >= 2) {  // 2: floating, 3: complex
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
  set_grad_enabled(false);
  PyObject* out = call_forward(cls, ctx, args, n);
  set_grad_enabled(true);
  return out;
}

// An output that forward saved for backward (relu, tanh, exp, ... save theirs) would hold
// the node through its grad_fn while the node holds the ctx: a reference cycle, which
// only the garbage collector frees when backward never runs (a forward under grad mode
// without backward). The ctx keeps output.detach() instead (the same buffer and view, so
// the version check still sees in-place writes), as torch's SavedVariable does for
// outputs. ctx._saved_outputs lists (saved index, output index) for each such alias, so
// that a backward recorded for higher-order gradients can link it back to the node
// (autograd.Node.apply).
bool set_saved_outputs(PyObject* ctx, PyObject* pairs) {
  static PyObject* const k_pairs = PyUnicode_InternFromString("_saved_outputs");
  if (!pairs) return false;
  const int rc = PyObject_SetAttr(ctx, k_pairs, pairs);
  Py_DECREF(pairs);
  return rc == 0;
}

bool detach_saved_outputs(PyObject* ctx, PyObject* out) {
  static PyObject* const s_saved = PyUnicode_InternFromString("_saved");
  static PyObject* const s_detach = PyUnicode_InternFromString("detach");
  PyObject* saved = PyObject_GetAttr(ctx, s_saved);
  if (!saved) return false;
  pybind11::object held = pybind11::reinterpret_steal<pybind11::object>(saved);
  if (!PyTuple_Check(saved) || PyTuple_GET_SIZE(saved) == 0) return true;
  const bool many = PyTuple_Check(out);
  auto output_index = [&](PyObject* s) -> Py_ssize_t {
    if (!many) return s == out ? 0 : -1;
    for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(out); ++j)
      if (PyTuple_GET_ITEM(out, j) == s) return j;
    return -1;
  };
  const Py_ssize_t n = PyTuple_GET_SIZE(saved);
  PyObject* replaced = nullptr;
  pybind11::list pairs;
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject* s = PyTuple_GET_ITEM(saved, i);
    const Py_ssize_t j = s == Py_None ? -1 : output_index(s);
    if (j < 0) continue;
    pairs.append(pybind11::make_tuple(i, j));
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
  return rc == 0 && set_saved_outputs(ctx, PySequence_Tuple(pairs.ptr()));
}

// autograd_graph._pack_ctx(ctx) while a saved-tensor hook (autograd.graph) is active
// anywhere, else null: the ctx's saved tensors go through the pack hook once the node
// is recorded (the ctx holds the packed objects instead). Null costs one test per op.
PyObject* g_packer = nullptr;

// set_saved_tensor_packer(fn or None)
PyObject* set_saved_tensor_packer(PyObject*, PyObject* fn) {
  Py_XSETREF(g_packer, fn == Py_None ? nullptr : Py_NewRef(fn));
  Py_RETURN_NONE;
}

// The graph part of apply once forward has run: node, edges, the outputs' links.
// (run_declared saves its outputs detached already: detach_outputs false.)
PyObject* record(PyObject* cls, PyObject* ctx, PyObject* const* args, Py_ssize_t n, const bool* needs,
                 PyObject* out, bool detach_outputs = true) {
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
  if (detach_outputs && !detach_saved_outputs(ctx, out)) return nullptr;
  if (g_packer) {  // a saved-tensor hook is active: pack what the ctx saved, once
    PyObject* r = PyObject_CallOneArg(g_packer, ctx);
    if (!r) return nullptr;
    Py_DECREF(r);
  }
  return out;
}

// ---- declared forwards ------------------------------------------------------------
// cls.fast_forward = (kind, op, saves), as ops/elementwise.py declares it:
//   ("binary", op, (a, b, out)): out = cpu_binary_new(op, a, b) for apply(a, b); ctx gets
//     inputs_meta = (meta(a), meta(b)), meta(x) = (x._shape, x._dtype) or None for a
//     number; scalars = (a or None, b or None), the operands that are not tensors; and,
//     unless every saves entry is 0, save_for_backward(a, b, out) with the entries
//     whose rule holds (others None);
//   ("unary", op, (x, y)): out = cpu_unary_new(op, x, p0, p1) for apply(x[, p0[, p1]])
//     (p0, p1 default 0.0); ctx gets params = (p0, p1) and save_for_backward(x, out)
//     with the entries whose rule holds;
//   ("reduce", op, ()): out = cpu_reduce_new(op, x, dims, keepdim) for apply(x, dims,
//     keepdim, None) (a dtype argument: the Python forward); ctx gets
//     meta = (x._shape, dims, keepdim) and saves nothing.
// A saves rule: 0 never, 1 when input 0 needs grad, 2 when input 1 does, 3 always; a
// number is never saved. Saved outputs are kept detached (detach_saved_outputs above).

enum SaveRule { kNever = 0, kIfFirst = 1, kIfSecond = 2, kAlways = 3 };

enum class Kind { Binary, Unary, Reduce };

struct Declared {
  Kind kind;
  PyObject* op;      // borrowed from the declaration
  long saves[3];
  Py_ssize_t nsaves;
};

// Declarations parsed before, by the declaration tuple's address (the entry holds the
// tuple, so the address is not reused while it is there).
struct ParsedDeclaration {
  PyObject* decl = nullptr;
  Declared parsed;
};
ParsedDeclaration g_parsed[64];

// Reads cls.__dict__["fast_forward"] (only the class's own: a subclass that overrides
// forward must not inherit it). False without an error when there is none.
bool read_declared(PyObject* cls, Declared* d, PyObject** held) {
  *held = nullptr;
  PyObject* dict = PyType_Check(cls) ? reinterpret_cast<PyTypeObject*>(cls)->tp_dict : nullptr;
  PyObject* decl = dict ? PyDict_GetItemWithError(dict, g.s_fast_forward) : nullptr;
  if (!decl || decl == Py_None) return false;
  Py_INCREF(decl);
  *held = decl;
  ParsedDeclaration& seen = g_parsed[(reinterpret_cast<uintptr_t>(decl) >> 4) & 63];
  if (seen.decl == decl) {
    *d = seen.parsed;
    return true;
  }
  bool ok = PyTuple_Check(decl) && PyTuple_GET_SIZE(decl) == 3 && PyUnicode_Check(PyTuple_GET_ITEM(decl, 0)) &&
            PyUnicode_Check(PyTuple_GET_ITEM(decl, 1)) && PyTuple_Check(PyTuple_GET_ITEM(decl, 2));
  if (ok) {
    PyObject* kind = PyTuple_GET_ITEM(decl, 0);
    PyObject* saves = PyTuple_GET_ITEM(decl, 2);
    d->op = PyTuple_GET_ITEM(decl, 1);
    d->nsaves = PyTuple_GET_SIZE(saves);
    if (PyUnicode_CompareWithASCIIString(kind, "binary") == 0) {
      d->kind = Kind::Binary;
      ok = d->nsaves == 3;
    } else if (PyUnicode_CompareWithASCIIString(kind, "unary") == 0) {
      d->kind = Kind::Unary;
      ok = d->nsaves == 2;
    } else {
      d->kind = Kind::Reduce;
      ok = PyUnicode_CompareWithASCIIString(kind, "reduce") == 0 && d->nsaves == 0;
    }
    for (Py_ssize_t i = 0; ok && i < d->nsaves; ++i) {
      d->saves[i] = PyLong_Check(PyTuple_GET_ITEM(saves, i)) ? PyLong_AsLong(PyTuple_GET_ITEM(saves, i)) : -1;
      ok = d->saves[i] >= kNever && d->saves[i] <= kAlways;
    }
  }
  if (ok) {
    Py_XSETREF(seen.decl, Py_NewRef(decl));
    seen.parsed = *d;
  } else {
    PyErr_Format(PyExc_TypeError,
                 "Function.apply: %R.fast_forward must be ('binary', op, (rule a, rule b, rule out)), "
                 "('unary', op, (rule x, rule y)) with rules 0-3, or ('reduce', op, ()), got %R", cls, decl);
    Py_CLEAR(*held);
  }
  return ok;
}

bool save_wanted(long rule, const bool* needs, Py_ssize_t n) {
  return rule == kAlways || (rule == kIfFirst && n > 0 && needs[0]) || (rule == kIfSecond && n > 1 && needs[1]);
}

// The declared kernel on args: a new tensor, None where the Python forward must run, or
// null with an error set.
PyObject* run_kernel(const Declared& d, PyObject* const* args, Py_ssize_t n) {
  static PyObject* const zero = PyFloat_FromDouble(0.0);
  if (d.kind == Kind::Binary) return n == 2 ? cpu_binary_new(d.op, args[0], args[1]) : Py_NewRef(Py_None);
  if (d.kind == Kind::Reduce)
    return n == 4 && args[3] == Py_None ? cpu_reduce_new(d.op, args[0], args[1], args[2]) : Py_NewRef(Py_None);
  if (n < 1 || n > 3) return Py_NewRef(Py_None);
  return cpu_unary_new(d.op, args[0], n > 1 ? args[1] : zero, n > 2 ? args[2] : zero);
}

// ctx.<key> = value (stolen; null: an error already set).
bool set_attr(PyObject* ctx, PyObject* key, PyObject* value) {
  if (!value) return false;
  const int rc = PyObject_SetAttr(ctx, key, value);
  Py_DECREF(value);
  return rc == 0;
}

PyObject* interned(const char* name) { return PyUnicode_InternFromString(name); }

PyObject* meta_of(PyObject* x) {
  if (!PyObject_TypeCheck(x, g.tensor)) return Py_NewRef(Py_None);
  return PyTuple_Pack(2, tslot(x, kShape), tslot(x, kDtype));
}

// ctx.save_for_backward(*items) with items[i] kept where keep[i] (a tensor; `out` as its
// detached alias) and None elsewhere; _versions as Context.save_for_backward records them.
bool save(PyObject* ctx, PyObject* const* items, const bool* keep, Py_ssize_t m, PyObject* out) {
  static PyObject* const k_saved = interned("_saved");
  static PyObject* const k_versions = interned("_versions");
  auto saved = pybind11::reinterpret_steal<pybind11::object>(PyTuple_New(m));
  auto versions = pybind11::reinterpret_steal<pybind11::object>(PyList_New(m));
  if (!saved || !versions) return false;
  for (Py_ssize_t i = 0; i < m; ++i) {
    PyObject* t = items[i];
    if (!keep[i] || !PyObject_TypeCheck(t, g.tensor)) {
      PyTuple_SET_ITEM(saved.ptr(), i, Py_NewRef(Py_None));
      PyList_SET_ITEM(versions.ptr(), i, Py_NewRef(Py_None));
      continue;
    }
    PyObject* kept = t == out ? detached_alias(t) : Py_NewRef(t);
    if (!kept) return false;
    if (t == out && !set_saved_outputs(ctx, Py_BuildValue("((nn))", i, Py_ssize_t(0)))) {
      Py_DECREF(kept);
      return false;
    }
    PyTuple_SET_ITEM(saved.ptr(), i, kept);
    int64_t version = 0;
    PyObject* v = buffer_version(kept, &version) ? PyLong_FromLongLong(version) : nullptr;
    if (!v) return false;
    PyList_SET_ITEM(versions.ptr(), i, v);
  }
  return set_attr(ctx, k_saved, saved.release().ptr()) && set_attr(ctx, k_versions, versions.release().ptr());
}

// The ctx fields the declaring class's Python forward leaves (see above).
bool fill_ctx(const Declared& d, PyObject* ctx, PyObject* const* args, Py_ssize_t n, const bool* needs,
              PyObject* out) {
  static PyObject* const k_meta = interned("inputs_meta");
  static PyObject* const k_scalars = interned("scalars");
  static PyObject* const k_params = interned("params");
  static PyObject* const k_reduce_meta = interned("meta");
  static PyObject* const zero = PyFloat_FromDouble(0.0);
  if (d.kind == Kind::Reduce)  // apply(x, dims, keepdim, None): run_kernel checked the count
    return set_attr(ctx, k_reduce_meta, PyTuple_Pack(3, tslot(args[0], kShape), args[1], args[2]));
  bool keep[3];
  for (Py_ssize_t i = 0; i < d.nsaves; ++i) keep[i] = save_wanted(d.saves[i], needs, n);
  if (d.kind == Kind::Binary) {
    PyObject *ma = meta_of(args[0]), *mb = meta_of(args[1]);
    PyObject* meta = ma && mb ? PyTuple_Pack(2, ma, mb) : nullptr;
    Py_XDECREF(ma);
    Py_XDECREF(mb);
    PyObject* sa = PyObject_TypeCheck(args[0], g.tensor) ? Py_None : args[0];
    PyObject* sb = PyObject_TypeCheck(args[1], g.tensor) ? Py_None : args[1];
    if (!set_attr(ctx, k_meta, meta) || !set_attr(ctx, k_scalars, PyTuple_Pack(2, sa, sb))) return false;
    if (!(d.saves[0] || d.saves[1] || d.saves[2])) return true;
    PyObject* items[3] = {args[0], args[1], out};
    return save(ctx, items, keep, 3, out);
  }
  if (!set_attr(ctx, k_params, PyTuple_Pack(2, n > 1 ? args[1] : zero, n > 2 ? args[2] : zero))) return false;
  PyObject* items[2] = {args[0], out};
  return save(ctx, items, keep, 2, out);
}

// apply's declared path: the kernel, then (recording) a ctx filled as the Python forward
// fills it and the graph. None (a new reference) where the Python forward must run.
PyObject* run_declared(PyObject* cls, const Declared& d, PyObject* const* args, Py_ssize_t n, const bool* needs,
                       bool recording) {
  PyObject* out = run_kernel(d, args, n);
  if (!out || out == Py_None || !recording) return out;
  PyObject* ctx = PyObject_CallNoArgs(g.context);
  PyObject* flags = ctx ? PyTuple_New(n) : nullptr;  // set_attr takes it over
  for (Py_ssize_t i = 0; flags && i < n; ++i) PyTuple_SET_ITEM(flags, i, Py_NewRef(needs[i] ? Py_True : Py_False));
  const bool ok = flags && set_attr(ctx, g.s_needs, flags) && fill_ctx(d, ctx, args, n, needs, out) &&
                  record(cls, ctx, args, n, needs, out, false);
  Py_XDECREF(ctx);
  if (!ok) Py_CLEAR(out);
  return out;
}

bool bound() {
  if (g.tensor) return true;
  PyErr_SetString(PyExc_RuntimeError, "fastdl._C: bind_autograd has not been called");
  return false;
}

// cls.apply(*args), args[0..n)
PyObject* apply(PyObject* cls, PyObject* const* args, const Py_ssize_t n) {
  bool small_needs[16];
  bool* needs = n <= 16 ? small_needs : static_cast<bool*>(PyMem_Malloc(static_cast<size_t>(n)));
  if (!needs) return PyErr_NoMemory();
  bool recording = false;
  PyObject* out = nullptr;
  PyObject* ctx = nullptr;
  PyObject* decl = nullptr;
  Declared declared;
  {
    const bool grad_mode = grad_enabled();
    for (Py_ssize_t i = 0; i < n; ++i) {
      needs[i] = grad_mode && PyObject_TypeCheck(args[i], g.tensor) && tslot(args[i], kRequiresGrad) == Py_True;
      recording |= needs[i];
    }
    bool done = false;  // by the declared forward: its result, or an error
    if (read_declared(cls, &declared, &decl)) {
      out = run_declared(cls, declared, args, n, needs, recording);
      done = out != Py_None;
      if (!done) Py_CLEAR(out);  // not its operands: the Python forward below
    } else {
      done = PyErr_Occurred() != nullptr;
    }
    if (!done) ctx = PyObject_CallNoArgs(g.context);
  }
  if (ctx) {
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
  Py_XDECREF(decl);
  Py_XDECREF(ctx);
  if (needs != small_needs) PyMem_Free(needs);
  return out;
}

// function_apply(cls, *args): Function.apply
PyObject* function_apply(PyObject*, PyObject* const* argv, Py_ssize_t nargs) {
  if (!bound()) return nullptr;
  if (nargs < 1) {
    PyErr_SetString(PyExc_TypeError, "Function.apply needs the Function class");
    return nullptr;
  }
  return apply(argv[0], argv + 1, nargs - 1);
}

// ---- Function methods -------------------------------------------------------------
// function_method(cls, arity, reflected=False): a Tensor method (or operator) of
// `arity` arguments (self included) that is cls.apply itself: t.relu() -> Relu.apply(t),
// a * b -> Mul.apply(a, b), and reflected 2 - t -> Sub.apply(2, t); a Python `lambda a, b: Mul.apply(a, b)` costs a frame and a
// bound classmethod per call. A method descriptor type, so that attribute lookup on a
// Tensor and the operator slots pass the tensor as the first argument.
struct FunctionMethod {
  PyObject_HEAD
  vectorcallfunc vectorcall;
  PyObject* cls;
  int reflected;
  Py_ssize_t arity;  // the number of arguments, self included
};

PyObject* method_vectorcall(PyObject* self, PyObject* const* args, size_t nargsf, PyObject* kwnames) {
  auto* m = reinterpret_cast<FunctionMethod*>(self);
  const Py_ssize_t n = PyVectorcall_NARGS(nargsf);
  const char* name = reinterpret_cast<PyTypeObject*>(m->cls)->tp_name;
  if (!bound()) return nullptr;
  if (kwnames && PyTuple_GET_SIZE(kwnames)) {
    PyErr_Format(PyExc_TypeError, "%s.apply (a Tensor method) takes no keyword arguments", name);
    return nullptr;
  }
  if (n != m->arity) {
    PyErr_Format(PyExc_TypeError, "%s%s.apply (a Tensor method) takes %zd arguments with self, got %zd",
                 m->reflected ? "reflected " : "", name, m->arity, n);
    return nullptr;
  }
  if (!m->reflected) return apply(m->cls, args, n);
  PyObject* swapped[2] = {args[1], args[0]};
  return apply(m->cls, swapped, 2);
}

PyObject* method_repr(PyObject* self) {
  auto* m = reinterpret_cast<FunctionMethod*>(self);
  return PyUnicode_FromFormat("<Tensor method: %s%s.apply>", m->reflected ? "reflected " : "",
                              reinterpret_cast<PyTypeObject*>(m->cls)->tp_name);
}

void method_dealloc(PyObject* self) {
  PyTypeObject* type = Py_TYPE(self);
  Py_XDECREF(reinterpret_cast<FunctionMethod*>(self)->cls);
  type->tp_free(self);
  Py_DECREF(type);
}

PyMemberDef kMethodMembers[] = {
    {"__vectorcalloffset__", T_PYSSIZET, offsetof(FunctionMethod, vectorcall), READONLY, nullptr},
    {"function", T_OBJECT, offsetof(FunctionMethod, cls), READONLY, "the Function class"},
    {nullptr, 0, 0, 0, nullptr},
};

PyType_Slot kMethodSlots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(method_dealloc)},
    {Py_tp_call, reinterpret_cast<void*>(PyVectorcall_Call)},
    {Py_tp_descr_get, reinterpret_cast<void*>(bind_to_instance)},
    {Py_tp_repr, reinterpret_cast<void*>(method_repr)},
    {Py_tp_members, kMethodMembers},
    {0, nullptr},
};

PyType_Spec kMethodSpec = {"fastdl._C.FunctionMethod", static_cast<int>(sizeof(FunctionMethod)), 0,
                           Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL | Py_TPFLAGS_METHOD_DESCRIPTOR,
                           kMethodSlots};

PyObject* function_method(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  static PyTypeObject* type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&kMethodSpec));
  if (!type) return nullptr;
  if (nargs < 2 || nargs > 3 || !PyType_Check(args[0])) {
    PyErr_SetString(PyExc_TypeError, "function_method(cls, arity, reflected=False): cls a Function class");
    return nullptr;
  }
  const Py_ssize_t arity = PyLong_AsSsize_t(args[1]);
  if (arity == -1 && PyErr_Occurred()) return nullptr;
  const int reflected = nargs == 3 ? PyObject_IsTrue(args[2]) : 0;
  if (reflected < 0) return nullptr;
  if (arity < 1 || (reflected && arity != 2)) {
    PyErr_SetString(PyExc_ValueError, "function_method: arity must be >= 1 (2 when reflected)");
    return nullptr;
  }
  auto* m = PyObject_New(FunctionMethod, type);
  if (!m) return nullptr;
  m->vectorcall = method_vectorcall;
  m->cls = Py_NewRef(args[0]);
  m->reflected = reflected;
  m->arity = arity;
  return reinterpret_cast<PyObject*>(m);
}

// edge_of(tensor): the edge above, for the engine's roots (autograd.py).
PyObject* edge_of_py(PyObject*, PyObject* t) {
  if (!bound()) return nullptr;
  if (!PyObject_TypeCheck(t, g.tensor)) {
    PyErr_Format(PyExc_TypeError, "edge_of: expected a Tensor, got %s", Py_TYPE(t)->tp_name);
    return nullptr;
  }
  return edge_of(t);
}

PyMethodDef kMethods[] = {
    {"bind_autograd", as_pycfunction(bind_autograd), METH_FASTCALL,
     "bind_autograd(Context, Node, AccumulateGrad, Tensor): the classes function_apply uses"},
    {"function_apply", as_pycfunction(function_apply), METH_FASTCALL,
     "function_apply(cls, *args): Function.apply (see autograd.py)"},
    {"function_method", as_pycfunction(function_method), METH_FASTCALL,
     "function_method(cls, arity, reflected=False): cls.apply as a Tensor method of arity arguments "
     "(reflected: apply(other, self))"},
    {"set_saved_tensor_packer", as_pycfunction(set_saved_tensor_packer), METH_O,
     "set_saved_tensor_packer(fn or None): fn(ctx) after each recorded node while saved-tensor hooks are active"},
    {"edge_of", as_pycfunction(edge_of_py), METH_O,
     "edge_of(tensor): (producer node, output index), or (the leaf's AccumulateGrad, 0)"},
};

}  // namespace

FASTDL_BIND(Top, autograd_apply) { add_functions(m, kMethods); }

}  // namespace fastdl
