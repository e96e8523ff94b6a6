"""torch.cpu.amp / torch.cuda.amp: the deprecated spellings (FutureWarning, as torch)."""
import types
import warnings

from . import autocast_mode as _am
from .custom import custom_bwd as _custom_bwd, custom_fwd as _custom_fwd
from .grad_scaler import GradScaler as _GradScaler


def _namespace(device):
    def autocast(enabled=True, dtype=None, cache_enabled=True):
        warnings.warn(f"`fastdl.{device}.amp.autocast(args...)` is deprecated. Please use "
                      f"`fastdl.amp.autocast('{device}', args...)` instead.", FutureWarning, stacklevel=2)
        return _am.autocast(device, dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)

    def GradScaler(init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000,  # noqa: N802
                   enabled=True):
        warnings.warn(f"`fastdl.{device}.amp.GradScaler(args...)` is deprecated. Please use "
                      f"`fastdl.amp.GradScaler('{device}', args...)` instead.", FutureWarning, stacklevel=2)
        return _GradScaler(device, init_scale, growth_factor, backoff_factor, growth_interval, enabled)

    def custom_fwd(fwd=None, *, cast_inputs=None):
        warnings.warn(f"`fastdl.{device}.amp.custom_fwd(args...)` is deprecated. Please use "
                      f"`fastdl.amp.custom_fwd(args..., device_type='{device}')` instead.", FutureWarning,
                      stacklevel=2)
        return _custom_fwd(fwd, device_type=device, cast_inputs=cast_inputs)

    def custom_bwd(bwd=None):
        warnings.warn(f"`fastdl.{device}.amp.custom_bwd(args...)` is deprecated. Please use "
                      f"`fastdl.amp.custom_bwd(args..., device_type='{device}')` instead.", FutureWarning,
                      stacklevel=2)
        return _custom_bwd(bwd, device_type=device)

    ns = types.ModuleType(f"fastdl.{device}.amp", f"fastdl.{device}.amp: deprecated spellings of fastdl.amp")
    ns.autocast, ns.GradScaler, ns.custom_fwd, ns.custom_bwd = autocast, GradScaler, custom_fwd, custom_bwd
    return ns


cpu_amp = _namespace("cpu")
cuda_amp = _namespace("cuda")
