"""interpolate (torch.nn.functional.interpolate) on (N, C, W), (N, C, H, W) and
(N, C, D, H, W) input, composed from differentiable ops so it runs on any device and its
gradient is automatic: 'nearest' and 'nearest-exact' are one index_select per spatial
dim; 'linear', 'bilinear' and 'trilinear' are separable (per dim two index_selects and
a weighted sum); 'area' (3-D and 4-D) is adaptive average pooling, as in torch.

The source positions and weights are computed on the host as torch's CPU kernels do,
in the same precision (float32 for float32 and the half types, float64 for float64) and
with the same shortcuts (a dim whose size is unchanged is copied by the linear modes and
by 4-D 'nearest'), so the pixels picked are torch's, not merely close to them. (torch's
backward of 'nearest' always takes the 4-D rule; on 3-D / 5-D input with an unchanged or
doubled size from a scale_factor such as 1.2 or 2.2 its gradient does not match its own
forward. Here the gradient is the forward's.)"""
import math
import numbers

import numpy as np

from ... import _C, dtypes as _dt
from ...autograd import Function, is_grad_enabled
from ...ops._util import check_tensor, desc, empty
from ...ops.indexing import index_select
from ...ops.shape import clone
from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d

__all__ = ["interpolate"]

_ALL_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_NEEDS = {"linear": 3, "bilinear": 4, "trilinear": 5}  # the input rank each interpolating mode takes


def _spatial(op, x, value, name, check):
    """value as one entry per spatial dim (a scalar is repeated), each passing check."""
    dim = x.ndim - 2
    if isinstance(value, (list, tuple)):
        if len(value) != dim:
            what = "output size" if name == "size" else "scale_factor of shape"
            raise ValueError(f"{op}: input and {name} must have the same number of spatial dimensions, but got "
                             f"input with spatial dimensions of {list(x.shape[2:])} and {what} {tuple(value)} "
                             f"(input {desc(x)}); give input as (N, C, d1, ..., dK) and {name} as (s1, ..., sK)")
        value = list(value)
    else:
        value = [value] * dim
    for v in value:
        if not check(v):
            kind = "int or a tuple of ints" if name == "size" else "float or a tuple of floats"
            raise TypeError(f"{op}: expected {name} to be an {kind}, got {value!r} (input {desc(x)})")
    return value


def _sizes_and_scales(op, x, size, scale_factor, recompute_scale_factor):
    """The output's spatial sizes, and the scales the kernels get (None: from the sizes)."""
    dim = x.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError(f"{op}: only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError(f"{op}: either size or scale_factor should be defined")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError(f"{op}: recompute_scale_factor is not meaningful with an explicit size")
        sizes = _spatial(op, x, size, "size", lambda v: isinstance(v, numbers.Integral))
        return [int(s) for s in sizes], [None] * dim
    scales = [float(s) for s in _spatial(op, x, scale_factor, "scale_factor",
                                         lambda v: isinstance(v, numbers.Real))]
    sizes = []
    for n, s in zip(x.shape[2:], scales):
        if not math.isfinite(n * s):
            raise RuntimeError(f"{op}: the output size {n} * {s} cannot be converted to an int64 without overflow "
                               f"(input {desc(x)}, scale_factor {scale_factor!r})")
        sizes.append(int(n * s))  # truncation toward zero, as torch's conversion
    # recompute_scale_factor: the kernels see only the integer sizes, not the scales
    return sizes, ([None] * dim if recompute_scale_factor else scales)


def _check_sizes(op, x, sizes):
    """torch's upsample shape checks: every spatial size positive, channels non-empty."""
    names = "DHW"[-len(sizes):]
    ins, outs = list(x.shape[2:]), list(sizes)
    if min(ins + outs) <= 0:
        def fmt(vals):
            return ", ".join(f"{a}: {v}" for a, v in zip(names, vals))
        raise RuntimeError(f"{op}: input and output sizes should be greater than 0, but got input ({fmt(ins)}) "
                           f"and output ({fmt(outs)}) (input {desc(x)})")
    if x.shape[1] == 0:
        raise RuntimeError(f"{op}: non-empty {x.ndim}D data tensor expected (only the batch may be empty), "
                           f"got {desc(x)}")


def _scale(T, n_in, n_out, scale):
    """compute_scales_value: 1 / scale_factor when one was given, else n_in / n_out, in T."""
    return T(1.0 / scale) if scale is not None and scale > 0 else T(n_in) / T(n_out)


def _nearest_index(mode, T, n_in, n_out, scale, legacy):
    """For each output position, the input position it copies, as torch's CPU kernels
    pick it. 'nearest' on 4-D input runs torch's nearest_idx (legacy: a copy for an
    unchanged size, j // 2 for a doubled one, else floor(j * scale) in float32); on 3-D /
    5-D input, and 'nearest-exact' everywhere, its HelperInterpNearest(Exact) in
    precision T, the position rounded to float32 as their floorf takes it."""
    j = np.arange(n_out)
    if legacy:
        if n_out == n_in:
            return j
        if n_out == 2 * n_in:
            return j >> 1
        T = np.float32
    ratio = _scale(T, n_in, n_out, scale)
    if mode == "nearest":  # floor(j * scale): the OpenCV INTER_NEAREST rule torch keeps
        src = ratio * j.astype(T)
    else:  # round((j + 0.5) * scale - 0.5), the position clamped at 0 first
        src = np.maximum(ratio * (j.astype(T) + T(0.5)) - T(0.5), T(0)).astype(np.float64) + 0.5
    idx = np.floor(src.astype(np.float32)).astype(np.int64)
    return np.minimum(idx, n_in - 1)


def _linear_weights(T, n_in, n_out, scale, align_corners):
    """(i0, i1, w0, w1) per output position: torch's compute_source_index_and_lambda in
    precision T (its opmath type), for a size that changes (an unchanged one is a copy)."""
    j = np.arange(n_out)
    if align_corners:
        ratio = T(n_in - 1) / T(n_out - 1) if n_out > 1 else T(0)
        real = ratio * j.astype(T)
    else:
        ratio = _scale(T, n_in, n_out, scale)
        real = np.maximum(ratio * (j.astype(T) + T(0.5)) - T(0.5), T(0))
    i0 = np.minimum(np.floor(real).astype(np.int64), n_in - 1)
    i1 = i0 + (i0 < n_in - 1)
    w1 = np.clip(real - i0.astype(T), T(0), T(1)).astype(T)
    return i0, i1, (T(1) - w1).astype(T), w1


def _index(idx, x):
    from ...tensor import tensor
    return tensor(idx.astype(np.int64), device=x.device)


def _weight(w, x, d):
    """w shaped to broadcast along dim d of x."""
    from ...tensor import tensor
    return tensor(w.reshape((-1,) + (1,) * (x.ndim - 1 - d)), dtype=x.dtype, device=x.device)


def _nearest(mode, x, sizes, scales):
    out = x
    T = np.float64 if x.dtype is _dt.float64 else np.float32
    for k, (n_out, scale) in enumerate(zip(sizes, scales)):
        d, n_in = 2 + k, x.shape[2 + k]
        idx = _nearest_index(mode, T, n_in, n_out, scale, legacy=mode == "nearest" and x.ndim == 4)
        if n_out != n_in or np.any(idx != np.arange(n_in)):
            out = index_select(out, d, _index(idx, x))
    return clone(x) if out is x else out


class _InterpLinear(Function):
    """One dim of the linear modes in one pass of the CPU kernel interp_linear
    (csrc/cpu/interp.h: the composed ops' bits without their four temporaries); its
    gradient is the adjoint kernel."""

    @staticmethod
    def forward(ctx, x, d, i0, i1, w0, w1):
        x = x.contiguous()
        shape = list(x.shape)
        shape[d] = i0.shape[0]
        out = empty(tuple(shape), x.dtype, x.device)
        _C.cpu.interp_linear(x, out, d, i0, i1, w0, w1)
        ctx.save_for_backward(i0, i1, w0, w1)
        ctx.meta = (d, tuple(x.shape))
        return out

    @staticmethod
    def backward(ctx, g):
        d, shape = ctx.meta
        args = (g, d, shape) + tuple(ctx.saved_tensors)
        gx = _InterpLinearAdjoint.apply(*args) if is_grad_enabled() else _InterpLinearAdjoint.forward(None, *args)
        return gx, None, None, None, None, None


class _InterpLinearAdjoint(Function):
    """interp_linear's adjoint (each output's gradient added, weighted, into the two
    inputs it read); linear in g, so its own gradient is the interpolation again."""

    @staticmethod
    def forward(ctx, g, d, shape, i0, i1, w0, w1):
        g = g.contiguous()
        gx = empty(shape, g.dtype, g.device)
        _C.cpu.interp_linear_backward(g, gx, d, i0, i1, w0, w1)
        if ctx is not None:
            ctx.save_for_backward(i0, i1, w0, w1)
            ctx.d = d
        return gx

    @staticmethod
    def backward(ctx, ggx):
        return (_InterpLinear.apply(ggx, ctx.d, *ctx.saved_tensors),) + (None,) * 6


def _linear(x, sizes, scales, align_corners):
    out = x
    T = np.float64 if x.dtype is _dt.float64 else np.float32
    fused = x.device.type == "cpu" and x.dtype in (_dt.float32, _dt.float64)
    for k, (n_out, scale) in enumerate(zip(sizes, scales)):
        d, n_in = 2 + k, x.shape[2 + k]
        if n_out == n_in:
            continue  # an unchanged size: torch copies, whatever the scale
        i0, i1, w0, w1 = _linear_weights(T, n_in, n_out, scale, align_corners)
        if fused:
            from ...tensor import tensor
            weights = [tensor(w, dtype=x.dtype) for w in (w0, w1)]
            out = _InterpLinear.apply(out, d, _index(i0, x), _index(i1, x), *weights)
            continue
        lo = index_select(out, d, _index(i0, x))
        hi = index_select(out, d, _index(i1, x))
        out = lo * _weight(w0, out, d) + hi * _weight(w1, out, d)
    return clone(x) if out is x else out


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resizes the spatial dims of (N, C, *spatial) input to `size`, or by
    `scale_factor` (the output size is floor(in * scale); unless recompute_scale_factor,
    the source positions use the scale itself, as torch's do)."""
    op = "interpolate"
    from ...ops.complex_more import refuse_any  # torch refuses complex here too
    refuse_any(op, input)
    check_tensor(op, input)
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(f"{op}: align_corners option can only be set with the interpolating modes: "
                             f"linear | bilinear | bicubic | trilinear (got mode {mode!r})")
    elif align_corners is None:
        align_corners = False
    if not 3 <= input.ndim <= 5:
        raise NotImplementedError(f"{op}: only 3D, 4D and 5D input tensors are supported (got "
                                  f"{input.ndim}D input {desc(input)}) for the modes: {_ALL_MODES} (got {mode!r})")
    sizes, scales = _sizes_and_scales(op, input, size, scale_factor,
                                      recompute_scale_factor or (mode == "area" and size is None))
    if antialias:
        raise NotImplementedError(f"{op}: antialias=True is not implemented in fastdl (mode {mode!r}, input "
                                  f"{desc(input)})")
    if mode in _NEEDS and input.ndim != _NEEDS[mode]:
        raise NotImplementedError(f"{op}: got {input.ndim}D input {desc(input)}, but {mode} mode needs "
                                  f"{_NEEDS[mode]}D input")
    if mode not in ("nearest", "nearest-exact", "linear", "bilinear", "trilinear", "area") or \
            (mode == "area" and input.ndim == 5):
        known = mode in _ALL_MODES.split(" | ")
        raise NotImplementedError(f"{op}: mode {mode!r} on {input.ndim}D input ({desc(input)}) is not "
                                  + ("implemented in fastdl" if known else f"supported; the modes: {_ALL_MODES}")
                                  + "; fastdl has nearest, nearest-exact, linear (3D), bilinear (4D), "
                                  "trilinear (5D) and area (3D, 4D)")
    if mode == "area":
        return (adaptive_avg_pool1d if input.ndim == 3 else adaptive_avg_pool2d)(input, sizes)
    _check_sizes(op, input, sizes)
    if mode.startswith("nearest"):  # copies, so any dtype (torch's kernels: floats and uint8 only)
        return _nearest(mode, input, sizes, scales)
    if input.dtype is _dt.uint8 and mode == "bilinear":
        from .interp_uint8 import bilinear_uint8
        return bilinear_uint8(input, sizes, scales, align_corners)
    if not input.dtype.is_floating_point:
        raise TypeError(f"{op}: {mode} interpolation needs a floating point input, got {desc(input)}")
    if input.dtype in _dt.HALF:  # weights and sums in float32, as torch's opmath
        return _linear(input.to(_dt.float32), sizes, scales, align_corners).to(input.dtype)
    return _linear(input, sizes, scales, align_corners)
