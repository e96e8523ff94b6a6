"""torch.testing.make_tensor and the deprecated assert_allclose (fastdl.testing re-exports
them). make_tensor follows torch's rules: default ranges per dtype, [low, high) clamped to
the dtype's finite range, ValueError on NaN / empty ranges / integral requires_grad."""
import collections.abc
import math
import warnings

from . import dtypes as _dt

_INTEGRAL = (_dt.int64,)
_FLOATING = (_dt.float16, _dt.bfloat16, _dt.float32, _dt.float64)


def _low_high(low, high, dtype, lowest, highest, default_low, default_high):
    low = default_low if low is None else low
    high = default_high if high is None else high
    if any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
        raise ValueError(f"make_tensor: `low` and `high` cannot be NaN, but got low={low} and high={high}")
    if low == high and dtype in _FLOATING:
        warnings.warn("Passing `low==high` to `torch.testing.make_tensor` for floating or complex types is "
                      "deprecated since 2.1 and will be removed in 2.3. Use `torch.full(...)` instead.",
                      FutureWarning, stacklevel=4)
    elif low >= high:
        raise ValueError(f"make_tensor: `low` must be less than `high`, but got {low} >= {high}")
    elif high < lowest or low >= highest:
        raise ValueError(f"make_tensor: the value interval specified by `low` and `high` is [{low}, {high}), "
                         f"but {dtype} only supports [{lowest}, {highest})")
    low, high = min(max(low, lowest), highest), min(max(high, lowest), highest)
    if dtype not in _FLOATING:
        return math.ceil(low), math.ceil(high)
    return low, high


def make_tensor(*shape, dtype, device, low=None, high=None, requires_grad=False, noncontiguous=False,
                exclude_zero=False, memory_format=None):
    """A tensor of `shape` with values drawn uniformly from [low, high) (torch.testing.make_tensor)."""
    from .dtype_info import finfo, iinfo
    from .ops import randint
    from .tensor import empty

    if len(shape) == 1 and isinstance(shape[0], collections.abc.Sequence):
        shape = shape[0]
    shape = tuple(int(s) for s in shape)
    if noncontiguous and memory_format is not None:
        raise ValueError(f"make_tensor: the parameters `noncontiguous` and `memory_format` are mutually exclusive, "
                         f"but got noncontiguous={noncontiguous} and memory_format={memory_format}")
    if requires_grad and dtype not in _FLOATING:
        raise ValueError(f"make_tensor: `requires_grad=True` is not supported for boolean and integral dtypes, "
                         f"but got dtype={dtype}")
    if dtype not in _FLOATING + _INTEGRAL + (_dt.bool_,):
        raise TypeError(f"The requested dtype '{dtype}' is not supported by torch.testing.make_tensor().")
    noncontiguous = noncontiguous and math.prod(shape) > 1
    if noncontiguous:
        shape = (*shape[:-1], 2 * shape[-1])
    if dtype is _dt.bool_:
        low, high = _low_high(low, high, dtype, 0, 2, 0, 2)
        result = randint(low, high, shape, dtype=_dt.int64, device=device) != 0
    elif dtype in _INTEGRAL:
        info = iinfo(dtype)
        low, high = _low_high(low, high, dtype, info.min, info.max, -9, 10)
        result = randint(low, high, shape, dtype=dtype, device=device)
    else:
        info = finfo(dtype)
        low, high = _low_high(low, high, dtype, info.min, info.max, -9, 9)
        result = empty(shape, dtype=dtype, device=device)
        if high - low >= info.max:  # the width itself would overflow
            result.uniform_(low / 2, high / 2).mul_(2)
        else:
            result.uniform_(low, high)
    if noncontiguous:
        result = result[..., 1::2]  # offset by one, as torch's, to catch offset bugs too
    elif memory_format is not None:
        result = result.clone()  # fastdl has one (contiguous) memory format
    if exclude_zero:
        result.masked_fill_(result == 0, 1 if dtype not in _FLOATING else finfo(dtype).tiny)
    if dtype in _FLOATING:
        result.requires_grad_(requires_grad)
    return result


_PRECISIONS = {_dt.float16: (1e-3, 1e-3), _dt.bfloat16: (1.6e-2, 1e-5), _dt.float32: (1e-4, 1e-5),
               _dt.float64: (1e-5, 1e-8)}


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg=""):
    """Deprecated alias of assert_close (torch.testing.assert_allclose), with its old
    defaults: float16 1e-3/1e-3, float32 1e-4/1e-5, float64 1e-5/1e-8."""
    import numpy as np

    from .tensor import Tensor, tensor
    from .testing import assert_close
    warnings.warn("`torch.testing.assert_allclose()` is deprecated since 1.12 and will be removed in a future "
                  "release. Please use `torch.testing.assert_close()` instead. You can find detailed upgrade "
                  "instructions in https://github.com/pytorch/pytorch/issues/61844.", FutureWarning, stacklevel=2)
    if not isinstance(actual, Tensor):
        actual = tensor(actual)
    if not isinstance(expected, Tensor):
        expected = tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        pa = _PRECISIONS.get(actual.dtype, (0.0, 0.0))
        pe = _PRECISIONS.get(expected.dtype, (0.0, 0.0))
        rtol, atol = max(pa[0], pe[0]), max(pa[1], pe[1])
    elif rtol is None or atol is None:
        raise ValueError(f"assert_allclose: both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {'rtol' if rtol is None else 'atol'}.")
    if not equal_nan:
        a, e = actual._host_values(), expected._host_values()
        if np.isnan(a).any() or np.isnan(e).any():
            raise AssertionError(f"assert_allclose: NaN values found and equal_nan=False {msg}")
    if tuple(actual.shape) != tuple(expected.shape):
        expected = expected.expand(actual.shape)  # torch's broadcasts expected to actual
    assert_close(actual, expected, rtol=rtol, atol=atol, msg=msg)
