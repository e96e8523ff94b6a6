"""More indexing and shape ops (torch names and rules): diagonal (a strided view), trace,
diag, diag_embed, triu_indices / tril_indices, diff, take_along_dim, scatter (out of
place; Tensor.scatter_ in _methods.py) and index_fill.

diagonal and diag_embed are Functions (each one's backward is the other); the rest are
composed from differentiable ops (narrow, cat, gather, where) or, for scatter, a Function
whose forward writes into a clone (the CPU scatter kernels, or index_put) and whose
backward gathers.
"""
import numbers

from .. import _C
from .. import dtypes as _dt
from ..autograd import Function, no_grad
from ..tensor import Tensor, contiguous_strides
from .int_narrow import IntDtypeError, index_int64
from ._util import check_tensor, desc, expand_view, index_arg, norm_dim, records_graph, same_device, scalar_tensor
from .elementwise import assign_, check_write
from ..amp import autocast_mode as _amp


# ---- diagonal / diag_embed ------------------------------------------------------------

def _diag_geometry(shape, strides, offset, d1, d2):
    """(shape, strides, element offset) of the diagonal view: d1, d2 removed, the diagonal appended."""
    n1, n2 = shape[d1], shape[d2]
    if offset >= 0:
        length, start = max(0, min(n1, n2 - offset)), offset * strides[d2]
    else:
        length, start = max(0, min(n1 + offset, n2)), -offset * strides[d1]
    if length == 0:
        start = 0
    keep = [d for d in range(len(shape)) if d not in (d1, d2)]
    return ([shape[d] for d in keep] + [length], [strides[d] for d in keep] + [strides[d1] + strides[d2]], start)


def _diag_view(x, offset, d1, d2):
    shape, strides, start = _diag_geometry(x.shape, x._strides, offset, d1, d2)
    return x._view(shape, strides, x._offset + start)


class _Diagonal(Function):
    @staticmethod
    def forward(ctx, x, offset, d1, d2):
        ctx.meta = (tuple(x.shape), x.dtype, offset, d1, d2)
        return _diag_view(x, offset, d1, d2)

    @staticmethod
    def backward(ctx, g):
        shape, dtype, offset, d1, d2 = ctx.meta
        return _DiagonalAdjoint.apply(g, shape, offset, d1, d2), None, None, None


class _DiagonalAdjoint(Function):
    """_Diagonal's backward as an op (g written on the diagonal of zeros), whose own
    gradient is the diagonal again: gradients through diagonal differentiate twice."""

    @staticmethod
    def forward(ctx, g, shape, offset, d1, d2):
        from ..tensor import zeros
        ctx.meta = (offset, d1, d2)
        out = zeros(shape, dtype=g.dtype, device=g.device)
        _diag_view(out, offset, d1, d2).copy_(g)
        return out

    @staticmethod
    def backward(ctx, gg):
        return (_Diagonal.apply(gg, *ctx.meta),) + (None,) * 4


def _check_dims(op, x, dim1, dim2, ndim):
    d1, d2 = norm_dim(op, dim1, ndim), norm_dim(op, dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"{op}: dim1 and dim2 cannot be identical ({dim1}, {dim2}) for {desc(x)}")
    return d1, d2


def _check_offset(op, offset):
    offset = index_arg(offset)
    if not isinstance(offset, numbers.Integral) or isinstance(offset, bool):
        raise TypeError(f"{op}: offset must be an int, got {offset!r}")
    return int(offset)


def diagonal(input, offset=0, dim1=0, dim2=1):
    check_tensor("diagonal", input)
    if input.ndim < 2:
        raise RuntimeError(f"diagonal: input must have at least 2 dimensions, got {desc(input)}")
    d1, d2 = _check_dims("diagonal", input, dim1, dim2, input.ndim)
    return _Diagonal.apply(input, _check_offset("diagonal", offset), d1, d2)


class _DiagEmbed(Function):
    @staticmethod
    def forward(ctx, x, offset, d1, d2):
        from ..tensor import zeros
        n = x.shape[-1] + abs(offset)
        rest = list(x.shape[:-1])
        shape = []
        for d in range(x.ndim + 1):
            shape.append(n if d in (d1, d2) else rest.pop(0))
        out = zeros(shape, dtype=x.dtype, device=x.device)
        with no_grad():
            _diag_view(out, offset, d1, d2).copy_(x)
        ctx.meta = (offset, d1, d2)
        return out

    @staticmethod
    def backward(ctx, g):
        offset, d1, d2 = ctx.meta
        return _diag_view(g, offset, d1, d2).contiguous(), None, None, None


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    check_tensor("diag_embed", input)
    if input.ndim < 1:
        raise RuntimeError(f"diag_embed: input must have at least 1 dimension, got {desc(input)}")
    d1, d2 = _check_dims("diag_embed", input, dim1, dim2, input.ndim + 1)
    return _DiagEmbed.apply(input, _check_offset("diag_embed", offset), d1, d2)


def trace(input):
    if _amp.on and _amp.here(): return _amp.run("trace", trace, input)  # autocast
    check_tensor("trace", input)
    if input.dtype.name == "bool":
        raise NotImplementedError(f"trace: not implemented for bool tensors, got {desc(input)}")
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, got {desc(input)}")
    return diagonal(input).sum()


def diag(input, diagonal=0):
    check_tensor("diag", input)
    k = _check_offset("diag", diagonal)
    if input.ndim == 1:
        return diag_embed(input, k, 0, 1)
    if input.ndim == 2:
        return _Diagonal.apply(input, k, 0, 1).clone()
    raise RuntimeError(f"diag: input must be 1-D or 2-D, got {desc(input)}")


def _tri_indices(op, row, col, offset, upper, dtype, device):
    for v in (row, col, offset):
        if not isinstance(v, numbers.Integral) or isinstance(v, bool):
            raise TypeError(f"{op}: row, col and offset must be ints, got {row!r}, {col!r}, {offset!r}")
    if row < 0 or col < 0:
        raise RuntimeError(f"{op}: row and col must be non-negative, got {row} and {col}")
    if dtype is not None and _dt.to_dtype(dtype) not in (_dt.int64, _dt.int32):
        raise NotImplementedError(f"{op}: not implemented for dtype {_dt.to_dtype(dtype).name}; "
                                  f"the indices are int64 or int32")
    from ..tensor import empty
    row, col, offset = int(row), int(col), int(offset)
    # (2, n) row / column coordinates in row-major order, written by the CPU kernel
    # (csrc/cpu/tri_indices.h); a device gets them copied over.
    out = empty((2, _C.cpu.tri_count(row, col, offset, upper)), dtype=dtype or _dt.int64)
    _C.cpu.tri_indices(out, row, col, offset, upper)
    return out if device is None else out.to(device)


def triu_indices(row, col, offset=0, *, dtype=None, device=None):
    return _tri_indices("triu_indices", row, col, offset, True, dtype, device)


def tril_indices(row, col, offset=0, *, dtype=None, device=None):
    return _tri_indices("tril_indices", row, col, offset, False, dtype, device)


# ---- diff / take_along_dim --------------------------------------------------------------

def diff(input, n=1, dim=-1, prepend=None, append=None):
    from .shape import cat, narrow
    from .elementwise import logical_xor
    check_tensor("diff", input)
    if input.ndim == 0:
        raise RuntimeError(f"diff: expects input to be at least one-dimensional, got {desc(input)}")
    if not isinstance(n, numbers.Integral) or n < 0:
        raise RuntimeError(f"diff: order n must be non-negative, got {n!r}")
    d = norm_dim("diff", dim, input.ndim)
    parts = []
    for name, t in (("prepend", prepend), ("append", append)):
        if t is None:
            continue
        if not isinstance(t, Tensor):
            from ..tensor import tensor
            t = tensor(t, dtype=input.dtype, device=input.device)
        if t.ndim == 0:  # a scalar: one slice along dim, as NumPy
            t = t.reshape([1] * input.ndim).expand([1 if i == d else s for i, s in enumerate(input.shape)])
        if t.ndim != input.ndim:
            raise RuntimeError(f"diff: {name} {desc(t)} must have the same number of dimensions as input {desc(input)}")
        parts.append((name, t))
    x = input
    if parts:
        x = cat([p for nm, p in parts if nm == "prepend"] + [input] + [p for nm, p in parts if nm == "append"], d)
    for _ in range(int(n)):
        m = x.shape[d]
        if m == 0:
            break
        a, b = narrow(x, d, 1, m - 1), narrow(x, d, 0, m - 1)
        x = logical_xor(a, b) if x.dtype is _dt.bool_ else a - b
    return x


def take_along_dim(input, indices, dim=None):
    from .indexing import gather
    check_tensor("take_along_dim", input)
    check_tensor("take_along_dim", indices, "indices")
    same_device("take_along_dim", input, indices)
    if dim is None:  # torch takes int32 indices here, but not with a dim
        return gather(input.reshape(-1), 0, index_int64("take_along_dim", indices, "indices").reshape(-1))
    if indices.dtype is not _dt.int64:
        raise IntDtypeError(f"take_along_dim: indices must be an int64 tensor when dim is given, got {desc(indices)}")
    if input.ndim != indices.ndim:
        raise RuntimeError(f"take_along_dim: input {desc(input)} and indices {desc(indices)} must have the same "
                           f"number of dimensions")
    d = norm_dim("take_along_dim", dim, input.ndim)
    shape = []
    for i, (a, b) in enumerate(zip(input.shape, indices.shape)):
        if i == d:
            shape.append(None)
        elif a == b or b == 1 or a == 1:
            shape.append(max(a, b) if min(a, b) != 0 else 0)
        else:
            raise RuntimeError(f"take_along_dim: input {desc(input)} and indices {desc(indices)} do not broadcast "
                               f"outside dim {d}")
    xs = [s if s is not None else input.shape[d] for s in shape]
    ix = [s if s is not None else indices.shape[d] for s in shape]
    x = input if tuple(input.shape) == tuple(xs) else input.expand(xs)
    idx = indices if tuple(indices.shape) == tuple(ix) else indices.expand(ix)
    return gather(x, d, idx.contiguous())


# ---- scatter / index_fill -------------------------------------------------------------

def _scatter_linear(shape, dim, index):
    """Linear positions (in a contiguous tensor of `shape`) that index writes along dim."""
    from ..tensor import arange
    strides = contiguous_strides(list(shape))
    lin = index * strides[dim]
    for d in range(index.ndim):
        if d == dim:
            continue
        coord = arange(index.shape[d], device=index.device).reshape([-1 if i == d else 1 for i in range(index.ndim)])
        lin = lin + coord * strides[d]
    return lin.reshape(-1)


def _src_view(src, index):
    return src[tuple(slice(0, s) for s in index.shape)]


_SCATTER_KERNEL_DTYPES = frozenset((_dt.float32, _dt.float64, _dt.int64, _dt.bool_))


def _kernel_scatters(t):
    return t._device.type == "cpu" and t._dtype in _SCATTER_KERNEL_DTYPES


def _scatter_into(out, dim, index, vals, reduce):
    """out (contiguous) with vals (src or a number) written (reduce None: a repeated index
    keeps the last) or added (reduce 'add') at index along dim: the CPU kernels for their
    dtypes, else (CUDA, narrow and complex dtypes) index_put / index_add_ at the linear
    positions."""
    if _kernel_scatters(out):
        if not isinstance(vals, Tensor):
            vals = expand_view(scalar_tensor(vals, out._dtype, out._device), index.shape)
        try:
            (_C.cpu.scatter if reduce is None else _C.cpu.scatter_add)(out, dim, index, vals)
        except IndexError as e:  # the kernel's bounds check (before any write): name the tensor too
            raise IndexError(f"{e} ({desc(out)})") from None
        return
    lin = _scatter_linear(out.shape, dim, index)
    flat = out.reshape(-1)
    vals = _src_view(vals, index).reshape(-1) if isinstance(vals, Tensor) else vals
    if reduce is None:
        flat[lin] = vals
    else:  # "add": duplicates accumulate
        from .indexing import index_add_
        if not isinstance(vals, Tensor):
            from ..tensor import full
            vals = full((lin.shape[0],), vals, dtype=out.dtype, device=out.device)
        index_add_(flat, 0, lin, vals.contiguous())


class _Scatter(Function):
    @staticmethod
    def forward(ctx, x, dim, index, src, reduce):
        with no_grad():
            out = x.contiguous().clone()
            _scatter_into(out, dim, index, src, reduce)
        ctx.meta = (dim, reduce, tuple(src.shape) if isinstance(src, Tensor) else None)
        ctx.save_for_backward(index)
        return out

    @staticmethod
    def backward(ctx, g):
        from .indexing import gather
        from ..tensor import zeros
        dim, reduce, src_shape = ctx.meta
        index, = ctx.saved_tensors
        gx = g.contiguous().clone()
        if reduce is None:
            _scatter_into(gx, dim, index, 0.0, None)
        gsrc = None
        if src_shape is not None:
            gi = gather(g, dim, index)
            if tuple(gi.shape) == src_shape:
                gsrc = gi
            else:
                gsrc = zeros(src_shape, dtype=g.dtype, device=g.device)
                _src_view(gsrc, index).copy_(gi)
        return gx, None, None, gsrc, None


def _scatter_args(input, dim, index, src, value, reduce):
    """(dim, index, src) checked and normalised as torch's scatter takes them."""
    check_tensor("scatter", input)
    if src is None and value is None:
        raise TypeError("scatter: give src (a tensor) or value (a number)")
    if src is not None and value is not None:
        raise TypeError("scatter: give either src or value, not both")
    if src is None:
        src = value
    if not isinstance(src, Tensor) and not isinstance(src, (numbers.Number,)):
        raise TypeError(f"scatter: src must be a Tensor or a number, got {type(src).__name__}")
    if isinstance(src, Tensor) and src.ndim == 0 and input.ndim != 0:
        src = src.item()  # torch: a 0-d src is a value
    if reduce == "multiply":
        raise NotImplementedError("scatter: reduce='multiply' is not supported by fastdl; use reduce=None or 'add'")
    if reduce not in (None, "add"):
        raise ValueError(f"scatter: reduce must be None, 'add' or 'multiply', got {reduce!r}")
    d = norm_dim("scatter", dim, max(input.ndim, 1))
    check_tensor("scatter", index, "index")
    same_device("scatter", input, index)
    index = index_int64("scatter", index)
    if index.ndim == 0 and input.ndim == 1:  # torch reads a 0-d index as 1-d (one-hot: zeros(n).scatter_(0, t, 1))
        index = index.reshape(1)
    if index.ndim != input.ndim:
        raise RuntimeError(f"scatter: index {desc(index)} must have the same number of dimensions as input "
                           f"{desc(input)}")
    for i in range(index.ndim):
        if i != d and index.shape[i] > input.shape[i]:
            raise RuntimeError(f"scatter: index {desc(index)} is larger than input {desc(input)} outside dim {d}")
        if isinstance(src, Tensor) and index.shape[i] > src.shape[i]:
            raise RuntimeError(f"scatter: index {desc(index)} is larger than src {desc(src)} in dim {i}")
    if isinstance(src, Tensor):
        same_device("scatter", input, src)
        if src.dtype is not input.dtype:
            raise RuntimeError(f"scatter: expected src to have the dtype of input, got {desc(src)} and {desc(input)}")
        if src.ndim != input.ndim:
            raise RuntimeError(f"scatter: src {desc(src)} must have the same number of dimensions as input "
                               f"{desc(input)}")
    if index.numel() and not (reduce is None and _kernel_scatters(input)):  # (that kernel checks as torch)
        lo, hi = int(index.min()), int(index.max())
        n = input.shape[d]
        if lo < 0 or hi >= n:
            raise IndexError(f"scatter: index {lo if lo < 0 else hi} is out of bounds for dimension {d} with size {n} "
                             f"({desc(input)})")
    return d, index, src


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    d, index, src = _scatter_args(input, dim, index, src, value, reduce)
    if input.ndim == 0:
        return _Scatter.apply(input.reshape(1), 0, index.reshape(1), src if not isinstance(src, Tensor)
                              else src.reshape(1), reduce).reshape(())
    return _Scatter.apply(input, d, index, src, reduce)


def scatter_(input, dim, index, src=None, value=None, *, reduce=None):
    """Tensor.scatter_: without a graph, the kernel writes straight into a contiguous CPU
    input (src in other memory); otherwise the out-of-place result is assigned back."""
    d, index, src = _scatter_args(input, dim, index, src, value, reduce)
    if (input.ndim and input.is_contiguous() and _kernel_scatters(input) and not records_graph(input, src)
            and not (isinstance(src, Tensor) and src._buf is input._buf) and index._buf is not input._buf):
        check_write(input, "scatter_")
        _scatter_into(input, d, index, src, reduce)
        input._buf.version += 1
        return input
    return assign_(input, scatter(input, dim, index, src, reduce=reduce), "scatter_")


def index_fill(input, dim, index, value):
    from .elementwise import where
    from ..tensor import zeros
    check_tensor("index_fill", input)
    check_tensor("index_fill", index, "index")
    same_device("index_fill", input, index)
    if index.dtype is not _dt.int64:  # (torch refuses int32 here too)
        raise IntDtypeError(f"index_fill: index must be an int64 tensor, got {desc(index)}")
    if index.ndim > 1:
        raise IndexError(f"index_fill: index should have at most 1 dimension, got {desc(index)}")
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(f"index_fill: only 0-dim value tensors are supported, got {desc(value)}")
    d = norm_dim("index_fill", dim, max(input.ndim, 1))
    n = input.shape[d] if input.ndim else 1
    idx = index.reshape(-1)
    if idx.numel():
        lo, hi = int(idx.min()), int(idx.max())
        if lo < -n or hi >= n:
            raise IndexError(f"index_fill: index {lo if lo < -n else hi} is out of bounds for dimension {d} with "
                             f"size {n} ({desc(input)})")
        idx = where(idx < 0, idx + n, idx)
    mask = zeros((n,), dtype=_dt.bool_, device=input.device)
    if idx.numel():
        mask[idx] = True
    if input.ndim:
        mask = mask.reshape([n if i == d else 1 for i in range(input.ndim)])
    else:
        mask = mask.reshape(())
    if isinstance(value, Tensor) and value.dtype is not input.dtype:
        value = value.to(input.dtype)
    out = where(mask, value, input)
    return out if out.dtype is input.dtype else out.to(input.dtype)
