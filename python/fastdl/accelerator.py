"""torch.accelerator: the device-generic API over the one accelerator fastdl has, CUDA."""
from . import cuda as _cuda
from .device import device as _device

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index", "set_device_index",
           "current_device_idx", "set_device_idx", "synchronize", "current_stream", "set_stream", "device_index"]


def is_available():
    return _cuda.is_available()


def current_accelerator(check_available=False):
    """device('cuda') when fastdl was built with CUDA (and, with check_available, a GPU is
    usable); None otherwise, as torch returns for a CPU-only build."""
    if not _cuda.is_built() or (check_available and not _cuda.is_available()):
        return None
    return _device("cuda")


def device_count():
    return _cuda.device_count()


def current_device_index():
    return _cuda.current_device()


def set_device_index(device):
    _cuda.set_device(device)


current_device_idx, set_device_idx = current_device_index, set_device_index


def synchronize(device=None):
    _cuda.synchronize(device)


def current_stream(device=None):
    return _cuda.current_stream(device)


def set_stream(stream):
    _cuda.set_stream(stream)


device_index = _cuda.device  # context manager over the current device index
