"""torch.func for fastdl: vmap, grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian,
functional_call.

fastdl has no batching rules and no forward mode: vmap runs func once per index of the
mapped dimension and stacks the results (the values, shapes, nesting and autograd are
torch's; the speed is a Python loop's), and every derivative transform is reverse mode on
fastdl.autograd (jvp by the double-vjp trick, jacfwd by rows of vjps).

Transforms compose (grad(grad(f)), jacrev(jacrev(f)), vmap(grad(f))): a transform
differentiates with create_graph=True whenever its input already requires grad (an outer
transform or the user asked for it), so its result stays differentiable; otherwise it
works on a detached copy and returns detached results.
"""
import numbers

import numpy as np

from . import autograd as _ag
from .tensor import Tensor, zeros, zeros_like
# torch.func.functional_call (training-utilities area: nn/utils/stateless.py)
from .nn.utils.stateless import functional_call_dicts as functional_call  # noqa: E402,F401
from .func_ensemble import stack_module_state  # noqa: E402,F401

__all__ = ["vmap", "grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "functional_call",
           "stack_module_state"]


from ._pytree import _flatten, _unflatten  # noqa: E402


def _broadcast_dims(op, dims, tree, what):
    """One int-or-None per leaf of tree: dims is an int / None for all of them or a
    structure matching tree's prefix."""
    if dims is None or (isinstance(dims, numbers.Integral) and not isinstance(dims, bool)):
        return [dims] * len(_flatten(tree)[0])
    if isinstance(dims, (tuple, list)) and isinstance(tree, (tuple, list)):
        if len(dims) != len(tree):
            raise ValueError(f"{op}: {what}={dims!r} has {len(dims)} entries for {len(tree)} arguments")
        return [d for sub, t in zip(dims, tree) for d in _broadcast_dims(op, sub, t, what)]
    if isinstance(dims, dict) and isinstance(tree, dict):
        if set(dims) != set(tree):
            raise ValueError(f"{op}: {what} keys {sorted(dims)} do not match the argument's keys {sorted(tree)}")
        return [d for k in tree for d in _broadcast_dims(op, dims[k], tree[k], what)]
    raise ValueError(f"{op}: {what} must be an int, None, or a (nested) tuple/list/dict matching the arguments; "
                     f"got {dims!r}")


# ---- vmap ----
def _rng_state():
    from .ops.random import get_rng_state
    s = get_rng_state()
    return s, np.asarray(s.numpy() if isinstance(s, Tensor) else s).copy()


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """torch.vmap: func mapped over a dimension of its inputs.

    Implemented as a loop: func runs once per index of the mapped dimension on the
    inputs' slices (in_dims: an int or None per argument, or one for all; None leaves an
    argument unmapped), and each output's results are stacked at out_dims. Gradients flow
    through the slices and the stack; vmaps nest. randomness: 'error' raises if func draws
    from the default generator, 'different' lets every slice draw its own numbers, 'same'
    restarts the generator from one state for every slice. chunk_size is accepted (and
    checked) for torch's signature; the loop runs one slice at a time regardless."""
    if not callable(func):
        raise TypeError(f"vmap: func must be callable, got {type(func).__name__}")
    if randomness not in ("error", "different", "same"):
        raise ValueError(f"vmap: randomness must be 'error', 'different' or 'same', got {randomness!r}")
    if chunk_size is not None and (isinstance(chunk_size, bool) or not isinstance(chunk_size, numbers.Integral)
                                   or chunk_size < 1):
        raise ValueError(f"vmap: chunk_size must be None or a positive int, got {chunk_size!r}")

    def wrapped(*args, **kwargs):
        from .ops import stack
        if isinstance(in_dims, (tuple, list)) and len(in_dims) != len(args):
            raise ValueError(f"vmap: in_dims={tuple(in_dims)!r} has {len(in_dims)} entries but func got "
                             f"{len(args)} positional arguments")
        leaves, spec = _flatten(list(args))
        dims = _broadcast_dims("vmap", list(in_dims) if isinstance(in_dims, tuple) else in_dims, list(args),
                               "in_dims")
        size, norm = None, []
        for x, d in zip(leaves, dims):
            if d is None:
                norm.append(None)
                continue
            if not isinstance(x, Tensor):
                raise ValueError(f"vmap: in_dim={d} given for an argument of type {type(x).__name__}; "
                                 f"only Tensors can be mapped (use None)")
            if not -x.ndim <= d < max(x.ndim, 1) or x.ndim == 0:
                raise ValueError(f"vmap: in_dim={d} is out of range for a Tensor of shape {list(x.shape)}")
            d = d % x.ndim
            if size is not None and x.shape[d] != size:
                raise ValueError(f"vmap: the mapped dimensions have different sizes: {size} and {x.shape[d]} "
                                 f"(in_dims={in_dims!r})")
            size = x.shape[d]
            norm.append(d)
        if size is None:
            raise ValueError("vmap: at least one argument must be a Tensor mapped over a dimension "
                             f"(in_dims={in_dims!r} maps none)")
        results, out_spec = [], None
        state, state_np = _rng_state() if randomness != "different" else (None, None)
        for i in range(size):
            if randomness == "same":
                from .ops.random import set_rng_state
                set_rng_state(state)
            sliced = [x if d is None else x.select(d, i) for x, d in zip(leaves, norm)]
            out = func(*_unflatten(sliced, spec), **kwargs)
            if randomness == "error" and i == 0 and not np.array_equal(_rng_state()[1], state_np):
                raise RuntimeError("vmap: called random operations while being vmapped; pass randomness="
                                   "'different' or 'same' to allow them")
            flat, out_spec = _flatten(out)
            for o in flat:
                if not isinstance(o, Tensor):
                    raise ValueError(f"vmap: func must return Tensors (or tuples/lists/dicts of them), got "
                                     f"{type(o).__name__}")
            results.append(flat)
        odims = _broadcast_dims("vmap", out_dims, _unflatten(results[0], out_spec), "out_dims")
        stacked = []
        for k, od in enumerate(odims):
            if od is None:
                raise ValueError("vmap: out_dims=None is only allowed for outputs that are not mapped; fastdl's "
                                 "loop cannot tell, so every output needs an int out_dim")
            col = [r[k] for r in results]
            nd = col[0].ndim + 1
            if not -nd <= od < nd:
                raise ValueError(f"vmap: out_dim={od} is out of range for an output of {nd - 1} dims")
            stacked.append(stack(col, od % nd))
        return _unflatten(stacked, out_spec)

    wrapped.__name__ = getattr(func, "__name__", "vmapped")
    wrapped.__doc__ = func.__doc__
    return wrapped


# ---- reverse-mode transforms ----
def _argnums(op, argnums, n):
    single = isinstance(argnums, numbers.Integral) and not isinstance(argnums, bool)
    nums = (argnums,) if single else tuple(argnums) if isinstance(argnums, (tuple, list)) else None
    if not nums or any(isinstance(a, bool) or not isinstance(a, numbers.Integral) for a in nums):
        raise TypeError(f"{op}: argnums must be an int or a non-empty tuple of ints, got {argnums!r}")
    out = []
    for a in nums:
        if not -n <= a < n:
            raise RuntimeError(f"{op}: got argnums={argnums!r} but func was called with only {n} positional "
                               f"arguments")
        out.append(a % n)
    if len(set(out)) != len(out):
        raise RuntimeError(f"{op}: argnums {argnums!r} has duplicates")
    return out, single


def _lift(op, args, nums):
    """(args with the differentiated ones prepared, their flat leaves, create_graph)."""
    args = list(args)
    flat_all, create = [], False
    for a in nums:
        leaves, spec = _flatten(args[a])
        new = []
        for x in leaves:
            if not isinstance(x, Tensor):
                raise TypeError(f"{op}: the differentiated argument {a} must be a Tensor (or a tuple of them), "
                                f"got {type(x).__name__}")
            if not x.dtype.is_floating_point:
                raise TypeError(f"{op}: can only differentiate floating-point Tensors, got {x.dtype!r} "
                                f"(argument {a})")
            if x.requires_grad and _ag.is_grad_enabled():
                create = True  # an outer transform (or the user) differentiates through this one
                new.append(x.view_as(x))
            else:
                new.append(x.detach().requires_grad_(True))
        flat_all.append((new, spec))
        args[a] = _unflatten(new, spec)
    return args, flat_all, create


def _grads_of(outputs, inputs, grad_outputs, create):
    gs = _ag.grad(outputs, inputs, grad_outputs, retain_graph=True, create_graph=create, allow_unused=True)
    return [zeros_like(x) if g is None else (g if create else g.detach()) for g, x in zip(gs, inputs)]


def _split_aux(op, out, has_aux):
    if not has_aux:
        return out, None
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise RuntimeError(f"{op}(f, has_aux=True): f must return a (output, aux) pair, got {type(out).__name__}")
    return out[0], out[1]


def _detach_tree(tree, create):
    leaves, spec = _flatten(tree)
    return _unflatten([x.detach() if isinstance(x, Tensor) and not create else x for x in leaves], spec)


def grad_and_value(func, argnums=0, has_aux=False):
    """torch.func.grad_and_value: a function returning (gradient, value) ((gradient, (value, aux))
    with has_aux) of func, which must return a single-element Tensor."""
    def wrapped(*args, **kwargs):
        nums, single = _argnums("grad", argnums, len(args))
        with _ag.enable_grad():
            args2, flat, create = _lift("grad", args, nums)
            out, aux = _split_aux("grad", func(*args2, **kwargs), has_aux)
            if not isinstance(out, Tensor) or out.numel() != 1:
                raise RuntimeError("grad: func must return a single-element Tensor, got "
                                   + (f"shape {list(out.shape)}" if isinstance(out, Tensor) else type(out).__name__))
            inputs = [x for leaves, _ in flat for x in leaves]
            gs = _grads_of(out, inputs, None, create) if out.requires_grad else [zeros_like(x) for x in inputs]
        it = iter(gs)
        per_arg = [_unflatten([next(it) for _ in leaves], spec) for leaves, spec in flat]
        g = per_arg[0] if single else tuple(per_arg)
        value = out if create else out.detach()
        return (g, (value, _detach_tree(aux, create))) if has_aux else (g, value)
    return wrapped


def grad(func, argnums=0, has_aux=False):
    """torch.func.grad: a function returning the gradient of func (a single-element Tensor)
    w.r.t. the argnums arguments (a tuple of gradients for a tuple of argnums); with has_aux,
    func returns (output, aux) and the function returns (gradient, aux)."""
    gv = grad_and_value(func, argnums, has_aux)

    def wrapped(*args, **kwargs):
        g, v = gv(*args, **kwargs)
        return (g, v[1]) if has_aux else g
    return wrapped


def vjp(func, *primals, has_aux=False):
    """torch.func.vjp: (func(*primals), vjp_fn[, aux]); vjp_fn(cotangents) returns a tuple
    with one vector-Jacobian product per primal."""
    if not primals:
        raise RuntimeError("vjp: expected at least one primal")
    with _ag.enable_grad():
        args2, flat, create = _lift("vjp", primals, list(range(len(primals))))
        out, aux = _split_aux("vjp", func(*args2), has_aux)
    outs, out_spec = _flatten(out)
    for o in outs:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"vjp: func must return Tensors, got {type(o).__name__}")
    inputs = [x for leaves, _ in flat for x in leaves]

    def vjp_fn(cotangents):
        cts, spec = _flatten(cotangents)
        if len(cts) != len(outs) or any(not isinstance(c, Tensor) or tuple(c.shape) != tuple(o.shape)
                                        for c, o in zip(cts, outs)):
            raise RuntimeError(f"vjp: expected cotangents of shapes {[list(o.shape) for o in outs]}, got "
                               f"{[list(c.shape) if isinstance(c, Tensor) else type(c).__name__ for c in cts]}")
        pairs = [(o, c) for o, c in zip(outs, cts) if o.requires_grad]
        with _ag.enable_grad():
            if pairs:
                gs = _grads_of([p[0] for p in pairs], inputs, [p[1] for p in pairs], create or _needs_graph(cts))
            else:
                gs = [zeros_like(x) for x in inputs]
        it = iter(gs)
        return tuple(_unflatten([next(it) for _ in leaves], sp) for leaves, sp in flat)

    res = (_detach_tree(out, create), vjp_fn)
    return res + (_detach_tree(aux, create),) if has_aux else res


def _needs_graph(ts):
    return _ag.is_grad_enabled() and any(isinstance(t, Tensor) and t.requires_grad for t in ts)


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """torch.func.jvp: (func(*primals), J tangents), by the double-vjp trick in reverse mode."""
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise RuntimeError("jvp: expected primals and tangents to be tuples")
    if strict:
        raise RuntimeError("jvp: strict=True is not supported (as in torch.func)")
    p_leaves, _ = _flatten(list(primals))
    t_leaves, _ = _flatten(list(tangents))
    if len(p_leaves) != len(t_leaves) or any(not isinstance(t, Tensor) or tuple(t.shape) != tuple(p.shape)
                                             for p, t in zip(p_leaves, t_leaves)):
        raise RuntimeError("jvp: expected tangents with the primals' structure and shapes, got "
                           f"{[list(t.shape) if isinstance(t, Tensor) else type(t).__name__ for t in t_leaves]} "
                           f"for {[list(p.shape) if isinstance(p, Tensor) else type(p).__name__ for p in p_leaves]}")
    with _ag.enable_grad():
        args2, flat, create = _lift("jvp", primals, list(range(len(primals))))
        out, aux = _split_aux("jvp", func(*args2), has_aux)
        outs, out_spec = _flatten(out)
        inputs = [x for leaves, _ in flat for x in leaves]
        us = [zeros_like(o).requires_grad_(True) for o in outs]
        live = [(o, u) for o, u in zip(outs, us) if o.requires_grad]
        if live:
            g = _ag.grad([o for o, _ in live], inputs, [u for _, u in live], retain_graph=True, create_graph=True,
                         allow_unused=True)
            pairs = [(gi, ti) for gi, ti in zip(g, t_leaves) if gi is not None and gi.requires_grad]
        else:
            pairs = []
        if pairs:
            res = _grads_of([p[0] for p in pairs], us, [p[1] for p in pairs], create or _needs_graph(t_leaves))
        else:
            res = [zeros_like(o) for o in outs]
    out_d = _detach_tree(out, create)
    res = _unflatten(res, out_spec)
    return (out_d, res, _detach_tree(aux, create)) if has_aux else (out_d, res)


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _fwd=False):
    """torch.func.jacrev: a function returning the Jacobian of func w.r.t. the argnums
    arguments, shape output.shape + input.shape (tuples for tuple outputs / argnums), one
    vjp per output element. chunk_size is accepted for torch's signature."""
    op = "jacfwd" if _fwd else "jacrev"
    if chunk_size is not None and (isinstance(chunk_size, bool) or not isinstance(chunk_size, numbers.Integral)
                                   or chunk_size < 1):
        raise ValueError(f"{op}: chunk_size must be None or a positive int, got {chunk_size!r}")

    def wrapped(*args, **kwargs):
        from .ops import stack
        nums, single = _argnums(op, argnums, len(args))
        with _ag.enable_grad():
            args2, flat, create = _lift(op, args, nums)
            out, aux = _split_aux(op, func(*args2, **kwargs), has_aux)
            outs, out_spec = _flatten(out)
            inputs = [x for leaves, _ in flat for x in leaves]
            per_out = []
            for o in outs:
                if not isinstance(o, Tensor):
                    raise RuntimeError(f"{op}: func must return Tensors, got {type(o).__name__}")
                flat_o = o.reshape(-1)
                rows = [[] for _ in inputs]
                for k in range(flat_o.numel()):
                    gs = (_grads_of(flat_o[k], inputs, None, create) if o.requires_grad
                          else [zeros_like(x) for x in inputs])
                    for i, g in enumerate(gs):
                        rows[i].append(g)
                jac = []
                for i, x in enumerate(inputs):
                    shape = tuple(o.shape) + tuple(x.shape)
                    jac.append(stack(rows[i]).reshape(shape) if rows[i] else
                               zeros(shape, dtype=x.dtype, device=x.device))
                it = iter(jac)
                per_arg = [_unflatten([next(it) for _ in leaves], spec) for leaves, spec in flat]
                per_out.append(per_arg[0] if single else tuple(per_arg))
        j = _unflatten(per_out, out_spec)
        return (j, _detach_tree(aux, create)) if has_aux else j
    return wrapped


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """torch.func.jacfwd: the same Jacobian as jacrev (fastdl has no forward mode; it is
    computed in reverse mode)."""
    if randomness not in ("error", "different", "same"):
        raise ValueError(f"jacfwd: randomness must be 'error', 'different' or 'same', got {randomness!r}")
    return jacrev(func, argnums, has_aux=has_aux, _fwd=True)


def hessian(func, argnums=0):
    """torch.func.hessian: the Jacobian of the Jacobian (jacrev of jacrev)."""
    return jacrev(jacrev(func, argnums), argnums)
