"""Window functions (torch.hann_window & co.). Each is a formula in n = 0..N-1 over
N - 1; periodic=True (the default, for spectral analysis) computes N + 1 points and drops
the last. Evaluated in float64 on the target device, then rounded once to dtype."""
import math

from .. import dtypes as _dt
from ..tensor import arange, ones, zeros

__all__ = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]


def _window(op, window_length, periodic, dtype, layout, device, requires_grad, formula):
    if not isinstance(window_length, int) or isinstance(window_length, bool):
        raise TypeError(f"{op}(): argument 'window_length' must be int, not {type(window_length).__name__}")
    if window_length < 0:
        raise RuntimeError(f"{op} requires non-negative window_length, got window_length={window_length}")
    if not isinstance(periodic, bool):
        raise TypeError(f"{op}(): argument 'periodic' must be bool, not {type(periodic).__name__}")
    _check_layout(op, layout)
    d = _dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)
    if not d.is_floating_point:
        raise RuntimeError(f"{op} expects floating point dtypes, got: {d}")
    if window_length <= 1:
        out = (ones if window_length else zeros)((window_length,), dtype=d, device=device)
    else:
        n = window_length + 1 if periodic else window_length
        x = arange(window_length, dtype=_dt.float64, device=device)
        out = formula(x, n - 1).to(d)
    return out.requires_grad_(True) if requires_grad else out


def _check_layout(op, layout):
    if layout is not None and getattr(layout, "name", layout) not in ("strided", "torch.strided", "fastdl.strided"):
        raise NotImplementedError(f"{op}: only the strided layout is supported, got {layout!r}")


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, pin_memory=False,
                requires_grad=False):
    """0.5 - 0.5 cos(2 pi n / (N - 1))."""
    return _window("hann_window", window_length, periodic, dtype, layout, device, requires_grad,
                   lambda x, m: 0.5 - 0.5 * (x * (2 * math.pi / m)).cos())


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None, layout=None, device=None,
                   pin_memory=False, requires_grad=False):
    """alpha - beta cos(2 pi n / (N - 1))."""
    return _window("hamming_window", window_length, periodic, dtype, layout, device, requires_grad,
                   lambda x, m: alpha - beta * (x * (2 * math.pi / m)).cos())


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, pin_memory=False,
                    requires_grad=False):
    """0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1))."""
    return _window("blackman_window", window_length, periodic, dtype, layout, device, requires_grad,
                   lambda x, m: 0.42 - 0.5 * (x * (2 * math.pi / m)).cos() + 0.08 * (x * (4 * math.pi / m)).cos())


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, pin_memory=False,
                    requires_grad=False):
    """1 - |2n / (N - 1) - 1|."""
    return _window("bartlett_window", window_length, periodic, dtype, layout, device, requires_grad,
                   lambda x, m: 1.0 - (x * (2.0 / m) - 1.0).abs())


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None, device=None, pin_memory=False,
                  requires_grad=False):
    """I0(beta sqrt(1 - (2n / (N - 1) - 1)^2)) / I0(beta)."""
    def formula(x, m):
        r = x * (2.0 / m) - 1.0
        top = (beta * (1.0 - r * r).clamp(min=0.0).sqrt()).i0()
        return top / (x[:1] * 0.0 + beta).i0()  # I0(beta) by the same kernel, on x's device
    return _window("kaiser_window", window_length, periodic, dtype, layout, device, requires_grad, formula)

