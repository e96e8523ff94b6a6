"""linalg.lstsq (torch.linalg's semantics), composed from the SVD so it runs on every device.

Every driver computes the minimum-norm least-squares solution X = pinv(A) B, the
singular values below rcond * largest treated as zero (what gelsd / gelss do, and what
gelsy's complete orthogonal factorization gives; gels assumes full rank, where all
agree). The driver only decides which fields are filled, as in torch:
  residuals        (*, k): ||A X - B||^2 per column, when m > n and the driver is not
                   gelsy and (gels, or every matrix of A has rank n); else empty
  rank             (A's batch): gelsy / gelsd / gelss; else empty (int64)
  singular_values  (A's batch, min(m, n)): gelsd / gelss; else empty
rank and singular_values keep A's batch shape (not the broadcast one), as torch's do.
The rank is the SVD's count of singular values above rcond * largest; gelsy decides it
from a pivoted QR in LAPACK, which can differ on matrices at the threshold.
Autograd flows through pinv (the solution and residuals are differentiable; rank and
singular_values are not, as in torch)."""
from collections import namedtuple

from .. import dtypes as _dt
from ..tensor import zeros
from ._util import broadcast_shapes, check_tensor, desc, empty, same_device
from .linalg import matmul
from .linalg_svd import pinv, svdvals
from .reduce import amax, sum

__all__ = ["lstsq"]

LstsqResult = namedtuple("lstsq", ["solution", "residuals", "rank", "singular_values"])

_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def _check(op, A, B, driver):
    check_tensor(op, A, "A")
    check_tensor(op, B, "B")
    same_device(op, A, B)
    if A.dtype not in (_dt.float32, _dt.float64):
        raise TypeError(f"{op}: expected A to be float32 or float64, got {desc(A)}")
    if B.dtype is not A.dtype:
        raise TypeError(f"{op}: expected A and B to have the same dtype, got {desc(A)} and {desc(B)}")
    if A.ndim < 2:
        raise ValueError(f"{op}: A must have at least 2 dimensions, got {desc(A)}")
    if not (B.ndim == A.ndim or B.ndim == A.ndim - 1):
        raise ValueError(f"{op}: A.dim() must be greater or equal to B.dim() and (A.dim() - B.dim()) <= 1, "
                         f"got A {desc(A)} and B {desc(B)}")
    vector = B.ndim == A.ndim - 1
    if B.shape[-1 if vector else -2] != A.shape[-2]:
        raise ValueError(f"{op}: A.size(-2) should match B.size(-2), got A {desc(A)} and B {desc(B)}")
    if driver is not None:
        if not isinstance(driver, str) or driver not in _DRIVERS:
            raise ValueError(f"{op}: parameter `driver` should be one of (gels, gelsy, gelsd, gelss), got {driver!r}")
        if A.device.type == "cuda" and driver != "gels":
            raise ValueError(f"{op}: `driver` other than `gels` is not supported on CUDA, got {driver!r}")
    return vector


def lstsq(A, B, rcond=None, *, driver=None):
    """(solution, residuals, rank, singular_values) of min ||A X - B||_F for A (*, m, n)
    and B (*, m, k) (or (*, m): a vector right-hand side), batch dims broadcast."""
    op = "linalg.lstsq"
    vector = _check(op, A, B, driver)
    if driver is None:
        driver = "gels" if A.device.type == "cuda" else "gelsy"
    if rcond is not None and (isinstance(rcond, bool) or not isinstance(rcond, (int, float))):
        raise TypeError(f"{op}: rcond must be a number or None, got {rcond!r}")
    m, n = A.shape[-2], A.shape[-1]
    eps = 1.1920928955078125e-07 if A.dtype is _dt.float32 else 2.220446049250313e-16
    # LAPACK's rule: a negative rcond means machine precision; torch's default is eps * max(m, n)
    rcond = eps * max(m, n) if rcond is None else (eps if rcond < 0 else float(rcond))
    if vector:
        B = B.unsqueeze(-1)
    batch = broadcast_shapes(op, tuple(A.shape[:-2]), tuple(B.shape[:-2]))
    k = B.shape[-1]
    Ab, Bb = A.expand(*batch, m, n), B.expand(*batch, m, k)
    X = matmul(pinv(Ab, rtol=rcond), Bb)  # (*, n, k); zeros when m or n is 0, as torch

    dt, dev, abatch = A.dtype, A.device, tuple(A.shape[:-2])
    rank = empty((0,), _dt.int64, dev)
    sv = empty((0,), dt, dev)
    if driver != "gels":
        S = svdvals(A.detach()) if min(m, n) else empty(abatch + (0,), dt, dev)
        if min(m, n):
            rank = sum(S > amax(S, -1, keepdim=True) * rcond, -1)
        else:
            rank = zeros(abatch, dtype=_dt.int64, device=dev)
        if driver in ("gelsd", "gelss"):
            sv = S
    residuals = empty((0,), dt, dev)
    if m > n and driver != "gelsy" and (driver == "gels" or bool((rank == n).all().item())):
        r = matmul(Ab, X) - Bb
        residuals = sum(r * r, -2)  # (*, 1) for a vector B too, as torch
    return LstsqResult(X.squeeze(-1) if vector else X, residuals, rank, sv)
