"""HalfCauchy(scale): |X| for X ~ Cauchy(0, scale)."""
import math

from ._transformed_family import HalfFamily
from .cauchy import Cauchy


class HalfCauchy(HalfFamily):
    _base = Cauchy

    @property
    def mean(self):
        return self.scale.new_zeros(self.scale.shape) + math.inf

    @property
    def variance(self):
        return self.scale.new_zeros(self.scale.shape) + math.inf
