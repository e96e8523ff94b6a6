"""Laplace(loc, scale): density exp(-|x - loc| / scale) / (2 scale)."""
import math

from ..ops import abs as _abs, expm1, log, log1p, rand
from ..tensor import Size
from ._params import LocScaleDistribution
from .utils import finfo


class Laplace(LocScaleDistribution):
    @property
    def mean(self):
        return self.loc

    @property
    def stddev(self):
        return math.sqrt(2) * self.scale

    @property
    def variance(self):
        return 2 * self.scale ** 2

    def rsample(self, sample_shape=Size()):
        eps, _ = finfo(self.loc.dtype)
        # u in (-1, 1): log1p(-|u|) stays finite, as torch's uniform_(eps - 1, 1)
        u = rand(self._extended_shape(sample_shape), dtype=self.loc.dtype, device=self.loc.device) * (2 - eps) \
            + (eps - 1)
        return self.loc - self.scale * u.sign() * log1p(-_abs(u))

    def log_prob(self, value):
        value = self._value(value)
        return -log(2 * self.scale) - _abs(value - self.loc) / self.scale

    def cdf(self, value):
        value = self._value(value)
        return 0.5 - 0.5 * (value - self.loc).sign() * expm1(-_abs(value - self.loc) / self.scale)

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * term.sign() * log1p(-2 * _abs(term))

    def entropy(self):
        return 1 + log(2 * self.scale)
