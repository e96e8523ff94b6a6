"""fastdl.cuda: whether CUDA was compiled in, whether a GPU is usable, device memory."""
from . import _C


def is_built():
    """True when this fastdl was compiled with its CUDA kernels."""
    return bool(_C.cuda_built)


def device_count():
    if not is_built():
        return 0
    fn = getattr(_C.cuda, "device_count", None)
    return int(fn()) if fn else 0


def is_available():
    """True when CUDA is compiled in and the driver reports at least one GPU."""
    return device_count() > 0


def _require(what):
    if not is_built():
        raise RuntimeError(f"{what}: fastdl was built without CUDA support (nvcc was not found at build time; "
                           f"reinstall with FASTDL_CUDA=ON on a machine with the CUDA toolkit)")
    if not is_available():
        raise RuntimeError(f"{what}: fastdl was built with CUDA, but no CUDA device is available "
                           f"(no GPU or no NVIDIA driver on this machine)")


def _call(name, *args):
    _require(f"fastdl.cuda.{name}")
    return getattr(_C.cuda, name)(*args)


def synchronize():
    _call("synchronize")


def memory_allocated():
    return _call("memory_allocated")


def max_memory_allocated():
    return _call("max_memory_allocated")


def memory_reserved():
    return _call("memory_reserved")


def empty_cache():
    _call("empty_cache")


def reset_peak_memory_stats():
    _call("reset_peak_memory_stats")


def get_device_name(index=0):
    return _call("device_name", index)


def get_device_capability(index=0):
    return tuple(_call("capability", index))
