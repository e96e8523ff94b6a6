"""Standard gamma samples with a reparameterised gradient, and the regularised lower
incomplete gamma P(a, x) (its series lives in ops/igamma.py), for Gamma / Chi2 / Beta / Dirichlet / StudentT.

Sampling: Marsaglia and Tsang (2000), vectorised: every pending entry draws a proposal,
the accepted ones are stored and the loop continues over the rest until none is left;
a < 1 draws with a + 1 and multiplies by U^(1/a) (in log space).

Gradient: implicit reparameterisation, dx/da = -(dP(a, x)/da) / p(x; a), from the series
P(a, x) = sum_n x^(a+n) e^(-x) / Gamma(a+n+1). Dividing by p(x; a) leaves the terms
w_n = prod_{k<=n} x / (a + k), and d/da of a term's log is log x - digamma(a+n+1), so
dx/da = -sum_n w_n (log x - digamma(a) - sum_{k<=n} 1/(a+k)), in float64 by cumulative
sums over blocks of n until the terms are negligible (n past x + 12 sqrt(x) + 40).
"""

import math

from .. import dtypes as _dt
from ..autograd import Function, no_grad
from ..ops import cumsum, digamma, exp, isfinite, log, rand, randn, where
# the series of P(a, x), shared with torch.igamma (ops/igamma.py); differentiable in a and x
from ..ops.igamma import _n_terms, gammainc_series as gammainc
from ..tensor import arange, zeros
from .utils import finfo_tiny

_BLOCK = 128


def _sample_standard_gamma(alpha):
    """Gamma(alpha, 1) samples in float64 (alpha float64, detached). An alpha that is not
    a positive finite number gives nan (inf for inf) instead of entering the loop."""
    a_in = alpha.reshape(-1)
    valid = isfinite(a_in) & (a_in > 0)
    a = where(valid, a_in, 1.0)
    n = a.numel()
    boost = a < 1
    a1 = where(boost, a + 1, a)
    d = a1 - 1.0 / 3
    c = (9 * d).rsqrt()
    out = zeros(n, dtype=_dt.float64, device=a.device)
    idx = arange(n, device=a.device)
    dd, cc = d, c
    while idx.numel():
        m = idx.numel()
        z = randn(m, dtype=_dt.float64, device=a.device)
        u = rand(m, dtype=_dt.float64, device=a.device)
        v = (1 + cc * z) ** 3
        vpos = v > 0
        logv = log(where(vpos, v, 1.0))
        ok = vpos & (log(u) < 0.5 * z * z + dd - dd * v + dd * logv)
        out[idx[ok]] = (dd * v)[ok]
        keep = ~ok
        idx, dd, cc = idx[keep], dd[keep], cc[keep]
    u = rand(n, dtype=_dt.float64, device=a.device)
    out = where(boost, exp(log(out) + log(u) / a), out)
    out = where(valid, out, where(a_in == math.inf, math.inf, math.nan))
    return out.reshape(alpha.shape)


def _dx_dalpha(alpha, x):
    """d sample / d alpha at fixed quantile, float64 (see the module docstring)."""
    a, x = alpha.reshape(-1, 1), x.reshape(-1, 1)
    logx = log(x)
    total = zeros(a.shape, dtype=_dt.float64, device=a.device)
    logw_carry = zeros(a.shape, dtype=_dt.float64, device=a.device)
    psi_carry = digamma(a)
    for start in range(0, _n_terms(a, x) + 1, _BLOCK):
        denom = a + arange(start, start + _BLOCK, dtype=_dt.float64, device=a.device)
        logw = logw_carry + cumsum(logx - log(denom), -1)
        psi = psi_carry + cumsum(denom.reciprocal(), -1)
        total = total + (exp(logw) * (logx - psi)).sum(-1, keepdim=True)
        logw_carry, psi_carry = logw[:, -1:], psi[:, -1:]
    return (-total).reshape(alpha.shape)


class _StandardGamma(Function):
    """x ~ Gamma(alpha, 1) with d x / d alpha by implicit reparameterisation."""

    @staticmethod
    def forward(ctx, alpha):
        with no_grad():
            a64 = alpha.detach().to(_dt.float64)
            x64 = _sample_standard_gamma(a64)
            x = x64.to(alpha.dtype).clamp(min=finfo_tiny(alpha.dtype))  # never 0, as torch
        ctx.save_for_backward(alpha, x)
        return x

    @staticmethod
    def backward(ctx, grad):
        alpha, x = ctx.saved_tensors
        with no_grad():
            d = _dx_dalpha(alpha.detach().to(_dt.float64), x.detach().to(_dt.float64)).to(alpha.dtype)
        return grad * d


def standard_gamma(alpha):
    """Gamma(alpha, 1) samples of alpha's shape and dtype, differentiable in alpha."""
    if alpha.numel() == 0:
        return alpha.detach() * 0
    return _StandardGamma.apply(alpha)


