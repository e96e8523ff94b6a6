"""Order statistics along a dim: median / nanmedian, kthvalue, mode, quantile / nanquantile;
also the running cummax / cummin and logcumsumexp (scans, at the end of the file).

Each op sorts the line (fastdl.sort's stable order: NaN last), picks int64 positions in
that order, maps them back to input positions through the sort's indices, and reads
the values with gather(input, dim, indices), so autograd differentiates the values
(the gradient goes to the picked input elements) and the indices carry none.
Every step is a device op, so the ops run wherever sort, gather and cumsum do."""
import numbers

from .. import dtypes as _dt
from ..autograd import no_grad
from ..tensor import Tensor, arange, full, tensor as _tensor
from ._util import backend, cast, check_tensor, contiguous_data, desc, empty, records_graph
from .elementwise import ceil, clamp, eq, exp, floor, isinf, isnan, log, maximum, logical_not, round as _round, where
from .indexing import gather, scatter_add_
from .reduce import _ValuesIndices, amax, amin, sum as _sum
from .shape import cat, movedim, narrow, reshape, squeeze, unsqueeze
from .sorting import _argsort_k, _dim, _take
from ..amp import autocast_mode as _amp


def _prep(op, x, dim):
    """(x as a line-bearing tensor, normalised dim, squeeze-back flag): dim=None flattens."""
    check_tensor(op, x)
    if dim is None:
        return reshape(x, (-1,)), 0
    d = _dim(op, x, dim)
    if x.ndim == 0:
        return reshape(x, (1,)), 0
    return x, d


def _finish(t, x, dim, d, keepdim):
    """t (x's shape, size 1 along d) shaped as the op returns it."""
    if dim is None:
        return reshape(t, (1,) * x.ndim) if keepdim else reshape(t, ())
    if x.ndim == 0:
        return reshape(t, ())
    return t if keepdim else squeeze(t, d)


def _nonempty(op, x, d):
    if x.shape[d] == 0:
        raise IndexError(f"{op}: expected a non-empty dimension {d} to reduce, got input {desc(x)}")


def _pick(x, d, order, pos):
    """(values, indices): the input position order[pos] along d (pos size 1 along d) and its value."""
    idx = gather(order, d, pos)
    return _take(x, d, idx), idx


def _nan_count(x, d):
    if not x.dtype.is_floating_point:
        return None
    return _sum(cast(isnan(x), _dt.int64), d, keepdim=True)


def _median(op, x, dim, keepdim, ignore_nan):
    if isinstance(x, Tensor) and x.dtype.name == "bool":  # torch's median kernels take no bool
        raise NotImplementedError(f"{op}: not implemented for bool tensors, got {desc(x)}")
    xin = x
    x, d = _prep(op, x, dim)
    if dim is None and x.shape[0] == 0:  # torch: the median of no elements is NaN
        v = full((1,) * xin.ndim if keepdim else (), float("nan"), dtype=xin.dtype, device=xin.device)
        return v
    _nonempty(op, x, d)
    n = x.shape[d]
    with no_grad():
        order = _argsort_k(x, d, False)
        nanc = _nan_count(x, d)
        shape = list(x.shape)
        shape[d] = 1
        if nanc is None:
            pos = full(shape, (n - 1) // 2, dtype=_dt.int64, device=x.device)
        elif ignore_nan:  # the lower median of the numbers; all NaN: the first NaN
            m = n - nanc
            pos = where(m > 0, (m - 1) // 2, 0)
        else:  # a NaN in the line: the first NaN (NaN sorts last, stably)
            pos = where(nanc > 0, n - nanc, (n - 1) // 2)
        pos = cast(pos, _dt.int64)
    v, i = _pick(x, d, order, pos)
    v, i = _finish(v, xin, dim, d, keepdim), _finish(i, xin, dim, d, keepdim)
    return v if dim is None else _ValuesIndices(v, i)


def median(input, dim=None, keepdim=False):
    """The lower median (element (n - 1) // 2 of the sorted line); NaN if the line has a
    NaN. Without dim: the value over all elements; with dim: (values, indices)."""
    return _median("median", input, dim, keepdim, False)


def nanmedian(input, dim=None, keepdim=False):
    """median ignoring NaN (NaN only where a line is all NaN)."""
    return _median("nanmedian", input, dim, keepdim, True)


def _int_arg(op, name, k):
    if isinstance(k, Tensor) and k.ndim == 0 and not k.dtype.is_floating_point:
        k = int(k)
    if not isinstance(k, numbers.Integral) or isinstance(k, bool):
        raise TypeError(f"{op}: {name} must be an int, got {k!r}")
    return int(k)


def kthvalue(input, k, dim=-1, keepdim=False):
    """(values, indices) of the k-th smallest element (1-based) along dim; NaN counts as
    the largest value, ties go in input order."""
    op = "kthvalue"
    check_tensor(op, input)
    k = _int_arg(op, "k", k)
    x, d = _prep(op, input, dim)
    n = x.shape[d]
    if not 1 <= k <= n:
        raise IndexError(f"{op}: selected number k out of range: k = {k} for dimension {d} of size {n} "
                         f"of input {desc(input)}")
    with no_grad():
        order = _argsort_k(x, d, False)
        shape = list(x.shape)
        shape[d] = 1
        pos = full(shape, k - 1, dtype=_dt.int64, device=x.device)
    v, i = _pick(x, d, order, pos)
    return _ValuesIndices(_finish(v, input, dim, d, keepdim), _finish(i, input, dim, d, keepdim))


def mode(input, dim=-1, keepdim=False):
    """(values, indices): the most frequent value along dim (the smallest among equally
    frequent ones) and the position of its last occurrence, as torch's."""
    op = "mode"
    check_tensor(op, input)
    x, d = _prep(op, input, dim)
    _nonempty(op, x, d)
    with no_grad():
        xl = movedim(x, d, -1)
        lead = tuple(xl.shape[:-1])
        n = xl.shape[-1]
        xl = reshape(xl, (-1, n))
        M = xl.shape[0]
        order = _argsort_k(xl, 1, False)
        s = gather(xl if xl.dtype not in _dt.HALF else cast(xl, _dt.float32), 1, order)
        # new run where the sorted value differs from its left neighbour (NaN: each NaN its own run)
        diff = logical_not(eq(narrow(s, 1, 1, n - 1), narrow(s, 1, 0, n - 1)))
        new = cat([full((M, 1), True, dtype=_dt.bool_, device=x.device), diff], 1)
        run = _cumsum_int(new) - 1                       # run id of each sorted element
        counts = full((M, n), 0, dtype=_dt.int64, device=x.device)
        scatter_add_(counts, 1, run, full((M, n), 1, dtype=_dt.int64, device=x.device))
        c = gather(counts, 1, run)                       # the run's length at each element
        best = eq(c, amax(c, 1, keepdim=True))
        pos_ar = arange(n, dtype=_dt.int64, device=x.device).reshape(1, n)
        first = amin(where(best, pos_ar, n), 1, keepdim=True)        # the smallest mode's run start
        last = first + gather(c, 1, first) - 1                       # its last element (stable: last position)
        idx = gather(order, 1, last)
        idx = movedim(reshape(idx, lead + (1,)), -1, d)
    v = _take(x, d, idx)
    return _ValuesIndices(_finish(v, input, dim, d, keepdim), _finish(idx, input, dim, d, keepdim))


def _cumsum_int(b):
    from .cumulative import cumsum
    return cumsum(cast(b, _dt.int64), 1)


_INTERP = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(op, input, q, dim, keepdim, interpolation, ignore_nan):
    check_tensor(op, input)
    if input.dtype not in (_dt.float32, _dt.float64):
        raise RuntimeError(f"{op}: input tensor must be either float or double dtype, got {desc(input)}")
    if interpolation not in _INTERP:
        raise ValueError(f"{op}: interpolation must be one of {', '.join(_INTERP)}, got {interpolation!r}")
    scalar_q = not isinstance(q, Tensor)
    if scalar_q:
        if not isinstance(q, numbers.Real) or isinstance(q, bool):
            raise TypeError(f"{op}: q must be a float or a Tensor, got {q!r}")
        qs = [float(q)]
    else:
        if q.ndim > 1:
            raise RuntimeError(f"{op}: expected q to be a scalar or 1D tensor, got q {desc(q)}")
        if q.dtype is not input.dtype:
            raise RuntimeError(f"{op}: expected q to have the same dtype as input {desc(input)}, got q {desc(q)}")
        scalar_q = q.ndim == 0
        qs = [float(v) for v in reshape(q, (-1,)).tolist()]  # one device-to-host read, to validate
    if any(not 0.0 <= v <= 1.0 for v in qs):
        raise RuntimeError(f"{op}: q values must be in the range [0, 1], got {qs}")
    if dim is None and input.numel() == 0:  # torch refuses; a NaN would pass for a result
        raise RuntimeError(f"{op}: input tensor must be non-empty, got {desc(input)}")
    x, d = _prep(op, input, dim)
    if x.shape[d] == 0:
        if dim is not None:
            raise IndexError(f"{op}: cannot quantile over an empty dimension {d} of input {desc(input)}")
    n = x.shape[d]
    Q = len(qs)
    xl = movedim(x, d, -1)                               # (..., n)
    lead = tuple(xl.shape[:-1])
    with no_grad():
        order = _argsort_k(xl, xl.ndim - 1, False) if n else None
        qt = _tensor(qs, dtype=_dt.float64).to(x.device)  # (Q,)
        nanc = _sum(cast(isnan(xl), _dt.int64), -1, keepdim=True) if n else None
    if n == 0:  # torch: the quantiles of no elements are NaN
        out = full(lead + (Q,), float("nan"), dtype=input.dtype, device=input.device)
    else:
        with no_grad():
            if ignore_nan:
                m = cast(n - nanc, _dt.float64)
                rank = qt * clamp(m - 1, min=0)
                rank = where(m > 0, rank, float(n - 1))
            else:
                rank = where(nanc > 0, float(n - 1), qt * float(n - 1))
            rank = rank + full(lead + (Q,), 0.0, dtype=_dt.float64, device=x.device)  # (..., Q)
            lo_f, hi_f = floor(rank), ceil(rank)
            if interpolation == "nearest":
                lo_f = hi_f = _round(rank)  # half to even, as torch.round
            elif interpolation == "lower":
                hi_f = lo_f
            elif interpolation == "higher":
                lo_f = hi_f
            lo_i, hi_i = cast(lo_f, _dt.int64), cast(hi_f, _dt.int64)
            if interpolation == "midpoint":
                w = where(eq(lo_f, hi_f), 0.0, 0.5)
            else:
                w = rank - lo_f
            w = cast(w, input.dtype)
        lo_v = gather(xl, -1, gather(order, -1, lo_i))
        if interpolation in ("linear", "midpoint"):
            hi_v = gather(xl, -1, gather(order, -1, hi_i))
            out = lo_v + w * (hi_v - lo_v)
            # a NaN value at lo (its line has NaN, or all-NaN) must stay NaN, not NaN * 0
        else:
            out = lo_v
    out = movedim(out, -1, 0)                           # (Q, ...)
    if dim is None:
        out = reshape(out, (Q,) + ((1,) * input.ndim if keepdim else ()))
    elif input.ndim == 0:
        out = reshape(out, (Q,))
    elif keepdim:
        out = unsqueeze(out, d + 1)
    return reshape(out, tuple(out.shape[1:])) if scalar_q else out


def quantile(input, q, dim=None, keepdim=False, interpolation="linear"):
    """The q-th quantiles along dim (all elements when dim is None), q a float or a 1-D
    tensor (then a leading dim of len(q)); NaN where the line has a NaN."""
    if _amp.on and _amp.here(): return _amp.run("quantile", quantile, input, q, dim, keepdim, interpolation)  # autocast
    return _quantile("quantile", input, q, dim, keepdim, interpolation, False)


def nanquantile(input, q, dim=None, keepdim=False, interpolation="linear"):
    """quantile ignoring NaN (NaN only where a line is all NaN)."""
    if _amp.on and _amp.here(): return _amp.run("nanquantile", nanquantile, input, q, dim, keepdim, interpolation)  # autocast
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, True)


def _cum_extreme(op, input, dim, largest):
    """(values, indices) of the running max / min: the kernel (common/scan_ops.h) runs in an
    order-preserving kernel dtype and writes both. When autograd records, the values are
    read from the input at the indices instead (gather), so each output's gradient goes to
    the element it came from; the kernel's values are those same elements."""
    check_tensor(op, input)
    if input.dtype.category == 3:
        raise TypeError(f"{op}: not supported for complex tensors, got {desc(input)}")
    x, d = _prep(op, input, dim)
    with no_grad():
        v = contiguous_data(x.detach())
        if v.dtype in _dt.HALF:  # exact in float32, same order
            v = cast(v, _dt.float32)
        elif not v.dtype.is_floating_point and v.dtype is not _dt.int64:
            v = cast(v, _dt.int64)
        vals = empty(tuple(v.shape), v.dtype, v.device)
        idx = empty(tuple(v.shape), _dt.int64, v.device)
        backend(v, op).cum_extreme(v, vals, idx, d, largest)
    vals = _take(x, d, idx) if records_graph(x) else cast(vals, x.dtype)
    shp = tuple(input.shape)
    return _ValuesIndices(reshape(vals, shp), reshape(idx, shp))


def cummax(input, dim):
    """(values, indices): the running maximum along dim and where it was (the last
    occurrence of a tie; a NaN propagates from its first occurrence)."""
    return _cum_extreme("cummax", input, dim, True)


def cummin(input, dim):
    """(values, indices): the running minimum along dim, as cummax."""
    return _cum_extreme("cummin", input, dim, False)


def logcumsumexp(input, dim):
    """y_i = log(exp(x_0) + ... + exp(x_i)) along dim, stably: a Hillis-Steele scan of
    log-add-exp (each pair shifted by its larger finite element), differentiable."""
    op = "logcumsumexp"
    check_tensor(op, input)
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"{op}: expected a floating point input, got {desc(input)}")
    x, d = _prep(op, input, dim)
    n = x.shape[d]
    y, k = x, 1
    while k < n:
        a, b = narrow(y, d, 0, n - k), narrow(y, d, k, n - k)
        with no_grad():
            m = maximum(a.detach(), b.detach())
            m = where(isinf(m), 0.0, m)
        y = cat([narrow(y, d, 0, k), m + log(exp(a - m) + exp(b - m))], d)
        k *= 2
    if y is x:
        y = x * 1.0
    return reshape(y, tuple(input.shape))
