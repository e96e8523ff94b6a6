"""Norms with torch's semantics: linalg.vector_norm, linalg.matrix_norm ('fro', 1, -1,
inf, -inf, and 'nuc', 2, -2 from linalg.svdvals), linalg.norm and fastdl.norm / Tensor.norm (torch.norm), composed from
differentiable ops so they run on any device.

Where the textbook derivative is infinite or undefined, the gradient is torch's: 0 for
a zero vector (p > 0), 0 for the zero elements when p < 1, and none for p = 0 (whose
result is still in the graph, as in torch)."""
import math
import numbers

from .. import dtypes as _dt
from ..autograd import Function, no_grad
from ..tensor import Tensor
from ._util import check_tensor, desc, norm_dim, norm_dims
from .elementwise import abs, ne, where
from .reduce import amax, amin, sum
from ..amp import autocast_mode as _amp

__all__ = ["vector_norm", "matrix_norm", "linalg_norm", "norm"]

_INF = math.inf
# the float dtypes each float dtype converts to without narrowing (neither half type holds the other)
_WIDER = {_dt.float16: (_dt.float32, _dt.float64), _dt.bfloat16: (_dt.float32, _dt.float64),
          _dt.float32: (_dt.float64,), _dt.float64: ()}


def _order(op, ord):
    """ord as a float: a real number (bool counts, as in torch) or a 0-d tensor."""
    if isinstance(ord, Tensor) and ord.numel() == 1:
        return float(ord)
    if not isinstance(ord, numbers.Real):
        raise TypeError(f"{op}: ord must be a number, got {ord!r}")
    return float(ord)


def _float_input(op, x, dtype):
    """x converted to dtype (a float dtype it widens to, as torch allows), and the dtype to
    compute in: float32 for the half types, whose sums torch accumulates in float32."""
    if not x.dtype.is_floating_point:
        raise TypeError(f"{op}: expected a floating point tensor as input, got {desc(x)}")
    if dtype is not None:
        dtype = _dt.to_dtype(dtype)
        if not dtype.is_floating_point:
            raise TypeError(f"{op}: dtype should be floating point, but got {dtype.name} (input {desc(x)})")
        if dtype is not x.dtype and dtype not in _WIDER[x.dtype]:
            raise TypeError(f"{op}: the dtype of the input ({desc(x)}) should be convertible without narrowing "
                            f"to the specified dtype ({dtype.name})")
        x = x.to(dtype)
    return x, (_dt.float32 if x.dtype in _dt.HALF else x.dtype)


def _reduced_dims(op, x, dim):
    """Sorted non-negative dims; None or an empty sequence means every dim (torch's rule)."""
    if dim is not None and not isinstance(dim, (numbers.Integral, Tensor)) and len(dim) == 0:
        dim = None
    try:
        dims = norm_dims(op, dim, x.ndim)
        return [] if x.ndim == 0 else dims  # a 0-d tensor's dim 0 is the tensor itself
    except ValueError as e:  # a repeated dim: torch's RuntimeError
        raise RuntimeError(str(e)) from None


def _root(s, p):
    """s ** (1/p) for s >= 0 (or NaN), with gradient 0 at s == 0 (torch's value for a zero
    vector): the unused branch of the outer where sees 1, so no inf * 0 reaches the gradient."""
    keep = ne(s, 0)  # NaN != 0: a NaN norm stays NaN
    r = where(keep, s, 1.0)
    r = r.sqrt() if p == 2 else r ** (1.0 / p)
    return where(keep, r, 0.0)


class _CountNonzero(Function):
    """The 0-"norm" (the number of non-zeros). As in torch it is part of the graph (its
    result requires grad) but piecewise constant: backward passes no gradient on."""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        with no_grad():
            return sum(ne(x, 0), dim=dims, keepdim=keepdim).to(x.dtype)

    @staticmethod
    def backward(ctx, g):
        return None, None, None


def _vector_norm(x, p, dims, keepdim):
    if p == 2:
        return _root(sum(x * x, dim=dims, keepdim=keepdim), 2)
    if p == 1:
        return sum(abs(x), dim=dims, keepdim=keepdim)
    if p == _INF:
        return amax(abs(x), dim=dims, keepdim=keepdim)
    if p == -_INF:
        return amin(abs(x), dim=dims, keepdim=keepdim)
    if p == 0:
        return _CountNonzero.apply(x, dims, keepdim)
    a = abs(x)
    if p < 1:  # |0| ** p: its derivative is infinite (p < 1) or the value is (p < 0); torch masks the zeros
        nz = ne(a, 0)
        a = where(nz, where(nz, a, 1.0) ** p, 0.0 if p > 0 else _INF)
    else:
        a = a ** p
    s = sum(a, dim=dims, keepdim=keepdim)
    return _root(s, p) if p > 0 else s ** (1.0 / p)


def vector_norm(x, ord=2, dim=None, keepdim=False, dtype=None):
    """linalg.vector_norm: (sum |x|^ord) ** (1/ord) over dim (None: every element); ord
    inf / -inf is the max / min of |x|, ord 0 the number of non-zeros."""
    op = "linalg.vector_norm"
    check_tensor(op, x)
    p = _order(op, ord)
    if x.dtype.category == 3:  # complex: the norm of the moduli, real (torch)
        from .complex_math import abs as cabs
        x = cabs(x if dtype is None or not _dt.to_dtype(dtype).is_complex else x.to(_dt.to_dtype(dtype)))
        dtype = None if dtype is None or _dt.to_dtype(dtype).is_complex else dtype
    x, compute = _float_input(op, x, dtype)
    dims = _reduced_dims(op, x, dim)
    if (p < 0 or p == _INF) and x.numel() == 0:  # min / max / a negative power have no identity
        empty = [d for d in dims if x.shape[d] == 0]
        if empty:
            where_ = f"the dimension {empty[0]}" if dim is not None else "an empty tensor"
            raise RuntimeError(f"{op}: cannot compute the {ord} norm on {where_} of {desc(x)} because it is empty "
                               "and the operation does not have an identity")
    out_dtype = x.dtype
    res = _vector_norm(x.to(compute) if compute is not x.dtype else x, p, dims, keepdim)
    return res.to(out_dtype) if res.dtype is not out_dtype else res


def _matrix_dims(op, A, dim):
    if isinstance(dim, (numbers.Integral, Tensor)) or len(dim) != 2:
        raise RuntimeError(f"{op}: dim must be a 2-tuple, got {dim!r} (input {desc(A)})")
    d0, d1 = (norm_dim(op, d, A.ndim) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"{op}: dims must be different, got {tuple(dim)} (input {desc(A)})")
    return d0, d1


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, dtype=None):
    """linalg.matrix_norm over the two dims `dim`: 'fro' (the 2-norm of the entries), 1 / -1
    (max / min column sum of |A|), inf / -inf (max / min row sum), 'nuc' / 2 / -2 (the sum /
    largest / smallest singular value, from linalg.svdvals)."""
    op = "linalg.matrix_norm"
    check_tensor(op, A)
    # torch's order of checks: the order, the rank, the dtype, then the dims
    p = None if isinstance(ord, str) else _order(op, ord)
    known = ord in ("fro", "nuc") if p is None else p in (1, -1, 2, -2, _INF, -_INF)
    if not known:
        raise RuntimeError(f"{op}: order {ord} not supported (input {desc(A)})")
    if A.ndim < 2:
        raise RuntimeError(f"{op}: the input tensor A must have at least 2 dimensions, got {desc(A)}")
    if not A.dtype.is_floating_point and A.dtype.category != 3:
        raise TypeError(f"{op}: expected a floating point tensor as input, got {desc(A)}")
    d0, d1 = _matrix_dims(op, A, dim)
    if p is None and ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim, dtype)
    if p is None or p in (2, -2):  # from the singular values (ops/linalg_svd.py)
        from .linalg_svd import svdvals
        X = A.permute(*[i for i in range(A.ndim) if i not in (d0, d1)], d0, d1)
        if X.dtype.category != 3:  # (complex: svdvals takes it, the values are real)
            X, compute = _float_input(op, X, dtype)
        else:
            compute = X.dtype
        s = svdvals(X.to(compute) if compute is not X.dtype else X)
        if s.shape[-1] == 0 and p == -2:
            raise RuntimeError(f"{op}: cannot compute the {ord} norm of {desc(A)}: the matrices are empty and the "
                               "minimum has no identity")
        res = sum(s, -1) if p is None else (s.amax(-1) if p == 2 or s.shape[-1] == 0 else s.amin(-1))
        res = res.to(X.dtype) if res.dtype is not X.dtype and X.dtype.category != 3 else res
        if keepdim:
            res = res.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1))
        return res
    if p in (_INF, -_INF):  # the inf norm is the 1 norm of the transpose
        d0, d1 = d1, d0
    sums = vector_norm(A, 1, d0, True, dtype)  # |A| summed over d0: one value per index of d1
    if sums.shape[d1] == 0:
        if p < 0:
            raise RuntimeError(f"{op}: cannot compute the {ord} norm of {desc(A)}: dim {d1} is empty and the "
                               "minimum has no identity")
        res = sum(sums, dim=d1, keepdim=True)  # zeros, as torch gives for the max over nothing
    else:
        res = (amax if p > 0 else amin)(sums, dim=d1, keepdim=True)
    return res if keepdim else res.squeeze(max(d0, d1)).squeeze(min(d0, d1))


def linalg_norm(A, ord=None, dim=None, keepdim=False, dtype=None):
    """linalg.norm: a vector norm, or a matrix norm when ord is a string or dim (or, with
    dim None and ord given, the input) has two dims; ord None is the 2-norm of every entry."""
    op = "linalg.norm"
    check_tensor(op, A)
    if dim is not None:
        dim = [dim] if isinstance(dim, (numbers.Integral, Tensor)) else list(dim)
        if len(dim) not in (1, 2):
            raise RuntimeError(f"{op}: if dim is specified, it must be of length 1 or 2, got {dim} "
                               f"(input {desc(A)})")
    elif ord is not None and A.ndim not in (1, 2):
        raise RuntimeError(f"{op}: if dim is not specified but ord is, the input must be 1-D or 2-D, "
                           f"got {desc(A)}")
    if ord is None:
        return vector_norm(A, 2, dim, keepdim, dtype)
    if isinstance(ord, str) or (dim is not None and len(dim) == 2) or (dim is None and A.ndim == 2):
        return matrix_norm(A, ord, (-2, -1) if dim is None else dim, keepdim, dtype)
    return vector_norm(A, ord, dim, keepdim, dtype)


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """torch.norm / Tensor.norm: a number p is the vector p-norm over dim (None: every
    element); 'fro' the 2-norm over at most two dims; other strings go to matrix_norm."""
    if _amp.on and _amp.here(): return _amp.run("norm", norm, input, p, dim, keepdim, out, dtype)  # autocast
    check_tensor("norm", input)
    dims = [dim] if isinstance(dim, (numbers.Integral, Tensor)) else dim
    if isinstance(p, str):
        if p == "fro" and (dims is None or len(dims) <= 2):
            res = vector_norm(input, 2, dims, keepdim, dtype)
        else:
            res = matrix_norm(input, p, list(range(input.ndim)) if dims is None else dims, keepdim, dtype)
    else:
        res = vector_norm(input, 2.0 if p is None else p, dims, keepdim, dtype)
    if out is not None:
        # copy_ would broadcast the result over a larger out: refuse (torch resizes it)
        if not isinstance(out, Tensor) or tuple(out.shape) != tuple(res.shape):
            raise RuntimeError(f"norm: out must be a Tensor of the result's shape {list(res.shape)}, got "
                               f"{desc(out) if isinstance(out, Tensor) else type(out).__name__}")
        return out.copy_(res)
    return res
