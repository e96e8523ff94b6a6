"""batch_norm and layer_norm, each a Function over one fused forward kernel and one
fused backward kernel (csrc/cpu/norm.cpp)."""
import numbers

from ...autograd import Function
from ...ops._util import backend, check_tensor, contiguous_data, desc, empty, same_device

__all__ = ["batch_norm", "layer_norm"]


def _opt_contiguous(t):
    return None if t is None else contiguous_data(t)


def _grad_buffers(ctx, x, weight):
    """Outputs for the backward kernel: grad_x, grad_weight, grad_bias (None where not needed)."""
    gx = empty(x.shape, x.dtype, x.device) if ctx.needs_input_grad[0] else None
    gw = empty(weight.shape, x.dtype, x.device) if weight is not None and ctx.needs_input_grad[1] else None
    gb = empty(ctx.bias_shape, x.dtype, x.device) if ctx.bias_shape is not None and ctx.needs_input_grad[2] else None
    return gx, gw, gb


class _BatchNorm(Function):
    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, training, momentum, eps):
        xc = contiguous_data(x)
        C = x.shape[1]
        out = empty(x.shape, x.dtype, x.device)
        save_mean, save_invstd = empty((C,), x.dtype, x.device), empty((C,), x.dtype, x.device)
        backend(x, "batch_norm").batch_norm(xc, weight, bias, running_mean, running_var, out, save_mean, save_invstd,
                                            training, momentum, eps)
        if training and running_mean is not None:
            running_mean._buf.version += 1
            running_var._buf.version += 1
        ctx.save_for_backward(xc, weight, save_mean, save_invstd)
        ctx.training = training
        ctx.bias_shape = None if bias is None else bias.shape
        return out

    @staticmethod
    def backward(ctx, g):
        x, weight, save_mean, save_invstd = ctx.saved_tensors
        gx, gw, gb = _grad_buffers(ctx, x, weight)
        backend(x, "batch_norm_backward").batch_norm_backward(contiguous_data(g), x, weight, save_mean, save_invstd,
                                                              gx, gw, gb, ctx.training)
        return gx, gw, gb, None, None, None, None, None


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalises each channel (dim 1) of an (N, C) or (N, C, *) input. training=True
    uses the batch's statistics and, when running_mean / running_var are given,
    updates them in place (running_var with the unbiased variance, as PyTorch)."""
    op = "batch_norm"
    check_tensor(op, input)
    same_device(op, input, running_mean, running_var, weight, bias)
    if input.ndim < 2:
        raise ValueError(f"{op}: expected an input of shape (N, C) or (N, C, *), got {desc(input)}")
    if not input.dtype.is_floating_point:
        raise TypeError(f"{op}: expected a floating point input, got {desc(input)}")
    C = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is None:
            continue
        check_tensor(op, t, name)
        if tuple(t.shape) != (C,):
            raise ValueError(f"{op}: {name} should contain {C} elements (one per channel of {desc(input)}), "
                             f"got {desc(t)}")
        if t.dtype is not input.dtype:
            raise TypeError(f"{op}: {name} must have the input's dtype, got {desc(t)} for input {desc(input)}")
    if (running_mean is None) != (running_var is None):
        raise ValueError(f"{op}: running_mean and running_var must both be given or both be None")
    if not training and running_mean is None:
        raise ValueError(f"{op}: running_mean and running_var must be defined in evaluation mode")
    if training and input.numel() == C:
        raise ValueError(f"{op}: expected more than 1 value per channel when training, got input of size "
                         f"{list(input.shape)}")
    return _BatchNorm.apply(input, weight, bias, running_mean, running_var, bool(training), float(momentum),
                            float(eps))


class _LayerNorm(Function):
    @staticmethod
    def forward(ctx, x, weight, bias, axis, eps):
        xc = contiguous_data(x)
        lead = tuple(x.shape[:axis])
        out = empty(x.shape, x.dtype, x.device)
        mean, rstd = empty(lead, x.dtype, x.device), empty(lead, x.dtype, x.device)
        weight = _opt_contiguous(weight)
        backend(x, "layer_norm").layer_norm(xc, weight, _opt_contiguous(bias), out, mean, rstd, axis, eps)
        ctx.save_for_backward(xc, weight, mean, rstd)
        ctx.axis = axis
        ctx.bias_shape = None if bias is None else bias.shape
        return out

    @staticmethod
    def backward(ctx, g):
        x, weight, mean, rstd = ctx.saved_tensors
        gx, gw, gb = _grad_buffers(ctx, x, weight)
        backend(x, "layer_norm_backward").layer_norm_backward(contiguous_data(g), x, mean, rstd, weight, gx, gw, gb,
                                                              ctx.axis)
        return gx, gw, gb, None, None


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalises over the trailing dims `normalized_shape` of input, per leading index."""
    op = "layer_norm"
    check_tensor(op, input)
    same_device(op, input, weight, bias)
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(int(s) for s in normalized_shape)
    k = len(normalized_shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != normalized_shape:
        raise ValueError(f"{op}: given normalized_shape={list(normalized_shape)}, expected input with shape "
                         f"[*, {', '.join(map(str, normalized_shape))}], but got input {desc(input)}")
    if not input.dtype.is_floating_point:
        raise TypeError(f"{op}: expected a floating point input, got {desc(input)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is None:
            continue
        check_tensor(op, t, name)
        if tuple(t.shape) != normalized_shape:
            raise ValueError(f"{op}: {name} must have shape {list(normalized_shape)}, got {desc(t)}")
        if t.dtype is not input.dtype:
            raise TypeError(f"{op}: {name} must have the input's dtype, got {desc(t)} for input {desc(input)}")
    return _LayerNorm.apply(input, weight, bias, input.ndim - k, float(eps))
