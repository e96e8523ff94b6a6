"""Dense factorizations and solves (fastdl.linalg.solve / inv / det / slogdet / lu_factor /
cholesky / solve_triangular / qr / eigh, fastdl.cholesky_solve / logdet), torch.linalg's
semantics.

Six kernels per device (_C.cpu / _C.cuda lu_factor, lu_solve, cholesky,
solve_triangular, qr, eigh; contract in csrc/cpu/linalg_factor.h) work in place on
contiguous copies, one matrix per batch entry; everything else is composed here: inv is a
solve with the identity, det / slogdet read the LU factors, logdet comes from slogdet,
cholesky_solve is two triangular solves, left=False and upper=True are transpositions.
The kernels report singular / non-positive-definite / non-converged matrices in an info
array and this module raises LinAlgError, naming the op and the batch element, as torch.

Backward formulas (written once with Tensor ops, so they run on either device):
  X = A^-1 B:      gB = A^-T g, gA = -gB X^T
  det:             gA = g det A^-T (needs A nonsingular: singular input raises in backward)
  slogdet:         gA = g_logabsdet A^-T
  L = cholesky(A): gA = L^-T Phi L^-1, Phi = sym(tril(L^T gL)) with a halved diagonal
                   (Murray 2016; torch's cholesky_backward)
  triangular X:    as solve, gA masked to the triangle that was read.
  A = QR:          gA = (gQ + Q copyltu(R gR^T - gQ^T Q)) R^-T for m >= n; m < n splits
                   A = Q [U V] (Liao et al. 2019, as torch's linalg_qr_backward)
  A = V diag(w) V^T: gA = V (diag(gw) + skew(V^T gV) / (w_j - w_i)) V^T (torch's formula;
                   infinite for repeated eigenvalues when the loss depends on V)
  A = P L U:       gA = P L^-T (tril(L^T gL, -1) + triu(gU U^T)) U^-T (square A; torch's
                   linalg_lu_backward)"""
from collections import namedtuple

import numpy as np

from .. import dtypes as _dt
from ..autograd import Function, is_grad_enabled
from ..tensor import eye, ones, tensor as _tensor
from ._util import (backend, broadcast_shapes, check_tensor, contiguous_data, desc, empty, expand_view, same_device,
                    transposed_view, unbroadcast)
from .cumulative import cumprod
from .elementwise import log, sign
from .indexing_extra import diag_embed
from .linalg import matmul
from .shape import cat, tril, triu
from ..amp import autocast_mode as _amp


class LinAlgError(RuntimeError):
    """A matrix the op cannot factor (singular, not positive-definite), as torch.linalg.LinAlgError."""


SlogdetResult = namedtuple("slogdet", ["sign", "logabsdet"])
LUFactorResult = namedtuple("lu_factor", ["LU", "pivots"])
QRResult = namedtuple("qr", ["Q", "R"])
EighResult = namedtuple("eigh", ["eigenvalues", "eigenvectors"])


# ---------------------------------------------------------------- checks and raw kernels
def _check_square(op, A, name="A"):
    check_tensor(op, A, name)
    if A.dtype not in (_dt.float32, _dt.float64):
        raise TypeError(f"{op}: expected {name} to be float32 or float64, got {desc(A)}")
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ValueError(f"{op}: {name} must be batches of square matrices (..., n, n), got {desc(A)}")


def _check_rhs(op, A, B, rows_dim, name="A"):
    """B: a tensor of A's dtype and device, >= 2-D, with n rows (rows_dim -2) or columns (-1)."""
    check_tensor(op, B, "B")
    same_device(op, A, B)
    if B.dtype is not A.dtype:
        raise TypeError(f"{op}: expected {name} and B to have the same dtype, got {desc(A)} and {desc(B)}")
    if B.ndim < 2 or B.shape[rows_dim] != A.shape[-1]:
        need = "rows" if rows_dim == -2 else "columns (left=False)"
        raise ValueError(f"{op}: incompatible shapes of {name} {desc(A)} and B {desc(B)} "
                         f"(B must be at least 2-D with {A.shape[-1]} {need})")


def _copy(t):
    """A contiguous copy the kernels may overwrite (t itself is never written)."""
    out = empty(t.shape, t.dtype, t.device)
    backend(t, "copy").copy(t, out)
    return out


def _raise_on_info(op, info, what):
    """LinAlgError for the first batch element whose info is nonzero; what(k) words it."""
    flat = np.asarray(info.cpu().numpy()).reshape(-1)
    bad = np.flatnonzero(flat)
    if bad.size:
        m = int(bad[0])
        where = f"(Batch element {m}): " if info.ndim else ""
        raise LinAlgError(f"{op}: {where}{what(int(flat[m]))}")


def _singular(k):
    return (f"The diagonal element {k} is zero, the inversion could not be completed because the input matrix "
            f"is singular.")


def _not_pd(k):
    return (f"The factorization could not be completed because the input is not positive-definite "
            f"(the leading minor of order {k} is not positive-definite).")


def _lu(op, A):
    """(LU, pivots, info) of A (any layout), without autograd."""
    lu = _copy(A)
    batch, n = tuple(A.shape[:-2]), A.shape[-1]
    piv = empty(batch + (n,), _dt.int64, A.device)
    info = empty(batch, _dt.int64, A.device)
    backend(A, op).lu_factor(lu, piv, info)
    return lu, piv, info


def _solve_raw(op, A, B):
    """A^-1 B for A (..., n, n), B (..., n, k) of one batch shape; LinAlgError if A is singular."""
    lu, piv, info = _lu(op, A)
    _raise_on_info(op, info, _singular)
    X = _copy(B)
    backend(A, op).lu_solve(lu, piv, X)
    return X


def _tri_raw(op, A, B, upper, unit):
    """A^-1 B for a triangular A (..., n, n) and B (..., n, k) of one batch shape."""
    X = _copy(B)
    backend(A, op).solve_triangular(contiguous_data(A), X, upper, unit)
    return X


def _batched(op, A, B):
    """A and B as views broadcast to their common batch dims."""
    batch = broadcast_shapes(op, tuple(A.shape[:-2]), tuple(B.shape[:-2]))
    return expand_view(A, batch + tuple(A.shape[-2:])), expand_view(B, batch + tuple(B.shape[-2:]))


def _inv_t(op, A):
    """A^-T (through _solve: differentiable when a backward is recorded)."""
    n = A.shape[-1]
    return _solve(op, _mT(A), _expand(eye(n, dtype=A.dtype, device=A.device), A.shape))


# What the backward formulas below are made of. In an ordinary backward: raw views and
# the kernels themselves. In a recorded one (create_graph): the differentiable ops and
# the Functions of this file, so the gradients differentiate again.
def _expand(t, shape):
    return t.expand(shape) if is_grad_enabled() else expand_view(t, shape)


def _solve(op, A, B):
    return _Solve.apply(A, B, op) if is_grad_enabled() else _solve_raw(op, A, B)


def _tri(op, A, B, upper, unit):
    return _SolveTriangular.apply(A, B, upper, unit) if is_grad_enabled() else _tri_raw(op, A, B, upper, unit)


# ---------------------------------------------------------------- Functions
class _Solve(Function):
    @staticmethod
    def forward(ctx, A, B, op):
        Ab, Bb = _batched(op, A, B)
        X = _solve_raw(op, Ab, Bb)
        ctx.save_for_backward(A, X)
        ctx.meta = (op, A.shape, B.shape)
        return X

    @staticmethod
    def backward(ctx, g):
        A, X = ctx.saved_tensors
        op, sa, sb = ctx.meta
        Ab = _expand(A, tuple(X.shape[:-2]) + tuple(sa[-2:]))
        gB = _solve(op, _mT(Ab), g)
        gA = -matmul(gB, _mT(X)) if ctx.needs_input_grad[0] else None
        return (unbroadcast(gA, sa) if gA is not None else None,
                unbroadcast(gB, sb) if ctx.needs_input_grad[1] else None, None)


class _SolveTriangular(Function):
    @staticmethod
    def forward(ctx, A, B, upper, unit):
        op = "linalg.solve_triangular"
        Ab, Bb = _batched(op, A, B)
        X = _tri_raw(op, Ab, Bb, upper, unit)
        ctx.save_for_backward(A, X)
        ctx.meta = (upper, unit, A.shape, B.shape)
        return X

    @staticmethod
    def backward(ctx, g):
        A, X = ctx.saved_tensors
        upper, unit, sa, sb = ctx.meta
        Ab = _expand(A, tuple(X.shape[:-2]) + tuple(sa[-2:]))
        gB = _tri("linalg.solve_triangular", _mT(Ab), g, not upper, unit)
        gA = None
        if ctx.needs_input_grad[0]:  # only the triangle the forward read has a gradient
            gA = -matmul(gB, _mT(X))
            gA = triu(gA, 1 if unit else 0) if upper else tril(gA, -1 if unit else 0)
            gA = unbroadcast(gA, sa)
        return gA, unbroadcast(gB, sb) if ctx.needs_input_grad[1] else None, None, None


def _lu_sign_logabs(op, A):
    """(sign, log|det|, det) of A from its LU factors, without autograd."""
    batch, n = tuple(A.shape[:-2]), A.shape[-1]
    if n == 0:
        one = ones(batch, dtype=A.dtype, device=A.device)
        return one, one * 0, one
    lu, piv, _ = _lu(op, A)  # a zero pivot is no error here: det = 0
    d = lu.diagonal(0, -2, -1)
    swaps = (piv != expand_view(_arange1(n, A.device), piv.shape)).sum(-1)
    perm = 1 - 2 * (swaps % 2).to(A.dtype)  # (-1)^swaps
    det = cumprod(d, -1)[..., -1] * perm
    sgn = cumprod(sign(d), -1)[..., -1] * perm
    return sgn, log(d.abs()).sum(-1), det


def _arange1(n, device):
    from ..tensor import arange
    return arange(1, n + 1, dtype=_dt.int64, device=device)


def _mat_scalar(v):
    """A batch of scalars (...) as (..., 1, 1), to scale a batch of matrices."""
    return v.reshape(tuple(v.shape) + (1, 1))


class _Det(Function):
    @staticmethod
    def forward(ctx, A, op):
        _, _, det = _lu_sign_logabs(op, A)
        ctx.save_for_backward(A, det)
        ctx.op = op
        return det

    @staticmethod
    def backward(ctx, g):
        A, det = ctx.saved_tensors
        return _mat_scalar(g * det) * _inv_t(ctx.op + " (backward, needs a nonsingular input)", A), None


class _SlogDet(Function):
    @staticmethod
    def forward(ctx, A, op):
        sgn, logabs, _ = _lu_sign_logabs(op, A)
        ctx.save_for_backward(A)
        ctx.op = op
        return sgn, logabs

    @staticmethod
    def backward(ctx, g_sign, g_logabs):  # sign is piecewise constant: no gradient
        A, = ctx.saved_tensors
        return _mat_scalar(g_logabs) * _inv_t(ctx.op + " (backward, needs a nonsingular input)", A), None


def _permutation(piv):
    """P (..., n, n) with A = P L U from LAPACK's 1-based row swaps (host arithmetic: n
    swaps per matrix, then one copy to the device)."""
    n = piv.shape[-1]
    swaps = np.asarray(piv.cpu().numpy()).reshape(-1, n) - 1
    perm = np.tile(np.arange(n), (swaps.shape[0], 1))
    rows = np.arange(swaps.shape[0])
    for k in range(n):  # P^T A = A[perm]: the swaps in order
        perm[rows, k], perm[rows, swaps[:, k]] = perm[rows, swaps[:, k]], perm[rows, k]
    P = np.swapaxes(np.eye(n)[perm], -1, -2).reshape(tuple(piv.shape) + (n,))
    return _tensor(P, device=piv.device)


class _LUFactor(Function):
    @staticmethod
    def forward(ctx, A):
        lu, piv, _ = _lu("linalg.lu_factor", A)  # singular A is fine: U has a zero pivot, as torch
        ctx.save_for_backward(lu)
        ctx.piv = piv
        return lu, piv

    @staticmethod
    def backward(ctx, g, _g_piv):
        """gA = P L^-T (tril(L^T gL, -1) + triu(gU U^T)) U^-T, gL / gU the parts of g on
        L's and U's entries (torch's linalg_lu_backward, square case; U invertible)."""
        lu, = ctx.saved_tensors
        op = "linalg.lu_factor"
        n = lu.shape[-1]
        L = tril(lu, -1) + eye(n, dtype=lu.dtype, device=lu.device)
        U = triu(lu)
        phi = tril(matmul(_mT(L), tril(g, -1)), -1) + triu(matmul(triu(g), _mT(U)))
        Y = _tri(op, _mT(lu), phi, True, True)  # L^-T phi: L^T is lu's strict lower, unit diagonal
        Z = _mT(_tri(op, lu, _mT(Y), True, False))  # Y U^-T = (U^-1 Y^T)^T
        return matmul(_permutation(ctx.piv).to(lu.dtype), Z)


class _Cholesky(Function):
    @staticmethod
    def forward(ctx, A, op):
        L = _copy(A)
        info = empty(tuple(A.shape[:-2]), _dt.int64, A.device)
        backend(A, op).cholesky(L, info)
        _raise_on_info(op, info, _not_pd)
        ctx.save_for_backward(L)
        return L

    @staticmethod
    def backward(ctx, gL):
        L, = ctx.saved_tensors
        op = "linalg.cholesky"
        P = tril(matmul(_mT(L), gL))
        S = (P + _mT(tril(P, -1))) * 0.5  # sym(P) with P's diagonal halved
        Y = _tri(op, _mT(L), S, True, False)  # L^-T S
        gA = _mT(_tri(op, _mT(L), _mT(Y), True, False))
        return gA, None  # (L^-T Y^T)^T = Y L^-1


def _mT(t):
    # a raw view outside autograd; the transpose op when a backward is being recorded
    # (create_graph), or the second derivative would lose the path through t
    return t.transpose(-2, -1) if is_grad_enabled() else transposed_view(t)


def _copyltu(M):
    """M's lower triangle mirrored onto the upper one (a symmetric matrix)."""
    return tril(M) + _mT(tril(M, -1))


def _qr_backward_tall(gQ, gR, Q, R):
    """A = QR with m >= n, Q (m, n), R (n, n) invertible (Liao et al. 2019, torch's
    linalg_qr_backward): gA = (gQ + Q copyltu(M)) R^-T, M = R gR^T - gQ^T Q."""
    M = matmul(R, _mT(gR)) - matmul(_mT(gQ), Q)
    b = gQ + matmul(Q, _copyltu(M))
    return _mT(_tri("linalg.qr", R, _mT(b), True, False))  # b R^-T = (R^-1 b^T)^T


class _QR(Function):
    @staticmethod
    def forward(ctx, A, mode):
        batch, (m, n) = tuple(A.shape[:-2]), tuple(A.shape[-2:])
        k = min(m, n)
        a = _copy(A)
        tau = empty(batch + (k,), A.dtype, A.device)
        Q = empty(batch + (m, {"r": 0, "complete": m}.get(mode, k)), A.dtype, A.device)
        backend(A, "linalg.qr").qr(a, tau, Q)
        R = triu(a if mode == "complete" or m <= n else a[..., :k, :])
        if mode == "r":
            Q = empty((0,), A.dtype, A.device)  # torch returns an empty Q
        ctx.save_for_backward(Q, R)
        ctx.meta = (mode, m, n)
        return Q, R

    @staticmethod
    def backward(ctx, gQ, gR):
        Q, R = ctx.saved_tensors
        mode, m, n = ctx.meta
        if mode == "r":
            raise RuntimeError("linalg.qr: the derivative depends on Q, which is not computed when mode='r'; "
                               "use mode='reduced'")
        if mode == "complete" and m > n:
            raise RuntimeError("linalg.qr: the QR decomposition is not differentiable when mode='complete' and "
                               "nrows > ncols")
        if m >= n:
            return _qr_backward_tall(gQ, gR, Q, R), None
        # m < n: A = Q [U V] with X = Q U square; Y = Q V passes gV to Q (Liao et al. 2019)
        U, V, gU, gV = R[..., :m], R[..., m:], gR[..., :m], gR[..., m:]
        gX = _qr_backward_tall(gQ + matmul(matmul(Q, V), _mT(gV)), gU, Q, U)
        return cat([gX, matmul(Q, gV)], -1), None


class _Eigh(Function):
    @staticmethod
    def forward(ctx, A, lower):
        op = "linalg.eigh"
        a = _copy(A if lower else _mT(A))  # the kernel reads the lower triangle
        batch, n = tuple(A.shape[:-2]), A.shape[-1]
        w, V = empty(batch + (n,), A.dtype, A.device), empty(A.shape, A.dtype, A.device)
        info = empty(batch, _dt.int64, A.device)
        backend(A, op).eigh(a, w, V, info)
        _raise_on_info(op, info, lambda k: "The algorithm failed to converge because the input matrix is "
                                           f"ill-conditioned or has too many repeated eigenvalues (error code: {k}).")
        ctx.save_for_backward(w, V)
        return w, V

    @staticmethod
    def backward(ctx, gw, gV):
        """gA = V (diag(gw) + skew(V^T gV) / E) V^T, E_ij = w_j - w_i (torch's
        linalg_eig_backward, hermitian case): infinite for repeated eigenvalues when the
        loss depends on the eigenvectors, as there."""
        w, V = ctx.saved_tensors
        n = w.shape[-1]
        VtgV = matmul(_mT(V), gV)
        E = (w.unsqueeze(-2) - w.unsqueeze(-1)) + eye(n, dtype=w.dtype, device=w.device)
        inner = (VtgV - _mT(VtgV)) * 0.5 / E + diag_embed(gw)
        return matmul(matmul(V, inner), _mT(V)), None


# ---------------------------------------------------------------- public ops
def solve(A, B, *, left=True):
    """X with A X = B (left) or X A = B; B may be a vector (..., n) as in torch.linalg.solve."""
    op = "linalg.solve"
    if getattr(A, '_dtype', None) is not None and A._dtype.category == 3 or getattr(B, "_dtype", None) is not None and B._dtype.category == 3:  # complex: ops/complex_more.py
        from .complex_more import solve as csolve
        return csolve(A, B, left)
    _check_square(op, A)
    check_tensor(op, B, "B")
    vec = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    if vec:
        B = B.unsqueeze(-1 if left else -2)
    _check_rhs(op, A, B, -2 if left else -1)
    X = _Solve.apply(A, B, op) if left else _Solve.apply(A.mT, B.mT, op).mT  # X A = B <=> A^T X^T = B^T
    return X.squeeze(-1 if left else -2) if vec else X


def inv(A):
    """A^-1 for batches of square matrices; LinAlgError if one is singular."""
    if _amp.on and _amp.here(): return _amp.run("inverse", inv, A)  # autocast
    op = "linalg.inv"
    if getattr(A, '_dtype', None) is not None and A._dtype.category == 3:
        from .complex_more import inv as cinv
        return cinv(A)
    _check_square(op, A)
    return _Solve.apply(A, eye(A.shape[-1], dtype=A.dtype, device=A.device), op)


def det(A):
    if getattr(A, '_dtype', None) is not None and A._dtype.category == 3:
        from .complex_more import det as cdet
        return cdet(A)
    _check_square("linalg.det", A)
    return _Det.apply(A, "linalg.det")


def slogdet(A):
    """(sign, logabsdet) with det(A) = sign * exp(logabsdet); sign 0, logabsdet -inf if singular."""
    if getattr(A, '_dtype', None) is not None and A._dtype.category == 3:
        from .complex_more import slogdet as cslogdet
        return SlogdetResult(*cslogdet(A))
    _check_square("linalg.slogdet", A)
    return SlogdetResult(*_SlogDet.apply(A, "linalg.slogdet"))


def logdet(A):
    """log(det(A)): nan for a negative determinant, -inf for a singular A (torch.logdet)."""
    if getattr(A, '_dtype', None) is not None and A._dtype.category == 3:
        from .complex_more import logdet as clogdet
        return clogdet(A)
    _check_square("logdet", A)
    sgn, logabs = _SlogDet.apply(A, "logdet")
    return logabs + log(sgn.detach())


def lu_factor(A):
    """(LU, pivots): A = P L U with partial pivoting, LAPACK's layout, pivots 1-based int64."""
    _check_square("linalg.lu_factor", A)
    return LUFactorResult(*_LUFactor.apply(A))


def cholesky(A, *, upper=False):
    """L (lower, A = L L^T) from A's lower triangle, or U = L^T when upper."""
    op = "linalg.cholesky"
    _check_square(op, A)
    L = _Cholesky.apply(A, op)
    return L.mT if upper else L


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """X with A X = B (left) or X A = B for triangular A (only its `upper` / lower triangle is read)."""
    op = "linalg.solve_triangular"
    _check_square(op, A)
    _check_rhs(op, A, B, -2 if left else -1)
    if left:
        return _SolveTriangular.apply(A, B, bool(upper), bool(unitriangular))
    return _SolveTriangular.apply(A.mT, B.mT, not upper, bool(unitriangular)).mT


def cholesky_solve(B, L, upper=False):
    """X with A X = B, A = L L^T (or U^T U when upper) given its Cholesky factor."""
    if _amp.on and _amp.here(): return _amp.run("cholesky_solve", cholesky_solve, B, L, upper)  # autocast
    op = "cholesky_solve"
    _check_square(op, L, "L")
    _check_rhs(op, L, B, -2, "L")
    lower = L.mT if upper else L
    return solve_triangular(lower.mT, solve_triangular(lower, B, upper=False), upper=True)


def qr(A, mode="reduced"):
    """(Q, R) with A = QR by Householder reflections; mode 'reduced' (Q (m, k), R (k, n),
    k = min(m, n)), 'complete' (Q (m, m), R (m, n)) or 'r' (R only, Q empty), as torch."""
    op = "linalg.qr"
    check_tensor(op, A, "A")
    if A.dtype not in (_dt.float32, _dt.float64):
        raise TypeError(f"{op}: expected A to be float32 or float64, got {desc(A)}")
    if A.ndim < 2:
        raise ValueError(f"{op}: A must be batches of matrices (..., m, n), got {desc(A)}")
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"{op}: qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
                         f"'r', or 'complete'")
    return QRResult(*_QR.apply(A, mode))


def eigh(A, UPLO="L"):
    """(eigenvalues ascending, eigenvectors as columns) of the symmetric matrix in A's lower
    (UPLO='L') or upper ('U') triangle, by cyclic Jacobi rotations."""
    op = "linalg.eigh"
    _check_square(op, A)
    if UPLO not in ("L", "U"):
        raise ValueError(f"{op}: UPLO must be 'L' or 'U', got {UPLO!r}")
    return EighResult(*_Eigh.apply(A, UPLO == "L"))


def _cholesky_top(A, upper=False):
    """torch.cholesky (the deprecated top-level name): upper is positional there."""
    if _amp.on and _amp.here(): return _amp.run("cholesky", _cholesky_top, A, upper)  # autocast
    return cholesky(A, upper=upper)


__all__ = ["LinAlgError", "solve", "inv", "det", "slogdet", "logdet", "lu_factor", "cholesky", "solve_triangular",
           "cholesky_solve", "qr", "eigh"]
