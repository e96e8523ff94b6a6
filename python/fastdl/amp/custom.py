"""custom_fwd / custom_bwd (torch.amp): autocast for a custom autograd.Function.

custom_fwd(fwd=None, *, device_type, cast_inputs=None) on Function.forward: with
cast_inputs=None the forward runs in the caller's autocast state; with a dtype and
autocast enabled, its floating tensor arguments are cast to it and it runs with autocast
off. custom_bwd on backward runs it in the autocast state the forward ran in."""
import functools

from . import autocast_mode as _am


def _cast_inputs(value, dtype):
    from ..tensor import Tensor
    if isinstance(value, Tensor):
        return value.to(dtype) if value.dtype.is_floating_point and value.dtype is not dtype else value
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_inputs(v, dtype) for v in value)
    if isinstance(value, dict):
        return {k: _cast_inputs(v, dtype) for k, v in value.items()}
    return value


def custom_fwd(fwd=None, *, device_type, cast_inputs=None):
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        ctx = args[0]
        ctx._dtype = _am.get_autocast_dtype(device_type)
        if cast_inputs is None:
            ctx._fwd_used_autocast = _am.is_autocast_enabled(device_type)
            return fwd(*args, **kwargs)
        autocast_context = _am.is_autocast_enabled(device_type)
        ctx._fwd_used_autocast = False
        if autocast_context:
            with _am.autocast(device_type=device_type, enabled=False):
                return fwd(*_cast_inputs(args, cast_inputs), **_cast_inputs(kwargs, cast_inputs))
        return fwd(*args, **kwargs)
    return decorate_fwd


def custom_bwd(bwd=None, *, device_type):
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args, **kwargs):
        ctx = args[0]
        with _am.autocast(device_type=device_type, enabled=ctx._fwd_used_autocast, dtype=ctx._dtype):
            return bwd(*args, **kwargs)
    return decorate_bwd
