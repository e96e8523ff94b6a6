"""float32 erf, erfc, exp2, atan, asin, tan and atan2 as array kernels (csrc/cpu/vec_math_simd.h at 8 and 16
lanes; atan2_f32_avx2 in vec_math_avx2.cpp): error against float64
over random bit patterns and dense grids (tan also at the floats next to multiples of pi/2),
special values (+-0, +-inf, NaN, denormals, overflow), broadcast
scalars, -0 kept, and atan2's zero / infinite / NaN lanes through libm exactly as the
portable path."""
import math

import numpy as np
import pytest

import fastdl
from fastdl import _C
from isa_switch import vector_and_portable
from vec_kernel_checks import ulp_error
from vec_kernel_checks import run_unary as run

# Max error in float32 ulps of the correctly rounded result (AVX2 measures exp2 1.01, erf
# 2.35, erfc 3.29, atan 2.72, asin 2.31, tan 3.39, atan2 3.08; glibc's functions, the portable
# path, within 1.12, but for erfcf's 2.52 in the tail). tan's lanes beyond 2^16, inf and NaN go through libm, as sin's.
PORTABLE_MAX_ULP = {"erfc": 3.0}
MAX_ULP = {"exp2": 1.5, "erf": 3.0, "erfc": 4.0, "atan": 3.0, "asin": 3.0, "tan": 4.0, "atan2": 3.5}
SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1e-30, -1e-30, 0.4142135, 2.4142137,
                    3.9, 4.0, 4.1, 127.9, 128.0, -126.5, -149.0, -150.0, 1e38, -1e38], np.float32)


def reference(op, x):
    with np.errstate(all="ignore"):
        x64 = x.astype(np.float64)
        if op == "exp2":
            return np.exp2(x64)
        if op == "atan":
            return np.arctan(x64)
        if op == "asin":
            return np.arcsin(x64)
        if op == "tan":
            return np.tan(x64)
        return np.frompyfunc(math.erfc if op == "erfc" else math.erf, 1, 1)(x64).astype(np.float64)


def inputs():
    rng = np.random.default_rng(11)
    bits = rng.integers(0, 2 ** 32, 200_000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    grids = [np.linspace(-10, 10, 200_001), np.linspace(-160, 160, 100_001), rng.standard_normal(100_000) * 3,
             np.linspace(-1.01, 1.01, 100_001), np.linspace(-70_000, 70_000, 100_001)]
    near = (np.arange(1, 41723) * (np.pi / 2)).astype(np.float32)  # next to k pi/2: tan's poles and zeros
    near = np.concatenate([near, np.nextafter(near, np.float32(np.inf)), np.nextafter(near, np.float32(0))])
    return np.concatenate([bits, SPECIAL, near, -near] + [g.astype(np.float32) for g in grids])


@pytest.mark.parametrize("op", ["exp2", "erf", "erfc", "atan", "asin", "tan"])
def test_unary_within_bound_of_float64(op, isa):
    x = inputs()
    got = run(op, x)
    with np.errstate(all="ignore"):  # (exp2's float64 results beyond float32's range)
        err = ulp_error(got, reference(op, x))
    worst = int(np.argmax(err))
    assert err[worst] <= (MAX_ULP[op] if isa else PORTABLE_MAX_ULP.get(op, 1.5)), f"{op}({x[worst]!r}) = {got[worst]!r}: {err[worst]:.2f} ulp"
    zeros = got == 0
    np.testing.assert_array_equal(np.signbit(got[zeros]), np.signbit(reference(op, x)[zeros]))


def test_unary_tails_and_strides(isa):
    x = inputs()[:1003]
    for op in ("exp2", "erf", "erfc", "atan", "asin", "tan"):
        whole = run(op, x)
        for n in (1, 7, 9, 17):
            np.testing.assert_array_equal(run(op, x[:n]), whole[:n])
        strided = fastdl.tensor(x)[::3]
        np.testing.assert_array_equal(run(op, strided), whole[::3])


def test_atan_asin_give_the_same_bits_at_16_and_8_lanes():
    """atan / asin run the same operations per lane at both widths (their AVX-512 copies
    came from the AVX2-only atan8 / asin8): the same bits, specials and tails included."""
    from isa_switch import with_isa
    if not with_isa(True, _C.use_avx512):
        pytest.skip("this CPU has no AVX-512")
    x = inputs()[:300_017]
    for op in ("atan", "asin"):
        wide = with_isa(True, lambda: run(op, x))
        np.testing.assert_array_equal(wide.view(np.uint32), with_isa(False, lambda: run(op, x)).view(np.uint32))


def atan2_inputs():
    rng = np.random.default_rng(12)
    n = 200_003
    bits = lambda: rng.integers(0, 2 ** 32, n, dtype=np.uint64).astype(np.uint32).view(np.float32)  # noqa: E731
    mags = lambda: (rng.standard_normal(n) * np.exp(rng.uniform(-20, 20, n))).astype(np.float32)  # noqa: E731
    ys, xs = np.meshgrid(SPECIAL, SPECIAL)
    m = mags()
    return [(bits(), bits()), (mags(), mags()), (ys.ravel(), xs.ravel()), (m[:1], m), (m, m[:1])]


def test_atan2_within_bound_of_float64(isa):
    for y, x in atan2_inputs():
        got = fastdl.atan2(fastdl.tensor(y), fastdl.tensor(x)).numpy()
        with np.errstate(all="ignore"):
            ref = np.arctan2(y.astype(np.float64), x.astype(np.float64))
        with np.errstate(all="ignore"):
            err = ulp_error(got, ref)
        worst = int(np.argmax(err))
        assert err[worst] <= (MAX_ULP["atan2"] if isa else 1.5), \
            f"atan2({y[worst % y.size]!r}, {x[worst % x.size]!r}) = {got[worst]!r}: {err[worst]:.2f} ulp"
        zeros = got == 0
        np.testing.assert_array_equal(np.signbit(got[zeros]), np.signbit(ref[zeros]))


@pytest.mark.skipif(not _C.cpu_has_avx2_fma(), reason="CPU has no AVX2+FMA")
def test_atan2_special_lanes_are_libms():
    """Lanes with a zero, infinite or NaN operand go through atan2f: the same bits as the
    portable loop (mixed into full blocks of 8 with ordinary lanes)."""
    ys, xs = np.meshgrid(SPECIAL, SPECIAL)
    y, x = ys.ravel(), xs.ravel()
    odd = (y == 0) | (x == 0) | ~np.isfinite(y) | ~np.isfinite(x)
    fast, portable = vector_and_portable(lambda: fastdl.atan2(fastdl.tensor(y), fastdl.tensor(x)).numpy())
    np.testing.assert_array_equal(fast[odd].view(np.uint32) | np.isnan(fast[odd]),
                                  portable[odd].view(np.uint32) | np.isnan(portable[odd]))


def test_gradients_still_flow():
    x = fastdl.tensor([-2.0, -0.5, 0.3, 1.7], requires_grad=True)
    (fastdl.erf(x) + fastdl.exp2(x) + fastdl.atan(x) + fastdl.atan2(x, fastdl.tensor(0.7))).sum().backward()
    xs = np.array([-2.0, -0.5, 0.3, 1.7])
    want = 2 / np.sqrt(np.pi) * np.exp(-xs ** 2) + np.exp2(xs) * np.log(2) + 1 / (1 + xs ** 2) + 0.7 / (0.7 ** 2 + xs ** 2)
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-6)
