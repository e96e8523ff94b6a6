"""Reverse-mode autograd: Function, the graph nodes it records, and the engine.

Every differentiable op is a Function subclass with `forward(ctx, *args)` and
`backward(ctx, *grad_outputs)` side by side; `Function.apply` runs forward without
recording, then links the outputs to a Node holding the ctx and one edge per input.
Edges point at the producer's Node (or at an AccumulateGrad for a leaf), never at the
input tensors themselves, so intermediate buffers die as soon as nothing but the graph
refers to them, and the graph dies with its last output or after backward.
"""

from . import _C

__all__ = ["Function", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode",
           "is_inference_mode_enabled", "backward", "grad", "once_differentiable",
           "gradcheck", "gradgradcheck"]

# Per-thread grad mode: `_state.enabled` is a C++ thread_local flag (csrc/bind/grad_mode.cpp),
# which Function.apply and the C++ fronts read without a Python attribute lookup.
_state = _C.grad_mode


def is_grad_enabled():
    return _state.enabled


def _wrap_in(make_ctx, fn):
    """fn run inside a fresh `make_ctx()` on every call (name and docstring kept); a
    generator function's body runs inside it each time it resumes, as torch does."""
    import functools
    import inspect

    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen_wrapper(*a, **k):
            gen = fn(*a, **k)
            try:
                with make_ctx():
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with make_ctx():
                            gen.close()
                        raise
                    except BaseException:
                        import sys
                        with make_ctx():
                            response = gen.throw(*sys.exc_info())
                    else:
                        with make_ctx():
                            response = gen.send(request)
            except StopIteration as e:
                return e.value

        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*a, **k):
        with make_ctx():
            return fn(*a, **k)

    return wrapper


class set_grad_enabled:
    """Sets whether ops record the graph: at once when made (as torch's), until the end of
    the `with` block it is used in; as a decorator (@set_grad_enabled(False)) it leaves the
    mode as it was and sets it around each call of the function instead."""

    def __init__(self, mode):
        self.prev = is_grad_enabled()
        self.mode = bool(mode)
        _state.enabled = self.mode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _state.enabled = self.prev
        return False

    def __call__(self, fn):
        _state.enabled = self.prev
        mode = self.mode
        return _wrap_in(lambda: set_grad_enabled(mode), fn)

    def clone(self):
        return type(self)(self.mode)


class _GradMode:
    """no_grad / enable_grad: context managers and decorators, with or without the call
    (@fastdl.no_grad() and @fastdl.no_grad both wrap the function)."""
    mode = True

    def __new__(cls, orig_func=None):
        self = super().__new__(cls)
        if orig_func is None:
            return self
        if not callable(orig_func):
            raise TypeError(f"{cls.__name__}() takes no arguments (got {type(orig_func).__name__})")
        return self(orig_func)

    def __enter__(self):
        self.prev = is_grad_enabled()
        _state.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _state.enabled = self.prev
        return False

    def __call__(self, fn):
        return _wrap_in(type(self), fn)

    def clone(self):
        return type(self)()


class no_grad(_GradMode):
    mode = False


class enable_grad(_GradMode):
    mode = True


# inference mode: fastdl has no inference tensors, so inference_mode(True) is no_grad
# plus the flag is_inference_mode_enabled() reads (per thread, as grad mode);
# inference_mode(False) turns both the flag off and grad mode on, as torch's does.
import threading as _threading

_inference = _threading.local()


def is_inference_mode_enabled():
    return getattr(_inference, "enabled", False)


class inference_mode:
    """Context manager and decorator (@inference_mode(), @inference_mode,
    @inference_mode(False)): ops inside record no graph, as under no_grad."""

    def __new__(cls, mode=True):
        self = super().__new__(cls)
        if isinstance(mode, bool):
            return self
        if not callable(mode):
            raise TypeError(f"inference_mode: mode must be a bool, got {type(mode).__name__}")
        self.mode = True
        return self(mode)  # bare @inference_mode: mode is the function

    def __init__(self, mode=True):
        self.mode = mode if isinstance(mode, bool) else True

    def __enter__(self):
        self.prev = (is_grad_enabled(), is_inference_mode_enabled())
        _state.enabled = not self.mode
        _inference.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _state.enabled, _inference.enabled = self.prev
        return False

    def __call__(self, fn):
        mode = self.mode
        return _wrap_in(lambda: inference_mode(mode), fn)

    def clone(self):
        return type(self)(self.mode)


class Context:
    """What forward leaves for backward: saved tensors (version-checked) and flags."""

    # Defaults live on the class, so creating one (every recorded op does) runs no
    # __init__; an instance attribute shadows a default once set.
    _saved = ()
    _versions = ()
    _freed = False
    needs_input_grad = ()
    _retained = None  # [(output index, weakref to the output tensor)] of retain_grad()
    _captures = None  # [(output index, key, dict)] of grad() with this node's output as an input
    # False: outputs that got no gradient reach backward as None, not zeros (read by the
    # engine, csrc/bind/bind_autograd_engine.cpp)
    _materialize_grads = True
    # autograd.graph: (unpack hook, ((packed, edge) or None per saved tensor)) once a
    # saved-tensor hook packed this ctx's saved tensors; the node's hooks and metadata
    _packed = None
    _node_extra = None

    def set_materialize_grads(self, value):
        """torch's ctx.set_materialize_grads: with False, backward gets None (not zeros)
        for the outputs that received no gradient."""
        self._materialize_grads = bool(value)

    def save_for_backward(self, *tensors):
        self._saved = tensors
        versions = []
        for t in tensors:
            versions.append(None if t is None else t._buf.version)
        self._versions = versions

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the graph "
                "are freed when you call .backward(); specify retain_graph=True if you need to "
                "backward through the graph a second time.")
        if self._packed is not None:  # unpacked on each access, not version-checked (as torch)
            return _graph()._unpack_ctx(self)
        for t, v in zip(self._saved, self._versions):
            if t is not None and t._buf.version != v:
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified by an "
                    f"inplace operation: [{t.dtype.name} {list(t.shape)}] is at version {t._buf.version}; "
                    f"expected version {v} instead")
        return self._saved

    def _free(self):
        extra = self._node_extra  # hooks and metadata belong to the node: they stay
        self.__dict__.clear()
        self._freed = True
        if extra is not None:
            self._node_extra = extra


class Node:
    """One recorded call of a Function: its ctx, its inputs' edges, its outputs' shapes."""

    __slots__ = ("fn", "ctx", "edges", "out_meta", "__weakref__")

    def __init__(self, fn, ctx, edges, out_meta):
        self.fn, self.ctx, self.edges, self.out_meta = fn, ctx, edges, out_meta

    def name(self):
        return self.fn.__name__ + "Backward"

    def __repr__(self):
        return f"<{self.name()}>"

    # next_functions, metadata, register_hook, register_prehook: autograd_graph.py
    @property
    def next_functions(self):
        return tuple((e[0], e[1]) if e is not None else (None, 0) for e in self.edges)

    @property
    def metadata(self):
        return _graph()._extra(self).metadata

    def register_hook(self, fn):
        return _graph()._extra(self).add(fn, post=True)

    def register_prehook(self, fn):
        return _graph()._extra(self).add(fn, post=False)

    def apply(self, grads):
        ctx = self.ctx
        if ctx._freed:
            if ctx._captures is not None and ctx.__dict__.get("_cut"):  # grad() stops at this input
                _apply_plain_capture(ctx, grads)
                return (None,) * len(self.next_functions)
            ctx.saved_tensors  # raises the "backward through the graph a second time" error
        extra = ctx._node_extra
        if extra is not None and extra.hooks:
            return extra.apply(self, grads, _apply_plain)
        return _apply_plain(self, grads)


def _apply_plain_capture(ctx, grads):
    for i, key, into in ctx._captures:  # grad() w.r.t. this non-leaf output
        g = grads[i] if i < len(grads) else None
        if g is not None:
            into[key] = g if into[key] is None else into[key] + g


def _apply_plain(self, grads):
    """Node.apply without the node's own hooks."""
    ctx = self.ctx
    if ctx._retained is not None:
        _fill_retained(ctx._retained, grads)
    if ctx._captures is not None:
        _apply_plain_capture(ctx, grads)
    if _state.enabled:  # create_graph: the backward itself is recorded
        return _apply_recorded(self, ctx, grads)
    out = self.fn.backward(ctx, *grads)
    return out if isinstance(out, tuple) else (out,)


def _apply_recorded(node, ctx, grads):
    """node's backward under grad mode, for higher-order gradients. Outputs that forward
    saved are kept detached (no reference cycle through the graph): here they are linked
    back to the node, so a gradient formula that uses y = f(x) differentiates through f.
    A Function marked once_differentiable gets its gradients wrapped in a node that
    raises if anything differentiates through them."""
    pairs = ctx.__dict__.get("_saved_outputs")
    packed = ctx._packed is not None
    # packed (saved-tensor hooks): unpacked here only to link outputs; backward unpacks its own
    saved = linked = (ctx.saved_tensors if pairs else ()) if packed else ctx._saved
    if pairs:
        linked = list(saved)
        for i, j in pairs:
            t = linked[i].detach()
            t._grad_fn, t._out_index, t._requires_grad = node, j, True
            linked[i] = t
        linked = tuple(linked)
        if packed:  # saved_tensors hands these out instead of unpacking again
            ctx._linked = linked
        else:
            ctx._saved = linked
    try:
        out = node.fn.backward(ctx, *grads)
    finally:
        if pairs:
            if packed:
                ctx.__dict__.pop("_linked", None)
            else:
                ctx._saved = saved
    out = out if isinstance(out, tuple) else (out,)
    sources = [g for g in grads if g is not None] + [t for t in linked if t is not None]
    once = getattr(node.fn, "_once_differentiable", False) or getattr(node.fn.backward, "_once_differentiable", False)
    # A gradient is linear in the incoming ones: if they carry a graph and an outgoing one
    # does not, the formula ran a kernel that autograd cannot see through. Wrapping it
    # makes differentiating it raise rather than treat it as a constant.
    lost = any(getattr(g, "requires_grad", False) for g in grads) and any(
        o is not None and hasattr(o, "requires_grad") and not o.requires_grad for o in out)
    if (once and any(getattr(t, "requires_grad", False) for t in sources)) or lost:
        out = tuple(o if o is None or not hasattr(o, "requires_grad") or (o.requires_grad and not once)
                    else _NotTwice.apply(o, node.fn.__name__, *sources) for o in out)
    return out


def _fill_retained(retained, grads):
    """Adds the gradients that reached a node's outputs into the .grad of those of its
    outputs that called retain_grad() (the total gradient of the output: the engine has
    summed every consumer's part before the node runs)."""
    for i, ref in retained:
        t = ref()
        g = grads[i] if i < len(grads) else None
        if t is None or g is None:
            continue
        t.grad = g.detach().clone() if t.grad is None else t.grad + g


def retain_grad(t):
    """Tensor.retain_grad(): a non-leaf tensor's .grad is filled by backward (a no-op for a
    leaf, which has one anyway)."""
    if not t._requires_grad:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    node = t._grad_fn
    if node is None:
        return
    import weakref
    ctx = node.ctx
    retained = ctx.__dict__.get("_retained")
    if retained is None:
        retained = ctx._retained = []
    if not any(i == t._out_index and r() is t for i, r in retained):
        retained.append((t._out_index, weakref.ref(t)))
    key = id(t)
    _retaining[key] = weakref.ref(t, lambda _, key=key: _retaining.pop(key, None))


_retaining = {}  # id(tensor) -> weakref, for retains_grad


def retains_grad(t):
    """Tensor.retains_grad: whether retain_grad() was called on this non-leaf tensor."""
    ref = _retaining.get(id(t))
    return ref is not None and ref() is t and t._grad_fn is not None


class AccumulateGrad:
    """Edge target for a leaf tensor: adds incoming gradients into leaf.grad."""

    __slots__ = ("leaf", "_metadata", "_extra")

    def __init__(self, leaf):
        self.leaf = leaf
        self._metadata = None  # autograd.graph's Node.metadata, made on first use
        self._extra = None  # autograd.graph's node hooks (register_hook / register_prehook)

    def name(self):
        return "AccumulateGrad"

    # torch's AccumulateGrad: a leaf's node, the end of every walk down next_functions
    next_functions = ()

    @property
    def variable(self):
        return self.leaf


class Function:
    """Base class of every differentiable op, built-in or user-defined.

    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x
        @staticmethod
        def backward(ctx, grad):
            x, = ctx.saved_tensors
            return 2 * x * grad
    y = Square.apply(x)
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # a forward-mode formula without a reverse one: apply runs jvp eagerly under forward AD
        if "jvp" in cls.__dict__ and cls.backward is Function.backward:
            from .autograd_forward_ad import function_apply_jvp
            cls.apply = classmethod(function_apply_jvp)

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError("Function subclasses must define forward")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("Function subclasses must define backward")

    # fast_forward = ("binary" | "unary", kernel op, save rules), declared in a class's own
    # body, lets apply run that forward in C++ for the float CPU operands the C++ kernels
    # take, leaving the same ctx fields (ops/elementwise.py's _Arith and unary table
    # declare it; the format is in csrc/bind/bind_autograd_apply.cpp). None: always Python.
    fast_forward = None

    # apply(*args) runs forward(ctx, *args) and records the call when grad mode is on and
    # an argument is a Tensor that requires grad: a Node with the ctx, one edge per input
    # (_C.edge_of: the producer's (node, output index), or the leaf's AccumulateGrad) and
    # the outputs' (shape, dtype, device); floating-point outputs get the node as their
    # grad_fn. Every op passes here, so it is C++ (csrc/bind/bind_autograd_apply.cpp),
    # installed by _bind_apply once tensor.py has defined Tensor.


def _reaches(node, tensors):
    """Whether any of tensors (leaves at their AccumulateGrad, non-leaves at their producer)
    is upstream of node in the graph."""
    leaves = {id(t) for t in tensors if t._grad_fn is None}
    producers = {id(t._grad_fn) for t in tensors if t._grad_fn is not None}
    seen, todo = set(), [node]
    while todo:
        n = todo.pop()
        for nxt, _ in getattr(n, "next_functions", ()):
            if nxt is None or id(nxt) in seen:
                continue
            seen.add(id(nxt))
            var = getattr(nxt, "leaf", None)  # AccumulateGrad
            if id(nxt) in producers or (var is not None and id(var) in leaves):
                return True
            todo.append(nxt)
    return False


def _run_backward(roots, root_grads, retain_graph, inputs=None, create_graph=False, targets=None):
    """Runs the graph from roots (edges) with root_grads; returns `inputs` (the captured
    gradients of grad()) filled in. The loop (topological order, summing the gradients
    that reach each node, node.apply, freeing each ctx) is C++ (csrc/bind/
    bind_autograd_engine.cpp); the leaves' update and the zeros for outputs that got no
    gradient are the Python below. With create_graph the gradient formulas run under
    grad mode, so the gradients are themselves differentiable (Node.apply). `targets`
    (grad()'s input nodes): only the nodes that lead to one of them run."""
    captured = inputs  # None for backward(); {id(leaf): grad} for grad()
    handed_out = set()
    # no_grad() without its object (every backward passes here), or grad mode on to record
    prev, _state.enabled = _state.enabled, bool(create_graph)
    callbacks = []  # autograd.graph's queue_callback: run once this backward is done
    _callbacks.append(callbacks)
    try:
        _C.run_backward(roots, root_grads, retain_graph,
                        lambda leaf, g: _accumulate(leaf, g, captured, handed_out, create_graph), _zeros_for,
                        _validate_grad, targets)
    finally:
        _state.enabled = prev
        _callbacks.pop()
    for cb in callbacks:
        cb()
    return captured


_callbacks = []  # one list per running backward (innermost last)


def _validate_grad(node, i, g, shape, dtype, device):
    """torch's validate_outputs for a gradient whose shape, dtype or device is not its
    input's (the engine calls this only then): a shape the input's expands to is summed
    down to it, any other shape raises; another dtype is cast to the input's; another
    device raises."""
    name = node.name()
    if tuple(g._shape) != tuple(shape):
        from .ops._util import unbroadcast
        gs, s = tuple(g._shape), tuple(shape)
        if len(s) > len(gs) or any(a != b and a != 1 for a, b in zip(s[::-1], gs[::-1])):
            raise RuntimeError(f"Function {name} returned an invalid gradient at index {i} - got {list(gs)} "
                               f"but expected shape compatible with {list(s)}")
        g = unbroadcast(g, s)
    if g._dtype is not dtype:
        g = g.to(dtype)
    if g._device != device:
        raise RuntimeError(f"Function {name} returned an invalid gradient at index {i} - expected device "
                           f"{device} but got {g._device}")
    return g


def _graph():
    from . import autograd_graph
    return autograd_graph


class _NotTwice(Function):
    """Stands in for a gradient computed by a once_differentiable backward (a fused kernel
    with no derivative of its own): the value passes through; differentiating it raises."""

    @staticmethod
    def forward(ctx, g, name, *sources):
        ctx.name = name
        return g.detach()

    @staticmethod
    def backward(ctx, gg):
        raise RuntimeError(f"{ctx.name}: the gradient of this op is not differentiable in fastdl (its backward is "
                           f"a fused kernel marked once_differentiable); higher-order gradients through it are not "
                           f"supported")


class _Cut(Function):
    """x passed through; its gradient stops here while token[0] is set (the inner grad of
    backward_by_reforward), and flows on once it is cleared (the outer differentiation)."""

    @staticmethod
    def forward(ctx, x, token):
        ctx.token = token
        return x.detach()

    @staticmethod
    def backward(ctx, g):
        return None if ctx.token[0] else g, None


def backward_by_reforward(reference, inputs, grad_outputs):
    """A recorded backward (create_graph) for an op whose own backward is a fused kernel:
    runs `reference(*inputs)`, the same op written with differentiable ops, and returns
    the gradients of its outputs (weighted by grad_outputs) w.r.t. the inputs that require
    grad (None for the others), with their graph. The inputs enter through _Cut nodes, so
    the inner grad stops there instead of running the graph above the op."""
    token = [True]
    cut = [_Cut.apply(t, token) if getattr(t, "requires_grad", False) else t for t in inputs]
    with enable_grad():
        outs = reference(*cut)
    outs = outs if isinstance(outs, tuple) else (outs,)
    wrt = [c for c, t in zip(cut, inputs) if getattr(t, "requires_grad", False)]
    pairs = [(o, g) for o, g in zip(outs, grad_outputs) if g is not None and o.requires_grad]
    try:
        gs = grad([o for o, _ in pairs], wrt, [g for _, g in pairs], create_graph=True, allow_unused=True) \
            if pairs and wrt else [None] * len(wrt)
    finally:
        token[0] = False
    it = iter(gs)
    return tuple(next(it) if getattr(t, "requires_grad", False) else None for t in inputs)


def once_differentiable(cls_or_fn):
    """Marks a Function (the class, or its backward staticmethod as torch's decorator is
    used) whose backward is not itself differentiable: with create_graph, differentiating
    its gradients raises instead of silently treating them as constants."""
    cls_or_fn._once_differentiable = True
    return cls_or_fn


def _zeros_for(meta):
    """Zeros standing in for the gradient of an output (shape, dtype, device) that got none."""
    from .tensor import zeros
    return zeros(meta[0], dtype=meta[1], device=meta[2])


def _accumulate(leaf, g, captured, handed_out, create_graph=False):
    """Runs leaf's hooks on g, then adds it to leaf.grad (or to captured, for grad()).
    With create_graph, .grad keeps the graph of g (as torch's)."""
    if g is None:
        return
    hooks = leaf._hooks or ()
    for hook in hooks:
        if type(hook) is not PostAccumulateGradHook:
            r = hook(g)
            g = r if r is not None else g
    if captured is not None:
        if id(leaf) in captured:
            captured[id(leaf)] = g if captured[id(leaf)] is None else captured[id(leaf)] + g
        return
    acc = leaf._accumulator
    extra = acc._extra if acc is not None else None
    if extra is not None and extra.hooks:  # the AccumulateGrad node's own hooks (autograd.graph)
        extra.apply(acc, [g], lambda _, gs: _accumulate_into(leaf, gs[0], handed_out, create_graph) or ())
        return
    _accumulate_into(leaf, g, handed_out, create_graph)


def _accumulate_into(leaf, g, handed_out, create_graph):
    hooks = leaf._hooks or ()
    if create_graph:
        leaf.grad = g if leaf.grad is None else leaf.grad + g
    elif leaf.grad is None:
        # a gradient object may be shared (add's backward passes it to both
        # sides), so a leaf gets its own copy unless it is the only taker
        if any(s == 0 and n > 1 for n, s in zip(g._shape, g._strides)):
            # an expanded gradient (sum's backward) would alias its elements: .grad.add_(...) or an
            # optimizer's in-place update must see separate elements (torch's AccumulateGrad copies too)
            leaf.grad = g.detach().contiguous()
        else:
            leaf.grad = g.detach() if id(g) not in handed_out else g.clone()
        handed_out.add(id(g))
    else:
        leaf.grad = leaf.grad + g
    for hook in hooks:
        if type(hook) is PostAccumulateGradHook:
            hook.fn(leaf)


class PostAccumulateGradHook:
    """A leaf's hook(tensor) run after its .grad has been updated
    (Tensor.register_post_accumulate_grad_hook); the handle's remove() takes it off."""

    __slots__ = ("fn", "leaf")

    def __init__(self, fn, leaf):
        self.fn, self.leaf = fn, leaf

    def remove(self):
        self.leaf._hooks = tuple(h for h in (self.leaf._hooks or ()) if h is not self) or None


def _root_grads(tensors, grad_tensors, op):
    from .tensor import Tensor, ones_like

    roots, gs = [], []
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: expected Tensors, got {type(t).__name__}")
        if not t.requires_grad:
            raise RuntimeError(f"{op}: element {i} of tensors does not require grad and does not have a grad_fn")
        g = grad_tensors[i] if grad_tensors is not None else None
        if g is None:
            if t.numel() != 1:
                raise RuntimeError(f"{op}: grad can be implicitly created only for scalar outputs; "
                                   f"got a tensor of shape {list(t.shape)}, pass gradient=")
            if t.dtype.category == 3:
                raise RuntimeError(f"{op}: grad can be implicitly created only for real scalar outputs, got "
                                   f"{t.dtype.name}; pass gradient= or differentiate a real function of it")
            g = ones_like(t)
        elif not isinstance(g, Tensor):
            from .tensor import tensor as _tensor
            g = _tensor(g, dtype=t.dtype, device=t.device)
        if tuple(g.shape) != tuple(t.shape):
            raise RuntimeError(f"{op}: gradient has shape {list(g.shape)} but the tensor has shape {list(t.shape)}")
        roots.append(_C.edge_of(t))
        gs.append(g)
    return roots, gs


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulates d(tensors)/d(leaf) * grad_tensors into every leaf's .grad. With
    create_graph the gradients are recorded too (higher-order derivatives); retain_graph
    defaults to create_graph, as torch's. `inputs` (tensors, leaves or not) limits the
    accumulation to their .grad."""
    from .tensor import Tensor
    if isinstance(tensors, Tensor):
        tensors = (tensors,)
        if grad_tensors is not None and not isinstance(grad_tensors, (list, tuple)):
            grad_tensors = (grad_tensors,)
    if inputs is not None:
        inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
        if not inputs:
            raise RuntimeError("backward: inputs argument passed to backward() cannot be empty")
        gs = grad(tensors, inputs, grad_tensors, retain_graph=retain_graph, create_graph=create_graph,
                  allow_unused=True)
        for t, g in zip(inputs, gs):
            if g is not None:
                g = g if create_graph else g.detach()
                t.grad = g if t.grad is None else t.grad + g
        return
    roots, gs = _root_grads(tensors, grad_tensors, "backward")
    _run_backward(roots, gs, create_graph if retain_graph is None else bool(retain_graph), create_graph=create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Returns d(outputs)/d(inputs) without touching any .grad (torch.autograd.grad).
    create_graph records the gradients' own graph (gradient penalties, Hessian-vector
    products); materialize_grads returns zeros instead of None for unused inputs."""
    from .tensor import Tensor, zeros_like
    if is_grads_batched:
        return _grad_batched(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused,
                             materialize_grads)
    if allow_unused is None:
        allow_unused = materialize_grads
    elif materialize_grads and not allow_unused:
        raise ValueError("grad: expected allow_unused to be True or not passed when materialize_grads=True")
    if retain_graph is None:
        retain_graph = create_graph
    if isinstance(outputs, Tensor):
        outputs = (outputs,)
        if grad_outputs is not None and not isinstance(grad_outputs, (list, tuple)):
            grad_outputs = (grad_outputs,)
    single = isinstance(inputs, Tensor)
    inputs = (inputs,) if single else tuple(inputs)
    roots, gs = _root_grads(outputs, grad_outputs, "grad")
    # leaves are captured at their AccumulateGrad; a non-leaf input at its producer's node,
    # which hands over the summed gradient of that output before running its backward
    captured = {id(t): None for t in inputs}
    hooked = []
    targets = []  # the nodes where the inputs' gradients arrive: the engine runs only what leads there
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("grad: one of the inputs does not require grad")
        if t._grad_fn is not None:
            ctx = t._grad_fn.ctx
            if ctx._freed:
                # torch's grad() never runs past its inputs: a non-leaf input whose producer was
                # freed (by an earlier backward) is fine unless another input lies upstream of it
                if _reaches(t._grad_fn, [u for u in inputs if u is not t]):
                    ctx.saved_tensors  # raises the "backward through the graph a second time" error
                ctx._cut = True
                hooked.append(ctx)
            if ctx._captures is None:
                ctx._captures = []
                hooked.append(ctx)
            ctx._captures.append((t._out_index, id(t), captured))
            targets.append(t._grad_fn)
        else:
            targets.append(_C.edge_of(t)[0])
    try:
        res = _run_backward(roots, gs, retain_graph, inputs=captured, create_graph=create_graph, targets=targets)
    finally:
        for ctx in hooked:
            ctx.__dict__.pop("_captures", None)
            ctx.__dict__.pop("_cut", None)
    out = []
    for t in inputs:
        g = res[id(t)]
        if g is None and not allow_unused:
            raise RuntimeError("grad: one of the differentiated tensors appears not to have been used in the graph; "
                               "pass allow_unused=True if this is intended")
        if g is None and materialize_grads:
            g = zeros_like(t)
        out.append(g)
    return tuple(out)


def _grad_batched(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused, materialize_grads):
    """grad(..., is_grads_batched=True): each grad_output carries a leading batch dim and
    the result gets one too. torch vmaps the backward; here it runs once per batch entry
    (the graph retained until the last), then stacks: the same values, B backward passes."""
    from .tensor import Tensor
    from .ops import stack
    outs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    gos = (grad_outputs,) if isinstance(grad_outputs, Tensor) else grad_outputs
    if gos is None or len(gos) != len(outs) or any(not isinstance(g, Tensor) for g in gos):
        raise RuntimeError("grad: is_grads_batched=True needs one grad_outputs tensor per output, each with a "
                           "leading batch dimension")
    batch = None
    for i, (o, g) in enumerate(zip(outs, gos)):
        if g.dim() != o.dim() + 1 or tuple(g.shape[1:]) != tuple(o.shape) or (batch is not None and g.shape[0] != batch):
            raise RuntimeError(f"grad: is_grads_batched=True: grad_outputs[{i}] has shape {tuple(g.shape)}, expected "
                               f"({batch if batch is not None else 'B'}, *{tuple(o.shape)}) for output {i}")
        batch = g.shape[0]
    if retain_graph is None:
        retain_graph = create_graph
    single = isinstance(inputs, Tensor)
    if batch == 0:  # nothing to differentiate: empty batches of the inputs' shapes
        from .tensor import zeros
        return tuple(zeros((0, *t.shape), dtype=t.dtype, device=t.device) for t in ((inputs,) if single else inputs))
    per_entry = [grad(outs, inputs, [g[b] for g in gos], retain_graph=retain_graph or b + 1 < batch,
                      create_graph=create_graph, allow_unused=allow_unused, materialize_grads=materialize_grads)
                 for b in range(batch)]
    n_in = 1 if single else len(inputs)
    result = []
    for j in range(n_in):
        col = [entry[j] for entry in per_entry]
        result.append(None if not col or col[0] is None else stack(col))
    return tuple(result)


class GradcheckError(RuntimeError):
    """torch.autograd.gradcheck.GradcheckError: what a failed gradcheck raises (a RuntimeError,
    so `except RuntimeError` catches it as in torch)."""


# torch's gradcheck keywords fastdl's check has no twin for: accepted where they change
# nothing fastdl checks (deterministic kernels; forward AD is derived from the reverse graph,
# so one check covers both modes), refused where they ask for a check fastdl does not run
_GRADCHECK_ACCEPTED = ("nondet_tol", "check_undefined_grad", "check_grad_dtypes", "fast_mode", "masked")
_GRADCHECK_REFUSED = ("check_batched_grad", "check_batched_forward_grad")


def _torch_check(name, check, fn, inputs, kwargs):
    for k in _GRADCHECK_ACCEPTED:
        kwargs.pop(k, None)
    for k in _GRADCHECK_REFUSED:
        if kwargs.pop(k, False):
            raise NotImplementedError(f"{name}: {k}=True (vmap over the gradients) is not implemented by fastdl")
    backward_ad, forward_ad = kwargs.pop("check_backward_ad", True), kwargs.pop("check_forward_ad", False)
    try:
        if forward_ad and not backward_ad and name == "gradcheck":  # e.g. a Function with only jvp
            from .autograd_forward_ad import forward_ad_check
            kwargs = {k: v for k, v in kwargs.items() if k in ("eps", "atol", "rtol")}
            return forward_ad_check(fn, inputs, **kwargs)
        if not (backward_ad or forward_ad):
            return True
        return check(fn, inputs, **kwargs)
    except AssertionError as e:
        raise GradcheckError(str(e)) from None


def gradcheck(fn, inputs, **kwargs):
    """torch.autograd.gradcheck: fastdl.testing.gradcheck (float64 central differences)."""
    from .testing import gradcheck as check
    return _torch_check("gradcheck", check, fn, inputs, kwargs)


def gradgradcheck(fn, inputs, grad_outputs=None, **kwargs):
    """torch.autograd.gradgradcheck: second derivatives by fastdl.testing.gradgradcheck."""
    from .testing import gradgradcheck as check
    if grad_outputs is not None:
        raise NotImplementedError("gradgradcheck: grad_outputs is not implemented by fastdl (it draws its own)")
    kwargs.pop("gen_non_contig_grad_outputs", None)
    return _torch_check("gradgradcheck", check, fn, inputs, kwargs)


_SUBMODULES = {"functional": "fastdl.autograd_functional", "forward_ad": "fastdl.autograd_forward_ad",
               "function": "fastdl.autograd_function", "grad_mode": "fastdl.autograd_function",
               "profiler": "fastdl.autograd_profiler", "graph": "fastdl.autograd_graph"}


class _SubmoduleFinder:
    """Makes `import fastdl.autograd.functional` / `.forward_ad` work although autograd is a
    module, not a package: the name is served by its module file, loaded on first use."""

    @staticmethod
    def find_spec(fullname, path=None, target=None):
        package, _, short = fullname.rpartition(".")
        if package != __name__ or short not in _SUBMODULES:
            return None
        import importlib.util
        return importlib.util.spec_from_loader(fullname, _SubmoduleFinder)

    @staticmethod
    def create_module(spec):
        import importlib
        return importlib.import_module(_SUBMODULES[spec.name.rpartition(".")[2]])

    @staticmethod
    def exec_module(module):
        pass


# a package path (empty: nothing found on disk) lets the import system ask the finder
__path__ = []


def _install_submodule_finder():
    import sys
    if not any(f is _SubmoduleFinder for f in sys.meta_path):
        sys.meta_path.append(_SubmoduleFinder)


_install_submodule_finder()


def __getattr__(name):
    """autograd.functional, forward_ad, function, grad_mode (torch's), loaded on first use;
    the multithreading flag's functions from autograd_function."""
    if name in ("set_multithreading_enabled", "is_multithreading_enabled"):
        import importlib
        return getattr(importlib.import_module("fastdl.autograd_function"), name)
    if name in _SUBMODULES:
        import importlib
        mod = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = mod
        return mod
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _bind_apply():
    """Installs the C++ Function.apply and engine once Tensor exists (tensor.py calls this)."""
    from .tensor import Tensor
    _C.bind_autograd(Context, Node, AccumulateGrad, Tensor)
    _C.bind_engine(Node, AccumulateGrad, Context, Tensor)
    Function.apply = classmethod(_C.function_apply)


# ---- anomaly mode, Variable, autograd.graph (misc branch) ----
from .autograd_anomaly import (detect_anomaly, set_detect_anomaly, is_anomaly_enabled,  # noqa: E402
                               is_anomaly_check_nan_enabled, set_anomaly_enabled)
from .autograd_variable import Variable  # noqa: E402
