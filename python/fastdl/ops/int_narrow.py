"""Helpers for the narrow integer dtypes int32 / int16 / int8 / uint8.

They are storage dtypes, like float16 / bfloat16: copy, fill, where and DLPack take them
in C++, and every computing kernel runs on int64 copies whose result is cast back (the
conversion keeps the low bits, so arithmetic wraps around as in torch). These helpers
are the parts that are not a kernel call: index tensors (torch takes int32 ones where
it takes int64), Python values written into a narrow tensor, and torch's legacy type
names (t.type()).
"""
import numpy as np

from .. import dtypes as _dt

__all__ = []

# torch's legacy tensor type names (t.type(), torch.IntTensor)
_LEGACY = {_dt.float32: "FloatTensor", _dt.float64: "DoubleTensor", _dt.float16: "HalfTensor",
           _dt.bfloat16: "BFloat16Tensor", _dt.int64: "LongTensor", _dt.int32: "IntTensor",
           _dt.int16: "ShortTensor", _dt.int8: "CharTensor", _dt.uint8: "ByteTensor", _dt.bool_: "BoolTensor"}
_BY_LEGACY = {v: k for k, v in _LEGACY.items()}


def legacy_type_name(t):
    """'torch.FloatTensor' for a float32 CPU tensor, 'torch.cuda.IntTensor' for an int32 CUDA one."""
    return ("torch.cuda." if t.device.type == "cuda" else "torch.") + _LEGACY[t.dtype]


def parse_legacy_type(name):
    """The dtype of a legacy type name ('torch.IntTensor', 'torch.cuda.ByteTensor') or a
    dtype name ('int32', 'torch.int32')."""
    short = name.rsplit(".", 1)[-1]
    if short in _BY_LEGACY:
        return _BY_LEGACY[short]
    try:
        return _dt.to_dtype(short)
    except TypeError:
        raise ValueError(f"type: invalid type {name!r}; expected a dtype or a name such as 'torch.IntTensor'") from None


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


def index_int64(op, index, name="index", expected=None):
    """An index tensor as the int64 tensor the kernels take: int64 as it is, int32 cast
    (torch accepts both); any other dtype is refused naming the op and the dtype."""
    if index.dtype is _dt.int64:
        return index
    if index.dtype is _dt.int32:
        from ._util import cast
        return cast(index, _dt.int64)
    from ._util import desc
    raise TypeError(f"{op}: {expected or f'{name} must be an int64 tensor'} (or int32), got {desc(index)}")
