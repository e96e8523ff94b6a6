"""Randomized low-rank SVD and PCA (torch.svd_lowrank / torch.pca_lowrank, torch's
algorithm: Halko et al. 2009, a Gaussian sketch refined by niter subspace iterations
with QR re-orthonormalisation, then the SVD of the small projected matrix). Composed
from matmul / linalg.qr / linalg.svd, so it is differentiable and runs on every device.
The sketch comes from fastdl's generator: the factors match torch's up to that
randomness (the subspace, not the bits)."""
from ._util import check_tensor, desc
from .linalg import matmul
from .linalg_factor import qr
from .linalg_svd import _check, svd

__all__ = ["svd_lowrank", "pca_lowrank"]


def _approximate_basis(A, q, niter, M):
    """Q (..., m, q) with orthonormal columns approximately spanning A - M's range."""
    from .random import randn
    R = randn(A.shape[-1], q, dtype=A.dtype, device=A.device)
    X = matmul(A, R)
    if M is not None:
        X = X - matmul(M, R)
    Q = qr(X).Q
    for _ in range(niter):
        X = matmul(A.mT, Q)
        if M is not None:
            X = X - matmul(M.mT, Q)
        Q = qr(X).Q
        X = matmul(A, Q)
        if M is not None:
            X = X - matmul(M, Q)
        Q = qr(X).Q
    return Q


def _svd_lowrank(A, q, niter, M):
    q = 6 if q is None else q
    niter = 2 if niter is None else niter
    m, n = A.shape[-2], A.shape[-1]
    if M is not None:
        M = M.broadcast_to(tuple(A.shape))
    wide = m < n
    if wide:  # sketch the taller side
        A = A.mT
        if M is not None:
            M = M.mT
    Q = _approximate_basis(A, q, niter, M)
    B = matmul(Q.mT, A)
    if M is not None:
        B = B - matmul(Q.mT, M)
    U, S, Vh = svd(B, full_matrices=False)
    V = Vh.mT
    U = matmul(Q, U)
    return (V, S, U) if wide else (U, S, V)


def svd_lowrank(A, q=6, niter=2, M=None):
    """(U (..., m, q), S (..., q), V (..., n, q)) with A - M ~ U diag(S) V^T, a rank-q
    approximation (choose q a little above the rank you need; more than min(m, n) gives min(m, n))."""
    op = "svd_lowrank"
    _check(op, A)
    if M is not None:
        check_tensor(op, M, "M")
        if M.dtype is not A.dtype:
            raise TypeError(f"{op}: expected A and M to have the same dtype, got {desc(A)} and {desc(M)}")
    qq = 6 if q is None else q
    if isinstance(qq, bool) or not isinstance(qq, int) or qq < 0:  # q > min(m, n) gives min(m, n) factors, as torch
        raise ValueError(f"{op}: q(={q}) must be a non-negative integer, got it for A {desc(A)}")
    if niter is not None and (isinstance(niter, bool) or not isinstance(niter, int) or niter < 0):
        raise ValueError(f"{op}: niter(={niter}) must be a non-negative integer")
    return _svd_lowrank(A, q, niter, M)


def pca_lowrank(A, q=None, center=True, niter=2):
    """(U, S, V) of the (column-centered when center) data A (..., m, n): V's columns
    are the principal directions, S**2 / (m - 1) the variances along them."""
    op = "pca_lowrank"
    _check(op, A)
    m, n = A.shape[-2], A.shape[-1]
    if q is None:
        q = min(6, m, n)
    elif isinstance(q, bool) or not isinstance(q, int) or not 0 <= q <= min(m, n):
        raise ValueError(f"{op}: q(={q}) must be non-negative integer and not greater than min(m, n)={min(m, n)}")
    if isinstance(niter, bool) or not isinstance(niter, int) or niter < 0:
        raise ValueError(f"{op}: niter(={niter}) must be non-negative integer")
    if not center:
        return _svd_lowrank(A, q, niter, None)
    return _svd_lowrank(A - A.mean(dim=-2, keepdim=True), q, niter, None)
