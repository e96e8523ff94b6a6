"""torch's small top-level utilities: asarray, frombuffer, scalar_tensor, rsub, fill,
the functional forms of some Tensor methods (zero_, detach, get_device, is_conj, ...),
typename and is_storage."""
import warnings

import numpy as np

from .. import _C
from .. import dtypes as _dt
from ..device import to_device
from ..tensor import Tensor, contiguous_strides, from_numpy, full, tensor
from ._util import check_tensor, desc

__all__ = ["asarray", "frombuffer", "scalar_tensor", "rsub", "is_same_size", "fill", "fill_", "zero_", "detach",
           "detach_", "is_inference", "is_conj", "is_neg", "get_device", "typename", "is_storage"]


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=None):
    """torch.asarray: obj (a Tensor, a NumPy array, a DLPack-capable object, a sequence or
    a number) as a tensor, sharing memory when dtype and device allow and copy is not
    True (copy=False: raise instead of copying). For a Tensor, an unspecified
    requires_grad keeps its graph (as torch 2.13); requires_grad=False detaches."""
    d = None if dtype is None else _dt.to_dtype(dtype)
    dev = None if device is None else to_device(device)
    if copy not in (None, True, False):
        raise TypeError(f"asarray: copy must be None, True or False, got {copy!r}")
    if isinstance(obj, Tensor):
        out = _from_tensor(obj, d, dev, copy)
        if requires_grad is False and out.requires_grad:
            out = out.detach()
    else:
        if not isinstance(obj, np.ndarray) and hasattr(obj, "__dlpack__"):
            from ..dlpack import from_dlpack
            obj = from_dlpack(obj)
            out = _from_tensor(obj, d, dev, copy)
        elif isinstance(obj, np.ndarray) and obj.dtype in _dt._BY_NP:
            out = _from_tensor(from_numpy(obj) if obj.flags.c_contiguous else _no_alias(obj, copy), d, dev,
                               False if copy is False else (copy or None))
        else:
            if copy is False:
                raise ValueError(f"asarray: can't alias arbitrary sequence into a tensor ({type(obj).__name__}); "
                                 f"pass copy=None or True")
            out = tensor(obj, dtype=d, device=dev)
    if requires_grad:
        if out.is_leaf:
            out.requires_grad_(True)
    return out


def _no_alias(arr, copy):
    if copy is False:
        raise ValueError("asarray: can't alias a non-C-contiguous NumPy array (copy=False)")
    return from_numpy(np.ascontiguousarray(arr))


def _from_tensor(t, d, dev, copy):
    same = (d is None or d is t.dtype) and (dev is None or dev == t.device)
    if same and not copy:
        return t
    if not same and copy is False:
        raise ValueError(f"asarray: can't alias {desc(t)} into dtype {d or t.dtype} on {dev or t.device} "
                         f"(copy=False)")
    out = t.to(device=dev or t.device, dtype=d or t.dtype)
    return out.clone() if out is t else out


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """A 1-D tensor sharing the memory of a Python buffer-protocol object (bytes,
    bytearray, array.array, memoryview, ...): count elements of dtype from byte offset."""
    d = _dt.to_dtype(dtype)
    try:
        mv = memoryview(buffer)
    except TypeError:
        raise ValueError("frombuffer: object does not implement Python buffer protocol.") from None
    length, size = mv.nbytes, d.itemsize
    if length == 0 or count == 0:
        raise ValueError(f"both buffer length ({length}) and count ({count}) must not be 0")
    if offset < 0 or offset >= length:
        raise ValueError(f"offset ({offset} bytes) must be non-negative and no greater than buffer length ({length} "
                         f"bytes) minus 1")
    if count < 0:
        if (length - offset) % size:
            raise ValueError(f"buffer length ({length - offset} bytes) after offset ({offset} bytes) must be a "
                             f"multiple of element size ({size})")
        count = (length - offset) // size
    elif offset + count * size > length:
        raise ValueError(f"requested buffer length ({count} * {size} bytes) after offset ({offset} bytes) must not "
                         f"be greater than actual buffer length ({length} bytes)")
    if mv.readonly:
        warnings.warn("frombuffer: the given buffer is not writable; writing to the tensor is undefined behaviour")
    raw = np.frombuffer(buffer, dtype=np.uint8, count=count * size, offset=offset)
    buf = _C.Buffer.wrap_numpy(raw)  # keeps raw, so the buffer, alive
    from ..device import CPU
    t = Tensor._make(buf, d, (count,), contiguous_strides((count,)), 0, CPU)
    return t.requires_grad_(True) if requires_grad else t


def scalar_tensor(s, *, dtype=None, layout=None, device=None, pin_memory=None, requires_grad=False):
    """A 0-dim tensor of s; the dtype defaults to the default float dtype whatever s is."""
    if isinstance(s, Tensor):
        s = s.item()
    if not isinstance(s, (bool, int, float, np.number, np.bool_)):
        raise TypeError(f"scalar_tensor(): argument 's' must be Number, not {type(s).__name__}")
    return full((), s, dtype=dtype or _dt.get_default_dtype(), device=device, requires_grad=requires_grad)


def rsub(input, other, *, alpha=1):
    """other - alpha * input."""
    check_tensor("rsub", input)
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)):
        raise TypeError(f"rsub: alpha must be a number, got {type(alpha).__name__}")
    if isinstance(alpha, float) and not input.dtype.is_floating_point and not (
            isinstance(other, Tensor) and other.dtype.is_floating_point) and not isinstance(other, float):
        raise RuntimeError(f"rsub: for integral input tensors, argument alpha must not be a floating point number "
                           f"(got {desc(input)} and alpha={alpha})")
    return other - (input if alpha == 1 else input * alpha)


def is_same_size(input, other):
    check_tensor("is_same_size", input)
    check_tensor("is_same_size", other, "other")
    return tuple(input.shape) == tuple(other.shape)


def fill(input, value):
    """A new tensor of input's shape, dtype and device holding value (a number or a 0-dim
    tensor); the gradient reaches a tensor value (summed) and is zero for input."""
    check_tensor("fill", input)
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} "
                           f"dimensions.")
    from . import where
    keep = full(input.shape, True, dtype=_dt.bool_, device=input.device)
    return where(keep, value.to(input.device) if isinstance(value, Tensor) else value, input).to(input.dtype)


def fill_(input, value):
    check_tensor("fill_", input)
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} "
                           f"dimensions.")
    return input.fill_(value)


def _method_form(name, doc):
    def fn(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
        return getattr(input, name)(*args, **kwargs)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


zero_ = _method_form("zero_", "Fills input with zeros in place (input.zero_()).")
detach = _method_form("detach", "input.detach(): the same memory, outside the graph.")
detach_ = _method_form("detach_", "input.detach_(): takes input out of the graph in place.")
is_inference = _method_form("is_inference", "False: fastdl has no inference tensors (inference_mode is no_grad).")
is_conj = _method_form("is_conj", "False: fastdl conjugates eagerly (conj copies), so no tensor is a lazy conjugate.")
is_neg = _method_form("is_neg", "False: fastdl has no lazy negation bit.")
get_device = _method_form("get_device", "-1 for a CPU tensor, else the CUDA device index.")

_LEGACY = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16", "int64": "Long",
           "bool": "Bool"}


def typename(obj):
    """torch.typename: 'fastdl.FloatTensor' (legacy type names, 'fastdl.cuda.FloatTensor' on
    CUDA) for a tensor, else the object's module-qualified name ('int' for builtins)."""
    if isinstance(obj, Tensor):
        where = "fastdl.cuda." if obj.device.type == "cuda" else "fastdl."
        return f"{where}{_LEGACY[obj.dtype.name]}Tensor"
    module = getattr(obj, "__module__", "") or ""
    if hasattr(obj, "__qualname__"):
        qualname = obj.__qualname__
    elif hasattr(obj, "__name__"):
        qualname = obj.__name__
    else:
        module, qualname = obj.__class__.__module__ or "", obj.__class__.__qualname__
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"


def is_storage(obj):
    """True for fastdl's storage objects (the Buffer under a tensor, t._buf)."""
    return isinstance(obj, _C.Buffer)
