"""Element types and PyTorch's type-promotion rules.

Categories order bool < integer < floating. Among the operands of an op, the result
takes the highest category present; within it, dimensioned tensors decide before
zero-dim tensors, and those before Python scalars, which only ever contribute their
category (so `int64_tensor * 2.5` is float32, the default float, and
`float32_tensor * 2.5` stays float32). These are torch.result_type's rules.

float16 and bfloat16 rank below float32; neither holds the other, so the two together
give float32 (as in torch). NumPy has no bfloat16: its `np` is the uint16 of its bits.

The integers rank by width; uint8 with int8 gives int16, uint8 with a wider signed type
that type (torch.promote_types). int32 / int16 / int8 / uint8 are storage types: the
kernels compute in int64 and the result is cast back (ops/int_narrow.py).

complex64 / complex128 (category 3, above floating) are storage types too: the Python
layer computes on a (..., 2) real view (ops/complex_math.py). With a complex operand the
promotion is torch's combine-by-category: float64 with complex64 gives complex128, a
Python complex lifts a float32 tensor to complex64 and a float64 one to complex128.
"""
import numpy as np

__all__ = ["DType", "float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool_", "complex64", "complex128", "cfloat", "cdouble", "get_default_dtype", "set_default_dtype", "result_type"]


class DType:
    __slots__ = ("name", "code", "itemsize", "np", "category")

    def __init__(self, name, code, itemsize, np_dtype, category):
        self.name, self.code, self.itemsize, self.np, self.category = name, code, itemsize, np.dtype(np_dtype), category

    @property
    def is_floating_point(self):
        return self.category == 2

    @property
    def is_complex(self):
        return self.category == 3

    def __repr__(self):
        return f"fastdl.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))


# codes mirror csrc/core/dtype.h
float32 = DType("float32", 0, 4, np.float32, 2)
float64 = DType("float64", 1, 8, np.float64, 2)
int64 = DType("int64", 2, 8, np.int64, 1)
bool_ = DType("bool", 3, 1, np.bool_, 0)
float16 = DType("float16", 4, 2, np.float16, 2)
bfloat16 = DType("bfloat16", 5, 2, np.uint16, 2)  # np: the raw bits (storage views only)
int32 = DType("int32", 6, 4, np.int32, 1)
int16 = DType("int16", 7, 2, np.int16, 1)
int8 = DType("int8", 8, 1, np.int8, 1)
uint8 = DType("uint8", 9, 1, np.uint8, 1)
complex64 = DType("complex64", 10, 8, np.complex64, 3)
complex128 = DType("complex128", 11, 16, np.complex128, 3)
cfloat, cdouble = complex64, complex128
ALL = (float32, float64, int64, bool_, float16, bfloat16, int32, int16, int8, uint8, complex64, complex128)
COMPLEX = (complex64, complex128)
HALF = (float16, bfloat16)
NARROW_INT = (int32, int16, int8, uint8)  # computed in int64, stored narrow
INTEGER = (int64,) + NARROW_INT
STORAGE = HALF + NARROW_INT  # the dtypes kernels do not compute in


def compute_dtype(d):
    """The dtype the kernels compute a storage dtype in: float32 for the half types,
    int64 for the narrow integers; any other dtype itself."""
    return float32 if d in HALF else int64 if d in NARROW_INT else d


_BY_NAME = {**{d.name: d for d in ALL}, "half": float16, "cfloat": complex64, "cdouble": complex128}
_BY_NP = {d.np: d for d in ALL if d is not bfloat16}
_RANK = {bool_: 0, uint8: 1, int8: 1, int16: 2, int32: 3, int64: 4, float16: 2, bfloat16: 2, float32: 3, float64: 4, complex64: 3, complex128: 4}
_SUPPORTED = "float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8, bool, complex64 and complex128"

_default_float = float32


def _by_name(name):
    return _BY_NAME[name]


def get_default_dtype():
    return _default_float


def set_default_dtype(d):
    global _default_float
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"set_default_dtype: only floating dtypes are allowed, got {d}")
    _default_float = d


def to_dtype(d):
    """Accepts a DType, a name ('float32'), a NumPy dtype or a Python type."""
    if isinstance(d, DType):
        return d
    if d is float:
        return _default_float
    if d is int:
        return int64
    if d is bool:
        return bool_
    if d is complex:  # Python's complex is two doubles (torch: complex128)
        return complex128
    if isinstance(d, str) and d in _BY_NAME:
        return _BY_NAME[d]
    try:
        npd = np.dtype(d)
    except TypeError:
        npd = None
    if npd is not None:
        if npd in _BY_NP:
            return _BY_NP[npd]
        if npd.kind == "f":
            return float32 if npd.itemsize <= 4 else float64
        if npd.kind in "iu":  # uint16 / uint32 / uint64: widened
            return int64
        if npd.kind == "c":
            return complex64 if npd.itemsize <= 8 else complex128
    raise TypeError(f"unsupported dtype {d!r}; fastdl supports {_SUPPORTED}")


def from_numpy_dtype(npd):
    npd = np.dtype(npd)
    if npd in _BY_NP:
        return _BY_NP[npd]
    raise TypeError(f"unsupported NumPy dtype {npd}; fastdl supports {_SUPPORTED}")


def _category_default(cat):
    return (bool_, int64, _default_float, to_complex(_default_float))[cat]


def to_complex(d):
    """The complex dtype holding d's values (float64 -> complex128, any other -> complex64)."""
    return d if d.category == 3 else complex128 if d is float64 else complex64


def to_real(d):
    """The real dtype of a complex one's parts (complex64 -> float32); any other itself."""
    return float32 if d is complex64 else float64 if d is complex128 else d


def _promote_complex(a, b):
    """torch.promote_types when either is complex: complex of the wider precision."""
    return complex128 if complex128 in (a, b) or float64 in (a, b) else complex64


def _result_type_complex(dims, zero_dims, scalar_cat):
    """torch.result_type's three priority classes (dimensioned, zero-dim, scalars), each
    promoted within itself, then combined from the lowest up (c10's combine_categories)."""
    def promote(group):
        out = None
        for d in group:
            if out is None:
                out = d
            elif d.category == 3 or out.category == 3:
                out = _promote_complex(out, d)
            else:
                out = result_type(_Dummy(out), _Dummy(d))
        return out

    def combine(higher, lower):
        if higher is None:
            return lower
        if lower is None or higher.category == 3:
            return higher
        if higher.category == 2:
            return to_complex(higher) if lower.category == 3 else higher
        if higher is bool_ or lower.category >= 2:
            return lower if higher.category < lower.category else higher
        return higher

    scalar = None if scalar_cat < 0 else _category_default(scalar_cat)
    return combine(promote(dims), combine(promote(zero_dims), scalar))


class _Dummy:  # a 1-d stand-in for a dtype (result_type reads _dtype and ndim)
    __slots__ = ("_dtype",)
    ndim = 1

    def __init__(self, d):
        self._dtype = d


def scalar_category(x):
    if isinstance(x, (bool, np.bool_)):
        return 0
    if isinstance(x, (int, np.integer)):
        return 1
    if isinstance(x, (float, np.floating)):
        return 2
    if isinstance(x, (complex, np.complexfloating)):
        return 3
    raise TypeError(f"expected a number, got {type(x).__name__}")


def result_type(*operands):
    """torch.result_type over Tensors and Python scalars."""
    dims, zero_dims, scalar_cat = [], [], -1
    for o in operands:
        if hasattr(o, "_dtype"):
            (dims if o.ndim > 0 else zero_dims).append(o._dtype)
        else:
            scalar_cat = max(scalar_cat, scalar_category(o))
    cat = max([d.category for d in dims + zero_dims] + [scalar_cat])
    if cat == 3:
        return _result_type_complex(dims, zero_dims, scalar_cat)
    for group in (dims, zero_dims):
        members = {d for d in group if d.category == cat}
        if members:
            if float16 in members and bfloat16 in members and _RANK[max(members, key=_RANK.__getitem__)] == 2:
                return float32  # neither half type holds the other
            top = max(members, key=_RANK.__getitem__)
            if top in (uint8, int8) and uint8 in members and int8 in members:
                return int16  # neither 8-bit type holds the other
            return top
    return _category_default(cat)
