"""The host memory cache (csrc/core/host_allocator.h, fastdl.cpu): freed buffers of at
least 1 KiB come back for the next tensor of their size class; smaller ones and
anything over the limit go to the C library; kernels never depend on fresh memory
being zeroed (the cache hands out blocks full of old values)."""
import os
import subprocess
import sys

import numpy as np
import pytest

import fastdl
import fastdl.nn.functional as F

BIG = 1 << 18  # float32 elements: 1 MiB, well above the 1 KiB threshold


@pytest.fixture
def cache():
    before = fastdl.cpu.memory_stats()["limit_bytes"]
    fastdl.cpu.empty_cache()
    fastdl.cpu.set_cache_limit(1 << 30)
    yield
    fastdl.cpu.set_cache_limit(before)
    fastdl.cpu.empty_cache()


def test_freed_block_is_reused(cache):
    t = fastdl.empty((BIG,))
    ptr = t.data_ptr()
    del t
    assert fastdl.cpu.memory_cached() >= BIG * 4
    hits = fastdl.cpu.memory_stats()["hits"]
    u = fastdl.empty((BIG - 7,))  # same size class
    assert u.data_ptr() == ptr
    assert fastdl.cpu.memory_stats()["hits"] == hits + 1
    assert fastdl.cpu.memory_cached() == 0


def test_small_blocks_bypass_the_cache(cache):
    small = fastdl.cpu.memory_stats()["min_cached_bytes"] // 4 - 16
    t = fastdl.empty((small,))
    del t
    assert fastdl.cpu.memory_cached() == 0


def test_limit_and_empty_cache(cache):
    t = fastdl.empty((BIG,))
    del t
    assert fastdl.cpu.memory_cached() > 0
    fastdl.cpu.empty_cache()
    assert fastdl.cpu.memory_cached() == 0
    fastdl.cpu.set_cache_limit(BIG * 4 + (1 << 20))  # room for one block, not two
    a, b = fastdl.empty((BIG,)), fastdl.empty((BIG,))
    del a, b
    assert 0 < fastdl.cpu.memory_cached() <= BIG * 4 + (1 << 20)
    fastdl.cpu.set_cache_limit(0)  # off: empties the cache and keeps nothing
    assert fastdl.cpu.memory_cached() == 0
    c = fastdl.empty((BIG,))
    del c
    assert fastdl.cpu.memory_cached() == 0


@pytest.mark.parametrize("bad", [-1, 1.5, "1", True, None])
def test_set_cache_limit_rejects_bad_values(bad):
    with pytest.raises(ValueError, match="set_cache_limit"):
        fastdl.cpu.set_cache_limit(bad)


def test_environment_sets_the_limit():
    code = "import fastdl; print(fastdl.cpu.memory_stats()['limit_bytes'])"
    env = dict(os.environ, FASTDL_HOST_CACHE_MB="3")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert int(out.stdout) == 3 << 20
    env["FASTDL_HOST_CACHE_MB"] = "lots"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert int(out.stdout) == 1 << 30
    assert "FASTDL_HOST_CACHE_MB" in out.stderr  # a warning names the variable


def _poison_cache():
    """Fills the cache with NaN blocks of every size class from 256 KiB to 16 MiB."""
    held = []
    n = 1 << 16
    while n <= 1 << 22:
        for k in (n, n * 5 // 4, n * 3 // 2, n * 7 // 4):
            held.append(fastdl.full((k,), float("nan")))
        n *= 2
    del held


def test_kernels_do_not_rely_on_zeroed_memory(cache):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 8, 40, 40)).astype(np.float32)
    w = rng.standard_normal((16, 8, 3, 3)).astype(np.float32)
    a = rng.standard_normal((300, 500)).astype(np.float32)
    b = rng.standard_normal((500, 400)).astype(np.float32)
    seq = rng.standard_normal((30, 32, 24)).astype(np.float32)

    def run():
        xt, wt = fastdl.tensor(x, requires_grad=True), fastdl.tensor(w, requires_grad=True)
        y = F.conv2d(xt, wt, padding=1)
        pooled = F.max_pool2d(y, 2)
        (pooled * pooled).sum().backward()
        lstm = fastdl.nn.LSTM(24, 64)
        fastdl.manual_seed(0)
        for p in lstm.parameters():
            fastdl.nn.init.uniform_(p, -0.1, 0.1)
        st = fastdl.tensor(seq, requires_grad=True)
        out, _ = lstm(st)
        out.sum().backward()
        mm = fastdl.tensor(a) @ fastdl.tensor(b)
        z = fastdl.zeros((BIG,))
        return [t.detach().numpy().copy() for t in (y, pooled, xt.grad, wt.grad, out, st.grad, mm, z)]

    fastdl.cpu.set_cache_limit(0)
    clean = run()
    fastdl.cpu.set_cache_limit(1 << 30)
    _poison_cache()
    assert fastdl.cpu.memory_cached() > 0
    dirty = run()
    assert fastdl.cpu.memory_stats()["hits"] > 0
    for c, d in zip(clean, dirty):
        assert np.isfinite(d).all()
        np.testing.assert_array_equal(c, d)


def test_forked_child_uses_the_cache(cache):
    # A DataLoader worker is a forked child: it inherits the cache (and its lock) and
    # must be able to allocate and free through it.
    t = fastdl.empty((BIG,))
    del t
    pid = os.fork()
    if pid == 0:  # child: reuse the inherited block, cache a new one, exit without pytest
        ok = False
        try:
            u = fastdl.ones((BIG,))
            v = fastdl.ones((2 * BIG,))
            ok = float(u.sum()) == BIG and float(v.sum()) == 2 * BIG
            del u, v
            ok = ok and fastdl.cpu.memory_cached() >= 3 * BIG * 4
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
