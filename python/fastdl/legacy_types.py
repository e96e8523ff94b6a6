"""torch's legacy tensor types: `FloatTensor`, `LongTensor`, ... (and `cuda.FloatTensor`, ...).

Old PyTorch code builds tensors with them (`torch.FloatTensor(2, 3)` is uninitialised,
`torch.LongTensor([1, 2])` holds data), tests `isinstance(x, torch.FloatTensor)`, and
converts with `x.type(torch.DoubleTensor)` or `x.type('torch.DoubleTensor')`. Each type
is a dtype on a device type; `isinstance` is true for fastdl Tensors of exactly that
pair, as in torch. A type exists here when fastdl has its dtype.
"""
from . import dtypes as _dt

# torch's names, with the dtype each one stands for
_NAMES = {"FloatTensor": "float32", "DoubleTensor": "float64", "HalfTensor": "float16",
          "BFloat16Tensor": "bfloat16", "LongTensor": "int64", "IntTensor": "int32", "ShortTensor": "int16",
          "CharTensor": "int8", "ByteTensor": "uint8", "BoolTensor": "bool"}


class _LegacyTensorType(type):
    """The metaclass: the types are constructors and isinstance tests, not Tensor classes."""

    def __instancecheck__(cls, obj):
        from .tensor import Tensor
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype and obj.device.type == cls.device_type

    def __call__(cls, *args, device=None):
        """`T(*sizes)` an uninitialised tensor, `T(data)` a copy of a sequence / array /
        tensor in this type's dtype, `T()` an empty one; `device=` an index of this type's
        device type (e.g. cuda:1)."""
        return construct(cls.__qualname__, cls.dtype, cls.device_type if device is None else device, args)

    def __repr__(cls):
        return f"<class '{cls.__qualname__}'>"


def construct(name, dtype, dev, args):
    """The legacy constructors' rule (also torch.Tensor(...), in the default dtype):
    sizes make an uninitialised tensor, one sequence / array / tensor is data."""
    from .tensor import Size, Tensor, empty, tensor
    if len(args) == 1 and not isinstance(args[0], int):
        data = args[0]
        if isinstance(data, Tensor):
            return data.to(dtype=dtype, device=dev)
        if isinstance(data, Size):  # torch.FloatTensor(x.shape): sizes, not data
            return empty(*data, dtype=dtype, device=dev)
        return tensor(data, dtype=dtype, device=dev)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in args):
        raise TypeError(f"{name}(): expected sizes (ints) or one sequence of data, got "
                        f"({', '.join(type(v).__name__ for v in args)})")
    return empty(*args, dtype=dtype, device=dev) if args else empty(0, dtype=dtype, device=dev)


def _make_types(device_type, prefix):
    types = {}
    for name, dtype_name in _NAMES.items():
        dtype = _dt._BY_NAME.get(dtype_name)
        if dtype is not None:
            types[name] = _LegacyTensorType(name, (), {"dtype": dtype, "device_type": device_type,
                                                       "__qualname__": prefix + name, "__module__": "fastdl"})
    return types


CPU_TYPES = _make_types("cpu", "fastdl.")
CUDA_TYPES = _make_types("cuda", "fastdl.cuda.")
_BY_STRING = {t.__qualname__: t for t in (*CPU_TYPES.values(), *CUDA_TYPES.values())}
_BY_STRING.update({"torch." + t.__qualname__[len("fastdl."):]: t for t in list(_BY_STRING.values())})


def type_name(t):
    """Tensor.type(): torch's string for the tensor's type, with fastdl's prefix."""
    name = next((n for n, d in _NAMES.items() if d == t.dtype.name), None)
    if name is None:  # a dtype without a legacy type
        return f"fastdl.{t.dtype.name}"
    return ("fastdl.cuda." if t.device.type == "cuda" else "fastdl.") + name


def convert(t, target, non_blocking=False):
    """Tensor.type(target): a dtype, a legacy type or its name ('torch.DoubleTensor' or
    'fastdl.cuda.FloatTensor'); the device follows a legacy type's device type."""
    if isinstance(target, str) and target in _BY_STRING:
        target = _BY_STRING[target]
    if isinstance(target, _LegacyTensorType):
        device = t.device if t.device.type == target.device_type else target.device_type
        return t.to(dtype=target.dtype, device=device)
    if isinstance(target, str) and target.startswith(("torch.", "fastdl.")):  # 'torch.int32'
        target = target.split(".", 1)[1]
    try:
        return t.to(_dt.to_dtype(target))
    except (TypeError, KeyError, ValueError):
        raise ValueError(f"type: invalid type {target!r}; expected a dtype, a legacy tensor type such as "
                         f"fastdl.DoubleTensor, or its name") from None


def set_default_tensor_type(t):
    """Deprecated in torch: sets the default floating dtype from a floating legacy type
    (a CUDA type would also make CUDA the default device, which fastdl has no setting for)."""
    if isinstance(t, str):
        if t not in _BY_STRING:
            raise TypeError(f"set_default_tensor_type: invalid type string {t!r}")
        t = _BY_STRING[t]
    if not isinstance(t, _LegacyTensorType):
        raise TypeError(f"set_default_tensor_type: expected a legacy tensor type such as fastdl.DoubleTensor, "
                        f"got {t!r}")
    if not t.dtype.is_floating_point:
        raise TypeError(f"set_default_tensor_type: only floating-point types are supported as the default type, "
                        f"got {t.__qualname__}")
    if t.device_type != "cpu":
        raise RuntimeError(f"set_default_tensor_type: {t.__qualname__} would make CUDA the default device, "
                           f"which fastdl does not support; use device= on the factories")
    _dt.set_default_dtype(t.dtype)


__all__ = [*CPU_TYPES, "set_default_tensor_type"]
globals().update(CPU_TYPES)
