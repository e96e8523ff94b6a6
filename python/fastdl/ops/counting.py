"""unique, unique_consecutive, bincount and histc, composed from device ops.

Their output sizes depend on the data, so each reads one number back to the host
(.item() / nonzero's count); everything else stays on the input's device. None of
them is differentiable (torch's are not either), except bincount's and histc's
results, which carry no gradient as in torch."""
import numbers

import numpy as np

from .. import _argcheck
from .. import dtypes as _dt
from ..autograd import no_grad
from ..tensor import Tensor, full
from ._util import cast, check_tensor, desc
from .elementwise import clamp, eq, floor, ge, le, logical_and, logical_not, where
from .indexing import gather, nonzero, scatter_add_
from .reduce import amax, amin
from .shape import cat, narrow, reshape
from .sorting import _argsort_k


def _runs(s, dev):
    """For a 1-D s (n > 0): (bool: a run starts here, int64 run id per element, run starts, counts)."""
    n = s.shape[0]
    diff = logical_not(eq(narrow(s, 0, 1, n - 1), narrow(s, 0, 0, n - 1)))  # NaN != NaN: own run
    new = cat([full((1,), True, dtype=_dt.bool_, device=dev), diff], 0)
    from .cumulative import cumsum
    run = cumsum(cast(new, _dt.int64), 0) - 1
    starts = reshape(nonzero(new), (-1,))
    ends = cat([narrow(starts, 0, 1, starts.shape[0] - 1), full((1,), n, dtype=_dt.int64, device=dev)], 0)
    return run, starts, ends - starts


def _result(values, inverse, counts, return_inverse, return_counts):
    out = (values,)
    if return_inverse:
        out += (inverse,)
    if return_counts:
        out += (counts,)
    return out[0] if len(out) == 1 else out


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct elements of the flattened input in ascending order (also with
    sorted=False); inverse maps each input element (input's shape) to its value's
    position; counts how often each occurs. Each NaN is distinct, as torch's."""
    op = "unique"
    check_tensor(op, input)
    for name, v in (("sorted", sorted), ("return_inverse", return_inverse), ("return_counts", return_counts)):
        _argcheck.flag(op, name, v)
    if dim is not None:
        raise NotImplementedError(f"{op}: dim={dim!r} is not supported (only dim=None), input {desc(input)}")
    dev = input.device
    with no_grad():
        x = reshape(input.detach(), (-1,))
        n = x.shape[0]
        if n == 0:
            e = full((0,), 0, dtype=_dt.int64, device=dev)
            return _result(x, reshape(e, tuple(input.shape)), e, return_inverse, return_counts)
        order = _argsort_k(x, 0, False)
        s = gather(x if x.dtype not in _dt.HALF else cast(x, _dt.float32), 0, order)
        run, starts, counts = _runs(s, dev)
        values = gather(x if x.dtype not in _dt.HALF else cast(x, _dt.float32), 0, gather(order, 0, starts))
        values = cast(values, x.dtype)
        inverse = None
        if return_inverse:
            inverse = full((n,), 0, dtype=_dt.int64, device=dev)
            scatter_add_(inverse, 0, order, run)
            inverse = reshape(inverse, tuple(input.shape))
        return _result(values, inverse, counts, return_inverse, return_counts)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Collapses each run of equal consecutive elements of the flattened input to one."""
    from .complex_more import refuse_any  # torch refuses complex here too
    refuse_any("unique_consecutive", input)
    op = "unique_consecutive"
    check_tensor(op, input)
    _argcheck.flag(op, "return_inverse", return_inverse)
    _argcheck.flag(op, "return_counts", return_counts)
    if dim is not None:
        raise NotImplementedError(f"{op}: dim={dim!r} is not supported (only dim=None), input {desc(input)}")
    dev = input.device
    with no_grad():
        x = reshape(input.detach(), (-1,))
        if x.shape[0] == 0:
            e = full((0,), 0, dtype=_dt.int64, device=dev)
            return _result(x, reshape(e, tuple(input.shape)), e, return_inverse, return_counts)
        xs = x if x.dtype not in _dt.HALF else cast(x, _dt.float32)
        run, starts, counts = _runs(xs, dev)
        values = cast(gather(xs, 0, starts), x.dtype)
        return _result(values, reshape(run, tuple(input.shape)), counts, return_inverse, return_counts)


def bincount(input, weights=None, minlength=0):
    """Counts (int64) of each value 0..max(input) of the 1-D non-negative int64 input,
    at least minlength of them; with weights, the sum of weights per value (the
    weights' dtype, float)."""
    op = "bincount"
    check_tensor(op, input)
    if input.ndim != 1 or input.dtype not in _dt.INTEGER:
        raise RuntimeError(f"{op}: only a 1-d integer input is supported, got {desc(input)}")
    input = input.to(_dt.int64)  # the narrow integers count as int64
    if not isinstance(minlength, numbers.Integral) or isinstance(minlength, bool) or minlength < 0:
        raise RuntimeError(f"{op}: minlength should be a non-negative int, got {minlength!r}")
    if weights is not None:
        check_tensor(op, weights, "weights")
        if tuple(weights.shape) != tuple(input.shape):
            raise RuntimeError(f"{op}: weights should be 1-d and have the same length as input, got input "
                               f"{desc(input)} and weights {desc(weights)}")
    dev = input.device
    if weights is None and dev.type == "cpu":  # counts on the host: NumPy's bincount, exact
        values = input._np_view()
        if values.size and int(values.min()) < 0:
            raise RuntimeError(f"{op}: input should contain only non-negative values, got a {int(values.min())} in "
                               f"{desc(input)}")
        from ..tensor import from_numpy
        return from_numpy(np.bincount(values, minlength=int(minlength)).astype(np.int64, copy=False))
    with no_grad():
        n = input.shape[0]
        if n:
            lo = int(amin(input).item())
            if lo < 0:
                raise RuntimeError(f"{op}: input should contain only non-negative values, got a {lo} in {desc(input)}")
            size = max(int(amax(input).item()) + 1, int(minlength))
        else:
            size = int(minlength)
        if weights is None:
            out = full((size,), 0, dtype=_dt.int64, device=dev)
            src = full((n,), 1, dtype=_dt.int64, device=dev)
        else:
            wd = weights.dtype if weights.dtype.is_floating_point else _dt.float64
            acc = _dt.float32 if wd in _dt.HALF else wd
            out = full((size,), 0, dtype=acc, device=dev)
            src = cast(weights.detach(), acc)
        if n:
            scatter_add_(out, 0, input, src)
        return out if weights is None else cast(out, wd)


def histc(input, bins=100, min=0, max=0):
    """A histogram of input's elements in `bins` equal bins over [min, max] (the data's
    range when they are equal, as torch's; widened by 1 each way if that is one value); elements outside are
    ignored, max itself falls in the last bin. The input's dtype (float)."""
    op = "histc"
    check_tensor(op, input)
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"{op}: input must be floating point, got {desc(input)}")
    if not isinstance(bins, numbers.Integral) or isinstance(bins, bool) or bins <= 0:
        raise RuntimeError(f"{op}: bins must be > 0, got {bins!r}")
    dev = input.device
    with no_grad():
        x = reshape(input.detach(), (-1,))
        acc = _dt.float64 if input.dtype is _dt.float64 else _dt.float32
        x = cast(x, acc)
        lo, hi = float(min), float(max)
        if lo == hi and x.shape[0]:
            lo, hi = float(amin(x).item()), float(amax(x).item())
        if lo == hi:
            lo, hi = lo - 1, hi + 1
        if not (lo < hi) or lo != lo or hi != hi or abs(lo) == float("inf") or abs(hi) == float("inf"):
            raise RuntimeError(f"{op}: range of [{lo}, {hi}] is not finite or max < min, input {desc(input)}")
        out = full((int(bins),), 0, dtype=acc, device=dev)
        if x.shape[0]:
            inside = logical_and(ge(x, lo), le(x, hi))  # NaN: outside
            pos = floor((where(inside, x, lo) - lo) * (bins / (hi - lo)))
            idx = cast(clamp(pos, 0, bins - 1), _dt.int64)
            scatter_add_(out, 0, idx, cast(inside, acc))
        return cast(out, input.dtype)
