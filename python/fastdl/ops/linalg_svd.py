"""Singular value decomposition and what needs it: linalg.svd / svdvals, torch.svd,
linalg.pinv / pinverse, linalg.matrix_rank (torch's names and semantics).

One kernel per device (_C.cpu / _C.cuda `svd`, one-sided Jacobi in
csrc/common/linalg_factor.h) computes the thin SVD of a matrix with m >= n; a wide
matrix is factored through its transpose. full_matrices completes U (or V) with the
extra columns of a complete QR of the thin factor (they carry no gradient, as in torch,
whose backward narrows them away).

Backward (torch's svd_backward, real case; valid for distinct nonzero singular values
when the loss depends on U or V, as there):
  gA = U [(skew(U^T gU) S + S skew(V^T gV)) / E + diag(gS)] V^T
       + (I - U U^T) gU S^-1 V^T + U S^-1 gV^T (I - V V^T),  E_ij = s_j^2 - s_i^2"""
import math
import numbers
from collections import namedtuple

from .. import _argcheck
from .. import dtypes as _dt
from ..autograd import Function
from ..tensor import eye, zeros
from ._util import backend, check_tensor, desc, empty
from .elementwise import where
from .indexing_extra import diag_embed
from .linalg import matmul
from .linalg_factor import LinAlgError, _copy, _mT, _raise_on_info, eigh, qr
from .reduce import amax, sum
from .shape import cat, narrow
from ..amp import autocast_mode as _amp

__all__ = ["svd", "svdvals", "svd_legacy", "pinv", "pinverse", "matrix_rank"]

SVDResult = namedtuple("svd", ["U", "S", "Vh"])
SVDLegacyResult = namedtuple("svd", ["U", "S", "V"])


def _check(op, A):
    check_tensor(op, A, "A")
    if A.dtype not in (_dt.float32, _dt.float64):
        raise TypeError(f"{op}: expected A to be float32 or float64, got {desc(A)}")
    if A.ndim < 2:
        raise ValueError(f"{op}: A must be batches of matrices (..., m, n), got {desc(A)}")


def _thin(op, A):
    """(U (..., m, k), S (..., k), Vh (..., k, n)) of A, without autograd."""
    batch, (m, n) = tuple(A.shape[:-2]), tuple(A.shape[-2:])
    tall = m >= n
    a = _copy(A if tall else _mT(A))  # (..., p, q) with p >= q
    q = a.shape[-1]
    s = empty(batch + (q,), A.dtype, A.device)
    v = empty(batch + (q, q), A.dtype, A.device)
    info = empty(batch, _dt.int64, A.device)
    backend(A, op).svd(a, s, v, info)
    _raise_on_info(op, info, lambda k: "The algorithm failed to converge because the input matrix is ill-conditioned "
                                       f"or has too many repeated singular values (error code: {k}).")
    return (a, s, _mT(v)) if tall else (v, s, _mT(a))


class _SVD(Function):
    @staticmethod
    def forward(ctx, A, op):
        ctx.set_materialize_grads(False)  # an unused U / V must not turn into 0 / S terms
        U, S, Vh = _thin(op, A)
        ctx.save_for_backward(U, S, Vh)
        return U, S, Vh

    @staticmethod
    def backward(ctx, gU, gS, gVh):
        U, S, Vh = ctx.saved_tensors
        m, n, k = U.shape[-2], Vh.shape[-1], S.shape[-1]
        if gU is None and gVh is None:
            if gS is None:
                return None, None
            return matmul(U * gS.unsqueeze(-2), Vh), None
        S2 = S * S
        E = S2.unsqueeze(-2) - S2.unsqueeze(-1) + eye(k, dtype=S.dtype, device=S.device)
        inner = 0
        if gU is not None:
            UtgU = matmul(_mT(U), gU)
            inner = (UtgU - _mT(UtgU)) * S.unsqueeze(-2)
        if gVh is not None:
            VtgV = matmul(Vh, _mT(gVh))
            inner = inner + S.unsqueeze(-1) * (VtgV - _mT(VtgV))
        gA = inner / E
        if gS is not None:
            gA = gA + diag_embed(gS)
        if m > k and gU is not None:
            gA = matmul(U, gA)
            gUSinv = gU / S.unsqueeze(-2)
            gA = gA + gUSinv - matmul(U, matmul(_mT(U), gUSinv))
            gA = matmul(gA, Vh)
        elif n > k and gVh is not None:
            gA = matmul(gA, Vh)
            SinvgVh = gVh / S.unsqueeze(-1)
            gA = gA + SinvgVh - matmul(matmul(SinvgVh, _mT(Vh)), Vh)
            gA = matmul(U, gA)
        else:
            gA = matmul(U, matmul(gA, Vh))
        return gA, None


def _complete(Q, k):
    """Q (..., m, k) with orthonormal columns extended to (..., m, m): the last columns of a
    complete QR of Q (orthogonal to Q's span), with no gradient."""
    m = Q.shape[-2]
    if m == k:
        return Q
    extra = narrow(qr(Q.detach(), mode="complete").Q, -1, k, m - k)
    return cat([Q, extra], -1)


def _factors(op, A, full):
    m, n = A.shape[-2], A.shape[-1]
    k = min(m, n)
    if k == 0:  # nothing to factor: empty S, identity completions
        batch = tuple(A.shape[:-2])
        S = empty(batch + (0,), A.dtype, A.device)
        U = eye(m, dtype=A.dtype, device=A.device).expand(*batch, m, m) * 1 if full else empty(batch + (m, 0), A.dtype,
                                                                                                  A.device)
        Vh = eye(n, dtype=A.dtype, device=A.device).expand(*batch, n, n) * 1 if full else empty(batch + (0, n), A.dtype,
                                                                                                   A.device)
        return U, S, Vh
    U, S, Vh = _SVD.apply(A, op)
    if full:
        U = _complete(U, k)
        Vh = _complete(Vh.mT, k).mT
    return U, S, Vh


def svd(A, full_matrices=True, *, driver=None):
    """linalg.svd: (U, S, Vh) with A = U diag(S) Vh, S descending; full_matrices gives
    square U (m, m) and Vh (n, n), else U (m, k), Vh (k, n), k = min(m, n)."""
    op = "linalg.svd"
    _check(op, A)
    if driver is not None:
        raise ValueError(f"{op}: driver= is only supported on CUDA in torch (cuSOLVER); fastdl has one algorithm")
    return SVDResult(*_factors(op, A, bool(full_matrices)))


def svdvals(A, *, driver=None):
    """linalg.svdvals: the singular values of A, descending."""
    op = "linalg.svdvals"
    if getattr(A, '_dtype', None) is not None and A._dtype.category == 3:  # from the real embedding (ops/complex_more.py)
        from .complex_more import svdvals as csvdvals
        return csvdvals(A)
    _check(op, A)
    if min(A.shape[-2], A.shape[-1]) == 0:
        return empty(tuple(A.shape[:-2]) + (0,), A.dtype, A.device)
    return _SVD.apply(A, op)[1]


def svd_legacy(input, some=True, compute_uv=True):
    """torch.svd: (U, S, V) (V, not V^T); some=False gives square U and V; compute_uv=False
    returns zero-filled U (m, m) and V (n, n), as torch."""
    op = "svd"
    _argcheck.flag(op, "some", some)
    _argcheck.flag(op, "compute_uv", compute_uv)
    _check(op, input)
    m, n = input.shape[-2], input.shape[-1]
    batch = tuple(input.shape[:-2])
    if not compute_uv:
        S = svdvals(input)
        return SVDLegacyResult(zeros(batch + (m, m), dtype=input.dtype, device=input.device), S,
                               zeros(batch + (n, n), dtype=input.dtype, device=input.device))
    U, S, Vh = _factors(op, input, not some)
    return SVDLegacyResult(U, S, Vh.mT)


def _tolerances(op, A, atol, rtol):
    """torch's get_atol_rtol: atol 0 by default; rtol eps * max(m, n) unless atol > 0 is given."""
    for v, name in ((atol, "atol"), (rtol, "rtol")):
        if v is not None and (isinstance(v, bool) or not isinstance(v, numbers.Real)):
            raise TypeError(f"{op}: {name} must be a number, got {v!r}")
    eps = 1.1920928955078125e-07 if A.dtype is _dt.float32 else 2.220446049250313e-16
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else eps * max(A.shape[-2], A.shape[-1])
    return float(atol or 0.0), float(rtol)


def _keep_reciprocal(S, keep):
    """1 / S where keep, 0 elsewhere, with no inf * 0 reaching the gradient."""
    return where(keep, 1.0 / where(keep, S, 1.0), 0.0)


def pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None):
    """linalg.pinv: the Moore-Penrose pseudo-inverse from the SVD (eigh when hermitian),
    dropping singular values <= max(atol, rtol * largest); rcond is the older name of rtol."""
    op = "linalg.pinv"
    _check(op, A)
    if rcond is not None:
        rtol = rcond
    atol, rtol = _tolerances(op, A, atol, rtol)
    m, n = A.shape[-2], A.shape[-1]
    if min(m, n) == 0:
        return zeros(tuple(A.shape[:-2]) + (n, m), dtype=A.dtype, device=A.device)
    if hermitian:
        w, V = eigh(A)
        tol = amax(w.abs(), -1, keepdim=True) * rtol
        tol = where(tol > atol, tol, atol)
        return matmul(V * _keep_reciprocal(w, w.abs() > tol).unsqueeze(-2), V.mT)
    U, S, Vh = _SVD.apply(A, op)
    tol = narrow(S, -1, 0, 1) * rtol
    tol = where(tol > atol, tol, atol)
    return matmul(Vh.mT * _keep_reciprocal(S, S > tol).unsqueeze(-2), U.mT)


def pinverse(input, rcond=1e-15):
    """torch.pinverse: pinv with rtol = rcond."""
    if _amp.on and _amp.here(): return _amp.run("pinverse", pinverse, input, rcond)  # autocast
    return pinv(input, rtol=rcond)


def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None):
    """linalg.matrix_rank: the number of singular values (|eigenvalues| when hermitian)
    above max(atol, rtol * largest); tol is the older name of atol."""
    op = "linalg.matrix_rank"
    _check(op, A)
    if tol is not None:
        atol, rtol = tol, 0.0 if rtol is None else rtol
    atol, rtol = _tolerances(op, A, atol, rtol)
    if min(A.shape[-2], A.shape[-1]) == 0:
        return zeros(tuple(A.shape[:-2]), dtype=_dt.int64, device=A.device)
    S = (eigh(A).eigenvalues.abs() if hermitian else svdvals(A)).detach()
    top = amax(S, -1, keepdim=True)
    thr = top * rtol
    thr = where(thr > atol, thr, atol)
    return sum(S > thr, -1)


def cond_svd(A, p):
    """linalg.cond for p = None / 2 (largest / smallest singular value), -2 (the inverse
    ratio) and 'nuc' (||A||_* ||A^-1||_*, square A); inf where A is singular."""
    op = "linalg.cond"
    _check(op, A)
    if p == "nuc":
        from .linalg_factor_more import inv_ex
        if A.shape[-1] != A.shape[-2]:
            raise ValueError(f"{op}: A must be batches of square matrices for p='nuc', got {desc(A)}")
        Ainv, info = inv_ex(A)
        bad = info != 0
        c = sum(svdvals(A), -1) * sum(svdvals(where(bad.unsqueeze(-1).unsqueeze(-1), 0.0, Ainv)), -1)
        return where(bad, math.inf, c)
    S = svdvals(A)
    if S.shape[-1] == 0:
        return sum(S, -1)
    hi, lo = narrow(S, -1, 0, 1).squeeze(-1), narrow(S, -1, S.shape[-1] - 1, 1).squeeze(-1)
    return hi / lo if p != -2 else lo / hi


__all__ += ["cond_svd", "LinAlgError"]
