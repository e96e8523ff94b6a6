"""Loss functions with torch.nn.functional's names, arguments and reductions.

The binary cross-entropies are Functions with PyTorch's explicit gradients (the
composed ops would give NaN where log is clamped, or the wrong one-sided value at a
kink); the others are compositions of differentiable ops."""
import math
import numbers
import warnings

import numpy as np

from ... import _argcheck
from ... import dtypes as _dt
from ...autograd import Function
from ...ops import clamp, exp, log, log1p, minimum, sigmoid, where
from ...ops.elementwise import _UNARY_FN, softplus_stable
from ...ops.loss import cross_entropy, mse_loss, nll_loss_fused
from ...ops.int_narrow import IntDtypeError
from ...ops.complex_more import refuse_any  # torch refuses complex here too
from ...ops._util import broadcast_shapes, check_tensor, desc, same_device, unbroadcast
from ...tensor import arange, full_like
from .activation import logsigmoid
from ._loss_dtypes import as_dtype, broadcast_promote, need_float, no_bool_sub, no_integral, output_dtype
from .distance import _clamp_min_keep_grad, pairwise_distance
from ...amp import autocast_mode as _amp

__all__ = ["binary_cross_entropy", "binary_cross_entropy_with_logits", "nll_loss", "kl_div", "smooth_l1_loss",
           "l1_loss", "mse_loss", "cross_entropy", "huber_loss", "poisson_nll_loss", "gaussian_nll_loss",
           "cosine_embedding_loss", "margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss",
           "multilabel_soft_margin_loss", "triplet_margin_loss", "multi_margin_loss"]


def _check(op, input, target, reduction, reductions=("none", "mean", "sum")):
    check_tensor(op, input)
    check_tensor(op, target, "target")
    same_device(op, input, target)
    _check_reduction(op, reduction, reductions)


def _check_reduction(op, reduction, reductions=("none", "mean", "sum")):
    if reduction not in reductions:
        raise ValueError(f"{op}: reduction must be one of {', '.join(map(repr, reductions))}, got {reduction!r}")


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def _same_shape(op, input, target):
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"{op}: using a target size ({list(target.shape)}) that is different to the input size "
                         f"({list(input.shape)}) is not supported; please ensure they have the same size")


def _weighted(loss, weight):
    return loss if weight is None else loss * weight


# ---- binary cross-entropy ----------------------------------------------------------

class _BinaryCrossEntropy(Function):
    """Elementwise -(t log x + (1 - t) log(1 - x)), each log clamped at -100."""

    @staticmethod
    def forward(ctx, x, t):
        logx, log1mx = clamp(log(x), min=-100.0), clamp(log1p(-x), min=-100.0)
        ctx.save_for_backward(x, t, (logx - log1mx) if ctx.needs_input_grad[1] else None)
        return -(t * logx + (1 - t) * log1mx)

    @staticmethod
    def backward(ctx, g):
        x, t, log_ratio = ctx.saved_tensors
        gx = g * (x - t) / clamp((1 - x) * x, min=1e-12) if ctx.needs_input_grad[0] else None
        gt = -g * log_ratio if ctx.needs_input_grad[1] else None
        return gx, gt


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """input holds probabilities in [0, 1]; weight (broadcast to input) rescales each element."""
    if _amp.on and _amp.here(): return _amp.run("binary_cross_entropy", binary_cross_entropy, input, target, weight, reduction)  # autocast
    op = "binary_cross_entropy"
    _check(op, input, target, reduction)
    _same_shape(op, input, target)
    if target.dtype is not input.dtype:  # torch: no promotion here
        raise RuntimeError(f"{op}: found dtype {target.dtype.name} for target but expected {input.dtype.name} "
                           f"(the input's)")
    if bool(((input < 0) | (input > 1)).any()):
        raise ValueError(f"{op}: all elements of input should be between 0 and 1")
    return _reduce(_weighted(_BinaryCrossEntropy.apply(input, target), weight), reduction)


class _BinaryCrossEntropyWithLogits(Function):
    """Elementwise (1 - t) x + (1 + (pw - 1) t) log(1 + exp(-x)), never overflowing."""

    @staticmethod
    def forward(ctx, x, t, pos_weight):
        sp = softplus_stable(-x)
        lw = 1 if pos_weight is None else 1 + (pos_weight - 1) * t
        ctx.save_for_backward(x, t, pos_weight, sp)
        return (1 - t) * x + lw * sp

    @staticmethod
    def backward(ctx, g):
        x, t, pw, sp = ctx.saved_tensors
        gx = gt = gpw = None
        if ctx.needs_input_grad[0]:
            s = sigmoid(x)
            gx = g * (s - t) if pw is None else g * ((1 + (pw - 1) * t) * s - pw * t)
        if ctx.needs_input_grad[1]:
            gt = g * (-x) if pw is None else g * ((pw - 1) * sp - x)
        if ctx.needs_input_grad[2]:
            gpw = unbroadcast(g * t * sp, pw.shape)
        return gx, gt, gpw


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """sigmoid + binary cross-entropy in one stable formula; pos_weight (broadcast along
    the last dims, e.g. one per class) weighs the positive term."""
    if _amp.on and _amp.here(): return _amp.run("binary_cross_entropy_with_logits", binary_cross_entropy_with_logits, input, target, weight, reduction, pos_weight)  # autocast
    op = "binary_cross_entropy_with_logits"
    _check(op, input, target, reduction)
    _same_shape(op, input, target)
    if pos_weight is not None:
        check_tensor(op, pos_weight, "pos_weight")
        if broadcast_shapes(op, input.shape, pos_weight.shape) != tuple(input.shape):
            raise ValueError(f"{op}: pos_weight {desc(pos_weight)} must broadcast to the input {desc(input)}")
    # torch's result has the target's dtype ((1 - target) * input ...): the promoted value cast to it
    need_float(op, input.dtype)
    no_bool_sub(op, target)
    dt = _dt.result_type(input, target)
    out_dt = output_dtype(op, target.dtype, dt)
    loss = as_dtype(_BinaryCrossEntropyWithLogits.apply(as_dtype(input, dt), as_dtype(target, dt), pos_weight), out_dt)
    return _reduce(_weighted(loss, weight), reduction)


# ---- negative log-likelihood --------------------------------------------------------

def _nll_ignores(op, t1, C, ignore_index):
    """Whether any target of the CPU int64 targets t1 is ignore_index; raises torch's
    IndexError for one out of [0, C) that is not."""
    targets = np.frombuffer(t1._buf, np.int64, t1.numel(), t1._offset * 8)
    ignored = targets == ignore_index
    kept = targets[~ignored] if ignored.any() else targets
    if kept.size and (kept.min() < 0 or kept.max() >= C):
        first = kept[(kept < 0) | (kept >= C)][0]
        raise IndexError(f"{op}: target {int(first)} is out of bounds for {C} classes")
    return kept.size != targets.size


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """-input[n, target[n]] * weight[target[n]] for log-probabilities input (N, C),
    (C,) or (N, C, d1, ...); 'mean' divides by the total weight of the counted targets."""
    if _amp.on and _amp.here(): return _amp.run("nll_loss", nll_loss, input, target, weight, ignore_index, reduction)  # autocast
    op = "nll_loss"
    refuse_any(op, input)
    _check(op, input, target, reduction)
    if target.dtype is _dt.uint8:  # torch takes Long or Byte class indices
        target = target.to(_dt.int64)
    if target.dtype is not _dt.int64:
        raise IntDtypeError(f"{op}: expected int64 class indices as target, got {desc(target)}")
    sx = tuple(input._shape)  # tuples: Size's [] is Python code
    if not sx:
        raise ValueError(f"{op}: input must have at least 1 dimension, got {desc(input)}")
    C = sx[0] if len(sx) == 1 else sx[1]
    expect = () if len(sx) == 1 else sx[:1] + sx[2:]
    if tuple(target._shape) != expect:
        raise ValueError(f"{op}: expected target of shape {list(expect)} for input {desc(input)}, got {desc(target)}")
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != C):
        raise ValueError(f"{op}: weight should be a 1-D tensor of {C} elements, got {desc(weight)}")
    # (C,) -> (1, C); (N, C, d...) -> (N*d..., C)
    if len(sx) == 1:
        x2 = input.unsqueeze(0)
    else:
        x2 = input if len(sx) == 2 else input.movedim(1, -1).reshape(-1, C)
    t1 = target if len(expect) == 1 else target.reshape(-1)
    fused = nll_loss_fused(x2, t1, weight, ignore_index, reduction)  # one kernel (ops/loss.py)
    if fused is not None:
        return fused.reshape(expect) if reduction == "none" and len(expect) != 1 else fused
    if t1._device.type == "cpu" and t1.is_contiguous() and not _nll_ignores(op, t1, C, ignore_index):
        # the common case (no target is ignore_index), checked on the host: one gather, no masks
        w = None if weight is None else weight.to(input.dtype).gather(0, t1)
        picked = x2.gather(1, t1.unsqueeze(1)).squeeze(1)
        losses = -picked if w is None else -picked * w
        if reduction == "none":
            return losses.reshape(target.shape)
        total = losses.sum()
        return total if reduction == "sum" else total / (t1.numel() if w is None else w.sum())
    valid = t1 != ignore_index
    bad = valid & ((t1 < 0) | (t1 >= C))
    if bool(bad.any()):
        raise IndexError(f"{op}: target {int(t1[bad][0])} is out of bounds for {C} classes")
    safe = where(valid, t1, 0)
    w = valid.to(input.dtype)
    if weight is not None:
        w = weight.to(input.dtype).gather(0, safe) * w
    losses = -x2.gather(1, safe.unsqueeze(1)).squeeze(1) * w
    if reduction == "none":
        return losses.reshape(target.shape)
    return losses.sum() if reduction == "sum" else losses.sum() / w.sum()


# ---- divergences and regression losses ----------------------------------------------

def kl_div(input, target, reduction="mean", log_target=False):
    """KL(target || exp(input)) pointwise: target * (log target - input), 0 where target
    is 0; with log_target the target is given as log-probabilities. 'batchmean' divides
    the sum by the batch size (the mathematically right KL), 'mean' by the element count."""
    if _amp.on and _amp.here(): return _amp.run("kl_div", kl_div, input, target, reduction, log_target)  # autocast
    op = "kl_div"
    _check(op, input, target, reduction, ("none", "mean", "sum", "batchmean"))
    no_integral(op, input, target)
    if log_target:
        loss = exp(target) * (target - input)
    else:
        loss = target * log(where(target == 0, 1.0, target)) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target); beta=0 is L1."""
    if _amp.on and _amp.here(): return _amp.run("smooth_l1_loss", smooth_l1_loss, input, target, reduction, beta)  # autocast
    op = "smooth_l1_loss"
    _check(op, input, target, reduction)
    if beta < 0:
        raise ValueError(f"{op}: beta must be non-negative, got {beta}")
    input, target = broadcast_promote(input, target)
    need_float(op, _dt.result_type(input, target))
    d = input - target
    if beta == 0:
        return _reduce(d.abs(), reduction)
    # one elementwise op (and one derivative op backward) for the piecewise definition
    # where(|d| < beta, d * d * (0.5 / beta), |d| - 0.5 * beta), with its rounding
    return _reduce(_UNARY_FN["smooth_l1"].apply(d, float(beta)), reduction)


def l1_loss(input, target, reduction="mean"):
    if _amp.on and _amp.here(): return _amp.run("l1_loss", l1_loss, input, target, reduction)  # autocast
    _check("l1_loss", input, target, reduction)
    no_bool_sub("l1_loss", input, target)
    input, target = broadcast_promote(input, target)
    return _reduce((input - target).abs(), reduction)


# ---- more of torch.nn.functional's losses, composed from differentiable ops ----------
# size_average / reduce are PyTorch's deprecated spellings of reduction, accepted where
# torch's functional form takes them (nn.modules.loss maps them the same way).

def _legacy(size_average, reduce, reduction):
    if size_average is None and reduce is None:
        return reduction
    from ..modules.loss import _legacy_reduction  # imported late: modules import this package
    return _legacy_reduction(size_average, reduce)


def _broadcast_warning(op, input, target):
    """PyTorch's warning for a target that broadcasts to the input (and its error where it does not)."""
    if tuple(target.shape) != tuple(input.shape):
        broadcast_shapes(op, input.shape, target.shape)  # raises, naming both shapes, when incompatible
        warnings.warn(f"{op}: using a target size ({list(target.shape)}) that is different to the input size "
                      f"({list(input.shape)}). This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", UserWarning, stacklevel=3)


def _check_three(op, a, b, c, reduction, names=("input1", "input2", "target")):
    """_check for the losses of three tensors (two inputs and a target, or a triplet)."""
    for t, name in zip((a, b, c), names):
        check_tensor(op, t, name)
    same_device(op, a, b, c)
    _check_reduction(op, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta) (d = input - target);
    weight (input's shape) rescales each element before the reduction."""
    if _amp.on and _amp.here(): return _amp.run("huber_loss", huber_loss, input, target, reduction, delta, weight)  # autocast
    op = "huber_loss"
    _check(op, input, target, reduction)
    if not delta > 0:
        raise RuntimeError(f"{op}: delta must be positive (huber_loss does not support non-positive values for "
                           f"delta), got {delta}")
    _broadcast_warning(op, input, target)
    if weight is not None:
        check_tensor(op, weight, "weight")
        if tuple(weight.shape) != tuple(input.shape):
            raise ValueError(f"{op}: weights and input must have the same size, got weight {desc(weight)} and "
                             f"input {desc(input)}")
    # torch writes into an output of input's dtype (after broadcasting): computed promoted, cast to it
    dt = _dt.result_type(input, target)
    need_float(op, dt)
    out_dt = output_dtype(op, input.dtype, dt)
    d = input - target
    ad = d.abs()
    loss = as_dtype(where(ad < delta, d * d * 0.5, (ad - 0.5 * delta) * delta), out_dt)
    return _reduce(_weighted(loss, weight), reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """Negative log-likelihood of target ~ Poisson(rate): exp(input) - target * input with
    log_input (input = log rate), else input - target * log(input + eps); full adds the
    Stirling term target log target - target + 0.5 log(2 pi target) where target > 1."""
    if _amp.on and _amp.here(): return _amp.run("poisson_nll_loss", poisson_nll_loss, input, target, log_input, full, size_average, eps, reduce, reduction)  # autocast
    op = "poisson_nll_loss"
    reduction = _legacy(size_average, reduce, reduction)
    _check(op, input, target, reduction)
    broadcast_shapes(op, input.shape, target.shape)
    if input.dtype is _dt.bool_ and target.dtype is _dt.bool_:  # exp(x) - (x * t of bool)
        no_bool_sub(op, input, target)
    if log_input:
        loss = exp(input) - target * input
    else:
        loss = input - target * log(input + eps)
    if full:
        stirling = target * log(target) - target + 0.5 * log(2 * math.pi * target)
        loss = loss + where(target <= 1, 0.0, stirling)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """0.5 (log var + (input - target)^2 / var) (+ 0.5 log(2 pi) with full), var clamped
    at eps outside autograd (as PyTorch). var is input's shape, or one dim short of it,
    or input's shape with one dim of size 1 (homoscedastic), or a float."""
    op = "gaussian_nll_loss"
    check_tensor(op, input)
    check_tensor(op, target, "target")
    if isinstance(var, numbers.Real) and not isinstance(var, bool):
        if var < 0:
            raise ValueError(f"{op}: var has negative entry/entries (var={var})")
        var = full_like(input, float(var))
    else:
        check_tensor(op, var, "var")
        if bool((var < 0).any()):
            raise ValueError(f"{op}: var has negative entry/entries")
    same_device(op, input, target, var)
    si, sv = tuple(input.shape), tuple(var.shape)
    if sv != si:
        if si[:-1] == sv:  # one dim short: one variance per vector
            var = var.unsqueeze(-1)
        elif not (len(si) == len(sv) and sum(v for i, v in zip(si, sv) if i != v) == 1):
            raise ValueError(f"{op}: var is of incorrect size: {desc(var)} for input {desc(input)} (expected the "
                             "input's shape, that shape without its last dim, or with one dim of size 1)")
    _check_reduction(op, reduction)
    broadcast_shapes(op, input.shape, target.shape)
    var = _clamp_min_keep_grad(var, eps)
    d = input - target
    loss = 0.5 * (log(var) + d * d / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """1 - cos(x1, x2) where target == 1, max(0, cos(x1, x2) - margin) where target == -1
    (0 elsewhere); vectors along the last dim: (N, D) inputs with an (N,) target, or (D,)
    inputs with a 0-d one."""
    if _amp.on and _amp.here(): return _amp.run("cosine_embedding_loss", cosine_embedding_loss, input1, input2, target, margin, size_average, reduce, reduction)  # autocast
    op = "cosine_embedding_loss"
    reduction = _legacy(size_average, reduce, reduction)
    _check_three(op, input1, input2, target, reduction)
    if target.ndim > 1:
        raise RuntimeError(f"{op}: 0D or 1D target tensor expected, multi-target not supported, got target "
                           f"{desc(target)}")
    want = target.ndim + 1
    if input1.ndim != want or input2.ndim != want:
        raise RuntimeError(f"{op}: {target.ndim}D target tensor expects {want}D input tensors, but found inputs "
                           f"with sizes {list(input1.shape)} and {list(input2.shape)}")
    shape = broadcast_shapes(op, input1.shape, input2.shape)
    broadcast_shapes(op, shape[:-1], target.shape)
    d = target.ndim
    prod = (input1 * input2).sum(d)
    mag1 = (input1 * input1).sum(d) + 1e-12
    mag2 = (input2 * input2).sum(d) + 1e-12
    cos = prod / (mag1 * mag2).sqrt()
    pos = where(target == 1, 1 - cos, 0.0)
    neg = where(target == -1, clamp(cos - margin, min=0.0), 0.0)
    return _reduce(pos + neg, reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """max(0, -target * (input1 - input2) + margin), target in {1, -1}."""
    if _amp.on and _amp.here(): return _amp.run("margin_ranking_loss", margin_ranking_loss, input1, input2, target, margin, size_average, reduce, reduction)  # autocast
    op = "margin_ranking_loss"
    reduction = _legacy(size_average, reduce, reduction)
    _check_three(op, input1, input2, target, reduction)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(f"{op}: all input tensors should have the same number of dimensions, got input1 "
                           f"{desc(input1)}, input2 {desc(input2)}, target {desc(target)}")
    broadcast_shapes(op, input1.shape, input2.shape, target.shape)
    return _reduce(clamp(-target * (input1 - input2) + margin, min=0.0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """input where target == 1, max(0, margin - input) where target == -1 (both terms for
    any other target value, as PyTorch)."""
    if _amp.on and _amp.here(): return _amp.run("hinge_embedding_loss", hinge_embedding_loss, input, target, margin, size_average, reduce, reduction)  # autocast
    op = "hinge_embedding_loss"
    margin = _argcheck.number(op, "margin", margin)  # torch: a float (or 0-d tensor)
    reduction = _legacy(size_average, reduce, reduction)
    _check(op, input, target, reduction)
    broadcast_shapes(op, input.shape, target.shape)
    if input.dtype is _dt.bool_ and target.dtype is _dt.bool_:
        no_bool_sub(op, input, target)
    if reduction == "mean" and not input.dtype.is_floating_point:
        raise RuntimeError(f"{op}: mean() could not infer the output dtype of a {input.dtype.name} input; "
                           f"it must be a floating point dtype")
    margin_term = where(target != 1, clamp(margin - input, min=0.0), 0.0)
    self_term = where(target != -1, input, 0.0)
    return _reduce(margin_term + self_term, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-target * input)), computed as -logsigmoid(target * input): finite for
    any input (PyTorch's direct formula overflows to inf once -target * input > ~88 in
    float32, ~709 in float64); the gradient is the same -target sigmoid(-target input)."""
    if _amp.on and _amp.here(): return _amp.run("soft_margin_loss", soft_margin_loss, input, target, size_average, reduce, reduction)  # autocast
    op = "soft_margin_loss"
    reduction = _legacy(size_average, reduce, reduction)
    _check(op, input, target, reduction)
    shape = broadcast_shapes(op, input.shape, target.shape)
    # torch writes into an output shaped and typed as input
    if tuple(shape) != tuple(input.shape):
        raise RuntimeError(f"{op}: output with shape {list(input.shape)} doesn't match the broadcast shape "
                           f"{list(shape)}")
    out_dt = output_dtype(op, input.dtype, _dt.result_type(input, target))
    return _reduce(as_dtype(-logsigmoid(input * target), out_dt), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """-(t logsigmoid(x) + (1 - t) logsigmoid(-x)), times weight, averaged over the classes
    (input's last dim): one loss per sample, then reduced."""
    op = "multilabel_soft_margin_loss"
    reduction = _legacy(size_average, reduce, reduction)
    _check(op, input, target, reduction)
    if input.ndim == 0:
        raise IndexError(f"{op}: input must have a class dimension (its last), got {desc(input)}")
    broadcast_shapes(op, input.shape, target.shape)
    no_bool_sub(op, target)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        check_tensor(op, weight, "weight")
        broadcast_shapes(op, loss.shape, weight.shape)
        loss = loss * weight
    class_dim = input.ndim - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    return _reduce(loss, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """max(0, margin + d(a, p) - d(a, n)), d = pairwise_distance(., ., p, eps); with swap,
    d(a, n) is replaced by min(d(a, n), d(p, n))."""
    if _amp.on and _amp.here(): return _amp.run("triplet_margin_loss", triplet_margin_loss, anchor, positive, negative, margin, p, eps, swap, size_average, reduce, reduction)  # autocast
    op = "triplet_margin_loss"
    reduction = _legacy(size_average, reduce, reduction)
    _check_three(op, anchor, positive, negative, reduction, ("anchor", "positive", "negative"))
    if not margin > 0:
        raise ValueError(f"{op}: margin must be greater than 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(f"{op}: the anchor, positive, and negative tensors are expected to have the same number "
                           f"of dimensions, but got: anchor {desc(anchor)}, positive {desc(positive)}, and negative "
                           f"{desc(negative)}")
    broadcast_shapes(op, anchor.shape, positive.shape, negative.shape)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce(clamp(margin + d_pos - d_neg, min=0.0), reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """sum over i != y of weight[y] max(0, margin - x[y] + x[i])^p / C per sample (y the
    target class, C the number of classes), for input (N, C) or (C,) and int64 target
    (N,) or 0-d; p is 1 or 2. No gradient at a term's kink (PyTorch's choice)."""
    if _amp.on and _amp.here(): return _amp.run("multi_margin_loss", multi_margin_loss, input, target, p, margin, weight, size_average, reduce, reduction)  # autocast
    op = "multi_margin_loss"
    reduction = _legacy(size_average, reduce, reduction)
    _check(op, input, target, reduction)
    if p != 1 and p != 2:
        raise ValueError(f"{op}: only p == 1 and p == 2 supported, got p={p!r}")
    if weight is not None:
        check_tensor(op, weight, "weight")
        same_device(op, input, weight)
        if weight.ndim != 1:
            raise ValueError(f"{op}: weight must be one-dimensional, got {desc(weight)}")
    nd = input.ndim
    if nd > 2 or (nd >= 1 and input.shape[-1] == 0):
        raise RuntimeError(f"{op}: expected a non-empty vector or matrix with optional 0-dim batch size, got input "
                           f"{desc(input)}")
    N, C = (input.shape[0], input.shape[1]) if nd == 2 else (1, input.shape[0] if nd else 1)
    if target.dtype is not _dt.int64:
        raise IntDtypeError(f"{op}: expected int64 class indices as target, got {desc(target)}")
    if target.ndim > 1 or target.numel() != N:
        raise RuntimeError(f"{op}: target should be 1-D with one class index per sample: expected target size "
                           f"[{N}] for input {desc(input)}, got {desc(target)}")
    if weight is not None and weight.numel() != C:
        raise RuntimeError(f"{op}: inconsistent weight size, expected {C} but got {list(weight.shape)}")
    t1 = target.reshape(N)
    bad = (t1 < 0) | (t1 >= C)
    if bool(bad.any()):
        raise IndexError(f"{op}: target {int(t1[bad][0])} is out of range for {C} classes")
    x = input.reshape(N, C)
    ty = t1.unsqueeze(1)
    z = margin - x.gather(1, ty) + x
    h = where(z > 0, z, 0.0)  # where, not clamp: z == 0 passes no gradient
    if p == 2:
        h = h * h
    if weight is not None:
        h = h * weight.to(input.dtype).gather(0, t1).unsqueeze(1)
    h = where(arange(C, device=input.device) == ty, 0.0, h)  # the target class itself is not a term
    loss = h.sum(1) / C
    if reduction == "none":
        return loss if target.ndim else loss.reshape(())
    return _reduce(loss, reduction)
