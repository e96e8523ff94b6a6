"""pad (torch.nn.functional.pad), from ops that run on any device: 'constant' crops with
narrow and pads by one fill and one copy (its gradient a narrow view); 'reflect', 'replicate' and
'circular' gather with one index_select per padded dim, whose gradient (index_add)
sums the copies of an element back into it."""
import math
import numbers

import numpy as np

from ... import _C, dtypes as _dt
from ...autograd import Function, is_grad_enabled
from ...ops._util import backend, check_tensor, desc
from ...ops.indexing import index_select
from ...ops.shape import clone, narrow

__all__ = ["pad"]

_MODES = ("constant", "reflect", "replicate", "circular")


def _pairs(op, x, pad):
    """[(dim, left, right)] from torch's pad tuple, which starts at the last dim."""
    if isinstance(pad, (str, bytes)) or not hasattr(pad, "__len__"):
        raise TypeError(f"{op}: pad must be a tuple of ints, got {pad!r}")
    pad = list(pad)
    for p in pad:
        if type(p) is not int and (not isinstance(p, numbers.Integral) or isinstance(p, bool)):
            raise TypeError(f"{op}: pad must be a tuple of ints, got {tuple(pad)}")
    if len(pad) % 2:
        raise RuntimeError(f"{op}: padding length must be divisible by 2, got pad {tuple(pad)}")
    if len(pad) > 2 * x.ndim:
        raise RuntimeError(f"{op}: padding length should be less than or equal to two times the input dimension "
                           f"but got pad {tuple(pad)} (length {len(pad)}) and input {desc(x)}")
    return [(x.ndim - 1 - i, int(pad[2 * i]), int(pad[2 * i + 1])) for i in range(len(pad) // 2)]


def _constant(x, pairs, value):
    out = x
    grow = []
    for d, left, right in pairs:  # crops are narrow views; the padding is one copy below
        size = out.shape[d]
        crop_l, crop_r = max(-left, 0), max(-right, 0)
        if crop_l + crop_r > size:
            raise RuntimeError(f"pad: negative padding ({left}, {right}) of dim {d} crops more than its size "
                               f"{size} (input {desc(x)})")
        if crop_l or crop_r:
            out = narrow(out, d, crop_l, size - crop_l - crop_r)
        if left > 0 or right > 0:
            grow.append((d, max(left, 0), max(right, 0)))
    if grow:
        return _ConstantPad.apply(out, tuple(grow), value)
    return clone(x) if out is x else out


# Output elements from which only the border is filled (the middle is copied over):
# below it one fill of the whole output costs less than the ~5 us of Python of a narrow
# and a fill per border slab (a fill runs at ~15 GB/s here: 130K floats in 9 us).
_BORDER_FILL_MIN = 1 << 19


class _ConstantPad(Function):
    """x written into the middle of a tensor whose border holds value. On the CPU one
    pass of the kernel pad_constant (csrc/cpu/pad.h); elsewhere the border's fills and one
    strided copy (a cat per padded dim wrote every element once per dim, 0.2-0.3x torch's
    time; a fill of the whole output wrote the middle twice). The gradient is g's middle,
    a view."""

    @staticmethod
    def forward(ctx, x, grow, value):
        from ...tensor import empty, full
        shape = list(x.shape)
        for d, left, right in grow:
            shape[d] += left + right
        numel = math.prod(shape)
        ctx.grow, ctx.in_shape = grow, tuple(x.shape)
        if x.device.type == "cpu":
            left, right = [0] * x.ndim, [0] * x.ndim
            for d, lo, hi in grow:
                left[d], right[d] = lo, hi
            out = empty(shape, dtype=x.dtype, device=x.device)
            _C.cpu.pad_constant(x, out, left, right, full((1,), value, dtype=x.dtype))  # full converts value
            return out
        if numel < _BORDER_FILL_MIN or not x.numel():
            out = full(shape, value, dtype=x.dtype, device=x.device)
        else:
            out = empty(shape, dtype=x.dtype, device=x.device)
            for d, left, right in grow:  # the slabs before and after the middle along d
                if left:
                    narrow(out, d, 0, left).fill_(value)
                if right:
                    narrow(out, d, shape[d] - right, right).fill_(value)
        if x.numel():
            backend(x, "pad").copy(x, _middle(out, grow, x.shape))
        return out

    @staticmethod
    def backward(ctx, g):
        if is_grad_enabled():  # create_graph: the middle by differentiable narrows
            for d, left, _ in ctx.grow:
                g = narrow(g, d, left, ctx.in_shape[d])
            return g, None, None
        return _middle(g, ctx.grow, ctx.in_shape), None, None


def _middle(t, grow, in_shape):
    """The part of padded t that holds the input: one view (no autograd link)."""
    offset = t._offset
    for d, left, _ in grow:
        offset += left * t._strides[d]
    return t._view(in_shape, t._strides, offset)


def _source_index(mode, x, d, left, right, pad):
    """For each output position along dim d, the input position it copies (NumPy int64)."""
    size = x.shape[d]
    what = f"pad (mode '{mode}'): pad {tuple(pad)} on input {desc(x)}"
    if mode == "circular":
        # torch crops first and then wraps around what is left
        lo, hi = max(-left, 0), size - max(-right, 0)
        kept = hi - lo
        if kept < 0 or max(left, right, 0) > kept:
            raise RuntimeError(f"{what}: padding ({left}, {right}) of dim {d} (size {size}) wraps around more "
                               f"than once or leaves a negative size")
        return lo + np.arange(-max(left, 0), kept + max(right, 0)) % max(kept, 1)
    if size + left + right < 1:
        raise RuntimeError(f"{what}: dim {d} of size {size} is too small; the calculated output size is "
                           f"{size + left + right}")
    j = np.arange(-left, size + right)
    if mode == "replicate":
        return np.clip(j, 0, size - 1)
    if left >= size or right >= size:
        raise RuntimeError(f"{what}: padding size should be less than the corresponding input dimension, "
                           f"but got padding ({left}, {right}) at dimension {d} of size {size}")
    j = np.abs(j)  # reflect about the first and the last element, not repeating them
    return np.where(j > size - 1, 2 * (size - 1) - j, j)


def _gather_pad(mode, x, pairs, pad):
    from ...tensor import tensor
    k = len(pairs)
    if not (1 <= k <= 3 and x.ndim in (k + 1, k + 2)):
        raise NotImplementedError(
            f"pad (mode '{mode}'): pad {tuple(pad)} of length {len(pad)} is not supported for input {desc(x)}; "
            "non-constant padding takes a 2-D or 3-D input with pad length 2 (the last dim), 3-D or 4-D with "
            "length 4 (the last 2 dims), 4-D or 5-D with length 6 (the last 3 dims)")
    if mode != "circular":
        batched = x.ndim == k + 2  # a leading batch dim may be empty; the others may not
        if any(s == 0 for s in x.shape[1 if batched else 0:]):
            raise RuntimeError(f"pad (mode '{mode}'): expected an input with non-zero dimensions (a leading batch "
                               f"dim may be 0), got {desc(x)} with pad {tuple(pad)}")
    out = x
    for d, left, right in pairs:
        idx = _source_index(mode, x, d, left, right, pad)
        if left == 0 and right == 0:
            continue
        out = index_select(out, d, tensor(idx.astype(np.int64), device=x.device))
    return clone(x) if out is x else out


def pad(input, pad, mode="constant", value=None):
    """Pads (or, with negative amounts, crops) input. pad is torch's tuple: (left, right)
    for the last dim, then (top, bottom) for the one before, and so on."""
    check_tensor("pad", input)
    if mode not in _MODES:
        raise NotImplementedError(f"pad: unrecognised padding mode {mode!r}; expected one of {', '.join(_MODES)}")
    pairs = _pairs("pad", input, pad)
    if mode == "constant":
        if input.dtype in _dt.NARROW_INT and isinstance(value, (int, float)) and not isinstance(value, bool):
            from ...ops.int_narrow import check_in_range
            check_in_range("pad", value, input.dtype)
        return _constant(input, pairs, 0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f"pad: padding mode {mode!r} doesn't take in a value argument, got value={value!r}")
    return _gather_pad(mode, input, pairs, pad)
