"""DLPack interchange, zero-copy both ways (PyTorch's `torch.from_dlpack` semantics).

`from_dlpack(obj)` takes any object with `__dlpack__` / `__dlpack_device__` (NumPy
arrays, torch and CuPy tensors) or a legacy "dltensor" capsule, and returns a Tensor
sharing its memory; the producer's memory stays alive as long as any fastdl view of
it does. `Tensor.__dlpack__` exports the other way and keeps the tensor's buffer alive
until the consumer releases it. CPU (kDLCPU) and CUDA (kDLCUDA) tensors of float32,
float64, float16, bfloat16, int64, int32, int16, int8, uint8 and bool, with any strides (DLPack counts strides in elements).

fastdl runs every CUDA kernel on the legacy default stream, so a consumer on that
stream (`stream=None` or 1) needs no synchronisation; any other stream gets a device
synchronisation before the capsule is handed out.
"""
from . import _C
from . import dtypes as _dt
from .device import CPU, device as _device

KDL_CPU, KDL_CUDA = 1, 2
_LEGACY_DEFAULT_STREAM = 1
_BY_CODE = {d.code: d for d in _dt.ALL}


def dlpack_device(t):
    """(DLPack device type, device index) of a tensor."""
    return (KDL_CUDA, t._device.index or 0) if t._device.type == "cuda" else (KDL_CPU, 0)


def to_dlpack(t, stream=None, dl_device=None, copy=None):
    """A "dltensor" capsule over t's memory (the body of Tensor.__dlpack__)."""
    if t.requires_grad:
        raise RuntimeError("__dlpack__: cannot export a tensor that requires grad; use tensor.detach()")
    if dl_device is not None and tuple(dl_device) != dlpack_device(t):
        raise BufferError(f"__dlpack__: the tensor is on {t.device}; exporting to DLPack device "
                          f"{tuple(dl_device)} would need a copy across devices")
    if copy:
        t = t.clone()
    if t._device.type == "cuda" and stream not in (None, -1, _LEGACY_DEFAULT_STREAM):
        _C.cuda.synchronize()
    return _C.dlpack_export(t)


def from_dlpack(obj):
    """A Tensor sharing the memory of a DLPack producer or a "dltensor" capsule."""
    from .tensor import Tensor
    if isinstance(obj, Tensor):
        return obj
    if hasattr(obj, "__dlpack__"):
        kind, index = (int(v) for v in obj.__dlpack_device__())
        if kind == KDL_CPU:
            capsule = obj.__dlpack__()
        elif kind == KDL_CUDA:
            if not _C.cuda_built:
                raise RuntimeError("from_dlpack: the tensor is on CUDA but fastdl was built without CUDA")
            capsule = obj.__dlpack__(stream=_LEGACY_DEFAULT_STREAM)
        else:
            raise ValueError(f"from_dlpack: unsupported device (DLPack device type {kind}); "
                             "fastdl supports CPU (1) and CUDA (2)")
    elif type(obj).__name__ == "PyCapsule":
        capsule = obj
    else:
        raise TypeError(f"from_dlpack: expected an object with __dlpack__ or a DLPack capsule, "
                        f"got {type(obj).__name__}")
    buf, code, shape, strides, offset, dev_code, index = _C.dlpack_import(capsule)
    dev = _device("cuda", index) if dev_code == 1 else CPU  # fastdl::DeviceType codes
    return Tensor._make(buf, _BY_CODE[code], shape, strides, offset, dev)


__all__ = ["from_dlpack", "to_dlpack", "dlpack_device"]
