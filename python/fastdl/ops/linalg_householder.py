"""Householder reflectors in LAPACK's layout: linalg.householder_product (torch.orgqr),
torch.geqrf and torch.ormqr (torch's names and semantics).

geqrf is the QR kernel's own output (R on and above the diagonal, the reflectors'
vectors below it with an implicit unit head, tau separately), as LAPACK's; like torch's
it has no derivative. householder_product and ormqr apply the k reflectors
H_i = I - tau_i v_i v_i^T one at a time with matmuls (a loop over the k columns, each a
batched rank-one update), so autograd differentiates them through the composition and
they run on every device."""
from collections import namedtuple

from .. import dtypes as _dt
from ..tensor import eye
from ._util import backend, check_tensor, desc, empty, same_device
from .linalg import matmul
from .linalg_factor import _copy
from .shape import tril
from ..amp import autocast_mode as _amp

__all__ = ["householder_product", "orgqr", "geqrf", "ormqr"]

GeqrfResult = namedtuple("geqrf", ["a", "tau"])


def _check_pair(op, A, tau, name="A"):
    check_tensor(op, A, name)
    check_tensor(op, tau, "tau")
    same_device(op, A, tau)
    if A.dtype not in (_dt.float32, _dt.float64):
        raise TypeError(f"{op}: expected {name} to be float32 or float64, got {desc(A)}")
    if tau.dtype is not A.dtype:
        raise TypeError(f"{op}: expected {name} and tau to have the same dtype, got {desc(A)} and {desc(tau)}")
    if A.ndim < 2:
        raise ValueError(f"{op}: {name} must have at least 2 dimensions, got {desc(A)}")
    if tau.ndim != A.ndim - 1 or tuple(tau.shape[:-1]) != tuple(A.shape[:-2]):
        raise ValueError(f"{op}: tau must have {name}'s batch dimensions and one more, got {name} {desc(A)} "
                         f"and tau {desc(tau)}")


def _reflectors(A):
    """V (..., m, n): A's strict lower triangle with a unit diagonal (the vectors v_i as columns)."""
    m, n = A.shape[-2], A.shape[-1]
    return tril(A, -1) + eye(m, n, dtype=A.dtype, device=A.device)


def _apply(V, tau, C, order, left):
    """C with the reflectors H_i applied in `order` (indices into V's columns): from the
    left, C <- H_i C = C - tau_i v_i (v_i^T C); from the right, C <- C H_i."""
    for i in order:
        v = V[..., :, i:i + 1]  # (..., m, 1)
        t = tau[..., i:i + 1].unsqueeze(-1)  # (..., 1, 1)
        if left:
            C = C - matmul(v * t, matmul(v.mT, C))
        else:
            C = C - matmul(matmul(C, v) * t, v.mT)
    return C


def householder_product(A, tau):
    """The first n columns of H_1 ... H_k for A (..., m, n), tau (..., k), k <= n <= m."""
    op = "linalg.householder_product"
    _check_pair(op, A, tau, "input")
    m, n, k = A.shape[-2], A.shape[-1], tau.shape[-1]
    if m < n:
        raise ValueError(f"{op}: input.shape[-2] must be greater than or equal to input.shape[-1], got {desc(A)}")
    if k > n:
        raise ValueError(f"{op}: input.shape[-1] must be greater than or equal to tau.shape[-1], got input "
                         f"{desc(A)} and tau {desc(tau)}")
    Q = eye(m, n, dtype=A.dtype, device=A.device).expand(*A.shape[:-2], m, n)
    return _apply(_reflectors(A), tau, Q, reversed(range(k)), True)  # H_1 (H_2 (... (H_k I)))


def orgqr(input, tau):
    """torch.orgqr: linalg.householder_product under LAPACK's name."""
    if _amp.on and _amp.here(): return _amp.run("orgqr", orgqr, input, tau)  # autocast
    return householder_product(input, tau)


def geqrf(input):
    """(a, tau): the QR factorization in LAPACK's compact form (no autograd, as torch)."""
    if _amp.on and _amp.here(): return _amp.run("geqrf", geqrf, input)  # autocast
    op = "geqrf"
    check_tensor(op, input, "input")
    if input.dtype not in (_dt.float32, _dt.float64):
        raise TypeError(f"{op}: expected input to be float32 or float64, got {desc(input)}")
    if input.ndim < 2:
        raise ValueError(f"{op}: input must have at least 2 dimensions, got {desc(input)}")
    batch, (m, n) = tuple(input.shape[:-2]), tuple(input.shape[-2:])
    a = _copy(input.detach())
    tau = empty(batch + (min(m, n),), input.dtype, input.device)
    if min(m, n):
        Q = empty(batch + (m, min(m, n)), input.dtype, input.device)
        backend(input, op).qr(a, tau, Q)
    return GeqrfResult(a, tau)


def ormqr(input, tau, other, left=True, transpose=False):
    """Q other (left) or other Q, Q^T when transpose, Q = H_1 ... H_k the full m x m
    orthogonal matrix of geqrf's (input, tau); input (..., mn, k), other (..., m, n)."""
    if _amp.on and _amp.here(): return _amp.run("ormqr", ormqr, input, tau, other, left, transpose)  # autocast
    op = "ormqr"
    _check_pair(op, input, tau, "input")
    check_tensor(op, other, "other")
    same_device(op, input, other)
    if other.dtype is not input.dtype:
        raise TypeError(f"{op}: expected input and other to have the same dtype, got {desc(input)} and {desc(other)}")
    if other.ndim != input.ndim or tuple(other.shape[:-2]) != tuple(input.shape[:-2]):
        raise ValueError(f"{op}: other must have input's batch dimensions, got input {desc(input)} and "
                         f"other {desc(other)}")
    k = tau.shape[-1]
    rows = other.shape[-2] if left else other.shape[-1]
    if input.shape[-2] != rows:
        side = "other.shape[-2]" if left else "other.shape[-1]"
        raise ValueError(f"{op}: input.shape[-2] must equal {side} (left={left}), got input {desc(input)} and "
                         f"other {desc(other)}")
    if k > input.shape[-1] or k > rows:
        raise ValueError(f"{op}: tau.shape[-1] must be at most input.shape[-1] and the order of Q, got input "
                         f"{desc(input)} and tau {desc(tau)}")
    V = _reflectors(input)
    # Q C = H_1 (... (H_k C)); Q^T C = H_k (... (H_1 C)); C Q = ((C H_1) ...) H_k; C Q^T = ((C H_k) ...) H_1
    backwards = left != bool(transpose)
    order = reversed(range(k)) if backwards else range(k)
    return _apply(V, tau, other, order, left)
