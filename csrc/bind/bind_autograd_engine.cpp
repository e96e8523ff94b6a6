// The backward engine's loop in C++ (autograd._run_backward calls it inside no_grad):
//
//   pending[node][i] = the sum of the gradients that reached output i of node
//   for node in topological order from the roots (each after every node it feeds):
//     AccumulateGrad: accumulate(leaf, grad)                      (Python: hooks, .grad)
//     Node: grads missing for some outputs -> zeros(out_meta[i])  (Python)
//           in = node.apply(grads); free node.ctx unless retain_graph
//           in[j] flows along edge j into pending[edge node][edge index], once
//           validated against the input it reaches (torch's validate_outputs: the
//           same shape/dtype/device passes as is; else autograd._validate_grad casts,
//           sums down or raises)
//
// The per-node work was the engine's Python (dict and set bookkeeping, the DFS, the
// loops): ~1.3 us a node and ~10 us a call. The gradient formulas, the leaves' update
// and the error messages that need Python stay in autograd.py.
#include <pybind11/pybind11.h>

#include <cstring>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "raw_python.h"
#include "registry.h"

namespace fastdl {
namespace {

using pybind11::handle;
using pybind11::object;
using pybind11::reinterpret_borrow;
using pybind11::reinterpret_steal;

struct Engine {
  PyTypeObject* node = nullptr;        // autograd.Node
  PyTypeObject* accumulate = nullptr;  // autograd.AccumulateGrad
  PyTypeObject* tensor = nullptr;
  Py_ssize_t edges = -1, out_meta = -1, ctx = -1, leaf = -1;
  Py_ssize_t shape = -1, dtype = -1, device = -1;  // Tensor slots
};
Engine g;

object steal_or_throw(PyObject* o) {
  if (!o) throw pybind11::error_already_set();
  return reinterpret_steal<object>(o);
}

// ctx._materialize_grads (FunctionCtx.set_materialize_grads; True unless set).
bool materialize_grads(PyObject* ctx) {
  static PyObject* const s_attr = PyUnicode_InternFromString("_materialize_grads");
  object v = steal_or_throw(PyObject_GetAttr(ctx, s_attr));
  const int truth = PyObject_IsTrue(v.ptr());
  if (truth < 0) throw pybind11::error_already_set();
  return truth != 0;
}

// The gradients waiting at each node's outputs, summed as they arrive.
class Pending {
 public:
  void add(PyObject* target, Py_ssize_t idx, PyObject* grad) {
    auto it = slots_.find(target);
    if (it == slots_.end()) {
      Py_ssize_t n = 1;
      if (Py_TYPE(target) == g.node) {
        PyObject* meta = slot_at(target, g.out_meta);
        if (!meta || !PyTuple_Check(meta)) throw pybind11::type_error("backward: a graph node has no output list");
        n = PyTuple_GET_SIZE(meta);
      } else if (Py_TYPE(target) != g.accumulate) {
        throw pybind11::type_error("backward: a gradient edge points at something other than a graph node");
      }
      it = slots_.emplace(target, std::vector<object>(static_cast<size_t>(n))).first;
    }
    std::vector<object>& slot = it->second;
    if (idx < 0 || idx >= static_cast<Py_ssize_t>(slot.size()))
      throw pybind11::index_error("backward: a gradient edge points past its node's outputs");
    object& have = slot[static_cast<size_t>(idx)];
    have = have ? steal_or_throw(PyNumber_Add(have.ptr(), grad)) : reinterpret_borrow<object>(grad);
  }

  // Removes and returns node's gradients (empty when none arrived).
  std::vector<object> take(PyObject* node) {
    auto it = slots_.find(node);
    if (it == slots_.end()) return {};
    std::vector<object> out = std::move(it->second);
    slots_.erase(it);
    return out;
  }

 private:
  std::unordered_map<PyObject*, std::vector<object>> slots_;
};

// Nodes reachable from roots, each after every node that feeds it a gradient (the
// reverse of a depth-first post-order, as autograd._toposort had it).
std::vector<object> toposort(const std::vector<PyObject*>& roots) {
  std::vector<object> order;
  std::unordered_set<PyObject*> seen;
  std::vector<std::pair<PyObject*, bool>> stack;
  for (PyObject* r : roots) stack.emplace_back(r, false);  // popped last first, as the Python engine did
  while (!stack.empty()) {
    auto [node, done] = stack.back();
    stack.pop_back();
    if (done) {
      order.push_back(reinterpret_borrow<object>(node));
      continue;
    }
    if (!seen.insert(node).second) continue;
    stack.emplace_back(node, true);
    if (Py_TYPE(node) != g.node) continue;
    PyObject* edges = slot_at(node, g.edges);
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(edges); ++i) {
      PyObject* e = PyTuple_GET_ITEM(edges, i);
      if (e != Py_None && !seen.count(PyTuple_GET_ITEM(e, 0))) stack.emplace_back(PyTuple_GET_ITEM(e, 0), false);
    }
  }
  return {order.rbegin(), order.rend()};
}

PyObject* node_name(PyObject* node) {
  return PyObject_CallMethod(node, "name", nullptr);
}

// Raises `type` with "<node name>: <message>".
[[noreturn]] void node_error(PyObject* type, PyObject* node, const char* fmt, Py_ssize_t a, Py_ssize_t b) {
  object name = steal_or_throw(node_name(node));
  PyErr_Format(type, fmt, name.ptr(), a, b);
  throw pybind11::error_already_set();
}

bool equal(PyObject* a, PyObject* b) {
  if (a == b) return true;
  if (!a || !b) return false;
  const int eq = PyObject_RichCompareBool(a, b, Py_EQ);
  if (eq < 0) throw pybind11::error_already_set();
  return eq != 0;
}

// torch's validate_outputs for gradient j of node, flowing along edge: unchanged when its
// shape, dtype and device are those of the input it reaches (the common case, decided
// here); otherwise validate(node, j, grad, shape, dtype, device) in Python casts it,
// sums it down to the input's shape, or raises. A new reference.
object validated(PyObject* validate, PyObject* node, Py_ssize_t j, PyObject* edge, PyObject* grad) {
  PyObject* target = PyTuple_GET_ITEM(edge, 0);
  PyObject *shape, *dtype, *device;
  if (Py_TYPE(target) == g.node) {
    PyObject* meta = slot_at(target, g.out_meta);
    const Py_ssize_t idx = PyLong_AsSsize_t(PyTuple_GET_ITEM(edge, 1));
    if (!meta || !PyTuple_Check(meta) || idx < 0 || idx >= PyTuple_GET_SIZE(meta))
      return reinterpret_borrow<object>(grad);
    PyObject* m = PyTuple_GET_ITEM(meta, idx);
    if (!PyTuple_Check(m) || PyTuple_GET_SIZE(m) != 3) return reinterpret_borrow<object>(grad);
    shape = PyTuple_GET_ITEM(m, 0), dtype = PyTuple_GET_ITEM(m, 1), device = PyTuple_GET_ITEM(m, 2);
  } else {
    PyObject* leaf = slot_at(target, g.leaf);
    if (!leaf || !PyObject_TypeCheck(leaf, g.tensor)) return reinterpret_borrow<object>(grad);
    shape = slot_at(leaf, g.shape), dtype = slot_at(leaf, g.dtype), device = slot_at(leaf, g.device);
  }
  if (slot_at(grad, g.dtype) == dtype && equal(slot_at(grad, g.shape), shape) &&
      equal(slot_at(grad, g.device), device))
    return reinterpret_borrow<object>(grad);
  object index = steal_or_throw(PyLong_FromSsize_t(j));
  PyObject* args[6] = {node, index.ptr(), grad, shape, dtype, device};
  return steal_or_throw(PyObject_Vectorcall(validate, args, 6, nullptr));
}

// grad(outputs, inputs) runs only the nodes from which an input's node (`targets`) is
// reachable, as torch's engine does: the nodes that lead only to other leaves' .grad
// (a gradient penalty's parameter branch) are not run. Returns the needed set, or
// nothing (run every node) without targets.
std::unordered_set<PyObject*> needed_nodes(const std::vector<object>& order, PyObject* targets) {
  std::unordered_set<PyObject*> needed;
  object fast = steal_or_throw(PySequence_Fast(targets, "backward: inputs must be a sequence of graph nodes"));
  for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(fast.ptr()); ++i)
    needed.insert(PySequence_Fast_GET_ITEM(fast.ptr(), i));
  for (auto it = order.rbegin(); it != order.rend(); ++it) {  // every node after the nodes it feeds
    PyObject* node = it->ptr();
    if (needed.count(node) || Py_TYPE(node) != g.node) continue;
    PyObject* edges = slot_at(node, g.edges);
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(edges); ++i) {
      PyObject* e = PyTuple_GET_ITEM(edges, i);
      if (e != Py_None && needed.count(PyTuple_GET_ITEM(e, 0))) {
        needed.insert(node);
        break;
      }
    }
  }
  return needed;
}

// Whether node's Function is one of fastdl's own (its class defined in a fastdl module).
bool fastdl_function(PyObject* node) {
  static PyObject* const s_fn = PyUnicode_InternFromString("fn");
  static PyObject* const s_module = PyUnicode_InternFromString("__module__");
  object fn = steal_or_throw(PyObject_GetAttr(node, s_fn));
  PyObject* module = PyObject_GetAttr(fn.ptr(), s_module);
  if (!module) {
    PyErr_Clear();
    return false;
  }
  object held = reinterpret_steal<object>(module);
  const char* name = PyUnicode_Check(module) ? PyUnicode_AsUTF8(module) : nullptr;
  if (!name) PyErr_Clear();
  return name && std::strncmp(name, "fastdl.", 7) == 0;
}

// While a pruned grad() applies a needed node of fastdl's own ops, ctx.needs_input_grad
// says False for the inputs whose edges lead to no needed node, so gradient formulas
// that read it skip those gradients (a Linear's weight gradient under a gradient
// penalty). Restored after. A user's autograd.Function sees its needs_input_grad
// unchanged, as in torch.
class PrunedNeeds {
 public:
  PrunedNeeds(PyObject* node, const std::unordered_set<PyObject*>& needed) {
    static PyObject* const s_needs = PyUnicode_InternFromString("needs_input_grad");
    if (!fastdl_function(node)) return;
    PyObject* edges = slot_at(node, g.edges);
    ctx_ = slot_at(node, g.ctx);
    if (!ctx_) return;
    object needs = steal_or_throw(PyObject_GetAttr(ctx_, s_needs));
    const Py_ssize_t n = PyTuple_GET_SIZE(edges);
    if (!PyTuple_Check(needs.ptr()) || PyTuple_GET_SIZE(needs.ptr()) != n) return;
    object pruned;
    for (Py_ssize_t i = 0; i < n; ++i) {
      PyObject* e = PyTuple_GET_ITEM(edges, i);
      if (e == Py_None || needed.count(PyTuple_GET_ITEM(e, 0)) || PyTuple_GET_ITEM(needs.ptr(), i) != Py_True)
        continue;
      if (!pruned) pruned = steal_or_throw(PySequence_List(needs.ptr()));
      Py_INCREF(Py_False);
      PyList_SetItem(pruned.ptr(), i, Py_False);
    }
    if (!pruned) return;
    // an instance attribute or the class default: put back what was there
    object dict = steal_or_throw(PyObject_GenericGetDict(ctx_, nullptr));
    const int own = PyDict_Contains(dict.ptr(), s_needs);
    if (own < 0) throw pybind11::error_already_set();
    had_own_ = own == 1;
    saved_ = needs;
    object as_tuple = steal_or_throw(PyList_AsTuple(pruned.ptr()));
    if (PyObject_SetAttr(ctx_, s_needs, as_tuple.ptr()) < 0) throw pybind11::error_already_set();
  }
  ~PrunedNeeds() {
    if (!saved_) return;
    static PyObject* const s_needs = PyUnicode_InternFromString("needs_input_grad");
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);  // (restoring must not clobber an error in flight)
    if ((had_own_ ? PyObject_SetAttr(ctx_, s_needs, saved_.ptr()) : PyObject_DelAttr(ctx_, s_needs)) < 0)
      PyErr_Clear();
    PyErr_Restore(type, value, tb);
  }
  PrunedNeeds(const PrunedNeeds&) = delete;
  PrunedNeeds& operator=(const PrunedNeeds&) = delete;

 private:
  PyObject* ctx_ = nullptr;
  object saved_;
  bool had_own_ = false;
};

void run(PyObject* roots, PyObject* root_grads, bool retain_graph, PyObject* accumulate, PyObject* zeros,
         PyObject* validate, PyObject* targets) {
  Pending pending;
  std::vector<PyObject*> root_nodes;
  object roots_fast = steal_or_throw(PySequence_Fast(roots, "backward: roots must be a sequence"));
  object grads_fast = steal_or_throw(PySequence_Fast(root_grads, "backward: root grads must be a sequence"));
  const Py_ssize_t n_roots = std::min(PySequence_Fast_GET_SIZE(roots_fast.ptr()),
                                      PySequence_Fast_GET_SIZE(grads_fast.ptr()));
  for (Py_ssize_t i = 0; i < n_roots; ++i) {
    PyObject* edge = PySequence_Fast_GET_ITEM(roots_fast.ptr(), i);
    PyObject* node = PyTuple_GET_ITEM(edge, 0);
    pending.add(node, PyLong_AsSsize_t(PyTuple_GET_ITEM(edge, 1)), PySequence_Fast_GET_ITEM(grads_fast.ptr(), i));
    root_nodes.push_back(node);
  }
  static PyObject* const s_apply = PyUnicode_InternFromString("apply");
  static PyObject* const s_free = PyUnicode_InternFromString("_free");
  const std::vector<object> order = toposort(root_nodes);
  const bool pruned = targets != nullptr;
  const std::unordered_set<PyObject*> needed = pruned ? needed_nodes(order, targets) : std::unordered_set<PyObject*>{};
  for (const object& node_obj : order) {
    PyObject* node = node_obj.ptr();
    std::vector<object> grads = pending.take(node);
    if (grads.empty() || (pruned && !needed.count(node))) continue;
    if (Py_TYPE(node) == g.accumulate) {
      if (grads[0]) steal_or_throw(PyObject_CallFunctionObjArgs(accumulate, slot_at(node, g.leaf), grads[0].ptr(),
                                                                nullptr));
      continue;
    }
    PyObject* meta = slot_at(node, g.out_meta);
    object list = steal_or_throw(PyList_New(static_cast<Py_ssize_t>(grads.size())));
    for (size_t i = 0; i < grads.size(); ++i) {
      object gi = grads[i];
      if (!gi) {  // an output that got no gradient gets zeros (None for a non-tensor output,
                  // or where the ctx said set_materialize_grads(False))
        PyObject* m = PyTuple_GET_ITEM(meta, static_cast<Py_ssize_t>(i));
        gi = grads.size() > 1 && m != Py_None && materialize_grads(slot_at(node, g.ctx))
                 ? steal_or_throw(PyObject_CallOneArg(zeros, m))
                 : reinterpret_borrow<object>(Py_None);
      }
      PyList_SET_ITEM(list.ptr(), static_cast<Py_ssize_t>(i), gi.release().ptr());
    }
    object in_grads;
    {
      std::optional<PrunedNeeds> masked;
      if (pruned) masked.emplace(node, needed);
      in_grads = steal_or_throw(PyObject_CallMethodOneArg(node, s_apply, list.ptr()));
    }
    if (!PyTuple_Check(in_grads.ptr())) throw pybind11::type_error("backward: Node.apply must return a tuple");
    if (!retain_graph) steal_or_throw(PyObject_CallMethodNoArgs(slot_at(node, g.ctx), s_free));
    PyObject* edges = slot_at(node, g.edges);
    const Py_ssize_t n_edges = PyTuple_GET_SIZE(edges), n_in = PyTuple_GET_SIZE(in_grads.ptr());
    if (n_in < n_edges)
      node_error(PyExc_RuntimeError, node, "%S: backward returned %zd gradients, expected %zd", n_in, n_edges);
    for (Py_ssize_t j = 0; j < n_edges; ++j) {
      PyObject *edge = PyTuple_GET_ITEM(edges, j), *gj = PyTuple_GET_ITEM(in_grads.ptr(), j);
      if (edge == Py_None || gj == Py_None || (pruned && !needed.count(PyTuple_GET_ITEM(edge, 0)))) continue;
      if (!PyObject_TypeCheck(gj, g.tensor)) {
        object name = steal_or_throw(node_name(node));
        object type_name = steal_or_throw(PyType_GetName(Py_TYPE(gj)));
        PyErr_Format(PyExc_TypeError, "%S: backward returned %S, expected a Tensor", name.ptr(), type_name.ptr());
        throw pybind11::error_already_set();
      }
      object checked = validate ? validated(validate, node, j, edge, gj) : reinterpret_borrow<object>(gj);
      pending.add(PyTuple_GET_ITEM(edge, 0), PyLong_AsSsize_t(PyTuple_GET_ITEM(edge, 1)), checked.ptr());
    }
  }
}

// run_backward(roots, root_grads, retain_graph, accumulate, zeros[, validate[, targets]])
PyObject* run_backward(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (!g.node) {
    PyErr_SetString(PyExc_RuntimeError, "fastdl._C: bind_engine has not been called");
    return nullptr;
  }
  if (nargs < 5 || nargs > 7) {
    PyErr_SetString(PyExc_TypeError,
                    "run_backward(roots, root_grads, retain_graph, accumulate, zeros[, validate[, targets]])");
    return nullptr;
  }
  const int retain = PyObject_IsTrue(args[2]);
  if (retain < 0) return nullptr;
  return translate_errors([&]() -> PyObject* {
    run(args[0], args[1], retain != 0, args[3], args[4], nargs >= 6 && args[5] != Py_None ? args[5] : nullptr,
        nargs == 7 && args[6] != Py_None ? args[6] : nullptr);
    Py_RETURN_NONE;
  });
}

// bind_engine(Node, AccumulateGrad, Context, Tensor)
PyObject* bind_engine(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 4 || !PyType_Check(args[0]) || !PyType_Check(args[1]) || !PyType_Check(args[3])) {
    PyErr_SetString(PyExc_TypeError, "bind_engine(Node, AccumulateGrad, Context, Tensor)");
    return nullptr;
  }
  Engine e;
  if (!require_slot("bind_engine", args[0], "edges", &e.edges) ||
      !require_slot("bind_engine", args[0], "out_meta", &e.out_meta) ||
      !require_slot("bind_engine", args[0], "ctx", &e.ctx) ||
      !require_slot("bind_engine", args[1], "leaf", &e.leaf) ||
      !require_slot("bind_engine", args[3], "_shape", &e.shape) ||
      !require_slot("bind_engine", args[3], "_dtype", &e.dtype) ||
      !require_slot("bind_engine", args[3], "_device", &e.device))
    return nullptr;
  for (int i : {0, 1, 3}) Py_INCREF(args[i]);
  e.node = reinterpret_cast<PyTypeObject*>(args[0]);
  e.accumulate = reinterpret_cast<PyTypeObject*>(args[1]);
  e.tensor = reinterpret_cast<PyTypeObject*>(args[3]);
  g = e;
  Py_RETURN_NONE;
}

PyMethodDef kMethods[] = {
    {"bind_engine", as_pycfunction(bind_engine), METH_FASTCALL,
     "bind_engine(Node, AccumulateGrad, Context, Tensor): the classes run_backward walks"},
    {"run_backward", as_pycfunction(run_backward), METH_FASTCALL,
     "run_backward(roots, root_grads, retain_graph, accumulate, zeros[, validate[, targets]]): autograd's engine "
     "loop; with targets (grad()'s input nodes) only the nodes that lead to one run"},
};

}  // namespace

FASTDL_BIND(Top, autograd_engine) { add_functions(m, kMethods); }

}  // namespace fastdl
