"""Poisson(rate): counts k >= 0 with P(k) = rate^k e^(-rate) / k!."""
from ..autograd import no_grad
from ..ops import lgamma, xlogy
from ..ops.random_more import poisson
from ..tensor import Size
from . import constraints
from ._params import ParamDistribution


class Poisson(ParamDistribution):
    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer
    _param_names = ("rate",)

    def __init__(self, rate, validate_args=None):
        self._init_params(validate_args, rate)

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return self.rate.floor()

    @property
    def variance(self):
        return self.rate

    def sample(self, sample_shape=Size()):
        with no_grad():
            return poisson(self.rate.detach().expand(self._extended_shape(sample_shape)))

    def log_prob(self, value):
        value = self._value(value)
        return xlogy(value, self.rate) - self.rate - lgamma(value + 1)
