"""conv2d and conv_transpose2d (torch.nn.functional semantics) on the im2col / col2im
kernels and the batched GEMM kernel.

On the CPU each pass is one C++ driver (csrc/cpu/conv_driver.cpp: per-sample bands of
columns in a per-thread buffer, samples split across threads); other devices run the
im2col / col2im kernels and batched matmul from here. Three raw passes (no autograd;
grouped by viewing channels as (groups, per-group)):
  _conv_forward    y  = W @ im2col(x)                 (conv2d forward)
  _conv_input_grad gx = col2im(W^T @ gy)               (conv2d input-grad = conv_transpose2d forward)
  _conv_weight_grad gW = sum_n gy[n] @ im2col(x)[n]^T  (weight-grad of both)
Each op is one Function whose backward uses the other two, so no column tensor is kept
in the graph: backward recomputes im2col(x), trading one unfold for the k*k-times-input
memory the columns would pin between forward and backward.
"""
import math
import numbers

from ... import _C
from ...autograd import Function
from ...tensor import contiguous_strides
from ...ops._util import backend, check_tensor, contiguous_data, desc, empty, expand_view, same_device


def _pair(op, name, v, minimum):
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            v = (v[0], v[0])
        if len(v) != 2:
            raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {v!r}")
        out = tuple(v)
    else:
        out = (v, v)
    for e in out:
        if not isinstance(e, numbers.Integral) or isinstance(e, bool):
            raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {v!r}")
    if min(out) < minimum:
        what = "positive" if minimum == 1 else "non-negative"
        raise RuntimeError(f"{op}: {name} must be {what}, got {v!r}")
    return tuple(int(e) for e in out)


def _cview(t, shape):
    """A contiguous tensor seen with another shape (same memory, no autograd)."""
    return t._view(tuple(shape), contiguous_strides(shape))


def _mT(t):
    """t with its last two axes swapped, as a raw view."""
    s = t._strides
    return t._view(t.shape[:-2] + (t.shape[-1], t.shape[-2]), s[:-2] + (s[-1], s[-2]))


def _at(t, n):
    """t[n] as a raw view (cheaper than indexing in a per-sample loop)."""
    return t._view(t.shape[1:], t._strides[1:], t._offset + n * t._strides[0])


class _Geom:
    """Kernel size, stride, padding, dilation and groups of one convolution."""

    __slots__ = ("k", "s", "p", "d", "g")

    def __init__(self, k, s, p, d, g):
        self.k, self.s, self.p, self.d, self.g = k, s, p, d, g

    def out_size(self, hw):
        return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                     for n, k, s, p, d in zip(hw, self.k, self.s, self.p, self.d))

    def args(self):
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = self.k, self.s, self.p, self.d
        return kh, kw, sh, sw, ph, pw, dh, dw

    def pointwise(self):
        return self.k == (1, 1) and self.s == (1, 1) and self.p == (0, 0)


# Off the CPU, columns are built for a few samples at a time into one reused buffer of
# about this size: a whole batch's columns (k*k times the input, 42 MB for MNIST's conv2) would be
# a fresh mmap every call, and faulting its pages in cost 10x the im2col itself.
_COLS_BYTES = 1 << 22


def _use_cpu_drivers(t):
    """True where the whole-pass C++ drivers run (the CPU); elsewhere the passes are
    built here from im2col / col2im and batched matmul."""
    return t.device.type == "cpu"


def _rows(t, n0, n1):
    """t[n0:n1] along the batch axis, as a raw view."""
    return t._view((n1 - n0,) + tuple(t.shape[1:]), t._strides, t._offset + n0 * t._strides[0])


def _chunks(N, sample_numel, itemsize):
    """(n0, n1) ranges of samples whose columns fit in _COLS_BYTES (at least one sample)."""
    nb = max(1, min(N, _COLS_BYTES // max(1, sample_numel * itemsize)))
    return [(n0, min(N, n0 + nb)) for n0 in range(0, N, nb)]


class _ColumnBuffer:
    """im2col of samples [n0, n1) of x into one buffer reused across chunks; a 1x1
    stride-1 unpadded conv reads x itself."""

    def __init__(self, x, geo):
        N, C, H, W = x.shape
        self.x, self.geo = x, geo
        self.KL = (C * geo.k[0] * geo.k[1], math.prod(geo.out_size((H, W))))
        self.ranges = _chunks(N, self.KL[0] * self.KL[1], x.dtype.itemsize)
        if geo.pointwise():
            self.x, self.buf = contiguous_data(x), None
        else:
            nb = self.ranges[0][1] if self.ranges else 0
            self.buf = empty((nb,) + self.KL, x.dtype, x.device)

    def columns(self, n0, n1):
        """A contiguous (n1 - n0, C*kh*kw, OH*OW) tensor (valid until the next call)."""
        shape = (n1 - n0,) + self.KL
        if self.buf is None:
            return _cview(_rows(self.x, n0, n1), shape)
        cols = _cview(self.buf, shape)
        backend(self.x, "conv2d").im2col(_rows(self.x, n0, n1), cols, *self.geo.args())
        return cols


def _weight_groups(w, g):
    """(O, Cg, kh, kw) weight as (g, O/g, Cg*kh*kw)."""
    O = w.shape[0]
    return _cview(contiguous_data(w), (g, O // g, w.numel() // O))


def _conv_forward(x, w, b, geo):
    N, g = x.shape[0], geo.g
    O = w.shape[0]
    OH, OW = geo.out_size(x.shape[2:])
    y = empty((N, O, OH, OW), x.dtype, x.device)
    if _use_cpu_drivers(x):
        _C.cpu.conv2d_forward(x, contiguous_data(w), b, y, *geo.args(), g)
        return y
    wg = _weight_groups(w, g)
    yv = _cview(y, (N, g, O // g, OH * OW))
    kern = backend(x, "conv2d")
    beta = 0.0
    if b is not None:  # y starts as the broadcast bias; the GEMM adds onto it
        kern.copy(b._view(yv.shape, (0, (O // g) * b._strides[0], b._strides[0], 0), b._offset), yv)
        beta = 1.0
    src = _ColumnBuffer(x, geo)
    for n0, n1 in src.ranges:
        colsv = _cview(src.columns(n0, n1), (n1 - n0, g, wg.shape[2], OH * OW))
        kern.matmul(expand_view(wg, (n1 - n0, g) + wg.shape[1:]), colsv, _rows(yv, n0, n1), 1.0, beta)
    return y


def _conv_input_grad(gy, w, geo, in_hw):
    """The gradient w.r.t. a conv input of spatial size in_hw, given the output-gradient gy."""
    N, O, OH, OW = gy.shape
    g = geo.g
    C = w.shape[1] * g
    if _use_cpu_drivers(gy):
        gx = empty((N, C) + tuple(in_hw), gy.dtype, gy.device)
        _C.cpu.conv2d_input_grad(contiguous_data(gy), contiguous_data(w), gx, *geo.args(), g)
        return gx
    wg = _weight_groups(w, g)
    K = wg.shape[2]
    gyv = _cview(contiguous_data(gy), (N, g, O // g, OH * OW))
    wt = _mT(wg)
    kern = backend(gy, "conv2d")
    if geo.pointwise():
        dcols = empty((N, g, K, OH * OW), gy.dtype, gy.device)
        kern.matmul(expand_view(wt, (N,) + wt.shape), gyv, dcols, 1.0, 0.0)
        return _cview(dcols, (N, C) + tuple(in_hw))
    gx = empty((N, C) + tuple(in_hw), gy.dtype, gy.device)
    ranges = _chunks(N, g * K * OH * OW, gy.dtype.itemsize)
    buf = empty((ranges[0][1] if ranges else 0, g, K, OH * OW), gy.dtype, gy.device)
    for n0, n1 in ranges:
        dcols = _cview(buf, (n1 - n0, g, K, OH * OW))
        kern.matmul(expand_view(wt, (n1 - n0,) + wt.shape), _rows(gyv, n0, n1), dcols, 1.0, 0.0)
        kern.col2im(_cview(dcols, (n1 - n0, g * K, OH * OW)), _rows(gx, n0, n1), *geo.args())
    return gx


def _conv_weight_grad(x, gy, geo, w_shape, bias_grad=False):
    """(gw, gb): gb is the bias gradient when asked for and the CPU driver fuses it
    into the same pass over gy, else None."""
    N, O, OH, OW = gy.shape
    g = geo.g
    if _use_cpu_drivers(x):
        gw = empty(w_shape, gy.dtype, gy.device)
        gb = empty((O,), gy.dtype, gy.device) if bias_grad else None
        _C.cpu.conv2d_weight_grad(x, contiguous_data(gy), gw, gb, *geo.args(), g)
        return gw, gb
    src = _ColumnBuffer(x, geo)
    K = src.KL[0] // g
    gyv = _cview(contiguous_data(gy), (N, g, O // g, OH * OW))
    gw = empty(w_shape, gy.dtype, gy.device)
    gwv = _cview(gw, (g, O // g, K))
    kern = backend(gy, "conv2d")
    if N == 0:
        kern.fill(gw, 0.0)
    # One GEMM per sample accumulating into gw: the batch is a reduction here, and the
    # (N, g, ., L) layouts do not let N and L merge into one GEMM dimension.
    for n0, n1 in src.ranges:
        colsv = _cview(src.columns(n0, n1), (n1 - n0, g, K, OH * OW))
        for n in range(n0, n1):
            kern.matmul(_at(gyv, n), _mT(_at(colsv, n - n0)), gwv, 1.0, 1.0 if n else 0.0)
    return gw, None


def _bias_grad(gy):
    return gy.sum(dim=(0, 2, 3))


class _Conv2d(Function):
    @staticmethod
    def forward(ctx, x, w, b, geo):
        ctx.save_for_backward(x, w)
        ctx.geo = geo
        return _conv_forward(x, w, b, geo)

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        gy = contiguous_data(gy)  # once for both GEMM passes (a broadcast gradient has stride 0)
        gx = _conv_input_grad(gy, w, ctx.geo, x.shape[2:]) if need[0] else None
        gw, gb = _conv_weight_grad(x, gy, ctx.geo, w.shape, need[2]) if need[1] else (None, None)
        if need[2] and gb is None:
            gb = _bias_grad(gy)
        return gx, gw, gb, None


class _ConvTranspose2d(Function):
    """y = conv2d's input-gradient of x. When output_padding >= stride (allowed if it is
    below the dilation) the conv view of y has more positions than x: x is zero-padded
    at the bottom/right to that size and the gradient cropped back."""

    @staticmethod
    def forward(ctx, x, w, b, geo, out_hw):
        N, C, H, W = x.shape
        full = geo.out_size(out_hw)
        xp = x
        if full != (H, W):
            xp = empty((N, C) + full, x.dtype, x.device)
            backend(x, "conv_transpose2d").fill(xp, 0.0)
            backend(x, "conv_transpose2d").copy(x, xp[:, :, :H, :W])
        ctx.save_for_backward(xp, w)
        ctx.geo, ctx.in_hw = geo, (H, W)
        y = _conv_input_grad(xp, w, geo, out_hw)
        if b is not None:
            bv = b._view(y.shape, (0, b._strides[0], 0, 0), b._offset)
            backend(x, "conv_transpose2d").binary("add", y, bv, y)
        return y

    @staticmethod
    def backward(ctx, gy):
        xp, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        gy = contiguous_data(gy)
        gx = None
        if need[0]:
            H, W = ctx.in_hw
            gx = contiguous_data(_conv_forward(gy, w, None, ctx.geo)[:, :, :H, :W])
        gw = _conv_weight_grad(gy, xp, ctx.geo, w.shape)[0] if need[1] else None
        gb = _bias_grad(gy) if need[2] else None
        return gx, gw, gb, None, None


def _check_common(op, input, weight, bias):
    check_tensor(op, input)
    check_tensor(op, weight, "weight")
    if bias is not None:
        check_tensor(op, bias, "bias")
    same_device(op, input, weight, bias)
    if not input.dtype.is_floating_point:
        raise TypeError(f"{op}: expected a floating point input, got {desc(input)}")
    for t in (weight, bias):
        if t is not None and t.dtype is not input.dtype:
            raise TypeError(f"{op}: input {desc(input)}, weight {desc(weight)} and bias {desc(bias)} "
                            f"must have the same dtype")
    if input.ndim not in (3, 4):
        raise RuntimeError(f"{op}: expected 3D (unbatched) or 4D (batched) input, but got input of size "
                           f"{list(input.shape)}")
    if weight.ndim != 4:
        raise RuntimeError(f"{op}: expected a 4D weight, got {desc(weight)}")


def _check_groups(op, groups, channels, what):
    if not isinstance(groups, numbers.Integral) or isinstance(groups, bool) or groups < 1:
        raise RuntimeError(f"{op}: groups must be a positive int, got {groups!r}")
    if channels % groups:
        raise RuntimeError(f"{op}: {what} ({channels}) must be divisible by groups ({groups})")


def _check_bias(op, bias, n):
    if bias is not None and tuple(bias.shape) != (n,):
        raise RuntimeError(f"{op}: expected bias of shape [{n}], got {desc(bias)}")


def _batched(input, fn):
    """Runs fn on a 4-D input, adding and removing the batch dim of an unbatched one."""
    if input.ndim == 3:
        return fn(input.unsqueeze(0)).squeeze(0)
    return fn(input)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) of (N, C, H, W) or (C, H, W) input with an
    (O, C/groups, kh, kw) weight. padding: int, pair, 'valid' or 'same' (stride 1)."""
    op = "conv2d"
    _check_common(op, input, weight, bias)
    stride = _pair(op, "stride", stride, 1)
    dilation = _pair(op, "dilation", dilation, 1)
    O, Cg, kh, kw = weight.shape
    C = input.shape[-3]
    _check_groups(op, groups, O, "out_channels (weight.shape[0])")
    if C != Cg * groups:
        raise RuntimeError(f"{op}: given groups={groups}, weight of size {list(weight.shape)}, expected input "
                           f"{list(input.shape)} to have {Cg * groups} channels, but got {C} channels instead")
    _check_bias(op, bias, O)
    crop = (0, 0)
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0, 0)
        elif padding == "same":
            if stride != (1, 1):
                raise ValueError(f"{op}: padding='same' is not supported for strided convolutions")
            total = [d * (k - 1) for d, k in zip(dilation, (kh, kw))]
            # An odd total pads one more on the bottom/right (as PyTorch): pad both sides
            # by the larger half and drop the first output row/column.
            padding = tuple((t + 1) // 2 for t in total)
            crop = tuple(t % 2 for t in total)
        else:
            raise ValueError(f"{op}: invalid padding string {padding!r}, should be one of 'valid', 'same'")
    else:
        padding = _pair(op, "padding", padding, 0)
    geo = _Geom((kh, kw), stride, padding, dilation, int(groups))
    H, W = input.shape[-2:]
    if min(geo.out_size((H, W))) < 1:
        eff = tuple(d * (k - 1) + 1 for d, k in zip(dilation, (kh, kw)))
        raise RuntimeError(f"{op}: kernel size {eff} (dilated) can't be greater than the padded input size "
                           f"{(H + 2 * padding[0], W + 2 * padding[1])} of input {desc(input)}")

    def run(x):
        y = _Conv2d.apply(x, weight, bias, geo)
        return y[:, :, crop[0]:, crop[1]:] if crop != (0, 0) else y
    return _batched(input, run)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 2-D convolution (the input-gradient of conv2d) of (N, Cin, H, W) or
    (Cin, H, W) input with an (Cin, Cout/groups, kh, kw) weight."""
    op = "conv_transpose2d"
    _check_common(op, input, weight, bias)
    stride = _pair(op, "stride", stride, 1)
    padding = _pair(op, "padding", padding, 0)
    output_padding = _pair(op, "output_padding", output_padding, 0)
    dilation = _pair(op, "dilation", dilation, 1)
    Cin, Og, kh, kw = weight.shape
    C = input.shape[-3]
    _check_groups(op, groups, Cin, "in_channels (weight.shape[0])")
    if C != Cin:
        raise RuntimeError(f"{op}: given groups={groups}, weight of size {list(weight.shape)}, expected input "
                           f"{list(input.shape)} to have {Cin} channels, but got {C} channels instead")
    _check_bias(op, bias, Og * groups)
    for op_, s, d in zip(output_padding, stride, dilation):
        if op_ >= s and op_ >= d:
            raise RuntimeError(f"{op}: output padding must be smaller than either stride or dilation, got "
                               f"output_padding={output_padding}, stride={stride}, dilation={dilation}")
    H, W = input.shape[-2:]
    out_hw = tuple((n - 1) * s - 2 * p + d * (k - 1) + o + 1
                   for n, s, p, d, k, o in zip((H, W), stride, padding, dilation, (kh, kw), output_padding))
    if min(out_hw) < 1:
        raise RuntimeError(f"{op}: input {desc(input)} with kernel {(kh, kw)}, stride {stride}, padding {padding} "
                           f"and dilation {dilation} gives a non-positive output size {out_hw}")
    geo = _Geom((kh, kw), stride, padding, dilation, int(groups))
    return _batched(input, lambda x: _ConvTranspose2d.apply(x, weight, bias, geo, out_hw))


__all__ = ["conv2d", "conv_transpose2d"]
