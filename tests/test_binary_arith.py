"""The AVX2 loops of add / sub / mul / div (csrc/cpu/binary_arith_avx2.cpp) against NumPy and
against the portable loop, bit for bit: contiguous operands, a broadcast scalar on either
side, every tail length, in-place outputs, strided operands (the portable loop), and the
special values (inf, nan, -0, subnormals)."""
import numpy as np
import pytest

from fastdl import _C
from isa_switch import vector_and_portable
from kernel_views import kview
from test_gemm_kernel import use_avx2  # noqa: F401 (fixture)

OPS = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide}
SIZES = [1, 7, 8, 15, 16, 17, 31, 33, 100, 1000]


def operands(n, dtype, rng):
    x = rng.standard_normal(n).astype(dtype)
    y = rng.standard_normal(n).astype(dtype)
    tiny = np.finfo(dtype).smallest_subnormal
    special = np.array([np.inf, -np.inf, np.nan, -0.0, 0.0, tiny, -tiny, 1e30], dtype)
    x[: min(n, 8)] = special[: min(n, 8)]
    y[: min(n, 8)] = special[::-1][: min(n, 8)]
    return x, y


def kernel(op, a, b):
    out = np.empty(np.broadcast_shapes(a.shape, b.shape), a.dtype)
    av, bv = np.broadcast_to(a, out.shape), np.broadcast_to(b, out.shape)
    _C.cpu.binary(op, kview(a, av) if a.flags.c_contiguous else kview(a.base, av),
                  kview(b, bv) if b.flags.c_contiguous else kview(b.base, bv), kview(out))
    return out


def same_bits(got, want):
    """Equal bit patterns, NaNs included (both sides run the same IEEE instructions)."""
    assert got.dtype == want.dtype and got.shape == want.shape
    u = f"u{got.itemsize}"
    np.testing.assert_array_equal(np.ascontiguousarray(got).view(u), np.ascontiguousarray(want).view(u))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op", list(OPS))
def test_contiguous_and_scalar_operands(use_avx2, op, dtype):
    rng = np.random.default_rng(31)
    with np.errstate(all="ignore"):
        for n in SIZES:
            x, y = operands(n, dtype, rng)
            s = np.array(dtype(-1.75))
            same_bits(kernel(op, x, y), OPS[op](x, y))
            same_bits(kernel(op, x, s), OPS[op](x, s))  # tensor op scalar
            same_bits(kernel(op, s, y), OPS[op](s, y))  # scalar op tensor (2 - t)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op", list(OPS))
def test_in_place_output(use_avx2, op, dtype):
    rng = np.random.default_rng(32)
    x, y = rng.standard_normal(37).astype(dtype), rng.standard_normal(37).astype(dtype)
    want = OPS[op](x, y)
    _C.cpu.binary(op, kview(x), kview(y), kview(x))
    same_bits(x, want)


@pytest.mark.parametrize("op", list(OPS))
def test_strided_and_2d_operands(use_avx2, op):
    rng = np.random.default_rng(33)
    base = rng.standard_normal((6, 40)).astype(np.float32)
    y = rng.standard_normal((6, 20)).astype(np.float32)
    x = base[:, ::2]  # strided rows: the portable loop
    out = np.empty((6, 20), np.float32)
    _C.cpu.binary(op, kview(base, x), kview(y), kview(out))
    same_bits(out, OPS[op](x, y))
    row = rng.standard_normal(20).astype(np.float32)  # a broadcast row: contiguous runs per row
    same_bits(kernel(op, y, row[None, :]), OPS[op](y, row))


def test_avx2_and_portable_loops_agree():
    if not _C.cpu_has_avx2_fma():
        pytest.skip("CPU has no AVX2+FMA")
    rng = np.random.default_rng(34)
    x, y = operands(1000, np.float32, rng)
    with np.errstate(all="ignore"):
        results = vector_and_portable(lambda: [kernel(op, x, y) for op in OPS])
    for got, want in zip(*results):
        same_bits(got, want)
