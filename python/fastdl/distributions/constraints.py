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


# ---- the matrix / composite constraints of the transforms and LKJCholesky / Wishart ----

class _CorrCholesky(Constraint):
    """Lower Cholesky factor of a correlation matrix: positive diagonal, unit-norm rows."""
    event_dim = 2

    def check(self, value):
        from .utils import finfo
        from ..ops import sqrt
        tol = finfo(value.dtype)[0] * value.shape[-1] * 10
        v = value.detach()
        row_norm = sqrt((v * v).sum(-1))
        return logical_and(_LowerCholesky().check(value), _all(_abs(row_norm - 1.0) <= tol, -1))


class _Square(Constraint):
    event_dim = 2

    def check(self, value):
        from ..tensor import full
        from .. import dtypes
        return full(tuple(value.shape[:-2]), value.shape[-2] == value.shape[-1], dtype=dtypes.bool_,
                    device=value.device)


class _Symmetric(_Square):
    def check(self, value):
        square = super().check(value)
        if not bool(square.all()):
            return square
        return _all(_all(_abs(value - value.transpose(-2, -1)) <= 1e-6, -2), -1)


class _PositiveSemidefinite(_Symmetric):
    def check(self, value):
        sym = super().check(value)
        if not bool(sym.all()):
            return sym
        from ..ops.linalg_factor_more import eigvalsh
        return _all(eigvalsh(value) >= 0, -1)


def _check_dim(owner, dim, value):
    if not -value.ndim <= dim < value.ndim:
        raise AssertionError(f"{owner}: dim {dim} out of range for value with {value.ndim} dimensions")


class _Cat(Constraint):
    """cseq[i] on the lengths[i]-long slice i of dim (CatTransform's domain / codomain)."""

    def __init__(self, cseq, dim=0, lengths=None):
        cseq = list(cseq)
        if not all(isinstance(c, Constraint) for c in cseq):
            raise AssertionError("constraints.cat: all elements of cseq must be Constraint instances")
        self.cseq = cseq
        self.lengths = [1] * len(cseq) if lengths is None else list(lengths)
        if len(self.lengths) != len(self.cseq):
            raise AssertionError(f"constraints.cat: lengths ({len(self.lengths)}) must match cseq ({len(self.cseq)})")
        self.dim = dim

    @property
    def is_discrete(self):
        return any(c.is_discrete for c in self.cseq)

    @property
    def event_dim(self):
        return max(c.event_dim for c in self.cseq)

    def check(self, value):
        from ..ops import cat as _cat
        _check_dim("constraints.cat", self.dim, value)
        checks, start = [], 0
        for c, n in zip(self.cseq, self.lengths):
            checks.append(c.check(value.narrow(self.dim, start, n)))
            start += n
        return _cat(checks, self.dim)


class _Stack(Constraint):
    """cseq[i] on the slice value.select(dim, i) (StackTransform's domain / codomain)."""

    def __init__(self, cseq, dim=0):
        cseq = list(cseq)
        if not all(isinstance(c, Constraint) for c in cseq):
            raise AssertionError("constraints.stack: all elements of cseq must be Constraint instances")
        self.cseq, self.dim = cseq, dim

    @property
    def is_discrete(self):
        return any(c.is_discrete for c in self.cseq)

    @property
    def event_dim(self):
        dim = max(c.event_dim for c in self.cseq)
        return dim + 1 if self.dim + dim < 0 else dim

    def check(self, value):
        from ..ops import stack as _stack
        _check_dim("constraints.stack", self.dim, value)
        vs = [value.select(self.dim, i) for i in range(value.shape[self.dim])]
        return _stack([c.check(v) for v, c in zip(vs, self.cseq)], self.dim)


corr_cholesky = _CorrCholesky()
square = _Square()
symmetric = _Symmetric()
positive_semidefinite = _PositiveSemidefinite()
cat = _Cat
stack = _Stack
# torch's names are the classes themselves (constraint_registry registers them by type)
_Independent.base_constraint = property(lambda self: self.base)
_Independent.reinterpreted_batch_ndims = property(lambda self: self.ndims)
independent = _Independent
greater_than = _GreaterThan
greater_than_eq = _GreaterThanEq
less_than = _LessThan
interval = _Interval
half_open_interval = _HalfOpenInterval
integer_interval = _IntegerInterval
multinomial = _Multinomial
