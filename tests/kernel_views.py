"""Stand-ins for fastdl.Tensor when a test drives a _C kernel directly.

A kernel reads `_buf, _dtype.code, _shape, _strides, _offset` from its arguments;
`kview(base, view)` exposes a NumPy view `view` of the C-contiguous array `base` that
way, sharing memory, so kernel tests can use any strides NumPy can express.
"""
import numpy as np

from fastdl import _C

_CODES = {np.dtype(np.float32): 0, np.dtype(np.float64): 1, np.dtype(np.int64): 2, np.dtype(np.bool_): 3}


class _DType:
    def __init__(self, code):
        self.code = code


class KView:
    def __init__(self, base, view):
        assert base.flags.c_contiguous
        isz = base.itemsize
        self._base, self._view = base, view
        self._buf = _C.Buffer.wrap_numpy(base)
        self._dtype = _DType(_CODES[base.dtype])
        self._shape = tuple(view.shape)
        self._strides = tuple(s // isz for s in view.strides)
        self._offset = (view.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // isz

    def numpy(self):
        return self._view


def kview(base, view=None):
    return KView(base, base if view is None else view)


def kempty(shape, dtype=np.float32):
    return kview(np.zeros(shape, dtype=dtype))
