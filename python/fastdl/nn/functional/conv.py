"""conv2d and conv_transpose2d (torch.nn.functional semantics) on the whole-pass conv
drivers that every backend provides (_C.cpu: csrc/cpu/conv_driver.cpp, per-sample bands
of columns in a per-thread buffer, or direct AVX2 kernels for float32 layers with few
taps per group such as a CNN's first layer; _C.cuda: cuda/conv_driver.cpp, chunks of samples
through im2col / col2im and the batched matmul). Three raw passes (no autograd):
  _conv_forward     y  = W @ im2col(x) + b              (conv2d forward)
  _conv_input_grad  gx = col2im(W^T @ gy)               (conv2d input-grad = conv_transpose2d forward)
  _conv_weight_grad gW = sum_n gy[n] @ im2col(x)[n]^T   (weight-grad of both; conv2d's bias grad fused)
Each op is one Function whose backward uses the other two, so no column tensor is kept
in the graph: backward recomputes im2col(x), trading one unfold for the k*k-times-input
memory the columns would pin between forward and backward.
"""
import numbers

from ...autograd import Function, is_grad_enabled
from ...ops._util import backend, check_tensor, contiguous_data, desc, empty, same_device
from ._half import half_in_float32
from ...amp import autocast_mode as _amp


def _ntuple(op, name, v, minimum, n):
    """v as an n-tuple of ints >= minimum: an int repeats; a 1-element sequence too."""
    if type(v) is int and v >= minimum:  # the common case, without the checks below
        return (v,) * n
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            v = tuple(v) * n
        if len(v) != n:
            raise ValueError(f"{op}: {name} must be {_ints(n)}, got {v!r}")
        out = tuple(v)
    else:
        out = (v,) * n
    for e in out:
        if not isinstance(e, numbers.Integral) or isinstance(e, bool):
            raise TypeError(f"{op}: {name} must be {_ints(n)}, got {v!r}")
    if min(out) < minimum:
        kind = "positive" if minimum == 1 else "non-negative"
        raise RuntimeError(f"{op}: {name} must be {kind}, got {v!r}")
    return tuple(int(e) for e in out)


def _ints(n):
    return "an int" if n == 1 else f"an int or a {'pair' if n == 2 else f'{n}-tuple'} of ints"


def _pair(op, name, v, minimum):
    return _ntuple(op, name, v, minimum, 2)


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


def _conv_forward(x, w, b, geo):
    N, O = x.shape[0], w.shape[0]
    y = empty((N, O) + geo.out_size(x.shape[2:]), x.dtype, x.device)
    backend(x, "conv2d").conv2d_forward(x, contiguous_data(w), b, y, *geo.args(), geo.g)
    return y


def _conv_input_grad(gy, w, geo, in_hw):
    """The gradient w.r.t. a conv input of spatial size in_hw, given the output-gradient gy."""
    gx = empty((gy.shape[0], w.shape[1] * geo.g) + tuple(in_hw), gy.dtype, gy.device)
    backend(gy, "conv2d").conv2d_input_grad(contiguous_data(gy), contiguous_data(w), gx, *geo.args(), geo.g)
    return gx


def _conv_weight_grad(x, gy, geo, w_shape, bias_grad=False):
    """(gw, gb): gb is the bias gradient (gy summed over N, OH, OW) when asked for, else None."""
    gw = empty(w_shape, gy.dtype, gy.device)
    gb = empty((gy.shape[1],), gy.dtype, gy.device) if bias_grad else None
    backend(x, "conv2d").conv2d_weight_grad(x, contiguous_data(gy), gw, gb, *geo.args(), geo.g)
    return gw, gb


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
        if is_grad_enabled():  # create_graph: the two gradients as ops that differentiate again
            gx = _ConvInputGrad.apply(gy, w, ctx.geo, tuple(x.shape[2:])) if need[0] else None
            gw = _ConvWeightGrad.apply(x, gy, ctx.geo, tuple(w.shape)) if need[1] else None
            return gx, gw, _bias_grad(gy) if need[2] else None, None
        gy = contiguous_data(gy)  # once for both GEMM passes (a broadcast gradient has stride 0)
        gx = _conv_input_grad(gy, w, ctx.geo, x.shape[2:]) if need[0] else None
        gw, gb = None, None
        if need[1]:
            gw, gb = _conv_weight_grad(x, gy, ctx.geo, w.shape, need[2])
        elif need[2]:
            gb = _bias_grad(gy)
        return gx, gw, gb, None


# A convolution's two gradients are bilinear: gx(gy, w) with <gx, u> = <gy, conv(u, w)>
# and gw(x, gy) with <gw, v> = <gy, conv(x, v)>. So each one's derivatives are the
# forward and the other gradient, and these Functions close double backward.
class _ConvInputGrad(Function):
    @staticmethod
    def forward(ctx, gy, w, geo, in_hw):
        ctx.save_for_backward(gy, w)
        ctx.geo = geo
        return _conv_input_grad(contiguous_data(gy), w, geo, in_hw)

    @staticmethod
    def backward(ctx, ggx):
        gy, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        d_gy = _Conv2d.apply(ggx.contiguous(), w, None, ctx.geo) if need[0] else None
        d_w = _ConvWeightGrad.apply(ggx, gy, ctx.geo, tuple(w.shape)) if need[1] else None
        return d_gy, d_w, None, None


class _ConvWeightGrad(Function):
    @staticmethod
    def forward(ctx, x, gy, geo, w_shape):
        ctx.save_for_backward(x, gy)
        ctx.geo = geo
        return _conv_weight_grad(x, contiguous_data(gy), geo, w_shape)[0]

    @staticmethod
    def backward(ctx, ggw):
        x, gy = ctx.saved_tensors
        need = ctx.needs_input_grad
        d_x = _ConvInputGrad.apply(gy, ggw, ctx.geo, tuple(x.shape[2:])) if need[0] else None
        d_gy = _Conv2d.apply(x, ggw, None, ctx.geo) if need[1] else None
        return d_x, d_gy, None, None


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
        ctx.save_for_backward(xp, w, x)  # x itself for a recorded backward
        ctx.geo, ctx.in_hw = geo, (H, W)
        y = _conv_input_grad(xp, w, geo, out_hw)
        if b is not None:
            bv = b._view(y.shape, (0, b._strides[0], 0, 0), b._offset)
            backend(x, "conv_transpose2d").binary("add", y, bv, y)
        return y

    @staticmethod
    def backward(ctx, gy):
        xp, w, x = ctx.saved_tensors
        need = ctx.needs_input_grad
        if is_grad_enabled():  # create_graph: conv2d and its weight gradient, as Functions
            H, W = ctx.in_hw
            full = tuple(xp.shape[2:])
            if full != (H, W):  # the zero-padded x of forward, made differentiably
                from .padding import pad
                x = pad(x, (0, full[1] - W, 0, full[0] - H))
            gx = _Conv2d.apply(gy.contiguous(), w, None, ctx.geo)[:, :, :H, :W] if need[0] else None
            gw = _ConvWeightGrad.apply(gy, x, ctx.geo, tuple(w.shape)) if need[1] else None
            return gx, gw, _bias_grad(gy) if need[2] else None, None, None
        gy = contiguous_data(gy)
        gx = None
        if need[0]:
            H, W = ctx.in_hw
            gx = contiguous_data(_conv_forward(gy, w, None, ctx.geo)[:, :, :H, :W])
        gw = _conv_weight_grad(gy, xp, ctx.geo, w.shape)[0] if need[1] else None
        gb = _bias_grad(gy) if need[2] else None
        return gx, gw, gb, None, None


def _check_common(op, input, weight, bias, spatial=2):
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
    if input.ndim not in (spatial + 1, spatial + 2):
        raise RuntimeError(f"{op}: expected {spatial + 1}D (unbatched) or {spatial + 2}D (batched) input, but got "
                           f"input of size {list(input.shape)}")
    if weight.ndim != spatial + 2:
        raise RuntimeError(f"{op}: expected a {spatial + 2}D weight, got {desc(weight)}")


def _check_groups(op, groups, channels, what):
    if not isinstance(groups, numbers.Integral) or isinstance(groups, bool) or groups < 1:
        raise RuntimeError(f"{op}: groups must be a positive int, got {groups!r}")
    if channels % groups:
        raise RuntimeError(f"{op}: {what} ({channels}) must be divisible by groups ({groups})")


def _check_bias(op, bias, n):
    if bias is not None and tuple(bias.shape) != (n,):
        raise RuntimeError(f"{op}: expected bias of shape [{n}], got {desc(bias)}")


def _batched(input, n, fn):
    """Runs fn on a batched input (n spatial dims), adding and removing the batch dim
    of an unbatched one."""
    if input.ndim == n + 1:
        return fn(input.unsqueeze(0)).squeeze(0)
    return fn(input)


def _lift(t, n, fill):
    """An n-D (n = 1 or 2) geometry tuple as the 2-D one the kernels take: a 1-D conv
    runs as a 2-D conv over a height-1 view, with a 1-tall kernel."""
    return t if n == 2 else (fill,) + t


def _conv_checks(op, n, input, weight, bias, stride, dilation, groups):
    """conv1d/2d/3d's checks after _check_common: stride and dilation as n-tuples, the
    channels against groups and the bias; returns (stride, dilation, O, C/groups, ks, C)."""
    stride = _ntuple(op, "stride", stride, 1, n)
    dilation = _ntuple(op, "dilation", dilation, 1, n)
    O, Cg, ks = weight.shape[0], weight.shape[1], tuple(weight.shape[2:])
    C = input.shape[-n - 1]
    _check_groups(op, groups, O, "out_channels (weight.shape[0])")
    if C != Cg * groups:
        raise RuntimeError(f"{op}: given groups={groups}, weight of size {list(weight.shape)}, expected input "
                           f"{list(input.shape)} to have {Cg * groups} channels, but got {C} channels instead")
    _check_bias(op, bias, O)
    return stride, dilation, O, Cg, ks, C


def _conv(op, n, input, weight, bias, stride, padding, dilation, groups):
    """conv1d (n = 1) or conv2d (n = 2): checks in the caller's terms, then the 2-D conv."""
    _check_common(op, input, weight, bias, n)
    stride, dilation, O, Cg, ks, C = _conv_checks(op, n, input, weight, bias, stride, dilation, groups)
    crop = (0,) * n
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0,) * n
        elif padding == "same":
            if stride != (1,) * n:
                raise ValueError(f"{op}: padding='same' is not supported for strided convolutions")
            total = [d * (k - 1) for d, k in zip(dilation, ks)]
            # An odd total pads one more on the bottom/right (as PyTorch): pad both sides
            # by the larger half and drop the first output row/column.
            padding = tuple((t + 1) // 2 for t in total)
            crop = tuple(t % 2 for t in total)
        else:
            raise ValueError(f"{op}: invalid padding string {padding!r}, should be one of 'valid', 'same'")
    else:
        padding = _ntuple(op, "padding", padding, 0, n)
    sizes = tuple(input.shape[-n:])
    geo = _Geom(_lift(ks, n, 1), _lift(stride, n, 1), _lift(padding, n, 0), _lift(dilation, n, 1), int(groups))
    if min(geo.out_size(_lift(sizes, n, 1))) < 1:
        eff = tuple(d * (k - 1) + 1 for d, k in zip(dilation, ks))
        padded = tuple(m + 2 * p for m, p in zip(sizes, padding))
        raise RuntimeError(f"{op}: kernel size {eff} (dilated) can't be greater than the padded input size "
                           f"{padded} of input {desc(input)}")
    crop = _lift(crop, n, 0)
    w2 = weight if n == 2 else weight.unsqueeze(2)

    def run(x):
        y = _Conv2d.apply(x if n == 2 else x.unsqueeze(2), w2, bias, geo)
        if crop != (0, 0):
            y = y[:, :, crop[0]:, crop[1]:]
        return y if n == 2 else y.squeeze(2)
    return _batched(input, n, run)


@half_in_float32(same_dtype=("weight", "bias"))
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution (cross-correlation) of (N, C, L) or (C, L) input with an
    (O, C/groups, k) weight. padding: int, 'valid' or 'same' (stride 1)."""
    if _amp.on and _amp.here(): return _amp.run("conv1d", conv1d, input, weight, bias, stride, padding, dilation, groups)  # autocast
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


@half_in_float32(same_dtype=("weight", "bias"))
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) of (N, C, H, W) or (C, H, W) input with an
    (O, C/groups, kh, kw) weight. padding: int, pair, 'valid' or 'same' (stride 1)."""
    if _amp.on and _amp.here(): return _amp.run("conv2d", conv2d, input, weight, bias, stride, padding, dilation, groups)  # autocast
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def transposed_out_size(sizes, stride, padding, dilation, ks, output_padding):
    """The output size of a transposed convolution along each axis (PyTorch's formula)."""
    return tuple((m - 1) * s - 2 * p + d * (k - 1) + o + 1
                 for m, s, p, d, k, o in zip(sizes, stride, padding, dilation, ks, output_padding))


def _conv_transpose_checks(op, n, input, weight, bias, stride, padding, output_padding, groups, dilation):
    """conv_transpose1d/2d/3d's checks after _check_common; returns the n-tuples stride,
    padding, output_padding and dilation, Cin, O/groups, the kernel sizes and the output sizes."""
    stride = _ntuple(op, "stride", stride, 1, n)
    padding = _ntuple(op, "padding", padding, 0, n)
    output_padding = _ntuple(op, "output_padding", output_padding, 0, n)
    dilation = _ntuple(op, "dilation", dilation, 1, n)
    Cin, Og, ks = weight.shape[0], weight.shape[1], tuple(weight.shape[2:])
    C = input.shape[-n - 1]
    _check_groups(op, groups, Cin, "in_channels (weight.shape[0])")
    if C != Cin:
        raise RuntimeError(f"{op}: given groups={groups}, weight of size {list(weight.shape)}, expected input "
                           f"{list(input.shape)} to have {Cin} channels, but got {C} channels instead")
    _check_bias(op, bias, Og * groups)
    for o, s, d in zip(output_padding, stride, dilation):
        if o >= s and o >= d:
            raise RuntimeError(f"{op}: output padding must be smaller than either stride or dilation, got "
                               f"output_padding={output_padding}, stride={stride}, dilation={dilation}")
    out = transposed_out_size(tuple(input.shape[-n:]), stride, padding, dilation, ks, output_padding)
    if min(out) < 1:
        raise RuntimeError(f"{op}: input {desc(input)} with kernel {ks}, stride {stride}, padding {padding} "
                           f"and dilation {dilation} gives a non-positive output size {out}")
    return stride, padding, output_padding, dilation, Cin, Og, ks, out


def _conv_transpose(op, n, input, weight, bias, stride, padding, output_padding, groups, dilation):
    """conv_transpose1d (n = 1) or conv_transpose2d (n = 2)."""
    _check_common(op, input, weight, bias, n)
    stride, padding, output_padding, dilation, Cin, Og, ks, out = _conv_transpose_checks(
        op, n, input, weight, bias, stride, padding, output_padding, groups, dilation)
    geo = _Geom(_lift(ks, n, 1), _lift(stride, n, 1), _lift(padding, n, 0), _lift(dilation, n, 1), int(groups))
    w2 = weight if n == 2 else weight.unsqueeze(2)

    def run(x):
        if n == 2:
            return _ConvTranspose2d.apply(x, w2, bias, geo, out)
        return _ConvTranspose2d.apply(x.unsqueeze(2), w2, bias, geo, (1,) + out).squeeze(2)
    return _batched(input, n, run)


@half_in_float32(same_dtype=("weight", "bias"))
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 1-D convolution (the input-gradient of conv1d) of (N, Cin, L) or
    (Cin, L) input with a (Cin, Cout/groups, k) weight."""
    if _amp.on and _amp.here(): return _amp.run("conv_transpose1d", conv_transpose1d, input, weight, bias, stride, padding, output_padding, groups, dilation)  # autocast
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


@half_in_float32(same_dtype=("weight", "bias"))
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 2-D convolution (the input-gradient of conv2d) of (N, Cin, H, W) or
    (Cin, H, W) input with an (Cin, Cout/groups, kh, kw) weight."""
    if _amp.on and _amp.here(): return _amp.run("conv_transpose2d", conv_transpose2d, input, weight, bias, stride, padding, output_padding, groups, dilation)  # autocast
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]
