"""GeneralizedPareto(loc, scale, concentration): the peaks-over-threshold law (TFP's form,
as torch); concentration 0 is the exponential limit, < 0 a bounded support."""
import math

from ..ops import exp, expm1, isclose, log, log1p, where
from ..tensor import Size
from . import constraints
from ._params import ParamDistribution


class GeneralizedPareto(ParamDistribution):
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive, "concentration": constraints.real}
    has_rsample = True
    _param_names = ("loc", "scale", "concentration")

    def __init__(self, loc, scale, concentration, validate_args=None):
        self._init_params(validate_args, loc, scale, concentration)

    def _safe_conc(self):
        c = self.concentration
        eq_zero = isclose(c, c.new_zeros(()))
        return eq_zero, where(eq_zero, c.new_ones(()), c)

    def rsample(self, sample_shape=Size()):
        return self.icdf(self._raw_uniform(sample_shape))

    def _raw_uniform(self, sample_shape):
        from ..ops import rand
        return rand(self._extended_shape(sample_shape), dtype=self.loc.dtype, device=self.loc.device)

    def _z(self, x):
        return (x - self.loc) / self.scale

    def log_prob(self, value):
        value = self._value(value)
        z = self._z(value)
        eq_zero, c = self._safe_conc()
        y = 1 / c + 1
        nonzero = where(y == 0, y, y * log1p(c * z))
        return -log(self.scale) - where(eq_zero, z, nonzero)

    def log_survival_function(self, value):
        value = self._value(value)
        z = self._z(value)
        eq_zero, c = self._safe_conc()
        return where(eq_zero, -z, -log1p(c * z) / c)

    def log_cdf(self, value):
        return log1p(-exp(self.log_survival_function(value)))

    def cdf(self, value):
        return exp(self.log_cdf(value))

    def icdf(self, value):
        eq_zero, c = self._safe_conc()
        logu = log1p(-value)
        nonzero = self.loc + self.scale / c * expm1(-c * logu)
        return where(eq_zero, self.loc - self.scale * logu, nonzero)

    @property
    def mean(self):
        c = self.concentration
        valid = c < 1
        safe = where(valid, c, 0.5)
        return where(valid, self.loc + self.scale / (1 - safe), math.nan)

    @property
    def variance(self):
        c = self.concentration
        valid = c < 0.5
        safe = where(valid, c, 0.25)
        return where(valid, self.scale ** 2 / ((1 - safe) ** 2 * (1 - 2 * safe)), math.nan)

    def entropy(self):
        return (log(self.scale) + self.concentration + 1).expand(tuple(self._batch_shape))

    @property
    def mode(self):
        return self.loc

    @property
    def support(self):
        lower = self.loc
        upper = where(self.concentration < 0, lower - self.scale / self.concentration, math.inf)
        return constraints.interval(lower, upper)
