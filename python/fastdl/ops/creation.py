"""Tensor.to: dtype conversion and device moves."""
from .. import dtypes as _dt
from ..autograd import Function
from ..device import device as _device_cls, to_device
from ..tensor import Tensor
from ._util import backend, contiguous_data, desc, empty


class _To(Function):
    @staticmethod
    def forward(ctx, x, dtype, dev):
        ctx.src = (x.dtype, x.device)
        if x.device == dev:
            out = empty(x.shape, dtype, dev)
            backend(x, "to").copy(x, out)
            return out
        # cross-device: make contiguous in the source dtype, copy bytes, convert there
        src = contiguous_data(x)
        moved = empty(x.shape, x.dtype, dev)
        cuda_side = src if src.device.type == "cuda" else moved
        backend(cuda_side, "to").copy(src, moved)
        if dtype is not x.dtype:
            out = empty(x.shape, dtype, dev)
            backend(out, "to").copy(moved, out)
            return out
        return moved

    @staticmethod
    def backward(ctx, g):
        dtype, dev = ctx.src
        return g.to(dtype=dtype, device=dev) if dtype.is_floating_point else None, None, None


def to(x, *args, dtype=None, device=None, non_blocking=False, copy=False):
    for a in args:
        if isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, (_dt.DType, type)) or (isinstance(a, str) and a in _dt._BY_NAME):
            dtype = a
        elif isinstance(a, (str, _device_cls)):
            device = a
        else:
            raise TypeError(f"to: unexpected argument {a!r}")
    dtype = x.dtype if dtype is None else _dt.to_dtype(dtype)
    dev = x.device if device is None else to_device(device)
    if dtype is x.dtype and dev == x.device and not copy:
        return x
    if x.requires_grad and not dtype.is_floating_point:
        return _To.apply(x.detach(), dtype, dev)
    return _To.apply(x, dtype, dev)
