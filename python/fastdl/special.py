"""fastdl.special: torch.special for what fastdl has (same names, arguments and values).

The kernels are rows of the unary table (ops/elementwise.py: erf erfc erfinv lgamma
digamma polygamma i0 i1 sinc ndtri); the rest is composed from elementwise ops, so every
function runs on CPU and CUDA tensors. Gradients are torch's: the Bessel-type functions
and orthogonal polynomials (ops/special_bessel.py, special_poly.py) have none in torch and
return results that do not require grad; zeta differentiates in `other` only.
"""
import math

from . import dtypes as _dt
from .ops import (digamma, erf, erfc, erfinv, exp, expm1, i0, isnan, lgamma, log, log1p, logit, logsumexp, mvlgamma,
                  polygamma, sigmoid, sinc, where, xlog1py, xlogy)
from .ops import log_softmax as _log_softmax, softmax as _softmax
from .ops.elementwise_extra import _float_operand
from .ops.igamma import gammainc, gammaincc
from .ops.special_ops import i1, ndtri
# the rest of torch.special (Bessel-type, orthogonal polynomials, i0e i1e erfcx zeta round)
from .ops.special_bessel import (airy_ai, bessel_j0, bessel_j1, bessel_y0, bessel_y1, modified_bessel_i0,
                                 modified_bessel_i1, modified_bessel_k0, modified_bessel_k1, scaled_modified_bessel_k0,
                                 scaled_modified_bessel_k1, spherical_bessel_j0)
from .ops.special_misc import erfcx, i0e, i1e, round, zeta
from .ops.special_poly import (chebyshev_polynomial_t, chebyshev_polynomial_u, chebyshev_polynomial_v,
                               chebyshev_polynomial_w, hermite_polynomial_h, hermite_polynomial_he,
                               laguerre_polynomial_l, legendre_polynomial_p, shifted_chebyshev_polynomial_t,
                               shifted_chebyshev_polynomial_u, shifted_chebyshev_polynomial_v,
                               shifted_chebyshev_polynomial_w)

__all__ = ["erf", "erfc", "erfinv", "gammaln", "digamma", "psi", "polygamma", "multigammaln", "i0", "i1", "sinc",
           "expit", "logit", "exp2", "expm1", "log1p", "xlogy", "xlog1py", "logsumexp", "softmax", "log_softmax",
           "ndtr", "ndtri", "log_ndtr", "entr", "gammainc", "gammaincc",
           "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0", "modified_bessel_i1",
           "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
           "airy_ai", "spherical_bessel_j0", "i0e", "i1e", "erfcx", "zeta", "round",
           "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
           "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
           "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he", "laguerre_polynomial_l",
           "legendre_polynomial_p"]

_RSQRT2 = 1.0 / math.sqrt(2.0)
_LN2 = math.log(2.0)
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)

gammaln = lgamma
psi = digamma
multigammaln = mvlgamma
expit = sigmoid


def exp2(input):
    """2 ** input."""
    return exp(_float_operand("exp2", input) * _LN2)


def softmax(input, dim, *, dtype=None):
    return _softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    return _log_softmax(input, dim, dtype=dtype)


def ndtr(input):
    """The standard normal CDF, erfc(-x / sqrt 2) / 2: no cancellation in the lower tail."""
    x = _float_operand("ndtr", input)
    return erfc(x * -_RSQRT2) * 0.5


def _log_ndtr_tail(x):
    """log ndtr(x) for x << 0 from the asymptotic series of Mills' ratio:
    ndtr(x) = phi(x) / -x * (1 - 1/x^2 + 3/x^4 - 15/x^6 + ...), 12 terms (x <= -10)."""
    z = 1.0 / (x * x)
    term, s = -z, -z
    for k in range(2, 13):
        term = term * z * -(2 * k - 1)
        s = s + term
    return x * x * -0.5 - log(-x) - _HALF_LOG_2PI + log1p(s)


def log_ndtr(input):
    """log of the standard normal CDF, finite and accurate far into the lower tail
    (log_ndtr(-40) = -804.608...): log1p(-ndtr(-x)) above 0, log(ndtr(x)) down to -20
    (-10 in float32, where erfc stays normal), the asymptotic series below. Each branch
    sees only inputs of its own range, so the others add no NaN to the gradient."""
    x = _float_operand("log_ndtr", input)
    lo = -20.0 if x.dtype is _dt.float64 else -10.0
    pos, tail = x > 0, x < lo
    up = log1p(erfc(where(pos, x, 0.0) * _RSQRT2) * -0.5)
    mid = log(erfc(where(pos, 0.0, where(tail, lo, x)) * -_RSQRT2) * 0.5)
    low = _log_ndtr_tail(where(tail, x, lo))
    return where(pos, up, where(tail, low, mid))


def entr(input):
    """-x log x for x > 0, 0 at 0, -inf for x < 0 (NaN stays NaN)."""
    x = _float_operand("entr", input)
    pos = x > 0
    xs = where(pos, x, 1.0)
    out = where(pos, -(xs * log(xs)), where(x == 0, 0.0, float("-inf")))
    return where(isnan(x), float("nan"), out).to(x.dtype)  # the scalar branch is float32


# ---- gaps branch: the top-level fronts' out= wrappers, so gammaln is fastdl.lgamma still ----
from .ops.out_arg import install_aliases as _install_out_aliases  # noqa: E402
_install_out_aliases(globals())
