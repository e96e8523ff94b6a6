"""Runs a function on chosen CPU kernels: the AVX2 ones on (FASTDL_DISABLE_AVX2=1 would
leave every route portable) and AVX-512 on or off (set_use_avx512 clamps to the hardware),
restoring both switches afterwards."""
from fastdl import _C


def with_isa(avx512, fn):
    before = _C.use_avx2(), _C.use_avx512()
    try:
        _C.set_use_avx2(True)
        _C.set_use_avx512(avx512)
        return fn()
    finally:
        _C.set_use_avx2(before[0])
        _C.set_use_avx512(before[1])
