"""cumsum and cumprod along a dim, as a Hillis-Steele scan: ceil(log2 n) rounds of
y[k:] = y[k:] (+ or *) y[:n-k], k = 1, 2, 4, ..., each built from narrow, add/mul and
cat. O(N log n) work instead of a kernel's O(N), but it runs on every device and
autograd differentiates it; cumprod's gradient is then products of the other factors,
never a division by the input, so zeros in the input get the right gradient."""
from .. import dtypes as _dt
from ._util import check_tensor, norm_dim
from .elementwise import add, mul
from .shape import cat, clone, narrow


def _scan(op, x, dim, dtype, combine):
    check_tensor(op, x)
    d = norm_dim(op, dim, x.ndim)
    if dtype is not None:  # torch casts the input first, then accumulates in dtype
        x = x.to(_dt.to_dtype(dtype))
    elif x.dtype.category < 2:  # bool and integer inputs accumulate in int64
        x = x.to(_dt.int64)
    half = x.dtype if x.dtype in _dt.HALF else None
    if half is not None:  # accumulate in float32 and round once, as torch's kernels do
        x = x.to(_dt.float32)
    n = x.shape[d] if x.ndim else 1
    y, k = x, 1
    while k < n:
        y = cat([narrow(y, d, 0, k), combine(narrow(y, d, k, n - k), narrow(y, d, 0, n - k))], d)
        k *= 2
    if y is x:  # n <= 1: still a new tensor, as torch returns
        y = clone(x)
    return y if half is None else y.to(half)


def cumsum(x, dim, dtype=None):
    """y[..., i, ...] = x[..., 0, ...] + ... + x[..., i, ...] along dim."""
    return _scan("cumsum", x, dim, dtype, add)


def cumprod(x, dim, dtype=None):
    """y[..., i, ...] = x[..., 0, ...] * ... * x[..., i, ...] along dim."""
    return _scan("cumprod", x, dim, dtype, mul)
