"""Gumbel(loc, scale): the type-I extreme value distribution, loc - scale log(-log U)."""
import math

from ..ops import exp, log
from . import constraints
from ._transformed_family import TransformedFamily
from .transforms import AffineTransform, ExpTransform
from .uniform import Uniform
from .utils import broadcast_all, finfo, finfo_tiny

_EULER = 0.57721566490153286061


class Gumbel(TransformedFamily):
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all("Gumbel", loc, scale)
        eps, _ = finfo(self.loc.dtype)
        tiny = finfo_tiny(self.loc.dtype)
        base = Uniform(self.loc.new_zeros(self.loc.shape) + tiny, self.loc.new_zeros(self.loc.shape) + (1 - eps),
                       validate_args=False)
        # U -> -log U -> log(-log U) ... -> loc - scale log(-log U)
        transforms = [ExpTransform().inv, AffineTransform(0, -1.0), ExpTransform().inv,
                      AffineTransform(self.loc, -self.scale)]
        super().__init__(base, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = super().expand(batch_shape, _instance)
        new.loc, new.scale = self.loc.expand(batch_shape), self.scale.expand(batch_shape)
        new.transforms = self.transforms[:3] + [AffineTransform(new.loc, -new.scale)]
        return new

    @property
    def has_rsample(self):
        return True

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) / self.scale
        return -(z + exp(-z)) - log(self.scale)

    @property
    def mean(self):
        return self.loc + self.scale * _EULER

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return (math.pi / math.sqrt(6)) * self.scale

    @property
    def variance(self):
        return self.stddev ** 2

    def entropy(self):
        return log(self.scale) + (1 + _EULER)
