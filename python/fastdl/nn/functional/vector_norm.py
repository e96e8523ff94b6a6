"""normalize: x / max(||x||_p, eps) along dim, with the p-norm composed from
differentiable ops. A zero vector's norm gets gradient 0 (as torch's norm backward),
not the NaN that sqrt'(0) or pow(0, 1/p - 1) would give."""
import math
import numbers

from ...ops._util import check_tensor, desc, norm_dims
from ...ops.elementwise import abs, clamp, ne, where
from ...ops.indexing import one_hot  # F.one_hot is fastdl.one_hot; re-exported from here for F
from ...ops.reduce import amax, amin, sum

__all__ = ["normalize", "one_hot"]


def _root(s, p):
    """s ** (1/p) for s >= 0, with gradient 0 at s == 0: the unused branch of the outer
    where sees s replaced by 1, so no inf * 0 reaches the gradient."""
    pos = s > 0
    r = where(pos, s, 1.0)
    r = r.sqrt() if p == 2 else r ** (1.0 / p)
    return where(pos, r, 0.0)


def _vector_norm(x, p, dims):
    if p == 2:
        return _root(sum(x * x, dim=dims, keepdim=True), 2)
    if p == 1:
        return sum(abs(x), dim=dims, keepdim=True)
    if p == math.inf:
        return amax(abs(x), dim=dims, keepdim=True)
    if p == -math.inf:
        return amin(abs(x), dim=dims, keepdim=True)
    if p == 0:  # the count of non-zeros: piecewise constant, no gradient
        return sum(ne(x, 0), dim=dims, keepdim=True).to(x.dtype)
    return _root(sum(abs(x) ** p, dim=dims, keepdim=True), p)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p, eps), the norm taken over dim (an int or a tuple of ints)."""
    op = "normalize"
    check_tensor(op, input)
    if not input.dtype.is_floating_point:
        raise TypeError(f"{op}: expected a floating-point input, got {desc(input)}")
    if not isinstance(p, numbers.Real) or isinstance(p, bool) or math.isnan(p):
        raise TypeError(f"{op}: p must be a real number, got {p!r}")
    dims = norm_dims(op, dim, input.ndim)
    res = input / clamp(_vector_norm(input, float(p), dims), min=eps)
    if out is not None:
        return out.copy_(res)
    return res
