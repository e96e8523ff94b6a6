"""Tensor.to: dtype conversion and device moves."""
from .. import dtypes as _dt
from ..autograd import Function
from ..device import device as _device_cls, to_device
from ..tensor import Tensor, contiguous_strides
from ._util import backend, contiguous_data, desc, empty


class _To(Function):
    """x converted to dtype on dev; `strides` (dense, from memory_format.py) lays the
    result out in another order than row-major."""

    @staticmethod
    def forward(ctx, x, dtype, dev, strides=None):
        ctx.src = (x.dtype, x.device)
        if x.device == dev:
            if strides is None:
                out = empty(x.shape, dtype, dev)
                backend(x, "to").copy(x, out)
                return out
            from .shape import copy_with_strides
            return copy_with_strides(x, strides, dtype)
        # cross-device: make contiguous in the source dtype, copy bytes, convert there
        src = contiguous_data(x)
        moved = empty(x.shape, x.dtype, dev)
        cuda_side = src if src.device.type == "cuda" else moved
        backend(cuda_side, "to").copy(src, moved)
        if dtype is not x.dtype or strides is not None:
            from .shape import copy_with_strides
            return copy_with_strides(moved, strides, dtype)
        return moved

    @staticmethod
    def backward(ctx, g):
        dtype, dev = ctx.src
        if dtype.category < 2:
            return None, None, None, None
        if g.dtype.category == 3 and dtype.category != 3:  # a real input's gradient: the real part
            g = g.real
        return g.to(dtype=dtype, device=dev), None, None, None


def to(x, *args, dtype=None, device=None, non_blocking=False, copy=False, memory_format=None):
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
    strides = None
    if dtype is x.dtype and dev == x.device and not copy and memory_format is None:
        return x  # nothing to change: torch returns the input itself, whatever its layout
    if memory_format is not None or not x.is_contiguous():
        strides = _layout(x, memory_format)
        same_layout = x.is_contiguous() if strides is None else strides == tuple(x.stride())
        if dtype is x.dtype and dev == x.device and not copy and same_layout:
            return x  # nothing to change (torch returns the input itself)
    elif dtype is x.dtype and dev == x.device and not copy:
        return x
    if x._dtype.category == 3 and dtype.category != 3:  # torch: the real part, with a warning
        import warnings
        warnings.warn(f"to: casting complex values to {dtype.name} discards the imaginary part", UserWarning,
                      stacklevel=2)
    if x.requires_grad and dtype.category < 2:
        return _To.apply(x.detach(), dtype, dev, strides)
    return _To.apply(x, dtype, dev, strides)


def _layout(x, memory_format):
    """The strides of x's converted copy: x's own dense layout for preserve_format (the
    default, as torch's), else the format's; None for row-major."""
    from .. import _memory_format as _mf
    fmt = _mf.preserve_format if memory_format is None else _mf.check_format("to", memory_format)
    if fmt is not _mf.preserve_format and x.is_contiguous(memory_format=fmt):
        return tuple(x.stride())  # already laid out so: kept as is
    strides = _mf.target_strides("to", x, fmt)
    return None if strides == contiguous_strides(x.shape) else strides
