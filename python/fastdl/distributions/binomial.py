"""Binomial(total_count, probs | logits): successes among total_count Bernoulli trials."""
import math

from ..autograd import no_grad
from ..ops import abs as _abs, ceil, exp, isfinite, lgamma, log, log1p, rand, where
from ..tensor import Size, arange
from . import constraints
from ._params import TotalCountProbsDistribution
from .utils import finfo_tiny


def _clamp_by_zero(x):
    # x.clamp(min=0) with gradient 1/2 at 0, as torch
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


def _sample_binomial(n, p):
    """Counts of successes, by summing geometric gaps between successes: with p folded
    to <= 1/2, about n * min(p, 1 - p) + 1 rounds of vectorised ops."""
    flip = p > 0.5
    q = where(flip, 1 - p, p)
    log1mq = log1p(-q)
    k = n.new_zeros(n.shape)
    pos = n.new_zeros(n.shape)
    active = (q > 0) & (n > 0) & isfinite(n)  # an infinite count would never finish: nan below
    while bool(active.any()):
        u = rand(n.shape, dtype=n.dtype, device=n.device).clamp(min=finfo_tiny(n.dtype))
        pos = pos + ceil(log(u) / log1mq).clamp(min=1)  # trials up to the next success
        active = active & (pos <= n)
        k = k + active.to(n.dtype)
    return where(isfinite(n), where(flip, n - k, k), math.nan)


class Binomial(TotalCountProbsDistribution):
    arg_constraints = {"total_count": constraints.nonnegative_integer, "probs": constraints.unit_interval,
                       "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        self._init_total_count("Binomial", total_count, probs, logits, validate_args)

    @property
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        with no_grad():
            p = self.probs.detach().expand(shape)
            n = self.total_count.detach().to(p.dtype).expand(shape)
            return _sample_binomial(n, p)

    def log_prob(self, value):
        value = self._value(value)
        n = self.total_count
        logits = self.logits
        log_factorial_n = lgamma(n + 1)
        log_factorial_k = lgamma(value + 1)
        log_factorial_nmk = lgamma(n - value + 1)
        # n log(1 + e^logits) without overflow; logits -> -inf at p = 0 is handled by clamping
        normalize = n * _clamp_by_zero(logits) + n * log1p(exp(-_abs(logits))) - log_factorial_n
        return value * logits - log_factorial_k - log_factorial_nmk - normalize

    def entropy(self):
        n = int(float(self.total_count.max())) if self.total_count.numel() else 0
        if self.total_count.numel() and float(self.total_count.min()) != n:
            raise NotImplementedError("Binomial: inhomogeneous total_count is not supported by `entropy`")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(exp(log_prob) * log_prob).sum(0)

    def enumerate_support(self, expand=True):
        n = int(float(self.total_count.max())) if self.total_count.numel() else 0
        if self.total_count.numel() and float(self.total_count.min()) != n:
            raise NotImplementedError("Binomial: inhomogeneous total_count is not supported by `enumerate_support`")
        values = arange(1 + n, dtype=self._p0.dtype, device=self._p0.device)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values


