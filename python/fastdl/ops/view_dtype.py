"""Tensor.view(dtype): the same memory read as another dtype (uint8 bytes as int8, an int32
as four uint8, ...), with torch's rules. A wider dtype needs the last dim contiguous and
its size, the other strides and the offset divisible by the size ratio; a narrower one
multiplies them. The view shares memory; like torch it carries no gradient across dtypes."""
from .. import dtypes as _dt
from ..tensor import Tensor
from ._util import desc


def view_dtype(x, dtype):
    d = _dt.to_dtype(dtype)
    if d is x._dtype:
        from .shape import view
        return view(x, tuple(x.shape))
    if x.requires_grad and (d.category >= 2 or x._dtype.category >= 2) and d.category == x._dtype.category:
        raise RuntimeError(f"view: cannot change the dtype of a tensor that requires grad between "
                           f"{x._dtype.name} and {d.name} (a differentiable dtype view is not supported); "
                           f"detach() first, got {desc(x)}")
    old, new = x._dtype.itemsize, d.itemsize
    shape, strides, offset = list(x._shape), list(x._strides), x._offset
    if old != new:
        if not shape:
            raise RuntimeError(f"view: self.dim() cannot be 0 to view {x._dtype.name} as {d.name} "
                               f"(different element sizes), got {desc(x)}")
        if strides[-1] != 1 and shape[-1] != 1:
            raise RuntimeError(f"view: self.stride(-1) must be 1 to view {x._dtype.name} as {d.name} "
                               f"(different element sizes), but got {strides[-1]} for {desc(x)}")
        if old > new:
            r = old // new
            shape[-1] *= r
            strides = [s * r for s in strides[:-1]] + [1]
            offset *= r
        else:
            r = new // old
            if shape[-1] % r:
                raise RuntimeError(f"view: self.size(-1) must be divisible by {r} to view {x._dtype.name} as "
                                   f"{d.name} (different element sizes), but got {shape[-1]} for {desc(x)}")
            if any(s % r for s, n in zip(strides[:-1], shape[:-1]) if n > 1):
                raise RuntimeError(f"view: self.stride(i) must be divisible by {r} for all i < dim() - 1 to view "
                                   f"{x._dtype.name} as {d.name}, got strides {tuple(strides)} for {desc(x)}")
            if offset % r:
                raise RuntimeError(f"view: self.storage_offset() must be divisible by {r} to view "
                                   f"{x._dtype.name} as {d.name}, got {offset} for {desc(x)}")
            shape[-1] //= r
            strides = [s // r for s in strides[:-1]] + [1]
            offset //= r
    base = x._base if x._base is not None else x
    return Tensor._make(x._buf, d, tuple(shape), tuple(strides), offset, x._device, base)
