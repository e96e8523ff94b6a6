"""The shared machinery of the distributions with elementwise tensor parameters
(Uniform, Exponential, Gamma, ...): broadcasting, batch_shape and expand."""
import numbers

from ..ops import rand
from ..tensor import Size
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all, finfo, lazy_property, logits_to_probs, probs_to_logits


class ParamDistribution(Distribution):
    """Subclasses set _param_names and call _init_params(validate_args, *values)."""
    _param_names = ()

    def _init_params(self, validate_args, *values, event_shape=Size()):
        tensors = broadcast_all(type(self).__name__, *values)
        for name, t in zip(self._param_names, tensors):
            setattr(self, name, t)
        scalar = all(isinstance(v, numbers.Number) for v in values)
        batch = Size() if scalar else tensors[0].shape[:tensors[0].ndim - len(event_shape)]
        Distribution.__init__(self, batch, event_shape, validate_args=validate_args)

    @property
    def _p0(self):
        return getattr(self, self._param_names[0])

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(type(self), _instance)
        batch_shape = Size(tuple(batch_shape))
        if "_param_names" in self.__dict__:  # per instance (probs or logits given): keep it
            new._param_names = self._param_names
        for name in self._param_names:
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(tuple(batch_shape) + tuple(self.event_shape)))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _value(self, value):
        """log_prob's value after validation: a number becomes a tensor of the parameters' dtype."""
        if self._validate_args:
            self._validate_sample(value)
        if isinstance(value, numbers.Number):
            value = broadcast_all(type(self).__name__, self._p0, value)[1]
        return value

    def _uniform(self, sample_shape, low_eps=True):
        """U(0, 1) of the extended shape, in (tiny, 1): its logs stay finite."""
        p = self._p0
        u = rand(self._extended_shape(sample_shape), dtype=p.dtype, device=p.device)
        eps, _ = finfo(p.dtype)
        return u.clamp(min=eps if low_eps else 0.0, max=1 - eps)

    def _full(self, value, sample_shape=Size()):
        p = self._p0
        return p.new_zeros(self._extended_shape(sample_shape)) + value


def probs_or_logits(owner, probs, logits):
    """The one of probs / logits given (a ValueError naming owner when not exactly one)."""
    if (probs is None) == (logits is None):
        raise ValueError(f"{owner}: either `probs` or `logits` must be specified, but not both")
    return ("probs", probs) if probs is not None else ("logits", logits)


class ProbsLogitsMixin:
    """Distributions given probs or logits: one stored (and as self._param), the other a
    lazy_property of it. The shared __init__ head and expand()."""

    def _init_probs_or_logits(self, probs, logits, convert_probs=None):
        """Stores the one of probs / logits given, broadcast to a tensor (probs through
        convert_probs when given); returns the batch shape ((), for a number)."""
        name = type(self).__name__
        which, param = probs_or_logits(name, probs, logits)
        (value,) = broadcast_all(name, param)
        if which == "probs" and convert_probs is not None:
            value = convert_probs(value)
        setattr(self, which, value)
        self._param = value
        return Size() if isinstance(param, numbers.Number) else value.shape

    def _expand_probs_logits(self, cls, batch_shape, _instance, event_dims=(), keep=()):
        """expand() of such a distribution: the stored parameter expanded to batch_shape +
        event_dims, the attributes named in keep copied as they are."""
        new = self._get_checked_instance(cls, _instance)
        batch_shape = Size(tuple(batch_shape))
        for name in keep:
            setattr(new, name, getattr(self, name))
        param_shape = tuple(batch_shape) + tuple(event_dims) if event_dims else batch_shape
        for key in ("probs", "logits"):
            if key in self.__dict__:
                new.__dict__[key] = self.__dict__[key].expand(param_shape)
                new._param = new.__dict__[key]
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new


class BinaryProbsLogitsMixin:
    """probs (P[success]) and logits (its log-odds) of a Bernoulli-trial distribution: the
    one not given is computed from the other on first use."""

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)


class TotalCountProbsDistribution(BinaryProbsLogitsMixin, ParamDistribution):
    """ParamDistribution of (total_count, probs | logits): Binomial, NegativeBinomial.
    total_count takes the parameter's dtype, which leads in _p0."""

    def _init_total_count(self, owner, total_count, probs, logits, validate_args):
        which, value = probs_or_logits(owner, probs, logits)
        self._param_names = ("total_count", which)
        self._init_params(validate_args, total_count, value)
        self._param_names = (which, "total_count")  # the parameter's dtype leads in _p0
        self.total_count = self.total_count.to(getattr(self, which).dtype)

    @property
    def param_shape(self):
        return self._p0.shape


class LocScaleDistribution(ParamDistribution):
    """A real-valued ParamDistribution of (loc, scale), reparameterised, whose mode is loc
    (Cauchy, Laplace)."""
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True
    _param_names = ("loc", "scale")

    def __init__(self, loc, scale, validate_args=None):
        self._init_params(validate_args, loc, scale)

    @property
    def mode(self):
        return self.loc
