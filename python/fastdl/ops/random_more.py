"""More random fills with torch's names: poisson(rates), and the in-place Tensor.random_,
exponential_, geometric_, log_normal_, cauchy_. All draw from fastdl's Philox generator
(the global one, or generator=), composed from rand / randn so they run on any device."""
import math
import numbers

from .. import dtypes as _dt
from ..autograd import no_grad
from ..tensor import Tensor, arange, zeros
from ._util import check_tensor, desc
from .elementwise import abs as _abs, ceil, cos, exp, floor, isnan, lgamma, log, log1p, sin, where
from .random import _gen, _inplace_check, rand, randint, randn

_TINY64 = 2.2250738585072014e-308


def _u64(shape, device, generator, low_open=True):
    """U(0, 1) float64 of shape; in (0, 1) when low_open (its log is finite)."""
    u = rand(shape, dtype=_dt.float64, device=device, generator=generator)
    return u.clamp(min=_TINY64) if low_open else u


def _poisson_small(lam, generator):
    """Knuth's product of uniforms for rates < 10 (a few dozen rounds at most)."""
    limit = exp(-lam)
    prod = _u64(lam.shape, lam.device, generator, low_open=False)
    k = zeros(lam.shape, dtype=_dt.float64, device=lam.device)
    active = prod > limit
    while bool(active.any()):
        k = k + active.to(_dt.float64)
        prod = where(active, prod * _u64(lam.shape, lam.device, generator, low_open=False), prod)
        active = prod > limit
    return k


def _poisson_ptrs(lam, generator):
    """Hormann's transformed rejection (PTRS) for rates >= 10, over the pending entries."""
    n = lam.numel()
    out = zeros(n, dtype=_dt.float64, device=lam.device)
    idx = arange(n, device=lam.device)
    lm = lam.reshape(-1)
    while idx.numel():
        slam = lm.sqrt()
        loglam = log(lm)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        m = idx.numel()
        u = _u64((m,), lm.device, generator) - 0.5
        v = _u64((m,), lm.device, generator)
        us = 0.5 - _abs(u)
        k = floor((2 * a / us + b) * u + lm + 0.43)
        quick = (us >= 0.07) & (v <= vr)
        bad = (k < 0) | ((us < 0.013) & (v > us))
        ks = where(k < 0, 0.0, k)
        slow = log(v) + log(inv_alpha) - log(a / (us * us) + b) <= -lm + ks * loglam - lgamma(ks + 1)
        ok = quick | (~bad & slow)
        out[idx[ok]] = k[ok]
        keep = ~ok
        idx, lm = idx[keep], lm[keep]
    return out.reshape(lam.shape)


def poisson(input, generator=None):
    """torch.poisson: one Poisson(rate) count per element of the rates `input` (same
    shape and floating dtype; no gradient flows, as torch's is zero)."""
    op = "poisson"
    check_tensor(op, input)
    if not input.dtype.is_floating_point:
        raise TypeError(f"{op}: expected a floating-point tensor of rates, got {desc(input)}")
    lam = input.detach().to(_dt.float64)
    if lam.numel() and bool(((lam < 0) | isnan(lam)).any()):
        raise RuntimeError(f"{op}: invalid Poisson rate in {desc(input)}, expected every rate to be non-negative")
    if lam.numel() and bool((lam == math.inf).any()):
        raise RuntimeError(f"{op}: infinite Poisson rate in {desc(input)}, expected finite rates")
    gen = _gen(generator)
    with no_grad():
        small = lam < 10
        out = _poisson_small(where(small, lam, 0.0), gen)
        if lam.numel() and bool((~small).any()):
            big = _poisson_ptrs(where(small, 10.0, lam), gen)
            out = where(small, out, big)
        return out.to(input.dtype)


# ---- in-place fills ---------------------------------------------------------------

def _fill(t, op, values):
    """Writes values (any dtype, t's shape) into t, outside the graph (as torch's fills)."""
    from .elementwise import assign_
    with no_grad():
        assign_(t, values.to(t.dtype), op)
    return t


def _check_float(t, op):
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(t).__name__}")
    _inplace_check(t, op)
    if not t.dtype.is_floating_point:
        raise TypeError(f"{op}: expected a floating-point tensor, got {desc(t)}")


def _number(op, name, v):
    if not isinstance(v, numbers.Real) or isinstance(v, bool):
        raise TypeError(f"{op}: {name} must be a number, got {type(v).__name__}")
    return float(v)


def _checked_args(self, op, *params, shown=None):
    """exponential_ / log_normal_ / cauchy_'s checks: self a floating-point tensor, each
    (name, value) of params a number (the floats are returned), the last one > 0 (called
    `shown` in the error, its own name by default)."""
    _check_float(self, op)
    values = tuple(_number(op, name, v) for name, v in params)
    name = params[-1][0] if shown is None else shown
    if not values[-1] > 0:
        raise RuntimeError(f"{op} expects {name} > 0.0, but found {name}={values[-1]}")
    return values


def exponential_(self, lambd=1.0, *, generator=None):
    """Fills with Exponential(lambd) draws: -log(1 - U) / lambd."""
    op = "exponential_"
    lambd, = _checked_args(self, op, ("lambd", lambd), shown="lambda")
    u = _u64(self.shape, self.device, _gen(generator), low_open=False)
    return _fill(self, op, -log1p(-u) / lambd)


def geometric_(self, p, *, generator=None):
    """Fills with the number of Bernoulli(p) trials up to the first success (>= 1)."""
    op = "geometric_"
    if not isinstance(self, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(self).__name__}")
    _inplace_check(self, op)
    p = _number(op, "p", p)
    if not 0 < p < 1:
        raise RuntimeError(f"{op} expects p to be in (0, 1), but got p={p}")
    u = _u64(self.shape, self.device, _gen(generator))
    return _fill(self, op, ceil(log(u) / math.log1p(-p)).clamp(min=1))


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    """Fills with exp(N(mean, std^2)) draws."""
    op = "log_normal_"
    mean, std = _checked_args(self, op, ("mean", mean), ("std", std))
    z = randn(self.shape, dtype=_dt.float64, device=self.device, generator=_gen(generator))
    return _fill(self, op, exp(z * std + mean))


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    """Fills with Cauchy(median, sigma) draws: median + sigma tan(pi (U - 1/2))."""
    op = "cauchy_"
    median, sigma = _checked_args(self, op, ("median", median), ("sigma", sigma))
    t = math.pi * (_u64(self.shape, self.device, _gen(generator)) - 0.5)
    return _fill(self, op, median + sigma * sin(t) / cos(t))


def _int_range(dtype):
    """[lo, hi] of random_'s values for an integral dtype."""
    if dtype is _dt.bool_:
        return 0, 1
    import numpy as np
    info = np.iinfo(dtype.np)
    return int(info.min), int(info.max)


def _default_high(dtype):
    """random_()'s exclusive bound: 2^digits + 1 for floats (every integer up to 2^digits
    is exact), the dtype's max + 1 for integers (2^63 - 1 for int64's kernel bound)."""
    if dtype.is_floating_point:
        digits = {_dt.float16: 11, _dt.bfloat16: 8, _dt.float32: 24}.get(dtype, 53)
        return 2 ** digits + 1
    return min(_int_range(dtype)[1] + 1, 2 ** 63 - 1)


def random_(self, *args, generator=None, **kwargs):
    """random_() / random_(to) / random_(from, to): integers uniform in [from, to) in self's
    dtype; with no bounds, [0, 2^mantissa digits] for floats and [0, max] for integers."""
    op = "random_"
    if not isinstance(self, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(self).__name__}")
    _inplace_check(self, op)
    if "from" in kwargs or "from_" in kwargs:
        args = (kwargs.pop("from", kwargs.pop("from_", 0)),) + tuple(args)
        if "to" in kwargs:
            args = args + (kwargs.pop("to"),)
    elif "to" in kwargs:
        args = tuple(args) + (kwargs.pop("to"),) if args else (0, kwargs.pop("to"))
    if kwargs:
        raise TypeError(f"{op}: unexpected keyword arguments {sorted(kwargs)}")
    if len(args) > 2:
        raise TypeError(f"{op}: expected at most 2 positional arguments (from, to), got {len(args)}")
    for v in args:
        if v is not None and (not isinstance(v, numbers.Integral) or isinstance(v, bool)):
            raise TypeError(f"{op}: from and to must be ints, got {v!r}")
    dtype = self.dtype
    if len(args) == 0:
        low, high = 0, _default_high(dtype)
    elif len(args) == 1:
        low, high = 0, args[0]
    else:
        low, high = args[0], args[1]
        if high is None:
            high = _default_high(dtype)
    low, high = int(low), int(high)
    if low >= high:
        raise RuntimeError(f"{op} expects 'from' to be less than 'to', but got from={low} >= to={high}")
    if not dtype.is_floating_point:
        lo, hi = _int_range(dtype)
        if low < lo or high - 1 > hi:
            raise RuntimeError(f"{op} expects 'from' and 'to' - 1 to be within [{lo}, {hi}] for {dtype}, "
                               f"got from={low}, to={high}")
    values = randint(low, high, tuple(self.shape), dtype=_dt.int64, device=self.device, generator=generator)
    return _fill(self, op, values)
