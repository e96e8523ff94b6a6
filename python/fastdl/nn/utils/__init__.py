"""torch.nn.utils: gradient clipping (clip_grad_norm_ / clip_grad_value_) here, and
variable-length sequences in .rnn (pad_sequence, pack_padded_sequence, ...)."""
import math

from ...autograd import no_grad
from ...dtypes import float32, float64
from ...ops import stack
from ...ops._util import backend
from ...tensor import Tensor, tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


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
        return a.max() if a.numel() else tensor(0.0, dtype=g.dtype)
    if p == 2:
        return (g * g).sum().sqrt()
    return (a ** p).sum() ** (1.0 / p)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scales all gradients together so that the norm of their concatenation is at most
    max_norm; returns that total norm (before clipping) as a 0-d tensor."""
    norm_type = float(norm_type)
    grads = _grads(parameters)
    if not grads:
        return tensor(0.0)
    with no_grad():
        if norm_type == 2 and _fusable(grads):  # one kernel call instead of five ops per gradient
            g0 = grads[0]
            total = tensor(math.sqrt(backend(g0, "clip_grad_norm_").sum_squares_multi(grads)), dtype=g0.dtype,
                           device=g0.device)
        else:
            total = _norm(stack([_norm(g, norm_type).to(grads[0].dtype) for g in grads]), norm_type)
        if error_if_nonfinite and not math.isfinite(float(total)):
            raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} for gradients is non-finite, "
                               f"so it cannot be clipped; pass error_if_nonfinite=False to scale by it anyway")
        coef = float(max_norm) / (float(total) + 1e-6)
        if not coef >= 1.0:  # torch multiplies by min(coef, 1) (NaN included): by 1.0 changes nothing
            for g in grads:
                g.mul_(coef)
    return total


def clip_grad_value_(parameters, clip_value):
    """Clamps every gradient elementwise to [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    with no_grad():
        for g in _grads(parameters):
            g.clamp_(-clip_value, clip_value)


from . import rnn  # noqa: E402,F401  (fastdl.nn.utils.rnn, as torch.nn.utils.rnn)
