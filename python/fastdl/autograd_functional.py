"""torch.autograd.functional: vjp, jvp, jacobian, hessian, hvp, vhp on top of
autograd.grad (jvp and the Hessian products use create_graph: a gradient differentiated
again). Reverse mode throughout; jacobian takes one backward pass per output element.
Reached as fastdl.autograd.functional."""
from . import autograd as _ag
from .tensor import Tensor, zeros_like

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def _as_tuple(op, x, what):
    single = isinstance(x, Tensor)
    xs = (x,) if single else tuple(x)
    for t in xs:
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: the {what} must be a Tensor or a tuple of Tensors, got {type(t).__name__}")
    return xs, single


def _prepare(op, inputs, create_graph):
    """Leaves to differentiate with respect to: the inputs themselves when they are leaves
    that require grad and the result must stay differentiable (create_graph), else
    detached copies that require grad."""
    xs, single = _as_tuple(op, inputs, "inputs")
    out = []
    for x in xs:
        if create_graph and x.requires_grad:
            if x.grad_fn is not None:
                raise NotImplementedError(f"{op}: create_graph=True with a non-leaf input is not supported in fastdl "
                                          f"(autograd.grad takes leaf inputs); pass a leaf")
            out.append(x)
        else:
            out.append(x.detach().requires_grad_(True))
    return tuple(out), single


def _grads(op, outputs, inputs, grad_outputs, create_graph, strict):
    gs = _ag.grad(outputs, inputs, grad_outputs, retain_graph=True, create_graph=create_graph, allow_unused=True)
    res = []
    for i, (g, x) in enumerate(zip(gs, inputs)):
        if g is None:
            if strict:
                raise RuntimeError(f"{op}: the output does not depend on input {i} (strict=True)")
            g = zeros_like(x)
        res.append(g if create_graph else g.detach())
    return tuple(res)


def _check_v(op, v, like, what):
    vs, _ = _as_tuple(op, v, what)
    if len(vs) != len(like) or any(tuple(a.shape) != tuple(b.shape) for a, b in zip(vs, like)):
        raise RuntimeError(f"{op}: {what} shapes {[list(a.shape) for a in vs]} do not match "
                           f"{[list(b.shape) for b in like]}")
    return vs


def _out(op, func, xs):
    with _ag.enable_grad():
        outs = func(*xs)
    return _as_tuple(op, outs, "outputs of func")


def _ret(xs, single):
    return xs[0] if single else xs


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J): the vector-Jacobian product."""
    xs, single_in = _prepare("vjp", inputs, create_graph)
    outs, single_out = _out("vjp", func, xs)
    if v is None:
        if len(outs) != 1 or outs[0].numel() != 1:
            raise RuntimeError("vjp: v can only be None when func returns a single-element Tensor")
        vs = None
    else:
        vs = _check_v("vjp", v, outs, "v")
    res = _grads("vjp", outs, xs, vs, create_graph, strict)
    outs = tuple(o if create_graph else o.detach() for o in outs)
    return _ret(outs, single_out), _ret(res, single_in)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v): the Jacobian-vector product, by the double-vjp trick (the vjp
    with a dummy cotangent u is linear in u; its vjp with v is J v)."""
    xs, single_in = _prepare("jvp", inputs, True)
    if v is None:
        if len(xs) != 1 or xs[0].numel() != 1:
            raise RuntimeError("jvp: v can only be None when the input is a single-element Tensor")
        vs = (zeros_like(xs[0]) + 1,)
    else:
        vs = _check_v("jvp", v, xs, "v")
    outs, single_out = _out("jvp", func, xs)
    us = tuple(zeros_like(o).requires_grad_(True) for o in outs)
    g = _ag.grad(outs, xs, us, retain_graph=True, create_graph=True, allow_unused=True)
    pairs = [(gi, vi) for gi, vi in zip(g, vs) if gi is not None]
    if not pairs:
        if strict:
            raise RuntimeError("jvp: the outputs do not depend on the inputs (strict=True)")
        res = tuple(zeros_like(o) for o in outs)
    else:
        res = _grads("jvp", [p[0] for p in pairs], us, [p[1] for p in pairs], create_graph, strict)
    outs = tuple(o if create_graph else o.detach() for o in outs)
    return _ret(outs, single_out), _ret(res, single_out)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """d func(inputs) / d inputs: for one input and one output a Tensor of shape
    out.shape + in.shape; tuples of them (outputs outer, inputs inner) otherwise."""
    if strategy != "reverse-mode":
        raise NotImplementedError(f"jacobian: strategy={strategy!r} is not supported; fastdl has reverse mode only")
    from .ops import stack
    xs, single_in = _prepare("jacobian", inputs, create_graph)
    outs, single_out = _out("jacobian", func, xs)
    rows = []
    for o in outs:
        flat = o.reshape(-1)
        per_input = [[] for _ in xs]
        for k in range(flat.numel()):
            gs = _grads("jacobian", flat[k], xs, None, create_graph, strict)
            for i, g in enumerate(gs):
                per_input[i].append(g)
        blocks = []
        for i, x in enumerate(xs):
            if per_input[i]:
                j = stack(per_input[i]).reshape(tuple(o.shape) + tuple(x.shape))
            else:  # an empty output
                from .tensor import zeros
                j = zeros(tuple(o.shape) + tuple(x.shape), dtype=x.dtype, device=x.device)
            blocks.append(j)
        rows.append(_ret(tuple(blocks), single_in))
    return _ret(tuple(rows), single_out)


def _scalar_func(op, func):
    def f(*xs):
        out = func(*xs)
        if not isinstance(out, Tensor) or out.numel() != 1:
            raise RuntimeError(f"{op}: func must return a single-element Tensor")
        return out.reshape(())
    return f


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar func: shape in.shape + in.shape (tuple of tuples for several inputs)."""
    xs, single_in = _prepare("hessian", inputs, True)
    f = _scalar_func("hessian", func)

    def grad_fn(*ys):
        return _ret(_grads("hessian", f(*ys), ys, None, True, strict), single_in)

    return jacobian(grad_fn, _ret(xs, single_in), create_graph=create_graph, strict=strict,
                    strategy=outer_jacobian_strategy)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H) for a scalar func."""
    xs, single_in = _prepare("vhp", inputs, True)
    f = _scalar_func("vhp", func)
    with _ag.enable_grad():
        out = f(*xs)
    vs = _check_v("vhp", v, xs, "v") if v is not None else None
    if vs is None:
        if len(xs) != 1 or xs[0].numel() != 1:
            raise RuntimeError("vhp: v can only be None when the input is a single-element Tensor")
        vs = (zeros_like(xs[0]) + 1,)
    g = _grads("vhp", out, xs, None, True, strict)
    res = _grads("vhp", list(g), xs, list(vs), create_graph, strict)
    return (out if create_graph else out.detach()), _ret(res, single_in)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v) for a scalar func; H is symmetric, so this is vhp."""
    return vhp(func, inputs, v, create_graph, strict)
