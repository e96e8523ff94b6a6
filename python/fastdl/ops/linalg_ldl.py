"""linalg.ldl_factor / ldl_factor_ex / ldl_solve for real symmetric matrices (torch.linalg's
semantics, hermitian=False), in LAPACK's format: LD holds L's strict lower part and the
1x1 / 2x2 diagonal blocks of D (upper triangle zeroed, as torch), pivots are
sytrf's: k + 1 > 0 for a 1x1 block whose row / column k was swapped with the pivot's,
the same negative -(p + 1) twice for a 2x2 block whose second row was swapped with p
(int64: fastdl has no int32; torch returns int32 pivots and info).

The factorization is LAPACK's unblocked Bunch-Kaufman (dsytf2, lower; alpha =
(1 + sqrt 17) / 8): column k's pivot decision reads two maxima, then a rank-1 or rank-2
update of the trailing block, all with tensor ops; only the decisions go to the host (a
loop over the n columns of each matrix). sytrf's blocked code makes the same decisions
in exact arithmetic, so the pivots agree with torch's unless two candidates tie to
rounding. ldl_solve is dsytrs's two sweeps. Neither op has a derivative, as in torch."""
import math
from collections import namedtuple

from .. import dtypes as _dt
from ..autograd import no_grad
from ..tensor import tensor, zeros
from ._util import check_tensor, desc, same_device
from .linalg import matmul
from .shape import tril

__all__ = ["ldl_factor", "ldl_factor_ex", "ldl_solve"]

LDLFactorResult = namedtuple("ldl_factor", ["LD", "pivots"])
LDLFactorExResult = namedtuple("ldl_factor_ex", ["LD", "pivots", "info"])

_ALPHA = (1.0 + math.sqrt(17.0)) / 8.0


def _check_square(op, A, name):
    check_tensor(op, A, name)
    if A.dtype not in (_dt.float32, _dt.float64):
        raise TypeError(f"{op}: expected {name} to be float32 or float64, got {desc(A)}")
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ValueError(f"{op}: {name} must be batches of square matrices (..., n, n), got {desc(A)}")


def _check_hermitian(op, hermitian):
    if hermitian:
        raise NotImplementedError(f"{op}: hermitian=True is for complex matrices, which fastdl does not have; "
                                  f"real symmetric input uses hermitian=False")


def _swap_sym(S, i, j):
    """Rows and columns i and j of the symmetric matrix S swapped (in place)."""
    if i == j:
        return
    S[[i, j]] = S[[j, i]].clone()
    S[:, [i, j]] = S[:, [j, i]].clone()


def _factor_one(A):
    """(LD, pivots as a Python list, info) of one symmetric matrix (its lower triangle)."""
    n = A.shape[-1]
    S = tril(A) + tril(A, -1).mT  # the full symmetric matrix of the lower triangle
    S = S.clone()
    LD = zeros((n, n), dtype=A.dtype, device=A.device)
    piv, info, k = [0] * n, 0, 0
    while k < n:
        absakk = abs(S[k, k].item())
        imax, colmax = k, 0.0
        if k < n - 1:
            col = S[k + 1:, k].abs()
            imax = k + 1 + int(col.argmax().item())
            colmax = abs(S[imax, k].item())
        kstep, kp = 1, k
        if max(absakk, colmax) == 0.0 or math.isnan(absakk):
            info = info or k + 1  # a zero column: D(k) = 0, as LAPACK (no update)
        elif absakk < _ALPHA * colmax:
            row = S[imax, k:].abs()  # the largest off-diagonal of row / column imax in the block
            row[imax - k] = 0.0
            rowmax = row.max().item()
            if absakk >= _ALPHA * colmax * (colmax / rowmax):
                kp = k
            elif abs(S[imax, imax].item()) >= _ALPHA * rowmax:
                kp = imax
            else:
                kp, kstep = imax, 2
        kk = k + kstep - 1
        # the block's rows / columns kk and kp swapped (the L columns already made are not touched)
        sub = S[k:, k:].clone()
        _swap_sym(sub, kk - k, kp - k)
        S[k:, k:] = sub
        if kstep == 1:
            d = S[k, k]
            LD[k, k] = d
            if k < n - 1 and not (max(absakk, colmax) == 0.0 or math.isnan(absakk)):
                x = S[k + 1:, k]
                l = x / d
                S[k + 1:, k + 1:] = S[k + 1:, k + 1:] - l.unsqueeze(-1) * x.unsqueeze(0)
                LD[k + 1:, k] = l
            piv[k] = kp + 1
        else:
            D = S[k:k + 2, k:k + 2]
            LD[k:k + 2, k:k + 2] = tril(D)
            if k < n - 2:
                X = S[k + 2:, k:k + 2]
                # X D^-1 with LAPACK's scaled 2x2 inverse (d21 = D[1, 0])
                d21 = D[1, 0]
                d11, d22 = D[1, 1] / d21, D[0, 0] / d21
                t = 1.0 / (d11 * d22 - 1.0)
                d21 = t / d21
                wk = d21 * (d11 * X[:, 0] - X[:, 1])
                wkp1 = d21 * (d22 * X[:, 1] - X[:, 0])
                W = wk.unsqueeze(-1).expand(-1, 2).clone()
                W[:, 1] = wkp1
                S[k + 2:, k + 2:] = S[k + 2:, k + 2:] - matmul(X, W.mT)
                LD[k + 2:, k:k + 2] = W
            piv[k] = piv[k + 1] = -(kp + 1)
        k += kstep
    return LD, piv, info


def ldl_factor_ex(A, *, hermitian=False, check_errors=False):
    """(LD, pivots, info): info > 0 is the first zero 1x1 block D(info - 1) (A singular)."""
    op = "linalg.ldl_factor_ex"
    _check_square(op, A, "A")
    _check_hermitian(op, hermitian)
    batch, n = tuple(A.shape[:-2]), A.shape[-1]
    flat = A.detach().reshape(-1, n, n)
    lds, pivs, infos = [], [], []
    with no_grad():
        for i in range(flat.shape[0]):
            ld, piv, info = _factor_one(flat[i])
            lds.append(ld)
            pivs.append(piv)
            infos.append(info)
    from .shape import stack
    LD = stack(lds).reshape(A.shape) if lds else zeros(A.shape, dtype=A.dtype, device=A.device)
    pivots = tensor(pivs, dtype=_dt.int64, device=A.device).reshape(batch + (n,))
    info = tensor(infos, dtype=_dt.int64, device=A.device).reshape(batch)
    if check_errors and any(infos):
        from .linalg_factor import LinAlgError
        m = next(i for i, v in enumerate(infos) if v)
        where = f"(Batch element {m}): " if batch else ""
        raise LinAlgError(f"{op}: {where}The factorization could not be completed because the input is singular "
                          f"(D({infos[m]}) is zero).")
    return LDLFactorExResult(LD, pivots, info)


def ldl_factor(A, *, hermitian=False):
    """(LD, pivots) of the Bunch-Kaufman factorization A = P L D L^T P^T (A's lower triangle)."""
    op = "linalg.ldl_factor"
    _check_square(op, A, "A")
    _check_hermitian(op, hermitian)
    LD, pivots, info = ldl_factor_ex(A)
    bad = [int(v) for v in info.reshape(-1).tolist()]
    if any(bad):
        from .linalg_factor import LinAlgError
        m = next(i for i, v in enumerate(bad) if v)
        where = f"(Batch element {m}): " if A.ndim > 2 else ""
        raise LinAlgError(f"{op}: {where}The factorization could not be completed because the input is singular "
                          f"(D({bad[m]}) is zero).")
    return LDLFactorResult(LD, pivots)


def _swap_rows(B, i, j):
    if i != j:
        B[[i, j]] = B[[j, i]].clone()


def _solve_one(LD, piv, B):
    """dsytrs (lower): X with A X = B for one factorization; B (n, k) is overwritten."""
    n = LD.shape[-1]
    k = 0
    while k < n:  # L D Y = P^T B
        if piv[k] > 0:
            _swap_rows(B, k, piv[k] - 1)
            if k < n - 1:
                B[k + 1:] = B[k + 1:] - LD[k + 1:, k].unsqueeze(-1) * B[k]
            B[k] = B[k] / LD[k, k]
            k += 1
        else:
            _swap_rows(B, k + 1, -piv[k] - 1)
            if k < n - 2:
                B[k + 2:] = B[k + 2:] - LD[k + 2:, k].unsqueeze(-1) * B[k] - LD[k + 2:, k + 1].unsqueeze(-1) * B[k + 1]
            akm1k = LD[k + 1, k]
            akm1, ak = LD[k, k] / akm1k, LD[k + 1, k + 1] / akm1k
            denom = akm1 * ak - 1.0
            bkm1, bk = B[k] / akm1k, B[k + 1] / akm1k
            B[k] = (ak * bkm1 - bk) / denom
            B[k + 1] = (akm1 * bk - bkm1) / denom
            k += 2
    k = n - 1
    while k >= 0:  # L^T P^T X = Y
        if piv[k] > 0:
            if k < n - 1:
                B[k] = B[k] - matmul(LD[k + 1:, k].unsqueeze(0), B[k + 1:]).squeeze(0)
            _swap_rows(B, k, piv[k] - 1)
            k -= 1
        else:
            if k < n - 1:
                B[k] = B[k] - matmul(LD[k + 1:, k].unsqueeze(0), B[k + 1:]).squeeze(0)
                B[k - 1] = B[k - 1] - matmul(LD[k + 1:, k - 1].unsqueeze(0), B[k + 1:]).squeeze(0)
            _swap_rows(B, k, -piv[k] - 1)
            k -= 2
    return B


def ldl_solve(LD, pivots, B, *, hermitian=False):
    """X with A X = B from ldl_factor's (LD, pivots); batch dims broadcast."""
    op = "linalg.ldl_solve"
    _check_square(op, LD, "LD")
    _check_hermitian(op, hermitian)
    check_tensor(op, pivots, "pivots")
    check_tensor(op, B, "B")
    same_device(op, LD, B)
    n = LD.shape[-1]
    if pivots.dtype is not _dt.int64 or tuple(pivots.shape) != tuple(LD.shape[:-1]):
        raise ValueError(f"{op}: expected pivots to be int64 of shape {tuple(LD.shape[:-1])}, got {desc(pivots)}")
    if B.dtype is not LD.dtype:
        raise TypeError(f"{op}: expected LD and B to have the same dtype, got {desc(LD)} and {desc(B)}")
    if B.ndim < 2 or B.shape[-2] != n:
        raise ValueError(f"{op}: B must be at least 2-D with {n} rows, got LD {desc(LD)} and B {desc(B)}")
    from ._util import broadcast_shapes
    batch = broadcast_shapes(op, tuple(LD.shape[:-2]), tuple(B.shape[:-2]))
    LDb = LD.detach().expand(*batch, n, n).reshape(-1, n, n)
    pv = pivots.expand(*batch, n).reshape(-1, n)
    Bb = B.detach().expand(*batch, n, B.shape[-1]).reshape(-1, n, B.shape[-1])
    piv_rows = [[int(v) for v in row] for row in pv.tolist()]
    for row in piv_rows:
        if any(v == 0 or abs(v) > n for v in row):
            raise ValueError(f"{op}: pivots must be in [-n, -1] or [1, n] for n = {n}, got {row}")
    outs = []
    with no_grad():
        for i in range(Bb.shape[0]):
            outs.append(_solve_one(LDb[i], piv_rows[i], Bb[i].clone()))
    from .shape import stack
    X = stack(outs) if outs else Bb.clone()
    return X.reshape(*batch, n, B.shape[-1])
