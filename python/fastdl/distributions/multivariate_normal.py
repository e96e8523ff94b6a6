"""MultivariateNormal(loc, covariance_matrix | precision_matrix | scale_tril): the Gaussian
over event_shape (K,), parameterised through the lower Cholesky factor L (cov = L L^T)."""
import math

from ..ops import log, matmul, randn
from ..ops._util import broadcast_shapes, desc
from ..ops.linalg_factor import _cholesky_top as cholesky, inv, solve_triangular
from ..tensor import Size, Tensor, eye
from . import constraints
from .distribution import Distribution
from .utils import lazy_property


def _batch_mahalanobis(L, x):
    """x^T (L L^T)^-1 x over the batch: |L^-1 x|^2 by a triangular solve (L broadcast to x)."""
    shape = broadcast_shapes("MultivariateNormal", tuple(L.shape[:-2]), tuple(x.shape[:-1]))
    k = x.shape[-1]
    Lb = L.expand(shape + (k, k)).reshape(-1, k, k)
    xb = x.expand(shape + (k,)).reshape(-1, k, 1)
    y = solve_triangular(Lb, xb, upper=False)
    return (y * y).sum((-2, -1)).reshape(shape)


def _precision_to_scale_tril(P):
    # cov = P^-1, symmetrised against rounding before the factorisation
    cov = inv(P)
    return cholesky((cov + cov.transpose(-2, -1)) / 2)


class MultivariateNormal(Distribution):
    arg_constraints = {"loc": constraints.real_vector, "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite, "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        name = "MultivariateNormal"
        if not isinstance(loc, Tensor) or loc.ndim < 1:
            raise ValueError(f"{name}: loc must be at least one-dimensional, got "
                             f"{desc(loc) if isinstance(loc, Tensor) else type(loc).__name__}")
        given = [(k, v) for k, v in (("covariance_matrix", covariance_matrix), ("precision_matrix", precision_matrix),
                                     ("scale_tril", scale_tril)) if v is not None]
        if len(given) != 1:
            raise ValueError(f"{name}: exactly one of covariance_matrix or precision_matrix or scale_tril may be "
                             f"specified, got {[k for k, _ in given] or 'none'}")
        key, M = given[0]
        if not isinstance(M, Tensor) or M.ndim < 2:
            raise ValueError(f"{name}: {key} must be at least two-dimensional, with optional leading batch "
                             f"dimensions, got {desc(M) if isinstance(M, Tensor) else type(M).__name__}")
        k = loc.shape[-1]
        if tuple(M.shape[-2:]) != (k, k):
            raise ValueError(f"{name}: {key} {desc(M)} must be ({k}, {k}) to match loc {desc(loc)}")
        try:
            batch_shape = broadcast_shapes(name, tuple(M.shape[:-2]), tuple(loc.shape[:-1]))
        except ValueError:
            raise ValueError(f"{name}: the batch dims of {key} {desc(M)} and loc {desc(loc)} cannot be "
                             f"broadcast") from None
        setattr(self, key, M.expand(batch_shape + (k, k)))
        self.loc = loc.expand(batch_shape + (k,))
        super().__init__(batch_shape, (k,), validate_args=validate_args)
        if key == "scale_tril":
            self._unbroadcasted_scale_tril = M
        elif key == "covariance_matrix":
            self._unbroadcasted_scale_tril = cholesky(M)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(M)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(MultivariateNormal, _instance)
        batch_shape = Size(tuple(batch_shape))
        k = self.event_shape[0]
        new.loc = self.loc.expand(tuple(batch_shape) + (k,))
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for key in ("covariance_matrix", "precision_matrix", "scale_tril"):
            if key in self.__dict__:
                new.__dict__[key] = self.__dict__[key].expand(tuple(batch_shape) + (k, k))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(tuple(self._batch_shape) + tuple(self._event_shape) * 2)

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return matmul(L, L.transpose(-2, -1)).expand(tuple(self._batch_shape) + tuple(self._event_shape) * 2)

    @lazy_property
    def precision_matrix(self):
        L = self._unbroadcasted_scale_tril
        k = L.shape[-1]
        Linv = solve_triangular(L, eye(k, dtype=L.dtype, device=L.device).expand(L.shape), upper=False)
        return matmul(Linv.transpose(-2, -1), Linv).expand(tuple(self._batch_shape) + tuple(self._event_shape) * 2)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        L = self._unbroadcasted_scale_tril
        return (L * L).sum(-1).expand(tuple(self._batch_shape) + tuple(self._event_shape))

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        eps = randn(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + matmul(self._unbroadcasted_scale_tril, eps.unsqueeze(-1)).squeeze(-1)

    def _half_log_det(self):
        return log(self._unbroadcasted_scale_tril.diagonal(0, -2, -1)).sum(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        m = _batch_mahalanobis(self._unbroadcasted_scale_tril, diff)
        k = self._event_shape[0]
        return -0.5 * (k * math.log(2 * math.pi) + m) - self._half_log_det()

    def entropy(self):
        k = self._event_shape[0]
        h = 0.5 * k * (1.0 + math.log(2 * math.pi)) + self._half_log_det()
        return h.expand(self._batch_shape) if len(self._batch_shape) else h
