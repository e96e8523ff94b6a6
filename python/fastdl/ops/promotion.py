"""torch.result_type / promote_types / can_cast (from fastdl.dtypes' promotion rules), the
deprecated torch.range (inclusive end) and torch.empty_strided. Tail branch."""
import math
import numbers
import warnings

from .. import dtypes as _dt
from ..tensor import Tensor, _alloc, arange, empty
from .shape_more import as_strided


def _dtype_arg(op, d, name):
    if not isinstance(d, _dt.DType):
        raise TypeError(f"{op}: {name} must be a fastdl dtype, got {type(d).__name__}")
    return d


def result_type(tensor1, tensor2):
    """The dtype an arithmetic op on tensor1 and tensor2 (Tensors or numbers) would return."""
    for name, v in (("tensor1", tensor1), ("tensor2", tensor2)):
        if not isinstance(v, Tensor) and not isinstance(v, numbers.Number):
            raise TypeError(f"result_type: {name} must be a Tensor or a number, got {type(v).__name__}")
    return _dt.result_type(tensor1, tensor2)


def promote_types(type1, type2):
    """The smallest dtype that holds both (float16 with bfloat16 gives float32)."""
    type1, type2 = _dtype_arg("promote_types", type1, "type1"), _dtype_arg("promote_types", type2, "type2")
    return _dt.result_type(_alloc((1,), type1, None), _alloc((1,), type2, None))


def can_cast(from_, to):
    """True where torch's casting rule allows it: never to a lower category (float -> int, int -> bool)."""
    from_, to = _dtype_arg("can_cast", from_, "from_"), _dtype_arg("can_cast", to, "to")
    return from_.category <= to.category


def range(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False, out=None):  # noqa: A001
    """Deprecated torch.range: start, start + step, ... up to and including end; the default
    dtype is the default float type whatever the arguments."""
    warnings.warn("torch.range is deprecated and will be removed in a future release because its behavior is "
                  "inconsistent with Python's range builtin. Instead, use torch.arange, which produces values in "
                  "[start, end).", UserWarning, stacklevel=2)
    if end is None:
        raise TypeError("range: expected start and end (range(start, end, step))")
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    for v in vals:
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
            raise ValueError(f"range: start, end and step must be finite real numbers, got {vals}")
    start, end, step = vals
    if step == 0:
        raise RuntimeError("range: step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(f"range: upper bound and larger bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    n = int(math.floor((end - start) / step)) + 1
    dtype = dtype or _dt.get_default_dtype()
    t = (arange(n, dtype=_dt.float64, device=device) * step + start).to(dtype)
    if out is not None:
        if not isinstance(out, Tensor) or tuple(out.shape) != tuple(t.shape):  # copy_ would broadcast
            raise RuntimeError(f"range: out must be a Tensor of shape {list(t.shape)}, got {out!r}"[:200])
        out.copy_(t)
        return out
    return t.requires_grad_(requires_grad) if requires_grad else t


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """An uninitialised tensor with the given size and stride (a buffer just large enough)."""
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError(f"empty_strided: mismatch in length of strides and shape ({len(size)} sizes, "
                           f"{len(stride)} strides)")
    if any(isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 0 for v in size + stride):
        raise RuntimeError(f"empty_strided: sizes and strides must be non-negative ints, got {size}, {stride}")
    n = 0 if 0 in size else 1 + sum((s - 1) * st for s, st in zip(size, stride))
    base = empty(n, dtype=dtype, device=device)
    t = as_strided(base, size, stride) if size else as_strided(base, (), ())
    return t.requires_grad_(requires_grad) if requires_grad else t


__all__ = ["result_type", "promote_types", "can_cast", "empty_strided"]
