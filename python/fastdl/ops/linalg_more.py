"""Products and matrix functions composed from matmul (torch's names and semantics): mv,
addmv, addr, ger, inner, vdot, tensordot, kron, cross / linalg.cross, baddbmm, addbmm,
chain_matmul, linalg.multi_dot, matrix_power, matrix_exp, linalg.vecdot,
linalg.diagonal, linalg.vander / vander.

All are compositions of differentiable ops, so they run on any device and autograd
differentiates them. matrix_exp is scaling and squaring with the [13/13] Pade approximant
(Higham 2005): its gradient is the derivative of that composition, exact to rounding
for the approximant (within ~1e-13 of the true derivative in float64)."""
import math
import numbers
import warnings

from .. import dtypes as _dt
from ..tensor import Tensor, eye
from ._util import broadcast_shapes, check_tensor, index_arg, desc, norm_dim, same_device
from .indexing_extra import diagonal as _diagonal
from .linalg import matmul, outer
from .reduce import amax, sum
from .shape import cat, flip, narrow
from ..amp import autocast_mode as _amp

__all__ = ["mv", "addmv", "addr", "ger", "inner", "vdot", "tensordot", "kron", "cross", "linalg_cross", "baddbmm",
           "addbmm", "chain_matmul", "multi_dot", "matrix_power", "matrix_exp", "vecdot", "linalg_diagonal",
           "linalg_vander", "vander"]


def _tensors(op, *named, promote=False):
    for t, name in named:
        check_tensor(op, t, name)
    same_device(op, *(t for t, _ in named))
    dtypes = {t.dtype for t, _ in named}
    if len(dtypes) > 1 and not promote:  # (promote: the op's elementwise arithmetic promotes, as torch's)
        raise TypeError(f"{op}: expected all operands to have the same dtype, got "
                        + ", ".join(f"{name} {desc(t)}" for t, name in named))


def _scale(op, beta, alpha):
    for v, name in ((beta, "beta"), (alpha, "alpha")):
        if isinstance(v, bool) or not isinstance(v, numbers.Number):
            raise TypeError(f"{op}: {name} must be a number, got {type(v).__name__}")


def _add_scaled(input, prod, beta, alpha):
    """beta * input + alpha * prod, input broadcast; beta == 0 ignores input (NaN too), as torch."""
    if prod.dtype.category == 1:  # integer products stay integer: torch casts the scalars (0.5 -> 0)
        beta, alpha = int(beta), int(alpha)
    p = prod if alpha == 1 else prod * alpha
    if beta == 0:  # input already broadcasts to prod's shape (checked)
        return p
    return (input if beta == 1 else input * beta) + p


def _check_out_shape(op, input, shape):
    try:
        ok = broadcast_shapes(op, tuple(input.shape), shape) == tuple(shape)
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"{op}: input {desc(input)} must broadcast to {list(shape)}")


# ---------------------------------------------------------------- vector / matrix products
def mv(input, vec):
    """The product of a matrix (n, m) and a vector (m,): (n,)."""
    if _amp.on and _amp.here(): return _amp.run("mv", mv, input, vec)  # autocast
    op = "mv"
    _tensors(op, (input, "input"), (vec, "vec"))
    if input.ndim != 2 or vec.ndim != 1 or input.shape[1] != vec.shape[0]:
        raise ValueError(f"{op}: expected a matrix (n, m) and a vector (m,), got {desc(input)} and {desc(vec)}")
    return matmul(input, vec)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """beta * input + alpha * (mat @ vec)."""
    if _amp.on and _amp.here(): return _amp.run("addmv", addmv, input, mat, vec, beta=beta, alpha=alpha)  # autocast
    op = "addmv"
    _tensors(op, (input, "input"), (mat, "mat"), (vec, "vec"))
    _scale(op, beta, alpha)
    p = mv(mat, vec)
    _check_out_shape(op, input, tuple(p.shape))
    return _add_scaled(input, p, beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """beta * input + alpha * outer(vec1, vec2)."""
    if _amp.on and _amp.here(): return _amp.run("addr", addr, input, vec1, vec2, beta=beta, alpha=alpha)  # autocast
    op = "addr"
    _tensors(op, (input, "input"), (vec1, "vec1"), (vec2, "vec2"), promote=True)
    _scale(op, beta, alpha)
    if vec1.ndim != 1 or vec2.ndim != 1:
        raise ValueError(f"{op}: expected 1-D vec1 and vec2, got {desc(vec1)} and {desc(vec2)}")
    p = outer(vec1, vec2)
    _check_out_shape(op, input, tuple(p.shape))
    return _add_scaled(input, p, beta, alpha)


def ger(input, vec2):
    """torch.ger, the older name of outer."""
    if input.ndim != 1 or vec2.ndim != 1:
        raise ValueError(f"ger: expected 1-D tensors, got {desc(input)} and {desc(vec2)}")
    return outer(input, vec2)


def vdot(input, other):
    """The dot product of two 1-D tensors of one size (real tensors: no conjugation needed)."""
    op = "vdot"
    _tensors(op, (input, "input"), (other, "other"))
    if input.ndim != 1 or other.ndim != 1 or input.shape[0] != other.shape[0]:
        raise ValueError(f"{op}: expected 1-D tensors of the same size, got {desc(input)} and {desc(other)}")
    if input.dtype.category == 3:  # torch conjugates the first argument
        from .complex_more import vdot as cvdot
        return cvdot(input, other)
    return sum(input * other)


def tensordot(a, b, dims=2):
    """Contracts a's dims dims[0] with b's dims[1] (an int n: a's last n with b's first n);
    the result has a's free dims then b's, as one matmul."""
    if _amp.on and _amp.here(): return _amp.run("tensordot", tensordot, a, b, dims)  # autocast
    op = "tensordot"
    _tensors(op, (a, "a"), (b, "b"))
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, numbers.Integral) and not isinstance(dims, bool):
        if dims < 0:
            raise ValueError(f"{op}: expects dims >= 0, got {dims}")
        if dims > a.ndim or dims > b.ndim:
            raise ValueError(f"{op}: expects dims < ndim_a or ndim_b, got dims={dims} for {desc(a)} and {desc(b)}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        try:
            da, db = dims
        except (TypeError, ValueError):
            raise TypeError(f"{op}: dims must be an int or a pair of dim lists, got {dims!r}") from None
        da = [da] if isinstance(da, numbers.Integral) else list(da)
        db = [db] if isinstance(db, numbers.Integral) else list(db)
        if len(da) != len(db):
            raise ValueError(f"{op}: both dimension lists should have the same length, got {da} and {db}")
        da = [norm_dim(op, d, a.ndim) for d in da]
        db = [norm_dim(op, d, b.ndim) for d in db]
    for i, j in zip(da, db):
        if a.shape[i] != b.shape[j]:
            raise ValueError(f"{op}: contracted dimensions need to match, but first has size {a.shape[i]} in dim {i} "
                             f"and second has size {b.shape[j]} in dim {j} ({desc(a)}, {desc(b)})")
    if len(set(da)) != len(da) or len(set(db)) != len(db):
        raise ValueError(f"{op}: a dim appears twice in dims {da}, {db}")
    fa = [d for d in range(a.ndim) if d not in da]
    fb = [d for d in range(b.ndim) if d not in db]
    k = math.prod(a.shape[d] for d in da)
    sa = [a.shape[d] for d in fa]
    sb = [b.shape[d] for d in fb]
    am = a.permute(tuple(fa + da)).reshape(math.prod(sa), k)
    bm = b.permute(tuple(db + fb)).reshape(k, math.prod(sb))
    return matmul(am, bm).reshape(sa + sb)


def inner(input, other):
    """The dot product over the last dims (a 0-d operand multiplies)."""
    op = "inner"
    zero_d = getattr(input, "ndim", 1) == 0 or getattr(other, "ndim", 1) == 0  # (_tensors refuses non-tensors)
    _tensors(op, (input, "input"), (other, "other"), promote=zero_d)
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise ValueError(f"{op}: inner() the last dimension must match on both input tensors but got shapes "
                         f"{list(input.shape)} and {list(other.shape)}")
    return tensordot(input, other, ([-1], [-1]))


def kron(input, other):
    """The Kronecker product: result[i * B + k] = input[i] * other[k] along every dim (the
    operands padded with leading 1s to one rank)."""
    op = "kron"
    _tensors(op, (input, "input"), (other, "other"), promote=True)
    nd = max(input.ndim, other.ndim)
    sa = (1,) * (nd - input.ndim) + tuple(input.shape)
    sb = (1,) * (nd - other.ndim) + tuple(other.shape)
    a = input.reshape([v for s in sa for v in (s, 1)])
    b = other.reshape([v for s in sb for v in (1, s)])
    return (a * b).reshape([x * y for x, y in zip(sa, sb)])


def _cross(op, input, other, dim):
    shape = broadcast_shapes(op, tuple(input.shape), tuple(other.shape))
    d = norm_dim(op, dim, len(shape))
    if shape[d] != 3:
        raise ValueError(f"{op}: inputs dimension {dim} must have length 3, got {desc(input)} and {desc(other)}")
    a, b = input.expand(*shape), other.expand(*shape)
    a0, a1, a2 = (narrow(a, d, i, 1) for i in range(3))
    b0, b1, b2 = (narrow(b, d, i, 1) for i in range(3))
    return cat([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)


def linalg_cross(input, other, *, dim=-1):
    """The 3-vector cross product along dim (broadcast operands)."""
    op = "linalg.cross"
    _tensors(op, (input, "input"), (other, "other"))
    if input.ndim != other.ndim:
        raise ValueError(f"{op}: inputs must have the same number of dimensions, got {desc(input)} and {desc(other)}")
    return _cross(op, input, other, dim)


def cross(input, other, dim=None):
    """torch.cross: as linalg.cross, but dim=None picks the first dim of size 3 and warns (torch 2.x)."""
    if _amp.on and _amp.here(): return _amp.run("cross", cross, input, other, dim)  # autocast
    op = "cross"
    _tensors(op, (input, "input"), (other, "other"))
    if input.ndim != other.ndim:
        raise ValueError(f"{op}: inputs must have the same number of dimensions, got {desc(input)} and {desc(other)}")
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated. Please either pass the dim "
                      "explicitly or simply use torch.linalg.cross.", UserWarning, stacklevel=2)
        shape = broadcast_shapes(op, tuple(input.shape), tuple(other.shape))
        dim = next((i for i, s in enumerate(shape) if s == 3), None)
        if dim is None:
            raise ValueError(f"{op}: no dimension of size 3 in input {desc(input)} and other {desc(other)}")
    return _cross(op, input, other, dim)


def _check_batches(op, b1, b2):
    if b1.ndim != 3 or b2.ndim != 3:
        raise ValueError(f"{op}: batch1 and batch2 must be 3-D tensors, got {desc(b1)} and {desc(b2)}")
    if b1.shape[0] != b2.shape[0] or b1.shape[2] != b2.shape[1]:
        raise ValueError(f"{op}: incompatible batch shapes {desc(b1)} and {desc(b2)} (need (b, n, m) and (b, m, p))")


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * (batch1 @ batch2), batch by batch."""
    if _amp.on and _amp.here(): return _amp.run("baddbmm", baddbmm, input, batch1, batch2, beta=beta, alpha=alpha)  # autocast
    op = "baddbmm"
    _tensors(op, (input, "input"), (batch1, "batch1"), (batch2, "batch2"))
    _scale(op, beta, alpha)
    _check_batches(op, batch1, batch2)
    shape = (batch1.shape[0], batch1.shape[1], batch2.shape[2])
    _check_out_shape(op, input, shape)
    return _add_scaled(input, matmul(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * sum_b batch1[b] @ batch2[b], as one matmul (the batch folded into K)."""
    if _amp.on and _amp.here(): return _amp.run("addbmm", addbmm, input, batch1, batch2, beta=beta, alpha=alpha)  # autocast
    op = "addbmm"
    _tensors(op, (input, "input"), (batch1, "batch1"), (batch2, "batch2"))
    _scale(op, beta, alpha)
    _check_batches(op, batch1, batch2)
    B, n, m = batch1.shape
    p = batch2.shape[2]
    _check_out_shape(op, input, (n, p))
    prod = matmul(batch1.permute(1, 0, 2).reshape(n, B * m), batch2.reshape(B * m, p))
    return _add_scaled(input, prod, beta, alpha)


def _chain(ms):
    out = ms[0]
    for m in ms[1:]:
        out = matmul(out, m)
    return out


def chain_matmul(*matrices):
    """The product of 2-D matrices, left to right (torch.chain_matmul)."""
    if _amp.on and _amp.here(): return _amp.run("chain_matmul", chain_matmul, *matrices)  # autocast
    op = "chain_matmul"
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if not matrices:
        raise ValueError(f"{op}: expected one or more tensors")
    _tensors(op, *((m, f"matrices[{i}]") for i, m in enumerate(matrices)))
    for i, m in enumerate(matrices):
        if m.ndim != 2:
            raise ValueError(f"{op}: tensor {i} must be 2-D, got {desc(m)}")
    for i in range(len(matrices) - 1):
        if matrices[i].shape[1] != matrices[i + 1].shape[0]:
            raise ValueError(f"{op}: matrices {i} and {i + 1} cannot be multiplied "
                             f"({desc(matrices[i])} @ {desc(matrices[i + 1])})")
    return matrices[0].clone() if len(matrices) == 1 else _chain(list(matrices))  # one matrix: a copy, dtype kept


def multi_dot(tensors):
    """linalg.multi_dot: the product of 2-D matrices, the first may be a row vector (1-D)
    and the last a column vector (1-D); multiplied left to right."""
    if _amp.on and _amp.here(): return _amp.run("multi_dot", multi_dot, tensors)  # autocast
    op = "linalg.multi_dot"
    tensors = list(tensors)
    if len(tensors) < 2:
        raise ValueError(f"{op}: expected at least 2 tensors but got {len(tensors)}")
    _tensors(op, *((t, f"tensors[{i}]") for i, t in enumerate(tensors)))
    ms = list(tensors)
    first1, last1 = ms[0].ndim == 1, ms[-1].ndim == 1
    if ms[0].ndim not in (1, 2) or ms[-1].ndim not in (1, 2):
        raise ValueError(f"{op}: the first and last tensors must be 1-D or 2-D, got {desc(ms[0])} and {desc(ms[-1])}")
    for i, m in enumerate(ms[1:-1], 1):
        if m.ndim != 2:
            raise ValueError(f"{op}: tensor {i} must be 2-D, got {desc(m)}")
    if first1:
        ms[0] = ms[0].unsqueeze(0)
    if last1:
        ms[-1] = ms[-1].unsqueeze(-1)
    for i in range(len(ms) - 1):
        if ms[i].shape[1] != ms[i + 1].shape[0]:
            raise ValueError(f"{op}: tensors {i} and {i + 1} with shapes {list(tensors[i].shape)} and "
                             f"{list(tensors[i + 1].shape)} cannot be multiplied")
    out = _chain(ms)
    if first1 and last1:
        return out.reshape(())
    if first1:
        return out.squeeze(0)
    return out.squeeze(-1) if last1 else out


# ---------------------------------------------------------------- matrix functions
def _square(op, A):
    check_tensor(op, A, "A")
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ValueError(f"{op}: expected a batch of square matrices (..., n, n), got {desc(A)}")


def _identity_like(A):
    n = A.shape[-1]
    return eye(n, dtype=A.dtype, device=A.device).expand(*A.shape)


def matrix_power(A, n):
    """A^n by repeated squaring; n = 0 the identity, n < 0 powers of A's inverse."""
    op = "linalg.matrix_power"
    _square(op, A)
    n = index_arg(n)
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{op}: n must be an int, got {n!r}")
    if n == 0:  # still in the graph (a zero gradient), as torch
        # an empty sum of A's entries: exact zeros even where A holds inf / NaN
        return _identity_like(A) + sum(narrow(A, -1, 0, 0), -1, keepdim=True)
    if n < 0:
        from .linalg_factor import inv
        A, n = inv(A), -n
    result, base = None, A
    while True:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if not n:
            break
        base = matmul(base, base)
    return result if result is not A else A * 1


_PADE13 = (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800., 129060195264000.,
           10559470521600., 670442572800., 33522128640., 1323241920., 40840800., 960960., 16380., 182., 1.)
_THETA13 = 5.371920351148152  # the largest 1-norm for which [13/13] Pade is accurate to double precision


def matrix_exp(A):
    """e^A by scaling and squaring: A / 2^s with its 1-norm <= theta_13, the [13/13] Pade
    approximant of that (one solve), then s squarings (Higham 2005). s is one number for
    the whole batch (the largest any matrix needs)."""
    op = "linalg.matrix_exp"
    _square(op, A)
    if not A.dtype.is_floating_point or A.dtype in _dt.HALF:
        raise TypeError(f"{op}: expected a float32 or float64 tensor, got {desc(A)}")
    if A.numel() == 0:
        return A * 1
    if A.shape[-1] == 1:
        return A.exp()
    norm1 = float(amax(sum(A.detach().abs(), -2)))  # the largest 1-norm in the batch
    if not math.isfinite(norm1):
        return A * float("nan")
    s = max(0, math.ceil(math.log2(norm1 / _THETA13))) if norm1 > 0 else 0
    X = A / (2.0 ** s) if s else A
    b, I = _PADE13, _identity_like(A)
    X2 = matmul(X, X)
    X4 = matmul(X2, X2)
    X6 = matmul(X4, X2)
    U = matmul(X, matmul(X6, b[13] * X6 + b[11] * X4 + b[9] * X2) + b[7] * X6 + b[5] * X4 + b[3] * X2 + b[1] * I)
    V = matmul(X6, b[12] * X6 + b[10] * X4 + b[8] * X2) + b[6] * X6 + b[4] * X4 + b[2] * X2 + b[0] * I
    from .linalg_factor import solve
    R = solve(V - U, V + U)
    for _ in range(s):
        R = matmul(R, R)
    return R


# ---------------------------------------------------------------- linalg names
def vecdot(x, y, *, dim=-1):
    """linalg.vecdot: sum(x * y, dim) with x and y broadcast."""
    op = "linalg.vecdot"
    _tensors(op, (x, "x"), (y, "y"))
    if x.dtype.category == 3 or y.dtype.category == 3:  # complex: x conjugated (torch)
        from .complex_more import vecdot as cvecdot
        broadcast_shapes(op, tuple(x.shape), tuple(y.shape))
        return cvecdot(x, y, dim)
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"{op}: expected a floating point tensor as input, got {desc(x)}")
    shape = broadcast_shapes(op, tuple(x.shape), tuple(y.shape))
    d = norm_dim(op, dim, len(shape))
    if x.ndim and y.ndim and x.shape[dim] != y.shape[dim] and 1 not in (x.shape[dim], y.shape[dim]):
        raise ValueError(f"{op}: x and y must have the same size along dim {dim}, got {desc(x)} and {desc(y)}")
    return sum(x * y, d)


def linalg_diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """linalg.diagonal: diagonal with the last two dims by default."""
    return _diagonal(A, offset, dim1, dim2)


def _powers(x, N):
    """(..., n, N): x^0, x^1, ..., x^(N-1) along a new last dim (a cumulative product, so
    autograd needs no division)."""
    from .cumulative import cumprod
    ones = x.unsqueeze(-1) * 0 + 1
    if N <= 1:
        return narrow(ones, -1, 0, N)
    return cumprod(cat([ones, x.unsqueeze(-1).expand(*x.shape, N - 1)], -1), -1)


def linalg_vander(x, *, N=None):
    """linalg.vander: the Vandermonde matrix of x (..., n) with increasing powers, (..., n, N)."""
    op = "linalg.vander"
    check_tensor(op, x, "x")
    if x.ndim < 1:
        raise ValueError(f"{op}: x must have at least one dimension, got {desc(x)}")
    N = x.shape[-1] if N is None else N
    if isinstance(N, bool) or not isinstance(N, numbers.Integral) or N <= 1:
        raise ValueError(f"{op}: N must be greater than 1, got {N!r}")
    x = x.to(_dt.int64) if x.dtype is _dt.bool_ else x
    return _powers(x, N)


def vander(x, N=None, increasing=False):
    """torch.vander: the Vandermonde matrix of the 1-D x, decreasing powers unless increasing."""
    from .complex_more import not_yet  # (torch takes complex here; fastdl does not yet)
    not_yet("vander", x)
    op = "vander"
    check_tensor(op, x, "x")
    if x.ndim != 1:
        raise ValueError(f"{op}: x must be a one-dimensional tensor, got {desc(x)}")
    N = x.shape[0] if N is None else N
    if isinstance(N, bool) or not isinstance(N, numbers.Integral) or N < 0:
        raise ValueError(f"{op}: N must be non-negative, got {N!r}")
    x = x.to(_dt.int64) if x.dtype is _dt.bool_ or not x.dtype.is_floating_point else x
    out = _powers(x, N)
    return out if increasing or N == 0 else flip(out, [-1])
