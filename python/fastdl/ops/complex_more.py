"""More ops on complex tensors: the transcendental functions, the statistics (var / std,
real as torch's), cumsum, and the linear algebra (solve / inv through the real embedding,
det / slogdet by Gaussian elimination, svdvals / eigvalsh from the embedding's spectrum).

As in complex_math, every op is a composition of differentiable real ops on the parts
(view_as_real), so gradients follow torch's convention (conjugate Wirtinger) by themselves.
Callers (the real ops' fronts) send complex operands here with a one-line branch.
"""
import math as _math
from .. import dtypes as _dt
from ..tensor import Tensor
from . import complex_math as cm
from .complex_math import from_parts, parts
from .complex_views import view_as_complex, view_as_real
from ._util import desc

_LN2, _LN10 = _math.log(2.0), _math.log(10.0)


def is_complex(x):
    return isinstance(x, Tensor) and x._dtype.category == 3


def refuse(op, x):
    """The TypeError of a real-only op given a complex tensor (torch raises for these too)."""
    raise TypeError(f"{op}: not supported for complex tensors (torch has no complex {op}), got {desc(x)}")


def refuse_any(op, *args):
    for a in args:
        if is_complex(a) or isinstance(a, complex):
            refuse(op, a if isinstance(a, Tensor) else next((t for t in args if isinstance(t, Tensor)), a))


# ---- transcendental functions ------------------------------------------------------------
# (x + iy): each formula splits into real functions of x and y

def _rf():
    from . import elementwise as ew
    from . import elementwise_extra as ex
    return ew, ex


def sin(z, *_):
    ew, ex = _rf()
    x, y = parts(z)
    return from_parts(ew.sin(x) * ex.cosh(y), ew.cos(x) * ex.sinh(y), z._dtype)


def cos(z, *_):
    ew, ex = _rf()
    x, y = parts(z)
    return from_parts(ew.cos(x) * ex.cosh(y), -(ew.sin(x) * ex.sinh(y)), z._dtype)


def sinh(z, *_):
    ew, ex = _rf()
    x, y = parts(z)
    return from_parts(ex.sinh(x) * ew.cos(y), ex.cosh(x) * ew.sin(y), z._dtype)


def cosh(z, *_):
    ew, ex = _rf()
    x, y = parts(z)
    return from_parts(ex.cosh(x) * ew.cos(y), ex.sinh(x) * ew.sin(y), z._dtype)


def tanh(z, *_):
    """(sinh 2x + i sin 2y) / (cosh 2x + cos 2y); beyond |x| = 20 the real part is sign(x)
    and the imaginary part 4 sin 2y e^-2|x| (no inf / inf)."""
    ew, ex = _rf()
    x, y = parts(z)
    big = x.abs() > 20
    xs = ew.where(big, 0.0, x)
    den = ex.cosh(2 * xs) + ew.cos(2 * y)
    re = ew.where(big, ew.sign(x), ex.sinh(2 * xs) / den)
    im = ew.where(big, 4 * ew.sin(2 * y) * (-2 * x.abs()).exp(), ew.sin(2 * y) / den)
    return from_parts(re, im, z._dtype)


def tan(z, *_):
    # tan z = -i tanh(iz)
    return _mul_i(tanh(_mul_i(z)), -1)


def _mul_i(z, s=1):
    """z * (s i) for s = +-1, exact (a swap of the parts)."""
    x, y = parts(z)
    return from_parts(-y if s > 0 else y, x if s > 0 else -x, z._dtype)


def sigmoid(z, *_):
    return cm.reciprocal(cm.add(cm.exp(cm.neg(z)), 1.0))


def expm1(z, *_):
    """e^x cos y - 1 = expm1(x) cos y - 2 sin^2(y / 2): no cancellation near 0."""
    ew, _ = _rf()
    x, y = parts(z)
    s = ew.sin(y * 0.5)
    return from_parts(ew.expm1(x) * ew.cos(y) - 2 * s * s, x.exp() * ew.sin(y), z._dtype)


def log1p(z, *_):
    """log|1 + z| = log1p(2x + x^2 + y^2) / 2 (accurate near 0); the angle of 1 + z."""
    ew, _ = _rf()
    x, y = parts(z)
    return from_parts(ew.log1p(x * (x + 2) + y * y) * 0.5, ew.atan2(y, x + 1), z._dtype)


def exp2(z, *_):
    return cm.exp(cm.mul(z, _LN2))


def log2(z, *_):
    return cm.div(cm.log(z), _LN2)


def log10(z, *_):
    return cm.div(cm.log(z), _LN10)


def asinh(z, *_):
    return cm.log(cm.add(z, cm.sqrt(cm.add(cm.mul(z, z), 1.0))))


def acosh(z, *_):
    return cm.log(cm.add(z, cm.mul(cm.sqrt(cm.add(z, 1.0)), cm.sqrt(cm.sub(z, 1.0)))))


def atanh(z, *_):
    return cm.mul(cm.sub(log1p(z), log1p(cm.neg(z))), 0.5)


def asin(z, *_):
    return _mul_i(asinh(_mul_i(z)), -1)  # asin z = -i asinh(iz)


def acos(z, *_):
    return cm.sub(_math.pi / 2, asin(z))


def atan(z, *_):
    return _mul_i(atanh(_mul_i(z)), -1)  # atan z = -i atanh(iz)


UNARY = {"sin": sin, "cos": cos, "tan": tan, "tanh": tanh, "sigmoid": sigmoid, "expm1": expm1, "log1p": log1p,
         "exp2": exp2, "asin": asin, "acos": acos, "atan": atan}


# ---- statistics and cumulative ops ----------------------------------------------------------

def var(x, dim, unbiased, keepdim, correction):
    """sum |x - mean|^2 / (N - correction), real (torch): the variances of the parts added."""
    from .reduce import var as rvar
    re, im = parts(x)
    return rvar(re, dim, unbiased, keepdim, correction) + rvar(im, dim, unbiased, keepdim, correction)


def cumsum(x, d):
    """The running sums of both parts: cumsum of the (..., 2) real view along d."""
    from .cumulative import cumsum as rcumsum
    return view_as_complex(rcumsum(view_as_real(x), d).contiguous())


def nonzero_mask(x):
    """x != 0 for kernels that read only zero-ness (any / all / nonzero)."""
    re, im = parts(x)
    return (re != 0).logical_or(im != 0)


# ---- linear algebra ---------------------------------------------------------------------------

def _check_square(op, A):
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ValueError(f"{op}: A must be batches of square matrices (..., n, n), got {desc(A)}")


def embed(A):
    """The real (..., 2n, 2n) matrix [[X, -Y], [Y, X]] of A = X + iY: it maps the stacked
    parts [u; v] of a vector as A maps u + iv."""
    from .shape import cat
    X, Y = parts(A)
    return cat([cat([X, -Y], -1), cat([Y, X], -1)], -2)


def solve(A, B, left=True, op="linalg.solve"):
    """X with A X = B (left) or X A = B, complex: the embedding's solve on the stacked parts."""
    from .linalg_factor import solve as rsolve
    from .shape import cat
    _check_square(op, A)
    dt = _dt.result_type(A, B)
    A, B = A.to(dt), B.to(dt)
    if not left:  # X A = B <=> A^T X^T = B^T
        return solve(A.mT, B.mT, True, op).mT
    vec = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    if vec:
        B = B.unsqueeze(-1)
    n = A.shape[-1]
    br, bi = parts(B)
    Xs = rsolve(embed(A), cat([br, bi], -2))
    X = from_parts(Xs.narrow(-2, 0, n), Xs.narrow(-2, n, n), dt)
    return X.squeeze(-1) if vec else X


def inv(A, op="linalg.inv"):
    from ..tensor import eye
    _check_square(op, A)
    return solve(A, eye(A.shape[-1], dtype=A.dtype, device=A.device), True, op)


def _lu_pivots(A):
    """The pivots of Gaussian elimination with partial pivoting (..., n), complex, and the
    permutation's sign (..., ) as +-1.0: one step per column (n steps of whole-batch ops)."""
    from .elementwise import where
    from ..tensor import arange
    n = A.shape[-1]
    rd = _dt.to_real(A._dtype)
    sign = None
    pivots = []
    for k in range(n):
        m = n - k
        col = cm.abs(A[..., :, 0]).detach()
        p = col.argmax(-1)  # (...,): the row of the largest modulus
        r = arange(m, device=A.device)
        pe = p.unsqueeze(-1)
        perm = where(r == 0, pe, where(r == pe, 0, r))  # swap rows 0 and p
        flip = where(p != 0, -1.0, 1.0).to(rd)
        sign = flip if sign is None else sign * flip
        A = A.gather(-2, perm.unsqueeze(-1).expand(*A.shape))
        piv = A[..., 0, 0]
        pivots.append(piv)
        if m > 1:
            f = cm.div(A[..., 1:, 0], piv.unsqueeze(-1))  # the multipliers (..., m - 1)
            A = cm.sub(A[..., 1:, 1:], cm.mul(f.unsqueeze(-1), A[..., 0:1, 1:]))
    from .shape import stack
    return stack(pivots, -1), sign


def det(A, op="linalg.det"):
    from .reduce_more import prod
    _check_square(op, A)
    if A.shape[-1] == 0:
        from ..tensor import ones
        return ones(tuple(A.shape[:-2]), dtype=A.dtype, device=A.device)
    piv, sign = _lu_pivots(A)
    return cm.mul(prod(piv, -1), sign)


def slogdet(A, op="linalg.slogdet"):
    """(sign, logabsdet): sign = det / |det| (complex), logabsdet real; sign 0 and -inf for a
    singular A."""
    from .reduce import sum as rsum
    from .reduce_more import prod
    from .elementwise import where
    _check_square(op, A)
    if A.shape[-1] == 0:
        from ..tensor import ones, zeros
        return ones(tuple(A.shape[:-2]), dtype=A.dtype, device=A.device), \
            zeros(tuple(A.shape[:-2]), dtype=_dt.to_real(A._dtype), device=A.device)
    piv, sign = _lu_pivots(A)
    a = cm.abs(piv)
    logabs = rsum(a.log(), -1)
    unit = prod(cm.sgn(piv), -1)
    singular = (a == 0).any(-1)
    re, im = parts(cm.mul(unit, sign))
    return from_parts(where(singular, 0.0, re), where(singular, 0.0, im), A._dtype), logabs


def logdet(A):
    """log(det A), complex: log|det| + i angle(det)."""
    s, la = slogdet(A, "logdet")
    return from_parts(la, cm.angle(s), A._dtype)


def _embedded_spectrum(vals):
    """Every other value of the embedding's (..., 2k) sorted spectrum: each value of the
    complex matrix appears twice there."""
    return vals[..., ::2].contiguous()


def svdvals(A):
    from .linalg_svd import svdvals as rsvdvals
    return _embedded_spectrum(rsvdvals(embed(A)))


def eigvalsh(A, UPLO="L"):
    from .linalg_factor import eigh as reigh
    _check_square("linalg.eigvalsh", A)
    return _embedded_spectrum(reigh(embed(_hermitian_from(A, UPLO)), UPLO).eigenvalues)


def _hermitian_from(A, UPLO):
    """The Hermitian matrix that A's lower (L) / upper (U) triangle defines (real diagonal)."""
    from .shape import tril, triu
    T = tril(A, -1) if UPLO == "L" else triu(A, 1)
    x, _ = parts(A)
    from .indexing_extra import diag_embed, diagonal
    D = diag_embed(diagonal(x, 0, -2, -1))
    return cm.add(cm.add(T, cm.conj(T.mT)), D)


def vdot(a, b):
    """sum(conj(a) * b) (torch.vdot conjugates its first argument)."""
    from .reduce import sum as rsum
    return rsum(cm.mul(cm.conj(a), b))


def vecdot(x, y, dim=-1):
    """linalg.vecdot: sum(conj(x) * y) over dim."""
    from .reduce import sum as rsum
    return rsum(cm.mul(cm.conj(x), y), dim)


def linear(input, weight, bias=None):
    out = cm.matmul(input, weight.mT)
    return out if bias is None else cm.add(out, bias)


def not_yet(op, *args):
    """The TypeError of an op torch computes on complex tensors but fastdl does not yet."""
    for a in args:
        if is_complex(a):
            raise TypeError(f"{op}: complex tensors are not supported by fastdl's {op} yet, got {desc(a)}")
