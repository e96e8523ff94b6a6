"""batch_norm and layer_norm, each a Function over one fused forward kernel and one
fused backward kernel (csrc/cpu/norm.cpp), and group_norm: layer_norm's Function over
the input seen as (N, G, C/G * prod(*)), then the per-channel affine map."""
import numbers

from ...autograd import Function, is_grad_enabled
from ...ops._util import backend, check_tensor, contiguous_data, desc, empty, same_device
from ._half import half_in_float32
from ...amp import autocast_mode as _amp

__all__ = ["batch_norm", "layer_norm", "group_norm"]


def _opt_contiguous(t):
    return None if t is None else contiguous_data(t)


def _check_float_input(op, input):
    if not input.dtype.is_floating_point:
        raise TypeError(f"{op}: expected a floating point input, got {desc(input)}")


def _check_params(op, input, shape, what, **tensors):
    """Checks each given tensor (None: absent) is a Tensor of `shape` and of input's dtype;
    `what` says the expected shape in the error ("{op}: {name} {what}, got ...")."""
    for name, t in tensors.items():
        if t is None:
            continue
        check_tensor(op, t, name)
        if tuple(t.shape) != shape:
            raise ValueError(f"{op}: {name} {what}, got {desc(t)}")
        if t.dtype is not input.dtype:
            raise TypeError(f"{op}: {name} must have the input's dtype, got {desc(t)} for input {desc(input)}")


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
        # x itself, not a contiguous copy: a recorded backward differentiates through it
        ctx.save_for_backward(x, weight, save_mean, save_invstd)
        ctx.training, ctx.eps = training, eps
        ctx.bias_shape = None if bias is None else bias.shape
        return out

    @staticmethod
    def backward(ctx, g):
        x, weight, save_mean, save_invstd = ctx.saved_tensors
        if is_grad_enabled():  # create_graph: the same gradients in differentiable ops
            dims = (0,) + tuple(range(2, x.ndim))
            shape = (1, -1) + (1,) * (x.ndim - 2)
            stats = None if not ctx.training else (save_mean, save_invstd)
            return _norm_grads(ctx, x, g, weight, dims, shape, dims, stats) + (None,) * 5
        x = contiguous_data(x)
        gx, gw, gb = _grad_buffers(ctx, x, weight)
        backend(x, "batch_norm_backward").batch_norm_backward(contiguous_data(g), x, weight, save_mean, save_invstd,
                                                              gx, gw, gb, ctx.training)
        return gx, gw, gb, None, None, None, None, None


def _norm_grads(ctx, x, g, weight, dims, wshape, red, batch_stats):
    """(gx, gw, gb) of y = xhat * w + b in differentiable ops, for a recorded backward:
    xhat normalises x over `dims`; weight / bias broadcast as `wshape` and their
    gradients sum over `red`. With batch
    statistics (training BatchNorm, LayerNorm) mean and variance are recomputed from x,
    so the second derivative sees them depend on x; otherwise (eval BatchNorm) the kernel's
    saved running statistics are constants."""
    need = ctx.needs_input_grad
    if batch_stats is not None:
        mean = x.mean(dims, keepdim=True)
        rstd = (((x - mean) ** 2).mean(dims, keepdim=True) + ctx.eps).rsqrt()
    else:
        bshape = tuple(x.shape[d] if d not in dims else 1 for d in range(x.ndim))
        _, _, mean0, invstd0 = ctx.saved_tensors
        mean, rstd = mean0.reshape(bshape), invstd0.reshape(bshape)
    xhat = (x - mean) * rstd
    gxhat = g if weight is None else g * weight.reshape(wshape)
    if batch_stats is not None:
        gx = rstd * (gxhat - gxhat.mean(dims, keepdim=True) - xhat * (gxhat * xhat).mean(dims, keepdim=True))
    else:
        gx = gxhat * rstd
    total = (lambda t: t.sum(red)) if red else (lambda t: t)  # no leading dims: nothing to sum
    gw = total(g * xhat).reshape(weight.shape) if weight is not None and need[1] else None
    gb = total(g).reshape(ctx.bias_shape) if ctx.bias_shape is not None and need[2] else None
    return (gx if need[0] else None), gw, gb


def _check_per_channel(op, input, min_ndim, expected, running_mean, running_var, weight, bias):
    """batch_norm / instance_norm's checks: a floating input of at least min_ndim dims
    (`expected` describes its shape), the optional (C,) stats and affine parameters on its
    device, the running stats both given or both None; returns C (input.shape[1])."""
    check_tensor(op, input)
    same_device(op, input, running_mean, running_var, weight, bias)
    if input.ndim < min_ndim:
        raise ValueError(f"{op}: expected an input of shape {expected}, got {desc(input)}")
    _check_float_input(op, input)
    C = input.shape[1]
    _check_params(op, input, (C,), f"should contain {C} elements (one per channel of {desc(input)})",
                  running_mean=running_mean, running_var=running_var, weight=weight, bias=bias)
    if (running_mean is None) != (running_var is None):
        raise ValueError(f"{op}: running_mean and running_var must both be given or both be None")
    return C


@half_in_float32(updated=("running_mean", "running_var"))
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalises each channel (dim 1) of an (N, C) or (N, C, *) input. training=True
    uses the batch's statistics and, when running_mean / running_var are given,
    updates them in place (running_var with the unbiased variance, as PyTorch)."""
    op = "batch_norm"
    C = _check_per_channel(op, input, 2, "(N, C) or (N, C, *)", running_mean, running_var, weight, bias)
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
        ctx.save_for_backward(x, weight, mean, rstd)  # x itself: see _BatchNorm
        ctx.axis, ctx.eps = axis, eps
        ctx.bias_shape = None if bias is None else bias.shape
        return out

    @staticmethod
    def backward(ctx, g):
        x, weight, mean, rstd = ctx.saved_tensors
        if is_grad_enabled():  # create_graph
            dims = tuple(range(ctx.axis, x.ndim))
            lead = tuple(range(ctx.axis))
            return _norm_grads(ctx, x, g, weight, dims, tuple(x.shape[ctx.axis:]), lead, (mean, rstd)) + (None,) * 2
        x = contiguous_data(x)
        gx, gw, gb = _grad_buffers(ctx, x, weight)
        backend(x, "layer_norm_backward").layer_norm_backward(contiguous_data(g), x, mean, rstd, weight, gx, gw, gb,
                                                              ctx.axis)
        return gx, gw, gb, None, None


def _normalized_shape(op, input, normalized_shape, error):
    """normalized_shape (an int or a sequence) as a tuple of ints, which must be the input's
    trailing sizes (else `error`, layer_norm's ValueError or rms_norm's RuntimeError)."""
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(int(s) for s in normalized_shape)
    k = len(normalized_shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != normalized_shape:
        raise error(f"{op}: given normalized_shape={list(normalized_shape)}, expected input with shape "
                    f"[*, {', '.join(map(str, normalized_shape))}], but got input {desc(input)}")
    return normalized_shape


@half_in_float32
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalises over the trailing dims `normalized_shape` of input, per leading index."""
    if _amp.on and _amp.here(): return _amp.run("layer_norm", layer_norm, input, normalized_shape, weight, bias, eps)  # autocast
    op = "layer_norm"
    check_tensor(op, input)
    same_device(op, input, weight, bias)
    normalized_shape = _normalized_shape(op, input, normalized_shape, ValueError)
    k = len(normalized_shape)
    _check_float_input(op, input)
    _check_params(op, input, normalized_shape, f"must have shape {list(normalized_shape)}", weight=weight, bias=bias)
    return _LayerNorm.apply(input, weight, bias, input.ndim - k, float(eps))


def _channel_affine(out, weight, bias):
    """out (N, C, *) times weight and plus bias, each (C,) or None, per channel."""
    per_channel = (out.shape[1],) + (1,) * (out.ndim - 2)  # broadcasts against (N, C, *)
    if weight is not None:
        out = out * weight.reshape(per_channel)
    if bias is not None:
        out = out + bias.reshape(per_channel)
    return out


@half_in_float32
def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Splits the C channels of an (N, C, *) input into num_groups groups and normalises
    each group of each sample over its channels and positions (mean and biased variance,
    as PyTorch), then scales / shifts each channel by weight / bias, each (C,) or None.
    The normalisation is layer_norm's fused Function over the input seen as
    (N, G, C/G * prod(*)); the affine map is a broadcast multiply-add, so gradients
    reach input, weight and bias through autograd on every device."""
    if _amp.on and _amp.here(): return _amp.run("group_norm", group_norm, input, num_groups, weight, bias, eps)  # autocast
    op = "group_norm"
    check_tensor(op, input)
    same_device(op, input, weight, bias)
    if isinstance(num_groups, bool) or not isinstance(num_groups, numbers.Integral) or num_groups <= 0:
        raise ValueError(f"{op}: num_groups must be a positive int, got {num_groups!r}")
    if input.ndim < 2:
        raise ValueError(f"{op}: expected an input of shape (N, C, *) with at least 2 dimensions, got {desc(input)}")
    _check_float_input(op, input)
    shape = tuple(input.shape)
    N, C = shape[:2]
    if C % num_groups != 0:
        raise ValueError(f"{op}: expected the number of channels of input {desc(input)} (dim 1, {C}) to be "
                         f"divisible by num_groups={num_groups}")
    _check_params(op, input, (C,), f"should contain {C} elements (one per channel of {desc(input)})",
                  weight=weight, bias=bias)
    group = C // num_groups
    for s in shape[2:]:
        group *= s
    if N * group == 1:  # PyTorch's _verify_batch_size on [N * C / G, G, *]
        raise ValueError(f"{op}: expected more than 1 value per channel when training, got input size "
                         f"{[N * C // num_groups, num_groups] + list(shape[2:])} (input {desc(input)})")
    out = _LayerNorm.apply(input.reshape(N, num_groups, group), None, None, 2, float(eps)).reshape(shape)
    return _channel_affine(out, weight, bias)
