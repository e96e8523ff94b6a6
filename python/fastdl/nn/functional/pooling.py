"""2-D pooling (torch.nn.functional semantics): max_pool2d, avg_pool2d and
adaptive_avg_pool2d, each a Function over the pooling kernels of _C.cpu (forward and
backward). Inputs are (N, C, H, W) or unbatched (C, H, W)."""
import numbers

from ...autograd import Function
from ...ops._util import backend, check_tensor, desc, empty
from ... import dtypes as _dt
from .conv import _pair


def _out_size(n, k, s, p, d, ceil_mode):
    """PyTorch's pooling_output_shape along one axis (csrc/common/pool_window.h)."""
    num = n + 2 * p - d * (k - 1) - 1
    out = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _check_input(op, x):
    check_tensor(op, x)
    if not x.dtype.is_floating_point:
        raise TypeError(f"{op}: expected a floating point input, got {desc(x)}")
    if x.ndim not in (3, 4):
        raise RuntimeError(f"{op}: expected 3D or 4D (batch mode) input, got {desc(x)}")


def _window(op, x, kernel_size, stride, padding, dilation, ceil_mode):
    k = _pair(op, "kernel_size", kernel_size, 1)
    # stride=None (or an empty list, as PyTorch) means stride = kernel_size
    s = k if stride is None or (isinstance(stride, (tuple, list)) and not stride) else _pair(op, "stride", stride, 1)
    p = _pair(op, "padding", padding, 0)
    d = _pair(op, "dilation", dilation, 1)
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise RuntimeError(f"{op}: pad should be at most half of effective kernel size, but got pad={p} and "
                           f"kernel_size={k}")
    H, W = x.shape[-2:]
    out = tuple(_out_size(n, *a, ceil_mode) for n, a in zip((H, W), zip(k, s, p, d)))
    if min(out) < 1:
        raise RuntimeError(f"{op}: output size {out} is too small for input {desc(x)} with kernel_size={k}, "
                           f"stride={s}, padding={p}, dilation={d}")
    return k, s, p, d, out


def _batched(x, fn):
    if x.ndim == 3:
        outs = fn(x.unsqueeze(0))
        return tuple(o.squeeze(0) for o in outs) if isinstance(outs, tuple) else outs.squeeze(0)
    return fn(x)


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
        gx = empty(ctx.in_shape, g.dtype, g.device)
        backend(g, "max_pool2d").max_pool2d_backward(g, idx, gx)
        return gx, None, None, None, None, None, None


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over (dilated) windows; padding never wins. With return_indices also the
    int64 flat index h*W + w of each max in its input plane (as PyTorch)."""
    op = "max_pool2d"
    _check_input(op, input)
    k, s, p, d, out_hw = _window(op, input, kernel_size, stride, padding, dilation, ceil_mode)
    out, idx = _batched(input, lambda x: _MaxPool2d.apply(x, k, s, p, d, out_hw, bool(ceil_mode)))
    return (out, idx) if return_indices else out


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
        k, s, p, _, ceil_mode, count_include_pad, divisor = ctx.args
        gx = empty(ctx.in_shape, g.dtype, g.device)
        backend(g, "avg_pool2d").avg_pool2d_backward(g, gx, *k, *s, *p, ceil_mode, count_include_pad, divisor)
        return gx, None


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Mean over windows clipped to the (padded) input; the divisor follows PyTorch
    (divisor_override, else the padded window area if count_include_pad, else the
    number of real elements)."""
    op = "avg_pool2d"
    _check_input(op, input)
    k, s, p, _, out_hw = _window(op, input, kernel_size, stride, padding, 1, ceil_mode)
    divisor = 0
    if divisor_override is not None:
        if not isinstance(divisor_override, numbers.Integral) or divisor_override <= 0:
            raise RuntimeError(f"{op}: divisor_override must be a positive int, got {divisor_override!r}")
        divisor = int(divisor_override)
    args = (k, s, p, out_hw, bool(ceil_mode), bool(count_include_pad), divisor)
    return _batched(input, lambda x: _AvgPool2d.apply(x, args))


class _AdaptiveAvgPool2d(Function):
    @staticmethod
    def forward(ctx, x, out_hw):
        out = empty(tuple(x.shape[:2]) + out_hw, x.dtype, x.device)
        backend(x, "adaptive_avg_pool2d").adaptive_avg_pool2d(x, out)
        ctx.in_shape = x.shape
        return out

    @staticmethod
    def backward(ctx, g):
        gx = empty(ctx.in_shape, g.dtype, g.device)
        backend(g, "adaptive_avg_pool2d").adaptive_avg_pool2d_backward(g, gx)
        return gx, None


def adaptive_avg_pool2d(input, output_size):
    """Average over windows [floor(o*in/out), ceil((o+1)*in/out)) giving output_size
    (an int, or a pair whose None entries keep the input size)."""
    op = "adaptive_avg_pool2d"
    _check_input(op, input)
    sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    if len(sizes) != 2:
        raise ValueError(f"{op}: output_size must be an int or a pair, got {output_size!r}")
    out_hw = tuple(n if o is None else o for o, n in zip(sizes, input.shape[-2:]))
    for o in out_hw:
        if not isinstance(o, numbers.Integral) or isinstance(o, bool) or o < 0:
            raise ValueError(f"{op}: output_size must be non-negative ints or None, got {output_size!r}")
    if min(input.shape[-2:]) < 1 and max(out_hw) > 0:
        raise RuntimeError(f"{op}: expected input with non-zero spatial sizes, got {desc(input)}")
    out_hw = tuple(int(o) for o in out_hw)
    return _batched(input, lambda x: _AdaptiveAvgPool2d.apply(x, out_hw))


__all__ = ["max_pool2d", "avg_pool2d", "adaptive_avg_pool2d"]
