"""Fractional max pooling over any number of spatial dims (fractional_max_pool2d / 3d and
their _with_indices forms; torch.nn.functional's semantics; Graham, 2014).

One pair / triple of samples u in [0, 1) per (batch, channel) plane picks torch's
pseudo-random window starts per dim (torch's generate_intervals); every window's flat
input positions form a table (N, C, windows, window volume), argmax over one gather
picks torch's element (the first maximum in scan order) and a gather of the input at
those flat indices gives the values, so the gradient goes where torch's does. Composed
from differentiable ops: runs on every device. Indices are int64 flat positions within
each plane (h * W + w, or (t * H + h) * W + w)."""
from ... import dtypes as _dt
from ...autograd import no_grad
from ...ops._util import check_tensor, desc
from ...ops.indexing import gather
from ...ops.reduce import argmax
from ...ops.shape import cat
from .conv import _ntuple
from .pooling import _check_input
from ._half import half_in_float32
from ...amp import autocast_mode as _amp

__all__ = ["fractional_max_pool2d", "fractional_max_pool2d_with_indices", "fractional_max_pool3d",
           "fractional_max_pool3d_with_indices"]

# which sample of a plane drives each spatial dim: torch's 2-D kernel reads (w, h), the 3-D one (t, h, w)
_SAMPLE_OF_DIM = {2: (1, 0), 3: (0, 1, 2)}
_DIM_NAMES = {2: ("height", "width"), 3: ("time", "height", "width")}


def _intervals(samples, n_in, n_out, k):
    """torch's generate_intervals for every plane: window starts (N, C, n_out) from the
    plane's sample u in [0, 1): floor((i + u) * alpha) - floor(u * alpha), alpha =
    (n_in - k) / (n_out - 1), the last window flush with the end (in the samples' dtype)."""
    from ...tensor import arange
    if n_out == 1:
        return (samples * 0).unsqueeze(-1).to(_dt.int64) + (n_in - k)
    alpha = (n_in - k) / (n_out - 1)
    i = arange(n_out - 1, device=samples.device).to(samples.dtype)
    u = samples.unsqueeze(-1)
    starts = ((i + u) * alpha).floor() - (u * alpha).floor()
    last = (u * 0).expand(tuple(u.shape[:-1]) + (1,)) + (n_in - k)
    return cat([starts, last], -1).to(_dt.int64)


def _batched(x, n, fn):
    """fn on a batched input; an unbatched one gets (and loses) a batch dim. float16 /
    bfloat16 run on a float32 copy, the values rounded back once (exact for a max)."""
    if x.dtype in _dt.HALF:
        y, idx = _batched(x.to(_dt.float32), n, fn)
        return y.to(x.dtype), idx
    if x.ndim == n + 2:
        return fn(x)
    y, idx = fn(x.unsqueeze(0))
    return y.squeeze(0), idx.squeeze(0)


def _output_size(op, nd, input, output_size, output_ratio):
    if output_size is None and output_ratio is None:
        raise ValueError(f"{op} requires specifying either an output_size or an output_ratio")
    sizes = tuple(input.shape[-nd:])
    if output_size is not None:
        return _ntuple(op, "output_size", output_size, 1, nd)
    ratio = tuple(output_ratio) if isinstance(output_ratio, (tuple, list)) else (output_ratio,) * nd
    if len(ratio) != nd:
        raise ValueError(f"{op} requires output_ratio to either be a single number or a tuple of {nd}, "
                         f"got {output_ratio!r}")
    return tuple(int(s * r) for s, r in zip(sizes, ratio))


def _fractional_max_pool(op, nd, input, kernel_size, output_size, output_ratio, return_indices, _random_samples):
    _check_input(op, input, nd)
    k = _ntuple(op, "kernel_size", kernel_size, 1, nd)
    out = _output_size(op, nd, input, output_size, output_ratio)
    sizes = tuple(input.shape[-nd:])
    for name, o, kk, m in zip(_DIM_NAMES[nd], out, k, sizes):
        if o + kk - 1 > m:
            raise RuntimeError(f"{op}: out{name} ({o}) + pool{name} ({kk}) - 1 must be at most the input {name} "
                               f"({m}) (input {desc(input)})")
    N = 1 if input.ndim == nd + 1 else input.shape[0]
    C = input.shape[-nd - 1]
    if _random_samples is None:
        from ...ops.random import rand
        _random_samples = rand(N, C, nd, dtype=_dt.float32 if input.dtype in _dt.HALF else input.dtype,
                               device=input.device)
    else:
        check_tensor(op, _random_samples, "_random_samples")
        if tuple(_random_samples.shape) != (N, C, nd):
            raise RuntimeError(f"{op}: expected _random_samples of shape {[N, C, nd]}, got {desc(_random_samples)}")
    plane = 1
    for s in sizes:
        plane *= s
    n_win = 1
    for o in out:
        n_win *= o
    vol = 1
    for kk in k:
        vol *= kk

    def run(x):
        from ...tensor import arange
        with no_grad():
            u = _random_samples.detach().to(x.dtype)
            lin, stride = 0, plane
            for d in range(nd):  # per dim: (N, C, out_d, k_d) positions, placed on their own axes
                stride //= sizes[d]
                starts = _intervals(u[..., _SAMPLE_OF_DIM[nd][d]], sizes[d], out[d], k[d])
                pos = starts.unsqueeze(-1) + arange(k[d], device=x.device)
                shape = [N, C] + [1] * (2 * nd)
                shape[2 + d], shape[2 + nd + d] = out[d], k[d]
                lin = lin + pos.reshape(shape) * stride
            lin = lin.expand(N, C, *out, *k).reshape(N, C, n_win, vol)
            v = gather(x.detach().reshape(N, C, 1, plane).expand(N, C, n_win, plane), 3, lin)
            idx = gather(lin, 3, argmax(v, dim=-1, keepdim=True)).reshape(N, C, n_win)
        y = gather(x.reshape(N, C, plane), 2, idx)
        return y.reshape(N, C, *out), idx.reshape(N, C, *out)
    res = _batched(input, nd, run)
    return res if return_indices else res[0]


@half_in_float32
def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    """Max over kh x kw windows at pseudo-random fractional strides; _random_samples
    (N, C, 2) in [0, 1) picks them (w first, as torch), drawn with fastdl.rand if None."""
    return _fractional_max_pool("fractional_max_pool2d", 2, input, kernel_size, output_size, output_ratio,
                                return_indices, _random_samples)


@half_in_float32
def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=True, _random_samples=None):
    return fractional_max_pool2d(input, kernel_size, output_size, output_ratio, True, _random_samples)


@half_in_float32
def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    """Max over kt x kh x kw windows at pseudo-random fractional strides; _random_samples
    (N, C, 3) in [0, 1) picks them (t, h, w), drawn with fastdl.rand if None."""
    if _amp.on and _amp.here(): return _amp.run("fractional_max_pool3d", fractional_max_pool3d, input, kernel_size, output_size, output_ratio, return_indices, _random_samples)  # autocast
    return _fractional_max_pool("fractional_max_pool3d", 3, input, kernel_size, output_size, output_ratio,
                                return_indices, _random_samples)


@half_in_float32
def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=True, _random_samples=None):
    return fractional_max_pool3d(input, kernel_size, output_size, output_ratio, True, _random_samples)
