"""VonMises(loc, concentration): the circular normal on angles (values taken modulo 2 pi).
sample: Best and Fisher's (1979) rejection algorithm, run in float64 as torch does."""
import math

from .. import dtypes as _dt
from ..autograd import no_grad
from ..ops import abs as _abs, acos, cos, exp, log, rand, remainder, sign, sqrt, where
from ..tensor import Size
from . import constraints
from ._params import ParamDistribution
from .utils import lazy_property

_I0_COEF_SMALL = [1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.360768e-1, 0.45813e-2]
_I0_COEF_LARGE = [0.39894228, 0.1328592e-1, 0.225319e-2, -0.157565e-2, 0.916281e-2, -0.2057706e-1,
                  0.2635537e-1, -0.1647633e-1, 0.392377e-2]
_I1_COEF_SMALL = [0.5, 0.87890594, 0.51498869, 0.15084934, 0.2658733e-1, 0.301532e-2, 0.32411e-3]
_I1_COEF_LARGE = [0.39894228, -0.3988024e-1, -0.362018e-2, 0.163801e-2, -0.1031555e-1, 0.2282967e-1,
                  -0.2895312e-1, 0.1787654e-1, -0.420059e-2]
_COEF_SMALL = [_I0_COEF_SMALL, _I1_COEF_SMALL]
_COEF_LARGE = [_I0_COEF_LARGE, _I1_COEF_LARGE]


def _eval_poly(y, coef):
    result = coef[-1]
    for c in reversed(coef[:-1]):
        result = c + y * result
    return result


def _log_modified_bessel_fn(x, order=0):
    """log I_order(x) for x > 0, order 0 or 1 (torch's polynomial approximations, Abramowitz
    and Stegun 9.8.1-4), differentiable."""
    if order not in (0, 1):
        raise ValueError(f"_log_modified_bessel_fn: order must be 0 or 1, got {order}")
    y = (x / 3.75) ** 2
    small = _eval_poly(y, _COEF_SMALL[order])
    if order == 1:
        small = _abs(x) * small
    small = log(small)
    large = x - 0.5 * log(x) + log(_eval_poly(3.75 / x, _COEF_LARGE[order]))
    return where(x < 3.75, small, large)


class VonMises(ParamDistribution):
    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False
    _param_names = ("loc", "concentration")

    def __init__(self, loc, concentration, validate_args=None):
        self._init_params(validate_args, loc, concentration)

    def log_prob(self, value):
        value = self._value(value)
        k = self.concentration
        return k * cos(value - self.loc) - math.log(2 * math.pi) - _log_modified_bessel_fn(k, order=0)

    @lazy_property
    def _proposal_r(self):
        kappa = self.concentration.detach().to(_dt.float64)
        tau = 1 + sqrt(1 + 4 * kappa ** 2)
        rho = (tau - sqrt(2 * tau)) / (2 * kappa)
        return where(kappa < 1e-5, 1 / kappa + kappa, (1 + rho ** 2) / (2 * rho))

    def sample(self, sample_shape=Size()):
        with no_grad():
            shape = tuple(self._extended_shape(sample_shape))
            loc = self.loc.to(_dt.float64)
            kappa = self.concentration.to(_dt.float64).expand(shape)
            r = self._proposal_r.expand(shape)
            x = kappa.new_zeros(shape)
            done = x != x  # all False
            # every pending entry draws a proposal each round; the accepted ones are kept
            while not bool(done.all()):
                u = rand((3,) + shape, dtype=_dt.float64, device=loc.device)
                u1, u2, u3 = u[0], u[1], u[2]
                z = cos(math.pi * u1)
                f = (1 + r * z) / (r + z)
                c = kappa * (r - f)
                accept = ((c * (2 - c) - u2) > 0) | ((log(c / u2) + 1 - c) >= 0)
                accept = accept & ~done
                x = where(accept, sign(u3 - 0.5) * acos(f), x)
                done = done | accept
            out = remainder(x + math.pi + loc, 2 * math.pi) - math.pi
            return out.to(self.loc.dtype)

    @property
    def mean(self):
        """The circular mean."""
        return self.loc

    @property
    def mode(self):
        return self.loc

    @lazy_property
    def variance(self):
        """The circular variance, 1 - I1(k) / I0(k)."""
        k = self.concentration
        return 1 - exp(_log_modified_bessel_fn(k, order=1) - _log_modified_bessel_fn(k, order=0))
