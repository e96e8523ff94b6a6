"""The further transforms of torch.distributions.transforms: structural ones (Cat, Stack,
Reshape, Independent), Softplus, the matrix ones (LowerCholesky, PositiveDefinite,
CorrCholesky), StickBreaking (R^K -> the (K+1)-simplex) and a distribution's cdf."""
import math

from ..nn.functional.activation import logsigmoid, softplus
from ..ops import cat, cumprod, cumsum, exp, expm1, log, log1p, sigmoid, sqrt, stack, tanh
from ..tensor import Size, arange
from . import constraints
from .transforms import Transform, _ParameterlessTransform
from .utils import finfo, finfo_tiny, sum_rightmost

__all__ = ["CatTransform", "CorrCholeskyTransform", "CumulativeDistributionTransform", "IndependentTransform",
           "LowerCholeskyTransform", "PositiveDefiniteTransform", "ReshapeTransform", "SoftplusTransform",
           "StackTransform", "StickBreakingTransform"]


def _pad_last(x, left, right, value):
    """x padded along its last dim by `left` / `right` entries equal to value (differentiable)."""
    parts = []
    if left:
        parts.append(x.new_zeros(tuple(x.shape[:-1]) + (left,)) + value)
    parts.append(x)
    if right:
        parts.append(x.new_zeros(tuple(x.shape[:-1]) + (right,)) + value)
    return cat(parts, -1)


def _tril_flat_index(n, diag, device):
    """Flat (row-major) positions of the entries j <= i + diag of an n x n matrix, in
    torch's tril_matrix_to_vec order."""
    r = arange(n, device=device)
    mask = (r.reshape(1, n) < r.reshape(n, 1) + (diag + 1)).reshape(-1)
    return arange(n * n, device=device)[mask]


def tril_matrix_to_vec(mat, diag=0):
    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise ValueError(f"tril_matrix_to_vec: diag ({diag}) provided is outside [{-n}, {n - 1}]")
    flat = mat.reshape(tuple(mat.shape[:-2]) + (n * n,))
    return flat.index_select(-1, _tril_flat_index(n, diag, mat.device))


def vec_to_tril_matrix(vec, diag=0):
    m = vec.shape[-1]
    n = (-(1 + 2 * diag) + ((1 + 2 * diag) ** 2 + 8 * m + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2
    if abs(round(n) - n) > 1e-6:
        raise ValueError(f"vec_to_tril_matrix: the size of last dimension ({m}) is not a triangular number for "
                         f"diag={diag}")
    n = int(round(n))
    # gather: the tril positions take their entry of vec, the rest the appended zero
    import numpy as np
    r = np.arange(n)
    mask = (r[None, :] < r[:, None] + (diag + 1)).reshape(-1)
    src = np.full(n * n, m, dtype=np.int64)
    src[mask] = np.arange(m)
    from ..tensor import tensor
    idx = tensor(src, device=vec.device)
    padded = _pad_last(vec, 0, 1, 0.0)
    return padded.index_select(-1, idx).reshape(tuple(vec.shape[:-1]) + (n, n))


def _check_dim(owner, dim, x, length, what="x"):
    if not -x.ndim <= dim < x.ndim:
        raise AssertionError(f"{owner}: dim {dim} out of range for {what} with {x.ndim} dimensions")
    if x.shape[dim] != length:
        raise AssertionError(f"{owner}: {what}.size({dim}) = {x.shape[dim]} must equal length {length}")


class CatTransform(Transform):
    """tseq[i] applied to the lengths[i]-long slice i of dim, the results concatenated."""

    def __init__(self, tseq, dim=0, lengths=None, cache_size=0):
        tseq = list(tseq)
        if not all(isinstance(t, Transform) for t in tseq):
            raise AssertionError("CatTransform: all elements of tseq must be Transform instances")
        if cache_size:
            tseq = [t.with_cache(cache_size) for t in tseq]
        super().__init__(cache_size=cache_size)
        self.transforms = tseq
        self.lengths = [1] * len(tseq) if lengths is None else list(lengths)
        if len(self.lengths) != len(self.transforms):
            raise AssertionError(f"CatTransform: lengths ({len(self.lengths)}) must match transforms "
                                 f"({len(self.transforms)})")
        self.dim = dim

    @property
    def event_dim(self):
        return max(t.event_dim for t in self.transforms)

    @property
    def length(self):
        return sum(self.lengths)

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return CatTransform(self.transforms, self.dim, self.lengths, cache_size)

    def _map(self, z, fn):
        _check_dim("CatTransform", self.dim, z, self.length)
        out, start = [], 0
        for t, n in zip(self.transforms, self.lengths):
            out.append(fn(t, z.narrow(self.dim, start, n)))
            start += n
        return cat(out, self.dim)

    def _call(self, x):
        return self._map(x, lambda t, s: t(s))

    def _inverse(self, y):
        return self._map(y, lambda t, s: t.inv(s))

    def log_abs_det_jacobian(self, x, y):
        _check_dim("CatTransform", self.dim, x, self.length)
        _check_dim("CatTransform", self.dim, y, self.length, "y")
        terms, start = [], 0
        for t, n in zip(self.transforms, self.lengths):
            ladj = t.log_abs_det_jacobian(x.narrow(self.dim, start, n), y.narrow(self.dim, start, n))
            if t.event_dim < self.event_dim:
                ladj = sum_rightmost(ladj, self.event_dim - t.event_dim)
            terms.append(ladj)
            start += n
        dim = self.dim - x.ndim if self.dim >= 0 else self.dim
        dim += self.event_dim
        if dim < 0:
            return cat(terms, dim)
        out = terms[0]
        for t in terms[1:]:
            out = out + t
        return out

    @property
    def bijective(self):
        return all(t.bijective for t in self.transforms)

    @property
    def domain(self):
        return constraints.cat([t.domain for t in self.transforms], self.dim, self.lengths)

    @property
    def codomain(self):
        return constraints.cat([t.codomain for t in self.transforms], self.dim, self.lengths)


class StackTransform(Transform):
    """tseq[i] applied to x.select(dim, i), the results stacked along dim."""

    def __init__(self, tseq, dim=0, cache_size=0):
        tseq = list(tseq)
        if not all(isinstance(t, Transform) for t in tseq):
            raise AssertionError("StackTransform: all elements of tseq must be Transform instances")
        if cache_size:
            tseq = [t.with_cache(cache_size) for t in tseq]
        super().__init__(cache_size=cache_size)
        self.transforms, self.dim = tseq, dim

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return StackTransform(self.transforms, self.dim, cache_size)

    def _slice(self, z, what="x"):
        _check_dim("StackTransform", self.dim, z, len(self.transforms), what)
        return [z.select(self.dim, i) for i in range(z.shape[self.dim])]

    def _call(self, x):
        return stack([t(s) for s, t in zip(self._slice(x), self.transforms)], self.dim)

    def _inverse(self, y):
        return stack([t.inv(s) for s, t in zip(self._slice(y, "y"), self.transforms)], self.dim)

    def log_abs_det_jacobian(self, x, y):
        return stack([t.log_abs_det_jacobian(a, b)
                      for a, b, t in zip(self._slice(x), self._slice(y, "y"), self.transforms)], self.dim)

    @property
    def bijective(self):
        return all(t.bijective for t in self.transforms)

    @property
    def domain(self):
        return constraints.stack([t.domain for t in self.transforms], self.dim)

    @property
    def codomain(self):
        return constraints.stack([t.codomain for t in self.transforms], self.dim)


class ReshapeTransform(Transform):
    """The rightmost in_shape dims reshaped to out_shape (a volume-preserving bijection)."""
    bijective = True

    def __init__(self, in_shape, out_shape, cache_size=0):
        self.in_shape, self.out_shape = Size(tuple(in_shape)), Size(tuple(out_shape))
        if math.prod(self.in_shape) != math.prod(self.out_shape):
            raise ValueError(f"ReshapeTransform: in_shape {list(self.in_shape)}, out_shape {list(self.out_shape)} "
                             f"have different numbers of elements")
        super().__init__(cache_size=cache_size)

    @property
    def domain(self):
        return constraints.independent(constraints.real, len(self.in_shape))

    @property
    def codomain(self):
        return constraints.independent(constraints.real, len(self.out_shape))

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return ReshapeTransform(self.in_shape, self.out_shape, cache_size=cache_size)

    def _call(self, x):
        return x.reshape(tuple(x.shape[:x.ndim - len(self.in_shape)]) + tuple(self.out_shape))

    def _inverse(self, y):
        return y.reshape(tuple(y.shape[:y.ndim - len(self.out_shape)]) + tuple(self.in_shape))

    def log_abs_det_jacobian(self, x, y):
        return x.new_zeros(tuple(x.shape[:x.ndim - len(self.in_shape)]))

    def _reshape(self, shape, src, dst):
        shape = tuple(shape)
        if len(shape) < len(src):
            raise ValueError(f"ReshapeTransform: too few dimensions on input {list(shape)}")
        cut = len(shape) - len(src)
        if shape[cut:] != tuple(src):
            raise ValueError(f"ReshapeTransform: shape mismatch: expected {list(shape[cut:])} but got {list(src)}")
        return Size(shape[:cut] + tuple(dst))

    def forward_shape(self, shape):
        return self._reshape(shape, self.in_shape, self.out_shape)

    def inverse_shape(self, shape):
        return self._reshape(shape, self.out_shape, self.in_shape)


class IndependentTransform(Transform):
    """base_transform with its rightmost reinterpreted_batch_ndims batch dims made event dims."""

    def __init__(self, base_transform, reinterpreted_batch_ndims, cache_size=0):
        super().__init__(cache_size=cache_size)
        self.base_transform = base_transform.with_cache(cache_size)
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return IndependentTransform(self.base_transform, self.reinterpreted_batch_ndims, cache_size=cache_size)

    @property
    def domain(self):
        return constraints.independent(self.base_transform.domain, self.reinterpreted_batch_ndims)

    @property
    def codomain(self):
        return constraints.independent(self.base_transform.codomain, self.reinterpreted_batch_ndims)

    @property
    def bijective(self):
        return self.base_transform.bijective

    @property
    def sign(self):
        return self.base_transform.sign

    def _call(self, x):
        if x.ndim < self.domain.event_dim:
            raise ValueError(f"IndependentTransform: too few dimensions on input ({x.ndim} < "
                             f"{self.domain.event_dim})")
        return self.base_transform(x)

    def _inverse(self, y):
        if y.ndim < self.codomain.event_dim:
            raise ValueError(f"IndependentTransform: too few dimensions on input ({y.ndim} < "
                             f"{self.codomain.event_dim})")
        return self.base_transform.inv(y)

    def log_abs_det_jacobian(self, x, y):
        return sum_rightmost(self.base_transform.log_abs_det_jacobian(x, y), self.reinterpreted_batch_ndims)

    def forward_shape(self, shape):
        return self.base_transform.forward_shape(shape)

    def inverse_shape(self, shape):
        return self.base_transform.inverse_shape(shape)

    def __repr__(self):
        return f"IndependentTransform({self.base_transform!r}, {self.reinterpreted_batch_ndims})"


class SoftplusTransform(_ParameterlessTransform):
    domain = constraints.real
    codomain = constraints.positive
    bijective = True
    sign = +1

    def _call(self, x):
        return softplus(x)

    def _inverse(self, y):
        return log(-expm1(-y)) + y  # log(exp(y) - 1) without overflow

    def log_abs_det_jacobian(self, x, y):
        return -softplus(-x)


class LowerCholeskyTransform(_ParameterlessTransform):
    """Square matrix -> its strict lower triangle plus exp of its diagonal (not bijective)."""
    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.lower_cholesky

    def _call(self, x):
        return x.tril(-1) + exp(x.diagonal(0, -2, -1)).diag_embed()

    def _inverse(self, y):
        return y.tril(-1) + log(y.diagonal(0, -2, -1)).diag_embed()


class PositiveDefiniteTransform(_ParameterlessTransform):
    """Square matrix -> L L^T for L its LowerCholeskyTransform (not bijective)."""
    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.positive_definite

    def _call(self, x):
        L = LowerCholeskyTransform()(x)
        return L @ L.transpose(-2, -1)

    def _inverse(self, y):
        from ..ops.linalg_factor import cholesky
        return LowerCholeskyTransform().inv(cholesky(y))


class CorrCholeskyTransform(_ParameterlessTransform):
    """A vector of D(D-1)/2 reals -> the Cholesky factor of a D x D correlation matrix
    (tanh onto (-1, 1), then stick-breaking along each row, as torch)."""
    domain = constraints.real_vector
    codomain = constraints.corr_cholesky
    bijective = True

    def _call(self, x):
        x = tanh(x)
        eps = finfo(x.dtype)[0]
        x = x.clamp(min=-1 + eps, max=1 - eps)
        r = vec_to_tril_matrix(x, diag=-1)
        z1m_cumprod_sqrt = cumprod(sqrt(1 - r * r), -1)
        from ..tensor import eye
        r = r + eye(r.shape[-1], dtype=r.dtype, device=r.device)
        return r * _pad_last(z1m_cumprod_sqrt[..., :-1], 1, 0, 1.0)

    def _inverse(self, y):
        y_cumsum = 1 - cumsum(y * y, -1)
        shifted = _pad_last(y_cumsum[..., :-1], 1, 0, 1.0)
        t = tril_matrix_to_vec(y, diag=-1) / sqrt(tril_matrix_to_vec(shifted, diag=-1))
        return (log1p(t) - log1p(-t)) / 2

    def log_abs_det_jacobian(self, x, y, intermediates=None):
        y1m_cumsum = 1 - cumsum(y * y, -1)
        stick = 0.5 * log(tril_matrix_to_vec(y1m_cumsum, diag=-2)).sum(-1)
        tanh_ld = -2 * (x + softplus(-2 * x) - math.log(2.0)).sum(-1)
        return stick + tanh_ld

    def forward_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("CorrCholeskyTransform: too few dimensions on input")
        n = shape[-1]
        d = round((0.25 + 2 * n) ** 0.5 + 0.5)
        if d * (d - 1) // 2 != n:
            raise ValueError(f"CorrCholeskyTransform: input size {n} is not a flattened lower-diagonal number")
        return Size(tuple(shape[:-1]) + (d, d))

    def inverse_shape(self, shape):
        if len(shape) < 2:
            raise ValueError("CorrCholeskyTransform: too few dimensions on input")
        if shape[-2] != shape[-1]:
            raise ValueError(f"CorrCholeskyTransform: input {list(shape)} is not square")
        d = shape[-1]
        return Size(tuple(shape[:-2]) + (d * (d - 1) // 2,))


class StickBreakingTransform(_ParameterlessTransform):
    """R^K -> the simplex in R^(K+1), by stick-breaking with offsets (x = 0 maps to the centre)."""
    domain = constraints.real_vector
    codomain = constraints.simplex
    bijective = True

    @staticmethod
    def _offset(x, k):
        return k + 1 - cumsum(x.new_ones((k,)), -1)

    def _call(self, x):
        z = sigmoid(x - log(self._offset(x, x.shape[-1])))
        eps = finfo(x.dtype)[0]
        z = z.clamp(min=finfo_tiny(x.dtype), max=1 - eps)  # torch's _clipped_sigmoid
        z_cumprod = cumprod(1 - z, -1)
        return _pad_last(z, 0, 1, 1.0) * _pad_last(z_cumprod, 1, 0, 1.0)

    def _inverse(self, y):
        y_crop = y[..., :-1]
        offset = self._offset(y, y_crop.shape[-1])
        sf = (1 - cumsum(y_crop, -1)).clamp(min=finfo_tiny(y.dtype))
        return log(y_crop) - log(sf) + log(offset)

    def log_abs_det_jacobian(self, x, y):
        x = x - log(self._offset(x, x.shape[-1]))
        return (-x + logsigmoid(x) + log(y[..., :-1])).sum(-1)

    def forward_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("StickBreakingTransform: too few dimensions on input")
        return Size(tuple(shape[:-1]) + (shape[-1] + 1,))

    def inverse_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("StickBreakingTransform: too few dimensions on input")
        return Size(tuple(shape[:-1]) + (shape[-1] - 1,))


class CumulativeDistributionTransform(Transform):
    """x -> distribution.cdf(x), onto [0, 1]; its log-det is the distribution's log_prob."""
    bijective = True
    codomain = constraints.unit_interval
    sign = +1

    def __init__(self, distribution, cache_size=0):
        super().__init__(cache_size=cache_size)
        self.distribution = distribution

    @property
    def domain(self):
        return self.distribution.support

    def _call(self, x):
        return self.distribution.cdf(x)

    def _inverse(self, y):
        return self.distribution.icdf(y)

    def log_abs_det_jacobian(self, x, y):
        return self.distribution.log_prob(x)

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return CumulativeDistributionTransform(self.distribution, cache_size=cache_size)
