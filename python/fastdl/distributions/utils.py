"""Helpers shared by the distributions (torch.distributions.utils' counterparts)."""
import numbers

import numpy as np

from .. import dtypes as _dt
from ..autograd import enable_grad
from ..ops import log, log1p, sigmoid, softmax
from ..ops._util import broadcast_shapes, desc
from ..tensor import Size, Tensor, tensor

# bfloat16 has no NumPy dtype: its eps (2**-7) and most negative finite value by hand
_BF16_FINFO = (2.0 ** -7, -3.3895313892515355e38)


def finfo(dtype):
    """(eps, min) of a floating dtype, as torch.finfo(dtype).eps / .min."""
    if dtype is _dt.bfloat16:
        return _BF16_FINFO
    fi = np.finfo(dtype.np)
    return float(fi.eps), float(fi.min)


def finfo_tiny(dtype):
    """torch.finfo(dtype).tiny: the smallest positive normal number (bfloat16 shares float32's)."""
    if dtype is _dt.bfloat16:
        return float(np.finfo(np.float32).tiny)
    return float(np.finfo(dtype.np).tiny)


def broadcast_all(owner, *values):
    """values broadcast to one shape: numbers become tensors of the first tensor's dtype
    and device (the default dtype when all are numbers). `owner` names the distribution
    in the errors."""
    for v in values:
        if not isinstance(v, (Tensor, numbers.Number)) or isinstance(v, bool):
            raise ValueError(f"{owner}: parameters must be Tensors or numbers, got {type(v).__name__}")
    first = next((v for v in values if isinstance(v, Tensor)), None)
    opts = ({"dtype": _dt.get_default_dtype()} if first is None else
            {"dtype": first.dtype if first.dtype.is_floating_point else _dt.get_default_dtype(),
             "device": first.device})
    ts = [v if isinstance(v, Tensor) else tensor(float(v), **opts) for v in values]
    try:
        shape = broadcast_shapes(owner, *[t.shape for t in ts])
    except ValueError:
        raise ValueError(f"{owner}: parameters " + ", ".join(desc(t) for t in ts)
                         + " cannot be broadcast together") from None
    # expand is differentiable: gradients of the broadcast copies sum back into each parameter
    return tuple(t if tuple(t.shape) == shape else t.expand(shape) for t in ts)


def sum_rightmost(value, n):
    """value summed over its n rightmost dims (Independent's event dims)."""
    if n == 0:
        return value
    return value.reshape(tuple(value.shape[:value.ndim - n]) + (-1,)).sum(-1)


def clamp_probs(probs):
    """probs inside [eps, 1 - eps], so their logs stay finite."""
    eps, _ = finfo(probs.dtype)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    p = clamp_probs(probs)
    return log(p) - log1p(-p) if is_binary else log(p)


def logits_to_probs(logits, is_binary=False):
    return sigmoid(logits) if is_binary else softmax(logits, -1)


def as_size(owner, shape):
    """sample_shape / batch_shape as a Size; an int is refused, as torch.Size(5) is."""
    if isinstance(shape, Tensor) or not isinstance(shape, (tuple, list)):
        raise TypeError(f"{owner}: expected a shape such as (5,) or (2, 3), got {shape!r}")
    for s in shape:
        if not isinstance(s, numbers.Integral) or isinstance(s, bool) or s < 0:
            raise TypeError(f"{owner}: shape {tuple(shape)!r} must hold non-negative ints")
    return Size(tuple(int(s) for s in shape))


class lazy_property:
    """A parameter computed from the other one on first use (Categorical's probs from its
    logits, ...), then stored on the instance. Computed with grad enabled, so a value first
    read under no_grad still carries the graph to the parameters it came from."""

    def __init__(self, fn):
        self.fn = fn
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        with enable_grad():
            value = self.fn(instance)
        instance.__dict__[self.__name__] = value
        return value
