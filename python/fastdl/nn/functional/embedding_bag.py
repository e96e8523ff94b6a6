"""embedding_bag (torch.nn.functional.embedding_bag): the sum, mean or max of the
embedding rows of each bag, without materialising per-bag Python loops. The bags become
one padded (B, L) index matrix (built on the host from the offsets, which are index
metadata) and a validity mask; the rows are one index_select of the weight (whose
gradient scatters back into the rows used), reduced over L with the mask. Entries equal
to padding_idx are left out of their bag (and of the mean's count); empty bags give 0."""
import numbers

import numpy as np

from ... import dtypes as _dt
from ...ops.int_narrow import IntDtypeError
from ...autograd import no_grad
from ...ops.elementwise import where
from ...ops.indexing import index_select
from ...ops._util import check_tensor, desc, same_device

__all__ = ["embedding_bag"]

_MODES = ("sum", "mean", "max")


def _bags(op, input, offsets, include_last_offset):
    """(pos (B, L) int64 NumPy positions into the flat input, valid (B, L) bool NumPy)."""
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError(f"{op}: if input is 2D, then offsets has to be None, as input is treated is a "
                             f"mini-batch of fixed length sequences. However, found offsets of type "
                             f"{type(offsets).__name__}")
        B, L = input.shape
        return np.arange(B * L, dtype=np.int64).reshape(B, L), np.ones((B, L), dtype=bool)
    if input.ndim != 1:
        raise ValueError(f"{op}: input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}")
    if offsets is None:
        raise ValueError(f"{op}: offsets has to be a 1D Tensor but got None")
    check_tensor(op, offsets, "offsets")
    if offsets.ndim != 1:
        raise ValueError(f"{op}: offsets has to be a 1D Tensor, got {desc(offsets)}")
    if offsets.dtype not in (_dt.int64, _dt.int32):  # (int32 as torch takes it)
        raise TypeError(f"{op}: expected int64 offsets, got {desc(offsets)}")
    off = np.asarray(offsets.tolist(), dtype=np.int64).reshape(-1)
    n = input.shape[0]
    if off.size and off[0] != 0:
        raise ValueError(f"{op}: offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
                         f"from position 0. However, got {int(off[0])}")
    if off.size and off[-1] > n:
        raise ValueError(f"{op}: offsets[-1] can not be greater than input's length ({n}), but got "
                         f"offsets[-1] of {int(off[-1])}")
    if include_last_offset:
        if off.size == 0:
            raise ValueError(f"{op}: include_last_offset needs at least one offset, got {desc(offsets)}")
        starts, ends = off[:-1], off[1:]
    else:
        starts, ends = off, np.append(off[1:], n)
    lengths = ends - starts
    if (lengths < 0).any():
        raise ValueError(f"{op}: offsets must be non-decreasing, got {off.tolist()}")
    L = max(int(lengths.max()) if lengths.size else 0, 1)
    j = np.arange(L, dtype=np.int64)
    valid = j[None, :] < lengths[:, None]
    pos = np.where(valid, starts[:, None] + j[None, :], 0)
    return pos, valid


def _renorm_(weight, idx, max_norm, norm_type):
    """torch's embedding_renorm_: rows used whose norm exceeds max_norm are scaled to it, in place."""
    from ...tensor import tensor
    with no_grad():
        rows = tensor(np.unique(np.asarray(idx.tolist(), dtype=np.int64).reshape(-1)), device=weight.device)
        if rows.numel() == 0:
            return
        w = index_select(weight, 0, rows)
        norms = w.abs().pow(float(norm_type)).sum(1, keepdim=True).pow(1.0 / float(norm_type))
        scale = where(norms > max_norm, float(max_norm) / (norms + 1e-7), 1.0)
        weight[rows] = w * scale


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """(B, embedding_dim): for each bag of indices (the rows of a 2-D input, or the
    segments of a 1-D input starting at offsets) the sum / mean / max of its rows of
    weight; per_sample_weights (input's shape, mode='sum' only) weight each row."""
    op = "embedding_bag"
    check_tensor(op, input)
    check_tensor(op, weight, "weight")
    same_device(op, input, weight, offsets, per_sample_weights)
    if mode not in _MODES:
        raise ValueError(f"{op}: mode has to be one of sum, mean or max, got {mode!r}")
    if scale_grad_by_freq or sparse:
        raise NotImplementedError(f"{op}: scale_grad_by_freq=True and sparse=True are not supported by fastdl")
    if input.dtype is _dt.int32:  # torch takes int32 indices too
        input = input.to(_dt.int64)
    if input.dtype is not _dt.int64:
        raise IntDtypeError(f"{op}: expected int64 indices, got {desc(input)}")
    if weight.ndim != 2:
        raise ValueError(f"{op}: weight has to be a 2D Tensor (num_embeddings, embedding_dim), got {desc(weight)}")
    if not weight.dtype.is_floating_point:
        raise TypeError(f"{op}: expected a floating point weight, got {desc(weight)}")
    if per_sample_weights is not None:
        check_tensor(op, per_sample_weights, "per_sample_weights")
        if mode != "sum":
            raise NotImplementedError(f"{op}: per_sample_weights was not None. per_sample_weights is only supported "
                                      f"for mode='sum' (got mode={mode!r})")
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(f"{op}: embedding_bag: If per_sample_weights ({desc(per_sample_weights)}) is not None, "
                             f"then it must have the same shape as the input ({desc(input)})")
        if per_sample_weights.dtype is not weight.dtype:
            raise TypeError(f"{op}: per_sample_weights must have the weight's dtype, got {desc(per_sample_weights)} "
                            f"for weight {desc(weight)}")
    num, dim = weight.shape
    if padding_idx is not None:
        if isinstance(padding_idx, bool) or not isinstance(padding_idx, numbers.Integral) or \
                not -num <= padding_idx < num:
            raise ValueError(f"{op}: padding_idx must be within num_embeddings ({num}), got {padding_idx!r}")
        padding_idx %= num
    pos, valid = _bags(op, input, offsets, include_last_offset)
    flat = input.reshape(-1)
    if flat.numel():
        lo, hi = int(flat.min()), int(flat.max())
        if lo < 0 or hi >= num:
            raise IndexError(f"{op}: index {lo if lo < 0 else hi} is out of range for {num} embeddings")
    if max_norm is not None:
        _renorm_(weight, flat, max_norm, norm_type)
    from ...tensor import tensor, zeros
    B, L = pos.shape
    if B == 0:
        return zeros((0, dim), dtype=weight.dtype, device=weight.device)
    mask = tensor(valid, device=weight.device)
    if flat.numel():
        idx = index_select(flat, 0, tensor(pos.reshape(-1), device=weight.device)).reshape(B, L)
    else:
        idx = zeros((B, L), dtype=_dt.int64, device=weight.device)
    if padding_idx is not None:
        mask = mask & (idx != padding_idx)
    rows = index_select(weight, 0, idx.reshape(-1)).reshape(B, L, dim)
    keep = mask.to(weight.dtype)
    if mode == "max":
        # a left-out entry never wins; a bag with nothing left gives 0
        vals = where(mask.unsqueeze(2), rows, float("-inf")).max(1)[0]
        return where(mask.any(1, keepdim=True), vals, 0.0)
    if per_sample_weights is not None:
        keep = keep * index_select(per_sample_weights.reshape(-1), 0, tensor(pos.reshape(-1), device=weight.device)
                                   ).reshape(B, L)
    out = (rows * keep.unsqueeze(2)).sum(1)
    if mode == "mean":
        out = out / mask.to(weight.dtype).sum(1, keepdim=True).clamp(min=1.0)
    return out
