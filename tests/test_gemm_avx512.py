"""The AVX-512 float GEMM kernels (csrc/cpu/gemm_avx512.cpp: 6 x 64 tiles over 64-column B
slivers, and the 6 x 32 kernel on slivers of at most 32 columns) against the AVX2 6 x 16
kernel: each element of C sums its k terms in the same order on all of them, so they
agree bit for bit, across full and partial tiles, in-place and packed A, row-major and
transposed B (both of its packers), batches, alpha / beta and threads. Plus the switch
itself: set_use_avx512 clamps to the hardware and to use_avx2, and FASTDL_DISABLE_AVX512=1
keeps a process on AVX2. (Tolerance checks against float64 on
every kernel family, AVX-512 included, are in test_gemm_kernel.py.)"""
import os
import subprocess
import sys

import numpy as np
import pytest

from fastdl import _C
from isa_switch import isa_path, saved_isa
from kernel_views import kempty, kview
from test_gemm_kernel import threads  # noqa: F401 (fixture)

needs_avx512 = pytest.mark.skipif(not _C.cpu_has_avx512f(), reason="CPU has no AVX-512F")

# N = 64 q + r covers a last sliver of r <= 32 columns (the half-width kernel: 32, 95, 257,
# 96, 160) and of 32 < r < 64 (33, 300, 40); 600 x 1100 runs as one column slab per
# thread at 2 threads (576 + 524 columns: the second ends in a half-width sliver). The
# 6 x 64 kernel runs a panel in chunks of slivers (16 with a 2 MiB L2): at 1 thread 600 x
# 1100 is two chunks of a panel under two row blocks, and 100 x 1030 two chunks through
# one row block's chunk of slots, the second chunk a single 6-column sliver.
SHAPES = [(6, 32, 8), (7, 33, 17), (12, 64, 256), (13, 95, 300), (100, 257, 33), (146, 300, 520),
          (300, 40, 700), (64, 784, 128), (1, 70, 300), (257, 1, 33), (31, 4100, 65), (18, 96, 40),
          (600, 1100, 300), (290, 160, 257), (100, 1030, 200)]


def view(x):
    """A kernel view of x, which may be a strided view of a contiguous array."""
    base = x
    while base.base is not None and isinstance(base.base, np.ndarray):
        base = base.base
    return kview(base, x)


def product(a, b, c0, alpha, beta, avx512):
    """alpha * a @ b + beta * c0 on the AVX-512 kernels or the AVX2 ones."""
    with isa_path("avx512" if avx512 else "avx2"):
        out = kempty(c0.shape, np.float32)
        out.numpy()[...] = c0
        _C.cpu.matmul(view(a), view(b), out, alpha=alpha, beta=beta)
        return out.numpy().copy()


@needs_avx512
@pytest.mark.parametrize("nthreads", [1, 2])
@pytest.mark.parametrize("ta,tb", [(False, False), (False, True), (True, False), (True, True)])
@pytest.mark.parametrize("mnk", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_same_bits_as_avx2(threads, nthreads, ta, tb, mnk):  # noqa: F811
    m, n, k = mnk
    threads(nthreads)
    rng = np.random.default_rng(m * 7 + n * 3 + k)
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(np.float32)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(np.float32)
    a, b = (a.T if ta else a), (b.T if tb else b)
    c0 = np.zeros((m, n), np.float32)
    np.testing.assert_array_equal(product(a, b, c0, 1.0, 0.0, True), product(a, b, c0, 1.0, 0.0, False))
    c0 = rng.standard_normal((m, n)).astype(np.float32)
    np.testing.assert_array_equal(product(a, b, c0, -0.5, 2.0, True), product(a, b, c0, -0.5, 2.0, False))
    ref = a.astype(np.float64) @ b.astype(np.float64)
    bound = np.abs(a.astype(np.float64)) @ np.abs(b.astype(np.float64))
    assert np.all(np.abs(product(a, b, c0 * 0, 1.0, 0.0, True) - ref) <= 2 * (k + 2) * 1.2e-7 * bound + 1e-30)


@needs_avx512
@pytest.mark.parametrize("k", [9, 64])
def test_small_products_same_bits(threads, k):  # noqa: F811
    """The unpacked small-product kernel's one- and two-vector blocks (8 x 32 tiles, masked
    last vectors, several blocks per 64-wide packed sliver) against the AVX2 one's, every
    M in 1..13 with the row splits of its tiles, on row-major and packed (transposed) B."""
    threads(1)
    rng = np.random.default_rng(k)
    for n in [17, 31, 33, 40, 48, 50, 63, 64, 65, 100, 128]:
        for m in list(range(1, 14)) + [20, 32]:
            for tb in (False, True):
                a = rng.standard_normal((m, k)).astype(np.float32)
                b = rng.standard_normal((n, k)).astype(np.float32).T if tb else \
                    rng.standard_normal((k, n)).astype(np.float32)
                c0 = rng.standard_normal((m, n)).astype(np.float32)
                np.testing.assert_array_equal(product(a, b, c0, 0.5, -1.0, True),
                                              product(a, b, c0, 0.5, -1.0, False), err_msg=f"{m}x{k}x{n} {tb}")


@needs_avx512
def test_batched_and_strided_same_bits(threads):  # noqa: F811
    threads(2)
    rng = np.random.default_rng(5)
    a = rng.standard_normal((3, 70, 2 * 140)).astype(np.float32)[:, :, ::2]  # a column stride of 2
    b = rng.standard_normal((3, 140, 90)).astype(np.float32)
    c0 = np.zeros((3, 70, 90), np.float32)
    np.testing.assert_array_equal(product(a, b, c0, 1.0, 0.0, True), product(a, b, c0, 1.0, 0.0, False))


def test_switch_clamps_to_hardware_and_avx2():
    with saved_isa():
        _C.set_use_avx2(True)
        _C.set_use_avx512(True)
        assert _C.use_avx512() == _C.cpu_has_avx512f()
        _C.set_use_avx2(False)
        assert not _C.use_avx512()


def test_environment_variable_disables_avx512():
    env = dict(os.environ, FASTDL_DISABLE_AVX512="1")
    out = subprocess.run([sys.executable, "-c", "from fastdl import _C; print(_C.use_avx512(), _C.use_avx2())"],
                         env=env, capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "False" and out[1] == str(_C.cpu_has_avx2_fma() and not os.environ.get("FASTDL_DISABLE_AVX2"))


@needs_avx512
@pytest.mark.parametrize("k", [1, 5, 16, 33])
@pytest.mark.parametrize("tb", [False, True], ids=["b_rows", "b_cols"])
def test_small_products_same_bits_every_edge(threads, k, tb):  # noqa: F811
    """The unpacked small-product kernel on 16-float vectors (gemm_small_avx512.cpp): every
    M in 1..13 (each row split) and N in 1..70 (full, masked two-vector and masked
    one-vector column blocks of 32), row-major B read in place and transposed B packed."""
    threads(1)
    rng = np.random.default_rng(k)
    for m in range(1, 14):
        for n in range(1, 71):
            a = rng.standard_normal((m, k)).astype(np.float32)
            b = rng.standard_normal((n, k) if tb else (k, n)).astype(np.float32)
            b = b.T if tb else b
            c0 = rng.standard_normal((m, n)).astype(np.float32)
            got, want = product(a, b, c0, 1.5, -1.0, True), product(a, b, c0, 1.5, -1.0, False)
            np.testing.assert_array_equal(got, want, err_msg=f"{m}x{k} @ {k}x{n}")
