"""Distribution: the base of every distribution (torch.distributions.Distribution's API).

Shapes: a sample has shape sample_shape + batch_shape + event_shape; log_prob and
entropy reduce the event dims, giving sample_shape + batch_shape and batch_shape.
"""
import warnings

from ..autograd import no_grad
from ..ops import exp, nonzero
from ..ops._util import desc
from ..tensor import Size, Tensor
from .utils import as_size, lazy_property


class Distribution:
    has_rsample = False
    has_enumerate_support = False
    # as torch: checks on unless Python runs with -O (set_default_validate_args changes it)
    _validate_args = __debug__

    @staticmethod
    def set_default_validate_args(value):
        if value not in (True, False):
            raise ValueError(f"Distribution.set_default_validate_args: expected True or False, got {value!r}")
        Distribution._validate_args = value

    def __init__(self, batch_shape=Size(), event_shape=Size(), validate_args=None):
        self._batch_shape = as_size(type(self).__name__, batch_shape)
        self._event_shape = as_size(type(self).__name__, event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            self._check_parameters()

    def _given_parameters(self):
        """{name: value} of the parameters validate_args checks: those of arg_constraints
        not derived lazily from another (that one is checked itself)."""
        return {param: getattr(self, param) for param in self.arg_constraints
                if param in self.__dict__ or not isinstance(getattr(type(self), param, None), lazy_property)}

    def _check_parameters(self):
        name = type(self).__name__
        try:
            given = self._given_parameters()
        except NotImplementedError:
            warnings.warn(f"{name} does not define `arg_constraints`: set `arg_constraints = {{}}` or pass "
                          f"validate_args=False to turn off validation", stacklevel=3)
            return
        for param, value in given.items():
            constraint = self.arg_constraints[param]
            if getattr(constraint, "is_dependent", False):
                continue  # depends on another parameter (Uniform's low < high): not checked, as torch
            valid = constraint.check(value)
            if not bool(valid.all()):
                raise ValueError(f"{name}: expected parameter {param} ({desc(value)}) to satisfy the constraint "
                                 f"{constraint!r}, but found invalid values{_first_bad(value, valid)}")

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def event_shape(self):
        return self._event_shape

    @property
    def arg_constraints(self):
        raise NotImplementedError

    @property
    def support(self):
        raise NotImplementedError

    def expand(self, batch_shape, _instance=None):
        raise NotImplementedError(f"{type(self).__name__} does not implement expand")

    @property
    def mean(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement mean")

    @property
    def mode(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement mode")

    @property
    def variance(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement variance")

    @property
    def stddev(self):
        return self.variance.sqrt()

    def sample(self, sample_shape=Size()):
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=Size()):
        raise NotImplementedError(f"{type(self).__name__} has no reparameterized sample (has_rsample is False); "
                                  f"use sample(), which carries no gradient")

    def log_prob(self, value):
        raise NotImplementedError(f"{type(self).__name__} does not implement log_prob")

    def cdf(self, value):
        raise NotImplementedError(f"{type(self).__name__} does not implement cdf")

    def icdf(self, value):
        raise NotImplementedError(f"{type(self).__name__} does not implement icdf")

    def enumerate_support(self, expand=True):
        raise NotImplementedError(f"{type(self).__name__} does not implement enumerate_support")

    def entropy(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement entropy")

    def perplexity(self):
        return exp(self.entropy())

    def _extended_shape(self, sample_shape=Size()):
        return Size(tuple(as_size(type(self).__name__, sample_shape)) + tuple(self._batch_shape)
                    + tuple(self._event_shape))

    def _validate_sample(self, value):
        """log_prob's checks (validate_args): value's rightmost dims must be event_shape,
        the rest broadcastable with batch_shape, and its entries inside the support."""
        name = type(self).__name__
        if not isinstance(value, Tensor):
            raise ValueError(f"{name}: the value argument to log_prob must be a Tensor, got {type(value).__name__}")
        n_event = len(self._event_shape)
        if tuple(value.shape[value.ndim - n_event:]) != tuple(self._event_shape) or value.ndim < n_event:
            raise ValueError(f"{name}: the rightmost dims of value {desc(value)} must match event_shape "
                             f"{list(self._event_shape)}")
        expected = tuple(self._batch_shape) + tuple(self._event_shape)
        for i, j in zip(reversed(tuple(value.shape)), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"{name}: value {desc(value)} is not broadcastable with batch_shape + event_shape "
                                 f"{list(expected)}")
        try:
            support = self.support
        except NotImplementedError:
            warnings.warn(f"{name} does not define `support` to enable sample validation; pass "
                          f"validate_args=False to turn it off", stacklevel=3)
            return
        valid = support.check(value)
        if not bool(valid.all()):
            raise ValueError(f"{name}: expected value {desc(value)} to be within the support {support!r}, "
                             f"but found invalid values{_first_bad(value, valid)}")

    def _get_checked_instance(self, cls, _instance=None):
        if _instance is None and type(self).__init__ is not cls.__init__:
            raise NotImplementedError(f"subclass {type(self).__name__} of {cls.__name__} defines its own __init__, "
                                      f"so it must also define expand()")
        return self.__new__(type(self)) if _instance is None else _instance

    def __repr__(self):
        try:
            names = [k for k in self.arg_constraints if k in self.__dict__]
        except NotImplementedError:
            names = []
        args = ", ".join(f"{k}: {self.__dict__[k] if self.__dict__[k].numel() == 1 else list(self.__dict__[k].shape)}"
                         for k in names)
        return f"{type(self).__name__}({args})"


def _first_bad(value, valid):
    """', e.g. <entry> at index (i, j)' for the first entry (or event) that failed."""
    if valid.ndim == 0:
        return f": {value}" if value.numel() <= 8 else ""
    idx = tuple(nonzero(~valid)[0].tolist())
    return f", e.g. {value[idx].tolist()} at index {idx}"
