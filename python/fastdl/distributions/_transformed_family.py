"""The expand shared by the families built as a TransformedDistribution of a base
(HalfNormal, LogNormal, Gumbel, ...): the base is expanded, the transforms kept; and
HalfFamily, the shared body of HalfNormal and HalfCauchy."""
import math

from ..ops import where
from . import constraints
from .transformed_distribution import TransformedDistribution
from .transforms import AbsTransform


class TransformedFamily(TransformedDistribution):
    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(type(self), _instance)
        return TransformedDistribution.expand(self, batch_shape, _instance=new)


class HalfFamily(TransformedFamily):
    """|X| for X ~ _base(0, scale) (HalfNormal, HalfCauchy): the density folded onto [0, inf)."""
    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _base = None  # the location-scale family folded

    def __init__(self, scale, validate_args=None):
        super().__init__(self._base(0, scale, validate_args=False), AbsTransform(), validate_args=validate_args)

    @property
    def scale(self):
        return self.base_dist.scale

    @property
    def mode(self):
        return self.scale.new_zeros(self.scale.shape)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        lp = self.base_dist.log_prob(value) + math.log(2)
        return where(value >= 0, lp, -math.inf)

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, prob):
        return self.base_dist.icdf((prob + 1) / 2)

    def entropy(self):
        return self.base_dist.entropy() - math.log(2)


class RelaxedFamily(TransformedFamily):
    """_transform() of a _base(temperature, probs | logits) (RelaxedBernoulli,
    RelaxedOneHotCategorical): the parameters are the base's."""
    has_rsample = True
    _base = _transform = None

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        base = self._base(temperature, probs, logits, validate_args=False)
        super().__init__(base, self._transform(), validate_args=validate_args)

    def _given_parameters(self):
        return self.base_dist._given_parameters()

    @property
    def temperature(self):
        return self.base_dist.temperature

    @property
    def logits(self):
        return self.base_dist.logits

    @property
    def probs(self):
        return self.base_dist.probs
