"""Gamma(concentration, rate): density rate^c x^(c-1) e^(-rate x) / Gamma(c) on x > 0.
rsample is reparameterised (implicit gradient in the concentration, _gamma_sampling)."""
from ..ops import digamma, lgamma, log, xlogy
from ..tensor import Size
from . import constraints
from ._gamma_sampling import gammainc, standard_gamma
from ._params import ParamDistribution
from .utils import finfo_tiny


class Gamma(ParamDistribution):
    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _param_names = ("concentration", "rate")

    def __init__(self, concentration, rate, validate_args=None):
        self._init_params(validate_args, concentration, rate)

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate ** 2

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        x = standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        return x.clamp(min=finfo_tiny(x.dtype))

    def log_prob(self, value):
        value = self._value(value)
        c, r = self.concentration, self.rate
        return xlogy(c, r) + xlogy(c - 1, value) - r * value - lgamma(c)

    def entropy(self):
        c = self.concentration
        return c - log(self.rate) + lgamma(c) + (1.0 - c) * digamma(c)

    def cdf(self, value):
        value = self._value(value)
        return gammainc(self.concentration, self.rate * value)
