"""Advanced-index arithmetic on the host for CPU index tensors: bounds checks, negative
wrap-around, mask positions and the linear offsets that t[key] and t[key] = v gather or
scatter through, in NumPy on the index values. The same results as the tensor-op path in
indexing._linear_index (which CUDA indices take), at a few microseconds instead of a
dozen small ops (t[idx] took ~140 us, torch ~4)."""
import numpy as np

from .. import dtypes as _dt
from ..tensor import from_numpy


def host_values(t):
    """The CPU tensor's values as a NumPy array (a view where it can be)."""
    return t._np_view()


def linear_index(op, vshape, vstrides, adv, positions, idx_shape, rest_before, rest_after, offset=0):
    """indexing._linear_index's (flat offsets, out_shape) for a CPU tensor's indices (adv
    holds NumPy arrays of the index values, as indexing._parse makes them)."""
    k = len(idx_shape)
    lin = None
    for p, a in adv:
        size = vshape[p]
        if a.dtype != np.int64:
            a = a.astype(np.int64)
        if a.size:
            lo, hi = int(a.min()), int(a.max())
            bad = lo if lo < -size else hi if hi >= size else None
            if bad is not None:
                raise IndexError(f"index {bad} is out of bounds for dimension {p} with size {size}")
            if lo < 0:
                a = np.where(a < 0, a + size, a)
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


def getitem_one_tensor(x, key):
    """x[key] for a CPU tensor x (ndim >= 1) and one CPU index tensor: int64 / int32
    indices into dim 0, or a bool mask over x's leading dims; one index_select on the
    host-checked positions. None for any other key (the general path decides)."""
    from .indexing import index_select
    dt = key._dtype
    if dt is _dt.bool_:
        m = key.ndim
        if m == 0 or tuple(key._shape) != tuple(x._shape[:m]):
            return None
        rows = x.reshape((-1,) + tuple(x._shape[m:]))
        pos = np.flatnonzero(host_values(key))
        return index_select(rows, 0, from_numpy(pos.astype(np.int64, copy=False)))
    if dt is not _dt.int64 and dt is not _dt.int32:
        return None
    a = host_values(key)
    size = x._shape[0]
    if a.size:
        lo, hi = int(a.min()), int(a.max())
        bad = lo if lo < -size else hi if hi >= size else None
        if bad is not None:
            raise IndexError(f"index {bad} is out of bounds for dimension 0 with size {size}")
        if lo < 0:
            a = np.where(a < 0, a + size, a)
    flat = from_numpy(np.ascontiguousarray(a.reshape(-1), dtype=np.int64))
    out = index_select(x, 0, flat)
    return out if a.ndim == 1 else out.reshape(tuple(a.shape) + tuple(x._shape[1:]))
