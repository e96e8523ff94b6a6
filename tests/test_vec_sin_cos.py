"""float32 sin / cos as AVX2 array kernels (csrc/cpu/vec_math_avx2.h, sin_cos_abs8: the
argument reduced by pi/2 in double, Cephes' polynomials in float): error against float64
over the float32 range and at the floats nearest multiples of pi/2 (where a float-only
reduction loses its digits), lanes beyond 2^16 / inf / NaN through libm exactly as the
portable path, -0, masked tails, strides, and the ops with their gradients."""
import numpy as np
import pytest

import fastdl
from fastdl import _C
from isa_switch import vector_and_portable
from vec_kernel_checks import ulp_error
from vec_kernel_checks import run_unary as run

# Max error in float32 ulps of the correctly rounded result: AVX2 measures 1.53 for both;
# glibc's sinf / cosf (the portable path) 0.56.
MAX_ULP = {True: 1.6, False: 1.0}
REF = {"sin": np.sin, "cos": np.cos}


def sin_cos_error(got, x, op):
    with np.errstate(all="ignore"):
        return ulp_error(got, REF[op](x.astype(np.float64)))


def near_multiples_of_half_pi():
    """The floats on either side of k pi / 2 for every k up to 2^16: sin / cos of them are
    their smallest values, which a float-precision reduction would get wrong."""
    k = np.arange(1, 41723)
    near = (k * (np.pi / 2)).astype(np.float32)
    near = np.concatenate([near, np.nextafter(near, np.float32(np.inf)), np.nextafter(near, np.float32(0))])
    return np.concatenate([near, -near])


def inputs():
    rng = np.random.default_rng(5)
    bits = rng.integers(0, 2 ** 32, 200_000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    grids = [np.linspace(-100, 100, 200_000), np.linspace(-70_000, 70_000, 200_000), np.linspace(-1e-3, 1e-3, 10_001)]
    return np.concatenate([bits[np.isfinite(bits)], near_multiples_of_half_pi()] + [g.astype(np.float32) for g in grids])


@pytest.mark.parametrize("op", ["sin", "cos"])
def test_error_bound_over_the_float32_range(op, isa):
    x = inputs()
    err = sin_cos_error(run(op, x), x, op)
    worst = int(np.argmax(err))
    assert err[worst] <= MAX_ULP[isa], f"{op}({x[worst]!r}): {err[worst]:.2f} ulp"


@pytest.mark.parametrize("op", ["sin", "cos"])
def test_far_and_special_lanes_are_libm(op):
    # lanes past 2^16, inf and NaN go through libm: the same values as the portable path,
    # whatever lanes share their block of 8
    x = np.array([0.5, 65536.0, 65536.01, -1e30, np.inf, -np.inf, np.nan, 3.0, -0.0, 0.0, 1e-45, -1e-45,
                  1e10, 2.0, -7.0e5, 1.0], np.float32)
    fast, portable = vector_and_portable(run, op, x)
    far = ~(np.abs(x) <= 65536)
    np.testing.assert_array_equal(fast[far], portable[far])  # NaNs compare equal here
    np.testing.assert_array_equal(np.signbit(fast[x == 0]), np.signbit(portable[x == 0]))  # sin(-0) = -0
    assert sin_cos_error(fast, x, op).max() <= MAX_ULP[True]


@pytest.mark.parametrize("op", ["sin", "cos"])
def test_tails_strides_and_in_place_agree(op, isa):
    rng = np.random.default_rng(6)
    for n in list(range(1, 20)) + [67]:
        base = (rng.standard_normal(2 * n) * 50).astype(np.float32)
        want = run(op, base[::2].copy())
        np.testing.assert_array_equal(run(op, fastdl.tensor(base)[::2]), want)
        t = fastdl.tensor(base[::2].copy())
        _C.cpu.unary(op, t, t, 0.0, 0.0)
        np.testing.assert_array_equal(t.numpy(), want)


def test_ops_and_gradients():
    x64 = np.linspace(-20, 20, 81)
    x = fastdl.tensor(x64.astype(np.float32), requires_grad=True)
    y = fastdl.sin(x) * 2 + fastdl.cos(x)
    np.testing.assert_allclose(y.detach().numpy(), 2 * np.sin(x64) + np.cos(x64), rtol=0, atol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.cos(x64) - np.sin(x64), rtol=0, atol=1e-6)
