"""multilabel_margin_loss, triplet_margin_with_distance_loss and ctc_loss
(torch.nn.functional's signatures), compositions of differentiable ops.

ctc_loss runs the CTC forward algorithm in log space: one step per time step (a Python
loop over T), each vectorised over the batch and the 2S+1 positions of the blank-extended
targets; autograd through the recursion gives the gradient. Its gradient with respect to
log_probs is the true one: torch's kernel returns exp(log_probs) minus it instead, which
is the same gradient once it flows back through a log_softmax (the usual input)."""
import numbers

import numpy as np

from ... import dtypes as _dt
from ...ops.int_narrow import IntDtypeError
from ...ops import maximum, minimum, where
from ...ops.indexing import gather
from ...ops.shape import cat
from ...ops._util import check_tensor, desc, same_device
from .distance import pairwise_distance
from .loss import _check_reduction, _legacy, _reduce
from ...amp import autocast_mode as _amp

__all__ = ["multilabel_margin_loss", "triplet_margin_with_distance_loss", "ctc_loss"]


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """sum over target classes j and non-target classes i of max(0, 1 - (x[j] - x[i])) / C
    per sample. target (int64, input's shape) lists the target classes of each sample,
    ended by the first -1."""
    if _amp.on and _amp.here(): return _amp.run("multilabel_margin_loss", multilabel_margin_loss, input, target, size_average, reduce, reduction)  # autocast
    op = "multilabel_margin_loss"
    reduction = _legacy(size_average, reduce, reduction)
    check_tensor(op, input)
    check_tensor(op, target, "target")
    same_device(op, input, target)
    _check_reduction(op, reduction)
    if input.ndim > 2:
        raise RuntimeError(f"{op}: expected an input of shape (C) or (N, C), got {desc(input)}")
    if tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"{op}: inconsistent target size: {list(target.shape)} for input of size: "
                           f"{list(input.shape)}")
    if target.dtype is not _dt.int64:
        raise IntDtypeError(f"{op}: expected an int64 target, got {desc(target)}")
    if not input.dtype.is_floating_point:
        raise TypeError(f"{op}: expected a floating point input, got {desc(input)}")
    x = input.reshape(1, -1) if input.ndim < 2 else input
    y = target.reshape(1, -1) if input.ndim < 2 else target
    C = x.shape[1]
    if y.numel() and (int(y.min()) < -1 or int(y.max()) >= C):
        raise RuntimeError(f"{op}: target values must be in [-1, {C}) (class indices, -1 ends the list), got "
                           f"values in [{int(y.min())}, {int(y.max())}]")
    from ...tensor import arange
    valid = (y != -1).to(_dt.int64).cumprod(1) > 0  # the entries before the first -1
    classes = arange(C, device=x.device)
    is_target = ((y.unsqueeze(2) == classes) & valid.unsqueeze(2)).any(1)  # (N, C)
    x_y = gather(x, 1, y.clamp(min=0))  # (N, C): the score of each listed target
    margins = (1.0 - x_y.unsqueeze(2) + x.unsqueeze(1)).clamp(min=0.0)  # [n, j, i]
    pair = (valid.unsqueeze(2) & ~is_target.unsqueeze(1)).to(x.dtype)
    loss = (margins * pair).sum((1, 2)) / C
    if input.ndim < 2:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0,
                                      swap=False, reduction="mean"):
    """max(0, d(a, p) - d(a, n) + margin) with d = distance_function (default
    pairwise_distance); swap uses min(d(a, n), d(p, n)) as the negative distance."""
    op = "triplet_margin_with_distance_loss"
    _check_reduction(op, reduction)
    for name, t in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        check_tensor(op, t, name)
    same_device(op, anchor, positive, negative)
    if not margin > 0:
        raise ValueError(f"{op}: margin must be greater than 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(f"{op}: The anchor, positive, and negative tensors are expected to have the same number "
                           f"of dimensions, but got: anchor {desc(anchor)}, positive {desc(positive)}, and negative "
                           f"{desc(negative)}")
    dist = pairwise_distance if distance_function is None else distance_function
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = minimum(d_neg, dist(positive, negative))
    return _reduce((d_pos - d_neg + margin).clamp(min=0.0), reduction)


# ---- CTC -------------------------------------------------------------------------------

_NEG_INF = float("-inf")


def _logsumexp(*xs):
    """log(sum(exp(x))) elementwise over the given tensors, -inf where all are -inf, with
    finite (zero) gradients there, so dead paths never turn gradients into NaN."""
    m = xs[0].detach()
    for x in xs[1:]:
        m = maximum(m, x.detach())
    m = where(m.isinf(), 0.0, m)
    s = (xs[0] - m).exp()
    for x in xs[1:]:
        s = s + (x - m).exp()
    alive = s > 0
    return where(alive, where(alive, s, 1.0).log() + m, _NEG_INF)


def _lengths(op, name, v, n):
    """A length tensor or sequence as a NumPy int64 array of n entries."""
    from ...tensor import Tensor
    if isinstance(v, Tensor):
        if v.dtype.is_floating_point or v.dtype is _dt.bool_:
            raise TypeError(f"{op}: {name} must be integers, got {desc(v)}")
        arr = np.asarray(v.tolist(), dtype=np.int64).reshape(-1)
    elif isinstance(v, numbers.Integral):
        arr = np.asarray([v], dtype=np.int64)
    else:
        arr = np.asarray(list(v), dtype=np.int64).reshape(-1)
    if arr.size != n:
        raise RuntimeError(f"{op}: {name} must have one entry per batch element ({n}), got {arr.size}")
    if (arr < 0).any():
        raise RuntimeError(f"{op}: {name} must be non-negative, got {arr.tolist()}")
    return arr


def _extended_targets(op, targets, tgt_len, n, C, blank):
    """(N, 2 S + 1) NumPy labels: blank, l1, blank, l2, ..., blank (S the longest target)."""
    flat = np.asarray(targets.tolist(), dtype=np.int64)
    S = int(tgt_len.max()) if n else 0
    labels = np.full((n, S), blank, dtype=np.int64)
    if targets.ndim == 2:
        if targets.shape[0] != n:
            raise RuntimeError(f"{op}: targets {desc(targets)} must have one row per batch element ({n})")
        if targets.shape[1] < S:
            raise RuntimeError(f"{op}: Expected tensor to have size at least {S} at dimension 1, but got size "
                               f"{targets.shape[1]} for argument #2 'targets' ({desc(targets)})")
        for b in range(n):
            labels[b, :tgt_len[b]] = flat[b, :tgt_len[b]]
    else:
        if flat.size < tgt_len.sum():
            raise RuntimeError(f"{op}: the 1-D targets {desc(targets)} hold fewer labels than the target lengths "
                               f"sum to ({int(tgt_len.sum())})")
        starts = np.concatenate([[0], np.cumsum(tgt_len)[:-1]]).astype(np.int64)
        for b in range(n):
            labels[b, :tgt_len[b]] = flat[starts[b]:starts[b] + tgt_len[b]]
    used = labels[np.arange(S)[None, :] < tgt_len[:, None]]
    if used.size and (used.min() < 0 or used.max() >= C):
        raise RuntimeError(f"{op}: target labels must be in [0, {C}) (the classes of log_probs), got values in "
                           f"[{int(used.min())}, {int(used.max())}]")
    ext = np.full((n, 2 * S + 1), blank, dtype=np.int64)
    ext[:, 1::2] = labels
    return ext


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """The negative log-likelihood of each target sequence under CTC: log_probs (T, N, C)
    or unbatched (T, C) (log-softmax outputs), targets (N, S) padded or 1-D concatenated,
    input_lengths / target_lengths per sample. 'mean' divides each loss by its target
    length and averages; zero_infinity turns impossible alignments' infinite losses (and
    their gradients) into zeros."""
    if _amp.on and _amp.here(): return _amp.run("ctc_loss", ctc_loss, log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity)  # autocast
    op = "ctc_loss"
    check_tensor(op, log_probs, "log_probs")
    check_tensor(op, targets, "targets")
    _check_reduction(op, reduction)
    if log_probs.ndim not in (2, 3):
        raise RuntimeError(f"{op}: expected log_probs of shape (T, N, C) or (T, C), got {desc(log_probs)}")
    if not log_probs.dtype.is_floating_point:
        raise TypeError(f"{op}: expected floating point log_probs, got {desc(log_probs)}")
    if targets.dtype.is_floating_point or targets.dtype is _dt.bool_:
        raise TypeError(f"{op}: expected integer targets, got {desc(targets)}")
    batched = log_probs.ndim == 3
    lp = log_probs if batched else log_probs.unsqueeze(1)
    T, N, C = lp.shape
    if not 0 <= blank < C:
        raise RuntimeError(f"{op}: blank must be in label range [0, {C}), got blank={blank}")
    if not batched and targets.ndim == 2:
        raise RuntimeError(f"{op}: unbatched log_probs {desc(log_probs)} take 1-D targets, got {desc(targets)}")
    if targets.ndim not in (1, 2):
        raise RuntimeError(f"{op}: expected targets of shape (N, S) or (sum(target_lengths),), got {desc(targets)}")
    in_len = _lengths(op, "input_lengths", input_lengths, N)
    tgt_len = _lengths(op, "target_lengths", target_lengths, N)
    if (in_len > T).any():
        raise RuntimeError(f"{op}: Expected input_lengths to have value at most {T}, but got value "
                           f"{int(in_len.max())} (log_probs {desc(log_probs)})")
    ext_np = _extended_targets(op, targets, tgt_len, N, C, blank)
    from ...tensor import full, tensor
    dev = lp.device
    K = ext_np.shape[1]
    ext = tensor(ext_np, device=dev)
    # lpe[t, n, s] = log_probs[t, n, ext[n, s]]
    lpe = gather(lp, 2, ext.unsqueeze(0).expand(T, N, K))
    skip_np = np.zeros((N, K), dtype=bool)  # s may also come from s - 2: a label differing from the one before
    skip_np[:, 2:] = (ext_np[:, 2:] != blank) & (ext_np[:, 2:] != ext_np[:, :-2])
    skip = tensor(skip_np, device=dev)
    inside = tensor(np.arange(T)[:, None] < in_len[None, :], device=dev)  # (T, N): frame t within sample n
    # before any frame only the empty prefix (position 0, log 1) is reached
    alpha = where(tensor(np.arange(K)[None, :] == 0, device=dev), 0.0, _NEG_INF).to(lp.dtype).expand(N, K)
    if T > 0:
        start = where(tensor(np.arange(K)[None, :] < 2, device=dev), lpe[0], _NEG_INF)
        alpha = where(inside[0].unsqueeze(1), start, alpha)
    pad1 = full((N, 1), _NEG_INF, dtype=lp.dtype, device=dev)
    pad2 = full((N, 2), _NEG_INF, dtype=lp.dtype, device=dev)
    for t in range(1, T):
        a2 = cat([pad1, alpha.narrow(1, 0, K - 1)], 1) if K > 1 else pad1
        a3 = cat([pad2, alpha.narrow(1, 0, K - 2)], 1) if K > 2 else pad2.narrow(1, 0, K)  # K is odd: 1 or >= 3
        new = _logsumexp(alpha, a2, where(skip, a3, _NEG_INF)) + lpe[t]
        alpha = where(inside[t].unsqueeze(1), new, alpha)
    end = tensor((2 * tgt_len).reshape(N, 1), device=dev)
    before = tensor(np.maximum(2 * tgt_len - 1, 0).reshape(N, 1), device=dev)
    has_label = tensor((tgt_len > 0).reshape(N, 1), device=dev)
    ll = _logsumexp(gather(alpha, 1, end), where(has_label, gather(alpha, 1, before), _NEG_INF)).reshape(N)
    loss = -ll
    if zero_infinity:
        loss = where(loss.isinf(), 0.0, loss)
    if reduction == "mean":
        return (loss / tensor(np.maximum(tgt_len, 1), device=dev).to(loss.dtype)).mean()
    if reduction == "sum":
        return loss.sum()
    return loss if batched else loss.reshape(())
