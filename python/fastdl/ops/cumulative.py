"""cumsum and cumprod along a dim.

cumsum is a kernel per device (_C.cpu / _C.cuda `cumsum`: one running sum per line,
float32 summed in double), and its backward the same kernel reversed (the gradient of
y_i = x_0 + ... + x_i w.r.t. x_j is the sum of g_i over i >= j).

cumprod is a Hillis-Steele scan: ceil(log2 n) rounds of y[k:] = y[k:] * y[:n-k],
k = 1, 2, 4, ..., each built from narrow, mul and cat. O(N log n) work, but autograd
differentiates it as products of the other factors, never a division by the input, so
zeros in the input get the right gradient."""
from .. import dtypes as _dt
from ..autograd import Function
from ._util import backend, check_tensor, contiguous_data, empty, norm_dim
from .elementwise import mul
from .shape import cat, clone, narrow
from ..amp import autocast_mode as _amp


def _accumulating(op, x, dim, dtype):
    """(x in the type it accumulates in, the dim, the half type to round back to or None),
    as torch: dtype casts first; bool and integers accumulate in int64; float16 and
    bfloat16 in float32, rounded once at the end."""
    check_tensor(op, x)
    d = norm_dim(op, dim, x.ndim)
    if dtype is not None:
        x = x.to(_dt.to_dtype(dtype))
    elif x.dtype.category < 2:
        x = x.to(_dt.int64)
    half = x.dtype if x.dtype in _dt.STORAGE else None
    return (x.to(_dt.compute_dtype(half)) if half is not None else x), d, half


def _cumsum_kernel(x, dim, reverse):
    x = contiguous_data(x)
    out = empty(x.shape, x.dtype, x.device)
    backend(x, "cumsum").cumsum(x, out, dim, reverse)
    return out


class _CumSum(Function):
    """Inclusive sum along dim, from the start or (reverse) from the end; the gradient
    of one direction is the other (so it differentiates twice)."""

    @staticmethod
    def forward(ctx, x, dim, reverse=False):
        ctx.dim, ctx.reverse = dim, reverse
        return _cumsum_kernel(x, dim, reverse)

    @staticmethod
    def backward(ctx, g):
        return _CumSum.apply(g, ctx.dim, not ctx.reverse), None, None


def cumsum(x, dim, dtype=None):
    """y[..., i, ...] = x[..., 0, ...] + ... + x[..., i, ...] along dim."""
    if _amp.on and _amp.here(): return _amp.run("cumsum", cumsum, x, dim, dtype)  # autocast
    x, d, half = _accumulating("cumsum", x, dim, dtype)
    if x.dtype.category == 3:  # complex: the running sums of both parts
        from .complex_more import cumsum as ccumsum
        return ccumsum(x, d)
    y = _CumSum.apply(x, d)
    return y if half is None else y.to(half)


def cumprod(x, dim, dtype=None):
    """y[..., i, ...] = x[..., 0, ...] * ... * x[..., i, ...] along dim."""
    if _amp.on and _amp.here(): return _amp.run("cumprod", cumprod, x, dim, dtype)  # autocast
    x, d, half = _accumulating("cumprod", x, dim, dtype)
    n = x.shape[d] if x.ndim else 1
    y, k = x, 1
    while k < n:
        y = cat([narrow(y, d, 0, k), mul(narrow(y, d, k, n - k), narrow(y, d, 0, n - k))], d)
        k *= 2
    if y is x:  # n <= 1: still a new tensor, as torch returns
        y = clone(x)
    return y if half is None else y.to(half)
