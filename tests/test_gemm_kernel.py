"""_C.cpu.matmul (the blocked CPU gemm) against a float64 NumPy reference.

Every numeric test runs on the AVX-512 float kernel (6 x 32 tiles; where the CPU has
AVX-512F), the AVX2/FMA micro-kernels and the portable fallback (`gemm_isa` fixture), so
partial tiles, packing of strided / transposed / broadcast operands, the direct path for
tiny problems and the threaded paths are all covered for each kernel family.
"""
import itertools

import numpy as np
import pytest

from fastdl import _C
from isa_switch import avx2_switched, isa_path
from kernel_views import kempty, kview

SIZES = [1, 2, 5, 7, 16, 17, 33, 100, 257]
# A deterministic sample of the 729 (M, N, K) combos: all small-size corners plus
# random ones, so each kernel sees full tiles, partial tiles and multi-block K.
_rng = np.random.default_rng(1234)
_all = list(itertools.product(SIZES, repeat=3))
SHAPES = sorted({(m, n, k) for m, n, k in _all if max(m, n, k) <= 7}
                | {_all[i] for i in _rng.choice(len(_all), 24, replace=False)}
                | {(257, 257, 257), (100, 33, 257), (1, 257, 100), (257, 1, 33)})


_NO_AVX2 = pytest.mark.skipif(not _C.cpu_has_avx2_fma(), reason="CPU has no AVX2+FMA")
GEMM_ISAS = [pytest.param("avx512", marks=pytest.mark.skipif(not _C.cpu_has_avx512f(), reason="CPU has no AVX-512F")),
             pytest.param("avx2", marks=_NO_AVX2), "portable"]


@pytest.fixture(params=GEMM_ISAS)
def gemm_isa(request):
    """The GEMM kernel family a test runs on: avx512 (float32 6 x 64; float64 stays on
    AVX2), avx2 (6 x 16) or portable."""
    with isa_path(request.param):  # the params carry the skips
        yield request.param


@pytest.fixture(params=[True, False], ids=["avx2", "portable"])
def use_avx2(request):
    if request.param and not _C.cpu_has_avx2_fma():
        pytest.skip("CPU has no AVX2+FMA")
    with avx2_switched(request.param):
        yield request.param


@pytest.fixture
def threads():
    """Lets a test change the thread count; restores it afterwards."""
    before = _C.get_num_threads()
    yield _C.set_num_threads
    _C.set_num_threads(before)


def rand(shape, dtype, rng):
    if np.dtype(dtype) == np.int64:
        return rng.integers(-5, 6, size=shape).astype(np.int64)
    return rng.standard_normal(shape).astype(dtype)


def check(out, a, b, alpha=1.0, beta=0.0, c0=None):
    """out == alpha * a @ b + beta * c0 within the float rounding bound for K terms."""
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    ref = alpha * (a64 @ b64)
    bound = abs(alpha) * (np.abs(a64) @ np.abs(b64))
    if beta != 0.0:
        ref = ref + beta * c0.astype(np.float64)
        bound = bound + abs(beta) * np.abs(c0.astype(np.float64))
    if out.dtype == np.int64:
        np.testing.assert_array_equal(out, ref.astype(np.int64))
        return
    k = a.shape[-1]
    tol = 1e-10 if out.dtype == np.float64 else 2 * (k + 2) * np.finfo(np.float32).eps
    err = np.abs(out.astype(np.float64) - ref)
    assert np.all(err <= tol * bound + 1e-30), f"max excess {np.max(err - tol * bound)}"


def matmul(av, bv, out, **kw):
    _C.cpu.matmul(av, bv, out, **kw)
    return out.numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mnk", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_shapes(gemm_isa, dtype, mnk):
    m, n, k = mnk
    rng = np.random.default_rng(m * 10000 + n * 100 + k)
    a, b = rand((m, k), dtype, rng), rand((k, n), dtype, rng)
    check(matmul(kview(a), kview(b), kempty((m, n), dtype)), a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ta,tb,tc", list(itertools.product([False, True], repeat=3)))
@pytest.mark.parametrize("mnk", [(7, 33, 17), (100, 257, 33), (130, 70, 300), (1, 70, 300),
                                 (70, 1, 300), (1, 1, 300)])
def test_transposed_layouts(gemm_isa, dtype, ta, tb, tc, mnk):
    m, n, k = mnk
    rng = np.random.default_rng(7)
    abase = rand((k, m) if ta else (m, k), dtype, rng)
    bbase = rand((n, k) if tb else (k, n), dtype, rng)
    av, bv = (abase.T if ta else abase), (bbase.T if tb else bbase)
    cbase = np.zeros((n, m) if tc else (m, n), dtype)
    cv = cbase.T if tc else cbase
    check(matmul(kview(abase, av), kview(bbase, bv), kview(cbase, cv)), av, bv)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ta", [False, True], ids=["a_rows", "a_cols"])
@pytest.mark.parametrize("n", [40, 300], ids=["a_in_place", "a_packed"])
@pytest.mark.parametrize("m", [1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 32, 64, 128, 146, 147])
def test_row_tail_tiles(gemm_isa, dtype, ta, n, m):
    # The blocked path (K > 256) with every remainder of rows modulo the 6-row tile: a
    # tail of 1-3 rows shares the last full tile (6 + 2 -> 4 + 4, gemm.cpp's RowTiles),
    # 4-5 rows run as one exact tile; row-major A read in place (N <= 256) or packed,
    # transposed A always packed; 146 / 147 rows span two MC blocks. beta != 0 checks
    # that the second K block accumulates into the tail tiles' rows only.
    k = 300
    rng = np.random.default_rng(m * 7 + n)
    abase = rand((k, m) if ta else (m, k), dtype, rng)
    av = abase.T if ta else abase
    b = rand((k, n), dtype, rng)
    c0 = rand((m, n), dtype, rng)
    out = kview(c0.copy())
    check(matmul(kview(abase, av), kview(b), out, alpha=0.5, beta=2.0), av, b, 0.5, 2.0, c0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mnk", [(13, 2001, 300), (50, 4100, 257), (6, 1030, 260)], ids=lambda s: "x".join(map(str, s)))
def test_wide_row_major_b_packed_by_rows(gemm_isa, threads, dtype, mnk):
    # Few rows of A (one row block) and a row-major B whose K block exceeds 1 MiB: the
    # panel is packed row by row before the tiles (gemm.cpp's rows_first; one thread, as
    # threads would split N into narrower slabs); a partial last sliver, N across two NC
    # blocks (4100 > 4080), K in two blocks, beta != 0.
    threads(1)
    m, n, k = mnk
    rng = np.random.default_rng(m + n + k)
    a, b, c0 = rand((m, k), dtype, rng), rand((k, n), dtype, rng), rand((m, n), dtype, rng)
    out = kview(c0.copy())
    check(matmul(kview(a), kview(b), out, alpha=1.5, beta=-1.0), a, b, 1.5, -1.0, c0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_step_slices(gemm_isa, dtype):
    rng = np.random.default_rng(3)
    abase, bbase = rand((40, 90), dtype, rng), rand((100, 75), dtype, rng)
    av, bv = abase[1::2, ::3], bbase[::3, 2::2]  # (20, 30) @ (34->30 rows, 37 cols)
    bv = bv[:30]
    cbase = np.zeros((45, 80), dtype)
    cv = cbase[3::2, 5::2][:20, :37]
    check(matmul(kview(abase, av), kview(bbase, bv), kview(cbase, cv)), av, bv)
    untouched = np.ones(cbase.shape, bool)
    untouched[3::2, 5::2][:20, :37] = False
    assert np.all(cbase[untouched] == 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mnk", [(5, 7, 3), (40, 50, 60), (70, 140, 120)])
def test_batch_broadcast(gemm_isa, dtype, mnk):
    m, n, k = mnk
    rng = np.random.default_rng(5)
    a = rand((6, m, k), dtype, rng)
    bbase = rand((k, n), dtype, rng)
    bv = np.broadcast_to(bbase, (6, k, n))  # stride-0 batch dim
    out = matmul(kview(a), kview(bbase, bv), kempty((6, m, n), dtype))
    for i in range(6):
        check(out[i], a[i], bbase)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_4d_batch(gemm_isa, dtype):
    rng = np.random.default_rng(6)
    abase = rand((3, 4, 17, 9), dtype, rng)
    av = abase.transpose(1, 0, 2, 3)  # permuted batch dims: non-contiguous
    bbase = rand((1, 3, 9, 33), dtype, rng)
    bv = np.broadcast_to(bbase, (4, 3, 9, 33))
    out = matmul(kview(abase, av), kview(bbase, bv), kempty((4, 3, 17, 33), dtype))
    for i, j in itertools.product(range(4), range(3)):
        check(out[i, j], av[i, j], bbase[0, j])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("alpha,beta", [(2.5, 0.0), (1.0, 1.0), (-0.5, 3.0), (0.0, 2.0)])
@pytest.mark.parametrize("mnk", [(7, 9, 5), (100, 33, 257)])
def test_alpha_beta(gemm_isa, dtype, alpha, beta, mnk):
    m, n, k = mnk
    rng = np.random.default_rng(8)
    a, b, c0 = rand((m, k), dtype, rng), rand((k, n), dtype, rng), rand((m, n), dtype, rng)
    c = c0.copy()
    check(matmul(kview(a), kview(b), kview(c), alpha=alpha, beta=beta), a, b, alpha, beta, c0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mnk", [(3, 4, 2), (100, 257, 33)])
def test_beta_zero_ignores_nan(gemm_isa, dtype, mnk):
    m, n, k = mnk
    rng = np.random.default_rng(9)
    a, b = rand((m, k), dtype, rng), rand((k, n), dtype, rng)
    c = np.full((m, n), np.nan, dtype)
    out = matmul(kview(a), kview(b), kview(c), alpha=1.0, beta=0.0)
    assert np.all(np.isfinite(out))
    check(out, a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("mnk", [(0, 5, 3), (4, 0, 3), (4, 5, 0), (0, 0, 0)])
def test_empty_dims(gemm_isa, dtype, mnk):
    m, n, k = mnk
    rng = np.random.default_rng(10)
    a, b = rand((m, k), dtype, rng), rand((k, n), dtype, rng)
    c = np.full((m, n), 7, dtype)
    out = matmul(kview(a), kview(b), kview(c))  # beta == 0: out becomes zeros
    assert np.all(out == 0)
    c0 = np.full((m, n), 7, dtype)
    c[...] = c0
    out = matmul(kview(a), kview(b), kview(c), beta=2.0)  # K == 0: out = beta * out
    check(out, a, b, 1.0, 2.0, c0)


def test_empty_batch(gemm_isa):
    a, b = np.ones((0, 3, 4), np.float32), np.ones((0, 4, 5), np.float32)
    out = matmul(kview(a), kview(b), kempty((0, 3, 5)))
    assert out.shape == (0, 3, 5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mn", [(1, 1), (33, 257), (257, 100)])
def test_k_equals_one(gemm_isa, dtype, mn):
    m, n = mn
    rng = np.random.default_rng(11)
    a, b = rand((m, 1), dtype, rng), rand((1, n), dtype, rng)
    check(matmul(kview(a), kview(b), kempty((m, n), dtype)), a, b)


@pytest.mark.parametrize("k", [257, 258, 263, 264, 300, 519])
@pytest.mark.parametrize("row_pad", [0, 5])
def test_packed_row_major_a(gemm_isa, k, row_pad):
    # C wider than 256 columns and K above the small-product path's, so row-major A is
    # packed (spack_a6_avx2 on the AVX2 path): K blocks that are and are not multiples
    # of its 8-wide groups, a partial last sliver (13 rows), and rows further apart
    # than K (a column slice of a wider array).
    m, n = 13, 300
    rng = np.random.default_rng(k * 10 + row_pad)
    abase = rand((m, k + row_pad), np.float32, rng)
    a = abase[:, :k]
    b = rand((k, n), np.float32, rng)
    check(matmul(kview(abase, a), kview(b), kempty((m, n), np.float32)), a, b)


# Shapes for the threaded drivers (work >= 2^20 multiply-adds): row blocks sharing one
# packed B panel (M above the kernel's MC), column slabs (small M), K cut into several
# even blocks, edges that are not multiples of any tile, and K = 1.
THREADED_SHAPES = [
    (300, 40, 200),    # row blocks; N < one NR tile for double
    (20, 500, 150),    # column slabs
    (200, 190, 180),
    (64, 128, 784),    # model shape (64x784 @ 784x128): column slabs over 4 K blocks
    (301, 263, 517),   # row blocks, every edge partial, K in 3 blocks
    (1000, 1100, 1),   # K = 1, row blocks
    (100, 12000, 1),   # K = 1, column slabs
    (150, 7, 1000),    # tall and narrow: row blocks only
    (700, 1100, 530),  # wide C: a column slab per thread at 2 threads, shared panels at 3
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("nthreads", [1, 2, 3])
@pytest.mark.parametrize("mnk", THREADED_SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_threaded(gemm_isa, threads, dtype, nthreads, mnk):
    threads(nthreads)
    m, n, k = mnk
    rng = np.random.default_rng(12)
    a, b = rand((m, k), dtype, rng), rand((k, n), dtype, rng)
    check(matmul(kview(a), kview(b), kempty((m, n), dtype)), a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_threaded_row_blocks_across_panels(gemm_isa, threads, dtype):
    # N beyond one column panel (NC = 2040 doubles / 4080 floats on AVX2, 4064 floats on
    # AVX-512), K in 3 blocks, alpha and beta, every edge partial. 2 and 3 threads run a
    # column slab each (gemm_split_n, >= 512 columns per thread); 9 threads share each
    # panel's row blocks (gemm_split_m), more threads than cores making them wait on each
    # other (descheduled) mid-product. Every tile sums the same K blocks in the same
    # order, so any thread count gives the serial bits.
    m, n, k = (301, 4200, 530) if dtype == np.float32 else (301, 2100, 530)
    rng = np.random.default_rng(21)
    a, b = rand((m, k), dtype, rng), rand((k, n), dtype, rng)
    c0 = rand((m, n), dtype, rng)
    outs = []
    for nthreads in (1, 2, 3, 9, 2, 9):
        threads(nthreads)
        cbase = c0.copy()
        outs.append(matmul(kview(a), kview(b), kview(cbase), alpha=0.5, beta=-2.0))
    check(outs[0], a, b, 0.5, -2.0, c0)
    for out in outs[1:]:
        np.testing.assert_array_equal(out, outs[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("nthreads", [1, 2])
@pytest.mark.parametrize("ta,tb,tc", list(itertools.product([False, True], repeat=3)))
@pytest.mark.parametrize("mnk", [(301, 263, 517), (64, 128, 300)], ids=["rows", "slabs"])
def test_threaded_layouts(gemm_isa, threads, dtype, nthreads, ta, tb, tc, mnk):
    # Transposed operands through the threaded drivers: packing absorbs the strides,
    # column-major C is computed as C^T.
    threads(nthreads)
    m, n, k = mnk
    rng = np.random.default_rng(15)
    abase = rand((k, m) if ta else (m, k), dtype, rng)
    bbase = rand((n, k) if tb else (k, n), dtype, rng)
    av, bv = (abase.T if ta else abase), (bbase.T if tb else bbase)
    cbase = np.zeros((n, m) if tc else (m, n), dtype)
    cv = cbase.T if tc else cbase
    check(matmul(kview(abase, av), kview(bbase, bv), kview(cbase, cv)), av, bv)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("nthreads", [1, 2])
def test_threaded_alpha_beta_strided(gemm_isa, threads, dtype, nthreads):
    # beta accumulates into a strided C only on the first K block; later blocks add.
    threads(nthreads)
    rng = np.random.default_rng(16)
    abase, bbase = rand((2 * 310, 530), dtype, rng), rand((520, 2 * 270), dtype, rng)
    av, bv = abase[::2, 3:523], bbase[:520, 1::2]  # (310, 520) @ (520, 270)
    cbase = rand((320, 2 * 270 + 1), dtype, rng)
    cv = cbase[5:315, ::2][:, :270]
    c0 = cv.copy()
    check(matmul(kview(abase, av), kview(bbase, bv), kview(cbase, cv), alpha=0.5, beta=-2.0),
          av, bv, 0.5, -2.0, c0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("nthreads", [1, 2, 3])
def test_threaded_strided_batches(gemm_isa, threads, dtype, nthreads):
    # Batches large enough for the threaded drivers, with a permuted (non-contiguous)
    # batch dim and a broadcast B; and many small matrices for the batch-parallel path.
    threads(nthreads)
    rng = np.random.default_rng(17)
    abase = rand((160, 3, 150), dtype, rng)
    av = abase.transpose(1, 0, 2)  # (3, 160, 150), batch stride 150
    bbase = rand((150, 90), dtype, rng)
    bv = np.broadcast_to(bbase, (3, 150, 90))
    out = matmul(kview(abase, av), kview(bbase, bv), kempty((3, 160, 90), dtype))
    for i in range(3):
        check(out[i], av[i], bbase)
    a, b = rand((64, 9, 12), dtype, rng), rand((64, 12, 10), dtype, rng)
    out = matmul(kview(a), kview(b), kempty((64, 9, 10), dtype))
    for i in range(64):
        check(out[i], a[i], b[i])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("nthreads", [1, 2, 3])
@pytest.mark.parametrize("mnk", [(130, 40, 3001), (7, 300, 1024), (64, 17, 2100)], ids=lambda s: "x".join(map(str, s)))
def test_threaded_split_k(gemm_isa, threads, dtype, nthreads, mnk):
    # Small C, long K (a weight gradient dY^T X): threads take K ranges into partial Cs
    # added in a fixed order. A transposed as dY^T is, C strided, alpha and beta, and
    # bit-identical repeats.
    threads(nthreads)
    m, n, k = mnk
    rng = np.random.default_rng(19)
    abase, b = rand((k, m), dtype, rng), rand((k, n), dtype, rng)
    cbase = rand((m, 2 * n), dtype, rng)
    cv = cbase[:, ::2]
    c0 = cv.copy()
    out = matmul(kview(abase, abase.T), kview(b), kview(cbase, cv), alpha=0.5, beta=-2.0)
    check(out, abase.T, b, 0.5, -2.0, c0)
    first = out.copy()
    for _ in range(3):
        cv[...] = c0
        np.testing.assert_array_equal(matmul(kview(abase, abase.T), kview(b), kview(cbase, cv), alpha=0.5, beta=-2.0),
                                      first)


@pytest.mark.parametrize("nthreads", [1, 2, 3])
@pytest.mark.parametrize("mnk", [(301, 263, 517), (64, 128, 784)], ids=["rows", "slabs"])
def test_threaded_deterministic(gemm_isa, threads, nthreads, mnk):
    # Work is handed out dynamically, but each element's arithmetic must not depend on
    # which thread did it: repeated runs agree bit for bit.
    threads(nthreads)
    m, n, k = mnk
    rng = np.random.default_rng(18)
    a, b = rand((m, k), np.float32, rng), rand((k, n), np.float32, rng)
    first = matmul(kview(a), kview(b), kempty((m, n))).copy()
    for _ in range(5):
        np.testing.assert_array_equal(matmul(kview(a), kview(b), kempty((m, n))), first)


def test_fma_peak():
    if not _C.cpu_has_avx2_fma():
        with pytest.raises(ValueError, match="fma_peak_gflops"):
            _C.cpu.fma_peak_gflops(1)
        return
    before = _C.get_num_threads()
    one = _C.cpu.fma_peak_gflops(1)
    assert one > 1.0  # 16 lanes x 2 flops per cycle: anything slower is not an FMA loop
    assert _C.get_num_threads() == before  # restored
    with pytest.raises(ValueError, match="fma_peak_gflops: threads must be >= 1"):
        _C.cpu.fma_peak_gflops(0)


def test_int64(gemm_isa):
    rng = np.random.default_rng(13)
    abase, b = rand((9, 7), np.int64, rng), rand((2, 9, 11), np.int64, rng)
    av = np.broadcast_to(abase.T, (2, 7, 9))
    c0 = rand((2, 7, 11), np.int64, rng)
    c = c0.copy()
    out = matmul(kview(abase, av), kview(b), kview(c), alpha=3.0, beta=-2.0)
    np.testing.assert_array_equal(out, 3 * (av @ b) - 2 * c0)


def test_float32_large_k(gemm_isa):
    # Long reductions accumulate rounding: the tolerance scales with K.
    rng = np.random.default_rng(14)
    a, b = rand((8, 5000), np.float32, rng), rand((5000, 20), np.float32, rng)
    check(matmul(kview(a), kview(b), kempty((8, 20))), a, b)


def _f32(*shape):
    return kview(np.zeros(shape, np.float32))


@pytest.mark.parametrize("args,exc,msg", [
    ((_f32(2, 3), _f32(4, 5), _f32(2, 5)), ValueError, r"matmul: shape mismatch float32\[2, 3\]"),
    ((_f32(3), _f32(3, 2), _f32(1, 2)), ValueError, "matmul: operands must be at least 2-D"),
    ((_f32(2, 2, 3), _f32(3, 3, 4), _f32(2, 2, 4)), ValueError, "matmul: batch dims differ"),
    ((_f32(2, 3), _f32(2, 3, 4), _f32(2, 2, 4)), ValueError, "matmul: batch dims differ"),
    ((_f32(2, 3), _f32(3, 4), _f32(2, 5)), ValueError, "matmul: out shape mismatch"),
    ((_f32(2, 3), _f32(3, 4), kview(np.zeros((2, 4)))), TypeError, "matmul: dtype mismatch"),
    ((kview(np.zeros((2, 3), bool)), kview(np.zeros((3, 4), bool)), kview(np.zeros((2, 4), bool))),
     TypeError, "matmul: unsupported dtype bool"),
])
def test_errors(args, exc, msg):
    with pytest.raises(exc, match=msg):
        _C.cpu.matmul(*args)


def test_error_broadcast_out():
    base = np.zeros((1, 4), np.float32)
    out = kview(base, np.broadcast_to(base, (3, 4)))
    with pytest.raises(ValueError, match="matmul: out must not be a broadcast"):
        _C.cpu.matmul(_f32(3, 2), _f32(2, 4), out)
