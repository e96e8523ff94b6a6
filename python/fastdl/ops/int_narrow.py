"""Helpers for the narrow integer dtypes int32 / int16 / int8 / uint8.

They are storage dtypes, like float16 / bfloat16: copy, fill, where and DLPack take them
in C++, and every computing kernel runs on int64 copies whose result is cast back (the
conversion keeps the low bits, so arithmetic wraps around as in torch). These helpers
are the parts that are not a kernel call: index tensors (torch takes int32 ones where
it takes int64) and Python values written into a narrow tensor. (torch's legacy type
names, t.type(), are legacy_types.py's.)
"""
import numpy as np

from .. import dtypes as _dt

__all__ = []


class IntDtypeError(TypeError, RuntimeError):
    """An index, target or input dtype an op refuses where torch raises a RuntimeError (an
    index that must be int64, a mean of integers): a TypeError like fastdl's other dtype
    errors, and the RuntimeError that torch code catches."""

def _limits(d):
    bits = d.itemsize * 8
    return (0, 2 ** bits - 1) if d is _dt.uint8 else (-2 ** (bits - 1), 2 ** (bits - 1) - 1)


def wrap_int(v, d):
    """The Python int v as narrow dtype d holds it (the low bits, two's complement)."""
    bits = d.itemsize * 8
    v = int(v) & ((1 << bits) - 1)
    return v - (1 << bits) if d is not _dt.uint8 and v >= 1 << (bits - 1) else v


def check_python_ints(data, arr, d, op="tensor"):
    """torch.tensor(list, dtype=narrow) refuses Python numbers the dtype cannot hold
    (a NumPy array's values are cast, wrapping, instead). As torch: integers for uint8 may
    be negative down to -255 (they wrap), floats must lie within the dtype's range."""
    if isinstance(data, (np.ndarray, np.generic)) or getattr(data, "_dtype", None) is not None or arr.size == 0:
        return
    lo, hi = _limits(d)
    if arr.dtype.kind == "f":
        bad = not (np.all(arr >= lo) and np.all(arr <= hi))  # NaN fails both
    elif arr.dtype.kind in "iu":
        vmin, vmax = int(arr.min()), int(arr.max())
        bad = vmax > hi or vmin < (-hi if d is _dt.uint8 else lo)
    else:
        bad = False
    if bad:
        raise RuntimeError(f"{op}: value cannot be converted to type {d.name} without overflow")


def check_in_range(op, v, d):
    """A Python number written into a narrow tensor by an op that checks it strictly (pad:
    uint8 refuses -1 there, unlike tensor() and masked_fill)."""
    lo, hi = _limits(d)
    if not lo <= v <= hi:  # NaN fails too
        raise RuntimeError(f"{op}: value cannot be converted to type {d.name} without overflow, got {v!r}")


def index_int64(op, index, name="index", expected=None):
    """An index tensor as the int64 tensor the kernels take: int64 as it is, int32 cast
    (torch accepts both); any other dtype is refused naming the op and the dtype."""
    if index.dtype is _dt.int64:
        return index
    if index.dtype is _dt.int32:
        from ._util import cast
        return cast(index, _dt.int64)
    from ._util import desc
    raise IntDtypeError(f"{op}: {expected or f'{name} must be an int64 tensor'} (or int32), got {desc(index)}")
