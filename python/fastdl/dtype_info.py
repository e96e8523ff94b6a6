"""fastdl.finfo / fastdl.iinfo (torch.finfo / torch.iinfo): the numerical limits of the
floating and integer dtypes. Values are torch's (IEEE binary16/32/64 and bfloat16's
8-bit-exponent, 7-bit-mantissa format), `dtype` is the dtype's name as a string."""
from . import dtypes as _dt

__all__ = ["finfo", "iinfo"]

# bits, eps, max, tiny (= smallest_normal), resolution (10 ** -floor(digits10))
_FLOAT = {
    "float32": (32, 2.0 ** -23, (2 - 2.0 ** -23) * 2.0 ** 127, 2.0 ** -126, 1e-06),
    "float64": (64, 2.0 ** -52, (2 - 2.0 ** -52) * 2.0 ** 1023, 2.0 ** -1022, 1e-15),
    "float16": (16, 2.0 ** -10, 65504.0, 2.0 ** -14, 0.001),
    "bfloat16": (16, 2.0 ** -7, (2 - 2.0 ** -7) * 2.0 ** 127, 2.0 ** -126, 0.01),
}
_INT = {"int64": (64, -2 ** 63, 2 ** 63 - 1), "int32": (32, -2 ** 31, 2 ** 31 - 1), "int16": (16, -2 ** 15, 2 ** 15 - 1),
        "int8": (8, -128, 127), "uint8": (8, 0, 255)}


def _dtype_arg(cls, type):  # noqa: A002  (torch's argument name)
    if type is None and cls == "finfo":
        return _dt.get_default_dtype()
    if not isinstance(type, _dt.DType):
        raise TypeError(f"{cls}(): argument 'type' (position 1) must be fastdl.dtype, not {type.__class__.__name__}")
    return type


class finfo:
    """Limits of a floating dtype (default: the default dtype): bits, eps, max, min, tiny,
    smallest_normal, resolution, dtype."""
    __slots__ = ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype")

    def __init__(self, type=None):  # noqa: A002
        d = _dtype_arg("finfo", type)
        if d.name not in _FLOAT:
            raise TypeError(f"fastdl.finfo() requires a floating point input type. Use fastdl.iinfo to handle "
                            f"'fastdl.finfo' (got {d})")
        self.bits, self.eps, self.max, self.tiny, self.resolution = _FLOAT[d.name]
        self.min, self.smallest_normal, self.dtype = -self.max, self.tiny, d.name

    def __eq__(self, other):
        return isinstance(other, finfo) and self.dtype == other.dtype

    def __hash__(self):
        return hash(("finfo", self.dtype))

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype (int64, int32, int16, int8, uint8): bits, max, min, dtype."""
    __slots__ = ("bits", "max", "min", "dtype")

    def __init__(self, type):  # noqa: A002
        d = _dtype_arg("iinfo", type)
        if d.name not in _INT:
            if d is _dt.bool_:
                raise TypeError("fastdl.bool is not supported by fastdl.iinfo")
            raise TypeError(f"fastdl.iinfo() requires an integer input type. Use fastdl.finfo to handle "
                            f"'fastdl.iinfo' (got {d})")
        self.bits, self.min, self.max = _INT[d.name]
        self.dtype = d.name

    def __eq__(self, other):
        return isinstance(other, iinfo) and self.dtype == other.dtype

    def __hash__(self):
        return hash(("iinfo", self.dtype))

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
