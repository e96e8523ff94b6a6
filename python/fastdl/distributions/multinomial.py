"""Multinomial(total_count, probs | logits): category counts of total_count draws
(event_shape (K,))."""
import numbers

from ..autograd import no_grad
from ..ops import exp, lgamma, one_hot, where
from ..tensor import Size
from . import constraints
from .binomial import Binomial
from .categorical import CategoricalWrapperMixin
from .distribution import Distribution
from .utils import broadcast_all


class Multinomial(CategoricalWrapperMixin, Distribution):
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, numbers.Integral) or isinstance(total_count, bool) or total_count < 0:
            raise NotImplementedError(f"Multinomial: total_count must be a non-negative int (inhomogeneous "
                                      f"total_count is not supported), got {total_count!r}")
        self._init_categorical("Multinomial", probs, logits)
        self.total_count = int(total_count)
        self._binomial = Binomial(total_count=self.total_count, probs=self.probs, validate_args=False)
        self._init_event_shape(validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expand_categorical(Multinomial, batch_shape, _instance, keep=("total_count",))
        new._binomial = Binomial(total_count=self.total_count, probs=new._categorical.probs, validate_args=False)
        return new

    @property
    def support(self):
        return constraints.multinomial(self.total_count)

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=Size()):
        sample_shape = Size(tuple(sample_shape))
        with no_grad():
            draws = self._categorical.sample(Size((self.total_count,)) + sample_shape)  # (n,) + sample + batch
            counts = one_hot(draws, self._categorical._num_events).to(self.probs.dtype)
            return counts.sum(0) if self.total_count else counts.new_zeros(self._extended_shape(sample_shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all("Multinomial", self.logits, value)
        log_factorial_n = lgamma(value.sum(-1) + 1)
        log_factorial_xs = lgamma(value + 1).sum(-1)
        # a zero count of an impossible category contributes 0, not 0 * -inf
        logits = where((value == 0) & (logits == -float("inf")), 0.0, logits)
        return (logits * value).sum(-1) + log_factorial_n - log_factorial_xs

    def entropy(self):
        n = self.total_count
        support = self._binomial.enumerate_support()  # (n + 1, batch..., K)
        binomial_probs = exp(self._binomial.log_prob(support))
        weights = lgamma(support + 1)
        import math
        return n * self._categorical.entropy() - math.lgamma(n + 1) + (weights * binomial_probs).sum(0).sum(-1)
