"""Losses of the spine: cross_entropy (fused log-softmax + NLL kernel) and mse_loss."""
import numpy as np

from .. import _C, dtypes as _dt
from .int_narrow import IntDtypeError
from ..autograd import Function, is_grad_enabled
from ..tensor import Tensor
from ._util import backend, broadcast_shapes, check_tensor, contiguous_data, desc, empty, same_device, unbroadcast
from ..amp import autocast_mode as _amp

_REDUCTIONS = ("none", "mean", "sum")


def _check_reduction(op, reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be 'none', 'mean' or 'sum', got {reduction!r}")


class _CrossEntropy(Function):
    """Per-sample losses of 2-D logits (N, C) and int64 targets (N,)."""

    @staticmethod
    def forward(ctx, logits, target, weight, ignore_index, label_smoothing, computed=None):
        if computed is None:
            x = contiguous_data(logits)
            n = x.shape[0]
            loss = empty((n,), x.dtype, x.device)
            lse = empty((n,), x.dtype, x.device)
            w = None if weight is None else contiguous_data(weight.to(x.dtype))
            t = contiguous_data(target)
            backend(x, "cross_entropy").cross_entropy(x, t, w, loss, lse, ignore_index, label_smoothing)
        else:  # (loss, lse) the caller read with the C++ front: contiguous operands, no weight
            (loss, lse), t, w = computed, target, None
        # the logits themselves, not a contiguous copy: a recorded backward differentiates through them
        ctx.save_for_backward(logits, t, w, lse)
        ctx.meta = (ignore_index, label_smoothing)
        return loss

    @staticmethod
    def backward(ctx, g):
        x, t, w, lse = ctx.saved_tensors
        ignore_index, label_smoothing = ctx.meta
        if is_grad_enabled():  # create_graph
            return _cross_entropy_grad(x, t, w, g, ignore_index, label_smoothing), None, None, None, None, None
        x = contiguous_data(x)
        gx = empty(x.shape, x.dtype, x.device)
        backend(x, "cross_entropy_backward").cross_entropy_backward(
            x, t, w, lse, contiguous_data(g), gx, ignore_index, label_smoothing)
        return gx, None, None, None, None, None


def _cross_entropy_grad(x, t, w, g, ignore_index, eps):
    """The fused kernel's gradient in differentiable ops (for create_graph): per row,
    g_i [(1 - eps) w_t (p - e_t) + eps / C (sum(w) p - w)], zero for ignored rows."""
    from .indexing import one_hot
    from .reduce import softmax
    from .elementwise import where
    C = x.shape[1]
    p = softmax(x, 1)
    valid = t != ignore_index
    tc = where(valid, t, 0)
    onehot = one_hot(tc, C).to(x.dtype)
    gv = where(valid, g, 0.0)
    wt = 1.0 if w is None else w[tc]
    out = (p - onehot) * (gv * wt * (1.0 - eps)).unsqueeze(1)
    if eps:
        wsum, wrow = (float(C), 1.0) if w is None else (w.sum(), w.unsqueeze(0))
        out = out + (p * wsum - wrow) * (gv * (eps / C)).unsqueeze(1)
    return out


_NLL_REDUCTIONS = {"none": 0, "mean": 1, "sum": 2}


class _NllLoss(Function):
    """nll_loss of CPU log-probabilities (N, C) (float32 / float64) against int64 targets
    (N,), reduced in the kernel (csrc/cpu/nll_loss.cpp): (N,) losses for 'none', else 0-d."""

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction):
        x = contiguous_data(x)
        code = _NLL_REDUCTIONS[reduction]
        out = empty((x.shape[0],) if code == 0 else (), x.dtype, x.device)
        total = backend(x, "nll_loss").nll_loss(x, target, weight, out, ignore_index, code)
        ctx.meta = (tuple(x._shape), ignore_index, reduction, total)
        ctx.save_for_backward(target, weight)
        return out

    @staticmethod
    def backward(ctx, g):
        shape, ignore_index, reduction, total = ctx.meta
        target, weight = ctx.saved_tensors
        return _NllGrad.apply(g, target, weight, shape, ignore_index, reduction, total), None, None, None, None


class _NllGrad(Function):
    """_NllLoss's gradient as an op (0 except -w[t_i] g_i at each row's target). It is
    linear in g, and its own gradient is nll_loss of gg with the same targets: gradients
    through nll_loss differentiate again."""

    @staticmethod
    def forward(ctx, g, target, weight, shape, ignore_index, reduction, total):
        gx = empty(shape, g.dtype, g.device)
        backend(gx, "nll_loss_backward").nll_loss_backward(target, weight, g, gx, ignore_index,
                                                           _NLL_REDUCTIONS[reduction], total)
        ctx.meta = (ignore_index, reduction)
        ctx.save_for_backward(target, weight)
        return gx

    @staticmethod
    def backward(ctx, gg):
        ignore_index, reduction = ctx.meta
        target, weight = ctx.saved_tensors
        return _NllLoss.apply(gg, target, weight, ignore_index, reduction), None, None, None, None, None, None


def nll_loss_fused(x2, t1, weight, ignore_index, reduction):
    """nll_loss(x2, t1) for a float32 / float64 x2 (N, C), int64 t1 (N,) and weight None or
    a (C,) tensor that needs no gradient, all on one device, as one recorded op (the
    nll_loss kernel of csrc/cpu or cuda/; the CUDA one is compiled, never run on a GPU);
    None for any other case (nn.functional's nll_loss composes it from ops then)."""
    dev = x2._device
    if ((x2._dtype is not _dt.float32 and x2._dtype is not _dt.float64) or t1._device != dev
            or (weight is not None and (weight._device != dev or (weight._requires_grad and is_grad_enabled())))):
        return None  # (the op chain differentiates class weights too, which torch does not)
    if weight is not None and weight._dtype is not x2._dtype:
        weight = weight.to(x2._dtype)
    return _NllLoss.apply(x2, t1, weight, int(ignore_index), reduction)


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """torch.nn.functional.cross_entropy: input (N, C) or (N, C, d1, ...) or (C,) logits;
    target class indices (int64) or class probabilities (same shape as input)."""
    if _amp.on and _amp.here(): return _amp.run("cross_entropy", cross_entropy, input, target, weight, ignore_index, reduction, label_smoothing)  # autocast
    if weight is None and label_smoothing == 0.0 and type(ignore_index) is int and reduction in _REDUCTIONS:
        # (N, C) float CPU logits and (N,) int64 targets: checked, read and counted in one C++ call
        computed = _C.cpu_cross_entropy_new(input, target, ignore_index)
        if computed is not None:
            per_sample = _CrossEntropy.apply(input, target, None, ignore_index, 0.0, computed[:2])
            if reduction == "none":
                return per_sample
            # the same ops as below: a sum, then the division by the count of kept targets
            return per_sample.sum() if reduction == "sum" else per_sample.sum() / computed[2]
    check_tensor("cross_entropy", input)
    check_tensor("cross_entropy", target, "target")
    same_device("cross_entropy", input, target, *(w for w in (weight,) if w is not None))
    _check_reduction("cross_entropy", reduction)
    if not input.dtype.is_floating_point:
        raise TypeError(f"cross_entropy: expected floating point logits, got {desc(input)}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    if input.dtype in _dt.HALF:  # computed in float32, the loss rounded once (torch returns the half dtype)
        def wide(t):
            return t.float() if t is not None and t.dtype in _dt.HALF else t
        return cross_entropy(input.float(), wide(target), wide(weight), ignore_index, reduction,
                             label_smoothing).to(input.dtype)
    sx, st = tuple(input._shape), tuple(target._shape)  # tuples: Size's [] is Python code
    if not sx:
        raise ValueError(f"cross_entropy: input must have at least 1 dimension, got {desc(input)}")
    C = sx[0] if len(sx) == 1 else sx[1]
    if weight is not None and tuple(weight._shape) != (C,):
        raise ValueError(f"cross_entropy: weight should be a 1-D tensor of {C} elements, got {desc(weight)}")
    if target.dtype.is_floating_point:
        return _soft_cross_entropy(input, target, weight, reduction, label_smoothing)
    if target.dtype is _dt.uint8:  # torch takes Long or Byte class indices
        target = target.to(_dt.int64)
    if target.dtype is not _dt.int64:
        raise IntDtypeError(f"cross_entropy: expected int64 class indices or float probabilities as target, "
                            f"got {desc(target)}")
    # (C,) -> (1, C); (N, C, d...) -> (N*d..., C)
    if len(sx) == 1:
        if st:
            raise ValueError(f"cross_entropy: for 1-D input {desc(input)} the target must be 0-D, got {desc(target)}")
        x2, t1 = input.unsqueeze(0), target.reshape(1)
    else:
        expect = sx[:1] + sx[2:]
        if st != expect:
            raise ValueError(f"cross_entropy: expected target of shape {list(expect)} for input {desc(input)}, "
                             f"got {desc(target)}")
        x2 = input if len(sx) == 2 else input.movedim(1, -1).reshape(-1, C)
        t1 = target if len(st) == 1 else target.reshape(-1)
    per_sample = _CrossEntropy.apply(x2, t1, weight, int(ignore_index), float(label_smoothing))
    if reduction == "none":
        return per_sample.reshape(target.shape)
    if reduction == "sum":
        return per_sample.sum()
    n = t1.numel()
    if weight is None and t1._device.type == "cpu" and t1.is_contiguous() and n:
        # the count of targets that are not ignore_index, read on the host: the same
        # value as the op chain below, without its four ops per training step
        targets = np.frombuffer(t1._buf, np.int64, n, t1._offset * 8)
        return per_sample.sum() / (n - int(np.count_nonzero(targets == ignore_index)))
    valid = (t1 != ignore_index)
    if weight is None:
        denom = valid.sum().to(per_sample.dtype)
    else:
        safe_t = t1 * valid.to(_dt.int64)
        denom = (weight.to(per_sample.dtype).gather(0, safe_t) * valid.to(per_sample.dtype)).sum()
    return per_sample.sum() / denom


def _soft_cross_entropy(input, target, weight, reduction, label_smoothing):
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"cross_entropy: probability targets must match the input's shape: {desc(input)} vs "
                         f"{desc(target)}")
    cdim = 0 if input.ndim == 1 else 1
    C = input.shape[cdim]
    if label_smoothing:
        target = target * (1 - label_smoothing) + label_smoothing / C
    logp = input.log_softmax(cdim)
    if weight is not None:
        shape = [1] * input.ndim
        shape[cdim] = C
        logp = logp * weight.reshape(shape)
    loss = -(target * logp).sum(cdim)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / (loss.numel() if input.ndim > 1 else 1)


class _MseLoss(Function):
    """(input - target)^2, reduced, as one graph node: forward runs its kernels without
    recording, backward is 2 (input - target) times the incoming gradient."""

    @staticmethod
    def forward(ctx, input, target, reduction):
        if input._dtype is target._dtype and input._dtype in (_dt.float32, _dt.float64):
            from .elementwise import binary_kernel
            sq = binary_kernel("squared_difference", input, target)  # one pass, the two ops' roundings
        else:
            d = input - target
            sq = d.mul_(d)  # squared in its own memory (d is this call's)
        # the operands, as torch saves them (saved-tensor hooks see the same two); backward
        # recomputes d, which a recorded backward (create_graph) differentiates through
        ctx.save_for_backward(input, target)
        ctx.meta = (input.shape, input.dtype, target.shape, target.dtype, reduction, sq.numel())
        if reduction == "none":
            return sq
        return sq.sum() if reduction == "sum" else sq.mean()

    @staticmethod
    def backward(ctx, g):
        input, target = ctx.saved_tensors
        d = input - target
        in_shape, in_dtype, t_shape, t_dtype, reduction, n = ctx.meta
        scale = 2.0 if reduction != "mean" else (2.0 / n if n else 0.0)
        gd = d * (g * scale)
        gi = _to_input(gd, in_shape, in_dtype) if ctx.needs_input_grad[0] else None
        gt = _to_input(-gd, t_shape, t_dtype) if ctx.needs_input_grad[1] else None
        return gi, gt, None


def _to_input(g, shape, dtype):
    g = unbroadcast(g, shape)
    return g if g.dtype is dtype else g.to(dtype)


def mse_loss(input, target, reduction="mean"):
    if _amp.on and _amp.here(): return _amp.run("mse_loss", mse_loss, input, target, reduction)  # autocast
    check_tensor("mse_loss", input)
    check_tensor("mse_loss", target, "target")
    from .complex_more import refuse_any  # torch refuses complex here too
    refuse_any("mse_loss", input, target)
    _check_reduction("mse_loss", reduction)
    if input._shape != target._shape:
        broadcast_shapes("mse_loss", input.shape, target.shape)  # raises when incompatible
        if input._dtype is not target._dtype:  # torch promotes after broadcasting: 0-d is no exception
            from ..nn.functional._loss_dtypes import broadcast_promote
            input, target = broadcast_promote(input, target)
    return _MseLoss.apply(input, target, reduction)
