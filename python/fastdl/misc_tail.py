"""torch's top-level leftovers (misc branch): histogramdd, nuclear_norm, frobenius_norm,
segment_reduce, embedding_renorm_, binomial, empty_permuted, to_dlpack, and the ATen RNN
functions (nn.functional.rnn_aten). All composed of fastdl ops: any device, autograd
where torch has it (segment_reduce, the norms, the RNNs)."""
import math
import numbers
from collections import namedtuple

from . import dtypes as _dt
from .autograd import no_grad
from .dlpack import to_dlpack
from .nn.functional.rnn_aten import (gru, gru_cell, lstm, lstm_cell, rnn_relu, rnn_relu_cell, rnn_tanh,  # noqa: F401
                                     rnn_tanh_cell)
from .tensor import Tensor

__all__ = ["histogramdd", "nuclear_norm", "frobenius_norm", "segment_reduce", "embedding_renorm_", "binomial",
           "empty_permuted", "to_dlpack", "lstm", "gru", "rnn_tanh", "rnn_relu", "lstm_cell", "gru_cell",
           "rnn_tanh_cell", "rnn_relu_cell"]

builtins_range = range  # histogramdd takes a `range` argument
histogramdd_return_type = namedtuple("histogramdd", ["hist", "bin_edges"])


def _dims_arg(op, dim):
    return [dim] if isinstance(dim, numbers.Integral) else list(dim)


def nuclear_norm(input, dim=None, keepdim=False):
    """torch.nuclear_norm(input, keepdim=False) / (input, dim, keepdim=False): the sum of the
    singular values over the two dims (default the last two of a 2-D input)."""
    from .linalg import matrix_norm
    if isinstance(dim, bool):  # nuclear_norm(x, True): the keepdim overload
        dim, keepdim = None, dim
    if dim is None:
        if input.ndim != 2:
            raise RuntimeError(f"nuclear_norm: expected a 2-D tensor without dim, got {input.ndim}-D "
                               f"{list(input.shape)}")
        dim = (0, 1)
    dims = _dims_arg("nuclear_norm", dim)
    if len(dims) != 2:
        raise RuntimeError(f"nuclear_norm: dim must have 2 elements, got {dim}")
    return matrix_norm(input, "nuc", dim=tuple(dims), keepdim=keepdim)


def frobenius_norm(input, dim, keepdim=False):
    """torch.frobenius_norm(input, dim, keepdim=False): sqrt(sum |x|^2) over dim (1 or 2 dims)."""
    from .linalg import vector_norm
    dims = _dims_arg("frobenius_norm", dim)
    if len(dims) > 2:
        raise RuntimeError(f"frobenius_norm: expected at most 2 dims, got {dim}")
    return vector_norm(input, 2, dim=tuple(dims), keepdim=keepdim)


def histogramdd(input, bins, *, range=None, weight=None, density=False):
    """(hist, bin_edges): the D-dimensional histogram of the points input[..., :] (innermost
    dim D). bins: an int, D ints, or D 1-D tensors of edges; range: D (min, max) pairs
    flattened. Each bin's last edge is inclusive in the last bin, as histogram. No gradient."""
    from .ops import clamp, logical_and, searchsorted, where
    from .tensor import linspace, zeros
    op = "histogramdd"
    if not isinstance(input, Tensor) or not input.dtype.is_floating_point:
        raise RuntimeError(f"{op}: expected a floating-point input tensor, got "
                           f"{input.dtype if isinstance(input, Tensor) else type(input).__name__}")
    if input.ndim < 1:
        raise RuntimeError(f"{op}: input should have at least 1 dimension, got {list(input.shape)}")
    D = input.shape[-1]
    if isinstance(bins, numbers.Integral) and not isinstance(bins, bool):
        bins = [int(bins)] * D
    bins = list(bins)
    if len(bins) != D:
        raise RuntimeError(f"{op}: expected {D} sequences of bin edges / bin counts for the {D}-dimensional "
                           f"histogram but got {len(bins)}")
    if range is not None and len(range) != 2 * D:
        raise RuntimeError(f"{op}: expected {2 * D} values for range but got {len(range)}")
    if weight is not None and tuple(weight.shape) != tuple(input.shape[:-1]):
        raise RuntimeError(f"{op}: expected weight to have shape {list(input.shape[:-1])}, got {list(weight.shape)}")
    with no_grad():
        x = input.detach().reshape(-1, D)
        edges, counts = [], []
        for d, b in enumerate(bins):
            if isinstance(b, Tensor):
                if b.ndim != 1 or b.numel() < 1:
                    raise RuntimeError(f"{op}: bins[{d}] must be a 1-D tensor of edges, got {list(b.shape)}")
                if b.numel() > 1 and bool((b[1:] < b[:-1]).any()):
                    raise RuntimeError(f"{op}: bin edges for dim {d} must be non-decreasing")
                e = b.detach().to(input.dtype)
            else:
                if isinstance(b, bool) or not isinstance(b, numbers.Integral) or b <= 0:
                    raise RuntimeError(f"{op}: bins must be > 0, got {b!r} for dim {d}")
                if range is not None:
                    lo, hi = float(range[2 * d]), float(range[2 * d + 1])
                elif x.shape[0]:
                    lo, hi = float(x[:, d].min()), float(x[:, d].max())
                else:
                    lo, hi = 0.0, 1.0
                if not (math.isfinite(lo) and math.isfinite(hi)):
                    raise RuntimeError(f"{op}: range of [{lo}, {hi}] is not finite")
                if lo > hi:
                    raise RuntimeError(f"{op}: max must be larger than min, got [{lo}, {hi}] for dim {d}")
                if lo == hi:
                    lo, hi = lo - 0.5, hi + 0.5
                e = linspace(lo, hi, int(b) + 1, dtype=input.dtype, device=input.device)
            edges.append(e)
            counts.append(e.numel() - 1)
        acc = _dt.float64 if input.dtype is _dt.float64 else _dt.float32
        total = math.prod(counts)
        hist = zeros((total,), dtype=acc, device=input.device)
        if total > 0 and x.shape[0]:
            flat, inside, stride = None, None, total
            for d, e in enumerate(edges):
                xd = x[:, d]
                ok = logical_and(xd >= e[0], xd <= e[-1])  # NaN: outside
                idx = clamp(searchsorted(e, where(ok, xd, e[0]), right=True) - 1, 0, counts[d] - 1)
                stride //= counts[d]
                flat = idx * stride if flat is None else flat + idx * stride
                inside = ok if inside is None else logical_and(inside, ok)
            src = inside.to(acc) if weight is None else where(inside, weight.detach().reshape(-1), 0.0).to(acc)
            hist.scatter_add_(0, flat, src)
        hist = hist.reshape(counts)
        if density and total > 0:
            vol = None
            for d, e in enumerate(edges):
                w = (e[1:] - e[:-1]).to(acc).reshape([-1 if k == d else 1 for k in builtins_range(D)])
                vol = w if vol is None else vol * w
            hist = hist / (hist.sum() * vol)
        return histogramdd_return_type(hist.to(input.dtype), tuple(edges))



_SEGMENT_INIT = {"sum": 0.0, "mean": 0.0, "prod": 1.0, "max": -math.inf, "min": math.inf}
_SEGMENT_SCATTER = {"sum": "sum", "mean": "sum", "prod": "prod", "max": "amax", "min": "amin"}


def segment_reduce(data, reduce, *, lengths=None, indices=None, offsets=None, axis=0, unsafe=False, initial=None):
    """torch.segment_reduce: reduces consecutive segments of data along axis ('sum', 'mean',
    'prod', 'max', 'min'), segments given by lengths (shape data.shape[:axis] + (S,)) or
    offsets (S+1 boundaries). initial joins every segment's reduction (and fills the empty
    ones); without it an empty segment gives 0 / 1 / -inf / inf, and NaN for mean."""
    from .ops import cumsum, searchsorted
    from .tensor import arange, full
    op = "segment_reduce"
    if reduce not in _SEGMENT_INIT:
        raise RuntimeError(f"{op}: unsupported reduction {reduce!r}; expected one of max, mean, min, sum, prod")
    if indices is not None:
        raise RuntimeError(f"{op}: indices based reduction is not supported yet (as in torch)")
    if (lengths is None) == (offsets is None):
        raise RuntimeError(f"{op}: expected exactly one of lengths or offsets")
    if not isinstance(data, Tensor) or not data.dtype.is_floating_point:
        raise RuntimeError(f"{op}: expected floating-point data")
    axis = axis + data.ndim if axis < 0 else axis
    if not 0 <= axis < data.ndim:
        raise IndexError(f"{op}: axis {axis} out of range for data of shape {list(data.shape)}")
    if offsets is not None:
        if offsets.ndim != axis + 1 or offsets.shape[-1] < 1:
            raise RuntimeError(f"{op}: expected offsets of {axis + 1} dims, got {list(offsets.shape)}")
        lengths = offsets[..., 1:] - offsets[..., :-1]
    if lengths.ndim != axis + 1 or tuple(lengths.shape[:-1]) != tuple(data.shape[:axis]):
        raise RuntimeError(f"{op}: expected lengths of shape {list(data.shape[:axis])} + [segments], got "
                           f"{list(lengths.shape)} for data {list(data.shape)} and axis {axis}")
    N, S = data.shape[axis], lengths.shape[-1]
    with no_grad():
        lengths = lengths.to(_dt.int64)
        ends = cumsum(lengths, -1)
        if not unsafe and (bool((lengths < 0).any()) or bool((ends[..., -1] != N).any())):
            raise RuntimeError(f"{op}: expected all rows of lengths along axis to sum to data.size({axis}) = {N} "
                               f"(and be non-negative) when unsafe=False, got {lengths.tolist()}")
        pos = arange(N, device=data.device).expand(*lengths.shape[:-1], N).contiguous()
        seg = searchsorted(ends.contiguous(), pos, right=True)  # element -> its segment
        index = seg.reshape(*seg.shape, *([1] * (data.ndim - axis - 1))).expand(data.shape)
    out_shape = (*data.shape[:axis], S, *data.shape[axis + 1:])
    start = _SEGMENT_INIT[reduce] if initial is None else float(initial)
    out = full(out_shape, start, dtype=data.dtype, device=data.device)
    out = out.scatter_reduce(axis, index, data, _SEGMENT_SCATTER[reduce], include_self=True)
    if reduce == "mean":
        count = lengths.to(data.dtype)
        if initial is not None:
            count = count.clamp(min=1)
        out = out / count.reshape(*count.shape, *([1] * (data.ndim - axis - 1)))
    return out


def embedding_renorm_(input, indices, max_norm, norm_type):
    """torch.embedding_renorm_: in place, every row of input (the embedding weight) named by
    indices whose norm_type-norm exceeds max_norm is scaled to norm max_norm (/(norm + 1e-7),
    as torch). Returns input. Not recorded by autograd (torch runs it under no_grad)."""
    from .linalg import vector_norm
    from .ops import unique, where
    for name, t in (("input", input), ("indices", indices)):
        if not isinstance(t, Tensor):
            raise TypeError(f"embedding_renorm_: {name} must be a Tensor, got {type(t).__name__}")
    if input.ndim != 2:
        raise RuntimeError(f"embedding_renorm_: input must be 2-D, got {list(input.shape)}")
    if indices.dtype is not _dt.int64:
        raise RuntimeError(f"embedding_renorm_: indices must be int64, got {indices.dtype}")
    with no_grad():
        idx = unique(indices.reshape(-1))
        if idx.numel() == 0:
            return input
        if bool((idx < 0).any()) or bool((idx >= input.shape[0]).any()):
            raise IndexError(f"embedding_renorm_: index out of range for {input.shape[0]} rows")
        rows = input.detach()[idx]
        norms = vector_norm(rows, float(norm_type), dim=1, keepdim=True)
        scale = where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).to(rows.dtype)
        input.detach()[idx] = rows * scale
    return input


def binomial(count, prob, generator=None):
    """torch.binomial: samples of Binomial(count, prob) elementwise (float count and prob of
    one shape). Drawn as count Bernoulli(prob) trials summed, in chunks of trials, so the
    cost grows with max(count); exact in distribution."""
    from .ops import rand
    from .tensor import arange
    if not isinstance(count, Tensor) or not isinstance(prob, Tensor):
        raise TypeError("binomial: count and prob must be Tensors")
    if not count.dtype.is_floating_point:
        raise RuntimeError(f"binomial only supports floating-point dtypes for count, got: {count.dtype}")
    if tuple(count.shape) != tuple(prob.shape):
        raise RuntimeError(f"binomial: count {list(count.shape)} and prob {list(prob.shape)} must have one shape")
    with no_grad():
        if count.numel() and (bool((count < 0).any()) or bool((prob < 0).any()) or bool((prob > 1).any())):
            raise RuntimeError("binomial: count must be >= 0 and prob in [0, 1]")
        n = count.floor()
        top = int(n.max()) if n.numel() else 0
        out = count * 0
        chunk = 256
        for start in builtins_range(0, top, chunk):
            k = min(chunk, top - start)
            trials = arange(start, start + k, dtype=count.dtype, device=count.device)
            u = rand(*count.shape, k, dtype=prob.dtype, device=prob.device, generator=generator)
            hit = (u < prob.unsqueeze(-1)).logical_and(trials < n.unsqueeze(-1))
            out = out + hit.to(count.dtype).sum(-1)
    return out


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None, requires_grad=False,
                   pin_memory=False):
    """torch.empty_permuted: an uninitialized tensor of `size` whose memory holds the dims in
    the order physical_layout (outermost first); e.g. (0, 2, 3, 1) is channels-last."""
    from .tensor import empty
    size = tuple(int(s) for s in size)
    perm = tuple(int(p) for p in physical_layout)
    if sorted(perm) != list(builtins_range(len(size))):
        raise RuntimeError(f"empty_permuted: physical_layout {list(perm)} is not a permutation of the "
                           f"{len(size)} dims of size {list(size)}")
    base = empty(tuple(size[p] for p in perm), dtype=dtype, device=device)
    inverse = [0] * len(perm)
    for i, p in enumerate(perm):
        inverse[p] = i
    out = base.permute(*inverse)
    return out.requires_grad_(True) if requires_grad else out
