"""Testing helpers: gradcheck by central finite differences, assert_close."""
import numpy as np

from . import dtypes as _dt
from .autograd import enable_grad, grad as _grad, no_grad
from .tensor import Tensor


def _to_np(x):
    return x._host_values() if isinstance(x, Tensor) else np.asarray(x)  # bfloat16 as float32


def assert_close(actual, expected, rtol=None, atol=None, msg=""):
    a, e = _to_np(actual), _to_np(expected)
    if rtol is None or atol is None:
        loose = (a.dtype == np.float32) or (e.dtype == np.float32)
        rtol = (1.3e-6 if loose else 1e-7) if rtol is None else rtol
        atol = (1e-5 if loose else 1e-7) if atol is None else atol
    if a.shape != e.shape:
        raise AssertionError(f"shape mismatch: {a.shape} vs {e.shape} {msg}")
    np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=msg, equal_nan=True)


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, n_directions=3, seed=0, raise_exception=True):
    """Checks autograd's gradients of fn at inputs against float64 central differences.

    For each of a few random directions v and a random output weighting w it compares
    d/dt <w, fn(x + t v)> at t=0 with <grad, v> from autograd (the directional form
    keeps the cost at two evaluations per direction, whatever the input size). Inputs
    that require grad must be float64. Returns True or raises AssertionError.
    """
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradcheck: no input requires grad")
    for i in diff:
        if inputs[i].dtype is not _dt.float64:
            raise TypeError(f"gradcheck: input {i} is {inputs[i].dtype}; use float64 for finite differences")
    rng = np.random.default_rng(seed)
    out = fn(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    outs = [o for o in outs if isinstance(o, Tensor) and o.dtype.is_floating_point]
    weights = [Tensor_from(rng.standard_normal(o.shape)) for o in outs]
    total = None
    for o, w in zip(outs, weights):
        term = (o * w.to(o.dtype)).sum()
        total = term if total is None else total + term
    # an output that does not depend on the inputs through the graph (a gradient of a
    # linear function, under gradgradcheck) has zero derivative
    grads = (_grad(total, [inputs[i] for i in diff], allow_unused=True) if total is not None and total.requires_grad
             else [None] * len(diff))
    for _ in range(n_directions):
        dirs = {i: rng.standard_normal(inputs[i].shape) for i in diff}
        analytic = sum(float((_to_np(g) * dirs[i]).sum()) if g is not None else 0.0 for i, g in zip(diff, grads))
        numeric = (_weighted(fn, inputs, dirs, eps, weights) - _weighted(fn, inputs, dirs, -eps, weights)) / (2 * eps)
        if not abs(analytic - numeric) <= atol + rtol * abs(numeric):
            if raise_exception:
                raise AssertionError(f"gradcheck failed: directional derivative from autograd {analytic!r} vs "
                                     f"finite differences {numeric!r}")
            return False
    return True


def Tensor_from(arr):
    from .tensor import tensor
    return tensor(arr, dtype=_dt.float64)


def _weighted(fn, inputs, dirs, t, weights):
    with no_grad():
        shifted = list(inputs)
        for i, d in dirs.items():
            shifted[i] = Tensor_from(_to_np(inputs[i]) + t * d)
        out = fn(*shifted)
        outs = out if isinstance(out, (tuple, list)) else (out,)
        outs = [o for o in outs if isinstance(o, Tensor) and o.dtype.is_floating_point]
        return sum(float((_to_np(o).astype(np.float64) * _to_np(w)).sum()) for o, w in zip(outs, weights))


def gradgradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, n_directions=3, seed=0, raise_exception=True):
    """Checks second derivatives: the gradient of <w, fn(x)> computed with create_graph
    (a function of the inputs) is itself checked by gradcheck against central differences.
    Inputs that require grad must be float64."""
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradgradcheck: no input requires grad")
    rng = np.random.default_rng(seed + 1)
    with no_grad():
        out = fn(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    weights = [Tensor_from(rng.standard_normal(o.shape)) if isinstance(o, Tensor) and o.dtype.is_floating_point
               else None for o in outs]

    def first_order(*xs):
        # also called under no_grad with plain shifted inputs by the finite differences
        with enable_grad():
            xs = [x.detach().requires_grad_(True) if i in diff and not x.requires_grad else x for i, x in enumerate(xs)]
            return _first_order(xs)

    def _first_order(xs):
        o = fn(*xs)
        os_ = o if isinstance(o, (tuple, list)) else (o,)
        total = None
        for t, w in zip(os_, weights):
            if w is None or not t.requires_grad:
                continue
            term = (t * w.to(t.dtype)).sum()
            total = term if total is None else total + term
        wrt = [xs[i] for i in diff]
        if total is None:
            return tuple(x * 0.0 for x in wrt)
        grads = _grad(total, wrt, create_graph=True, allow_unused=True, materialize_grads=True)
        return tuple(grads)

    return gradcheck(first_order, inputs, eps=eps, atol=atol, rtol=rtol, n_directions=n_directions, seed=seed,
                     raise_exception=raise_exception)


# ---- misc branch: torch.testing.make_tensor and the deprecated assert_allclose ----
from .testing_make import make_tensor, assert_allclose  # noqa: E402,F401
