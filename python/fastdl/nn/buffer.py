"""nn.Buffer (torch 2.5+): a tensor marked to be registered as a buffer when assigned to a
Module attribute (m.stats = nn.Buffer(t, persistent=False)), as nn.Parameter marks a
parameter. A Tensor subclass sharing data's memory, detached, keeping requires_grad; the
persistent flag is the class (Buffer or its non-persistent twin): fastdl tensors have
fixed slots and no instance attributes."""
from ..tensor import Tensor


class Buffer(Tensor):
    __slots__ = ()
    persistent = True

    def __new__(cls, data=None, *, persistent=True):
        from ..tensor import empty
        if data is None:
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Buffer: expected a Tensor, got {type(data).__name__}")
        t = Tensor._make(data._buf, data._dtype, data._shape, data._strides, data._offset, data._device)
        t.__class__ = Buffer if persistent else _NonPersistentBuffer
        if data.requires_grad:
            t.requires_grad_(True)
        return t

    def __init__(self, data=None, *, persistent=True):
        pass


class _NonPersistentBuffer(Buffer):
    __slots__ = ()
    persistent = False
