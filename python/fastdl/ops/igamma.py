"""The regularised incomplete gamma functions: igamma / special.gammainc P(a, x) and
igammac / special.gammaincc Q(a, x) = 1 - P(a, x).

Two evaluations, each where it converges fast and loses nothing to cancellation
(Numerical Recipes 6.2): the power series for P where x < a + 1, Lentz's continued
fraction for Q where x >= a + 1; the other function is 1 minus it, which is then at
least about 1/2 (no digits lost). Both are vectorised over the entries of each region.

The series, composed from differentiable ops, is also the Gamma distribution's cdf
(distributions/gamma.py), which differentiates in a as well; torch's igamma gives a
gradient in x only and raises for a, and so does igamma here.
"""
import math
import numbers

from .. import _argcheck
from .. import dtypes as _dt
from ..autograd import Function, no_grad
from ..tensor import Tensor, arange, zeros
from ._util import cast, desc, scalar_tensor
from .cumulative import cumsum
from .elementwise import exp, isnan, lgamma, log, sqrt, where

_BLOCK = 128
_TINY = 1e-300


def _n_terms(a, x):
    """How many series terms reach past the largest terms' decay for every entry."""
    if x.numel() == 0:
        return 0
    return int(float(((x - a).clamp(min=0) + 12 * sqrt(x) + 40).max()))


def gammainc_series(a, x):
    """P(a, x) = sum_n e^(-x) x^(a+n) / Gamma(a+n+1), composed from differentiable ops
    (gradients in a and x); a, x broadcast, a > 0, x >= 0. Every term is positive (no
    cancellation); the term count grows with x - a, so igamma uses it only for x < a + 1."""
    xs = where(x > 0, x, 1.0)  # x = 0 gives P = 0; a placeholder keeps the logs finite
    logx = log(xs)
    nmax = _n_terms(a.detach().to(_dt.float64), xs.detach().to(_dt.float64))
    a_, logx_ = a.unsqueeze(-1), logx.unsqueeze(-1)
    log_t0 = a_ * logx_ - xs.unsqueeze(-1) - lgamma(a_ + 1)
    total, carry = None, log_t0
    for start in range(0, nmax + 1, _BLOCK):
        k = arange(start + 1, start + _BLOCK + 1, dtype=a.dtype, device=a.device)
        logt = carry + cumsum(logx_ - log(a_ + k), -1)
        part = exp(logt).sum(-1)
        if start == 0:
            part = part + exp(log_t0.squeeze(-1))
        total = part if total is None else total + part
        carry = logt[..., -1:]
    return where(x > 0, total, 0.0)


def _gammaincc_cf(a, x, max_iter=5000):
    """Q(a, x) by the modified Lentz continued fraction (x >= a + 1 > 0), 1-d float64."""
    b = x + 1 - a
    c = zeros(x.shape, dtype=x.dtype, device=x.device) + 1 / _TINY
    d = 1 / b
    h = d
    for i in range(1, max_iter + 1):
        an = -i * (i - a)
        b = b + 2
        d = an * d + b
        d = where(d.abs() < _TINY, _TINY, d)
        c = b + an / c
        c = where(c.abs() < _TINY, _TINY, c)
        d = 1 / d
        delta = d * c
        h = h * delta
        if i % 8 == 0 and not bool(((delta - 1).abs() > 1e-16).any()):
            break
    return exp(a * log(x) - x - lgamma(a)) * h


def _values(a, x, upper):
    """P (upper=False) or Q of float64 tensors a, x of one shape, with torch's special
    values: NaN for a < 0, x < 0 or a NaN; a = 0 is the limit x > 0: P = 1 (NaN at x = 0);
    x = inf: P = 1; a = inf (x finite): P = 0; x = 0 (a > 0): P = 0."""
    a, x = a.reshape(-1), x.reshape(-1)
    out = zeros(a.shape, dtype=a.dtype, device=a.device)
    regular = (a > 0) & (x > 0) & (a < math.inf) & (x < math.inf)
    lower = regular & (x < a + 1)
    if bool(lower.any()):
        p = gammainc_series(a[lower], x[lower])
        out[lower] = 1 - p if upper else p
    cf = regular & ~lower
    if bool(cf.any()):
        q = _gammaincc_cf(a[cf], x[cf])
        out[cf] = q if upper else 1 - q
    one_p = ((a == 0) & (x > 0)) | ((x == math.inf) & (a < math.inf))  # P = 1
    zero_p = ((a == math.inf) & (x < math.inf)) | ((x == 0) & (a > 0))  # P = 0
    out = where(one_p, 0.0 if upper else 1.0, out)
    out = where(zero_p, 1.0 if upper else 0.0, out)
    bad = isnan(a) | isnan(x) | (a < 0) | (x < 0) | ((a == 0) & (x == 0)) | ((a == math.inf) & (x == math.inf))
    return where(bad, math.nan, out)


def _operands(op, a, x):
    """a and x as floating tensors of their result dtype, broadcast to one shape."""
    if not isinstance(a, Tensor) and not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected at least one Tensor, got {type(a).__name__} and {type(x).__name__}")
    float_result = _dt.result_type(a, x).is_floating_point  # an integer operand promotes, as torch's
    for name, v in (("input", a), ("other", x)):
        if isinstance(v, Tensor):
            if not v.dtype.is_floating_point and not (float_result and v.dtype is not _dt.bool_):
                raise NotImplementedError(f"{op}: not implemented for {desc(v)}; expected a floating-point tensor")
        elif isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise TypeError(f"{op}: {name} must be a Tensor or a real number, got {type(v).__name__}")
    if isinstance(a, Tensor) and isinstance(x, Tensor) and a.device != x.device:
        raise RuntimeError(f"{op}: expected all tensors on the same device, got {desc(a)} and {desc(x)}")
    dt = _dt.result_type(a, x)
    dev = a.device if isinstance(a, Tensor) else x.device
    A = cast(a, dt) if isinstance(a, Tensor) else scalar_tensor(float(a), dt, dev)
    X = cast(x, dt) if isinstance(x, Tensor) else scalar_tensor(float(x), dt, dev)
    return A, X


class _IGamma(Function):
    """P or Q computed in float64 and rounded once; d/dx = +-x^(a-1) e^(-x) / Gamma(a)."""

    @staticmethod
    def forward(ctx, a, x, upper):
        from .shape_more import broadcast_tensors
        ctx.upper, ctx.a_requires_grad = upper, a.requires_grad
        ctx.save_for_backward(a, x)
        with no_grad():
            a64, x64 = broadcast_tensors(a.detach().to(_dt.float64), x.detach().to(_dt.float64))
            out = _values(a64, x64, upper).reshape(a64.shape)
        return out.to(a.dtype)

    @staticmethod
    def backward(ctx, grad):
        if ctx.a_requires_grad:
            name = "igammac" if ctx.upper else "igamma"
            raise NotImplementedError(f"the derivative for '{name}: input' is not implemented.")
        a, x = ctx.saved_tensors
        dens = exp((a - 1) * log(x) - x - lgamma(a))
        gx = grad * (-dens if ctx.upper else dens)
        from ._util import unbroadcast
        return None, unbroadcast(gx, x.shape), None


def igamma(input, other, *, out=None):
    """torch.igamma / torch.special.gammainc: the regularised lower incomplete gamma P(input, other)."""
    a, x = _operands("igamma", input, _argcheck.tensor("igamma", "other", other))
    res = _IGamma.apply(a, x, False)
    return _write_out(res, out)


def igammac(input, other, *, out=None):
    """torch.igammac / torch.special.gammaincc: the regularised upper incomplete gamma Q(input, other)."""
    a, x = _operands("igammac", input, _argcheck.tensor("igammac", "other", other))
    res = _IGamma.apply(a, x, True)
    return _write_out(res, out)


def _write_out(res, out):
    if out is None:
        return res
    if not isinstance(out, Tensor):
        raise TypeError(f"out must be a Tensor, got {type(out).__name__}")
    if tuple(out.shape) != tuple(res.shape):
        raise RuntimeError(f"out has shape {list(out.shape)}, expected {list(res.shape)}")
    out.copy_(res)
    return out


gammainc, gammaincc = igamma, igammac

__all__ = ["igamma", "igammac"]
