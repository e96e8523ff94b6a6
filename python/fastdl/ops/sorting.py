"""sort, argsort and topk along a dim.

Every op first finds the int64 positions that sort each line, then reads the values
with gather(input, dim, indices): autograd differentiates that read (its backward
scatters the gradient back through the indices), and the indices carry no gradient.

The order is always stable (equal elements keep their input order, ascending or
descending), so `stable=` changes nothing and results are deterministic. NaN sorts as
the largest value: last ascending, first descending, as torch's. topk returns the
first k of that order (ties resolved by position), also when sorted=False.

On the CPU the positions come from the _C.cpu.argsort kernel (csrc/cpu/sort.cpp: a
radix sort of order-preserving integer keys per line, or a selection for a small k).
There is no CUDA sort kernel: on another device a bitonic sorting network is composed
from existing device ops (_bitonic_argsort, below)."""
import math
import numbers

import numpy as np

from .. import _C
from .. import dtypes as _dt
from ..autograd import _state as _grad_mode, no_grad
from ..tensor import Tensor, arange, full, tensor as _tensor
from ._util import cast, check_tensor, contiguous_data, desc, empty
from .elementwise import eq, gt, isnan, logical_and, logical_not, logical_or, logical_xor, lt, where
from .indexing import gather
from .reduce import _ValuesIndices
from .shape import cat, contiguous, movedim, narrow, reshape, stack


def _dim(op, x, dim):
    """dim normalised against x (a 0-d tensor takes dim 0 or -1), or an error naming op and x."""
    if isinstance(dim, Tensor) and dim.ndim == 0 and not dim.dtype.is_floating_point:
        dim = int(dim)
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    nd = max(x.ndim, 1)
    if not -nd <= dim < nd:
        raise IndexError(f"{op}: dimension out of range (expected to be in range of [{-nd}, {nd - 1}], "
                         f"but got {dim}) for input {desc(x)}")
    return int(dim) % nd


def _key_dtype(x):
    """x's values as the kernels compare them: float16 / bfloat16 as float32 (the
    conversion keeps every value, so the order); the narrow integers as int64; other
    dtypes as they are."""
    if x.dtype in _dt.STORAGE:
        return cast(x, _dt.compute_dtype(x.dtype))
    return x


def _bitonic_argsort(x, dim, descending=False):
    """int64 positions that stably sort x along dim, from device ops only (no sort kernel).

    Each line is padded to a power of two P and sorted by a bitonic network: log2 P
    rounds of log2 P, ..., 1 compare-exchange stages (log2 P * (log2 P + 1) / 2 in all).
    A stage with partner distance j views the (M, P) lines as (M, P / 2j, 2, j) and
    compares the halves [:, :, 0] and [:, :, 1] elementwise, swapping with `where`.
    Elements are ordered by (class, value, position): the class puts NaN after every
    number ascending and before it descending, and the padding last either way; the
    position breaks ties, so the result is the stable order, equal to the CPU kernel's."""
    scalar = x.ndim == 0
    with no_grad():
        x = _key_dtype(x)
        if scalar:
            x = reshape(x, (1,))
        xt = movedim(x, dim, -1)
        moved = tuple(xt.shape)
        L = moved[-1]
        M = math.prod(moved[:-1])
        dev = x.device
        if L <= 1 or M == 0:
            out = full(moved, 0, dtype=_dt.int64, device=dev) if L == 1 else empty(moved, _dt.int64, dev)
            return reshape(out, ()) if scalar else contiguous(movedim(out, -1, dim))
        v = reshape(xt, (M, L))
        if v.dtype is _dt.bool_:
            v = cast(v, _dt.int64)
        if v.dtype.is_floating_point:
            nan = isnan(v)
            cls = cast(logical_not(nan) if descending else nan, _dt.int64)
            v = cast(where(nan, 0.0, v), v.dtype)
        else:
            cls = full((M, L), 0, dtype=_dt.int64, device=dev)
        P = 1 << (L - 1).bit_length()
        idx = contiguous(arange(P, dtype=_dt.int64, device=dev).reshape(1, P).expand(M, P))
        if P > L:  # padding: class 2 sorts after everything, its value is never compared
            cls = cat([cls, full((M, P - L), 2, dtype=_dt.int64, device=dev)], 1)
            v = cat([v, full((M, P - L), 0, dtype=v.dtype, device=dev)], 1)
        vcmp = lt if descending else gt
        k = 2
        while k <= P:
            j = k // 2
            while j >= 1:
                nb = P // (2 * j)
                # blocks whose lower half holds positions with bit k set sort the other way
                down = ((np.arange(nb) * 2 * j) & k) != 0
                pairs = []
                for t in (cls, v, idx):
                    t4 = reshape(t, (M, nb, 2, j))
                    pairs.append((t4[:, :, 0, :], t4[:, :, 1, :]))
                (c0, c1), (v0, v1), (i0, i1) = pairs
                # (c0, v0, i0) after (c1, v1, i1) in the sort order
                after = logical_or(gt(c0, c1), logical_and(eq(c0, c1), logical_or(
                    vcmp(v0, v1), logical_and(eq(v0, v1), gt(i0, i1)))))
                if down.any():
                    after = logical_xor(after, _tensor(down.reshape(1, nb, 1)).to(dev))
                cls, v, idx = (reshape(stack([where(after, b, a), where(after, a, b)], 2), (M, P))
                               for a, b in pairs)
                j //= 2
            k *= 2
        out = reshape(narrow(idx, 1, 0, L), moved)
        return reshape(out, ()) if scalar else contiguous(movedim(out, -1, dim))


def _kernel(x):
    """The device's argsort kernel, or None where there is none (CUDA)."""
    return _C.cpu.argsort if x.device.type == "cpu" else getattr(getattr(_C, "cuda", None), "argsort", None)


def _argsort_k(x, dim, descending, k=None):
    """int64 positions of the first k (default: all) elements of each line of x sorted
    along dim; contiguous, x's shape with size k along dim (a 0-d x: a 0-d 0)."""
    L = x.shape[dim] if x.ndim else 1
    k = L if k is None else k
    kern = _kernel(x)
    if kern is None:
        idx = _bitonic_argsort(x, dim, descending)
        return idx if k == L or x.ndim == 0 else contiguous_data(narrow(idx, dim, 0, k))
    xk = contiguous_data(_key_dtype(x))
    shape = list(x.shape)
    if x.ndim:
        shape[dim] = k
    out = empty(shape, _dt.int64, x.device)
    kern(xk, out, dim, bool(descending))
    return out


def _take(x, dim, idx):
    """x's values at idx along dim, differentiable w.r.t. x (gather's backward)."""
    if x.dtype in _dt.HALF:  # no half gather kernel: read the (exact) float32 values
        return _take(x.to(_dt.float32), dim, idx).to(x.dtype)
    if x.ndim == 0:
        return reshape(gather(reshape(x, (1,)), 0, reshape(idx, (1,))), ())
    return gather(x, dim, idx)


def argsort(input, dim=-1, descending=False, stable=False):
    """Positions (int64) that sort input along dim; always stable (see the module doc)."""
    check_tensor("argsort", input)
    d = _dim("argsort", input, dim)
    return _argsort_k(input, d, descending)


def sort(input, dim=-1, descending=False, stable=False):
    """(values, indices) of input sorted along dim; always stable (see the module doc)."""
    check_tensor("sort", input)
    d = _dim("sort", input, dim)
    idx = _argsort_k(input, d, descending)
    return _ValuesIndices(_take(input, d, idx), idx)


def topk(input, k, dim=-1, largest=True, sorted=True):
    """(values, indices) of the k largest (smallest with largest=False) elements along dim,
    in sorted order (also with sorted=False), ties to the lower position."""
    if type(k) is int and (largest is True or largest is False):
        both = _C.cpu_topk_new(input, k, dim, largest, _dt.int64)  # a contiguous float CPU input, in C++
        if both is not None:
            if input._requires_grad and _grad_mode.enabled:  # values that differentiate (gather's backward)
                return _ValuesIndices(_take(input, dim % input.ndim, both[1]), both[1])
            return _ValuesIndices(*both)
    check_tensor("topk", input)
    d = _dim("topk", input, dim)
    if isinstance(k, Tensor) and k.ndim == 0 and not k.dtype.is_floating_point:
        k = int(k)
    if not isinstance(k, numbers.Integral) or isinstance(k, bool):
        raise TypeError(f"topk: k must be an int, got {k!r}")
    L = input.shape[d] if input.ndim else 1
    if not 0 <= k <= L:
        raise RuntimeError(f"topk: selected index k out of range: k = {k} for dimension {d} of size {L} "
                           f"of input {desc(input)}")
    idx = _argsort_k(input, d, largest, int(k))
    return _ValuesIndices(_take(input, d, idx), idx)
