"""torch.utils.checkpoint for fastdl: activation checkpointing.

checkpoint(function, *args) returns function(*args) but keeps only the inputs between
forward and backward; backward runs function again with grad recording and
backpropagates through that recomputation. The global RNG state is restored for the
recomputation (preserve_rng_state), so dropout draws the same masks.

Two variants, as torch's:
- use_reentrant=True (torch 2.13's default when use_reentrant is not passed, with its
  warning): the forward runs under no_grad inside one autograd Function over the
  explicit inputs; its backward calls autograd.backward on the recomputed outputs, so
  parameters get their .grad directly. Gradients flow only when an input requires grad;
  keyword arguments, context_fn and debug are refused; autograd.grad() cannot see the
  parameters' gradients (as torch's, which raises; fastdl cannot tell grad() from
  backward() inside a backward, so it does not raise).
- use_reentrant=False: gradients also reach tensors the function uses without taking
  them as arguments (module parameters: inputs need not require grad), autograd.grad
  and create_graph (higher-order gradients) work, and tensor keyword arguments are
  inputs. fastdl has no saved-tensor hooks, so this variant learns which tensors the
  function depends on by recording the forward's graph, collecting the leaves it
  reaches, and dropping the graph when the forward returns: between forward and
  backward only the inputs are kept, as torch's; within one call the peak is that
  call's activations (what the backward's recomputation needs anyway). A non-leaf
  tensor captured by the closure is differentiated through to its leaves, so its own
  retain_grad()/grad() does not see the checkpoint's share of its gradient.
"""
import contextlib
import warnings

from .. import autograd as _ag
from ..autograd import Function, _Cut, enable_grad, is_grad_enabled, no_grad
from ..ops.random import _all_states, _set_all_states
from .._pytree import _flatten, _unflatten
from ..tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError", "noop_context_fn"]


class CheckpointError(RuntimeError):
    """The recomputation did not produce what the forward produced (torch's CheckpointError)."""


def noop_context_fn():
    return contextlib.nullcontext(), contextlib.nullcontext()


class _RngState:
    """The global generator's state to replay in the recomputation (None: not kept)."""

    def __init__(self, keep):
        self.state = _all_states() if keep else None

    @contextlib.contextmanager
    def replay(self):
        if self.state is None:
            yield
            return
        current = _all_states()
        _set_all_states(self.state)
        try:
            yield
        finally:
            _set_all_states(current)


def _meta(t):
    return tuple(t.shape), t.dtype, t.device


# ---- use_reentrant=True ----
class _Reentrant(Function):
    """forward(state, *args): function(*args) under no_grad; the tensor outputs."""

    @staticmethod
    def forward(ctx, state, *args):
        state.rng = _RngState(state.preserve)
        with no_grad():
            out = state.function(*args)
        leaves, state.spec = _flatten(out)
        state.kinds = [isinstance(v, Tensor) for v in leaves]
        state.others = [v for v in leaves if not isinstance(v, Tensor)]
        ctx.state = state
        ctx.tensor_pos = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.args = [None if isinstance(a, Tensor) else a for a in args]
        ctx.save_for_backward(*[args[i] for i in ctx.tensor_pos])
        return tuple(v.detach() for v in leaves if isinstance(v, Tensor))

    @staticmethod
    def backward(ctx, *grads):
        state = ctx.state
        args = list(ctx.args)
        saved = ctx.saved_tensors
        for i, t in zip(ctx.tensor_pos, saved):
            d = t.detach()
            args[i] = d.requires_grad_(t.requires_grad) if t.requires_grad else d
        with state.rng.replay(), enable_grad():
            out = state.function(*args)
        outs = [v for v in _flatten(out)[0] if isinstance(v, Tensor)]
        pairs = [(o, g) for o, g in zip(outs, grads) if o.requires_grad and g is not None]
        if not pairs:
            raise RuntimeError("checkpoint: none of the outputs has requires_grad=True, this checkpoint() is not "
                               "necessary")
        _ag.backward([o for o, _ in pairs], [g for _, g in pairs])
        grads_in = [None] * len(args)
        for k, i in enumerate(ctx.tensor_pos):
            if saved[k].requires_grad:
                grads_in[i] = args[i].grad
        return (None, *grads_in)


class _State:
    pass


def _checkpoint_reentrant(function, preserve, args):
    if is_grad_enabled() and not any(isinstance(a, Tensor) and a.requires_grad for a in args):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", stacklevel=3)
    state = _State()
    state.function, state.preserve = function, preserve
    tensors = _Reentrant.apply(state, *args)
    it_t, it_o = iter(tensors), iter(state.others)
    return _unflatten([next(it_t) if k else next(it_o) for k in state.kinds], state.spec)


# ---- use_reentrant=False ----
def _leaves_reached(outputs, skip):
    """The leaves requiring grad that outputs' graph reaches, in first-seen order, minus
    the ids in skip (the detached inputs)."""
    from ..autograd import AccumulateGrad
    found, seen, stack = {}, set(), []
    for o in outputs:
        if o._grad_fn is None:
            if id(o) not in skip:
                found.setdefault(id(o), o)
        else:
            stack.append(o._grad_fn)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for edge in node.edges:
            if edge is None:
                continue
            target = edge[0]
            if isinstance(target, AccumulateGrad):
                if id(target.leaf) not in skip:
                    found.setdefault(id(target.leaf), target.leaf)
            elif id(target) not in seen:
                stack.append(target)
    return list(found.values())


class _NonReentrant(Function):
    """forward(state, *inputs, *leaves): the outputs the probe forward computed; backward
    recomputes and differentiates them w.r.t. the inputs and the leaves."""

    @staticmethod
    def forward(ctx, state, *tensors):
        ctx.state = state
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(*tensors[:state.n_inputs])
        ctx.leaves = tensors[state.n_inputs:]
        outs, state.outs = state.outs, None
        return tuple(outs)

    @staticmethod
    def backward(ctx, *grads):
        state = ctx.state
        inputs = ctx.saved_tensors
        leaves = ctx.leaves
        create = is_grad_enabled()  # the engine records the backward under create_graph
        token = [True]
        with enable_grad():
            # create_graph: the inputs enter through _Cut so the gradients keep their graph back
            # to them while the inner grad stops there; otherwise detached leaves suffice
            if create:
                fresh = [_Cut.apply(t, token) if t.requires_grad else t for t in inputs]
            else:
                fresh = [t.detach().requires_grad_(True) if t.requires_grad else t.detach() for t in inputs]
        args, kwargs = state.rebuild(fresh)
        hooks = [(leaf, leaf._hooks) for leaf in leaves]
        try:
            for leaf in leaves:  # the leaves' hooks run once, when the outer backward reaches them
                leaf._hooks = None
            with state.rng.replay(), state.recompute_ctx(), enable_grad():
                out = state.function(*args, **kwargs)
            flat = _flatten(out)[0]
            if state.check and (len(flat) != state.n_flat or any(
                    not isinstance(flat[i], Tensor) or _meta(flat[i]) != m for i, m in zip(state.routed, state.metas))):
                raise CheckpointError(
                    "checkpoint: the recomputed outputs differ from the forward's (number, shapes, dtypes or "
                    f"devices): forward gave {[(list(s), d.name) for s, d, _ in state.metas]}, the recomputation "
                    f"{[(list(t.shape), t.dtype.name) if isinstance(t, Tensor) else type(t).__name__ for t in flat]}; "
                    "pass determinism_check='none' to skip this check")
            outs = [flat[i] for i in state.routed]
            pairs = [(o, g) for o, g in zip(outs, grads)
                     if g is not None and isinstance(o, Tensor) and o.requires_grad]
            wrt = [f for f, t in zip(fresh, inputs) if t.requires_grad] + list(leaves)
            if pairs and wrt:
                gs = _ag.grad([o for o, _ in pairs], wrt, [g for _, g in pairs], retain_graph=True,
                              create_graph=create, allow_unused=True)
            else:
                gs = [None] * len(wrt)
        finally:
            token[0] = False
            for leaf, h in hooks:
                leaf._hooks = h
        it = iter(gs)
        in_grads = [next(it) if t.requires_grad else None for t in inputs]
        return (None, *in_grads, *it)


def _checkpoint_non_reentrant(function, preserve, context_fn, check, args, kwargs):
    contexts = context_fn()
    if not (isinstance(contexts, tuple) and len(contexts) == 2):
        raise TypeError("checkpoint: context_fn must return a tuple of two context managers (forward, recompute)")
    forward_ctx, recompute_ctx = contexts
    if not is_grad_enabled():  # nothing to recompute for
        with forward_ctx:
            return function(*args, **kwargs)
    keys = list(kwargs)
    values = list(args) + [kwargs[k] for k in keys]
    pos = [i for i, v in enumerate(values) if isinstance(v, Tensor)]
    inputs = [values[i] for i in pos]

    def rebuild(tensors):
        vals = list(values)
        for i, t in zip(pos, tensors):
            vals[i] = t
        return vals[:len(args)], dict(zip(keys, vals[len(args):]))

    state = _State()
    state.function, state.rebuild, state.check = function, rebuild, check
    state.rng = _RngState(preserve)
    state.n_inputs = len(inputs)
    # the probe: the inputs as fresh leaves, so the walk below stops at them
    probe = [t.detach().requires_grad_(True) if t.requires_grad else t for t in inputs]
    p_args, p_kwargs = rebuild(probe)
    with forward_ctx, enable_grad():
        out = function(*p_args, **p_kwargs)
    flat, spec = _flatten(out)
    del out
    routed = [i for i, v in enumerate(flat) if isinstance(v, Tensor) and v.requires_grad]
    if not routed:
        return _unflatten(flat, spec)
    leaves = _leaves_reached([flat[i] for i in routed], {id(p) for p in probe})
    state.n_flat, state.routed = len(flat), routed
    state.metas = [_meta(flat[i]) for i in routed]
    state.outs = [flat[i].detach() for i in routed]
    for i in routed:
        flat[i] = None  # drops the probe's graph (and with it the activations)
    del probe, p_args, p_kwargs
    recompute_cm = recompute_ctx
    state.recompute_ctx = lambda: recompute_cm
    res = _NonReentrant.apply(state, *inputs, *leaves)
    for i, t in zip(routed, res):
        flat[i] = t
    return _unflatten(flat, spec)


def checkpoint(function, *args, use_reentrant=None, context_fn=noop_context_fn, determinism_check="default",
               debug=False, early_stop=True, **kwargs):
    """function(*args, **kwargs), keeping only the inputs for backward, which recomputes
    the forward (torch.utils.checkpoint.checkpoint; the two variants are described in
    this module's docstring). preserve_rng_state=True (a keyword) replays the RNG state;
    context_fn returns (forward context, recompute context); determinism_check='default'
    compares the recomputed outputs' shapes/dtypes/devices with the forward's, 'none'
    skips it; debug and early_stop are accepted (the recomputation always runs to the end)."""
    if use_reentrant is None:
        warnings.warn("fastdl.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
                      "As torch 2.13, the default is use_reentrant=True; use_reentrant=False is recommended.",
                      stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if not callable(function):
        raise TypeError(f"checkpoint: function must be callable, got {type(function).__name__}")
    if determinism_check not in ("default", "none"):
        raise ValueError(f"checkpoint: determinism_check should be one of ['default', 'none'], but got "
                         f"{determinism_check!r}")
    if use_reentrant:
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
        return _checkpoint_reentrant(function, preserve, args)
    return _checkpoint_non_reentrant(function, preserve, context_fn, determinism_check == "default", args, kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Runs functions (a list or nn.Sequential) in order on input, checkpointing all
    segments but the last (torch.utils.checkpoint.checkpoint_sequential)."""
    if use_reentrant is None:
        warnings.warn("fastdl.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be passed "
                      "explicitly. As torch 2.13, the default is use_reentrant=True; use_reentrant=False is "
                      "recommended.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    from ..nn import Sequential
    if isinstance(functions, Sequential):
        functions = list(functions.children())
    functions = list(functions)
    if not isinstance(segments, int) or isinstance(segments, bool) or not 1 <= segments <= max(len(functions), 1):
        raise ValueError(f"checkpoint_sequential: segments must be an int in [1, {len(functions)}] (the number of "
                         f"functions), got {segments!r}")

    def run(start, end):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x
        return forward

    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return run(end + 1, len(functions) - 1)(input)
