"""torch.autograd.graph for fastdl (served as fastdl.autograd.graph).

Saved-tensor hooks: while a saved_tensors_hooks(pack, unpack) block is active (in any
thread), the C++ Function.apply calls _pack_ctx(ctx) after recording each node
(_C.set_saved_tensor_packer), so every path that saves tensors - save_for_backward in a
Python forward and the C++ fast paths that fill ctx._saved themselves - is packed once,
at save time, by the innermost hook of the saving thread. The ctx then holds the packed
objects (ctx._packed) instead of the tensors, and ctx.saved_tensors unpacks them on each
access, as torch's SavedVariable does (no version check on a hooked tensor, as torch).
With no hook active the packer is unset: the forward path is unchanged.

The Node API (name, next_functions, metadata, register_hook, register_prehook) lives on
autograd.Node; its hooks and metadata are kept in ctx._node_extra (_NodeExtra below).
"""
import abc
import contextlib
import threading
from collections import namedtuple

from . import _C
from . import autograd as _ag

__all__ = ["Node", "GradientEdge", "get_gradient_edge", "saved_tensors_hooks", "save_on_cpu",
           "disable_saved_tensors_hooks", "register_multi_grad_hook", "allow_mutation_on_saved_tensors",
           "increment_version", "set_warn_on_accumulate_grad_stream_mismatch"]


# ---- Node ----
class Node(abc.ABC):
    """The type of grad_fn objects (torch.autograd.graph.Node): isinstance(t.grad_fn, Node)."""

    @abc.abstractmethod
    def name(self):
        ...


Node.register(_ag.Node)
Node.register(_ag.AccumulateGrad)


class _Handle:
    """What register_hook / register_prehook / register_multi_grad_hook return: remove()."""

    def __init__(self, remove):
        self._remove = remove

    def remove(self):
        if self._remove is not None:
            self._remove()
            self._remove = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False


class _NodeExtra:
    """A node's hooks (pre: fn(grad_outputs), post: fn(grad_inputs, grad_outputs)) and metadata."""

    __slots__ = ("pre", "post", "metadata", "hooks")

    def __init__(self):
        self.pre, self.post, self.metadata, self.hooks = [], [], {}, False

    def add(self, fn, post):
        if not callable(fn):
            raise TypeError(f"register_{'hook' if post else 'prehook'}: expected a callable, got {type(fn).__name__}")
        hooks = self.post if post else self.pre
        entry = [fn]  # a fresh object: the same fn registered twice is removed once per handle
        hooks.append(entry)
        self.hooks = True

        def remove():
            if any(e is entry for e in hooks):
                hooks[:] = [e for e in hooks if e is not entry]
            self.hooks = bool(self.pre or self.post)
        return _Handle(remove)

    def apply(self, node, grads, plain):
        """node's backward with its prehooks before and its hooks after, as torch's
        engine runs them: a hook's non-None return replaces the gradients it was given."""
        for (fn,) in list(self.pre):
            res = fn(tuple(grads))
            if res is not None:
                res = _checked(res, len(grads), f"{node.name()} prehook", "grad_outputs")
                grads = list(res)
        out = plain(node, grads)
        for (fn,) in list(self.post):
            res = fn(tuple(out), tuple(grads))
            if res is not None:
                out = tuple(_checked(res, len(out), f"{node.name()} hook", "grad_inputs"))
        return out


def _checked(res, n, who, what):
    if not isinstance(res, (tuple, list)):
        raise TypeError(f"{who}: expected a tuple or list of {n} {what} (or None), got {type(res).__name__}")
    if len(res) != n:
        raise RuntimeError(f"{who}: hook returned {len(res)} {what}, expected {n}")
    return res


def _extra(node):
    ctx = node.ctx
    extra = ctx._node_extra
    if extra is None:
        extra = ctx._node_extra = _NodeExtra()
    return extra


# AccumulateGrad (a leaf's node): the Node API without hooks of its own
_ag.AccumulateGrad.next_functions = property(lambda self: ())
_ag.AccumulateGrad.variable = property(lambda self: self.leaf)


def _acc_metadata(self):
    if self._metadata is None:
        self._metadata = {}
    return self._metadata


_ag.AccumulateGrad.metadata = property(_acc_metadata)


def _acc_extra(acc):
    if acc._extra is None:
        acc._extra = _NodeExtra()
    return acc._extra


# an AccumulateGrad's prehook gets (grad,) before the leaf's .grad is updated and may
# replace it; its hook gets ((), (grad,)) after (grad() captures leaves without running it)
_ag.AccumulateGrad.register_hook = lambda self, fn: _acc_extra(self).add(fn, post=True)
_ag.AccumulateGrad.register_prehook = lambda self, fn: _acc_extra(self).add(fn, post=False)


def _tensor_hook(t, hook):
    """Tensor.register_hook on a non-leaf: hook(grad) -> grad or None, run on the summed
    gradient of t before its producer's backward uses it (a prehook at t's output index)."""
    k = t._out_index

    def prehook(grad_outputs):
        g = grad_outputs[k] if k < len(grad_outputs) else None
        if g is None:
            return None
        r = hook(g)
        if r is None:
            return None
        out = list(grad_outputs)
        out[k] = r
        return tuple(out)
    return t._grad_fn.register_prehook(prehook)


GradientEdge = namedtuple("GradientEdge", ["node", "output_nr"])
GradientEdge.__doc__ = "A gradient edge: (node, output_nr), as torch.autograd.graph.GradientEdge."


def get_gradient_edge(tensor):
    """The edge of tensor's gradient: (grad_fn, output index), or (its AccumulateGrad, 0)."""
    if not tensor.requires_grad:
        raise RuntimeError("get_gradient_edge: it is not possible to get the gradient edge for a Tensor that does "
                           "not require gradients")
    node, i = _C.edge_of(tensor)
    return GradientEdge(node, i)


# ---- saved-tensor hooks ----
_tls = threading.local()  # .stack: [(pack, unpack)] of this thread; .disabled: message or None
_lock = threading.Lock()
_active = [0]  # hook blocks open in all threads: the C++ packer is installed while > 0


def _stack():
    s = getattr(_tls, "stack", None)
    if s is None:
        s = _tls.stack = []
    return s


def _push(pack, unpack):
    msg = getattr(_tls, "disabled", None)
    if msg is not None:
        raise RuntimeError(msg)
    _stack().append((pack, unpack))
    with _lock:
        _active[0] += 1
        if _active[0] == 1:
            _C.set_saved_tensor_packer(_pack_ctx)


def _pop():
    _stack().pop()
    with _lock:
        _active[0] -= 1
        if _active[0] == 0:
            _C.set_saved_tensor_packer(None)


def _pack_ctx(ctx):
    """After a node is recorded: its saved tensors through this thread's innermost pack
    hook (under no_grad, as torch packs), each with its gradient edge so an unpacked
    copy can be linked back for a recorded (create_graph) backward."""
    stack = getattr(_tls, "stack", None)
    saved = ctx.__dict__.get("_saved")
    if not stack or not saved:
        return
    pack, unpack = stack[-1]
    items = []
    with _ag.no_grad():
        for t in saved:
            if t is None:
                items.append(None)
            else:
                edge = _C.edge_of(t) if t._requires_grad else None
                items.append((pack(t), edge))
    ctx._packed = (unpack, tuple(items))
    ctx._saved = (None,) * len(saved)  # the tensors themselves are no longer held here


def _unpack_ctx(ctx):
    linked = ctx.__dict__.get("_linked")  # a recorded backward's outputs linked to the node
    if linked is not None:
        return linked
    unpack, items = ctx._packed
    relink = _ag.is_grad_enabled()
    from .tensor import Tensor
    out = []
    for item in items:
        if item is None:
            out.append(None)
            continue
        obj, edge = item
        t = unpack(obj)
        if not isinstance(t, Tensor):
            raise TypeError(f"Output of saved tensor unpack_hook expected to be a Tensor but got result of type "
                            f"{type(t).__name__}")
        if relink and edge is not None and not t._requires_grad:
            # create_graph: the copy stands where the saved tensor was in the graph
            t = t.detach()
            node, i = edge
            if isinstance(node, _ag.AccumulateGrad):
                t._accumulator = node
            else:
                t._grad_fn, t._out_index = node, i
            t._requires_grad = True
        out.append(t)
    return tuple(out)


class saved_tensors_hooks:
    """Context manager: every tensor saved for backward inside it goes through
    pack_hook(tensor) -> object when saved, and unpack_hook(object) -> tensor each time
    backward reads it. Nested blocks stack; the innermost applies. Per thread."""

    def __init__(self, pack_hook, unpack_hook):
        if not callable(pack_hook) or not callable(unpack_hook):
            raise TypeError("saved_tensors_hooks: pack_hook and unpack_hook must be callables")
        self.pack_hook, self.unpack_hook = pack_hook, unpack_hook

    def __enter__(self):
        _push(self.pack_hook, self.unpack_hook)
        return self

    def __exit__(self, *exc):
        _pop()
        return False


class save_on_cpu(saved_tensors_hooks):
    """Saved tensors are moved to the CPU when saved and back to their device when
    backward uses them (pin_memory: into page-locked memory, copied back non-blocking)."""

    def __init__(self, pin_memory=False, device_type="cuda"):
        def pack(t):
            if not pin_memory:
                return t.device, t.cpu()
            from .tensor import empty
            packed = empty(tuple(t.shape), dtype=t.dtype, pin_memory=True)
            packed.copy_(t)
            return t.device, packed

        def unpack(packed):
            device, t = packed
            return t.to(device, non_blocking=pin_memory)

        super().__init__(pack, unpack)


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message):
    """Inside, registering saved-tensor hooks raises RuntimeError(error_message); so does
    entering it while hooks are active."""
    if _stack():
        raise RuntimeError(error_message)
    prev = getattr(_tls, "disabled", None)
    _tls.disabled = error_message
    try:
        yield
    finally:
        _tls.disabled = prev


@contextlib.contextmanager
def allow_mutation_on_saved_tensors():
    """Tensors saved for backward inside may be modified in place afterwards: backward
    sees their values at save time. fastdl clones every saved tensor when it is saved
    (torch clones lazily, on the first in-place write); yields a context object."""
    def pack(t):
        return t.clone()

    with saved_tensors_hooks(pack, lambda t: t):
        yield _AllowMutationContext()


class _AllowMutationContext:
    pass


def increment_version(tensor):
    """Bumps tensor's version counter, as an in-place write does, so that backward
    through a graph that saved it raises (torch.autograd.graph.increment_version)."""
    tensors = tensor if isinstance(tensor, (list, tuple)) else (tensor,)
    for t in tensors:
        t._buf.version += 1


def set_warn_on_accumulate_grad_stream_mismatch(enabled):
    """Accepted for torch compatibility: fastdl's backward runs on one stream, so there is
    no stream mismatch to warn about."""
    if not isinstance(enabled, bool):
        raise TypeError(f"set_warn_on_accumulate_grad_stream_mismatch: expected a bool, got {type(enabled).__name__}")


# ---- multi-grad hooks ----
def queue_callback(fn):
    """fn() runs once the backward pass in progress has finished (torch's
    Variable._execution_engine.queue_callback)."""
    if not _ag._callbacks:
        raise RuntimeError("queue_callback: no backward pass is running")
    _ag._callbacks[-1].append(fn)


def register_multi_grad_hook(tensors, fn, *, mode="all"):
    """mode="all": fn(grads) once per backward, after the gradients of all of tensors
    that this backward reaches are computed (None for the others); mode="any": fn(grad)
    once per backward, on the first of tensors whose gradient is computed. Returns a
    handle whose remove() takes the hook off."""
    if mode not in ("all", "any"):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    from .tensor import Tensor
    tensors = tuple(tensors)
    if any(not isinstance(t, Tensor) for t in tensors):
        raise TypeError("register_multi_grad_hook: expected a sequence of Tensors")
    for t in tensors:
        if not t.requires_grad:
            raise RuntimeError("register_multi_grad_hook: cannot register a hook on a tensor that doesn't require "
                               "gradient")
    state = {}  # id(this backward's callback list) -> grads so far ("all") or True ("any")

    def reached(i, g):
        key = id(_ag._callbacks[-1]) if _ag._callbacks else None
        if mode == "any":
            if key in state:
                return
            state[key] = True
            if key is not None:
                queue_callback(lambda: state.pop(key, None))
            fn(g)
            return
        grads = state.get(key)
        if grads is None:
            grads = state[key] = [None] * len(tensors)

            def fire():
                got = state.pop(key)
                fn(tuple(got))
            queue_callback(fire)
        grads[i] = g if grads[i] is None else grads[i] + g

    removers = []
    for i, t in enumerate(tensors):
        if t._grad_fn is None:  # a leaf: a tensor hook, which sees the grad before .grad
            def hook(g, i=i):
                reached(i, g)
            t._hooks = (t._hooks or ()) + (hook,)

            def remove(t=t, hook=hook):
                t._hooks = tuple(h for h in (t._hooks or ()) if h is not hook) or None
            removers.append(remove)
        else:  # a non-leaf: a prehook on its producer, at its output index
            def prehook(grad_outputs, i=i, k=t._out_index):
                g = grad_outputs[k] if k < len(grad_outputs) else None
                if g is not None:
                    reached(i, g)
            removers.append(t._grad_fn.register_prehook(prehook).remove)
    return _Handle(lambda: [r() for r in removers])
