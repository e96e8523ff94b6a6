"""torch.nn.utils.parametrizations: weight_norm, spectral_norm and orthogonal, built on
nn.utils.parametrize (state_dict keys parametrizations.<name>.original0 / original1,
parametrizations.<name>.original and .0._u / .0._v, parametrizations.<name>.base)."""
from enum import Enum, auto

from ...autograd import no_grad
from ...ops.linalg_more import matrix_exp
from ...ops.random import randn
from ...tensor import Tensor, eye
from ..functional.vector_norm import normalize
from ..module import Module
from . import parametrize
from .spectral_norm import _default_dim, _to_matrix
from .weight_norm import _weight_norm, norm_except_dim

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


# ---- weight_norm ----------------------------------------------------------------------
class _WeightNorm(Module):
    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """module.<name> = g * v / ||v||, g = original0 (the norm over every dim but `dim`;
    dim=None: the whole tensor) and v = original1."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


# ---- spectral_norm --------------------------------------------------------------------
class _SpectralNorm(Module):
    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] "
                             f"but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            with no_grad():
                weight_mat = _to_matrix(weight, self.dim)
                h, w = weight_mat.shape
                self.register_buffer("_u", normalize(randn(h, dtype=weight.dtype, device=weight.device),
                                                     dim=0, eps=eps))
                self.register_buffer("_v", normalize(randn(w, dtype=weight.dtype, device=weight.device),
                                                     dim=0, eps=eps))
            self._power_method(weight_mat, 15)

    def _power_method(self, weight_mat, n_power_iterations):
        with no_grad():  # the buffers are updated in place
            for _ in range(n_power_iterations):
                self._u = normalize(weight_mat @ self._v, dim=0, eps=self.eps, out=self._u)
                self._v = normalize(weight_mat.t() @ self._u, dim=0, eps=self.eps, out=self._v)

    def forward(self, weight):
        if weight.ndim == 1:
            return normalize(weight, dim=0, eps=self.eps)
        weight_mat = _to_matrix(weight, self.dim)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()  # copies: the next power step must not change saved tensors
        sigma = (u * (weight_mat @ v)).sum()
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """module.<name> / sigma, sigma its spectral norm estimated by power iteration (the
    buffers _u, _v, updated at each access in training mode only)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    dim = _default_dim(module) if dim is None else dim
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


# ---- orthogonal -----------------------------------------------------------------------
def _householder_product(A, tau):
    """H_1 ... H_k applied to the first k columns of the identity, H_i = I - tau_i v_i v_i^T,
    v_i = A[:, i] below the diagonal with 1 on it (torch.linalg.householder_product)."""
    n, k = A.shape[-2], A.shape[-1]
    Id = eye(n, dtype=A.dtype, device=A.device)
    A = A.tril(-1) + Id[:, :k]
    Q = Id[:, :k].expand(*A.shape)
    for i in range(k - 1, -1, -1):
        v = A[..., :, i:i + 1]                       # (..., n, 1)
        Q = Q - (tau[..., i:i + 1].unsqueeze(-1) * v) @ (v.transpose(-2, -1) @ Q)
    return Q


def _geqrf(A):
    """LAPACK's geqrf (R on and above the diagonal, the reflectors' tails below, and tau),
    by Householder steps; initialisation only (no autograd)."""
    with no_grad():
        A = A.clone()
        n, k = A.shape[-2], A.shape[-1]
        taus = []
        for i in range(min(n, k)):
            x = A[..., i:, i]
            alpha = x[..., 0]
            xnorm = (x[..., 1:] * x[..., 1:]).sum(-1).sqrt()
            beta = -(alpha * alpha + xnorm * xnorm).sqrt() * ((alpha >= 0).to(A.dtype) * 2 - 1)
            nz = xnorm != 0
            beta = beta.where(nz, alpha)
            tau = ((beta - alpha) / beta).where(nz, beta.new_zeros(()))
            scale = (1.0 / (alpha - beta)).where(nz, beta.new_zeros(()))
            v = x[..., 1:] * scale.unsqueeze(-1)
            from ...ops import cat
            vfull = cat([v.new_ones(*v.shape[:-1], 1), v], -1)       # (..., n - i)
            rest = A[..., i:, i + 1:]
            w = (vfull.unsqueeze(-2) @ rest)                        # (..., 1, k - i - 1)
            A[..., i:, i + 1:] = rest - tau[..., None, None] * vfull.unsqueeze(-1) @ w
            A[..., i, i] = beta
            A[..., i + 1:, i] = v
            taus.append(tau)
        from ...ops import stack
        return A, stack(taus, -1)


def _is_orthogonal(Q):
    n, k = Q.shape[-2], Q.shape[-1]
    from ...dtypes import float64
    eps = 10.0 * n * (2.220446049250313e-16 if Q.dtype is float64 else 1.1920928955078125e-07)
    return bool(((Q.transpose(-2, -1) @ Q) - eye(k, dtype=Q.dtype, device=Q.device)).abs().le(eps).all())


def _make_orthogonal(A):
    """The Q of A = QR with R's diagonal made non-negative."""
    X, tau = _geqrf(A)
    Q = _householder_product(X, tau)
    return Q * X.diagonal(dim1=-2, dim2=-1).sign().unsqueeze(-2)


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


class _Orthogonal(Module):
    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        self.shape = tuple(weight.shape)
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.transpose(-2, -1)
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = X.tril()
            if n != k:
                from ...ops import cat
                X = cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], -1)
            A = X - X.transpose(-2, -1)
            if self.orthogonal_map is _OrthMaps.matrix_exp:
                Q = matrix_exp(A)
            else:
                from ...linalg import solve
                Id = eye(n, dtype=A.dtype, device=A.device)
                Q = solve(Id - 0.5 * A, Id + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(-1)
            tau = 2.0 / (1.0 + (A * A).sum(-2))
            Q = _householder_product(A, tau)
            Q = Q * X.diagonal(dim1=-2, dim2=-1).detach().trunc().unsqueeze(-2)  # torch's .int()
        if "base" in self._buffers and self.base is not None:
            Q = self.base @ Q
        if transposed:
            Q = Q.transpose(-2, -1)
        return Q

    def right_inverse(self, Q):
        with no_grad():
            if tuple(Q.shape) != self.shape:
                raise ValueError(f"Expected a matrix or batch of matrices of shape {list(self.shape)}. "
                                 f"Got a tensor of shape {list(Q.shape)}.")
            Q_init = Q
            n, k = Q.shape[-2], Q.shape[-1]
            transpose = n < k
            if transpose:
                Q = Q.transpose(-2, -1)
                n, k = k, n
            if "base" not in self._buffers:
                if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                    raise NotImplementedError("It is not possible to assign to the matrix exponential or the Cayley "
                                              "parametrizations when use_trivialization=False.")
                A, tau = _geqrf(Q)
                d = A.diagonal(dim1=-2, dim2=-1)
                d.copy_(d.sign().where(tau != 0, -d.sign()))
                return A.transpose(-2, -1) if transpose else A
            if n == k:
                Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
            else:
                from ...ops import cat
                N = randn(*Q.shape[:-2], n, n - k, dtype=Q.dtype, device=Q.device)
                Q = _make_orthogonal(cat([Q, N], -1))
            self.base = Q
            neg_id = Q_init.new_zeros(*Q_init.shape)
            neg_id.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
            return neg_id


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """module.<name> (a matrix or batch of matrices) kept orthogonal (or with orthonormal
    rows / columns when not square) through orthogonal_map: 'matrix_exp' (the default for
    square ones), 'cayley' or 'householder' (the default otherwise)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None) if isinstance(orthogonal_map, str) else None
    if orth_enum is None:
        raise ValueError(f'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                         f"Got: {orthogonal_map}")
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
