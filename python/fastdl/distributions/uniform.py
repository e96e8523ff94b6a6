"""Uniform(low, high): constant density on [low, high)."""
import math

from ..ops import log, rand, where
from ..tensor import Size
from . import constraints
from ._params import ParamDistribution


class Uniform(ParamDistribution):
    has_rsample = True
    _param_names = ("low", "high")

    def __init__(self, low, high, validate_args=None):
        self._init_params(validate_args, low, high)

    @property
    def arg_constraints(self):
        # low < high, as torch: each bound constrains the other
        return {"low": constraints.less_than(self.high), "high": constraints.greater_than(self.low)}

    @property
    def support(self):
        return constraints.half_open_interval(self.low, self.high)

    @property
    def mean(self):
        return (self.high + self.low) / 2

    @property
    def mode(self):
        return self.high * math.nan

    @property
    def stddev(self):
        return (self.high - self.low) / 12 ** 0.5

    @property
    def variance(self):
        return (self.high - self.low) ** 2 / 12

    def rsample(self, sample_shape=Size()):
        u = rand(self._extended_shape(sample_shape), dtype=self.low.dtype, device=self.low.device)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value):
        value = self._value(value)
        inside = (self.low <= value) & (self.high > value)
        return where(inside, 0.0, -math.inf) - log(self.high - self.low)

    def cdf(self, value):
        value = self._value(value)
        return ((value - self.low) / (self.high - self.low)).clamp(min=0, max=1)

    def icdf(self, value):
        return value * (self.high - self.low) + self.low

    def entropy(self):
        return log(self.high - self.low)
