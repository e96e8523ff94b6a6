"""Max pooling of integer tensors (torch's max_pool2d / max_pool3d take every integer dtype,
uint8 images above all; max_pool1d only with return_indices). A max picks an element, so
pooling a float64 copy and casting back is exact for every value float64 holds: all of
the narrow integers, and int64 within +-2**53 (checked)."""
import functools

from ... import dtypes as _dt
from ...ops._util import desc
from ...tensor import Tensor


def ints_via_float64(fn=None, *, only_with_indices=False):
    if fn is None:
        return functools.partial(ints_via_float64, only_with_indices=only_with_indices)
    op = fn.__name__

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        x = args[0] if args else kwargs.get("input")
        if not (isinstance(x, Tensor) and x.dtype.category == 1):
            return fn(*args, **kwargs)
        if only_with_indices and not kwargs.get("return_indices", args[6] if len(args) > 6 else False):
            raise NotImplementedError(f"{op}: not implemented for {x.dtype.name} input {desc(x)} (torch pools "
                                      f"integers in 1-D only with return_indices=True); convert with .float()")
        if x.dtype is _dt.int64 and x.numel() and int(x.abs().max()) > 2 ** 53:
            raise NotImplementedError(f"{op}: int64 input {desc(x)} with values beyond 2**53 is not supported")
        wide = x.to(_dt.float64)
        res = fn(wide, *args[1:], **kwargs) if args else fn(**{**kwargs, "input": wide})
        return (res[0].to(x.dtype),) + tuple(res[1:]) if isinstance(res, tuple) else res.to(x.dtype)
    return wrapper
