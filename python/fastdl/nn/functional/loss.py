"""Loss functions with torch.nn.functional's names, arguments and reductions.

The binary cross-entropies are Functions with PyTorch's explicit gradients (the
composed ops would give NaN where log is clamped, or the wrong one-sided value at a
kink); the others are compositions of differentiable ops."""
from ... import dtypes as _dt
from ...autograd import Function
from ...ops import clamp, exp, log, log1p, sigmoid, where
from ...ops.elementwise import softplus_stable
from ...ops.loss import cross_entropy, mse_loss
from ...ops._util import broadcast_shapes, check_tensor, desc, same_device, unbroadcast

__all__ = ["binary_cross_entropy", "binary_cross_entropy_with_logits", "nll_loss", "kl_div", "smooth_l1_loss",
           "l1_loss", "mse_loss", "cross_entropy"]


def _check(op, input, target, reduction, reductions=("none", "mean", "sum")):
    check_tensor(op, input)
    check_tensor(op, target, "target")
    same_device(op, input, target)
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
    op = "binary_cross_entropy"
    _check(op, input, target, reduction)
    _same_shape(op, input, target)
    if bool(((input < 0) | (input > 1)).any()):
        raise ValueError(f"{op}: all elements of input should be between 0 and 1")
    return _reduce(_weighted(_BinaryCrossEntropy.apply(input, target.to(input.dtype)), weight), reduction)


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
    op = "binary_cross_entropy_with_logits"
    _check(op, input, target, reduction)
    _same_shape(op, input, target)
    if pos_weight is not None:
        check_tensor(op, pos_weight, "pos_weight")
        if broadcast_shapes(op, input.shape, pos_weight.shape) != tuple(input.shape):
            raise ValueError(f"{op}: pos_weight {desc(pos_weight)} must broadcast to the input {desc(input)}")
    loss = _BinaryCrossEntropyWithLogits.apply(input, target.to(input.dtype), pos_weight)
    return _reduce(_weighted(loss, weight), reduction)


# ---- negative log-likelihood --------------------------------------------------------

def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """-input[n, target[n]] * weight[target[n]] for log-probabilities input (N, C),
    (C,) or (N, C, d1, ...); 'mean' divides by the total weight of the counted targets."""
    op = "nll_loss"
    _check(op, input, target, reduction)
    if target.dtype is not _dt.int64:
        raise TypeError(f"{op}: expected int64 class indices as target, got {desc(target)}")
    if input.ndim == 0:
        raise ValueError(f"{op}: input must have at least 1 dimension, got {desc(input)}")
    C = input.shape[0] if input.ndim == 1 else input.shape[1]
    expect = () if input.ndim == 1 else (input.shape[0],) + tuple(input.shape[2:])
    if tuple(target.shape) != expect:
        raise ValueError(f"{op}: expected target of shape {list(expect)} for input {desc(input)}, got {desc(target)}")
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != C):
        raise ValueError(f"{op}: weight should be a 1-D tensor of {C} elements, got {desc(weight)}")
    # (C,) -> (1, C); (N, C, d...) -> (N*d..., C)
    if input.ndim == 1:
        x2 = input.unsqueeze(0)
    else:
        x2 = input if input.ndim == 2 else input.movedim(1, -1).reshape(-1, C)
    t1 = target.reshape(-1)
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
    op = "kl_div"
    _check(op, input, target, reduction, ("none", "mean", "sum", "batchmean"))
    if log_target:
        loss = exp(target) * (target - input)
    else:
        loss = target * log(where(target == 0, 1.0, target)) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target); beta=0 is L1."""
    op = "smooth_l1_loss"
    _check(op, input, target, reduction)
    if beta < 0:
        raise ValueError(f"{op}: beta must be non-negative, got {beta}")
    d = input - target
    ad = d.abs()
    if beta == 0:
        return _reduce(ad, reduction)
    return _reduce(where(ad < beta, d * d * (0.5 / beta), ad - 0.5 * beta), reduction)


def l1_loss(input, target, reduction="mean"):
    _check("l1_loss", input, target, reduction)
    return _reduce((input - target).abs(), reduction)
