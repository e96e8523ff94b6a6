"""Distances and statistics, torch's semantics: cdist, pdist, dist, cov, corrcoef,
trapezoid / trapz, cumulative_trapezoid, logspace, renorm, histogram, gradient.

Compositions of differentiable ops (any device). The formulas follow torch's own
(aten/src/ATen/native: Distance.cpp, Correlation.cpp, Integration.cpp, ReduceOps.cpp) so
that float64 results agree to rounding. Distances take their gradient from
linalg.vector_norm's, which is 0 at a zero distance, as torch's."""
import math
import numbers
from collections import namedtuple

from .. import dtypes as _dt
from ..autograd import no_grad
from ..tensor import Tensor, arange, full, tensor as _tensor
from ._util import broadcast_shapes, cast, index_arg, check_tensor, desc, norm_dim, norm_dims, same_device
from .cumulative import cumsum
from .elementwise import clamp, logical_and, ge, le, where
from .indexing import scatter_add_
from .indexing_extra import diagonal, triu_indices
from .linalg import matmul
from .norms import vector_norm
from .reduce import amax, amin, sum
from .search import searchsorted
from .shape import cat, narrow
from ..amp import autocast_mode as _amp

__all__ = ["cdist", "pdist", "dist", "cov", "corrcoef", "trapezoid", "trapz", "cumulative_trapezoid", "logspace",
           "renorm", "histogram", "gradient"]


def _float(op, x, name="input"):
    check_tensor(op, x, name)
    if not x.dtype.is_floating_point:
        raise TypeError(f"{op}: expected a floating point tensor as {name}, got {desc(x)}")
    return x


def _p(op, p):
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"{op}: p must be a number, got {p!r}")
    if not p >= 0:  # NaN too
        raise ValueError(f"{op}: only supports non-negative p values, got {p}")
    return float(p)


# ---------------------------------------------------------------- distances
def _euclid_mm(x1, x2):
    """|a|^2 + |b|^2 - 2 a.b by one matmul (torch's _euclidean_dist), clamped at 0; the
    square root's gradient is 0 where the distance is 0 (torch's _euclidean_dist_backward)."""
    n1, n2 = sum(x1 * x1, -1, keepdim=True), sum(x2 * x2, -1, keepdim=True)
    d2 = clamp(n1 - 2 * matmul(x1, x2.mT) + n2.mT, min=0)
    pos = d2 > 0
    return where(pos, where(pos, d2, 1.0).sqrt(), 0.0)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The p-norm distance between each row of x1 (..., P, M) and each row of x2 (..., R, M):
    (..., P, R). p = 2 uses the matmul expansion when a side has more than 25 rows (or
    compute_mode='use_mm_for_euclid_dist'), as torch."""
    if _amp.on and _amp.here(): return _amp.run("cdist", cdist, x1, x2, p, compute_mode)  # autocast
    op = "cdist"
    _float(op, x1, "x1")
    _float(op, x2, "x2")
    same_device(op, x1, x2)
    p = _p(op, p)
    if x1.ndim < 2 or x2.ndim < 2:
        raise ValueError(f"{op}: x1 and x2 must have at least 2 dimensions, got {desc(x1)} and {desc(x2)}")
    if x1.shape[-1] != x2.shape[-1]:
        raise ValueError(f"{op}: x1 and x2 must have the same number of columns, got {desc(x1)} and {desc(x2)}")
    if x1.dtype is not x2.dtype:
        raise TypeError(f"{op}: x1 and x2 must have the same dtype, got {desc(x1)} and {desc(x2)}")
    modes = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")
    if compute_mode is None:
        compute_mode = modes[0]
    if compute_mode not in modes:
        raise ValueError(f"{op}: {compute_mode!r} is not a valid value for compute_mode (one of {', '.join(modes)})")
    batch = broadcast_shapes(op, tuple(x1.shape[:-2]), tuple(x2.shape[:-2]))
    P, R, M = x1.shape[-2], x2.shape[-2], x1.shape[-1]
    a, b = x1.expand(*batch, P, M), x2.expand(*batch, R, M)
    mm = p == 2 and (compute_mode == modes[1] or (compute_mode == modes[0] and (P > 25 or R > 25)))
    if mm and P and R:
        return _euclid_mm(a, b)
    return vector_norm(a.unsqueeze(-2) - b.unsqueeze(-3), p, dim=-1)


def pdist(input, p=2):
    """The p-norm distances between the rows of input (N, M), the upper triangle of
    cdist(input, input) row by row: N (N - 1) / 2 values."""
    if _amp.on and _amp.here(): return _amp.run("pdist", pdist, input, p)  # autocast
    op = "pdist"
    _float(op, input)
    p = _p(op, p)
    if input.ndim != 2:
        raise ValueError(f"{op}: only supports 2-D tensors, got {desc(input)}")
    n = input.shape[0]
    i, j = triu_indices(n, n, 1, device=input.device)
    return vector_norm(input[i] - input[j], p, dim=-1)


def dist(input, other, p=2):
    """The p-norm of input - other (broadcast), a 0-d tensor."""
    if _amp.on and _amp.here(): return _amp.run("dist", dist, input, other, p)  # autocast
    op = "dist"
    _float(op, input)
    _float(op, other, "other")
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"{op}: p must be a number, got {p!r}")
    return vector_norm(input - other, float(p))


# ---------------------------------------------------------------- covariance
def _weights(op, w, name, n, integral, like):
    check_tensor(op, w, name)
    if w.ndim > 1:
        raise ValueError(f"{op}: expected {name} to have one or fewer dimensions, got {desc(w)}")
    if w.numel() != n:
        raise ValueError(f"{op}: expected {name} to have the same numel as there are observations in the input "
                         f"({n}), got {desc(w)}")
    if integral and (w.dtype.is_floating_point or w.dtype is _dt.bool_):
        raise TypeError(f"{op}: expected {name} to have an integral dtype, got {desc(w)}")
    if not integral and not w.dtype.is_floating_point:
        raise TypeError(f"{op}: expected {name} to have a floating point dtype, got {desc(w)}")
    with no_grad():
        if n and bool(amin(w.detach()) < 0):
            raise ValueError(f"{op}: {name} cannot be negative")
    return w.reshape(-1).to(like)


def cov(input, *, correction=1, fweights=None, aweights=None):
    """The covariance of the variables in input's rows (observations in columns; a 1-D input
    is one variable), with frequency and observation weights, as torch.cov."""
    from .complex_more import not_yet  # (torch takes complex here; fastdl does not yet)
    not_yet("cov", input)
    op = "cov"
    check_tensor(op, input)
    if input.ndim > 2:
        raise ValueError(f"{op}: expected input to have two or fewer dimensions, got {desc(input)}")
    if input.dtype is _dt.bool_:
        raise RuntimeError(f"{op}: bool dtype is not supported for input {desc(input)}")
    correction = index_arg(correction)
    if isinstance(correction, bool) or not isinstance(correction, numbers.Integral):
        raise TypeError(f"{op}: correction must be an int, got {correction!r}")
    x = input if input.dtype.is_floating_point else input.to(_dt.get_default_dtype())
    x = x.reshape(1, -1) if x.ndim < 2 else x
    n = x.shape[1]
    w = None
    if fweights is not None:
        w = _weights(op, fweights, "fweights", n, True, x.dtype)
    if aweights is not None:
        aw = _weights(op, aweights, "aweights", n, False, x.dtype)
        w = aw if w is None else w * aw
    w_sum = sum(w) if w is not None else float(n)
    avg = sum(x * w if w is not None else x, 1) / w_sum
    if w is not None and aweights is not None and correction != 0:
        norm = w_sum - correction * sum(w * aw) / w_sum
    else:
        norm = w_sum - correction
    if float(norm) <= 0:  # torch warns and divides by zero (inf / nan)
        import warnings
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of "
                      "observations.", RuntimeWarning, stacklevel=2)
        norm = norm * 0 if isinstance(norm, Tensor) else 0.0
    xc = x - avg.unsqueeze(1)
    c = matmul(xc, (xc * w if w is not None else xc).mT)
    return (c / norm).squeeze()


def corrcoef(input):
    """Pearson correlation coefficients of input's rows (torch.corrcoef), clipped to [-1, 1]."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    sd = diagonal(c).sqrt()
    c = c / sd.reshape(-1, 1)
    c = c / sd.reshape(1, -1)
    return clamp(c, -1, 1)


# ---------------------------------------------------------------- integration
def _trap_args(op, y, x, dx, dim):
    check_tensor(op, y, "y")
    if y.dtype is _dt.bool_:
        raise TypeError(f"{op}: received a bool input for y, but bool is not supported")
    if x is not None and dx is not None:
        raise TypeError(f"{op}: pass either x or dx, not both")
    if y.ndim == 0:
        raise IndexError(f"{op}: dimension out of range (y is 0-d: {desc(y)})")
    d = norm_dim(op, dim, y.ndim)
    # integer y stays integer: torch sums the pairs in y's dtype (so narrow ones wrap around)
    # and only the halving makes the result floating
    if isinstance(x, Tensor):
        if x.dtype is _dt.bool_:
            raise TypeError(f"{op}: received a bool input for x, but bool is not supported")
        if x.ndim == 1:
            if x.shape[0] != y.shape[d]:
                raise ValueError(f"{op}: there must be one x value for each sample point: x {desc(x)}, "
                                 f"y {desc(y)} along dim {d}")
            x = x.reshape([x.shape[0] if i == d else 1 for i in range(y.ndim)])
        elif x.ndim < y.ndim:
            x = x.reshape((1,) * (y.ndim - x.ndim) + tuple(x.shape))
        m = x.shape[d]
        return y, narrow(x, d, 1, m - 1) - narrow(x, d, 0, m - 1) if m else x, d
    if x is not None:  # torch: x is a Tensor; a spacing goes by keyword (trapz(y, dx=0.5))
        raise TypeError(f"{op}(): argument 'x' must be Tensor, not {type(x).__name__} ({x!r}); pass a spacing "
                        f"as dx=")
    dx = 1.0 if dx is None else dx
    if isinstance(dx, bool) or not isinstance(dx, numbers.Real):
        raise TypeError(f"{op}: dx must be a number, got {dx!r}")
    return y, float(dx), d


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The trapezoidal rule along dim, over sample points x (a tensor) or a spacing dx (default 1)."""
    from .complex_more import not_yet  # (torch takes complex here; fastdl does not yet)
    not_yet("trapezoid", y, x)
    y, dx, d = _trap_args("trapezoid", y, x, dx, dim)
    n = y.shape[d]
    if n == 0:
        return sum(y, d) * 0  # (torch: int64 zeros for integer y)
    if isinstance(dx, Tensor):
        return sum(dx * (narrow(y, d, 1, n - 1) + narrow(y, d, 0, n - 1)), d) / 2.0
    return (sum(y, d) - (narrow(y, d, 0, 1) + narrow(y, d, n - 1, 1)).squeeze(d) * 0.5) * dx


def trapz(y, x=None, *, dx=None, dim=-1):
    """torch.trapz, the older name of trapezoid."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoidal integral along dim (one element fewer than y there)."""
    from .complex_more import not_yet  # (torch takes complex here; fastdl does not yet)
    not_yet("cumulative_trapezoid", y, x)
    y, dx, d = _trap_args("cumulative_trapezoid", y, x, dx, dim)
    n = y.shape[d]
    if n == 0:
        return y * 1 if y.dtype.is_floating_point else y.to(_dt.get_default_dtype())
    pairs = narrow(y, d, 0, n - 1) + narrow(y, d, 1, n - 1)
    return cumsum((dx * pairs) / 2.0 if isinstance(dx, Tensor) else dx / 2.0 * pairs, d)


# ---------------------------------------------------------------- creation / scaling
def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    """base ** (steps points evenly spaced from start to end), computed in float64 and rounded
    once, torch's symmetric spacing (the second half counted back from end)."""
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 0:
        raise ValueError(f"logspace: number of steps must be a non-negative int, got {steps!r}")
    start, end, base = (float(v.item()) if isinstance(v, Tensor) else float(v) for v in (start, end, base))
    dtype = _dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)
    step = (end - start) / (steps - 1) if steps > 1 else 0.0
    i = arange(steps, dtype=_dt.float64, device=device)
    e = where(i < steps // 2, start + step * i, end - step * (steps - 1 - i)) if steps > 1 else i * 0 + start
    out = (base ** e).to(dtype)
    return out.requires_grad_(True) if requires_grad else out


def renorm(input, p, dim, maxnorm):
    """Each slice input.select(dim, i) whose p-norm exceeds maxnorm scaled to norm maxnorm
    (torch's factor maxnorm / (norm + 1e-7))."""
    if _amp.on and _amp.here(): return _amp.run("renorm", renorm, input, p, dim, maxnorm)  # autocast
    op = "renorm"
    _float(op, input)
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or p <= 0:
        raise ValueError(f"{op}: non-positive norm not supported, got p={p!r}")
    if isinstance(maxnorm, bool) or not isinstance(maxnorm, numbers.Real) or maxnorm < 0:
        raise ValueError(f"{op}: expected maxnorm to be >= 0, got {maxnorm!r}")
    if input.ndim < 2:
        raise ValueError(f"{op}: input needs at least 2 dimensions, got {desc(input)}")
    d = norm_dim(op, dim, input.ndim)
    others = [i for i in range(input.ndim) if i != d]
    norm = vector_norm(input, float(p), others, keepdim=True)
    factor = where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)
    return input * factor


# ---------------------------------------------------------------- histogram
def _linspace(lo, hi, steps, dtype, device):
    """torch's linspace in dtype: the first half counted from lo, the second back from hi."""
    i = arange(steps, dtype=dtype, device=device)
    step = (hi - lo) / (steps - 1)
    return where(i < steps // 2, i * step + lo, hi - (steps - 1 - i) * step)


HistogramResult = namedtuple("histogram", ["hist", "bin_edges"])


def histogram(input, bins=100, *, range=None, weight=None, density=False):
    """(hist, bin_edges): counts (or summed weights) of input's elements in `bins` equal bins
    over range (default the data's min..max) or between the given edges (a 1-D tensor);
    the last bin includes its right edge, elements outside are dropped. No gradient."""
    op = "histogram"
    _float(op, input)
    if weight is not None:
        check_tensor(op, weight, "weight")
        if tuple(weight.shape) != tuple(input.shape):
            raise ValueError(f"{op}: weight should have the same shape as input, got {desc(weight)} and {desc(input)}")
        if weight.dtype is not input.dtype:
            raise TypeError(f"{op}: expected weight to have the input's dtype, got {desc(weight)} and {desc(input)}")
    with no_grad():
        x = input.detach().reshape(-1)
        if isinstance(bins, Tensor):
            if range is not None:
                raise TypeError(f"{op}: range is not accepted with bin edges given as a tensor")
            if bins.ndim != 1 or bins.numel() < 1:
                raise ValueError(f"{op}: bins must be a 1-D tensor with at least one edge, got {desc(bins)}")
            if bins.dtype is not input.dtype:
                raise TypeError(f"{op}: expected bins to have the input's dtype, got {desc(bins)} and {desc(input)}")
            edges = bins.detach() * 1
            if edges.numel() > 1 and bool((edges[1:] < edges[:-1]).any()):
                raise ValueError(f"{op}: bin edges must be non-decreasing, got {desc(bins)}")
        else:
            if isinstance(bins, bool) or not isinstance(bins, numbers.Integral) or bins <= 0:
                raise ValueError(f"{op}: bins must be > 0, got {bins!r}")
            if range is not None:
                if len(range) != 2:
                    raise ValueError(f"{op}: range should have 2 elements, got {range!r}")
                lo, hi = float(range[0]), float(range[1])
            elif x.numel():
                lo, hi = float(amin(x)), float(amax(x))
            else:  # no data: [0, 1], as torch
                lo, hi = 0.0, 1.0
            if not (math.isfinite(lo) and math.isfinite(hi)):
                raise RuntimeError(f"{op}: range of [{lo}, {hi}] is not finite")
            if lo > hi:
                raise ValueError(f"{op}: max must be larger than min, got range [{lo}, {hi}]")
            if lo == hi:
                lo, hi = lo - 0.5, hi + 0.5
            edges = _linspace(lo, hi, int(bins) + 1, input.dtype, input.device)
        nb = edges.numel() - 1
        acc = _dt.float64 if input.dtype is _dt.float64 else _dt.float32
        hist = full((max(nb, 0),), 0, dtype=acc, device=input.device)
        if nb > 0 and x.numel():
            first, last = edges[0], edges[-1]
            inside = logical_and(ge(x, first), le(x, last))  # NaN: outside
            # the bin whose left edge is the last one <= x; x == last edge goes in the last bin
            idx = searchsorted(edges, where(inside, x, first), right=True) - 1
            idx = clamp(idx, 0, nb - 1)
            src = cast(inside, acc) if weight is None else cast(where(inside, weight.detach().reshape(-1), 0.0), acc)
            scatter_add_(hist, 0, idx, src)
        if density and nb > 0:
            widths = cast(edges[1:] - edges[:-1], acc)
            hist = hist / (sum(hist) * widths)
        return HistogramResult(cast(hist, input.dtype), edges)


# ---------------------------------------------------------------- gradient
def _spacings(op, spacing, dims, x):
    """One entry per dim: a float step or a 1-D coordinate tensor."""
    if isinstance(spacing, (numbers.Real, Tensor)) and not (isinstance(spacing, Tensor) and spacing.ndim == 1) \
            and not isinstance(spacing, bool):
        h = float(spacing.item()) if isinstance(spacing, Tensor) else float(spacing)
        return [h] * len(dims)
    spacing = list(spacing)
    if len(spacing) != len(dims):
        raise ValueError(f"{op}: expected spacing to be unspecified, a scalar, or a list of length equal to the "
                         f"number of dims ({len(dims)}), got a list of length {len(spacing)}")
    out = []
    for s, d in zip(spacing, dims):
        if isinstance(s, Tensor) and s.ndim > 0:
            if s.ndim != 1:
                raise ValueError(f"{op}: expected each element of spacing to have one dimension, got {desc(s)}")
            if s.shape[0] != x.shape[d]:
                raise ValueError(f"{op}: expected each tensor in spacing to have as many elements as input along "
                                 f"dim {d} ({x.shape[d]}), got {desc(s)}")
            out.append(s if s.dtype.is_floating_point else s.to(x.dtype))
        else:
            out.append(float(s.item()) if isinstance(s, Tensor) else float(s))
    return out


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """The derivative estimated by central differences inside and one-sided differences of
    order edge_order (1 or 2) at the edges, along each dim: a tuple of tensors (torch.gradient)."""
    from .complex_more import not_yet  # (torch takes complex here; fastdl does not yet)
    not_yet("gradient", input)
    op = "gradient"
    check_tensor(op, input)
    if input.dtype.name == "bool":  # torch subtracts bools: a RuntimeError
        raise RuntimeError(f"{op}: subtraction of bool tensors is not supported, got {desc(input)}")
    if input.dtype is _dt.uint8:
        raise RuntimeError(f"{op}: torch.gradient does not support uint8 input, got {desc(input)}")
    if edge_order not in (1, 2) or isinstance(edge_order, bool):
        raise ValueError(f"{op}: only edge_order 1 and 2 are supported, got {edge_order!r}")
    dims = list(range(input.ndim)) if dim is None else (
        [norm_dim(op, dim, input.ndim)] if isinstance(dim, numbers.Integral) else [norm_dim(op, d, input.ndim) for d in dim])
    if len(set(dims)) != len(dims):
        raise ValueError(f"{op}: dim {dim} appears multiple times in the list of dims")
    x = input  # integers are differenced in their own dtype (wrapping, as torch's); the division floats them
    for d in dims:
        if x.shape[d] < edge_order + 1:
            raise ValueError(f"{op}: expected each dimension size to be at least edge_order+1, got {desc(input)} "
                             f"along dim {d} with edge_order={edge_order}")
    out = []
    for h, d in zip(_spacings(op, spacing, dims, x), dims):
        n = x.shape[d]

        def sl(a, b=None, d=d, n=n):
            a = a + n if a < 0 else a
            b = n if b is None else (b + n if b < 0 else b)
            return narrow(x, d, a, b - a)
        if isinstance(h, Tensor):
            shape = [-1 if i == d else 1 for i in range(x.ndim)]
            dx = h[1:] - h[:-1]
            dx1, dx2 = dx[:-1], dx[1:]
            a = (-dx2 / (dx1 * (dx1 + dx2))).reshape(shape)
            b = ((dx2 - dx1) / (dx1 * dx2)).reshape(shape)
            c = (dx1 / (dx2 * (dx1 + dx2))).reshape(shape)
            center = a * sl(0, -2) + b * sl(1, -1) + c * sl(2)
            if edge_order == 1:
                pre = (sl(1, 2) - sl(0, 1)) / dx[0]
                app = (sl(-1) - sl(-2, -1)) / dx[-1]
            else:
                d0, d1, e1, e2 = dx[0], dx[1], dx[-1], dx[-2]
                pre = (-(2.0 * d0 + d1) / (d0 * (d0 + d1)) * sl(0, 1) + (d0 + d1) / (d0 * d1) * sl(1, 2)
                       - d0 / (d1 * (d0 + d1)) * sl(2, 3))
                app = (e1 / (e2 * (e1 + e2)) * sl(-3, -2) - (e1 + e2) / (e1 * e2) * sl(-2, -1)
                       + (2.0 * e1 + e2) / (e1 * (e1 + e2)) * sl(-1))
        else:
            center = (sl(2) - sl(0, -2)) / h / 2
            if edge_order == 1:
                pre, app = (sl(1, 2) - sl(0, 1)) / h, (sl(-1) - sl(-2, -1)) / h
            else:
                pre = (-1.5 * sl(0, 1) + 2 * sl(1, 2) - 0.5 * sl(2, 3)) / h
                app = (0.5 * sl(-3, -2) - 2 * sl(-2, -1) + 1.5 * sl(-1)) / h
        out.append(cat([pre, center, app], d))
    return tuple(out)
