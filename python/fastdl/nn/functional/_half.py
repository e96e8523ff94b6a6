"""float16 / bfloat16 inputs for the layers whose kernels take float32 / float64 only
(convolution, pooling, normalisation): computed in float32 and rounded once to the
input's dtype, as torch's CPU kernels do (they compute half types in float). The casts
are ordinary differentiable ops, so gradients flow back in the half dtype."""
import functools
import inspect

from ... import dtypes as _dt
from ...autograd import no_grad
from ...ops._util import desc
from ...tensor import Tensor


def _widen(a):
    return a.float() if isinstance(a, Tensor) and a.dtype in _dt.HALF else a


def _narrow(r, dtype):
    if isinstance(r, Tensor):
        return r.to(dtype) if r.dtype is _dt.float32 else r
    if isinstance(r, tuple):
        return type(r)(*(_narrow(x, dtype) for x in r)) if hasattr(r, "_fields") else tuple(
            _narrow(x, dtype) for x in r)
    return r


def half_in_float32(fn=None, *, updated=(), same_dtype=()):
    """Decorates a functional whose first argument is the input. `updated` names
    arguments the op writes in place (batch norm's running statistics): a half one is
    passed as a float32 copy and the result copied back. `same_dtype` names arguments
    that must have the input's dtype (a convolution's weight and bias, as torch insists;
    its norms accept float32 parameters with a half input)."""
    if fn is None:
        return functools.partial(half_in_float32, updated=updated, same_dtype=same_dtype)
    sig = inspect.signature(fn) if updated or same_dtype else None

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        x = args[0] if args else kwargs.get("input")
        if not (isinstance(x, Tensor) and x.dtype in _dt.HALF):
            return fn(*args, **kwargs)
        if same_dtype:
            bound = sig.bind_partial(*args, **kwargs).arguments
            for name in same_dtype:
                t = bound.get(name)
                if isinstance(t, Tensor) and t.dtype is not x.dtype:
                    raise TypeError(f"{fn.__name__}: input {desc(x)} and {name} {desc(t)} must have the same dtype")
        wide_args = [_widen(a) for a in args]
        wide_kwargs = {k: _widen(v) for k, v in kwargs.items()}
        written = []
        if sig is not None:
            bound = sig.bind_partial(*args, **kwargs).arguments
            for name in updated:
                orig = bound.get(name)
                if isinstance(orig, Tensor) and orig.dtype in _dt.HALF:
                    pos = list(sig.parameters).index(name)
                    wide = wide_args[pos] if pos < len(args) else wide_kwargs[name]
                    written.append((orig, wide))
        out = fn(*wide_args, **wide_kwargs)
        with no_grad():
            for orig, wide in written:
                orig.copy_(wide)
        return _narrow(out, x.dtype)
    return wrapper
