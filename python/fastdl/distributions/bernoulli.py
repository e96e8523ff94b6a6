"""Bernoulli: 0 or 1 per batch entry, from probs (P[x = 1]) or logits (its log-odds)."""
import math

from ..autograd import no_grad
from ..nn.functional.loss import binary_cross_entropy_with_logits
from ..ops import bernoulli, where
from ..tensor import Size, arange
from . import constraints
from ._params import BinaryProbsLogitsMixin, ProbsLogitsMixin
from .distribution import Distribution
from .utils import broadcast_all


class Bernoulli(ProbsLogitsMixin, BinaryProbsLogitsMixin, Distribution):
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        batch_shape = self._init_probs_or_logits(probs, logits)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_probs_logits(Bernoulli, batch_shape, _instance)

    @property
    def param_shape(self):
        return self._param.shape

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        # p = 0.5 has two modes: nan there, as torch
        p = self.probs.detach()
        return where(p == 0.5, math.nan, (p >= 0.5).to(p.dtype))

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        with no_grad():
            return bernoulli(self.probs.detach().expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(type(self).__name__, self.logits, value)
        # -BCE(logits, value) = value * logits - softplus(logits), without overflow
        return -binary_cross_entropy_with_logits(logits, value.to(logits.dtype), reduction="none")

    def entropy(self):
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand=True):
        values = arange(2, dtype=self._param.dtype, device=self._param.device)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values
