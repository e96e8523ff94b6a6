"""Cauchy(loc, scale): the Lorentz distribution; mean and variance do not exist."""
import math

from ..ops import atan2, cos, log, log1p, sin
from ..tensor import Size
from ._params import LocScaleDistribution


def _atan(x):
    return atan2(x, x.new_ones(()) if hasattr(x, "new_ones") else 1.0)


class Cauchy(LocScaleDistribution):
    @property
    def mean(self):
        return self._full(math.nan)

    @property
    def variance(self):
        return self._full(math.inf)

    def rsample(self, sample_shape=Size()):
        # tan(pi (U - 1/2)): the standard Cauchy by inversion
        t = math.pi * (self._uniform(sample_shape) - 0.5)
        return self.loc + self.scale * (sin(t) / cos(t))

    def log_prob(self, value):
        value = self._value(value)
        return -math.log(math.pi) - log(self.scale) - log1p(((value - self.loc) / self.scale) ** 2)

    def cdf(self, value):
        value = self._value(value)
        return _atan((value - self.loc) / self.scale) / math.pi + 0.5

    def icdf(self, value):
        t = math.pi * (value - 0.5)
        return sin(t) / cos(t) * self.scale + self.loc

    def entropy(self):
        return math.log(4 * math.pi) + log(self.scale)
