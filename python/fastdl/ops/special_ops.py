"""Special functions with torch's names and rules that are not one row of the unary table
(ops/elementwise.py holds erf erfc erfinv lgamma digamma i0 sinc and the kernels of
polygamma, i1, ndtri): polygamma(n, x) with its argument checks, mvlgamma and xlog1py
composed from differentiable ops, so they run and differentiate on any device."""
import math
import numbers

from ..tensor import Tensor
from .elementwise import _UNARY_FN
from .elementwise_extra import _Xlogy, _float_operand
from ._util import index_arg


def _int_arg(op, name, v, low):
    v = index_arg(v)
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{op}: {name} must be an int, got {type(v).__name__}")
    if v < low:
        raise ValueError(f"{op}: {name} must be >= {low}, got {v}")
    return int(v)


def polygamma(n, input):
    """torch.polygamma(n, input): the n-th derivative of digamma (n = 0 is digamma)."""
    n = _int_arg("polygamma", "n", n, 0)
    if not isinstance(input, Tensor):
        raise TypeError(f"polygamma: expected input to be a Tensor, got {type(input).__name__}")
    if n == 0:
        return _UNARY_FN["digamma"].apply(input)
    return _UNARY_FN["polygamma"].apply(input, float(n))


def i1(input):
    """torch.special.i1: the modified Bessel function of the first kind, order 1."""
    return _UNARY_FN["i1"].apply(input)


def ndtri(input):
    """torch.special.ndtri: the standard normal quantile, -inf at 0, inf at 1, NaN outside [0, 1]."""
    return _UNARY_FN["ndtri"].apply(input)


def mvlgamma(input, p):
    """torch.mvlgamma(input, p): log of the multivariate gamma function of dimension p,
    sum_i lgamma(x - i/2) + p (p-1)/4 log(pi); every element must exceed (p - 1) / 2."""
    p = _int_arg("mvlgamma", "p", p, 1)
    x = _float_operand("mvlgamma", input)
    if x.numel() and bool((x <= (p - 1) / 2).any()):
        raise ValueError(f"mvlgamma: all elements must be greater than (p-1)/2 = {(p - 1) / 2}")
    lgamma = _UNARY_FN["lgamma"]
    out = lgamma.apply(x)
    for i in range(1, p):
        out = out + lgamma.apply(x - i / 2)
    return out + p * (p - 1) / 4 * math.log(math.pi)


class _Xlog1py(_Xlogy):
    name = "xlog1py"
    shift = 1


def xlog1py(input, other):
    """torch.special.xlog1py: input * log1p(other), 0 where input is 0 (unless other is NaN)."""
    return _Xlog1py.apply(input, other)


__all__ = ["polygamma", "i1", "ndtri", "mvlgamma", "xlog1py"]
