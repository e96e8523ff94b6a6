"""HalfNormal(scale): |X| for X ~ Normal(0, scale)."""
import math

from ._transformed_family import HalfFamily
from .normal import Normal


class HalfNormal(HalfFamily):
    _base = Normal

    @property
    def mean(self):
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def variance(self):
        return self.scale ** 2 * (1 - 2 / math.pi)
