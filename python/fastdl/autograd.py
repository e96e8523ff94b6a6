"""Reverse-mode autograd: Function, the graph nodes it records, and the engine.

Every differentiable op is a Function subclass with `forward(ctx, *args)` and
`backward(ctx, *grad_outputs)` side by side; `Function.apply` runs forward without
recording, then links the outputs to a Node holding the ctx and one edge per input.
Edges point at the producer's Node (or at an AccumulateGrad for a leaf), never at the
input tensors themselves, so intermediate buffers die as soon as nothing but the graph
refers to them, and the graph dies with its last output or after backward.
"""

from . import _C

__all__ = ["Function", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "backward", "grad"]

# Per-thread grad mode: `_state.enabled` is a C++ thread_local flag (csrc/bind/grad_mode.cpp),
# which Function.apply and the C++ fronts read without a Python attribute lookup.
_state = _C.grad_mode


def is_grad_enabled():
    return _state.enabled


class set_grad_enabled:
    """Context manager (and decorator) setting whether ops record the graph."""

    def __init__(self, mode):
        self.prev = is_grad_enabled()
        self.mode = bool(mode)
        _state.enabled = self.mode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _state.enabled = self.prev
        return False


class _GradMode:
    mode = True

    def __enter__(self):
        self.prev = is_grad_enabled()
        _state.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _state.enabled = self.prev
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*a, **k):
            with type(self)():
                return fn(*a, **k)

        return wrapper


class no_grad(_GradMode):
    mode = False


class enable_grad(_GradMode):
    mode = True


class Context:
    """What forward leaves for backward: saved tensors (version-checked) and flags."""

    # Defaults live on the class, so creating one (every recorded op does) runs no
    # __init__; an instance attribute shadows a default once set.
    _saved = ()
    _versions = ()
    _freed = False
    needs_input_grad = ()

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
        for t, v in zip(self._saved, self._versions):
            if t is not None and t._buf.version != v:
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified by an "
                    f"inplace operation: [{t.dtype.name} {list(t.shape)}] is at version {t._buf.version}; "
                    f"expected version {v} instead")
        return self._saved

    def _free(self):
        self.__dict__.clear()
        self._freed = True


class Node:
    """One recorded call of a Function: its ctx, its inputs' edges, its outputs' shapes."""

    __slots__ = ("fn", "ctx", "edges", "out_meta", "__weakref__")

    def __init__(self, fn, ctx, edges, out_meta):
        self.fn, self.ctx, self.edges, self.out_meta = fn, ctx, edges, out_meta

    def name(self):
        return self.fn.__name__ + "Backward"

    def __repr__(self):
        return f"<{self.name()}>"

    def apply(self, grads):
        if self.ctx._freed:
            self.ctx.saved_tensors  # raises the "backward through the graph a second time" error
        out = self.fn.backward(self.ctx, *grads)
        return out if isinstance(out, tuple) else (out,)


class AccumulateGrad:
    """Edge target for a leaf tensor: adds incoming gradients into leaf.grad."""

    __slots__ = ("leaf",)

    def __init__(self, leaf):
        self.leaf = leaf

    def name(self):
        return "AccumulateGrad"


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


def _run_backward(roots, root_grads, retain_graph, inputs=None):
    """Runs the graph from roots (edges) with root_grads; returns `inputs` (the captured
    gradients of grad()) filled in. The loop (topological order, summing the gradients
    that reach each node, node.apply, freeing each ctx) is C++ (csrc/bind/
    bind_autograd_engine.cpp); the leaves' update and the zeros for outputs that got no
    gradient are the Python below."""
    captured = inputs  # None for backward(); {id(leaf): grad} for grad()
    handed_out = set()
    with no_grad():
        _C.run_backward(roots, root_grads, retain_graph,
                        lambda leaf, g: _accumulate(leaf, g, captured, handed_out), _zeros_for)
    return captured


def _zeros_for(meta):
    """Zeros standing in for the gradient of an output (shape, dtype, device) that got none."""
    from .tensor import zeros
    return zeros(meta[0], dtype=meta[1], device=meta[2])


def _accumulate(leaf, g, captured, handed_out):
    """Runs leaf's hooks on g, then adds it to leaf.grad (or to captured, for grad())."""
    if g is None:
        return
    for hook in leaf._hooks or ():
        r = hook(g)
        g = r if r is not None else g
    if captured is not None:
        if id(leaf) in captured:
            captured[id(leaf)] = g if captured[id(leaf)] is None else captured[id(leaf)] + g
        return
    if leaf.grad is None:
        # a gradient object may be shared (add's backward passes it to both
        # sides), so a leaf gets its own copy unless it is the only taker
        leaf.grad = g.detach() if id(g) not in handed_out else g.clone()
        handed_out.add(id(g))
    else:
        leaf.grad = leaf.grad + g


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
            g = ones_like(t)
        elif not isinstance(g, Tensor):
            from .tensor import tensor as _tensor
            g = _tensor(g, dtype=t.dtype, device=t.device)
        if tuple(g.shape) != tuple(t.shape):
            raise RuntimeError(f"{op}: gradient has shape {list(g.shape)} but the tensor has shape {list(t.shape)}")
        roots.append(_C.edge_of(t))
        gs.append(g)
    return roots, gs


def backward(tensors, grad_tensors=None, retain_graph=False):
    """Accumulates d(tensors)/d(leaf) * grad_tensors into every leaf's .grad."""
    from .tensor import Tensor
    if isinstance(tensors, Tensor):
        tensors = (tensors,)
        if grad_tensors is not None and not isinstance(grad_tensors, (list, tuple)):
            grad_tensors = (grad_tensors,)
    roots, gs = _root_grads(tensors, grad_tensors, "backward")
    _run_backward(roots, gs, retain_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=False, allow_unused=False):
    """Returns d(outputs)/d(inputs) without touching any .grad (torch.autograd.grad)."""
    from .tensor import Tensor
    if isinstance(outputs, Tensor):
        outputs = (outputs,)
        if grad_outputs is not None and not isinstance(grad_outputs, (list, tuple)):
            grad_outputs = (grad_outputs,)
    single = isinstance(inputs, Tensor)
    inputs = (inputs,) if single else tuple(inputs)
    roots, gs = _root_grads(outputs, grad_outputs, "grad")
    # gradients for non-leaf inputs are captured by swapping their edge in as a root
    # of a one-off accumulator; leaves are captured at their AccumulateGrad
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("grad: one of the inputs does not require grad")
        if t._grad_fn is not None:
            raise RuntimeError("grad: only leaf tensors are supported as inputs in fastdl")
        _C.edge_of(t)
    captured = {id(t): None for t in inputs}
    res = _run_backward(roots, gs, retain_graph, inputs=captured)
    out = []
    for t in inputs:
        g = res[id(t)]
        if g is None and not allow_unused:
            raise RuntimeError("grad: one of the differentiated tensors appears not to have been used in the graph; "
                               "pass allow_unused=True if this is intended")
        out.append(g)
    return tuple(out)


def _bind_apply():
    """Installs the C++ Function.apply and engine once Tensor exists (tensor.py calls this)."""
    from .tensor import Tensor
    _C.bind_autograd(Context, Node, AccumulateGrad, Tensor)
    _C.bind_engine(Node, AccumulateGrad, Context, Tensor)
    Function.apply = classmethod(_C.function_apply)
