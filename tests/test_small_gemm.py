"""The small-product paths of the CPU gemm against a float64 NumPy reference.

Small products (up to 2^22 multiply-adds, K <= 256) run without packing: an AVX2 row
kernel reading row-major B in place (other B packed into slivers first), a dot-product
kernel along K for narrow C with row-major A (N <= 8; <= 6 if B's columns are copied
contiguous first) and for C with few rows and B^T contiguous (on C^T, K >= 16), and
C^T = B^T A^T for narrow C with column-major A. Each test sweeps every M in 1..13 and N in
1..17 (every partial row tile and every masked column count of both kernels) for K values
around the vector width, on the AVX2 kernels (also reading the AVX-512 GEMM's 64-wide
slivers) and the portable fallback (`gemm_isa` fixture), in float32 and float64, for every
layout of A, B and C that selects a different path.
"""
import itertools

import numpy as np
import pytest

from kernel_views import kview
from test_gemm_kernel import check, gemm_isa, matmul, rand  # noqa: F401 (fixture)

MS, NS = range(1, 14), range(1, 18)
KS = [1, 3, 8, 9, 33]


def operand(rows, cols, layout, dtype, rng):
    """(base, view) of a rows x cols operand: row-major, transposed, or strided both ways."""
    if layout == "t":
        base = rand((cols, rows), dtype, rng)
        return base, base.T
    if layout == "s":
        base = rand((2 * rows + 1, 3 * cols), dtype, rng)
        return base, base[1::2, ::3][:rows]
    base = rand((rows, cols), dtype, rng)
    return base, base


def output(rows, cols, layout, dtype, fill=0.0):
    """(base, view) of C: row-major, column-major, or with a column step of 2."""
    if layout == "t":
        base = np.full((cols, rows), fill, dtype)
        return base, base.T
    if layout == "s":
        base = np.full((rows, 2 * cols), fill, dtype)
        return base, base[:, ::2]
    base = np.full((rows, cols), fill, dtype)
    return base, base


def run(m, n, k, la, lb, lc, dtype, rng, alpha=1.0, beta=0.0, fill=0.0):
    abase, a = operand(m, k, la, dtype, rng)
    bbase, b = operand(k, n, lb, dtype, rng)
    cbase, c = output(m, n, lc, dtype, fill)
    c0 = c.copy()
    out = matmul(kview(abase, a), kview(bbase, b), kview(cbase, c), alpha=alpha, beta=beta)
    check(out, a, b, alpha, beta, c0)
    return cbase, c


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("la,lb", list(itertools.product("nts", repeat=2)), ids=lambda s: s)
def test_every_small_edge(gemm_isa, dtype, la, lb):
    rng = np.random.default_rng(21)
    for k in KS:
        for m, n in itertools.product(MS, NS):
            run(m, n, k, la, lb, "n", dtype, rng)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("la,lb,lc", list(itertools.product("nt", "nt", "ts")), ids=lambda s: s)
def test_strided_c_alpha_beta(gemm_isa, dtype, la, lb, lc):
    rng = np.random.default_rng(22)
    for m, n in itertools.product(MS, NS):
        run(m, n, 9, la, lb, lc, dtype, rng, alpha=-1.5, beta=0.5, fill=2.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("la,lb,lc", list(itertools.product("nt", "nt", "nts")), ids=lambda s: s)
def test_beta_zero_ignores_nan(gemm_isa, dtype, la, lb, lc):
    rng = np.random.default_rng(23)
    for m, n in itertools.product(MS, NS):
        _, c = run(m, n, 7, la, lb, lc, dtype, rng, fill=np.nan)
        assert np.all(np.isfinite(c))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("la,lb", list(itertools.product("nt", repeat=2)), ids=lambda s: s)
def test_strided_c_leaves_gaps(gemm_isa, dtype, la, lb):
    """Only C's own elements are written (masked column tails, strided stores)."""
    rng = np.random.default_rng(24)
    for m, n in itertools.product(MS, NS):
        cbase, _ = run(m, n, 5, la, lb, "s", dtype, rng, fill=np.nan)
        assert np.all(np.isnan(cbase[:, 1::2]))


# (batch, layer widths) of the model families: CartPole MLP / PPO / REINFORCE, acting
# batches, DQN on Acrobot; and the largest K and work the small path takes, and past it.
FAMILIES = [(32, [4, 64, 64, 2]), (256, [4, 64, 64, 1]), (8, [6, 64, 64, 3]), (128, [6, 256, 256, 3])]


def linear_products(batch, widths):
    """(M, K, N, layout A, layout B) of each layer's x @ W^T, g @ W and g^T @ x."""
    for fin, fout in zip(widths[:-1], widths[1:]):
        yield batch, fin, fout, "n", "t"
        yield batch, fout, fin, "n", "n"
        yield fout, batch, fin, "t", "n"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", [p for f in FAMILIES for p in linear_products(*f)]
                         + [(64, 128, 512, "n", "n"), (40, 256, 9, "t", "n"), (40, 257, 9, "t", "n"),
                            (70, 256, 5, "n", "n"), (64, 256, 257, "n", "t"), (300, 200, 70, "t", "t")],
                         ids=lambda c: "{}x{}x{}{}{}".format(*c))
def test_model_shapes(gemm_isa, dtype, case):
    m, k, n, la, lb = case
    rng = np.random.default_rng(25)
    run(m, n, k, la, lb, "n", dtype, rng)
    run(m, n, k, la, lb, "n", dtype, rng, alpha=0.5, beta=-2.0, fill=1.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [80, 75])
def test_column_blocks_every_row_split(gemm_isa, dtype, n):
    """B larger than L1 (64 x 80 floats) runs column blocks outer; every M in 1..13 and 31..33
    covers each way the rows split into tiles (a remainder of 1-3 rows shares the last
    full tile's: 6 + 2 runs as 4 + 4), with a full and a masked last column block."""
    rng = np.random.default_rng(26)
    for m in list(MS) + [31, 32, 33]:
        run(m, n, 64, "n", "n", "n", dtype, rng)
        run(m, n, 64, "t", "n", "n", dtype, rng, alpha=0.5, beta=-1.0, fill=1.0)
