"""More reductions, torch's semantics: prod, nansum, nanmean, std_mean, aminmax.

prod is the reduce kernel (float32 multiplied in double, rounded once) with a backward
that hands every element the product of the others, as exclusive running products from
both ends (cumprod, differentiable), never a division by it: an input with zeros gets
torch's gradient (one zero in a slice: only that element has a gradient; two or more:
all zero). Complex products multiply halves pairwise (the kernel has no complex type).
The others are compositions of differentiable ops (they run on any device)."""
from collections import namedtuple

from .. import dtypes as _dt
from ..autograd import Function
from ._util import check_tensor, desc, norm_dim, norm_dims
from .cumulative import cumprod
from .elementwise import isnan, mul, where
from .reduce import amax, amin, mean, reduce_kernel, std, sum
from .shape import cat, flip, narrow
from ..amp import autocast_mode as _amp

__all__ = ["prod", "nansum", "nanmean", "std_mean", "aminmax"]

_MinMax = namedtuple("aminmax", ["min", "max"])


class _Prod(Function):
    """The product of x along dim d, keeping d (size 1)."""

    @staticmethod
    def forward(ctx, x, d):
        ctx.d = d
        ctx.save_for_backward(x)
        return reduce_kernel("prod", x, [d], True, x.dtype)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        d, n = ctx.d, x.shape[ctx.d]
        if n == 0:
            return x * 0, None
        one = narrow(x, d, 0, 1) * 0 + 1
        before = cumprod(cat([one, narrow(x, d, 0, n - 1)], d), d)  # x_0 ... x_(i-1)
        after = flip(cumprod(flip(cat([narrow(x, d, 1, n - 1), one], d), [d]), d), [d])  # x_(i+1) ... x_(n-1)
        return g * before * after, None


def _tree_prod(x, d):
    """The product of x along dim d, keeping d (size 1): the kernel, or for complex x
    pairwise products of halves (autograd's product rule gives the same gradient)."""
    if x.dtype.category != 3:
        return _Prod.apply(x, d)
    n = x.shape[d]
    if n == 0:  # the empty product, still in the graph
        return sum(x, d, keepdim=True) * 0 + 1
    while n > 1:
        h = n // 2
        y = mul(narrow(x, d, 0, h), narrow(x, d, h, h))
        if n % 2:  # the odd one out waits for the next round
            y = cat([y, narrow(x, d, 2 * h, 1)], d)
        x, n = y, h + n % 2
    return x


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """torch.prod: the product of all elements (0-d), or along one dim. bool and integer
    inputs multiply in int64; float16 / bfloat16 in float32, rounded once."""
    if _amp.on and _amp.here(): return _amp.run("prod", prod, input, dim, keepdim, dtype=dtype)  # autocast
    check_tensor("prod", input)
    x = input
    if dtype is not None:
        x = x.to(_dt.to_dtype(dtype))
    elif x.dtype.category < 2:
        x = x.to(_dt.int64)
    half = x.dtype if x.dtype in _dt.STORAGE else None
    if half is not None:
        x = x.to(_dt.compute_dtype(half))
    if dim is None:
        if keepdim:
            raise TypeError("prod: keepdim needs a dim (torch.prod(input, dim, keepdim))")
        out = _tree_prod(x.reshape(-1), 0).reshape(())
    else:
        d = norm_dim("prod", dim, x.ndim)
        if x.ndim == 0:
            out = x * 1  # a new tensor, as torch returns
        else:
            out = _tree_prod(x, d)
            if not keepdim:
                out = out.squeeze(d)
    return out if half is None else out.to(half)


def _nan_zeroed(op, x):
    check_tensor(op, x)
    return where(isnan(x), 0.0, x) if x.dtype.is_floating_point else x


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """sum treating NaN as zero (the NaNs get a zero gradient)."""
    from .complex_more import refuse_any  # torch refuses complex here too
    refuse_any("nansum", input)
    return sum(_nan_zeroed("nansum", input), dim, keepdim, dtype=dtype)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """The mean of the non-NaN elements (NaN where there are none)."""
    check_tensor("nanmean", input)
    if dtype is not None:
        input = input.to(_dt.to_dtype(dtype))
    if not input.dtype.is_floating_point:
        raise TypeError(f"nanmean: expected a floating point tensor as input, got {desc(input)}")
    dims = norm_dims("nanmean", dim, input.ndim)
    count = sum(~isnan(input), dims, keepdim).to(input.dtype)
    return nansum(input, dims, keepdim) / count


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(std, mean) over dim, as torch.std_mean."""
    return std(input, dim, unbiased, keepdim, correction), mean(input, dim, keepdim)


def aminmax(input, *, dim=None, keepdim=False):
    """(min, max) over dim (None: every element), a named tuple as torch.aminmax."""
    check_tensor("aminmax", input)
    if dim is not None:
        dim = norm_dim("aminmax", dim, input.ndim)
    if input.numel() == 0 and (dim is None or input.shape[dim] == 0):
        raise RuntimeError(f"aminmax: cannot compute on an empty dimension of {desc(input)} "
                           "(the operation does not have an identity)")
    if dim is None and keepdim:
        lo, hi = amin(input, None, True), amax(input, None, True)
    elif input.ndim == 0:
        lo, hi = input * 1, input * 1
    else:
        lo, hi = amin(input, dim, keepdim), amax(input, dim, keepdim)
    return _MinMax(lo, hi)
