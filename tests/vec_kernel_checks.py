"""Shared by the tests of the float32 array kernels (csrc/cpu/vec_math_simd.h at 8 and 16
lanes, csrc/cpu/vec_math_avx2.h): a unary kernel run on an array and the error of float32
results in ulps of the correctly rounded value. (The path they run on: isa_switch.py's
select_isa, behind conftest.py's `isa` fixture.)"""
import numpy as np

import fastdl
from fastdl import _C


def run_unary(op, x, p0=0.0, p1=0.0):
    """_C.cpu.unary(op) on a NumPy array (or a fastdl tensor view) into a new tensor."""
    t = fastdl.tensor(x) if isinstance(x, np.ndarray) else x
    out = fastdl.empty(tuple(t.shape), dtype=t.dtype)
    _C.cpu.unary(op, t, out, p0, p1)
    return out.numpy()


def ulp_error(got, ref):
    """|got - ref| in ulps of float32(ref) (denormal spacing at least 2^-149); 0 where got is
    the correctly rounded value (inf included) or both are NaN."""
    r32 = ref.astype(np.float32)
    ulp = np.maximum(np.spacing(np.abs(r32)).astype(np.float64), 2.0 ** -149)
    exact = (got == r32) | (np.isnan(got) & np.isnan(ref))
    with np.errstate(all="ignore"):
        return np.where(exact, 0.0, np.abs(got.astype(np.float64) - ref) / ulp)
