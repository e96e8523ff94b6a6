"""Tensor storages, as torch's: Tensor.untyped_storage() (bytes) and Tensor.storage()
(elements of the tensor's dtype) wrap the tensor's Buffer, so views share one storage
(x.untyped_storage().data_ptr() == x[1:].untyped_storage().data_ptr()); Tensor.set_,
as_subclass, storage_type, is_set_to.

fastdl differences: a storage is a read-only window on the buffer (no resize_, no
copy_ / fill_ into it; write through a tensor); storage() does not give torch's
TypedStorage deprecation warning; set_ with a size beyond the source's memory raises
(torch grows the storage); as_subclass of a tensor that requires grad returns a view
linked to it by autograd (torch returns the same tensor under another class, a leaf if
it was one)."""
import math

import numpy as np

from . import dtypes as _dt
from .tensor import Size, Tensor

__all__ = ["UntypedStorage", "TypedStorage", "install"]


class UntypedStorage:
    """The bytes of a tensor's memory (torch.UntypedStorage)."""

    def __init__(self, buf, device):
        self._buf, self.device = buf, device

    def nbytes(self):
        return self._buf.nbytes

    def size(self):
        return self._buf.nbytes

    __len__ = size

    def element_size(self):
        return 1

    def data_ptr(self):
        return self._buf.ptr

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    def is_shared(self):
        return False

    def is_pinned(self, device="cuda"):
        return False

    def _elements(self, dtype):
        n = self._buf.nbytes // dtype.itemsize
        return Tensor._make(self._buf, dtype, Size((n,)), (1,), 0, self.device)

    def tolist(self):
        return self._elements(_dt.bool_).cpu()._np_view().view(np.uint8).tolist()

    def untyped(self):
        return self

    def __eq__(self, other):
        return isinstance(other, UntypedStorage) and other._buf is self._buf

    def __hash__(self):
        return hash(self._buf.ptr)

    def __repr__(self):
        return f"fastdl.{type(self).__name__}(nbytes={self.nbytes()}, device={self.device})"


class TypedStorage(UntypedStorage):
    """The memory as elements of a dtype (torch.TypedStorage, what Tensor.storage() gives)."""

    def __init__(self, buf, device, dtype):
        super().__init__(buf, device)
        self.dtype = dtype

    def size(self):
        return self._buf.nbytes // self.dtype.itemsize

    __len__ = size

    def element_size(self):
        return self.dtype.itemsize

    def tolist(self):
        return self._elements(self.dtype).tolist()

    def untyped(self):
        return UntypedStorage(self._buf, self.device)

    def _untyped_storage(self):
        return self.untyped()

    def __eq__(self, other):
        return isinstance(other, TypedStorage) and other._buf is self._buf and other.dtype is self.dtype

    __hash__ = UntypedStorage.__hash__


_LEGACY = {"float32": "FloatStorage", "float64": "DoubleStorage", "float16": "HalfStorage",
           "bfloat16": "BFloat16Storage", "int64": "LongStorage", "bool": "BoolStorage"}
_TYPES = {}


def _storage_type(dtype):
    """torch's legacy storage class of a dtype (FloatStorage, ...): a TypedStorage subclass."""
    cls = _TYPES.get(dtype)
    if cls is None:
        cls = _TYPES[dtype] = type(_LEGACY.get(dtype.name, dtype.name + "Storage"), (TypedStorage,),
                                   {"__module__": "fastdl", "dtype": dtype})
    return cls


def _untyped_storage(self):
    return UntypedStorage(self._buf, self._device)


def _storage(self):
    return _storage_type(self._dtype)(self._buf, self._device, self._dtype)


def _storage_type_method(self):
    return _storage_type(self._dtype)


def _is_set_to(self, tensor):
    """True when both tensors are the same view: memory, offset, size and strides."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"is_set_to(): argument 'tensor' must be Tensor, not {type(tensor).__name__}")
    return (self._buf is tensor._buf and self._offset == tensor._offset and tuple(self._shape) == tuple(tensor._shape)
            and tuple(self._strides) == tuple(tensor._strides))


def _set_(self, source=None, storage_offset=None, size=None, stride=None):
    """This tensor becomes a view of source's memory (a Tensor or a storage): source's
    own geometry, or (storage_offset, size, stride) into its memory; set_() alone: an
    empty tensor with no memory."""
    from .autograd import is_grad_enabled
    from .tensor import contiguous_strides, empty
    if self.requires_grad and self._grad_fn is None and is_grad_enabled():
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    if source is None:
        src = empty(0, dtype=self._dtype, device=self._device)
        buf, offset, shape, strides = src._buf, 0, (0,), (1,)
    elif isinstance(source, Tensor):
        if source._dtype is not self._dtype:
            raise RuntimeError(f"set_: could not set a tensor of dtype {self._dtype} to a source of dtype "
                               f"{source._dtype}")
        buf, offset, shape, strides = source._buf, source._offset, source._shape, source._strides
    elif isinstance(source, UntypedStorage):
        if isinstance(source, TypedStorage) and source.dtype is not self._dtype:
            raise RuntimeError(f"set_: could not set a tensor of dtype {self._dtype} to a storage of dtype "
                               f"{source.dtype}")
        buf = source._buf
        offset, shape = 0, (buf.nbytes // self._dtype.itemsize,)
        strides = (1,)
        if source.device != self._device:
            raise RuntimeError(f"set_: the storage is on {source.device}, the tensor on {self._device}")
    else:
        raise TypeError(f"set_(): source must be a Tensor or a storage, got {type(source).__name__}")
    if storage_offset is not None or size is not None or stride is not None:
        if size is None:
            raise TypeError("set_(): size is required with storage_offset / stride")
        shape = tuple(int(s) for s in (size if isinstance(size, (tuple, list, Size)) else (size,)))
        strides = contiguous_strides(shape) if stride is None else tuple(int(s) for s in stride)
        offset = 0 if storage_offset is None else int(storage_offset)
        if len(strides) != len(shape) or offset < 0 or any(s < 0 for s in shape) or any(s < 0 for s in strides):
            raise RuntimeError(f"set_: invalid geometry size={list(shape)}, stride={list(strides)}, "
                               f"storage_offset={offset}")
        last = offset + sum((n - 1) * st for n, st in zip(shape, strides)) if math.prod(shape) else offset - 1
        if (last + 1) * self._dtype.itemsize > buf.nbytes:
            raise RuntimeError(f"set_: size {list(shape)} with stride {list(strides)} and storage_offset {offset} "
                               f"needs {(last + 1) * self._dtype.itemsize} bytes, the source has {buf.nbytes}")
        if isinstance(source, Tensor) and source._device != self._device:
            raise RuntimeError(f"set_: the source is on {source._device}, the tensor on {self._device}")
    elif isinstance(source, Tensor) and source._device != self._device:
        raise RuntimeError(f"set_: the source is on {source._device}, the tensor on {self._device}")
    self._buf, self._offset, self._shape, self._strides = buf, offset, Size(shape), tuple(strides)
    buf.version += 1
    return self


def _as_subclass(self, cls):
    """self as an instance of the Tensor subclass cls, sharing its memory."""
    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        raise TypeError("Creating a Tensor subclass from a class that does not inherit from Tensor is not possible. "
                        "Make sure your class inherits from Tensor.")
    src = self.view_as(self) if self.requires_grad else self  # a view autograd links to self
    out = cls._make(src._buf, src._dtype, src._shape, src._strides, src._offset, src._device)
    if src is not self:
        out._grad_fn, out._out_index, out._requires_grad = src._grad_fn, src._out_index, src._requires_grad
    return out


def install():
    Tensor.untyped_storage = _untyped_storage
    Tensor.storage = _storage
    Tensor.storage_type = _storage_type_method
    Tensor.is_set_to = _is_set_to
    Tensor.set_ = _set_
    Tensor.as_subclass = _as_subclass
