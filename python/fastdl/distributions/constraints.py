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


# ---- the further constraints of the continuous / discrete families (torch's names) ----

class _GreaterThan(Constraint):
    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def check(self, value):
        return value > self.lower_bound

    def __repr__(self):
        return f"GreaterThan(lower_bound={self.lower_bound})"


class _GreaterThanEq(_GreaterThan):
    def check(self, value):
        return value >= self.lower_bound

    def __repr__(self):
        return f"GreaterThanEq(lower_bound={self.lower_bound})"


class _LessThan(Constraint):
    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def check(self, value):
        return value < self.upper_bound

    def __repr__(self):
        return f"LessThan(upper_bound={self.upper_bound})"


class _Interval(Constraint):
    """[lower, upper]; the bounds may be tensors (Uniform's support)."""

    def __init__(self, lower_bound, upper_bound):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, value):
        return logical_and(value >= self.lower_bound, value <= self.upper_bound)

    def __repr__(self):
        return f"{type(self).__name__.lstrip('_')}(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _HalfOpenInterval(_Interval):
    def check(self, value):
        return logical_and(value >= self.lower_bound, value < self.upper_bound)


class _IntegerGreaterThan(Constraint):
    is_discrete = True

    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def check(self, value):
        return logical_and(remainder(value, 1) == 0, value >= self.lower_bound)

    def __repr__(self):
        return f"IntegerGreaterThan(lower_bound={self.lower_bound})"


class _Multinomial(Constraint):
    """Non-negative integer counts summing to at most upper_bound (torch's check)."""
    is_discrete = True
    event_dim = 1

    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def check(self, value):
        return logical_and(_all(value >= 0, -1), value.sum(-1) <= self.upper_bound)


class _LowerTriangular(Constraint):
    event_dim = 2

    def check(self, value):
        return _all(_all(value.tril() == value, -1), -1)


class _LowerCholesky(Constraint):
    event_dim = 2

    def check(self, value):
        lower = _all(_all(value.tril() == value, -1), -1)
        return logical_and(lower, _all(value.diagonal(0, -2, -1) > 0, -1))


class _PositiveDefinite(Constraint):
    """Symmetric with a Cholesky factor (checked per matrix; torch uses cholesky_ex)."""
    event_dim = 2

    def check(self, value):
        from ..ops.linalg_factor import cholesky
        sym = _all(_all(_abs(value - value.transpose(-2, -1)) <= 1e-6 * (1 + _abs(value)), -1), -1)
        mats = value.detach().reshape(-1, value.shape[-2], value.shape[-1])
        oks = []
        for i in range(mats.shape[0]):  # one factorisation per matrix: a failure marks that one only
            try:
                cholesky(mats[i])
                oks.append(True)
            except (RuntimeError, ValueError):
                oks.append(False)
        from ..tensor import tensor
        pd = tensor(oks, device=value.device).reshape(tuple(value.shape[:-2]))
        return logical_and(sym, pd)


class _Dependent(Constraint):
    """A support that depends on the parameters (a transformed distribution's): not checkable."""
    is_dependent = True

    def check(self, value):
        raise ValueError("cannot determine validity of a dependent constraint")


def greater_than(lower_bound):
    return _GreaterThan(lower_bound)


def greater_than_eq(lower_bound):
    return _GreaterThanEq(lower_bound)


def less_than(upper_bound):
    return _LessThan(upper_bound)


def interval(lower_bound, upper_bound):
    return _Interval(lower_bound, upper_bound)


def half_open_interval(lower_bound, upper_bound):
    return _HalfOpenInterval(lower_bound, upper_bound)


def multinomial(upper_bound):
    return _Multinomial(upper_bound)


dependent = _Dependent()
nonnegative = greater_than_eq(0.0)
nonnegative_integer = _IntegerGreaterThan(0)
positive_integer = _IntegerGreaterThan(1)
lower_triangular = _LowerTriangular()
lower_cholesky = _LowerCholesky()
positive_definite = _PositiveDefinite()
