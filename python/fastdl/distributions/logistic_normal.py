"""LogisticNormal(loc, scale): StickBreakingTransform of a Normal vector, on the simplex
(event_shape (K + 1,) for loc of K entries)."""
from . import constraints
from ._transformed_family import TransformedFamily
from .normal import Normal
from .transforms import StickBreakingTransform


class LogisticNormal(TransformedFamily):
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        base = Normal(loc, scale, validate_args=validate_args)
        if not base.batch_shape:
            base = base.expand([1])
        super().__init__(base, StickBreakingTransform(), validate_args=validate_args)

    @property
    def loc(self):
        return self.base_dist.base_dist.loc

    @property
    def scale(self):
        return self.base_dist.base_dist.scale
