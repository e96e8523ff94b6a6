"""Indexing: t[key] and t[key] = v (basic and advanced, NumPy rules), gather,
index_select, scatter_add, masked_fill, nonzero, one_hot.

Basic indexing (ints, slices, None, ...) is a view. Advanced indexing (integer or
bool tensors/lists) turns the indices into one linear index per result element, then
gathers with index_select on the flattened input (differentiable through index_add),
or writes with index_put on a flat view of the buffer for assignment.
"""
import math
import numbers

import numpy as np

from .. import _C, dtypes as _dt
from .int_narrow import IntDtypeError
from ..autograd import Function, _state as _grad_mode
from ..tensor import Tensor, tensor as _tensor
from ._util import (backend, broadcast_shapes, index_backend, check_tensor, desc, empty, expand_view, norm_dim,
                    same_device, scalar_tensor)
from .int_narrow import index_int64
from . import index_host as _host


# ---- key parsing --------------------------------------------------------------------

def _as_index_tensor(k, dev):
    if isinstance(k, Tensor):
        t = k
    else:
        arr = np.asarray(k)
        if arr.dtype == object or (arr.size and arr.dtype.kind not in "biu"):
            raise IndexError(f"tensors used as indices must be long or bool tensors, got {k!r}")
        t = _tensor(arr if arr.size else arr.astype(np.int64))
    if t.dtype.category == 2 or t.dtype in (_dt.int16, _dt.int8):
        raise IndexError(f"tensors used as indices must be long or bool tensors (or int32, or uint8 masks), got {desc(t)}")
    if t.dtype is _dt.int32:  # torch takes int32 indices; the kernels read int64
        t = t.to(_dt.int64)
    if t.device != dev:
        t = t.to(dev)
    return t


def _parse(x, key):
    """Applies the basic part of key; returns (view, [(dim_in_view, index)]): each index an
    int64 / int32 tensor on x's device, or for a CPU x a NumPy array of the index values."""
    if not isinstance(key, tuple):
        key = (key,)
    if any(isinstance(k, Tensor) and k.dtype is _dt.uint8 for k in key):
        import warnings  # torch's deprecated uint8 masks: a bool mask, with torch's warning
        warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool instead.",
                      UserWarning, stacklevel=3)
        key = tuple(k.to(_dt.bool_) if isinstance(k, Tensor) and k.dtype is _dt.uint8 else k for k in key)
    consumed = 0
    for k in key:
        if k is None or k is Ellipsis:
            continue
        if isinstance(k, (Tensor, np.ndarray)) and getattr(k, "dtype", None) in (_dt.bool_, np.bool_):
            consumed += max(k.ndim, 1) if k.ndim else 0
        elif isinstance(k, bool):
            continue
        else:
            consumed += 1
    if consumed > x.ndim:
        raise IndexError(f"too many indices for tensor of dimension {x.ndim} (got {consumed})")
    if sum(1 for k in key if k is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if Ellipsis in [k for k in key if not isinstance(k, (Tensor, np.ndarray, list))]:
        i = next(i for i, k in enumerate(key) if k is Ellipsis and not isinstance(k, (Tensor, np.ndarray, list)))
        key = key[:i] + (slice(None),) * (x.ndim - consumed) + key[i + 1:]
    shape, strides, offset = [], [], x._offset
    adv = []  # (position in the view, index)
    d = 0
    for k in key:
        if k is None:
            shape.append(1)
            strides.append(0)
        elif isinstance(k, bool):
            # t[True] adds a dim of size 1; t[False] one of size 0
            pick = [0] if k else []
            adv.append((len(shape), np.array(pick, dtype=np.int64) if x._device.type == "cpu"
                        else _tensor(pick, dtype=_dt.int64, device=x.device)))
            shape.append(1)
            strides.append(0)
        elif isinstance(k, slice):
            size = x.shape[d]
            start, stop, step = k.indices(size)
            if step <= 0:
                raise ValueError("step must be greater than zero")
            n = max(0, (stop - start + step - 1) // step)
            shape.append(n)
            strides.append(x._strides[d] * step)
            offset += (start if n else 0) * x._strides[d]
            d += 1
        elif isinstance(k, numbers.Integral) or (isinstance(k, Tensor) and k.ndim == 0 and
                                                  k.dtype in (_dt.int64, _dt.int32) and not isinstance(k, bool)):
            i = int(k)
            size = x.shape[d]
            if not -size <= i < size:
                raise IndexError(f"index {i} is out of bounds for dimension {d} with size {size}")
            offset += (i % size) * x._strides[d]
            d += 1
        else:
            t = _as_index_tensor(k, x.device)
            host = t._device.type == "cpu"  # CPU indices stay NumPy arrays: index_host does their arithmetic
            if t.dtype is _dt.bool_:
                m = t.ndim
                if tuple(t.shape) != tuple(x.shape[d:d + m]):
                    raise IndexError(f"the shape of the mask {list(t.shape)} does not match the shape of the "
                                     f"indexed tensor {list(x.shape)} starting at dimension {d}")
                cols = np.nonzero(t._np_view()) if host else nonzero(t, as_tuple=True)
                for col in cols:
                    adv.append((len(shape), col))
                    shape.append(x.shape[d])
                    strides.append(x._strides[d])
                    d += 1
            else:
                adv.append((len(shape), t._np_view() if host else t))
                shape.append(x.shape[d])
                strides.append(x._strides[d])
                d += 1
    shape += list(x.shape[d:])
    strides += list(x._strides[d:])
    return x._view(shape, strides, offset), adv


def _linear_index(op, vshape, vstrides, adv, offset=0):
    """(flat, out_shape): the element offsets offset + sum_dim idx_dim * stride_dim of the
    result's elements, as a contiguous 1-D int64 tensor in the result's row-major order.

    Advanced dims broadcast together to S; S goes where the first advanced dim was when
    they are adjacent, else in front (NumPy's rule)."""
    from ..tensor import arange
    positions = [p for p, _ in adv]
    idx_shape = broadcast_shapes(op, *[t.shape for _, t in adv])
    adjacent = positions == list(range(positions[0], positions[0] + len(positions)))
    rest = [i for i in range(len(vshape)) if i not in positions]
    front = positions[0] if adjacent else 0
    rest_before = [i for i in rest if i < front] if adjacent else []
    rest_after = [i for i in rest if i not in rest_before]
    if isinstance(adv[0][1], np.ndarray):  # a CPU tensor's indices: arithmetic on the host (index_host.py)
        return _host.linear_index(op, vshape, vstrides, adv, positions, idx_shape, rest_before, rest_after, offset)
    out_shape = [vshape[i] for i in rest_before] + list(idx_shape) + [vshape[i] for i in rest_after]
    nd, k = len(out_shape), len(idx_shape)
    dev = adv[0][1].device
    lin = None
    for p, t in adv:
        size = vshape[p]
        t = t.to(_dt.int64) if t.dtype is not _dt.int64 else t
        if t.numel():
            lo, hi = int(t.min()), int(t.max())
            bad = lo if lo < -size else hi if hi >= size else None
            if bad is not None:
                raise IndexError(f"index {bad} is out of bounds for dimension {p} with size {size}")
            if lo < 0:
                t = t + (t < 0).to(_dt.int64) * size
        term = t * vstrides[p]
        shape = [1] * len(rest_before) + [1] * (k - t.ndim) + list(t.shape) + [1] * len(rest_after)
        term = term.reshape(shape)
        lin = term if lin is None else lin + term
    for j, i in enumerate(rest_before + rest_after):
        pos = j if j < len(rest_before) else j + k
        shape = [1] * nd
        shape[pos] = vshape[i]
        term = (arange(vshape[i], device=dev) * vstrides[i]).reshape(shape)
        lin = lin + term
    lin = expand_view(lin, out_shape)
    return (lin + offset if offset else lin).reshape(-1), out_shape


def getitem(x, key):
    check_tensor("getitem", x)
    if type(key) is int and x._shape and -x._shape[0] <= key < x._shape[0]:  # x[i]: the view without _parse
        shape, strides = tuple(x._shape), x._strides
        v = x._view(shape[1:], strides[1:], x._offset + (key % shape[0]) * strides[0])
        return _Basic.apply(x, key, (v,))
    if type(key) is tuple or type(key) is slice:  # a basic key's view worked out in one C++ call
        geometry = _C.basic_view_args(x, key)
        if geometry is not None:
            return _Basic.apply(x, key, (x._view(*geometry),))
    if x._device.type == "cpu" and x._shape and (isinstance(key, Tensor) or (
            type(key) is tuple and key and isinstance(key[0], Tensor))):
        # index tensors only: one C++ call for the common keys (csrc/bind/bind_index_new.cpp),
        # else positions on the host (index_host.py), else the general path below
        out = read_rows(x, key)
        if out is None:
            out = _host.getitem_tensors(x, key)
        if out is not None:
            return out
    v, adv = _parse(x, key)  # parsed once: _Basic takes the view made here
    if not adv:
        return _Basic.apply(x, key, (v,))
    if x.is_contiguous():
        # offsets into x's own elements (x.reshape(-1) is a view): no basic-index step
        lin, out_shape = _linear_index("index", tuple(v._shape), v._strides, adv, v._offset - x._offset)
        return index_select(x.reshape(-1), 0, lin).reshape(out_shape)
    from ..tensor import contiguous_strides
    base = _Basic.apply(x, key, (v,))
    lin, out_shape = _linear_index("index", tuple(base.shape), contiguous_strides(base.shape), adv)
    return index_select(base.reshape(-1), 0, lin).reshape(out_shape)


def read_rows(x, key, m=None):
    """x[key] by _C.cpu_index_rows for a CPU x (recording _Rows when x needs a graph), or
    None where that call declines. m given: key indexes x seen as a 1-D run of its first
    m dims' elements (x contiguous), as take() reads x."""
    record = x._requires_grad and _grad_mode.enabled
    src = x if m is None else x._view((math.prod(tuple(x._shape)),), (1,), x._offset)
    out = _C.cpu_index_rows(src, key, _positions_like() if record else None)
    if out is None or not record:
        return out
    return _Rows.apply(x, out[1], out[0], out[2] if m is None else m)


_POSITIONS_LIKE = []


def _positions_like():
    """An int64 CPU tensor: the dtype and device _C.cpu_index_rows gives the positions."""
    if not _POSITIONS_LIKE:
        from ..tensor import empty as _empty
        _POSITIONS_LIKE.append(_empty((0,), dtype=_dt.int64))
    return _POSITIONS_LIKE[0]


class _Rows(Function):
    """x[key] for the keys _C.cpu_index_rows takes: the rows it gathered, at row-major
    positions over x's first m dims; backward adds g at those positions into zeros of x
    seen as (rows, *x.shape[m:]) (index_select's adjoint, so it differentiates again)."""

    @staticmethod
    def forward(ctx, x, positions, out, m):
        ctx.meta = (tuple(x._shape), m)
        ctx.save_for_backward(positions)
        return out

    @staticmethod
    def backward(ctx, g):
        shape, m = ctx.meta
        positions, = ctx.saved_tensors
        rest = shape[m:]
        rows = (math.prod(shape[:m]),) + rest
        g_rows = _IndexedAdd.apply(g.reshape((-1,) + rest), _IndexSelect, rows, 0, positions)
        return g_rows.reshape(shape), None, None, None


class _Basic(Function):
    """The view made by the basic part of an index (advanced dims keep their full size);
    backward replays the same key on a zeros tensor and copies the gradient into it."""

    @staticmethod
    def forward(ctx, x, key, parsed=None):
        v = parsed[0] if parsed else _parse(x, key)[0]  # (view,) when the caller parsed the key
        ctx.meta = (x.shape, x.dtype, key)
        return v

    @staticmethod
    def backward(ctx, g):
        shape, dtype, key = ctx.meta
        return _BasicAdjoint.apply(g, shape, dtype, key), None, None


class _BasicAdjoint(Function):
    """_Basic's backward as an op (zeros with g copied into the view of the key), whose
    own gradient is _Basic again: gradients through indexing differentiate twice."""

    @staticmethod
    def forward(ctx, g, shape, dtype, key):
        from ..tensor import zeros
        ctx.key = key
        out = zeros(shape, dtype=dtype, device=g.device)
        view, _ = _parse(out, key)
        backend(g, "getitem").copy(g, view)
        return out

    @staticmethod
    def backward(ctx, gg):
        return _Basic.apply(gg, ctx.key), None, None, None


def _check_setitem_autograd(x, value):
    from ..autograd import is_grad_enabled
    if not is_grad_enabled():
        return
    if isinstance(value, Tensor) and value.requires_grad:
        raise RuntimeError("setitem: assigning a tensor that requires grad into part of another tensor is not "
                           "supported by fastdl's autograd; build the result with cat/stack/where instead")
    if x.requires_grad:
        raise RuntimeError("setitem: in-place assignment into a tensor that requires grad is not supported; "
                           "use fastdl.no_grad() or an out-of-place op")


def _put_rows(x, key, value):
    """x[key] = value as one C++ call (csrc/bind/bind_index_new.cpp) for a CPU x that needs
    no graph, a key of CPU index tensors and a CPU value; False for the general path."""
    if not (isinstance(x, Tensor) and x._device.type == "cpu" and x._shape and (isinstance(key, Tensor) or (
            type(key) is tuple and key and isinstance(key[0], Tensor)))):
        return False
    if x._requires_grad and _grad_mode.enabled:
        return False  # (the general path raises)
    if not isinstance(value, Tensor):
        value = scalar_tensor(value, x.dtype, x.device)
    if not _C.cpu_put_rows(x, key, value):
        return False
    x._buf.version += 1
    return True


def setitem(x, key, value):
    if (type(value) in (float, int, bool) or isinstance(value, Tensor) and value._device.type == "cpu" and not (
            value._requires_grad and _grad_mode.enabled)) and _put_rows(x, key, value):
        return
    check_tensor("setitem", x)
    from .elementwise import assign_
    _check_setitem_autograd(x, value)
    if isinstance(value, Tensor):
        same_device("setitem", x, value)
    if type(key) is int and x._shape and -x._shape[0] <= key < x._shape[0]:  # x[i] = v: the view without _parse
        shape, strides = tuple(x._shape), x._strides
        v = x._view(shape[1:], strides[1:], x._offset + (key % shape[0]) * strides[0])
        assign_(v, value.detach() if isinstance(value, Tensor) else value, "setitem")
        return
    geometry = _C.basic_view_args(x, key) if type(key) is tuple or type(key) is slice else None
    if geometry is not None:  # x[:, 0] = v: the view from one C++ call
        assign_(x._view(*geometry), value.detach() if isinstance(value, Tensor) else value, "setitem")
        return
    found = None
    if x._device.type == "cpu" and x._shape and (isinstance(key, Tensor) or (
            type(key) is tuple and key and isinstance(key[0], Tensor))):
        found = _host.element_offsets(x, key)  # index tensors only: offsets on the host
    if found is not None:
        lin, out_shape = found
    else:
        v, adv = _parse(x, key)
        if not adv:
            assign_(v, value.detach() if isinstance(value, Tensor) else value, "setitem")
            return
        lin, out_shape = _linear_index("index_put", tuple(v.shape), v._strides, adv, v._offset)
    if not isinstance(value, Tensor):
        from ._util import scalar_tensor
        value = scalar_tensor(value, x.dtype, x.device)
    if value.dtype.category > x.dtype.category:
        raise RuntimeError(f"setitem: value of type {value.dtype.name} can't be cast to {x.dtype.name}")
    try:
        vals = expand_view(value.to(x.dtype), broadcast_shapes("setitem", value.shape, out_shape))
    except ValueError:
        vals = None
    if vals is None or tuple(vals.shape) != tuple(out_shape):
        raise ValueError(f"setitem: shape mismatch: value {desc(value)} cannot be broadcast to indexing result "
                         f"of shape {list(out_shape)}")
    flat_buf = x._view((x._buf.nbytes // x.dtype.itemsize,), (1,), 0)
    index_backend(x, "setitem").index_put(flat_buf, 0, lin, vals.reshape(-1), False)
    x._buf.version += 1


# ---- index_select / gather / scatter --------------------------------------------------

def _check_index(op, index, x):
    check_tensor(op, index, "index")
    same_device(op, x, index)
    return index_int64(op, index)


class _IndexedRead(Function):
    """out = read(x, dim, index); backward adds g into zeros with the adjoint kernel
    (index_select <-> index_add, gather <-> scatter_add)."""
    read = adjoint = None  # kernel names; subclasses also define out_shape(x, dim, index)

    @classmethod
    def forward(cls, ctx, x, dim, index, out=None):
        if out is None:  # (else the caller has read it: the C++ front)
            out = empty(cls.out_shape(x, dim, index), x.dtype, x.device)
            getattr(index_backend(x, cls.read), cls.read)(x, dim, index, out)
        ctx.meta = (x.shape, dim)
        ctx.save_for_backward(index)
        return out

    @classmethod
    def backward(cls, ctx, g):
        shape, dim = ctx.meta
        index, = ctx.saved_tensors
        return _IndexedAdd.apply(g, cls, shape, dim, index), None, None, None


class _IndexedAdd(Function):
    """An _IndexedRead's backward as an op: g added into zeros at the index with the
    adjoint kernel; its own gradient is the read again (double backward)."""

    @staticmethod
    def forward(ctx, g, read_cls, shape, dim, index):
        from ..tensor import zeros
        ctx.read_cls, ctx.dim = read_cls, dim
        ctx.save_for_backward(index)
        out = zeros(shape, dtype=g.dtype, device=g.device)
        getattr(index_backend(g, read_cls.adjoint), read_cls.adjoint)(out, dim, index, g)
        return out

    @staticmethod
    def backward(ctx, gg):
        index, = ctx.saved_tensors
        return ctx.read_cls.apply(gg, ctx.dim, index), None, None, None, None


class _IndexSelect(_IndexedRead):
    read, adjoint = "index_select", "index_add"

    @staticmethod
    def out_shape(x, dim, index):
        shape = list(x.shape)
        shape[dim] = index.shape[0]
        return shape


class _Gather(_IndexedRead):
    read, adjoint = "gather", "scatter_add"

    @staticmethod
    def out_shape(x, dim, index):
        return index.shape


def index_select(x, dim, index):
    check_tensor("index_select", x)
    index = _check_index("index_select", index, x)
    if index.ndim > 1:
        raise IndexError(f"index_select: index should have 1 dimension, got {desc(index)}")
    d = norm_dim("index_select", dim, x.ndim)
    if x.ndim == 0:
        return _IndexSelect.apply(x.reshape(1), 0, index.reshape(-1)).reshape(())
    return _IndexSelect.apply(x, d, index.reshape(-1))


def gather(x, dim, index):
    if type(dim) is int:
        out = _C.cpu_gather_new(x, dim, index)  # CPU x, int64 CPU index of x's ndim: checked and read in C++
        if out is not None:
            if x._requires_grad and _grad_mode.enabled:
                return _Gather.apply(x, dim % len(x._shape), index, out)  # records the read done above
            return out
    check_tensor("gather", x)
    index = _check_index("gather", index, x)
    if x.ndim <= 1 and index.ndim <= 1 and x.ndim != index.ndim:  # torch reads a 0-d operand as 1-d
        return gather(x.reshape(-1), dim, index.reshape(-1)).reshape(index.shape)
    d = norm_dim("gather", dim, x.ndim)
    if index.ndim != x.ndim:
        raise ValueError(f"gather: index {desc(index)} must have the same number of dimensions as input {desc(x)}")
    return _Gather.apply(x, d, index)


def scatter_add_(target, dim, index, src):
    """target[..., index, ...] += src along dim (no autograd; used by backward passes)."""
    d = norm_dim("scatter_add_", dim, target.ndim)
    index = _check_index("scatter_add_", index, target)
    index_backend(target, "scatter_add").scatter_add(target, d, index, src)
    target._buf.version += 1
    return target


def index_add_(target, dim, index, src, alpha=1):
    d = norm_dim("index_add_", dim, target.ndim)
    index = _check_index("index_add_", index, target)
    index_backend(target, "index_add").index_add(target, d, index, src if alpha == 1 else src * alpha)
    target._buf.version += 1
    return target


def nonzero(x, as_tuple=False):
    check_tensor("nonzero", x)
    if x.dtype in _dt.STORAGE or x.dtype.category == 3:  # the kernels read bool / int64 / float: only zero-ness matters
        x = x != 0
    be = backend(x, "nonzero")
    n = be.count_nonzero(x)
    out = empty((n, x.ndim), _dt.int64, x.device)
    be.nonzero(x, out)
    if as_tuple:
        if x.ndim == 0:  # torch: (tensor([0]),) for a nonzero scalar, an empty index otherwise
            return (empty((n,), _dt.int64, x.device).fill_(0) if n else out.reshape(-1),)
        return tuple(out[:, i] for i in range(x.ndim))
    return out


def masked_fill(x, mask, value):
    from .elementwise import where
    if (type(value) is float or type(value) is int) and isinstance(x, Tensor) and not (
            x._requires_grad and _grad_mode.enabled):
        out = _C.cpu_where_new(mask, value, x)  # a float CPU x and a bool CPU mask, in one C++ call
        if out is not None:
            return out
    if not isinstance(mask, Tensor) or mask.dtype is not _dt.bool_:
        raise TypeError(f"masked_fill: mask must be a bool tensor, got {desc(mask)}")
    if isinstance(value, Tensor):
        if value.ndim:
            raise ValueError(f"masked_fill: only 0-dim value tensors are supported, got {desc(value)}")
        value = value.item()
    if x.dtype in _dt.NARROW_INT and not isinstance(value, bool):
        from .int_narrow import check_python_ints
        check_python_ints(value, np.asarray(value), x.dtype, "masked_fill")
    if x.dtype.category == 1 and isinstance(value, float) and value == value and abs(value) != float("inf"):
        value = int(value)  # truncated as torch converts it, not a float32 detour that rounds big integers
    out = where(mask, value, x)
    return out if out.dtype is x.dtype else out.to(x.dtype)


def one_hot(index, num_classes=-1):
    check_tensor("one_hot", index)
    if index.dtype is not _dt.int64:
        raise IntDtypeError(f"one_hot: expected an int64 tensor of class indices, got {desc(index)}")
    cpu = index._device.type == "cpu"
    values = index._np_view().reshape(-1) if cpu else None  # CPU: checked and written on the host
    lo, hi = ((int(values.min()), int(values.max())) if cpu else (int(index.min()), int(index.max()))) \
        if index.numel() else (0, -1)
    if lo < 0:
        raise ValueError(f"one_hot: class values must be non-negative, got {lo}")
    if num_classes == -1:
        if not index.numel():
            raise RuntimeError(f"one_hot: can not infer the number of classes from an empty tensor {desc(index)}")
        num_classes = hi + 1
    elif hi >= num_classes:
        raise ValueError(f"one_hot: class values must be smaller than num_classes ({num_classes}), got {hi}")
    if cpu:  # zeros and one write per row (a compare against arange and a conversion: ~10x torch's time)
        from ..tensor import zeros
        out = zeros(tuple(index.shape) + (num_classes,), dtype=_dt.int64)
        if values.size:
            out._np_view().reshape(-1, num_classes)[np.arange(values.size), values] = 1
        return out
    from ..tensor import arange
    return (index.unsqueeze(-1) == arange(num_classes, device=index.device)).to(_dt.int64)
