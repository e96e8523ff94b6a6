"""fastdl.cuda: whether CUDA was compiled in, whether a GPU is usable, the current device,
device memory, the CUDA random generator, streams and events (torch.cuda's API)."""
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


def memory_allocated(device=None):
    """Bytes in live tensors on the device (rounded block sizes)."""
    return _call("memory_allocated", _index(device, "memory_allocated"))


def max_memory_allocated(device=None):
    return _call("max_memory_allocated", _index(device, "max_memory_allocated"))


def memory_reserved(device=None):
    """memory_allocated plus the free blocks the caching allocator keeps."""
    return _call("memory_reserved", _index(device, "memory_reserved"))


def empty_cache():
    _call("empty_cache")


def reset_peak_memory_stats(device=None):
    _call("reset_peak_memory_stats", _index(device, "reset_peak_memory_stats"))


def get_device_name(device=None):
    return _call("device_name", _index(device, "get_device_name"))


def get_device_capability(device=None):
    return tuple(_call("capability", _index(device, "get_device_capability")))


def synchronize(device=None):
    """Waits for every kernel queued on the device (fastdl runs one stream per device)."""
    with _on(device):
        _call("synchronize")


# ---- the current device -------------------------------------------------------------
# device("cuda") and cuda tensors without an index go to device 0; set_device / device()
# change the CUDA runtime's current device, which the memory statistics default to.

def _index(device, what):
    from .device import device as _device
    if device is None:
        return -1
    if isinstance(device, int) and not isinstance(device, bool):
        return device
    if isinstance(device, str):
        device = _device(device)
    if isinstance(device, _device):
        if device.type != "cuda":
            raise ValueError(f"{what}: expected a CUDA device, got {device}")
        return device.index if device.index is not None else -1
    raise TypeError(f"{what}: expected a device index, a 'cuda[:N]' string or a fastdl.device, got "
                    f"{type(device).__name__}")


def current_device():
    return int(_call("current_device"))


def set_device(device):
    """Makes `device` the CUDA runtime's current device (torch.cuda.set_device); a
    negative index is a no-op, as in torch."""
    index = _index(device, "set_device")
    if index >= 0:
        _call("set_device", index)


class device:
    """Context manager: `device` is the current CUDA device inside the block (None or a
    negative index: unchanged)."""

    def __init__(self, device):
        self.idx, self.prev = _index(device, "cuda.device"), -1

    def __enter__(self):
        if self.idx >= 0:
            self.prev = current_device()
            if self.prev != self.idx:
                set_device(self.idx)
        return self

    def __exit__(self, *exc):
        if self.idx >= 0 and self.prev != self.idx:
            set_device(self.prev)
        return False


class device_of(device):
    """cuda.device of a tensor's device (a no-op for a CPU tensor)."""

    def __init__(self, obj):
        super().__init__(obj.device.index if obj.device.type == "cuda" else -1)


def _on(device_arg):
    import contextlib
    return contextlib.nullcontext() if device_arg is None else device(device_arg)


def get_device_properties(device=None):
    """name, major, minor, total_memory, multi_processor_count, L2_cache_size, warp_size."""
    import types
    props = _call("device_properties", _index(device, "get_device_properties"))
    return types.SimpleNamespace(**props)


def mem_get_info(device=None):
    """(free, total) bytes of the device, as the driver reports them."""
    return tuple(_call("mem_get_info", _index(device, "mem_get_info")))


def is_bf16_supported(including_emulation=True):
    """bfloat16 tensor-core math needs compute capability 8.0 (Ampere) or newer."""
    return is_available() and get_device_capability() >= (8, 0)


def is_tf32_supported():
    return is_available() and get_device_capability() >= (8, 0)


def init():
    """Initialises CUDA (fastdl does so on first use): raises when no GPU can be used."""
    _require("fastdl.cuda.init")


def is_initialized():
    return is_available()


def memory_cached(device=None):  # torch's deprecated name
    return memory_reserved(device)


def reset_max_memory_allocated(device=None):
    reset_peak_memory_stats(device)


def memory_stats(device=None):
    """A subset of torch's counters: allocated / reserved bytes, current and peak."""
    allocated, peak, reserved = memory_allocated(device), max_memory_allocated(device), memory_reserved(device)
    return {"allocated_bytes.all.current": allocated, "allocated_bytes.all.peak": peak,
            "reserved_bytes.all.current": reserved, "active_bytes.all.current": allocated}


def memory_summary(device=None, abbreviated=False):
    stats = memory_stats(device)
    mib = 1 << 20
    return "\n".join([f"fastdl CUDA memory summary, device {current_device() if device is None else device}",
                      f"  allocated (live tensors): {stats['allocated_bytes.all.current'] / mib:.1f} MiB",
                      f"  peak allocated:           {stats['allocated_bytes.all.peak'] / mib:.1f} MiB",
                      f"  reserved (with cache):    {stats['reserved_bytes.all.current'] / mib:.1f} MiB"])


# ---- random numbers: fastdl's CUDA devices share one default generator ---------------

def _generator():
    from .ops.random import cuda_default_generator
    return cuda_default_generator


def manual_seed(seed):
    """Seeds the CUDA default generator (the CPU's is left as it is). Like torch's, it
    works without a GPU: the seed is kept for when CUDA is used."""
    _generator().manual_seed(int(seed))


manual_seed_all = manual_seed


def seed():
    import time
    _generator().manual_seed(int(time.time_ns()) & 0xFFFFFFFFFFFF)


seed_all = seed


def initial_seed():
    _require("fastdl.cuda.initial_seed")
    return _generator().initial_seed()


def get_rng_state(device="cuda"):
    """The CUDA generator's state: (seed, offset), as fastdl.get_rng_state's."""
    _require("fastdl.cuda.get_rng_state")
    return _generator().get_state()


def set_rng_state(new_state, device="cuda"):
    _require("fastdl.cuda.set_rng_state")
    _generator().set_state(new_state)


def get_rng_state_all():
    return [get_rng_state()]


def set_rng_state_all(new_states):
    for state in new_states:
        set_rng_state(state)


class _DefaultGenerators(tuple):
    """torch.cuda.default_generators: one per device (fastdl's devices share one)."""


def __getattr__(name):
    if name == "default_generators":
        return _DefaultGenerators((_generator(),) * max(device_count(), 0))
    raise AttributeError(f"module 'fastdl.cuda' has no attribute {name!r}")


# ---- errors -------------------------------------------------------------------------

OutOfMemoryError = _C.OutOfMemoryError  # raised when an allocation fails after the cache was freed


# ---- streams and events (cuda_streams.py) ---------------------------------------------
from .cuda_streams import (Event, Stream, StreamContext, current_stream, default_stream,  # noqa: E402
                           set_stream, stream)
