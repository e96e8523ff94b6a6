"""Masked, scatter and index ops with torch's names and rules: masked_select,
masked_scatter, scatter_add, scatter_reduce, index_add, index_copy, index_reduce,
index_put, take, put, select_scatter / slice_scatter / diagonal_scatter, diagflat,
block_diag, cartesian_prod, combinations, isin. In-place twins are in _methods.py
(each one the out-of-place op written back with assign_).

Every write turns into flat positions in a contiguous copy of the input (`lin`), then one
of two Functions: _PutFlat (write or accumulate values at lin; backward gathers) and
_SegReduce (prod / amax / amin per position; the positions are grouped by a stable sort
and reduced by a log-depth segmented scan, so no Python loop runs over elements). sum
and mean are compositions of _PutFlat.
"""
import itertools
import numbers

import numpy as np

from .. import dtypes as _dt
from .int_narrow import IntDtypeError
from ..autograd import Function, no_grad
from ..tensor import Tensor
from ._util import check_tensor, desc, norm_dim, same_device
from .indexing import index_add_, read_rows
from ..amp import autocast_mode as _amp


def _arange(n, dev):
    from ..tensor import arange
    return arange(n, device=dev)


def _zeros(n, dtype, dev):
    from ..tensor import zeros
    return zeros(n, dtype=dtype, device=dev)


def _check_int64(op, index, x, name="index", int32_ok=True):
    """index as an int64 tensor (an int32 one cast, where torch takes it)."""
    check_tensor(op, index, name)
    same_device(op, x, index)
    if int32_ok and index.dtype is _dt.int32:
        return index.to(_dt.int64)
    if index.dtype is not _dt.int64:
        raise IntDtypeError(f"{op}: {name} must be an int64 tensor{' (or int32)' if int32_ok else ''}, "
                            f"got {desc(index)}")
    return index


def _bounds(op, index, n, what, allow_negative=False):
    """index with negatives wrapped (where allowed); IndexError naming the first bad value."""
    if not index.numel():
        return index
    host = index._device.type == "cpu"  # CPU indices: read on the host (two reductions and .item() cost ~20 us)
    vals = index._np_view() if host else None
    lo, hi = (int(vals.min()), int(vals.max())) if host else (int(index.min()), int(index.max()))
    low = -n if allow_negative else 0
    if lo < low or hi >= n:
        raise IndexError(f"{op}: index {lo if lo < low else hi} is out of bounds for {what} with size {n}")
    if lo >= 0:
        return index
    if host:
        from ..tensor import from_numpy
        return from_numpy(np.where(vals < 0, vals + n, vals).astype(np.int64))
    return index + (index < 0).to(_dt.int64) * n


# ---- the two write Functions ------------------------------------------------------------

class _PutFlat(Function):
    """x (1-D) with vals written (or added, accumulate) at positions lin (1-D, same length)."""

    @staticmethod
    def forward(ctx, x, lin, vals, accumulate):
        with no_grad():
            out = x.clone()
            _put(out, lin, vals, accumulate)
        ctx.accumulate = accumulate
        ctx.save_for_backward(lin)
        return out

    @staticmethod
    def backward(ctx, g):
        lin, = ctx.saved_tensors
        gx = g
        if not ctx.accumulate and lin.numel():
            gx = g.clone()
            gx[lin] = 0
        return gx, None, g.index_select(0, lin), None


def _put(out, lin, vals, accumulate):
    """Writes (or adds) vals into the 1-D contiguous out at lin, in place (no autograd)."""
    if not lin.numel():
        return
    if accumulate:
        from ._util import index_backend
        index_backend(out, "index_put").index_add(out, 0, lin, vals.contiguous())
        out._buf.version += 1
    else:
        out[lin] = vals


def _prod_op(a, b):
    return a * b


def _reducer(reduce):
    from .elementwise import maximum, minimum
    return {"prod": _prod_op, "amax": maximum, "amin": minimum}[reduce]


def _segment_reduce(lin, vals, size, reduce):
    """(out[size], hit[size]): vals reduced per position of lin (no autograd)."""
    from .shape import cat
    from .sorting import argsort
    from .elementwise import where
    dev = vals.device
    hit = _zeros((size,), _dt.bool_, dev)
    out = _zeros((size,), vals.dtype, dev)
    m = lin.shape[0]
    if not m:
        return out, hit
    op = _reducer(reduce)
    order = argsort(lin)
    keys, v = lin[order], vals[order]
    off = 1
    while off < m:  # Hillis-Steele inclusive scan inside each run of equal keys: log2(m) steps
        same = keys[off:] == keys[:-off]
        v = cat([v[:off], where(same, op(v[off:], v[:-off]), v[off:])])
        off *= 2
    last = cat([keys[1:] != keys[:-1], _zeros((1,), _dt.bool_, dev) == 0])
    pos = keys[last]
    out[pos] = v[last]
    hit[pos] = True
    return out, hit


class _SegReduce(Function):
    """x (1-D) with vals reduced in (prod / amax / amin) at positions lin. The gradient is
    torch's: amax / amin share it evenly among the elements equal to the result; prod's is
    the product of the others (zeros handled by counting them per position)."""

    @staticmethod
    def forward(ctx, x, lin, vals, reduce, include_self):
        from .elementwise import where
        with no_grad():
            r, hit = _segment_reduce(lin, vals, x.shape[0], reduce)
            if include_self:
                r = _reducer(reduce)(x, r)
            out = where(hit, r, x)
        ctx.meta = (reduce, include_self)
        ctx.save_for_backward(x, lin, vals, out, hit)
        return out

    @staticmethod
    def backward(ctx, g):
        from .elementwise import where
        reduce, inc = ctx.meta
        x, lin, vals, out, hit = ctx.saved_tensors
        size, dt = x.shape[0], g.dtype
        if reduce == "prod":
            with no_grad():  # zero counts per position: constants of the gradient
                zc = index_add_(_zeros((size,), dt, g.device), 0, lin, (vals == 0).to(dt))
                if inc:
                    zc = zc + (x == 0).to(dt)
            # the product of the non-zero elements per position, through this Function
            # itself so that create_graph differentiates it (double backward)
            nz_vals = where(vals == 0, 1.0, vals).to(dt)
            base = where(x == 0, 1.0, x).to(dt) if inc else _zeros(x.shape, dt, x.device) + 1
            nz = _SegReduce.apply(base, lin, nz_vals, "prod", True)

            # torch's formula: a non-zero element's gradient is result / element (the result
            # still holds any zero, so the second derivative sees it), a lone zero's is the
            # product of the others, one of several zeros gets result / 1 = 0
            def part(e, gp, outp, nzp, zcp):
                e_safe = where(e == 0, 1.0, e).to(dt)
                return gp * where(e == 0, where(zcp == 1, nzp, outp), outp / e_safe).to(dt)
            gvals = part(vals, g[lin], out[lin], nz[lin], zc[lin])
            gx = where(hit, part(x, g, out, nz, zc) if inc else 0.0, g).to(dt)
            return gx, None, gvals, None, None
        # torch's rule, include_self or not: the gradient is shared among every element equal
        # to the result, input's own counted too (with include_self=False an input that ties
        # takes a share that is then dropped, as torch does)
        tie_v = (vals == out[lin]).to(dt)
        tie_x = (x == out).to(dt)
        count = index_add_(tie_x.clone(), 0, lin, tie_v)
        share = g / where(count == 0, 1.0, count)
        gx = share * tie_x if inc else where(hit, 0.0, share * tie_x).to(dt)
        return gx, None, share[lin] * tie_v, None, None


# ---- scatter family -----------------------------------------------------------------------

def _int32_index(index):
    return index.to(_dt.int64) if getattr(index, "dtype", None) is _dt.int32 else index


def _check_scatter(op, input, dim, index, src):
    check_tensor(op, input)
    index = _check_int64(op, index, input)
    check_tensor(op, src, "src")
    same_device(op, input, src)
    d = norm_dim(op, dim, max(input.ndim, 1))
    if not (index.ndim == input.ndim == src.ndim) and not (index.ndim <= 1 and input.ndim <= 1 and src.ndim <= 1):
        raise RuntimeError(f"{op}: index {desc(index)}, input {desc(input)} and src {desc(src)} must have the same "
                           f"number of dimensions")
    if src.dtype is not input.dtype:
        raise RuntimeError(f"{op}: expected src and input to have the same dtype, got {desc(src)} and {desc(input)}")
    for i in range(index.ndim):
        if index.shape[i] > src.shape[i] or (i != d and index.shape[i] > input.shape[i]):
            raise RuntimeError(f"{op}: expected index {desc(index)} to be no larger than input {desc(input)} apart "
                               f"from dimension {d} and to be no larger than src {desc(src)}")
    _bounds(op, index, input.shape[d] if input.ndim else 1, f"dimension {d}")
    return d


def _scatter_parts(input, d, index, src):
    """(flat input, lin, flat vals): the scatter as positions in a contiguous input."""
    from .indexing_extra import _scatter_linear, _src_view
    x = input.reshape(-1) if input.ndim else input.reshape(1)
    if input.ndim == 0:
        return x, index.reshape(-1), src.reshape(-1)[:index.numel()]
    return x, _scatter_linear(input.shape, d, index), _src_view(src, index).reshape(-1)


def scatter_add(input, dim, index, src):
    if _amp.on and _amp.here(): return _amp.run("scatter_add", scatter_add, input, dim, index, src)  # autocast
    index = _int32_index(index)
    d = _check_scatter("scatter_add", input, dim, index, src)
    x, lin, vals = _scatter_parts(input, d, index, src)
    return _PutFlat.apply(x, lin, vals, True).reshape(input.shape)


_REDUCES = ("sum", "prod", "mean", "amax", "amin")


def _reduce_flat(op, x, lin, vals, reduce, include_self):
    from .elementwise import where
    if reduce not in _REDUCES:
        raise RuntimeError(f"{op}: reduce argument must be one of {', '.join(_REDUCES)}, got {reduce!r}")
    size, dev = x.shape[0], x.device
    if reduce in ("prod", "amax", "amin"):
        return _SegReduce.apply(x, lin, vals, reduce, bool(include_self))
    hit = _zeros((size,), _dt.bool_, dev)
    if lin.numel():
        hit[lin] = True
    base = x if include_self else where(hit, 0, x).to(x.dtype)
    s = _PutFlat.apply(base, lin, vals, True)
    if reduce == "sum":
        return s
    cnt_dt = x.dtype if x.dtype.category == 2 else _dt.int64
    cnt = index_add_(_zeros((size,), cnt_dt, dev), 0, lin, _zeros(lin.shape, cnt_dt, dev) + 1)
    if include_self:
        cnt = cnt + 1
    cnt = where(cnt == 0, 1, cnt).to(cnt_dt)
    mean = s / cnt if x.dtype.category == 2 else (s // cnt).to(x.dtype)
    return where(hit, mean, x).to(x.dtype)


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """input with src reduced into it along dim at index ('sum', 'prod', 'mean', 'amax',
    'amin'); include_self=False leaves input's own values out of the positions written."""
    index = _int32_index(index)
    d = _check_scatter("scatter_reduce", input, dim, index, src)
    x, lin, vals = _scatter_parts(input, d, index, src)
    return _reduce_flat("scatter_reduce", x, lin, vals, reduce, include_self).reshape(input.shape)


# ---- index_* family ---------------------------------------------------------------------

def _check_source(op, input, source, same_dtype=True):
    """source a Tensor on input's device and (same_dtype) of input's dtype."""
    if not isinstance(source, Tensor):
        raise TypeError(f"{op}: source must be a Tensor, got {type(source).__name__}")
    same_device(op, input, source)
    if same_dtype and source.dtype is not input.dtype:
        raise RuntimeError(f"{op}: expected source and input to have the same dtype, got {desc(source)} and "
                           f"{desc(input)}")


class _IndexAddAlongDim(Function):
    """index_add on any rank >= 1: input's copy with source's slice j added at index[j] along
    dim by the backend's index_add kernel, repeated indices in order (as torch). A flat
    _PutFlat would first build an int64 position for every element of source (~10x the
    kernel's time on a (8, 64, 64, 64) source)."""

    @staticmethod
    def forward(ctx, x, d, index, vals):
        from ._util import index_backend
        with no_grad():
            out = x.contiguous().clone()
            index_backend(out, "index_add").index_add(out, d, index, vals)
        ctx.d = d
        ctx.save_for_backward(index)
        return out

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        return g, None, None, g.index_select(ctx.d, index)


def _index_checks(op, input, dim, index, source):
    """(dim, 1-D index in range) for the index_* ops, after the checks they share."""
    check_tensor(op, input)
    index = _check_int64(op, index, input, int32_ok=op != "index_copy")  # torch's index_copy wants int64
    _check_source(op, input, source, same_dtype=False)
    if index.ndim > 1:
        raise IndexError(f"{op}: index should have at most 1 dimension, got {desc(index)}")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"{op}: self ({desc(input)}) and source ({desc(source)}) must have the same scalar type")
    nd = max(input.ndim, 1)
    d = norm_dim(op, dim, nd)
    ishape = list(input.shape) or [1]
    sshape = list(source.shape) or [1]
    k = index.numel()
    if len(sshape) != nd or sshape[d] != k or any(a != b for i, (a, b) in enumerate(zip(sshape, ishape)) if i != d):
        raise RuntimeError(f"{op}: source {desc(source)} must have the shape of input {desc(input)} except in "
                           f"dimension {d}, where its size must be the number of indices ({k})")
    return d, _bounds(op, index.reshape(-1), ishape[d], f"dimension {d}")


def _index_parts(op, input, dim, index, source):
    """(flat input, lin, flat source) for the index_* ops: source's slice j goes to index[j]."""
    from .indexing_extra import _scatter_linear
    d, index = _index_checks(op, input, dim, index, source)
    nd, ishape, sshape = max(input.ndim, 1), list(input.shape) or [1], list(source.shape) or [1]
    idx = index.reshape([-1 if i == d else 1 for i in range(nd)]).expand(sshape).contiguous()
    return input.reshape(-1), _scatter_linear(ishape, d, idx), source.reshape(-1)


def index_add(input, dim, index, source, *, alpha=1):
    if input.ndim == 0 or source.ndim == 0:  # torch reads 0-d operands as 1-d
        x, lin, vals = _index_parts("index_add", input, dim, index, source)
        return _PutFlat.apply(x, lin, (vals * alpha if alpha != 1 else vals).to(x.dtype), True).reshape(input.shape)
    d, index = _index_checks("index_add", input, dim, index, source)
    vals = (source * alpha).to(input.dtype) if alpha != 1 else source
    return _IndexAddAlongDim.apply(input, d, index.to(_dt.int64), vals)


def index_copy(input, dim, index, source):
    if _amp.on and _amp.here(): return _amp.run("index_copy", index_copy, input, dim, index, source)  # autocast
    x, lin, vals = _index_parts("index_copy", input, dim, index, source)
    return _PutFlat.apply(x, lin, vals, False).reshape(input.shape)


def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce: reduce argument must be one of prod, mean, amax, amin, got {reduce!r}")
    x, lin, vals = _index_parts("index_reduce", input, dim, index, source)
    return _reduce_flat("index_reduce", x, lin, vals, reduce, include_self).reshape(input.shape)


def _values(op, values, x):
    if not isinstance(values, Tensor):
        from ..tensor import tensor
        values = tensor(values, dtype=x.dtype, device=x.device)
    same_device(op, x, values)
    if values.dtype.category > x.dtype.category:
        raise RuntimeError(f"{op}: values {desc(values)} can't be cast to the dtype of input {desc(x)}")
    return values if values.dtype is x.dtype else values.to(x.dtype)


def index_put(input, indices, values, accumulate=False):
    """input with values written (or added) at input[indices]; indices is a tuple of int64
    or bool tensors, as for advanced indexing."""
    if _amp.on and _amp.here(): return _amp.run("index_put", index_put, input, indices, values, accumulate)  # autocast
    from ..tensor import contiguous_strides
    from .indexing import _linear_index, _parse
    check_tensor("index_put", input)
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put: indices must be a tuple of tensors, got {type(indices).__name__}")
    for i, t in enumerate(indices):
        check_tensor("index_put", t, f"indices[{i}]")
        if t.dtype.category == 2:
            raise IndexError(f"index_put: tensors used as indices must be long or bool tensors, got {desc(t)}")
    if isinstance(values, Tensor) and values.dtype is not input.dtype:  # torch: no cast here (setitem casts)
        raise RuntimeError(f"index_put: the source and destination dtypes must match, got {input.dtype.name} for "
                           f"the destination and {values.dtype.name} for the source")
    values = _values("index_put", values, input)
    if not indices:
        return (input + values) if accumulate else values.expand(input.shape).clone()
    v, adv = _parse(input, tuple(indices))
    lin, out_shape = _linear_index("index_put", tuple(v.shape), contiguous_strides(tuple(v.shape)), adv)
    try:
        vals = values.expand(out_shape)
    except RuntimeError:
        raise RuntimeError(f"index_put: shape mismatch: values {desc(values)} cannot be broadcast to indexing "
                           f"result of shape {list(out_shape)}") from None
    x = input.reshape(-1)
    return _PutFlat.apply(x, lin, vals.reshape(-1), bool(accumulate)).reshape(input.shape)


def take(input, index):
    if (isinstance(input, Tensor) and isinstance(index, Tensor) and index._dtype is _dt.int64
            and input._device.type == "cpu" and input.is_contiguous()):
        out = read_rows(input, index, input.ndim)  # one C++ call (indexing.read_rows)
        if out is not None:
            return out
    check_tensor("take", input)
    _check_int64("take", index, input, int32_ok=False)
    idx = _bounds("take", index.reshape(-1), input.numel(), "input", allow_negative=True)
    return input.reshape(-1).index_select(0, idx).reshape(index.shape)


def put(input, index, source, accumulate=False):
    check_tensor("put", input)
    _check_int64("put", index, input, int32_ok=False)
    _check_source("put", input, source)
    if source.numel() != index.numel():
        raise RuntimeError(f"put: expected source {desc(source)} and index {desc(index)} to have the same number "
                           f"of elements")
    idx = _bounds("put", index.reshape(-1), input.numel(), "input", allow_negative=True)
    return _PutFlat.apply(input.reshape(-1), idx.contiguous(), source.reshape(-1), bool(accumulate)
                          ).reshape(input.shape)


# ---- masked -------------------------------------------------------------------------------

def _check_mask(op, input, mask):
    from ._util import broadcast_shapes
    check_tensor(op, input)
    if not isinstance(mask, Tensor) or mask.dtype is not _dt.bool_:
        raise TypeError(f"{op}: mask must be a bool tensor, got {desc(mask)}")
    same_device(op, input, mask)
    try:
        return broadcast_shapes(op, input.shape, mask.shape)
    except ValueError:
        raise RuntimeError(f"{op}: the shape of the mask {list(mask.shape)} must be broadcastable with the shape "
                           f"of input {list(input.shape)}") from None


def masked_select(input, mask):
    shape = _check_mask("masked_select", input, mask)
    x = input.expand(shape) if tuple(input.shape) != shape else input
    m = mask.expand(shape) if tuple(mask.shape) != shape else mask
    return x.reshape(-1)[m.reshape(-1)]


def masked_scatter(input, mask, source):
    """input with the masked positions filled, in order, by source's first elements."""
    from .elementwise import where
    shape = _check_mask("masked_scatter", input, mask)
    _check_source("masked_scatter", input, source)
    m = mask.expand(shape).reshape(-1)
    k = int(m.sum()) if m.numel() else 0
    if k > source.numel():
        raise RuntimeError(f"masked_scatter: the mask selects {k} elements but source {desc(source)} has only "
                           f"{source.numel()}")
    if k == 0:
        return (input + _zeros(shape, input.dtype, input.device)) if tuple(input.shape) != shape else input.clone()
    pos = m.to(_dt.int64).cumsum(0) - 1
    pos = where(pos < 0, 0, pos).to(_dt.int64)  # unmasked positions read anything: where() drops them
    vals = source.reshape(-1).index_select(0, pos).reshape(shape)
    return where(m.reshape(shape), vals, input)


# ---- view scatters ------------------------------------------------------------------------

class _ViewScatter(Function):
    """input with the view `view(input)` replaced by src; backward splits g the same way."""

    @staticmethod
    def forward(ctx, x, src, view):
        out = x.contiguous().clone()
        with no_grad():
            view(out).copy_(src)
        ctx.view = view
        return out

    @staticmethod
    def backward(ctx, g):
        gx = g.contiguous().clone()
        ctx.view(gx).fill_(0)
        return gx, ctx.view(g).contiguous(), None


def _view_scatter(op, input, src, view):
    check_tensor(op, input)
    check_tensor(op, src, "src")
    same_device(op, input, src)
    target = view(input.detach())
    if tuple(target.shape) != tuple(src.shape):
        raise RuntimeError(f"{op}: expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {list(target.shape)}")
    if src.dtype is not input.dtype:  # torch writes src converted to input's dtype (its grad comes back as src's)
        src = src.to(input.dtype)
    return _ViewScatter.apply(input, src, view)


def select_scatter(input, src, dim, index):
    from .shape_more import select
    return _view_scatter("select_scatter", input, src, lambda t: select(t, dim, index))


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    check_tensor("slice_scatter", input)
    d = norm_dim("slice_scatter", dim, input.ndim)
    if step <= 0:
        raise RuntimeError(f"slice_scatter: slice step must be positive, got {step}")
    key = (slice(None),) * d + (slice(start, end, step),)
    return _view_scatter("slice_scatter", input, src, lambda t: t[key])


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    from .indexing_extra import diagonal
    check_tensor("diagonal_scatter", input)
    return _view_scatter("diagonal_scatter", input, src, lambda t: diagonal(t, offset, dim1, dim2))


# ---- built from others ---------------------------------------------------------------------

def diagflat(input, offset=0):
    from .indexing_extra import diag
    check_tensor("diagflat", input)
    return diag(input.reshape(-1), offset)


def block_diag(*tensors):
    """The tensors (0-d, 1-d as a row, or 2-d) along the diagonal of one matrix, zeros elsewhere."""
    from .shape import cat
    if not tensors:
        return _zeros((1, 0), _dt.get_default_dtype(), None)
    blocks = []
    for i, t in enumerate(tensors):
        check_tensor("block_diag", t, f"tensors[{i}]")
        if t.ndim > 2:
            raise RuntimeError(f"block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has {t.ndim} "
                               f"dimensions")
        blocks.append(t.reshape(1, -1) if t.ndim < 2 else t)
    same_device("block_diag", *blocks)
    dt = _dt.result_type(*tensors)  # a 0-d input promotes as 0-d (torch), not as the 1x1 block it becomes
    cols = sum(b.shape[1] for b in blocks)
    rows, c0 = [], 0
    for b in blocks:
        r, c = b.shape
        left, right = _zeros((r, c0), dt, b.device), _zeros((r, cols - c0 - c), dt, b.device)
        rows.append(cat([left, b if b.dtype is dt else b.to(dt), right], 1))
        c0 += c
    return cat(rows, 0)


def cartesian_prod(*tensors):
    from .shape import stack
    from .shape_more import meshgrid
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    for i, t in enumerate(tensors):
        check_tensor("cartesian_prod", t, f"tensors[{i}]")
        if t.ndim != 1:
            raise RuntimeError(f"cartesian_prod: expects one-dimensional tensors, got {desc(t)} at position {i}")
    if len(tensors) == 1:
        return tensors[0]
    return stack([g.reshape(-1) for g in meshgrid(*tensors, indexing="ij")], 1)


def combinations(input, r=2, with_replacement=False):
    """Rows of r elements of the 1-D input, as itertools.combinations(_with_replacement);
    the positions depend only on len(input) and r, so they are built on the host."""
    from ..tensor import tensor
    check_tensor("combinations", input)
    if input.ndim != 1:
        raise RuntimeError(f"combinations: expect a 1D vector, but got {desc(input)}")
    if not isinstance(r, numbers.Integral) or isinstance(r, bool) or r < 0:
        raise RuntimeError(f"combinations: r must be a non-negative int, got {r!r}")
    if r == 0:
        return _zeros((0,), input.dtype, input.device)
    gen = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    pos = [i for c in gen(range(input.shape[0]), r) for i in c]
    if not pos:
        return _zeros((0, r), input.dtype, input.device)
    idx = tensor(pos, dtype=_dt.int64, device=input.device)
    return input.index_select(0, idx).reshape(-1, r)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each element of `elements` is in `test_elements` (either may be a number):
    sort the test elements, binary-search each element, compare."""
    from ..tensor import tensor
    from .search import searchsorted
    from .sorting import sort
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("isin: expected elements or test_elements to be a Tensor, got two numbers")
    for name, v in (("elements", elements), ("test_elements", test_elements)):
        if not isinstance(v, (Tensor, numbers.Number)):
            raise TypeError(f"isin: {name} must be a Tensor or a number, got {type(v).__name__}")
        if isinstance(v, Tensor) and v.dtype.name == "bool":
            raise RuntimeError(f"isin: unsupported input type Bool for {name}, got {desc(v)}")
    ref = elements if isinstance(elements, Tensor) else test_elements
    dt = _dt.result_type(elements, test_elements)
    e = elements if isinstance(elements, Tensor) else tensor(elements, dtype=dt, device=ref.device)
    t = test_elements if isinstance(test_elements, Tensor) else tensor([test_elements], dtype=dt,
                                                                       device=ref.device)
    same_device("isin", e, t)
    e, t = e.detach().to(dt), t.detach().to(dt).reshape(-1)
    if dt.category == 2:
        t = t[t == t]  # NaN matches nothing, and would upset the binary search
    if t.numel() == 0:
        found = _zeros(e.shape, _dt.bool_, e.device)
    else:
        s = sort(t)[0]
        pos = searchsorted(s, e.reshape(-1))
        pos = pos - (pos == s.shape[0]).to(_dt.int64)  # past the end: compare with the last
        found = (s[pos] == e.reshape(-1)).reshape(e.shape)
    return ~found if invert else found


def index_put_(input, indices, values, accumulate=False):
    """torch.index_put_ / Tensor.index_put_: index_put written back into input."""
    from .elementwise import assign_
    return assign_(input, index_put(input, indices, values, accumulate), "index_put_")
