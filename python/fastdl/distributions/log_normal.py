"""LogNormal(loc, scale): exp(X) for X ~ Normal(loc, scale)."""
from ..ops import exp, expm1
from . import constraints
from ._transformed_family import TransformedFamily
from .normal import Normal
from .transforms import ExpTransform


class LogNormal(TransformedFamily):
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        super().__init__(Normal(loc, scale, validate_args=False), ExpTransform(),
                         validate_args=validate_args)

    def _given_parameters(self):
        return {"loc": self.loc, "scale": self.scale}

    @property
    def loc(self):
        return self.base_dist.loc

    @property
    def scale(self):
        return self.base_dist.scale

    @property
    def mean(self):
        return exp(self.loc + self.scale ** 2 / 2)

    @property
    def mode(self):
        return exp(self.loc - self.scale ** 2)

    @property
    def variance(self):
        s2 = self.scale ** 2
        return expm1(s2) * exp(2 * self.loc + s2)

    def entropy(self):
        return self.base_dist.entropy() + self.loc
