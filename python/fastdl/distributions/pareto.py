"""Pareto(scale, alpha): scale * exp(E) for E ~ Exponential(alpha), on x >= scale."""
from ..ops import log
from . import constraints
from ._transformed_family import TransformedFamily
from .exponential import Exponential
from .transforms import AffineTransform, ExpTransform
from .utils import broadcast_all


class Pareto(TransformedFamily):
    arg_constraints = {"alpha": constraints.positive, "scale": constraints.positive}
    has_rsample = True

    def __init__(self, scale, alpha, validate_args=None):
        self.scale, self.alpha = broadcast_all("Pareto", scale, alpha)
        base = Exponential(self.alpha, validate_args=False)
        super().__init__(base, [ExpTransform(), AffineTransform(0, self.scale)], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = super().expand(batch_shape, _instance)
        new.scale, new.alpha = self.scale.expand(batch_shape), self.alpha.expand(batch_shape)
        new.transforms = [ExpTransform(), AffineTransform(0, new.scale)]
        return new

    @property
    def support(self):
        return constraints.greater_than_eq(self.scale)

    @property
    def mean(self):
        a = self.alpha.clamp(min=1)  # infinite for alpha <= 1
        return a * self.scale / (a - 1)

    @property
    def mode(self):
        return self.scale

    @property
    def variance(self):
        a = self.alpha.clamp(min=2)  # infinite for alpha <= 2
        return self.scale ** 2 * a / ((a - 1) ** 2 * (a - 2))

    def entropy(self):
        return log(self.scale / self.alpha) + self.alpha.reciprocal() + 1
