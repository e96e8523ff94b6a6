"""More pooling (torch.nn.functional semantics), composed from existing differentiable ops
so it runs on every device:
- max_pool1d/2d_with_indices: the 2-D kernel's max_pool with return_indices;
- max_pool3d and adaptive_max_pool1d/2d/3d: "window tables": per spatial dim an
  (out, k) table of input positions; index_select gathers every window into a trailing
  axis (memory: output size times window volume), argmax picks torch's element (the first
  maximum in scan order; padding never wins), and a gather of the flat indices gives the
  values, so the gradient goes to the chosen elements as torch's;
- avg_pool3d and adaptive_avg_pool3d: separable (the divisor of a box window is a product
  of per-dim factors), as the 2-D kernels over (H, W) then over D;
- max_unpool1d/2d/3d: scatter of the values at their flat indices into zeros;
- lp_pool1d/2d/3d: torch's formula over avg_pool;
- fractional_max_pool2d: in pooling_fractional.py (any number of spatial dims).
Indices are int64 flat positions within the input's spatial plane / volume, as torch's."""
import numbers

import numpy as np

from ... import dtypes as _dt
from ...autograd import no_grad
from ...ops._util import check_tensor, desc
from ...ops.elementwise import sign
from ...ops.indexing import gather, index_select, masked_fill
from ...ops.indexing_extra import scatter
from ...ops.reduce import argmax
from .activation import relu
from .conv import _ntuple
from .pooling import (_adaptive_output_size, _check_input, _out_size, adaptive_avg_pool2d, avg_pool1d, avg_pool2d,
                      max_pool1d, max_pool2d)
from ._half import half_in_float32
from .pool_int import ints_via_float64
from ...amp import autocast_mode as _amp

__all__ = ["max_pool1d_with_indices", "max_pool2d_with_indices", "max_pool3d", "max_pool3d_with_indices",
           "avg_pool3d", "adaptive_avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
           "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
           "adaptive_max_pool3d_with_indices", "max_unpool1d", "max_unpool2d", "max_unpool3d", "lp_pool1d",
           "lp_pool2d", "lp_pool3d", "fractional_max_pool2d", "fractional_max_pool2d_with_indices"]


@half_in_float32
def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    """max_pool1d returning (values, int64 indices along L)."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True)


@half_in_float32
def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    """max_pool2d returning (values, int64 flat indices h*W + w)."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True)


# ------------------------------------------------------------------ window tables


def _pool_table(n_in, n_out, k, s, p, d):
    """(positions (n_out, k) clipped into the input, valid mask) of a strided window."""
    pos = np.arange(n_out)[:, None] * s - p + np.arange(k)[None, :] * d
    return np.clip(pos, 0, n_in - 1), (pos >= 0) & (pos < n_in)


def _adaptive_table(n_in, n_out):
    """torch's adaptive windows [floor(o*in/out), ceil((o+1)*in/out)) padded to the
    longest one by repeating the last element (a repeat never changes the max)."""
    o = np.arange(n_out)
    start, end = (o * n_in) // n_out, -((-(o + 1) * n_in) // n_out)
    pos = start[:, None] + np.arange(int((end - start).max()))[None, :]
    return np.minimum(pos, end[:, None] - 1), np.ones(pos.shape, bool)


def _max_by_tables(x, tables):
    """Max of batched x (N, C, *S) over the windows the per-dim tables give:
    (values (N, C, *O), int64 flat indices into S)."""
    from ...tensor import tensor
    N, C, S = x.shape[0], x.shape[1], tuple(x.shape[2:])
    n = len(S)
    outs = tuple(t[0].shape[0] for t in tables)
    ks = tuple(t[0].shape[1] for t in tables)
    strides = [int(np.prod(S[i + 1:])) for i in range(n)]
    lin, valid = np.zeros(outs + ks, np.int64), np.ones(outs + ks, bool)
    for i, (pos, ok) in enumerate(tables):  # broadcast table i over axes (i, n + i)
        shape = [1] * (2 * n)
        shape[i], shape[n + i] = pos.shape
        lin = lin + pos.reshape(shape) * strides[i]
        valid = valid & ok.reshape(shape)
    ktot = int(np.prod(ks))
    lin, valid = lin.reshape(outs + (ktot,)), valid.reshape(outs + (ktot,))
    with no_grad():
        v = x.detach()
        for i, (pos, _) in enumerate(tables):
            v = index_select(v, 2 + i, tensor(pos.reshape(-1), device=x.device))
        v = v.reshape((N, C) + tuple(e for o, k in zip(outs, ks) for e in (o, k)))
        v = v.permute([0, 1] + [2 + 2 * i for i in range(n)] + [3 + 2 * i for i in range(n)])
        v = v.reshape((N, C) + outs + (ktot,))
        if not valid.all():
            v = masked_fill(v, tensor(~valid, device=x.device), float("-inf"))
        a = argmax(v, dim=-1, keepdim=True)
        table = tensor(lin, device=x.device).expand((N, C) + outs + (ktot,))
        idx = gather(table, v.ndim - 1, a).reshape(N, C, -1)
    out = gather(x.reshape(N, C, -1), 2, idx)
    return out.reshape((N, C) + outs), idx.reshape((N, C) + outs)


def _batched(x, n, fn):
    """fn on a batched input; an unbatched one gets (and loses) a batch dim. float16 /
    bfloat16 run on a float32 copy, the values rounded back once (exact for a max)."""
    if x.dtype in _dt.HALF:
        outs = _batched(x.to(_dt.float32), n, fn)
        if isinstance(outs, tuple):
            return (outs[0].to(x.dtype),) + tuple(outs[1:])
        return outs.to(x.dtype)
    if x.ndim == n + 2:
        return fn(x)
    outs = fn(x.unsqueeze(0))
    return tuple(o.squeeze(0) for o in outs) if isinstance(outs, tuple) else outs.squeeze(0)


# ------------------------------------------------------------------ max_pool3d


def _window3d(op, x, kernel_size, stride, padding, dilation, ceil_mode):
    k = _ntuple(op, "kernel_size", kernel_size, 1, 3)
    empty_stride = stride is None or (isinstance(stride, (tuple, list)) and not stride)
    s = k if empty_stride else _ntuple(op, "stride", stride, 1, 3)
    p = _ntuple(op, "padding", padding, 0, 3)
    d = _ntuple(op, "dilation", dilation, 1, 3)
    if any(pi > ki // 2 for pi, ki in zip(p, k)):
        raise RuntimeError(f"{op}: pad should be at most half of effective kernel size, but got pad={p} and "
                           f"kernel_size={k}")
    out = tuple(_out_size(m, *a, bool(ceil_mode)) for m, a in zip(x.shape[-3:], zip(k, s, p, d)))
    if min(out) < 1:
        raise RuntimeError(f"{op}: output size {out} is too small for input {desc(x)} with kernel_size={k}, "
                           f"stride={s}, padding={p}, dilation={d}")
    return k, s, p, d, out


@ints_via_float64
@half_in_float32
def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over (dilated) 3-D windows of (N, C, D, H, W) or (C, D, H, W) input; with
    return_indices also the int64 flat index d*H*W + h*W + w of each max."""
    if _amp.on and _amp.here(): return _amp.run("max_pool3d", max_pool3d, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)  # autocast
    op = "max_pool3d"
    _check_input(op, input, 3)
    k, s, p, d, out = _window3d(op, input, kernel_size, stride, padding, dilation, ceil_mode)
    tables = [_pool_table(m, *a) for m, a in zip(input.shape[-3:], zip(out, k, s, p, d))]
    res = _batched(input, 3, lambda x: _max_by_tables(x, tables))
    return res if return_indices else res[0]


@half_in_float32
def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True)


# ------------------------------------------------------------------ avg_pool3d


@half_in_float32
def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Mean over 3-D windows, divisor as torch's. Separable: avg_pool2d over (H, W) of each
    depth slice, then over D of an (N, C, D, OH*OW) view with a (kd, 1) window (the
    window's divisor is the product of the per-dim ones, and so is each clipped count)."""
    if _amp.on and _amp.here(): return _amp.run("avg_pool3d", avg_pool3d, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)  # autocast
    op = "avg_pool3d"
    _check_input(op, input, 3)
    k, s, p, _, out = _window3d(op, input, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None and (not isinstance(divisor_override, numbers.Integral)
                                         or isinstance(divisor_override, bool) or divisor_override <= 0):
        raise RuntimeError(f"{op}: divisor_override must be a positive int, got {divisor_override!r}")

    def run(x):
        N, C, D, H, W = x.shape
        y = avg_pool2d(x.reshape(N, C * D, H, W), k[1:], s[1:], p[1:], ceil_mode, count_include_pad,
                       divisor_override)
        y = avg_pool2d(y.reshape(N, C, D, out[1] * out[2]), (k[0], 1), (s[0], 1), (p[0], 0), ceil_mode,
                       count_include_pad, None if divisor_override is None else 1)
        return y.reshape(N, C, *out)
    return _batched(input, 3, run)


def _output_size(op, n, input, output_size):
    return _adaptive_output_size(op, n, input, output_size,
                                 f"an int or a {n}-tuple of ints (None keeps the input size)")


@half_in_float32
def adaptive_avg_pool3d(input, output_size):
    """Adaptive average over (D, H, W): separable, adaptive_avg_pool2d over (H, W), then
    over D of an (N, C, D, OH*OW) view (an unchanged width is an identity)."""
    if _amp.on and _amp.here(): return _amp.run("adaptive_avg_pool3d", adaptive_avg_pool3d, input, output_size)  # autocast
    op = "adaptive_avg_pool3d"
    _check_input(op, input, 3)
    out = _output_size(op, 3, input, output_size)

    def run(x):
        N, C, D, H, W = x.shape
        y = adaptive_avg_pool2d(x.reshape(N, C * D, H, W), out[1:])
        y = adaptive_avg_pool2d(y.reshape(N, C, D, out[1] * out[2]), (out[0], out[1] * out[2]))
        return y.reshape(N, C, *out)
    return _batched(input, 3, run)


# ------------------------------------------------------------------ adaptive max


def _adaptive_max(op, n, input, output_size, return_indices):
    _check_input(op, input, n)
    out = _output_size(op, n, input, output_size)
    if min(out) == 0 or input.numel() == 0:  # an empty result (torch: an output size 0, or an empty batch)
        return _empty_adaptive(input, n, out, return_indices)
    tables = [_adaptive_table(m, o) for m, o in zip(input.shape[-n:], out)]
    res = _batched(input, n, lambda x: _max_by_tables(x, tables))
    return res if return_indices else res[0]


def _empty_adaptive(input, n, out, return_indices):
    shape = tuple(input.shape[:-n]) + tuple(out)
    res = input.narrow(-1, 0, 0).reshape(shape)  # (differentiable: an input that requires grad gets zeros)
    if not return_indices:
        return res
    from ...tensor import zeros
    return res, zeros(shape, dtype=_dt.int64, device=input.device)


@half_in_float32
def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max over windows [floor(o*L/out), ceil((o+1)*L/out)) of (N, C, L) or (C, L) input."""
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size, return_indices)


@half_in_float32
def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Adaptive max over (H, W); indices are flat h*W + w."""
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size, return_indices)


@half_in_float32
def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Adaptive max over (D, H, W); indices are flat d*H*W + h*W + w."""
    if _amp.on and _amp.here(): return _amp.run("adaptive_max_pool3d", adaptive_max_pool3d, input, output_size, return_indices)  # autocast
    return _adaptive_max("adaptive_max_pool3d", 3, input, output_size, return_indices)


@half_in_float32
def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool1d(input, output_size, True)


@half_in_float32
def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool2d(input, output_size, True)


@half_in_float32
def adaptive_max_pool3d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool3d(input, output_size, True)


# ------------------------------------------------------------------ max_unpool


def _max_unpool(op, n, input, indices, kernel_size, stride, padding, output_size):
    check_tensor(op, input)
    check_tensor(op, indices, "indices")
    if input.ndim not in (n + 1, n + 2):
        raise RuntimeError(f"{op}: expected {n + 1}D or {n + 2}D (batch mode) input, got {desc(input)}")
    if indices.dtype is not _dt.int64:
        raise TypeError(f"{op}: expected indices to be an int64 tensor, got {desc(indices)}")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"{op}: expected shape of indices to be the same as that of the input, got indices "
                           f"{desc(indices)} and input {desc(input)}")
    k = _ntuple(op, "kernel_size", kernel_size, 1, n)
    s = k if stride is None else _ntuple(op, "stride", stride, 1, n)
    p = _ntuple(op, "padding", padding, 0, n)
    default = tuple((m - 1) * si - 2 * pi + ki for m, si, pi, ki in zip(input.shape[-n:], s, p, k))
    if output_size is None:
        size = default
    else:
        size = tuple(output_size)
        if len(size) == n + 2:
            size = size[-n:]
        if len(size) != n:
            raise ValueError(f"{op}: output_size should be a sequence containing {n} or {n + 2} elements, but it "
                             f"has a length of '{len(tuple(output_size))}'")
        for o, dflt, si in zip(size, default, s):
            if not dflt - si < o < dflt + si:
                raise ValueError(f"{op}: invalid output_size {tuple(output_size)!r} (dim sizes must be between "
                                 f"{tuple(a - b for a, b in zip(default, s))} and "
                                 f"{tuple(a + b for a, b in zip(default, s))}, exclusive)")
        size = tuple(int(o) for o in size)
    total = int(np.prod(size))
    if indices.numel():
        lo, hi = int(indices.min()), int(indices.max())
        if lo < 0 or hi >= total:
            raise RuntimeError(f"{op}: found an invalid max index {lo if lo < 0 else hi} (output volumes are of "
                               f"size {'x'.join(map(str, size))})")

    def run(x, idx):
        from ...tensor import zeros
        N, C = x.shape[:2]
        base = zeros((N, C, total), dtype=x.dtype, device=x.device)
        return scatter(base, 2, idx.reshape(N, C, -1), x.reshape(N, C, -1)).reshape((N, C) + size)
    if input.ndim == n + 1:
        return run(input.unsqueeze(0), indices.unsqueeze(0)).squeeze(0)
    return run(input, indices)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool1d: values put at their indices, zeros elsewhere."""
    return _max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool2d (flat h*W + w indices)."""
    if _amp.on and _amp.here(): return _amp.run("max_unpool2d", max_unpool2d, input, indices, kernel_size, stride, padding, output_size)  # autocast
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool3d (flat d*H*W + h*W + w indices)."""
    if _amp.on and _amp.here(): return _amp.run("max_unpool3d", max_unpool3d, input, indices, kernel_size, stride, padding, output_size)  # autocast
    return _max_unpool("max_unpool3d", 3, input, indices, kernel_size, stride, padding, output_size)


# ------------------------------------------------------------------ lp_pool


def _lp(op, n, input, norm_type, kernel_size, stride, ceil_mode, pool):
    check_tensor(op, input)
    if not isinstance(norm_type, numbers.Real) or isinstance(norm_type, bool):
        raise TypeError(f"{op}: norm_type must be a number, got {norm_type!r}")
    k = _ntuple(op, "kernel_size", kernel_size, 1, n)
    out = pool(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    # torch's formula: the sign/relu pair zeroes a mean that rounding made negative
    return (sign(out) * relu(out.abs())).mul(int(np.prod(k))).pow(1.0 / norm_type)


@half_in_float32
def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling: (sum over the window of x^p)^(1/p)."""
    return _lp("lp_pool1d", 1, input, norm_type, kernel_size, stride, ceil_mode, avg_pool1d)


@half_in_float32
def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp("lp_pool2d", 2, input, norm_type, kernel_size, stride, ceil_mode, avg_pool2d)


@half_in_float32
def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp("lp_pool3d", 3, input, norm_type, kernel_size, stride, ceil_mode, avg_pool3d)


# ------------------------------------------------------------------ fractional max pool
# generalised to N spatial dims in pooling_fractional.py (2-D and 3-D)
from .pooling_fractional import fractional_max_pool2d, fractional_max_pool2d_with_indices  # noqa: E402,F401
