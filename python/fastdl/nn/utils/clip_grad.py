"""torch.nn.utils.clip_grad: the total norm of gradients (get_total_norm), scaling by it
(clip_grads_with_norm_), both at once (clip_grad_norm_, and its deprecated alias
clip_grad_norm) and elementwise clamping (clip_grad_value_). `foreach` is accepted for
torch's signatures; fastdl has one path (the fused sum of squares where it applies)."""
import math
import types
import warnings

from ...autograd import no_grad
from ...dtypes import float32, float64
from ...ops import stack
from ...ops._util import backend
from ...tensor import Tensor, tensor

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_"]


def _tensor_list(op, tensors):
    if isinstance(tensors, Tensor):
        return [tensors]
    out = list(tensors)
    for t in out:
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: expected tensors, got {type(t).__name__}")
    return out


def _grads(parameters):
    return [p.grad for p in _tensor_list("clip_grad", parameters) if p.grad is not None]


def _fusable(grads):
    """Whether sum_squares_multi takes these: float32/float64, contiguous, one device."""
    g0 = grads[0]
    for g in grads:
        if g.dtype is not g0.dtype or g.device != g0.device or not g.is_contiguous():
            return False
    return g0.dtype in (float32, float64)


def _norm(g, p):
    a = g.abs()
    if p == 0:
        return (g != 0).sum().to(g.dtype)
    if p == math.inf:
        return a.max() if a.numel() else tensor(0.0, dtype=g.dtype, device=g.device)
    if p == -math.inf:
        return a.min() if a.numel() else tensor(math.inf, dtype=g.dtype, device=g.device)
    if p == 2:
        return (g * g).sum().sqrt()
    return (a ** p).sum() ** (1.0 / p)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The norm of order norm_type of all `tensors` (typically gradients) concatenated
    into one vector, as a 0-d tensor (0.0 for none)."""
    return _total_norm("get_total_norm", tensors, norm_type, error_if_nonfinite)


def _total_norm(op, tensors, norm_type, error_if_nonfinite):
    norm_type = float(norm_type)
    ts = _tensor_list(op, tensors)
    if not ts:
        return tensor(0.0)
    with no_grad():
        t0 = ts[0]
        if norm_type == 2 and _fusable(ts):  # one kernel call instead of five ops per tensor
            total = tensor(math.sqrt(backend(t0, op).sum_squares_multi(ts)), dtype=t0.dtype,
                           device=t0.device)
        else:
            total = _norm(stack([_norm(t, norm_type).to(dtype=t0.dtype, device=t0.device) for t in ts]), norm_type)
    if error_if_nonfinite and not math.isfinite(float(total)):
        raise RuntimeError(f"{op}: the total norm of order {norm_type} for gradients is non-finite, so it cannot be "
                           f"clipped; pass error_if_nonfinite=False to scale by it anyway")
    return total


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scales the gradients of `parameters` by min(1, max_norm / (total_norm + 1e-6)), in place."""
    grads = _grads(parameters)
    if not grads:
        return
    coef = float(max_norm) / (float(total_norm) + 1e-6)
    if coef >= 1.0:  # torch multiplies by min(coef, 1) (NaN included): by 1.0 changes nothing
        return
    with no_grad():
        for g in grads:
            g.mul_(coef)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scales all gradients together so that the norm of their concatenation is at most
    max_norm; returns that total norm (before clipping) as a 0-d tensor."""
    if not isinstance(parameters, Tensor):
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and not parameters:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=2)
    grads = _grads(parameters)
    total = _total_norm("clip_grad_norm_", grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total, foreach)
    return total


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated alias of clip_grad_norm_ (a FutureWarning, as torch)."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamps every gradient elementwise to [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    with no_grad():
        for g in _grads(parameters):
            g.clamp_(-clip_value, clip_value)
