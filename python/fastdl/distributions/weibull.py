"""Weibull(scale, concentration): scale * E^(1/concentration) for E ~ Exponential(1)."""
from ..ops import exp, lgamma, log
from . import constraints
from ._transformed_family import TransformedFamily
from .exponential import Exponential
from .transforms import AffineTransform, PowerTransform
from .utils import broadcast_all

_EULER = 0.57721566490153286061


class Weibull(TransformedFamily):
    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, scale, concentration, validate_args=None):
        self.scale, self.concentration = broadcast_all("Weibull", scale, concentration)
        self.concentration_reciprocal = self.concentration.reciprocal()
        base = Exponential(self.scale.new_ones(self.scale.shape), validate_args=False)
        transforms = [PowerTransform(self.concentration_reciprocal), AffineTransform(0, self.scale)]
        super().__init__(base, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = super().expand(batch_shape, _instance)
        new.scale, new.concentration = self.scale.expand(batch_shape), self.concentration.expand(batch_shape)
        new.concentration_reciprocal = new.concentration.reciprocal()
        new.transforms = [PowerTransform(new.concentration_reciprocal), AffineTransform(0, new.scale)]
        return new

    @property
    def mean(self):
        return self.scale * exp(lgamma(1 + self.concentration_reciprocal))

    @property
    def mode(self):
        k = self.concentration
        return self.scale * ((k - 1) / k) ** self.concentration_reciprocal

    @property
    def variance(self):
        k1 = self.concentration_reciprocal
        return self.scale ** 2 * (exp(lgamma(1 + 2 * k1)) - exp(2 * lgamma(1 + k1)))

    def entropy(self):
        return _EULER * (1 - self.concentration_reciprocal) + log(self.scale * self.concentration_reciprocal) + 1
