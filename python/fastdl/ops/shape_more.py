"""More shape ops with torch's names and rules: roll, tile, repeat_interleave, broadcast_*,
meshgrid, the *stack / *split families, atleast_Nd, moveaxis / swapaxes, ravel, select,
narrow_copy, fliplr / flipud / rot90, unravel_index, argwhere, msort, unfold (Tensor
method: sliding windows), as_strided, sum_to_size, and the in-place metadata methods
(t_, transpose_, squeeze_, unsqueeze_, ...) and triangle / diagonal fills.

Everything is composed from differentiable ops (index_select, narrow, permute, cat,
expand, reshape), so autograd and every device come for free. roll is two slice copies
(its own Function, whose gradient rolls back). Two Functions are views of their own:
Tensor.unfold (a strided view, as torch's; its backward adds the windows back with
index_add) and as_strided (its backward scatters through the storage positions)."""
import math
import numbers

from .. import _argcheck
from .. import dtypes as _dt
from ..autograd import Function
from ..tensor import Tensor, Size, contiguous_strides
from ._util import broadcast_shapes as _bshapes, check_tensor, desc, norm_dim, same_device
from .shape import cat, expand, flip, narrow, permute, reshape, split, squeeze, transpose, unsqueeze


def _ints(op, name, v):
    if isinstance(v, Tensor):
        v = v.tolist()
    seq = list(v) if isinstance(v, (tuple, list, Size)) else [v]
    for s in seq:
        if not isinstance(s, numbers.Integral) or isinstance(s, bool):
            raise TypeError(f"{op}: {name} must be an int or a sequence of ints, got {v!r}")
    return [int(s) for s in seq]


def _arange(n, dev):
    from ..tensor import arange
    return arange(n, device=dev)


# ---- roll / tile / repeat_interleave ------------------------------------------------

def roll(input, shifts, dims=None):
    """Elements shifted along dims, wrapping around; dims=None rolls the flattened tensor."""
    check_tensor("roll", input)
    shifts = _ints("roll", "shifts", shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"roll: shifts {shifts} must be a single int when dims is not given")
        return roll(input.reshape(-1), shifts, 0).reshape(input.shape)
    dims = _ints("roll", "dims", dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"roll: shifts and dims must have the same length, got {shifts} and {dims}")
    out = input
    for s, d in zip(shifts, dims):
        d = norm_dim("roll", d, input.ndim)
        n = input.shape[d] if input.ndim else 1
        if n == 0 or s % n == 0 or input.ndim == 0:
            continue
        out = _Roll.apply(out, d, s % n)
    return out.clone() if out is input else out


class _Roll(Function):
    """x rolled by k (0 < k < n) along dim d: two slice copies (an index_select gathered
    every element by its index: 0.19x torch's time along the last dim). The gradient is
    the roll back."""

    @staticmethod
    def forward(ctx, x, d, k):
        from ._util import backend, empty
        n = x.shape[d]
        out = empty(tuple(x.shape), x.dtype, x.device)
        copy = backend(x, "roll").copy
        copy(narrow(x, d, 0, n - k), narrow(out, d, k, n - k))
        copy(narrow(x, d, n - k, k), narrow(out, d, 0, k))
        ctx.d, ctx.back = d, n - k
        return out

    @staticmethod
    def backward(ctx, g):
        return _Roll.apply(g, ctx.d, ctx.back), None, None


def tile(input, dims):
    check_tensor("tile", input)
    dims = _ints("tile", "dims", dims)
    if any(r < 0 for r in dims):
        raise RuntimeError(f"tile: repeats can not be negative, got {dims}")
    dims = [1] * (input.ndim - len(dims)) + dims
    return input.repeat(*dims)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each element (or slice along dim) repeated; repeats is an int or a 1-D int tensor.
    repeat_interleave(counts) alone gives arange(len(counts)) repeated by counts."""
    from .indexing import index_select
    from .search import searchsorted
    check_tensor("repeat_interleave", input)
    if repeats is None:  # torch.repeat_interleave(repeats_tensor)
        if input.ndim > 1 or input.dtype not in (_dt.int64, _dt.int32):
            raise RuntimeError(f"repeat_interleave: repeats must be a 0-d or 1-d int64 (or int32) tensor, "
                               f"got {desc(input)}")
        out = repeat_interleave(_arange(input.numel(), input.device), input.reshape(-1), 0, output_size=output_size)
        return out if input.dtype is _dt.int64 else out.to(input.dtype)  # torch: repeats' dtype
    x = input.reshape(-1) if dim is None else input
    d = 0 if dim is None else norm_dim("repeat_interleave", dim, x.ndim)
    if x.ndim == 0:
        x = x.reshape(1)
    n = x.shape[d]
    if isinstance(repeats, Tensor):
        same_device("repeat_interleave", input, repeats)
        if repeats.dtype is _dt.int32:  # torch takes int32 repeats too
            repeats = repeats.to(_dt.int64)
        if repeats.dtype is not _dt.int64 or repeats.ndim > 1:
            raise RuntimeError(f"repeat_interleave: repeats must be an int or a 0-d/1-d int64 tensor, got "
                               f"{desc(repeats)}")
        if repeats.numel() == 1:
            repeats = int(repeats.reshape(()).item())
        elif repeats.shape[0] != n:
            raise RuntimeError(f"repeat_interleave: repeats {desc(repeats)} must have the same size as input "
                               f"{desc(input)} along dim {d} ({n})")
    if isinstance(repeats, Tensor):
        if repeats.numel() and int(repeats.min()) < 0:
            raise RuntimeError(f"repeat_interleave: repeats can not be negative, got {repeats.tolist()}")
        ends = repeats.cumsum(0)
        total = int(ends[-1]) if n else 0
        if output_size is not None and output_size != total:
            raise RuntimeError(f"repeat_interleave: output_size {output_size} does not match the sum of repeats "
                               f"({total})")
        idx = searchsorted(ends, _arange(total, x.device), right=True)
    else:
        if not isinstance(repeats, numbers.Integral) or isinstance(repeats, bool) or repeats < 0:
            raise RuntimeError(f"repeat_interleave: repeats must be a non-negative int, got {repeats!r}")
        if output_size is not None and output_size != n * repeats:
            raise RuntimeError(f"repeat_interleave: output_size {output_size} does not match {n} * {repeats}")
        idx = _arange(n * int(repeats), x.device) // int(repeats) if repeats else _arange(0, x.device)
    return index_select(x, d, idx)


# ---- broadcasting / meshgrid ---------------------------------------------------------

def broadcast_shapes(*shapes):
    for s in shapes:
        if isinstance(s, Tensor):  # torch: shapes are ints or sequences of ints, not tensors
            raise RuntimeError(f"broadcast_shapes: input shapes should be of type ints, a tuple of ints, or a list "
                               f"of ints, got a Tensor {desc(s)}")
    shapes = [tuple(_ints("broadcast_shapes", "shape", s)) for s in shapes]
    try:
        return Size(_bshapes("broadcast_shapes", *shapes))
    except ValueError as e:
        raise RuntimeError(str(e)) from None


def broadcast_to(input, size):
    check_tensor("broadcast_to", input)
    return expand(input, tuple(_ints("broadcast_to", "size", size)))


def broadcast_tensors(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    for i, t in enumerate(tensors):
        check_tensor("broadcast_tensors", t, f"tensors[{i}]")
    try:
        shape = _bshapes("broadcast_tensors", *[t.shape for t in tensors])
    except ValueError as e:
        raise RuntimeError(str(e)) from None
    return tuple(expand(t, shape) for t in tensors)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids (expanded views); indexing 'ij' (torch's default) or 'xy'."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    if not tensors:
        raise RuntimeError("meshgrid: expects a non-empty list of tensors")
    for i, t in enumerate(tensors):
        check_tensor("meshgrid", t, f"tensors[{i}]")
        if t.ndim > 1:
            raise RuntimeError(f"meshgrid: expects 0-d or 1-d tensors, got {desc(t)} at position {i}")
    same_device("meshgrid", *tensors)
    if len({t.dtype for t in tensors}) > 1:
        raise RuntimeError("meshgrid: expects all tensors to have the same dtype, got "
                           + ", ".join(desc(t) for t in tensors))
    flat = [t.reshape(-1) for t in tensors]
    swap = indexing == "xy" and len(flat) >= 2
    if swap:
        flat[0], flat[1] = flat[1], flat[0]
    shape = [t.shape[0] for t in flat]
    out = [t.reshape([-1 if j == i else 1 for j in range(len(flat))]).expand(shape) for i, t in enumerate(flat)]
    if swap:  # torch's 'xy': the grids of 'ij' over (t1, t0, ...), given back in the input order
        out[0], out[1] = out[1], out[0]
    return tuple(out)


# ---- atleast_Nd / stacks ----------------------------------------------------------------

def _atleast(op, shape_of, tensors):
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    out = []
    for i, t in enumerate(tensors):
        check_tensor(op, t, f"tensors[{i}]")
        shape = shape_of(tuple(t.shape))
        out.append(t if shape == tuple(t.shape) else reshape(t, shape))
    return out[0] if single else tuple(out)


def atleast_1d(*tensors):
    return _atleast("atleast_1d", lambda s: s if len(s) >= 1 else (1,), tensors)


def atleast_2d(*tensors):
    return _atleast("atleast_2d", lambda s: s if len(s) >= 2 else (1,) * (2 - len(s)) + s, tensors)


def atleast_3d(*tensors):
    return _atleast("atleast_3d", lambda s: {0: (1, 1, 1), 1: (1,) + s + (1,), 2: s + (1,)}.get(len(s), s), tensors)


def _seq(op, tensors):
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}: expected a sequence of Tensors, got {type(tensors).__name__}")
    if not tensors:
        raise RuntimeError(f"{op}: expects a non-empty TensorList")
    return list(tensors)


def hstack(tensors):
    ts = atleast_1d(*_seq("hstack", tensors))
    ts = ts if isinstance(ts, tuple) else (ts,)
    return cat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors):
    ts = atleast_2d(*_seq("vstack", tensors))
    return cat(ts if isinstance(ts, tuple) else (ts,), 0)


row_stack = vstack


def dstack(tensors):
    ts = atleast_3d(*_seq("dstack", tensors))
    return cat(ts if isinstance(ts, tuple) else (ts,), 2)


def column_stack(tensors):
    ts = _seq("column_stack", tensors)
    for i, t in enumerate(ts):
        check_tensor("column_stack", t, f"tensors[{i}]")
    return cat([t.reshape(t.numel(), 1) if t.ndim <= 1 else t for t in ts], 1)


# ---- splits --------------------------------------------------------------------------

def tensor_split(input, indices_or_sections, dim=0):
    """Views of input split into n near-equal parts (int) or at the given indices."""
    check_tensor("tensor_split", input)
    if input.ndim == 0:
        raise RuntimeError(f"tensor_split: expected at least a 1-dimensional tensor, got {desc(input)}")
    d = norm_dim("tensor_split", dim, input.ndim)
    n = input.shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        if ios.dtype is not _dt.int64 or ios.ndim > 1 or ios.device.type != "cpu":
            raise RuntimeError(f"tensor_split: indices_or_sections must be a 0-d or 1-d int64 CPU tensor, got "
                               f"{desc(ios)}")
        ios = int(ios.item()) if ios.ndim == 0 else ios.tolist()
    if isinstance(ios, numbers.Integral) and not isinstance(ios, bool):
        k = int(ios)
        if k <= 0:
            raise RuntimeError(f"tensor_split: number of sections must be larger than 0, got {k}")
        q, r = divmod(n, k)
        sizes = [q + 1] * r + [q] * (k - r)
        return split(input, sizes, d)
    idx = _ints("tensor_split", "indices", ios)
    out = []
    for a, b in zip([0] + idx, idx + [n]):  # each part is input[a:b] with Python's slice rules
        a = max(0, min(n, a + n if a < 0 else a))
        b = max(0, min(n, b + n if b < 0 else b))
        out.append(narrow(input, d, a, max(0, b - a)))
    return tuple(out)


def _dir_split(op, input, ios, dim, min_ndim):
    check_tensor(op, input)
    if input.ndim < min_ndim:
        raise RuntimeError(f"{op} requires a tensor with at least {min_ndim} dimension(s), but got {desc(input)}")
    if isinstance(ios, numbers.Integral) and not isinstance(ios, bool):
        n = input.shape[dim]
        if ios <= 0 or n % ios:
            raise RuntimeError(f"{op} attempted to split along dimension {dim}, but the size of the dimension {n} "
                               f"is not divisible by the split_size {ios}!")
    return tensor_split(input, ios, dim)


def hsplit(input, indices_or_sections):
    check_tensor("hsplit", input)
    return _dir_split("hsplit", input, indices_or_sections, 1 if input.ndim > 1 else 0, 1)


def vsplit(input, indices_or_sections):
    return _dir_split("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input, indices_or_sections):
    return _dir_split("dsplit", input, indices_or_sections, 2, 3)


def split_with_sizes(input, split_sizes, dim=0):
    check_tensor("split_with_sizes", input)
    _argcheck.int_tuple("split_with_sizes", "split_sizes", split_sizes)
    sizes = _ints("split_with_sizes", "split_sizes", split_sizes)
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"split_with_sizes: split sizes must be non-negative, got {sizes}")
    return split(input, sizes, dim)


# ---- axes ------------------------------------------------------------------------------

def movedim(input, source, destination):
    """movedim / moveaxis with an int or a sequence of dims (torch's rules)."""
    check_tensor("movedim", input)
    nd = input.ndim
    src = [norm_dim("movedim", d, nd) for d in _ints("movedim", "source", source)]
    dst = [norm_dim("movedim", d, nd) for d in _ints("movedim", "destination", destination)]
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) should contain the "
                           f"same number of dims as destination ({dst} dims)")
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in source {src} or destination {dst}")
    order = [None] * nd
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(i for i in range(nd) if i not in src)
    order = [o if o is not None else next(rest) for o in order]
    return input if nd == 0 else permute(input, order)


moveaxis = movedim


def swapaxes(input, axis0, axis1):
    check_tensor("swapaxes", input)
    return transpose(input, axis0, axis1)


def swapdims(input, dim0, dim1):
    check_tensor("swapdims", input)
    return transpose(input, dim0, dim1)


def ravel(input):
    check_tensor("ravel", input)
    return reshape(input, -1)


def select(input, dim, index):
    """The slice at index along dim, that dim removed (a view)."""
    check_tensor("select", input)
    if input.ndim == 0:
        raise IndexError(f"select() cannot be applied to a 0-dim tensor ({desc(input)})")
    d = norm_dim("select", dim, input.ndim)
    n = input.shape[d]
    i = int(index)
    if not -n <= i < n:
        raise IndexError(f"select(): index {i} out of range for tensor of size {list(input.shape)} at dimension {d}")
    return squeeze(narrow(input, d, i % n, 1), d)


def narrow_copy(input, dim, start, length):
    check_tensor("narrow_copy", input)
    return narrow(input, dim, start, length).clone()


# ---- flips / rot90 ------------------------------------------------------------------

def fliplr(input):
    check_tensor("fliplr", input)
    if input.ndim < 2:
        raise RuntimeError(f"fliplr: input must be >= 2-d, got {desc(input)}")
    return flip(input, [1])


def flipud(input):
    check_tensor("flipud", input)
    if input.ndim < 1:
        raise RuntimeError(f"flipud: input must be >= 1-d, got {desc(input)}")
    return flip(input, [0])


def rot90(input, k=1, dims=(0, 1)):
    """input rotated by 90 degrees k times, from dims[0] towards dims[1] (torch's rule)."""
    check_tensor("rot90", input)
    k = _argcheck.number("rot90", "k", k, "int")
    dims = _ints("rot90", "dims", dims)
    if len(dims) != 2:
        raise RuntimeError(f"rot90: expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"rot90: expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = norm_dim("rot90", dims[0], input.ndim), norm_dim("rot90", dims[1], input.ndim)
    if d0 == d1:
        raise RuntimeError(f"rot90: expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    k = int(k) % 4
    if k == 1:
        return transpose(flip(input, [d1]), d0, d1)
    if k == 2:
        return flip(input, [d0, d1])
    if k == 3:
        return transpose(flip(input, [d0]), d0, d1)
    return input.clone()


# ---- index helpers --------------------------------------------------------------------

def unravel_index(indices, shape):
    """Coordinates of flat indices in a tensor of `shape` (torch's: each coordinate is
    (index // stride) % size, so out-of-range and negative indices wrap around)."""
    from ..tensor import tensor
    if isinstance(indices, numbers.Integral) and not isinstance(indices, bool):
        indices = tensor(int(indices))
    check_tensor("unravel_index", indices, "indices")
    if indices.dtype.category != 1:
        raise TypeError(f"unravel_index: expected 'indices' to be an integer tensor, got {desc(indices)}")
    shape = _ints("unravel_index", "shape", shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"unravel_index: 'shape' cannot have negative values, got {shape}")
    if math.prod(shape) == 0 and indices.numel():
        raise ValueError(f"unravel_index: cannot unravel into an empty shape {shape}")
    strides = contiguous_strides(shape)
    if indices.dtype is not _dt.int64:  # torch's coordinates are int64 whatever the index dtype
        indices = indices.long()
    return tuple((indices // st) % s for st, s in zip(strides, shape))


def argwhere(input):
    from .indexing import nonzero
    check_tensor("argwhere", input)
    return nonzero(input)


def msort(input):
    from .sorting import sort
    check_tensor("msort", input)
    return sort(input, 0)[0] if input.ndim else input.clone()


# ---- unfold / as_strided ----------------------------------------------------------------

class _Unfold(Function):
    """Sliding windows as a strided view; backward adds each window's gradient back with
    index_add (windows may overlap)."""

    @staticmethod
    def forward(ctx, x, d, size, step):
        n = x.shape[d] if x.ndim else 1
        count = (n - size) // step + 1
        ctx.meta = (tuple(x.shape), d, size, step, count)
        if x.ndim == 0:
            return x._view((size,), (1,), x._offset)
        shape = list(x.shape)
        shape[d] = count
        strides = list(x._strides)
        strides[d] = x._strides[d] * step
        return x._view(shape + [size], strides + [x._strides[d]], x._offset)

    @staticmethod
    def backward(ctx, g):
        from ..tensor import zeros
        from .indexing import index_add_
        shape, d, size, step, count = ctx.meta
        if not shape:
            return g.sum().reshape(()), None, None, None
        dev = g.device
        idx = (_arange(count, dev).reshape(count, 1) * step + _arange(size, dev)).reshape(-1)
        # [..., count, ..., size] -> [..., count * size, ...]: the window axis next to its position
        g = g.movedim(g.ndim - 1, d + 1)
        g = g.reshape(list(shape[:d]) + [count * size] + list(shape[d + 1:]))
        out = zeros(shape, dtype=g.dtype, device=dev)
        return index_add_(out, d, idx, g.contiguous()), None, None, None


def unfold(input, dimension, size, step):
    """Tensor.unfold: every window of `size` elements along dimension, `step` apart, as a new
    last dim. A view sharing input's memory (as torch's)."""
    check_tensor("unfold", input)
    d = norm_dim("unfold", dimension, max(input.ndim, 1))
    n = input.shape[d] if input.ndim else 1
    if not isinstance(size, numbers.Integral) or size < 0 or size > n:
        raise RuntimeError(f"unfold: maximum size for tensor at dimension {d} is {n} but size is {size}")
    if not isinstance(step, numbers.Integral) or step <= 0:
        raise RuntimeError(f"unfold: step is {step} but must be > 0")
    return _Unfold.apply(input, d, int(size), int(step))


def _storage_positions(shape, strides, offset, dev):
    """int64 tensor of `shape`: each element's position in the storage."""
    from ..tensor import full
    lin = full((), offset, dtype=_dt.int64, device=dev)
    for i, (n, st) in enumerate(zip(shape, strides)):
        lin = lin + (_arange(n, dev) * st).reshape([-1 if j == i else 1 for j in range(len(shape))])
    return lin.expand(shape)


def _may_overlap(shape, strides):
    """False when no two elements of the geometry can share a storage position: with the
    dims of size > 1 sorted by stride, each stride passes the span of the ones below it."""
    dims = sorted((st, n) for n, st in zip(shape, strides) if n > 1)
    span = 0
    for st, n in dims:
        if st <= span:
            return True
        span += (n - 1) * st
    return False


class _AsStrided(Function):
    """A view with any geometry over input's storage. backward adds the gradient into a
    zero storage at the view's positions and reads it at input's positions; where input's
    own elements alias each other (an expanded input), the storage gradient is split
    evenly among them, as torch does."""

    @staticmethod
    def forward(ctx, x, size, stride, offset):
        ctx.meta = (tuple(x.shape), tuple(x._strides), x._offset, size, stride, offset)
        return x._view(size, stride, offset)

    @staticmethod
    def backward(ctx, g):
        from ..tensor import zeros
        from .indexing import index_add_
        shape, strides, x_off, size, stride, offset = ctx.meta
        dev = g.device
        out_pos = _storage_positions(size, stride, offset, dev).reshape(-1)
        in_pos = _storage_positions(shape, strides, x_off, dev).reshape(-1)
        n = max(int(out_pos.max()) + 1 if out_pos.numel() else 0, int(in_pos.max()) + 1 if in_pos.numel() else 0)
        store = zeros((n,), dtype=g.dtype, device=dev)
        index_add_(store, 0, out_pos.contiguous(), g.reshape(-1).contiguous())
        if _may_overlap(shape, strides):
            # input's elements share storage (an expanded input): as torch, each storage
            # element's gradient is split evenly among the input elements that alias it
            count = zeros((n,), dtype=g.dtype, device=dev)
            index_add_(count, 0, in_pos.contiguous(), zeros(in_pos.shape, dtype=g.dtype, device=dev) + 1)
            store = store / count.clamp(min=1)
        return store.index_select(0, in_pos.contiguous()).reshape(shape), None, None, None


def as_strided(input, size, stride, storage_offset=None):
    check_tensor("as_strided", input)
    size, stride = tuple(_ints("as_strided", "size", size)), tuple(_ints("as_strided", "stride", stride))
    if len(size) != len(stride):
        raise RuntimeError(f"as_strided: mismatch in length of strides and shape ({list(size)} vs {list(stride)})")
    if any(s < 0 for s in size) or any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: negative sizes or strides are not allowed: size {list(size)}, "
                           f"stride {list(stride)}")
    offset = input._offset if storage_offset is None else int(storage_offset)
    if offset < 0:
        raise RuntimeError(f"as_strided: storage_offset must be >= 0, got {offset}")
    if math.prod(size):
        last = offset + sum((n - 1) * st for n, st in zip(size, stride))
        avail = input._buf.nbytes // input.dtype.itemsize
        if last >= avail:
            raise RuntimeError(f"as_strided: setStorage: sizes {list(size)}, strides {list(stride)}, storage offset "
                               f"{offset} require {last + 1} elements, but the storage of {desc(input)} holds {avail}")
    return _AsStrided.apply(input, size, stride, offset)


def sum_to_size(input, *size):
    from ._util import unbroadcast
    check_tensor("sum_to_size", input)
    if not size:
        raise TypeError('sum_to_size() missing 1 required positional arguments: "size"')
    if len(size) == 1 and isinstance(size[0], (tuple, list, Size)):
        size = tuple(size[0])
    size = tuple(_ints("sum_to_size", "size", size))
    lead = input.ndim - len(size)
    if lead < 0 or any(s != 1 and s != n for s, n in zip(size, input.shape[lead:])):
        raise RuntimeError(f"sum_to_size: size {list(size)} is not expandable to size {list(input.shape)}")
    return unbroadcast(input, size) if tuple(size) != tuple(input.shape) else input


# ---- in-place metadata and fill methods -------------------------------------------------

def _rebind(self, v, op):
    """self takes v's geometry (and its place in the graph): torch's in-place view ops."""
    from .elementwise import check_inplace
    check_inplace(self, op)
    self._shape, self._strides, self._offset = v._shape, v._strides, v._offset
    if v._grad_fn is not None:
        self._grad_fn, self._out_index = v._grad_fn, v._out_index
    return self


def t_(self):
    return _rebind(self, self.t(), "t_")


def transpose_(self, dim0, dim1):
    return _rebind(self, transpose(self, dim0, dim1), "transpose_")


def swapaxes_(self, axis0, axis1):
    return _rebind(self, transpose(self, axis0, axis1), "swapaxes_")


def swapdims_(self, dim0, dim1):
    return _rebind(self, transpose(self, dim0, dim1), "swapdims_")


def squeeze_(self, dim=None):
    return _rebind(self, squeeze(self, dim), "squeeze_")


def unsqueeze_(self, dim):
    return _rebind(self, unsqueeze(self, dim), "unsqueeze_")


def tril_(self, diagonal=0):
    from .elementwise import assign_
    return assign_(self, self.tril(diagonal), "tril_")


def triu_(self, diagonal=0):
    from .elementwise import assign_
    return assign_(self, self.triu(diagonal), "triu_")


def fill_diagonal_(self, fill_value, wrap=False):
    """Writes fill_value on the main diagonal (all dims equal for ndim > 2); with wrap, a
    tall matrix's diagonal restarts every ncols + 1 rows (NumPy's and torch's rule)."""
    from ..tensor import zeros
    from .elementwise import assign_, where
    check_tensor("fill_diagonal_", self)
    if self.ndim < 2:
        raise RuntimeError(f"fill_diagonal_: dimensions must larger than 1, got {desc(self)}")
    if self.ndim > 2 and len(set(self.shape)) != 1:
        raise RuntimeError(f"fill_diagonal_: all dimensions of input must be of equal length, got {desc(self)}")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if self.dtype.category == 1 and isinstance(fill_value, float) and math.isfinite(fill_value):
        fill_value = int(fill_value)  # truncated into an integer tensor, as torch's fill
    shape = tuple(self.shape)
    n = self.numel()
    strides = contiguous_strides(shape)
    step = sum(strides)
    stop = n if (wrap and self.ndim == 2) else min(shape) * strides[0]
    mask = zeros((n,), dtype=_dt.bool_, device=self.device)
    if n:
        from ..tensor import arange
        mask[arange(0, stop, step, device=self.device)] = True
    return assign_(self, where(mask.reshape(shape), fill_value, self), "fill_diagonal_")
