"""The sets a parameter or a sample must lie in (torch.distributions.constraints' few
that these distributions use). check(value) is a bool tensor over the batch: the event
dims (event_dim of them, on the right) are reduced, so one bad entry marks its event."""
from ..ops import abs as _abs, all as _all, isnan, logical_and, logical_or, remainder


class Constraint:
    is_discrete = False
    event_dim = 0

    def check(self, value):
        raise NotImplementedError

    def __repr__(self):
        return type(self).__name__.lstrip("_") + "()"


class _Real(Constraint):
    def check(self, value):
        return ~isnan(value)  # infinities are allowed, as in torch


class _Positive(Constraint):
    def check(self, value):
        return value > 0


class _UnitInterval(Constraint):
    def check(self, value):
        return logical_and(value >= 0, value <= 1)


class _Boolean(Constraint):
    is_discrete = True

    def check(self, value):
        return logical_or(value == 0, value == 1)


class _IntegerInterval(Constraint):
    is_discrete = True

    def __init__(self, lower, upper):
        self.lower, self.upper = lower, upper

    def check(self, value):
        whole = remainder(value, 1) == 0
        return logical_and(whole, logical_and(value >= self.lower, value <= self.upper))

    def __repr__(self):
        return f"IntegerInterval(lower_bound={self.lower}, upper_bound={self.upper})"


class _Simplex(Constraint):
    event_dim = 1

    def check(self, value):
        # the tolerance is torch's: normalised float32 probabilities sum to 1 within it
        return logical_and(_all(value >= 0, -1), _abs(value.sum(-1) - 1) < 1e-6)


class _OneHot(Constraint):
    is_discrete = True
    event_dim = 1

    def check(self, value):
        return logical_and(_all(logical_or(value == 0, value == 1), -1), value.sum(-1) == 1)


class _Independent(Constraint):
    """base_constraint over the last reinterpreted_batch_ndims dims as one event."""

    def __init__(self, base, reinterpreted_batch_ndims):
        self.base, self.ndims = base, reinterpreted_batch_ndims
        self.is_discrete = base.is_discrete
        self.event_dim = base.event_dim + reinterpreted_batch_ndims

    def check(self, value):
        ok = self.base.check(value)
        for _ in range(self.ndims):
            ok = _all(ok, -1)
        return ok

    def __repr__(self):
        return f"Independent({self.base!r}, {self.ndims})"


def independent(base, reinterpreted_batch_ndims):
    return _Independent(base, reinterpreted_batch_ndims)


def integer_interval(lower, upper):
    return _IntegerInterval(lower, upper)


real = _Real()
real_vector = independent(real, 1)
positive = _Positive()
unit_interval = _UnitInterval()
boolean = _Boolean()
simplex = _Simplex()
one_hot = _OneHot()
