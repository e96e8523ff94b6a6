"""View and shape ops: reshape/view, transpose, permute, (un)squeeze, expand, narrow,
split, cat, stack, contiguous, clone. Views share memory; each is a Function whose
backward maps the gradient back to the input's shape. flip, tril and triu, at the end,
are copies composed from differentiable ops (index_select, where)."""
import math
import numbers
from operator import index as _index

from .. import _C
from ..autograd import Function, is_grad_enabled, _state as _grad_mode
from ..tensor import Tensor, contiguous_strides
from ._util import backend, desc, index_arg, empty, expand_view, norm_dim, norm_dims, same_device, check_tensor
from ..amp import autocast_mode as _amp
from .. import _memory_format as _mf
from .. import dtypes as _dt


def _view_strides(t, shape):
    """Strides that let `shape` view t's memory, or None (PyTorch's computeStride)."""
    old_shape, old_strides = list(t.shape), list(t._strides)
    if math.prod(old_shape) == 0 or not old_shape:
        return contiguous_strides(shape)
    new_strides = [0] * len(shape)
    view_d = len(shape) - 1
    chunk_base_stride = old_strides[-1]
    tensor_numel, view_numel = 1, 1
    for tensor_d in range(len(old_shape) - 1, -1, -1):
        tensor_numel *= old_shape[tensor_d]
        if tensor_d == 0 or (old_shape[tensor_d - 1] != 1 and
                             old_strides[tensor_d - 1] != tensor_numel * chunk_base_stride):
            while view_d >= 0 and (view_numel < tensor_numel or shape[view_d] == 1):
                new_strides[view_d] = view_numel * chunk_base_stride
                view_numel *= shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if tensor_d > 0:
                chunk_base_stride = old_strides[tensor_d - 1]
                tensor_numel, view_numel = 1, 1
    if view_d != -1:
        return None
    return tuple(new_strides)


def infer_shape(op, t, shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    try:  # operator.index: ints (and integer 0-d tensors), not floats (int(-1.5) would be -1)
        shape = [_index(s) for s in shape]
    except TypeError:
        raise TypeError(f"{op}(): argument 'shape' must be tuple of ints, got {shape!r}") from None
    n = t.numel()
    if shape.count(-1) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred, got {shape}")
    if -1 in shape:
        known = math.prod(s for s in shape if s != -1)
        if known == 0 or n % known:
            raise RuntimeError(f"{op}: shape {shape} is invalid for input of size {n}")
        shape[shape.index(-1)] = n // known
    if any(s < 0 for s in shape) or math.prod(shape) != n:
        raise RuntimeError(f"{op}: shape {list(shape)} is invalid for input of size {n}")
    return tuple(shape)


class _Reshape(Function):
    @staticmethod
    def forward(ctx, x, shape, must_view, strides=False):
        ctx.in_shape = x.shape
        if strides is False:  # (not worked out by the caller; None: it cannot be a view)
            strides = _view_strides(x, shape)
        if strides is None:
            if must_view:
                raise RuntimeError(f"view: size {list(shape)} is not compatible with input {desc(x)} whose "
                                   f"strides are {list(x._strides)}; use .reshape(...) instead")
            out = empty(x.shape, x.dtype, x.device)
            backend(x, "reshape").copy(x, out)
            return out._view(shape, contiguous_strides(shape))
        return x._view(shape, strides)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None, None, None


def reshape(x, *shape):
    geometry = _C.view_args(x, shape)  # plain int sizes: shape and strides in one C++ call
    if geometry is not None:
        shape, strides = geometry
        return x if shape == tuple(x._shape) else _Reshape.apply(x, shape, False, strides)
    shape = infer_shape("reshape", x, shape)
    return x if tuple(shape) == tuple(x.shape) else _Reshape.apply(x, shape, False)


def view(x, *shape, dtype=None):
    if dtype is not None or (len(shape) == 1 and isinstance(shape[0], _dt.DType)):  # view(dtype)
        from .view_dtype import view_dtype
        if shape and dtype is not None:
            raise TypeError("view(): pass either a shape or dtype=, not both")
        return view_dtype(x, dtype if dtype is not None else shape[0])
    geometry = _C.view_args(x, shape)
    if geometry is not None:
        return _Reshape.apply(x, geometry[0], True, geometry[1])
    shape = infer_shape("view", x, shape)
    return _Reshape.apply(x, shape, True)


class _Permute(Function):
    @staticmethod
    def forward(ctx, x, dims, shape=None, strides=None):
        ctx.dims = dims
        if shape is None:  # (not worked out by the caller)
            shape, strides = tuple(x._shape[d] for d in dims), tuple(x._strides[d] for d in dims)
        return x._view(shape, strides)

    @staticmethod
    def backward(ctx, g):
        inv = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inv[d] = i
        return g.permute(inv), None, None, None


def permute(x, *dims):
    if not dims:  # torch: a 0-d tensor too needs its (empty) dims spelled out
        raise TypeError('permute() missing 1 required positional arguments: "dims"')
    geometry = _C.permute_args(x, dims)  # plain int dims: checked, and the view's geometry, in C++
    if geometry is not None:
        return _Permute.apply(x, *geometry)
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    nd = len(x._shape)
    if len(dims) != nd:
        raise RuntimeError(f"permute: number of dims {len(dims)} doesn't match the input's {nd} dims ({desc(x)})")
    dims = tuple(norm_dim("permute", d, nd) for d in dims)
    if sorted(dims) != list(range(nd)):
        raise RuntimeError(f"permute: repeated dim in {list(dims)}")
    return _Permute.apply(x, dims)


def transpose(x, dim0, dim1):
    geometry = _C.transpose_args(x, dim0, dim1)
    if geometry is not None:
        return _Permute.apply(x, *geometry)
    nd = len(x._shape)
    if nd == 0:
        norm_dim("transpose", dim0, 0), norm_dim("transpose", dim1, 0)
        return x
    d0, d1 = norm_dim("transpose", dim0, nd), norm_dim("transpose", dim1, nd)
    dims = list(range(nd))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return _Permute.apply(x, tuple(dims))


def t(x):
    if x.ndim > 2:
        raise RuntimeError(f"t: expects a tensor with <= 2 dimensions, got {desc(x)}")
    return transpose(x, 0, 1) if x.ndim == 2 else x


def unsqueeze(x, dim):
    shape = tuple(x._shape)
    d = norm_dim("unsqueeze", dim, len(shape) + 1)
    strides = tuple(x._strides)  # the new dim's stride: what a row-major view would give it
    return _Reshape.apply(x, shape[:d] + (1,) + shape[d:], False,
                          strides[:d] + ((strides[d] * shape[d] if d < len(shape) else 1),) + strides[d:])


def squeeze(x, dim=None):
    if dim is None:
        shape = [s for s in x.shape if s != 1]
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        ds = {norm_dim("squeeze", d, x.ndim) for d in dims}
        shape = [s for i, s in enumerate(x.shape) if not (i in ds and s == 1)]
    return reshape(x, tuple(shape))


def flatten(x, start_dim=0, end_dim=-1):
    if start_dim == 0 and end_dim == -1 and isinstance(x, Tensor):  # every dim: the same as reshape(-1)
        return reshape(x, -1)
    if x.ndim == 0:
        norm_dim("flatten", start_dim, 0), norm_dim("flatten", end_dim, 0)
        return reshape(x, (1,))
    s = norm_dim("flatten", start_dim, x.ndim)
    e = norm_dim("flatten", end_dim, x.ndim)
    if s > e:
        raise RuntimeError("flatten: start_dim cannot come after end_dim")
    shape = list(x.shape[:s]) + [math.prod(x.shape[s:e + 1])] + list(x.shape[e + 1:])
    return reshape(x, tuple(shape))


def unflatten(x, dim, sizes):
    d = norm_dim("unflatten", dim, x.ndim)
    sizes = list(sizes)
    if -1 in sizes:
        known = math.prod(s for s in sizes if s != -1)
        sizes[sizes.index(-1)] = x.shape[d] // known
    return reshape(x, tuple(x.shape[:d]) + tuple(sizes) + tuple(x.shape[d + 1:]))


class _Expand(Function):
    @staticmethod
    def forward(ctx, x, shape, strides=None):
        ctx.in_shape = x.shape
        return expand_view(x, shape) if strides is None else x._view(shape, strides)

    @staticmethod
    def backward(ctx, g):
        from ._util import unbroadcast
        return unbroadcast(g, ctx.in_shape), None, None


def expand(x, *shape):
    if not shape:  # torch: a 0-d tensor too needs its (empty) size spelled out
        raise TypeError('expand() missing 1 required positional arguments: "size"')
    geometry = _C.expand_args(x, shape)  # plain int sizes: checked, and the view's strides, in C++
    if geometry is not None:
        return x if geometry[0] == tuple(x._shape) else _Expand.apply(x, *geometry)
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if len(shape) < x.ndim:
        raise RuntimeError(f"expand: the number of sizes provided ({len(shape)}) must be greater or equal to the "
                           f"number of dimensions in the tensor ({x.ndim})")
    lead = len(shape) - x.ndim
    out = []
    for i, s in enumerate(shape):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"expand: -1 is not allowed in a leading, non-existing dimension ({list(shape)})")
            out.append(s)
            continue
        cur = x.shape[i - lead]
        if s == -1:
            s = cur
        if cur != s and cur != 1:
            raise RuntimeError(f"expand: the expanded size of the tensor ({s}) must match the existing size ({cur}) "
                               f"at non-singleton dimension {i}. Target sizes: {list(shape)}. Tensor sizes: "
                               f"{list(x.shape)}")
        out.append(s)
    out = tuple(out)
    return x if out == tuple(x.shape) else _Expand.apply(x, out)


def expand_as(x, other):
    check_tensor("expand_as", other, "other")
    return expand(x, other.shape)


def _narrow_view(x, dim, start, length):
    """x's elements [start, start + length) along dim, as a view (no autograd link)."""
    shape = list(x._shape)
    shape[dim] = length
    return x._view(shape, x._strides, x._offset + start * x._strides[dim])


class _Narrow(Function):
    @staticmethod
    def forward(ctx, x, dim, start, length):
        ctx.meta = (x.shape, x.dtype, dim, start)
        return _narrow_view(x, dim, start, length)

    @staticmethod
    def backward(ctx, g):
        from ..tensor import zeros
        shape, dtype, dim, start = ctx.meta
        if is_grad_enabled():  # create_graph: g between zero blocks, by the differentiable cat
            before = list(shape)
            before[dim] = start
            after = list(shape)
            after[dim] = shape[dim] - start - g.shape[dim]
            return cat([zeros(before, dtype=dtype, device=g.device), g,
                        zeros(after, dtype=dtype, device=g.device)], dim), None, None, None
        out = zeros(shape, dtype=dtype, device=g.device)
        narrow(out, dim, start, g.shape[dim]).copy_(g)
        return out, None, None, None


def narrow(x, dim, start, length):
    d = norm_dim("narrow", dim, x.ndim)
    size = x.shape[d]
    if start < 0:
        start += size
    if not (0 <= start <= size) or length < 0 or start + length > size:
        raise IndexError(f"narrow: start ({start}) + length ({length}) exceeds dimension size ({size}) of {desc(x)}")
    return _Narrow.apply(x, d, start, length)


class _Split(Function):
    """The pieces of split / chunk: views of consecutive runs of `sizes` along dim, one node
    (torch's SplitBackward) whose backward joins the pieces' gradients in one cat, a zero
    block for a piece that got none, where a node per piece (narrow) zero-filled a
    full-size gradient for each and the engine summed them."""

    @staticmethod
    def forward(ctx, x, dim, sizes):
        ctx.set_materialize_grads(False)
        ctx.meta = (x.shape, x.dtype, dim, sizes)
        pieces, start = [], 0
        for s in sizes:
            pieces.append(_narrow_view(x, dim, start, s))
            start += s
        return tuple(pieces)

    @staticmethod
    def backward(ctx, *grads):
        from ..tensor import zeros
        shape, dtype, dim, sizes = ctx.meta
        device = next(g.device for g in grads if g is not None)
        if len(grads) == 1:
            return grads[0], None, None
        if any(g is None for g in grads) and not is_grad_enabled():  # zeros, and each piece's gradient copied in
            out, start = zeros(shape, dtype=dtype, device=device), 0
            for g, s in zip(grads, sizes):
                if g is not None:
                    narrow(out, dim, start, s).copy_(g)
                start += s
            return out, None, None
        parts = []
        for g, s in zip(grads, sizes):
            if g is None:
                piece = list(shape)
                piece[dim] = s
                g = zeros(piece, dtype=dtype, device=device)
            parts.append(g)
        return cat(parts, dim), None, None


def split(x, split_size_or_sections, dim=0):
    d = norm_dim("split", dim, x.ndim)
    size = x.shape[d]
    split_size_or_sections = index_arg(split_size_or_sections)
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step < 0 or (step == 0 and size != 0):  # (torch: 0 only for an empty dim)
            raise ValueError(f"split: split_size must be positive (0 only for an empty dim), got {step} for "
                             f"dim {d} of size {size}")
        step = step or 1
        sizes = [min(step, size - i) for i in range(0, size, step)] or [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != size:
            raise ValueError(f"split: split_sizes {sizes} do not sum to the size {size} of dim {d} of {desc(x)}")
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"split: split_sizes must be non-negative, got {sizes} for dim {d} of {desc(x)}")
    pieces = _Split.apply(x, d, tuple(sizes))
    return pieces if isinstance(pieces, tuple) else (pieces,)


def chunk(x, chunks, dim=0):
    d = norm_dim("chunk", dim, x.ndim)
    chunks = index_arg(chunks)
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    if x.shape[d] == 0:  # torch: `chunks` empty pieces
        return tuple(narrow(x, d, 0, 0) for _ in range(chunks))
    return split(x, -(-x.shape[d] // chunks), d)


def unbind(x, dim=0):
    d = norm_dim("unbind", dim, x.ndim)
    return tuple(squeeze(narrow(x, d, i, 1), d) for i in range(x.shape[d]))


class _Cat(Function):
    @staticmethod
    def forward(ctx, dim, *xs):
        out = _C.cpu_cat_new(xs, dim, True, False)  # contiguous CPU inputs of one dtype: one C++ call
        if out is not None:
            ctx.sizes = [(x._shape[dim], x._dtype) for x in xs]
            ctx.dim = dim
            return out
        from .. import dtypes as _dt
        dt = _dt.result_type(*xs)
        shape = list(xs[0].shape)
        shape[dim] = sum(x.shape[dim] for x in xs)
        out = empty(shape, dt, xs[0].device)
        start = 0
        ctx.sizes = []
        for x in xs:
            n = x.shape[dim]
            dst = out._view([*x.shape[:dim], n, *x.shape[dim + 1:]], out._strides, start * out._strides[dim])
            backend(out, "cat").copy(x, dst)
            start += n
            ctx.sizes.append((n, x.dtype))
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx, g):
        grads, start = [None], 0
        for n, dt in ctx.sizes:
            gi = narrow(g, ctx.dim, start, n)
            grads.append(gi if gi.dtype is dt else gi.to(dt))
            start += n
        return tuple(grads)


def cat(tensors, dim=0):
    if _amp.on and _amp.here(): return _amp.run("cat", cat, tensors, dim)  # autocast
    if type(dim) is int:  # no graph to record: one C++ call (csrc/bind/bind_cat_new.cpp) where it takes the case
        out = _C.cpu_cat_new(tensors, dim, not _grad_mode.enabled, False)
        if out is not None:
            return out
    if isinstance(tensors, Tensor):  # torch: a sequence of Tensors (iterating one would cat its slices)
        raise TypeError(f"cat(): argument 'tensors' must be tuple of Tensors, not Tensor ({desc(tensors)})")
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: expected a non-empty list of Tensors")
    for i, x in enumerate(tensors):
        check_tensor("cat", x, f"tensors[{i}]")
    same_device("cat", *tensors)
    # legacy rule kept by PyTorch: 1-D empty tensors are skipped
    nonempty = [x for x in tensors if not (x.ndim == 1 and x.shape[0] == 0)] or tensors[:1]
    ref = nonempty[0]
    d = norm_dim("cat", dim, ref.ndim)
    for x in nonempty:
        if x.ndim != ref.ndim or any(a != b for i, (a, b) in enumerate(zip(x.shape, ref.shape)) if i != d):
            raise ValueError(f"cat: sizes of tensors must match except in dimension {d}; got "
                             + ", ".join(desc(t) for t in tensors))
    return _Cat.apply(d, *nonempty)


concat = concatenate = cat


def stack(tensors, dim=0):
    if _amp.on and _amp.here(): return _amp.run("stack", stack, tensors, dim)  # autocast
    if type(dim) is int:  # as cat
        out = _C.cpu_cat_new(tensors, dim, not _grad_mode.enabled, True)
        if out is not None:
            return out
    if isinstance(tensors, Tensor):
        raise TypeError(f"stack(): argument 'tensors' must be tuple of Tensors, not Tensor ({desc(tensors)})")
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: expected a non-empty list of Tensors")
    for i, x in enumerate(tensors):
        check_tensor("stack", x, f"tensors[{i}]")
    if any(tuple(x.shape) != tuple(tensors[0].shape) for x in tensors):
        raise ValueError("stack: expects each tensor to be equal size, got " + ", ".join(desc(t) for t in tensors))
    d = norm_dim("stack", dim, tensors[0].ndim + 1)
    return cat([unsqueeze(x, d) for x in tensors], d)


def copy_with_strides(x, strides=None, dtype=None):
    """A copy of x's values (no autograd; converted to `dtype` if given) in new storage
    laid out with `strides` (dense, from memory_format.py), or row-major."""
    dtype = x.dtype if dtype is None else dtype
    if strides is None or strides == contiguous_strides(x.shape):
        out = empty(x.shape, dtype, x.device)
    else:
        span = empty((sum((s - 1) * st for s, st in zip(x.shape, strides)) + 1,), dtype, x.device)
        out = Tensor._make(span._buf, dtype, x.shape, strides, 0, x.device)
    backend(x, "clone").copy(x, out)
    return out


class _Clone(Function):
    @staticmethod
    def forward(ctx, x, strides=None):
        return copy_with_strides(x, strides)

    @staticmethod
    def backward(ctx, g):
        return g, None


def clone(x, *, memory_format=_mf.preserve_format):
    """A copy with its own storage; preserve_format (torch's default) keeps x's strides
    when they are dense, as torch does."""
    if memory_format is _mf.preserve_format and tuple(x._strides) == contiguous_strides(x._shape):
        return _Clone.apply(x)  # row-major (size-1 dims' strides too) stays row-major
    _mf.check_format("clone", memory_format)
    if x.numel() == 0:
        return _Clone.apply(x)
    return _Clone.apply(x, _mf.target_strides("clone", x, memory_format))


def contiguous(x, memory_format=_mf.contiguous_format):
    if memory_format is _mf.contiguous_format:
        return x if x.is_contiguous() else _Clone.apply(x)
    _mf.check_format("contiguous", memory_format)
    if memory_format is _mf.preserve_format:
        raise RuntimeError("contiguous: preserve memory format is unsupported by the contiguous operator")
    if _mf.is_contiguous_as(tuple(x.shape), tuple(x.stride()), memory_format):
        return x
    return _Clone.apply(x, _mf.format_strides("contiguous", tuple(x.shape), memory_format))


class _Repeat(Function):
    @staticmethod
    def forward(ctx, x, reps):
        lead = len(reps) - x.ndim
        shape = (1,) * lead + tuple(x.shape)
        ctx.meta = (x.shape, shape, reps)
        # view as (1, s0, 1, s1, ...) expanded to (r0, s0, r1, s1, ...), then copy
        inter_shape, inter_strides = [], []
        strides = (0,) * lead + tuple(x._strides)
        for r, s, st in zip(reps, shape, strides):
            inter_shape += [r, s]
            inter_strides += [0, st]
        src = x._view(inter_shape, inter_strides)
        out = empty(inter_shape, x.dtype, x.device)
        backend(x, "repeat").copy(src, out)
        final = [r * s for r, s in zip(reps, shape)]
        return out._view(final, contiguous_strides(final))

    @staticmethod
    def backward(ctx, g):
        in_shape, shape, reps = ctx.meta
        inter = []
        for r, s in zip(reps, shape):
            inter += [r, s]
        g = g.reshape(inter).sum(dim=list(range(0, len(inter), 2)))
        return g.reshape(in_shape), None


def repeat(x, *reps):
    if len(reps) == 1 and isinstance(reps[0], (tuple, list)):
        reps = tuple(reps[0])
    if len(reps) < x.ndim:
        raise RuntimeError(f"repeat: number of repeat dims ({len(reps)}) can not be smaller than the number of "
                           f"dimensions of {desc(x)}")
    return _Repeat.apply(x, tuple(int(r) for r in reps))


def movedim(x, source, destination):
    nd = x.ndim
    s, d = norm_dim("movedim", source, nd), norm_dim("movedim", destination, nd)
    order = [i for i in range(nd) if i != s]
    order.insert(d, s)
    return permute(x, order)


class _Flip(Function):
    """x reversed along dims (normalised, distinct): a copy, as torch's (fastdl has no
    negative strides), by the flip kernel of x's device; the gradient is g flipped back."""

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        out = empty(x.shape, x.dtype, x.device)
        backend(x, "flip").flip(x, out, dims)
        return out

    @staticmethod
    def backward(ctx, g):
        return _Flip.apply(g, ctx.dims), None


def flip(x, dims):
    """x reversed along dims."""
    check_tensor("flip", x)
    if dims is None:
        raise TypeError("flip: dims must be an int or a list/tuple of ints, got None")
    dims = norm_dims("flip", dims, x.ndim)
    return _Flip.apply(x, [d for d in dims if x.shape[d] > 1] if x.ndim else [])


def _tri(op, x, diagonal, upper):
    """where(mask, x, 0) over the last two dims: the gradient reaches only the kept entries."""
    check_tensor(op, x)
    if x.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions, got {desc(x)}")
    diagonal = index_arg(diagonal)
    if not isinstance(diagonal, numbers.Integral) or isinstance(diagonal, bool):
        raise TypeError(f"{op}: diagonal must be an int, got {diagonal!r}")
    from ..tensor import arange
    from .elementwise import where
    m, n = x.shape[-2], x.shape[-1]
    col, row_bound = arange(n, device=x.device), arange(int(diagonal), m + int(diagonal), device=x.device).reshape(m, 1)
    keep = col >= row_bound if upper else col <= row_bound  # column - row against the diagonal, one broadcast compare
    zero = False if x.dtype.category == 0 else 0 if x.dtype.category == 1 else 0.0  # keeps x's dtype
    return where(keep, x, zero)


def tril(x, diagonal=0):
    return _tri("tril", x, diagonal, False)


def triu(x, diagonal=0):
    return _tri("triu", x, diagonal, True)
