"""Pooling (torch.nn.functional semantics): max_pool2d, avg_pool2d and
adaptive_avg_pool2d, each a Function over the pooling kernels of _C.cpu / _C.cuda
(forward and backward), on (N, C, H, W) or unbatched (C, H, W) input; and their 1-D
forms on (N, C, L) or (C, L), which run the 2-D kernels over a height-1 view."""
import numbers

from ...autograd import Function, is_grad_enabled
from ...ops._util import backend, check_tensor, desc, empty
from ... import dtypes as _dt
from .conv import _lift, _ntuple
from ._half import half_in_float32
from .pool_int import ints_via_float64


def _out_size(n, k, s, p, d, ceil_mode):
    """PyTorch's pooling_output_shape along one axis (csrc/common/pool_window.h)."""
    num = n + 2 * p - d * (k - 1) - 1
    out = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _check_input(op, x, n):
    check_tensor(op, x)
    if not x.dtype.is_floating_point:
        raise TypeError(f"{op}: expected a floating point input, got {desc(x)}")
    if x.ndim not in (n + 1, n + 2):
        raise RuntimeError(f"{op}: expected {n + 1}D or {n + 2}D (batch mode) input, got {desc(x)}")


def _window(op, n, x, kernel_size, stride, padding, dilation, ceil_mode):
    """The window of an n-D pool, checked in the caller's terms; returned as the 2-D
    kernels take it (k, s, p, d and the output size)."""
    k = _ntuple(op, "kernel_size", kernel_size, 1, n)
    # stride=None (or an empty list, as PyTorch) means stride = kernel_size
    empty_stride = stride is None or (isinstance(stride, (tuple, list)) and not stride)
    s = k if empty_stride else _ntuple(op, "stride", stride, 1, n)
    p = _ntuple(op, "padding", padding, 0, n)
    d = _ntuple(op, "dilation", dilation, 1, n)
    if any(pi > ki // 2 for pi, ki in zip(p, k)):
        raise RuntimeError(f"{op}: pad should be at most half of effective kernel size, but got pad={p} and "
                           f"kernel_size={k}")
    out = tuple(_out_size(m, *a, ceil_mode) for m, a in zip(x.shape[-n:], zip(k, s, p, d)))
    if min(out) < 1:
        raise RuntimeError(f"{op}: output size {out} is too small for input {desc(x)} with kernel_size={k}, "
                           f"stride={s}, padding={p}, dilation={d}")
    return _lift(k, n, 1), _lift(s, n, 1), _lift(p, n, 0), _lift(d, n, 1), _lift(out, n, 1)


def _batched(x, n, fn):
    """fn on x as a batched 2-D map: adds the batch dim of an unbatched input and, for
    n = 1, a height-1 axis; removes them from fn's output(s)."""
    batched = x.ndim == n + 2
    x = x if batched else x.unsqueeze(0)
    outs = fn(x if n == 2 else x.unsqueeze(2))

    def back(o):
        o = o if n == 2 else o.squeeze(2)
        return o if batched else o.squeeze(0)
    return tuple(back(o) for o in outs) if isinstance(outs, tuple) else back(outs)


class _MaxPool2d(Function):
    @staticmethod
    def forward(ctx, x, k, s, p, d, out_hw, ceil_mode):
        N, C, H, W = x.shape
        out = empty((N, C) + out_hw, x.dtype, x.device)
        idx = empty((N, C) + out_hw, _dt.int64, x.device)
        backend(x, "max_pool2d").max_pool2d(x, out, idx, *k, *s, *p, *d, ceil_mode)
        ctx.save_for_backward(idx)
        ctx.in_shape = x.shape
        return out, idx

    @staticmethod
    def backward(ctx, g, _gidx):
        idx, = ctx.saved_tensors
        gx = _MaxPoolBackward.apply(g, idx, ctx.in_shape) if is_grad_enabled() else \
            _MaxPoolBackward.forward(None, g, idx, ctx.in_shape)
        return gx, None, None, None, None, None, None


# Each pooling backward is linear in g, so as a Function of its own (used when a
# backward is recorded, create_graph) its derivative is the matching forward map:
# max pooling's scatter to the argmax <-> a gather at it; average pooling's spread <->
# the average again. Derivatives in x are zero (max) or absent (average).
class _MaxPoolBackward(Function):
    @staticmethod
    def forward(ctx, g, idx, in_shape):
        if ctx is not None:
            ctx.save_for_backward(idx)
        gx = empty(in_shape, g.dtype, g.device)
        backend(g, "max_pool2d").max_pool2d_backward(g, idx, gx)
        return gx

    @staticmethod
    def backward(ctx, ggx):
        idx, = ctx.saved_tensors
        N, C = idx.shape[:2]
        plane = ggx.reshape(N, C, -1)
        return plane.gather(2, idx.reshape(N, C, -1)).reshape(idx.shape), None, None


def _max_pool(op, n, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    _check_input(op, input, n)
    k, s, p, d, out_hw = _window(op, n, input, kernel_size, stride, padding, dilation, ceil_mode)
    out, idx = _batched(input, n, lambda x: _MaxPool2d.apply(x, k, s, p, d, out_hw, bool(ceil_mode)))
    return (out, idx) if return_indices else out


@ints_via_float64(only_with_indices=True)
@half_in_float32
def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over (dilated) windows of (N, C, L) or (C, L) input; with return_indices also
    the int64 position of each max along L."""
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


@ints_via_float64
@half_in_float32
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over (dilated) windows; padding never wins. With return_indices also the
    int64 flat index h*W + w of each max in its input plane (as PyTorch)."""
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


class _AvgPool2d(Function):
    @staticmethod
    def forward(ctx, x, args):
        N, C = x.shape[:2]
        k, s, p, out_hw, ceil_mode, count_include_pad, divisor = args
        out = empty((N, C) + out_hw, x.dtype, x.device)
        backend(x, "avg_pool2d").avg_pool2d(x, out, *k, *s, *p, ceil_mode, count_include_pad, divisor)
        ctx.args, ctx.in_shape = args, x.shape
        return out

    @staticmethod
    def backward(ctx, g):
        if is_grad_enabled():
            return _AvgPoolBackward.apply(g, ctx.args, ctx.in_shape), None
        return _AvgPoolBackward.forward(None, g, ctx.args, ctx.in_shape), None


class _AvgPoolBackward(Function):
    @staticmethod
    def forward(ctx, g, args, in_shape):
        if ctx is not None:
            ctx.args = args
        k, s, p, _, ceil_mode, count_include_pad, divisor = args
        gx = empty(in_shape, g.dtype, g.device)
        backend(g, "avg_pool2d").avg_pool2d_backward(g, gx, *k, *s, *p, ceil_mode, count_include_pad, divisor)
        return gx

    @staticmethod
    def backward(ctx, ggx):
        return _AvgPool2d.apply(ggx.contiguous(), ctx.args), None, None


def _avg_pool(op, n, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    _check_input(op, input, n)
    k, s, p, _, out_hw = _window(op, n, input, kernel_size, stride, padding, 1, ceil_mode)
    divisor = 0
    if divisor_override is not None:
        if not isinstance(divisor_override, numbers.Integral) or divisor_override <= 0:
            raise RuntimeError(f"{op}: divisor_override must be a positive int, got {divisor_override!r}")
        divisor = int(divisor_override)
    args = (k, s, p, out_hw, bool(ceil_mode), bool(count_include_pad), divisor)
    return _batched(input, n, lambda x: _AvgPool2d.apply(x, args))


@half_in_float32
def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Mean over windows of (N, C, L) or (C, L) input, divisor as avg_pool2d's."""
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


@half_in_float32
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Mean over windows clipped to the (padded) input; the divisor follows PyTorch
    (divisor_override, else the padded window area if count_include_pad, else the
    number of real elements)."""
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)


class _AdaptiveAvgPool2d(Function):
    @staticmethod
    def forward(ctx, x, out_hw):
        out = empty(tuple(x.shape[:2]) + out_hw, x.dtype, x.device)
        backend(x, "adaptive_avg_pool2d").adaptive_avg_pool2d(x, out)
        ctx.in_shape = x.shape
        return out

    @staticmethod
    def backward(ctx, g):
        if is_grad_enabled():
            return _AdaptiveAvgPoolBackward.apply(g, ctx.in_shape), None
        return _AdaptiveAvgPoolBackward.forward(None, g, ctx.in_shape), None


class _AdaptiveAvgPoolBackward(Function):
    @staticmethod
    def forward(ctx, g, in_shape):
        if ctx is not None:
            ctx.out_hw = tuple(g.shape[2:])
        gx = empty(in_shape, g.dtype, g.device)
        backend(g, "adaptive_avg_pool2d").adaptive_avg_pool2d_backward(g, gx)
        return gx

    @staticmethod
    def backward(ctx, ggx):
        return _AdaptiveAvgPool2d.apply(ggx.contiguous(), ctx.out_hw), None


def _adaptive_output_size(op, n, input, output_size, expected):
    """The adaptive pools' output_size as n ints (None: the input's size there); `expected`
    names the accepted forms in the length error."""
    sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * n
    if len(sizes) != n:
        raise ValueError(f"{op}: output_size must be {expected}, got {output_size!r}")
    out = tuple(m if o is None else o for o, m in zip(sizes, input.shape[-n:]))
    for o in out:
        if not isinstance(o, numbers.Integral) or isinstance(o, bool) or o < 0:
            raise ValueError(f"{op}: output_size must be non-negative ints or None, got {output_size!r}")
    if min(input.shape[-n:]) < 1 and max(out) > 0:
        raise RuntimeError(f"{op}: expected input with non-zero spatial sizes, got {desc(input)}")
    return tuple(int(o) for o in out)


def _adaptive_avg_pool(op, n, input, output_size):
    _check_input(op, input, n)
    out = _adaptive_output_size(op, n, input, output_size, f"an int{' or a pair' if n == 2 else ''}")
    out_hw = _lift(out, n, 1)
    return _batched(input, n, lambda x: _AdaptiveAvgPool2d.apply(x, out_hw))


@half_in_float32
def adaptive_avg_pool1d(input, output_size):
    """Average over windows [floor(o*L/out), ceil((o+1)*L/out)) of (N, C, L) or (C, L) input."""
    return _adaptive_avg_pool("adaptive_avg_pool1d", 1, input, output_size)


@half_in_float32
def adaptive_avg_pool2d(input, output_size):
    """Average over windows [floor(o*in/out), ceil((o+1)*in/out)) giving output_size
    (an int, or a pair whose None entries keep the input size)."""
    return _adaptive_avg_pool("adaptive_avg_pool2d", 2, input, output_size)


__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d"]
