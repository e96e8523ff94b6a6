"""Linear algebra built on the existing factorizations (ops/linalg_factor.py), torch's
names and semantics: linalg.lu / lu_factor_ex / lu_solve, lu, lu_unpack, lu_solve,
linalg.cholesky_ex / inv_ex / solve_ex, cholesky_inverse, triangular_solve,
linalg.eigvalsh, linalg.cond (p = None / 2 / -2 / 'nuc' through ops/linalg_svd.py).

Gradients come from the differentiable pieces (lu_factor, cholesky, solve,
solve_triangular, eigh and the triangle masks), so nothing here has its own backward.
The *_ex variants report a failure in `info` instead of raising: they run the raw kernel
once to get info, and the differentiable op when every matrix is fine.
Pivots and info are int64 (torch: int32; fastdl has no int32), 1-based as LAPACK's.
Square inputs only for the LU family (the LU kernel factors square matrices)."""
import math
from collections import namedtuple

from .. import _argcheck
from .. import dtypes as _dt
from ..autograd import Function, is_grad_enabled
from ..tensor import Tensor, eye
from ._util import backend, broadcast_shapes, check_tensor, desc, empty, expand_view, transposed_view
from .elementwise import where
from .linalg import matmul
from .linalg_factor import (_check_rhs, _check_square, _copy, _lu, _not_pd, _permutation, _raise_on_info, _singular,
                            _tri_raw, _mT,
                            cholesky, eigh, inv, lu_factor, solve, solve_triangular)
from .norms import matrix_norm
from .shape import tril, triu
from ..amp import autocast_mode as _amp

__all__ = ["linalg_lu", "lu", "lu_unpack", "lu_solve", "linalg_lu_solve", "lu_factor_ex", "cholesky_ex", "inv_ex",
           "solve_ex", "cholesky_inverse", "triangular_solve", "eigvalsh", "cond", "tensorinv", "tensorsolve"]

LUResult = namedtuple("lu", ["P", "L", "U"])
LUUnpackResult = namedtuple("lu_unpack", ["P", "L", "U"])
LUFactorExResult = namedtuple("lu_factor_ex", ["LU", "pivots", "info"])
CholeskyExResult = namedtuple("cholesky_ex", ["L", "info"])
InvExResult = namedtuple("inv_ex", ["inverse", "info"])
SolveExResult = namedtuple("solve_ex", ["result", "info"])
TriangularSolveResult = namedtuple("triangular_solve", ["solution", "cloned_coefficient"])


def _needs_graph(*ts):
    return is_grad_enabled() and any(isinstance(t, Tensor) and t.requires_grad for t in ts)


def _check_pivots(op, LU, pivots):
    check_tensor(op, pivots, "pivots")
    if pivots.dtype is not _dt.int64:
        raise TypeError(f"{op}: expected pivots to be int64, got {desc(pivots)}")
    if tuple(pivots.shape) != tuple(LU.shape[:-1]):
        raise ValueError(f"{op}: expected pivots of shape {list(LU.shape[:-1])} for LU {desc(LU)}, got {desc(pivots)}")


# ---------------------------------------------------------------- LU family
def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """(P, L, U) with A = P L U from lu_factor's (LU, pivots); L unit lower, U upper.
    Differentiable in LU_data. Either part may be skipped (empty tensors returned)."""
    op = "lu_unpack"
    _check_square(op, LU_data, "LU_data")
    _check_pivots(op, LU_data, LU_pivots)
    n = LU_data.shape[-1]
    nothing = empty((0,), LU_data.dtype, LU_data.device)
    if unpack_data:
        L = tril(LU_data, -1) + eye(n, dtype=LU_data.dtype, device=LU_data.device)
        U = triu(LU_data)
    else:
        L = U = nothing
    P = _permutation(LU_pivots).to(LU_data.dtype) if unpack_pivots else nothing
    return LUUnpackResult(P, L, U)


def _check_pivot(op, A, pivot):
    """The LU ops' checks: A square (batched), pivot=True (no unpivoted LU here)."""
    _check_square(op, A)
    if not pivot:
        raise RuntimeError(f"{op}: LU without pivoting is not implemented on the CPU")


def linalg_lu(A, *, pivot=True):
    """linalg.lu: (P, L, U) with A = P L U, partial pivoting; differentiable (square A)."""
    op = "linalg.lu"
    _check_pivot(op, A, pivot)
    LU, piv = lu_factor(A)
    return LUResult(*lu_unpack(LU, piv))


def lu_factor_ex(A, *, pivot=True, check_errors=False):
    """linalg.lu_factor_ex: (LU, pivots, info), info[k] > 0 where U[k-1, k-1] is exactly zero."""
    op = "linalg.lu_factor_ex"
    _check_pivot(op, A, pivot)
    _, _, info = _lu(op, A)
    if check_errors:
        _raise_on_info(op, info, _singular)
    LU, piv = lu_factor(A)
    return LUFactorExResult(LU, piv, info)


def lu(A, pivot=True, get_infos=False):
    """torch.lu (deprecated there): (LU, pivots) or (LU, pivots, infos) when get_infos;
    without get_infos a singular matrix raises, as torch."""
    op = "lu"
    _argcheck.flag(op, "pivot", pivot)
    _argcheck.flag(op, "get_infos", get_infos)
    _check_pivot(op, A, pivot)
    LU, piv, info = lu_factor_ex(A)
    if get_infos:
        return LU, piv, info
    _raise_on_info(op, info, lambda k: f"U[{k},{k}] is zero, singular U.")
    return LU, piv


def linalg_lu_solve(LU, pivots, B, *, left=True, adjoint=False):
    """X with A X = B (A^T X = B when adjoint; X A = B when not left) given A's
    (LU, pivots): two triangular solves and the row permutation, differentiable in LU and B."""
    op = "linalg.lu_solve"
    _check_square(op, LU, "LU")
    _check_pivots(op, LU, pivots)
    _check_rhs(op, LU, B, -2 if left else -1, "LU")
    if not left:  # X A = B <=> A^T X^T = B^T, and X A^T = B <=> A X^T = B^T
        return linalg_lu_solve(LU, pivots, B.mT, left=True, adjoint=not adjoint).mT
    P = _permutation(pivots).to(LU.dtype)
    batch = broadcast_shapes(op, tuple(LU.shape[:-2]), tuple(B.shape[:-2]))
    if not adjoint:  # A = P L U: X = U^-1 L^-1 P^T B
        Y = solve_triangular(LU, matmul(P.mT, B), upper=False, unitriangular=True)
        X = solve_triangular(LU, Y, upper=True)
    else:  # A^T = U^T L^T P^T: X = P L^-T U^-T B
        Y = solve_triangular(LU.mT, B, upper=False)
        X = matmul(P, solve_triangular(LU.mT, Y, upper=True, unitriangular=True))
    return X.expand(*batch, *X.shape[-2:]) if tuple(X.shape[:-2]) != batch else X


def lu_solve(b, LU_data, LU_pivots):
    """torch.lu_solve (deprecated there): A X = b from A's (LU, pivots)."""
    if _amp.on and _amp.here(): return _amp.run("lu_solve", lu_solve, b, LU_data, LU_pivots)  # autocast
    return linalg_lu_solve(LU_data, LU_pivots, b)


# ---------------------------------------------------------------- *_ex variants
def cholesky_ex(A, *, upper=False, check_errors=False):
    """linalg.cholesky_ex: (L, info); info[k] = order of the first non-positive-definite
    leading minor, 0 when the factorization succeeded."""
    op = "linalg.cholesky_ex"
    _check_square(op, A)
    L = _copy(A)
    info = empty(tuple(A.shape[:-2]), _dt.int64, A.device)
    backend(A, op).cholesky(L, info)
    if check_errors:
        _raise_on_info(op, info, _not_pd)
    if not bool((info != 0).any()):
        L = cholesky(A) if _needs_graph(A) else tril(L)
    else:
        L = tril(L)
    return CholeskyExResult(L.mT if upper else L, info)


def inv_ex(A, *, check_errors=False):
    """linalg.inv_ex: (A^-1, info); info > 0 marks a singular matrix (its inverse is not finite)."""
    op = "linalg.inv_ex"
    _check_square(op, A)
    n = A.shape[-1]
    return _solve_ex(op, A, expand_view(eye(n, dtype=A.dtype, device=A.device), tuple(A.shape)), check_errors,
                     lambda: inv(A), InvExResult)


def _solve_ex(op, A, B, check_errors, exact, result):
    lu_, piv, info = _lu(op, A)
    if check_errors:
        _raise_on_info(op, info, _singular)
    if not bool((info != 0).any()):
        return result(exact(), info)
    batch = broadcast_shapes(op, tuple(A.shape[:-2]), tuple(B.shape[:-2]))
    X = _copy(expand_view(B, batch + tuple(B.shape[-2:])))
    lu_b = _copy(expand_view(lu_, batch + tuple(A.shape[-2:])))
    backend(A, op).lu_solve(lu_b, _copy(expand_view(piv, batch + (A.shape[-1],))), X)
    return result(X, info)


def solve_ex(A, B, *, left=True, check_errors=False):
    """linalg.solve_ex: (X, info) with A X = B (X A = B when not left); info > 0 where A is singular."""
    op = "linalg.solve_ex"
    _check_square(op, A)
    check_tensor(op, B, "B")
    vec = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    Bm = B.unsqueeze(-1 if left else -2) if vec else B
    _check_rhs(op, A, Bm, -2 if left else -1)
    if not left or vec:  # the rare layouts: via the differentiable solve, info from the LU
        _, _, info = _lu(op, A)
        if check_errors:
            _raise_on_info(op, info, _singular)
        if bool((info != 0).any()):
            X = _solve_ex(op, A if left else A.mT, Bm if left else Bm.mT, False, None, SolveExResult).result
            X = X if left else X.mT
            return SolveExResult(X.squeeze(-1 if left else -2) if vec else X, info)
        return SolveExResult(solve(A, B, left=left), info)
    return _solve_ex(op, A, B, check_errors, lambda: solve(A, B), SolveExResult)


# ---------------------------------------------------------------- Cholesky / triangular
class _CholeskyInverse(Function):
    """(L L^T)^-1 from two triangular solves; backward is torch's cholesky_inverse_backward,
    which differentiates L L^T in every entry of L (not only its triangle)."""

    @staticmethod
    def forward(ctx, L, upper):
        n = L.shape[-1]
        I = expand_view(eye(n, dtype=L.dtype, device=L.device), tuple(L.shape))
        lower = transposed_view(L) if upper else L
        Y = _tri_raw("cholesky_inverse", lower, I, False, False)  # L^-1
        out = matmul(transposed_view(Y), Y)  # L^-T L^-1
        ctx.save_for_backward(L, out)
        ctx.upper = upper
        return out

    @staticmethod
    def backward(ctx, g):
        L, out = ctx.saved_tensors
        common = matmul(out, matmul(g + _mT(g), out))
        return (-matmul(L, common) if ctx.upper else -matmul(common, L)), None


def cholesky_inverse(L, upper=False):
    """(L L^T)^-1 (or (U^T U)^-1 when upper) from a Cholesky factor."""
    if _amp.on and _amp.here(): return _amp.run("cholesky_inverse", cholesky_inverse, L, upper)  # autocast
    _argcheck.flag("cholesky_inverse", "upper", upper)
    _check_square("cholesky_inverse", L, "L")
    return _CholeskyInverse.apply(L, bool(upper))


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False):
    """torch.triangular_solve (legacy): (X, a copy of A) with op(A) X = b, op(A) = A or A^T."""
    if _amp.on and _amp.here(): return _amp.run("triangular_solve", triangular_solve, b, A, upper, transpose, unitriangular)  # autocast
    op = "triangular_solve"
    _check_square(op, A, "A")
    _check_rhs(op, A, b, -2)
    M = A.mT if transpose else A
    X = solve_triangular(M, b, upper=bool(upper) != bool(transpose), unitriangular=bool(unitriangular))
    batch = tuple(X.shape[:-2])
    Ac = A.expand(*batch, *A.shape[-2:]) * 1 if tuple(A.shape[:-2]) != batch else A * 1
    return TriangularSolveResult(X, Ac)


# ---------------------------------------------------------------- spectra and conditioning
def eigvalsh(A, UPLO="L"):
    """linalg.eigvalsh: the eigenvalues (ascending) of the symmetric matrix in A's UPLO triangle."""
    if getattr(A, '_dtype', None) is not None and A._dtype.category == 3:  # Hermitian: from the real embedding (ops/complex_more.py)
        from .complex_more import eigvalsh as ceigvalsh
        return ceigvalsh(A, UPLO)
    return eigh(A, UPLO).eigenvalues


def cond(A, p=None):
    """linalg.cond: ||A||_p ||A^-1||_p. p = None / 2 / -2 from the singular values (any
    shape), 'nuc', 'fro', 1, -1, inf, -inf with the inverse (square A); inf for a singular
    matrix, as torch."""
    op = "linalg.cond"
    check_tensor(op, A, "A")
    if p is None or p in (2, -2, "nuc"):
        from .linalg_svd import cond_svd
        return cond_svd(A, p)
    if p not in ("fro", 1, -1, math.inf, -math.inf):
        raise ValueError(f"{op}: got an invalid norm type {p!r}")
    _check_square(op, A)
    if A.shape[-1] == 0:
        return matrix_norm(A, p) * 0
    Ainv, info = inv_ex(A)
    c = matrix_norm(A, p) * matrix_norm(Ainv, p)
    return where(info != 0, math.inf, c) if bool((info != 0).any()) else c


# ---------------------------------------------------------------- tensor inverses
def tensorinv(A, ind=2):
    """linalg.tensorinv: the inverse of A read as a matrix of its first `ind` dims by the
    rest (their products must be equal); shape A.shape[ind:] + A.shape[:ind]."""
    op = "linalg.tensorinv"
    check_tensor(op, A, "A")
    if isinstance(ind, bool) or not isinstance(ind, int) or ind <= 0:
        raise ValueError(f"{op}: expected a strictly positive integer for 'ind', but got {ind!r}")
    rows, cols = tuple(A.shape[:ind]), tuple(A.shape[ind:])
    if math.prod(rows) != math.prod(cols):
        raise ValueError(f"{op}: expected self.shape[:ind] and self.shape[ind:] to have equal products, got "
                         f"{list(rows)} and {list(cols)} ({desc(A)})")
    return inv(A.reshape(math.prod(rows), math.prod(cols))).reshape(*cols, *rows)


def tensorsolve(A, B, dims=None):
    """linalg.tensorsolve: X with tensordot(A, X, X.ndim) = B; the dims `dims` of A moved to the end first."""
    op = "linalg.tensorsolve"
    check_tensor(op, A, "A")
    check_tensor(op, B, "B")
    if dims is not None:
        dims = [d % A.ndim for d in dims]
        A = A.permute(*[d for d in range(A.ndim) if d not in dims], *dims)
    rows = tuple(B.shape)
    if tuple(A.shape[:B.ndim]) != rows:
        raise ValueError(f"{op}: expected A's leading dims to be B's shape {list(rows)}, got {desc(A)}")
    xs = tuple(A.shape[B.ndim:])
    n = math.prod(rows)
    if math.prod(xs) != n:
        raise ValueError(f"{op}: expected prod(A.shape[B.ndim:]) = B.numel() = {n}, got {desc(A)} and {desc(B)}")
    return solve(A.reshape(n, n), B.reshape(n)).reshape(xs)
