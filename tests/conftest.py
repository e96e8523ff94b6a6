import numpy as np
import pytest

import fastdl
from isa_switch import avx2_switched, saved_isa, select_isa


def pytest_collection_modifyitems(config, items):
    if fastdl.cuda.is_available():
        return
    reason = ("no CUDA device (fastdl built without CUDA)" if not fastdl.cuda.is_built()
              else "no CUDA device available on this machine")
    for item in items:
        # the marker, not item.keywords: keywords include the path's folder names
        # (a checkout under .../cuda/ would skip every test)
        if item.get_closest_marker("cuda") is not None:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(params=["cpu", pytest.param("cuda", marks=pytest.mark.cuda)])
def device(request):
    return request.param


@pytest.fixture(autouse=True)
def _seed():
    fastdl.manual_seed(0)
    np.random.seed(0)
    yield


@pytest.fixture(params=[1, 2], ids=["1thread", "2threads"])
def threads(request):
    """Runs a test at 1 and at 2 threads (the kernels' chunking must not change results);
    files that want more threads than cores define their own."""
    n = fastdl.get_num_threads()
    fastdl.set_num_threads(request.param)
    yield request.param
    fastdl.set_num_threads(n)


@pytest.fixture
def two_threads():
    """Two threads, so the threaded kernels (the RNN sequences' batch blocks, ...) split
    their work between them; restores the thread count afterwards."""
    n = fastdl.get_num_threads()
    fastdl.set_num_threads(2)
    yield
    fastdl.set_num_threads(n)


@pytest.fixture
def restore_isa():
    """Puts the CPU kernels' ISA switches (AVX2, AVX-512) back as they were after the test."""
    with saved_isa():
        yield


@pytest.fixture(params=["avx512", "avx2", "portable"])
def isa(request, restore_isa):
    """True while the float32 array kernels take a vector path: the AVX-512 copies
    (vec_math_simd.h's functions at 16 lanes; the AVX2 ones for the functions without a
    copy), the AVX2 kernels alone, or False on the portable path (isa_switch.py's
    select_isa). Skipped where the CPU lacks the ISA."""
    return select_isa(request.param)


@pytest.fixture
def one_thread():
    """fastdl on one thread for the test (restored afterwards): tiny tensors gain nothing
    from threads, and on a shared test machine a second thread only adds contention."""
    n = fastdl.get_num_threads()
    fastdl.set_num_threads(1)
    yield
    fastdl.set_num_threads(n)


@pytest.fixture(params=[True, False], ids=["avx2", "portable"])
def avx2(request):
    """Runs the test with the AVX2/FMA kernels and again on the portable path (skipped
    where the CPU has no AVX2/FMA); restores the setting afterwards."""
    from fastdl import _C
    with avx2_switched(request.param):
        if request.param and not _C.use_avx2():
            pytest.skip("this CPU has no AVX2/FMA")
        yield request.param
