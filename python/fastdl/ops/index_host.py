"""Advanced-index arithmetic on the host for CPU index tensors: bounds checks, negative
wrap-around, mask positions and the linear offsets that t[key] and t[key] = v gather or
scatter through, in NumPy on the index values. The same results as the tensor-op path in
indexing._linear_index (which CUDA indices take), at a few microseconds instead of a
dozen small ops (t[idx] took ~140 us, torch ~4)."""
import math

import numpy as np

from .. import dtypes as _dt
from ..tensor import Tensor, from_numpy


def host_values(t):
    """The CPU tensor's values as a NumPy array (a view where it can be)."""
    return t._np_view()


def linear_index(op, vshape, vstrides, adv, positions, idx_shape, rest_before, rest_after, offset=0):
    """indexing._linear_index's (flat offsets, out_shape) for a CPU tensor's indices (adv
    holds NumPy arrays of the index values, as indexing._parse makes them)."""
    k = len(idx_shape)
    lin = None
    for p, a in adv:
        a = _wrapped(a, vshape[p], p)
        term = a * vstrides[p]
        shape = [1] * len(rest_before) + [1] * (k - a.ndim) + list(a.shape) + [1] * len(rest_after)
        term = term.reshape(shape)
        lin = term if lin is None else lin + term
    nd = len(rest_before) + k + len(rest_after)
    for j, i in enumerate(rest_before + rest_after):
        pos = j if j < len(rest_before) else j + k
        shape = [1] * nd
        shape[pos] = vshape[i]
        lin = lin + (np.arange(vshape[i], dtype=np.int64) * vstrides[i]).reshape(shape)
    out_shape = [vshape[i] for i in rest_before] + list(idx_shape) + [vshape[i] for i in rest_after]
    flat = np.broadcast_to(lin + offset if offset else lin, out_shape).reshape(-1)  # a copy where broadcast
    return from_numpy(np.ascontiguousarray(flat, dtype=np.int64)), out_shape


def _wrapped(a, size, dim):
    """int64 index values checked against a dim of `size`, negatives wrapped."""
    if a.dtype != np.int64:
        a = a.astype(np.int64)
    if a.size:
        lo, hi = int(a.min()), int(a.max())
        bad = lo if lo < -size else hi if hi >= size else None
        if bad is not None:
            raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {size}")
        if lo < 0:
            a = np.where(a < 0, a + size, a)
    return a


def _row_positions(x, key):
    """For a key of CPU index tensors only (one bool mask over x's leading dims, or int64 /
    int32 tensors for x's first m dims, broadcast together): (positions of the selected
    rows of x seen as (-1, *shape[m:]), the indices' broadcast shape, m). None for any
    other key."""
    keys = key if type(key) is tuple else (key,)
    shape = tuple(x._shape)  # a plain tuple: Size's slicing is Python code
    if len(keys) > len(shape):
        return None
    for k in keys:
        if not isinstance(k, Tensor) or k._device.type != "cpu" or not k._shape:
            return None  # (a 0-d integer key is an int: the general path makes a view, as torch)
    first = keys[0]
    if first._dtype is _dt.bool_:
        m = len(first._shape)
        if len(keys) > 1 or tuple(first._shape) != shape[:m]:
            return None
        pos = np.flatnonzero(host_values(first))
        return pos, pos.shape, m
    for k in keys:
        if k._dtype is not _dt.int64 and k._dtype is not _dt.int32:
            return None
    m = len(keys)
    if m == 1:
        a = _wrapped(host_values(first), shape[0], 0)
        return a.reshape(-1), a.shape, 1
    arrays = [_wrapped(host_values(k), shape[d], d) for d, k in enumerate(keys)]
    try:
        arrays = np.broadcast_arrays(*arrays)
    except ValueError:
        return None  # the general path raises fastdl's broadcast error
    return np.ravel_multi_index(arrays, shape[:m]).reshape(-1), arrays[0].shape, m


def getitem_tensors(x, key):
    """x[key] for a CPU tensor x (ndim >= 1) and a key _row_positions takes: one
    index_select of rows of x. None for any other key (the general path decides)."""
    found = _row_positions(x, key)
    if found is None:
        return None
    pos, lead, m = found
    rest = tuple(x._shape)[m:]
    rows = x if m == 1 else x.reshape((-1,) + rest)
    out = _index_select(rows, 0, from_numpy(pos if pos.dtype == np.int64 else pos.astype(np.int64)))
    return out if len(lead) == 1 else out.reshape(lead + rest)


def element_offsets(x, key):
    """(storage offsets of x[key]'s elements as an int64 tensor, x[key]'s shape) for a
    contiguous CPU x and a key _row_positions takes (t[key] = v writes there); else None."""
    if not x.is_contiguous():
        return None
    found = _row_positions(x, key)
    if found is None:
        return None
    pos, lead, m = found
    rest = tuple(x._shape)[m:]
    size = math.prod(rest)
    lin = pos * size + x._offset if size == 1 else (pos[:, None] * size + np.arange(size) + x._offset).reshape(-1)
    return from_numpy(np.ascontiguousarray(lin, dtype=np.int64)), lead + rest


def _index_select(x, dim, index):
    from .indexing import index_select  # (indexing imports this module)
    return index_select(x, dim, index)
