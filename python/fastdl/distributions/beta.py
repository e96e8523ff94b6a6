"""Beta(concentration1, concentration0): the first coordinate of a two-category Dirichlet."""
import numbers

from ..ops import stack
from ..tensor import Size
from . import constraints
from .dirichlet import Dirichlet
from .distribution import Distribution
from .utils import broadcast_all


class Beta(Distribution):
    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        c1, c0 = broadcast_all("Beta", concentration1, concentration0)
        self._c1, self._c0 = c1, c0
        self._dirichlet = Dirichlet(stack([c1, c0], -1), validate_args=False)
        scalar = isinstance(concentration1, numbers.Number) and isinstance(concentration0, numbers.Number)
        super().__init__(Size() if scalar else c1.shape, validate_args=validate_args)

    def _given_parameters(self):
        return {"concentration1": self._c1, "concentration0": self._c0}

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Beta, _instance)
        batch_shape = Size(tuple(batch_shape))
        new._c1, new._c0 = self._c1.expand(batch_shape), self._c0.expand(batch_shape)
        new._dirichlet = self._dirichlet.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def concentration1(self):
        return self._c1

    @property
    def concentration0(self):
        return self._c0

    @property
    def mean(self):
        return self._c1 / (self._c1 + self._c0)

    @property
    def mode(self):
        return self._dirichlet.mode[..., 0]

    @property
    def variance(self):
        total = self._c1 + self._c0
        return self._c1 * self._c0 / (total ** 2 * (total + 1))

    def rsample(self, sample_shape=Size()):
        return self._dirichlet.rsample(sample_shape)[..., 0]

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        if isinstance(value, numbers.Number):
            value = broadcast_all("Beta", self._c1, value)[1]
        return self._dirichlet.log_prob(stack([value, 1.0 - value], -1))

    def entropy(self):
        return self._dirichlet.entropy()
