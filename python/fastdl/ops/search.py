"""searchsorted and bucketize: a binary search composed of device ops.

Each query keeps a half-open range [lo, hi) of candidate insertion points over its
line of the sorted sequence; one step gathers the middle element and halves the
range, so ceil(log2(n + 1)) gathers of the queries' shape find every position, on any
device. The comparisons are torch's: side='left' moves right while !(seq[mid] >= v),
side='right' while !(seq[mid] > v), so a NaN query goes past every element (NaN sorts
last) and a NaN in the sequence ends up after every number."""
import numbers

from .. import dtypes as _dt
from ..autograd import no_grad
from ..tensor import Tensor, full, tensor as _tensor
from ._util import cast, check_tensor, desc, same_device
from .elementwise import _minimum, ge, gt, logical_and, logical_not, where
from .indexing import gather
from .shape import contiguous, expand, reshape


def _binary_search(seq, v, right):
    """int64 insertion points of v (M, K) into the sorted lines of seq (M, n)."""
    M, n = seq.shape
    K = v.shape[1]
    lo = full((M, K), 0, dtype=_dt.int64, device=v.device)
    hi = full((M, K), n, dtype=_dt.int64, device=v.device)
    if n == 0:
        return lo
    for _ in range(n.bit_length()):
        mid = _minimum((lo + hi) // 2, n - 1)
        s = gather(seq, 1, mid)
        go = logical_not(gt(s, v) if right else ge(s, v))  # the answer is after mid
        active = lo < hi
        lo = where(logical_and(active, go), mid + 1, lo)
        hi = where(logical_and(active, logical_not(go)), mid, hi)
    return lo


def searchsorted(sorted_sequence, input, out_int32=False, right=False, side=None, sorter=None):
    """Indices i at which inserting input keeps sorted_sequence's innermost lines sorted:
    the first i with seq[i] >= v (right=False / side='left') or seq[i] > v (right / 'right').
    sorted_sequence is 1-D or has input's leading dims; input may be a number (then a
    1-D sequence and a 0-d result)."""
    op = "searchsorted"
    check_tensor(op, sorted_sequence, "sorted_sequence")
    if sorted_sequence.dtype.name == "bool":
        raise NotImplementedError(f"{op}: not implemented for a bool sorted_sequence, got {desc(sorted_sequence)}")
    if side is not None:
        if side not in ("left", "right"):
            raise ValueError(f"{op}: side can only be 'left' or 'right', got {side!r}")
        if right and side == "left":
            raise RuntimeError(f"{op}: side and right can't be set to opposites, got side of left "
                               f"while right was True")
        right = side == "right"
    seq = sorted_sequence
    if seq.ndim == 0:
        raise RuntimeError(f"{op}: boundaries tensor should have at least 1 dimension, got {desc(seq)}")
    scalar = not isinstance(input, Tensor)
    if scalar:
        if not isinstance(input, numbers.Number):
            raise TypeError(f"{op}: expected input to be a Tensor or a number, got {type(input).__name__}")
        if seq.ndim != 1:
            raise RuntimeError(f"{op}: input value can be a scalar only when boundaries tensor dimension is 1, "
                               f"but we got boundaries {desc(seq)}")
        input = _tensor([input], dtype=_dt.result_type(seq, input)).to(seq.device)
    same_device(op, seq, input)
    if sorter is not None:
        check_tensor(op, sorter, "sorter")
        if tuple(sorter.shape) != tuple(seq.shape) or sorter.dtype is not _dt.int64:
            raise RuntimeError(f"{op}: sorter must be an int64 tensor of the sorted_sequence's shape "
                               f"{list(seq.shape)}, got {desc(sorter)}")
    if seq.ndim != 1 and (input.ndim != seq.ndim or tuple(input.shape[:-1]) != tuple(seq.shape[:-1])):
        raise RuntimeError(f"{op}: boundaries tensor should be 1 dimension or the first N-1 dimensions of "
                           f"boundaries tensor and input value tensor must match, but we got boundaries "
                           f"{desc(seq)} and input value {desc(input)}")
    with no_grad():
        seq = seq.detach()
        if sorter is not None:
            seq = gather(seq, -1, sorter)
        n = seq.shape[-1]
        if seq.ndim == 1:
            s2 = reshape(seq, (1, n))
            v2 = reshape(input.detach(), (1, -1))
        else:
            M = 1
            for sz in seq.shape[:-1]:
                M *= sz
            s2 = reshape(contiguous(seq), (M, n))
            v2 = reshape(contiguous(input.detach()), (M, input.shape[-1]))
        if v2.dtype is not s2.dtype:  # compare in the common type, as torch's
            common = _dt.result_type(v2, s2)
            v2, s2 = cast(v2, common), cast(s2, common)
        out = _binary_search(s2, v2, right)
        out = reshape(out, () if scalar else tuple(input.shape))
        return cast(out, _dt.int32) if out_int32 else out


def bucketize(input, boundaries, out_int32=False, right=False):
    """The bucket of each input element by the 1-D sorted boundaries: the i with
    boundaries[i-1] < x <= boundaries[i] (right=False) or boundaries[i-1] <= x < boundaries[i]."""
    op = "bucketize"
    check_tensor(op, boundaries, "boundaries")
    if boundaries.ndim != 1:
        raise RuntimeError(f"{op}: boundaries tensor must be 1 dimension, but got {desc(boundaries)}")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)
