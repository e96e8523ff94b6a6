"""The shared machinery of the distributions with elementwise tensor parameters
(Uniform, Exponential, Gamma, ...): broadcasting, batch_shape and expand."""
import numbers

from ..ops import rand
from ..tensor import Size
from .distribution import Distribution
from .utils import broadcast_all, finfo


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
