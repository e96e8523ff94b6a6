"""Normal(loc, scale): the Gaussian, with a reparameterized sample loc + scale * eps."""
import math
import numbers

from ..autograd import no_grad
from ..ops import erfc, log, randn
from ..ops.special_ops import ndtri
from ..tensor import Size, Tensor
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_RSQRT2 = 1.0 / math.sqrt(2.0)


class Normal(Distribution):
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(type(self).__name__, loc, scale)
        scalar = isinstance(loc, numbers.Number) and isinstance(scale, numbers.Number)
        super().__init__(Size() if scalar else self.loc.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Normal, _instance)
        batch_shape = Size(tuple(batch_shape))
        new.loc, new.scale = self.loc.expand(batch_shape), self.scale.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.scale * self.scale

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        # the noise carries no parameter, so the gradient flows to loc and scale
        eps = randn(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + eps * self.scale

    def sample(self, sample_shape=Size()):
        with no_grad():
            return self.rsample(sample_shape)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        if not isinstance(value, Tensor):
            value = broadcast_all(type(self).__name__, self.loc, value)[1]
        var = self.scale * self.scale
        return -((value - self.loc) ** 2) / (2 * var) - log(self.scale) - _HALF_LOG_2PI

    def entropy(self):
        return 0.5 + _HALF_LOG_2PI + log(self.scale)

    def cdf(self, value):
        """P(X <= value): erfc(-(value - loc) / (scale sqrt 2)) / 2, torch's
        (1 + erf(...)) / 2 without its cancellation in the lower tail."""
        if self._validate_args:
            self._validate_sample(value)
        if not isinstance(value, Tensor):
            value = broadcast_all(type(self).__name__, self.loc, value)[1]
        return erfc((value - self.loc) * self.scale.reciprocal() * -_RSQRT2) * 0.5

    def icdf(self, value):
        """The quantile loc + scale * ndtri(value): -inf at 0, inf at 1, NaN outside [0, 1]."""
        if not isinstance(value, Tensor):
            value = broadcast_all(type(self).__name__, self.loc, value)[1]
        return self.loc + self.scale * ndtri(value)
