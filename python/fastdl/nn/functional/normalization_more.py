"""instance_norm, rms_norm and local_response_norm (torch.nn.functional's signatures).

instance_norm with input statistics is layer_norm's fused Function over the input seen as
(N, C, prod(*)), i.e. one normalisation per (sample, channel); with running statistics
(use_input_stats=False) it is batch_norm in evaluation mode. rms_norm and
local_response_norm are compositions of differentiable ops, so they run on every device."""
import numbers

import numpy as np

from ... import dtypes as _dt
from ...autograd import no_grad
from ...ops._util import check_tensor, desc, same_device
from .normalization import (_LayerNorm, _channel_affine, _check_float_input, _check_params, _check_per_channel,
                            _normalized_shape, batch_norm)
from ._half import half_in_float32

__all__ = ["instance_norm", "rms_norm", "local_response_norm"]


@half_in_float32(updated=("running_mean", "running_var"))
def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalises each channel of each sample of an (N, C, *) input over its positions;
    weight / bias (C,) scale and shift each channel. With use_input_stats and running
    stats given, these are updated with the batch mean of the per-instance statistics
    (running_var with the unbiased variance), as torch."""
    op = "instance_norm"
    C = _check_per_channel(op, input, 3, "(N, C, *) with at least 3 dimensions", running_mean, running_var, weight,
                           bias)
    shape = tuple(input.shape)
    N = shape[0]
    if not use_input_stats:
        if running_mean is None:
            raise ValueError(f"{op}: use_input_stats=False needs running_mean and running_var")
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    L = 1
    for s in shape[2:]:
        L *= s
    if L <= 1:
        raise ValueError(f"{op}: Expected more than 1 spatial element when training, got input size {list(shape)}")
    flat = input.reshape(N, C, L)
    if running_mean is not None:
        with no_grad():
            x = flat.detach()
            m = float(momentum)
            running_mean.mul_(1 - m).add_(x.mean(2).mean(0) * m)
            running_var.mul_(1 - m).add_(x.var(2, unbiased=True).mean(0) * m)
    out = _LayerNorm.apply(flat, None, None, 2, float(eps)).reshape(shape)
    return _channel_affine(out, weight, bias)


def _finfo_eps(dtype):
    if dtype is _dt.bfloat16:
        return 2.0 ** -7
    return float(np.finfo(dtype.np).eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """input / sqrt(mean(input^2 over the trailing normalized_shape dims) + eps) * weight;
    eps=None is the machine epsilon of input's dtype (torch.finfo(dtype).eps)."""
    op = "rms_norm"
    check_tensor(op, input)
    same_device(op, input, weight)
    normalized_shape = _normalized_shape(op, input, normalized_shape, RuntimeError)
    k = len(normalized_shape)
    _check_float_input(op, input)
    _check_params(op, input, normalized_shape, f"must have shape {list(normalized_shape)}", weight=weight)
    eps = _finfo_eps(input.dtype) if eps is None else float(eps)
    dims = tuple(range(input.ndim - k, input.ndim))
    out = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return out if weight is None else out * weight


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """input / (k + alpha * mean of input^2 over a window of `size` channels)^beta; the
    window (zero-padded size//2 before and (size-1)//2 after) slides along dim 1."""
    op = "local_response_norm"
    check_tensor(op, input)
    if input.ndim < 3:
        raise ValueError(f"{op}: Expected 3D or higher dimensionality input (got {input.ndim} dimensions, "
                         f"input {desc(input)})")
    if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size <= 0:
        raise ValueError(f"{op}: size must be a positive int, got {size!r}")
    _check_float_input(op, input)
    if input.numel() == 0:
        return input
    from .padding import pad
    shape = tuple(input.shape)
    C = shape[1]
    sq = (input * input).reshape(shape[0], C, -1)
    sq = pad(sq, (0, 0, size // 2, (size - 1) // 2))
    win = sq.narrow(1, 0, C)
    for i in range(1, size):  # `size` shifted views of the padded channels
        win = win + sq.narrow(1, i, C)
    div = (win.reshape(shape) * (float(alpha) / size) + float(k)) ** float(beta)
    return input / div
