"""torch's global switches: deterministic algorithms, warn-always, the default device,
float32 matmul precision, flush-denormal and inter-op threads.

What each does in fastdl (stated here so nobody has to guess):
- use_deterministic_algorithms / set_deterministic_debug_mode: the setting is kept and
  reported, but no fastdl op consults it. fastdl's CPU kernels are deterministic; a few
  CUDA backward kernels (index_add / scatter_add / pooling / reductions that use
  atomicAdd) are not bitwise reproducible, and fastdl does not raise or warn for them.
- set_warn_always: kept and reported (fastdl's warnings go through Python's warnings
  module, whose filters decide how often they show).
- set_default_device: the device of the creation functions (empty, zeros, ones, full,
  tensor, arange, linspace, eye, rand, randn, ... whenever device= is not given): all
  of them resolve a missing device through fastdl.device.to_device, which reads it.
- set_float32_matmul_precision: "highest" turns fastdl.backends.cuda.matmul.allow_tf32
  off, "high" / "medium" turn it on (TF32 on CUDA; CPU matmul is always full float32).
- set_flush_denormal: fastdl cannot set the CPU's FTZ/DAZ bits, so it returns False
  (as torch does on a CPU without SSE3) and changes nothing.
- set_num_interop_threads: fastdl has no inter-op thread pool; the number is kept and
  reported, as torch reports it, and changes nothing.
"""
import os
import warnings

__all__ = ["use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "set_deterministic_debug_mode",
           "get_deterministic_debug_mode", "set_warn_always", "is_warn_always_enabled", "set_default_device",
           "get_default_device", "set_float32_matmul_precision", "get_float32_matmul_precision", "set_flush_denormal",
           "get_num_interop_threads", "set_num_interop_threads"]

_state = {"deterministic": False, "warn_only": False, "warn_always": False, "precision": "highest",
          "interop": None}


def _need_bool(op, arg, value):
    if not isinstance(value, bool):
        raise TypeError(f"{op}(): argument '{arg}' must be bool, not {type(value).__name__}")


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Records the mode (see the module docstring: fastdl's ops do not consult it)."""
    _need_bool("use_deterministic_algorithms", "mode", mode)
    _need_bool("use_deterministic_algorithms", "warn_only", warn_only)
    _state["deterministic"], _state["warn_only"] = mode, mode and warn_only


def are_deterministic_algorithms_enabled():
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled():
    return _state["warn_only"]


_DEBUG_MODES = ("default", "warn", "error")


def set_deterministic_debug_mode(debug_mode):
    """0 / "default": off; 1 / "warn": on, warn only; 2 / "error": on."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(f"invalid value of debug_mode, expected one of `default`, `warn`, `error`, but got "
                               f"{debug_mode}")
        debug_mode = _DEBUG_MODES.index(debug_mode)
    elif not isinstance(debug_mode, int) or isinstance(debug_mode, bool):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    use_deterministic_algorithms(debug_mode > 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode():
    if not _state["deterministic"]:
        return 0
    return 1 if _state["warn_only"] else 2


def set_warn_always(b):
    _need_bool("set_warn_always", "b", b)
    _state["warn_always"] = b


def is_warn_always_enabled():
    return _state["warn_always"]


def set_default_device(device):
    """The device creation functions use when device= is not given (None: back to cpu)."""
    from .device import CPU, _default, device as _device
    if device is None:
        _default[0] = CPU
        return
    if isinstance(device, int) and not isinstance(device, bool):
        device = _device("cuda", device)
    d = _device(device)
    if d.type == "cuda":
        from . import cuda
        cuda._require("set_default_device")
    _default[0] = d


def get_default_device():
    from .device import _default
    return _default[0]


_PRECISIONS = ("highest", "high", "medium")


def set_float32_matmul_precision(precision):
    """"highest": full float32 matmul; "high" / "medium": TF32 allowed on CUDA
    (fastdl.backends.cuda.matmul.allow_tf32)."""
    if not isinstance(precision, str):
        raise RuntimeError(f"set_float32_matmul_precision expects a str, but got {type(precision).__name__}")
    if precision not in _PRECISIONS:
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
                      f"set_float32_matmul_precision call has no effect.")
        return
    from .backends import cuda
    cuda.matmul.allow_tf32 = precision != "highest"
    _state["precision"] = precision


def get_float32_matmul_precision():
    from .backends import cuda
    if not cuda.matmul.allow_tf32:
        return "highest"  # allow_tf32 set off directly wins, as in torch
    return "high" if _state["precision"] == "highest" else _state["precision"]


def set_flush_denormal(mode):
    """Returns False: fastdl cannot set flush-to-zero / denormals-are-zero (nothing changes)."""
    _need_bool("set_flush_denormal", "mode", mode)
    return False


def get_num_interop_threads():
    return _state["interop"] or os.cpu_count() or 1


def set_num_interop_threads(num):
    """Recorded only: fastdl has no inter-op thread pool (see fastdl.set_num_threads)."""
    if not isinstance(num, int) or isinstance(num, bool) or num < 1:
        raise RuntimeError(f"set_num_interop_threads expects a positive integer, got {num!r}")
    _state["interop"] = num
