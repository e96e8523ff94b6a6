"""LowRankMultivariateNormal(loc, cov_factor, cov_diag): the Gaussian with covariance
W W^T + diag(D) (W: (K, m)), scored through the m x m capacitance I + W^T D^-1 W
(Woodbury and the matrix determinant lemma), so log_prob costs O(K m^2), not O(K^3)."""
import math

from ..ops import diag_embed, log, matmul, randn
from ..ops._util import broadcast_shapes, desc
from ..ops.linalg_factor import _cholesky_top as cholesky, solve_triangular
from ..tensor import Size, Tensor, eye
from . import constraints
from .distribution import Distribution
from .multivariate_normal import _batch_mahalanobis
from .utils import lazy_property


def _capacitance_tril(W, D):
    m = W.shape[-1]
    K = matmul(W.transpose(-2, -1) / D.unsqueeze(-2), W) + eye(m, dtype=W.dtype, device=W.device)
    return cholesky(K)


class LowRankMultivariateNormal(Distribution):
    arg_constraints = {"loc": constraints.real_vector, "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, cov_factor, cov_diag, validate_args=None):
        name = "LowRankMultivariateNormal"
        for key, v, nd in (("loc", loc, 1), ("cov_factor", cov_factor, 2), ("cov_diag", cov_diag, 1)):
            if not isinstance(v, Tensor) or v.ndim < nd:
                raise ValueError(f"{name}: {key} must be at least {nd}-dimensional, got "
                                 f"{desc(v) if isinstance(v, Tensor) else type(v).__name__}")
        k = loc.shape[-1]
        if cov_factor.shape[-2] != k:
            raise ValueError(f"{name}: cov_factor {desc(cov_factor)} must have {k} rows (loc {desc(loc)})")
        if cov_diag.shape[-1] != k:
            raise ValueError(f"{name}: cov_diag {desc(cov_diag)} must have {k} entries (loc {desc(loc)})")
        m = cov_factor.shape[-1]
        try:
            batch = broadcast_shapes(name, tuple(loc.shape[:-1]), tuple(cov_factor.shape[:-2]),
                                     tuple(cov_diag.shape[:-1]))
        except ValueError:
            raise ValueError(f"{name}: the batch dims of loc {desc(loc)}, cov_factor {desc(cov_factor)} and "
                             f"cov_diag {desc(cov_diag)} cannot be broadcast") from None
        self.loc = loc.expand(batch + (k,))
        self.cov_factor = cov_factor.expand(batch + (k, m))
        self.cov_diag = cov_diag.expand(batch + (k,))
        self._W, self._D = cov_factor, cov_diag
        super().__init__(batch, (k,), validate_args=validate_args)
        self._capacitance = _capacitance_tril(cov_factor, cov_diag)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LowRankMultivariateNormal, _instance)
        batch_shape = tuple(batch_shape)
        k, m = self.cov_factor.shape[-2:]
        new.loc = self.loc.expand(batch_shape + (k,))
        new.cov_factor = self.cov_factor.expand(batch_shape + (k, m))
        new.cov_diag = self.cov_diag.expand(batch_shape + (k,))
        new._W, new._D, new._capacitance = self._W, self._D, self._capacitance
        Distribution.__init__(new, Size(batch_shape), self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _full(self, t, tail):
        return t.expand(tuple(self._batch_shape) + tail)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @lazy_property
    def variance(self):
        return self._full((self._W * self._W).sum(-1) + self._D, tuple(self._event_shape))

    @lazy_property
    def scale_tril(self):
        k = self._event_shape[0]
        sqrt_d = self._D.sqrt().unsqueeze(-1)
        dw = self._W / sqrt_d
        K = matmul(dw, dw.transpose(-2, -1)) + eye(k, dtype=self._W.dtype, device=self._W.device)
        return self._full(sqrt_d * cholesky(K), (k, k))

    @lazy_property
    def covariance_matrix(self):
        k = self._event_shape[0]
        return self._full(matmul(self._W, self._W.transpose(-2, -1)) + diag_embed(self._D), (k, k))

    @lazy_property
    def precision_matrix(self):
        k = self._event_shape[0]
        wt_dinv = self._W.transpose(-2, -1) / self._D.unsqueeze(-2)
        C = self._capacitance
        shape = broadcast_shapes("LowRankMultivariateNormal", tuple(C.shape[:-2]), tuple(wt_dinv.shape[:-2]))
        m = C.shape[-1]
        A = solve_triangular(C.expand(shape + (m, m)), wt_dinv.expand(shape + (m, k)), upper=False)
        return self._full(diag_embed(self._D.reciprocal()) - matmul(A.transpose(-2, -1), A), (k, k))

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        m = self._W.shape[-1]
        eps_w = randn(tuple(shape[:-1]) + (m,), dtype=self.loc.dtype, device=self.loc.device)
        eps_d = randn(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + matmul(self._W, eps_w.unsqueeze(-1)).squeeze(-1) + self._D.sqrt() * eps_d

    def _log_det(self):
        return 2 * log(self._capacitance.diagonal(0, -2, -1)).sum(-1) + log(self._D).sum(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        # Woodbury: x^T S^-1 x = x^T D^-1 x - |C^-1 W^T D^-1 x|^2
        wt_dinv = self._W.transpose(-2, -1) / self._D.unsqueeze(-2)
        wt_dinv_x = matmul(wt_dinv, diff.unsqueeze(-1)).squeeze(-1)
        maha = (diff * diff / self._D).sum(-1) - _batch_mahalanobis(self._capacitance, wt_dinv_x)
        k = self._event_shape[0]
        return -0.5 * (k * math.log(2 * math.pi) + self._log_det() + maha)

    def entropy(self):
        k = self._event_shape[0]
        h = 0.5 * (k * (1.0 + math.log(2 * math.pi)) + self._log_det())
        return h.expand(self._batch_shape) if len(self._batch_shape) else h
