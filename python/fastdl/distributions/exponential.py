"""Exponential(rate): density rate exp(-rate x) on x >= 0."""
from ..ops import expm1, log, log1p
from ..tensor import Size
from . import constraints
from ._params import ParamDistribution


class Exponential(ParamDistribution):
    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _param_names = ("rate",)

    def __init__(self, rate, validate_args=None):
        self._init_params(validate_args, rate)

    @property
    def mean(self):
        return self.rate.reciprocal()

    @property
    def mode(self):
        return self.rate.new_zeros(self.rate.shape)

    @property
    def stddev(self):
        return self.rate.reciprocal()

    @property
    def variance(self):
        return self.rate ** -2

    def rsample(self, sample_shape=Size()):
        # -log(U) with U in (0, 1): a standard exponential that is never inf
        return -log(self._uniform(sample_shape)) / self.rate

    def log_prob(self, value):
        value = self._value(value)
        return log(self.rate) - self.rate * value

    def cdf(self, value):
        value = self._value(value)
        return -expm1(-self.rate * value)

    def icdf(self, value):
        return -log1p(-value) / self.rate

    def entropy(self):
        return 1.0 - log(self.rate)
