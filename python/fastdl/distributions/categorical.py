"""Categorical: a category index in {0, ..., K-1} per batch entry, from probs or logits
(..., K) over the last dim."""
import math

from .. import dtypes as _dt
from ..ops import gather, logsumexp, multinomial
from ..ops._util import broadcast_shapes, desc
from ..tensor import Size, Tensor, arange, full
from . import constraints
from ._params import ProbsLogitsMixin
from .distribution import Distribution
from .utils import finfo, lazy_property, logits_to_probs, probs_to_logits


class Categorical(ProbsLogitsMixin, Distribution):
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        name = type(self).__name__
        if (probs is None) == (logits is None):
            raise ValueError(f"{name}: either `probs` or `logits` must be specified, but not both")
        param = probs if probs is not None else logits
        which = "probs" if probs is not None else "logits"
        if not isinstance(param, Tensor):
            raise TypeError(f"{name}: `{which}` must be a Tensor, got {type(param).__name__}")
        if param.ndim < 1:
            raise ValueError(f"{name}: `{which}` must be at least one-dimensional (..., K), got {desc(param)}")
        if probs is not None:
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            # normalised in log space: logsumexp keeps large logits from overflowing
            self.logits = logits - logsumexp(logits, -1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.shape[-1]
        super().__init__(self._param.shape[:-1], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_probs_logits(Categorical, batch_shape, _instance, event_dims=(self._num_events,),
                                         keep=("_num_events",))

    @property
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits)

    @property
    def param_shape(self):
        return self._param.shape

    @property
    def mean(self):
        return full(self._extended_shape(), math.nan, dtype=self._param.dtype, device=self._param.device)

    @property
    def variance(self):
        return full(self._extended_shape(), math.nan, dtype=self._param.dtype, device=self._param.device)

    @property
    def mode(self):
        return self.probs.argmax(dim=-1)

    def sample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        n = math.prod(shape[:len(shape) - len(self._batch_shape)])
        probs_2d = self.probs.detach().reshape(-1, self._num_events)
        if n == 0 or probs_2d.shape[0] == 0:
            return full(shape, 0, dtype=_dt.int64, device=self._param.device)
        # one row per batch entry, n draws each: (rows, n) -> (n, rows) -> sample + batch
        return multinomial(probs_2d, n, True).t().reshape(shape)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        try:
            shape = broadcast_shapes("log_prob", tuple(value.shape) + (1,), self.logits.shape)
        except ValueError:
            raise ValueError(f"{type(self).__name__}.log_prob: value {desc(value)} cannot be broadcast with "
                             f"batch_shape {list(self._batch_shape)}") from None
        value = value.long().unsqueeze(-1)
        index = value.expand(shape[:-1] + (1,)).contiguous()
        return gather(self.logits.expand(shape), -1, index).squeeze(-1)

    def entropy(self):
        # a zero probability has logit -inf: clamped, its p * logit is 0 rather than nan
        logits = self.logits.clamp(min=finfo(self.logits.dtype)[1])
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        values = arange(self._num_events, dtype=_dt.int64, device=self._param.device)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values


class CategoricalWrapperMixin:
    """Distributions over the categories of an inner Categorical (self._categorical), whose
    event is the (K,) vector: OneHotCategorical, Multinomial, ExpRelaxedCategorical. The
    shared __init__ pieces, expand, parameter checks and probs / logits / param_shape."""

    def _init_categorical(self, owner, probs, logits):
        if (probs is None) == (logits is None):
            raise ValueError(f"{owner}: either `probs` or `logits` must be specified, but not both")
        self._categorical = Categorical(probs, logits, validate_args=False)

    def _init_event_shape(self, validate_args):
        Distribution.__init__(self, self._categorical.batch_shape, self._categorical.param_shape[-1:],
                              validate_args=validate_args)

    def _given_parameters(self):
        key = "probs" if "probs" in self._categorical.__dict__ else "logits"
        return {key: getattr(self._categorical, key)}

    def _expand_categorical(self, cls, batch_shape, _instance, keep=()):
        new = self._get_checked_instance(cls, _instance)
        batch_shape = Size(tuple(batch_shape))
        for name in keep:
            setattr(new, name, getattr(self, name))
        new._categorical = self._categorical.expand(batch_shape)
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def param_shape(self):
        return self._categorical.param_shape
