"""searchsorted and bucketize: one binary search per query in a kernel per device
(common/search_ops.h, shared by _C.cpu and _C.cuda `searchsorted`). The comparisons are
torch's: side='left' moves right while !(seq[mid] >= v), side='right' while
!(seq[mid] > v), so a NaN query goes past every element (NaN sorts last) and a NaN in the
sequence ends up after every number."""
import numbers

from .. import dtypes as _dt
from ..autograd import no_grad
from ..tensor import Tensor, tensor as _tensor
from ._util import backend, cast, check_tensor, contiguous_data, desc, empty, same_device
from .indexing import gather
from .shape import reshape


def _kernel_dtype(dt):
    """The kernel's dtype that orders dt's values the same way: half types widen to
    float32 (exactly), the other integers and bool to int64."""
    if dt in _dt.HALF:
        return _dt.float32
    return dt if dt.is_floating_point or dt is _dt.int64 else _dt.int64


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
            s2 = reshape(contiguous_data(seq), (M, n))
            v2 = reshape(contiguous_data(input.detach()), (M, input.shape[-1]))
        common = _dt.result_type(v2, s2)  # compare in the common type, as torch's
        if common.category == 3:
            raise TypeError(f"{op}: not supported for complex tensors, got {desc(sorted_sequence)} and {desc(input)}")
        common = _kernel_dtype(common)
        s2, v2 = contiguous_data(cast(s2, common)), contiguous_data(cast(v2, common))
        out = empty(tuple(v2.shape), _dt.int64, v2.device)
        backend(v2, "searchsorted").searchsorted(s2, v2, out, right)
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
