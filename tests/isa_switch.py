"""The one place where tests switch the CPU kernels' ISA and put it back. Two switches:
use_avx2 (the AVX2/FMA kernels) and use_avx512 (their AVX-512 copies, taken only while
use_avx2 is on). Each set_* clamps to the hardware; FASTDL_DISABLE_AVX2 / _AVX512 only pick
a process's initial state, so a test that asks for AVX-512 gets it wherever the CPU has it.
Paths by name: "avx512", "avx2" (AVX-512 off) and "portable"."""
from contextlib import contextmanager

import pytest

from fastdl import _C

# name -> (use_avx2, use_avx512) asked for
PATHS = {"avx512": (True, True), "avx2": (True, False), "portable": (False, False)}


def _switches():
    """(use_avx2, the AVX-512 choice). While AVX2 is off use_avx512() reads False whatever
    was chosen, so the choice is read with AVX2 on for a moment: putting back False there
    would leave a later set_use_avx2(True) without the AVX-512 copies."""
    if _C.use_avx2():
        return True, _C.use_avx512()
    _C.set_use_avx2(True)
    avx512 = _C.use_avx512()
    _C.set_use_avx2(False)
    return False, avx512


@contextmanager
def saved_isa():
    """Puts both switches back as they were when the block ends, however it ends."""
    avx2, avx512 = _switches()
    try:
        yield
    finally:
        _C.set_use_avx2(avx2)
        _C.set_use_avx512(avx512)


def set_isa(name):
    """Asks for the path `name`, clamped to this CPU ("avx512" runs the AVX2 kernels on a
    CPU without AVX-512); puts nothing back."""
    avx2, avx512 = PATHS[name]
    _C.set_use_avx2(avx2)
    _C.set_use_avx512(avx512)


@contextmanager
def isa_path(name):
    """The block on the path `name` (set_isa: clamped, never skipped -- tests that need the
    ISA skip themselves, or select_isa does), then both switches back."""
    with saved_isa():
        set_isa(name)
        yield


@contextmanager
def avx2_switched(on):
    """The block with use_avx2 set to `on` (clamped to the hardware) and the AVX-512 choice
    left alone, so kernels with an AVX-512 copy take it where the CPU has one; then both
    switches back. For tests of a vector path against the portable one."""
    with saved_isa():
        _C.set_use_avx2(on)
        yield


def with_isa(avx512, fn):
    """fn() with the AVX2 kernels on (whatever FASTDL_DISABLE_AVX2 chose) and AVX-512 on or
    off (clamped to the hardware), then both switches back."""
    with isa_path("avx512" if avx512 else "avx2"):
        return fn()


def vector_and_portable(fn, *args):
    """(fn(*args) on the vector path, fn(*args) on the portable one), as avx2_switched(True)
    and avx2_switched(False) give them; both switches back afterwards."""
    with saved_isa():
        _C.set_use_avx2(True)
        vector = fn(*args)
        _C.set_use_avx2(False)
        return vector, fn(*args)


def select_isa(name):
    """set_isa(name), skipping the test where this CPU lacks that ISA; returns whether a
    vector path is on. Puts nothing back: call it under saved_isa() or with conftest.py's
    restore_isa fixture."""
    set_isa(name)
    if name != "portable" and not _C.use_avx2():
        pytest.skip("this CPU has no AVX2+FMA")
    if name == "avx512" and not _C.use_avx512():
        pytest.skip("this CPU has no AVX-512")
    return name != "portable"
