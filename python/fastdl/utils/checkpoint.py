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
- use_reentrant=False: the forward records its graph as usual, under a saved-tensor
  hook (fastdl.autograd.graph) that keeps a small holder instead of each tensor the ops
  save; backward's first unpack reruns the function once and fills the holders. So
  gradients reach tensors the function uses without taking them as arguments (module
  parameters: inputs need not require grad), autograd.grad and create_graph work,
  tensor keyword arguments are inputs, and the region's activations are dropped as the
  forward goes (only the inputs are kept). determinism_check='default' compares the
  recomputed saved tensors' shapes/dtypes/devices with the forward's (torch's check).
"""
import contextlib
import warnings
import weakref

from .. import autograd as _ag
from ..autograd import Function, enable_grad, is_grad_enabled, no_grad
from ..autograd_graph import saved_tensors_hooks
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
class _Holder:
    """What the forward's pack hook returns in place of a saved tensor."""
    __slots__ = ("__weakref__",)


class _Frame:
    """One checkpoint() call: how to run the function again, and what its first run saved
    (a weak holder and the metadata of each tensor, in order)."""

    def __init__(self, recompute, check):
        self.recompute, self.check = recompute, check
        self.holders, self.metas = [], []
        self.recomputed = weakref.WeakKeyDictionary()  # holder -> the recomputed tensor
        self.done = False

    def pack(self, t):
        holder = _Holder()
        self.holders.append(weakref.ref(holder))
        self.metas.append(_meta(t))
        return holder

    def unpack(self, holder):
        if not self.done:  # the first saved tensor backward asks for: the whole region once
            count = [0]

            def store(t):
                i = count[0]
                count[0] += 1
                if i >= len(self.holders):
                    raise CheckpointError("torch.utils.checkpoint: trying to save more tensors during recomputation "
                                          "than during the original forward pass.")
                if self.check and _meta(t) != self.metas[i]:
                    (s0, d0, v0), (s1, d1, v1) = self.metas[i], _meta(t)
                    raise CheckpointError(
                        "torch.utils.checkpoint: Recomputed values for the following tensors have different "
                        f"metadata than during the forward pass.\ntensor at position {i}:\nsaved metadata: "
                        f"{{'shape': {list(s0)}, 'dtype': {d0}, 'device': {v0}}}\nrecomputed metadata: "
                        f"{{'shape': {list(s1)}, 'dtype': {d1}, 'device': {v1}}}\npass determinism_check='none' "
                        "to skip this check")
                h = self.holders[i]()
                if h is not None:  # its node may be gone already (a partial backward)
                    self.recomputed[h] = t.detach() if t.requires_grad else t
                return None

            with saved_tensors_hooks(store, lambda _: None), enable_grad():
                self.recompute()
            if self.check and count[0] != len(self.holders):
                raise CheckpointError(
                    "torch.utils.checkpoint: A different number of tensors was saved during the original forward "
                    f"and recomputation.\nNumber of tensors saved during forward: {len(self.holders)}\nNumber of "
                    f"tensors saved during recomputation: {count[0]}")
            self.done = True
        try:
            return self.recomputed[holder]
        except KeyError:
            raise CheckpointError("torch.utils.checkpoint: a saved tensor was not recomputed (the recomputation "
                                  "saved fewer tensors than the forward)") from None


def _checkpoint_non_reentrant(function, preserve, context_fn, check, args, kwargs):
    """torch's non-reentrant checkpoint: the forward runs (and records its graph) under a
    saved-tensor hook that keeps a holder instead of each tensor the ops save; the first
    unpack in backward reruns the function once (same RNG state, recompute context) under
    a hook that fills the holders. Between forward and backward only the inputs (kept
    for the recomputation) and the graph's nodes stay; the backward is the plain graph's."""
    contexts = context_fn()
    if not (isinstance(contexts, tuple) and len(contexts) == 2):
        raise TypeError("checkpoint: context_fn must return a tuple of two context managers (forward, recompute)")
    forward_ctx, recompute_ctx = contexts
    if not is_grad_enabled():  # nothing to recompute for
        with forward_ctx:
            return function(*args, **kwargs)
    rng = _RngState(preserve)
    keys = list(kwargs)
    values = list(args) + [kwargs[k] for k in keys]
    pos = [i for i, v in enumerate(values) if isinstance(v, Tensor)]
    # the inputs are saved for backward by a node of their own (torch's _NoopSaveInputs),
    # so that saved-tensor hooks around the checkpoint (save_on_cpu, ...) see them too
    saver = _SaveInputs.apply(_dummy(), *[values[i] for i in pos])

    def recompute():
        vals = list(values)
        for i, t in zip(pos, saver.grad_fn.ctx.saved_tensors):
            vals[i] = t
        with rng.replay(), recompute_ctx:
            function(*vals[:len(args)], **dict(zip(keys, vals[len(args):])))

    frame = _Frame(recompute, check)
    with saved_tensors_hooks(frame.pack, frame.unpack), forward_ctx:
        return function(*args, **kwargs)


_DUMMY = []


def _dummy():
    """One empty leaf that requires grad, shared by every checkpoint call: _SaveInputs
    records a node because of it, and its output (a detached alias) allocates nothing."""
    if not _DUMMY:
        from ..tensor import empty
        _DUMMY.append(empty((0,), requires_grad=True))
    return _DUMMY[0]


class _SaveInputs(Function):
    """forward(dummy, *inputs): saves the inputs; its empty output keeps the node alive."""

    @staticmethod
    def forward(ctx, dummy, *inputs):
        ctx.save_for_backward(*inputs)
        return dummy.detach()

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("checkpoint: the inputs' saving node is never differentiated")


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
