"""Wishart(df, covariance_matrix | precision_matrix | scale_tril): the law of X X^T for
df Gaussian columns of covariance S (event_shape (p, p)); rsample by the Bartlett
decomposition, reparameterised in df (chi-square) and in the scale."""
import math
import numbers
import warnings

from ..ops import digamma, log, matmul, mvlgamma, randn
from ..ops._util import broadcast_shapes, desc
from ..ops.linalg_factor import _cholesky_top as cholesky, cholesky_solve, slogdet
from ..tensor import Size, Tensor, arange, eye, tensor
from . import constraints
from .chi2 import Chi2
from .exp_family import ExponentialFamily
from .multivariate_normal import _precision_to_scale_tril
from .transforms_more import vec_to_tril_matrix
from .utils import finfo, lazy_property

_LOG_2 = math.log(2)


def _mvdigamma(x, p):
    """Multivariate digamma: sum_{i<p} digamma(x - i/2)."""
    if not bool((x > (p - 1) / 2).all()):
        raise ValueError(f"Wishart: multivariate digamma needs x > {(p - 1) / 2}, got {desc(x)}")
    offs = arange(p, dtype=x.dtype, device=x.device) / 2
    return digamma(x.unsqueeze(-1) - offs).sum(-1)


class Wishart(ExponentialFamily):
    support = constraints.positive_definite
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def arg_constraints(self):
        return {"covariance_matrix": constraints.positive_definite,
                "precision_matrix": constraints.positive_definite,
                "scale_tril": constraints.lower_cholesky,
                "df": constraints.greater_than(self.event_shape[-1] - 1)}

    def __init__(self, df, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        given = [(k, v) for k, v in (("covariance_matrix", covariance_matrix), ("precision_matrix", precision_matrix),
                                     ("scale_tril", scale_tril)) if v is not None]
        if len(given) != 1:
            raise ValueError(f"Wishart: exactly one of covariance_matrix or precision_matrix or scale_tril may be "
                             f"specified, got {[k for k, _ in given] or 'none'}")
        key, param = given[0]
        if not isinstance(param, Tensor) or param.ndim < 2 or param.shape[-1] != param.shape[-2]:
            raise ValueError(f"Wishart: {key} must be at least two-dimensional and square, with optional leading "
                             f"batch dimensions, got {desc(param) if isinstance(param, Tensor) else param!r}")
        p = param.shape[-1]
        if isinstance(df, numbers.Number) and not isinstance(df, bool):
            batch_shape = tuple(param.shape[:-2])
            self.df = tensor(float(df), dtype=param.dtype, device=param.device)
        elif isinstance(df, Tensor):
            try:
                batch_shape = broadcast_shapes("Wishart", tuple(param.shape[:-2]), tuple(df.shape))
            except ValueError:
                raise ValueError(f"Wishart: the batch dims of {key} {desc(param)} and df {desc(df)} cannot be "
                                 f"broadcast") from None
            self.df = df.expand(batch_shape)
        else:
            raise TypeError(f"Wishart: df must be a number or a Tensor, got {type(df).__name__}")
        if bool((self.df <= p - 1).any()):
            raise ValueError(f"Wishart: value of df={df} expected to be greater than ndim - 1 = {p - 1}")
        setattr(self, key, param.expand(batch_shape + (p, p)))
        if bool((self.df < p).any()):
            warnings.warn("Low df values detected. Singular samples are highly likely to occur for "
                          "ndim - 1 < df < ndim.", stacklevel=2)
        super().__init__(batch_shape, (p, p), validate_args=validate_args)
        if key == "scale_tril":
            self._unbroadcasted_scale_tril = param
        elif key == "covariance_matrix":
            self._unbroadcasted_scale_tril = cholesky(param)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(param)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Wishart, _instance)
        batch_shape = Size(tuple(batch_shape))
        cov_shape = tuple(batch_shape) + tuple(self.event_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril.expand(cov_shape)
        new.df = self.df.expand(tuple(batch_shape))
        for key in ("covariance_matrix", "precision_matrix", "scale_tril"):
            if key in self.__dict__:
                new.__dict__[key] = self.__dict__[key].expand(cov_shape)
        ExponentialFamily.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _full_shape(self):
        return tuple(self._batch_shape) + tuple(self._event_shape)

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(self._full_shape())

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return matmul(L, L.transpose(-2, -1)).expand(self._full_shape())

    @lazy_property
    def precision_matrix(self):
        L = self._unbroadcasted_scale_tril
        identity = eye(self._event_shape[-1], dtype=L.dtype, device=L.device)
        return cholesky_solve(identity.expand(L.shape), L).expand(self._full_shape())

    def _df_mat(self):
        return self.df.reshape(tuple(self._batch_shape) + (1, 1))

    @property
    def mean(self):
        return self._df_mat() * self.covariance_matrix

    @property
    def mode(self):
        from ..ops import where
        factor = self.df - self._event_shape[-1] - 1
        factor = where(factor > 0, factor, math.nan)
        return factor.reshape(tuple(self._batch_shape) + (1, 1)) * self.covariance_matrix

    @property
    def variance(self):
        V = self.covariance_matrix
        d = V.diagonal(0, -2, -1)
        return self._df_mat() * (V ** 2 + d.unsqueeze(-1) * d.unsqueeze(-2))

    def rsample(self, sample_shape=Size(), max_try_correction=None):
        # Bartlett: A lower triangular with A_ii^2 ~ Chi2(df - i), A_ij ~ N(0, 1) below the
        # diagonal; L A (L A)^T ~ Wishart. A's diagonal is clamped above eps, so every
        # sample is positive definite by construction (torch's resampling loop for
        # singular draws has nothing to correct; max_try_correction is accepted for parity).
        sample_shape = tuple(sample_shape)
        L = self._unbroadcasted_scale_tril
        p = self._event_shape[-1]
        offs = arange(p, dtype=L.dtype, device=L.device)
        chi2 = Chi2(self.df.unsqueeze(-1) - offs, validate_args=False)
        diag = chi2.rsample(sample_shape).sqrt()
        diag = diag.clamp(min=finfo(diag.dtype)[0])
        off = randn(sample_shape + tuple(self._batch_shape) + (p * (p - 1) // 2,), dtype=L.dtype, device=L.device)
        noise = diag.diag_embed() + vec_to_tril_matrix(off, diag=-1)
        chol = matmul(L, noise)
        return matmul(chol, chol.transpose(-2, -1))

    def _log_det_L(self):
        return log(self._unbroadcasted_scale_tril.diagonal(0, -2, -1)).sum(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        nu, p = self.df, self._event_shape[-1]
        L = self._unbroadcasted_scale_tril
        shape = broadcast_shapes("Wishart", tuple(value.shape), tuple(L.shape))
        trace = cholesky_solve(value.expand(shape), L.expand(shape)).diagonal(0, -2, -1).sum(-1)
        return (-nu * (p * _LOG_2 / 2 + self._log_det_L()) - mvlgamma(nu / 2, p)
                + (nu - p - 1) / 2 * slogdet(value)[1] - trace / 2)

    def entropy(self):
        nu, p = self.df, self._event_shape[-1]
        return ((p + 1) * (p * _LOG_2 / 2 + self._log_det_L()) + mvlgamma(nu / 2, p)
                - (nu - p - 1) / 2 * _mvdigamma(nu / 2, p) + nu * p / 2)

    @property
    def _natural_params(self):
        nu, p = self.df, self._event_shape[-1]
        return -self.precision_matrix / 2, (nu - p - 1) / 2

    def _log_normalizer(self, x, y):
        p = self._event_shape[-1]
        return (y + (p + 1) / 2) * (-slogdet(-2 * x)[1] + _LOG_2 * p) + mvlgamma(y + (p + 1) / 2, p)
