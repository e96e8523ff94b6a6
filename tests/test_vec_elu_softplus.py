"""F.elu and F.softplus as AVX-512 / AVX2 array kernels with their parameters (csrc/cpu/vec_math_simd.h,
elu8 / softplus8 on expm1 / log1p / exp): error against float64 over the float32 range for
several parameter sets, the IEEE specials and -0 as the portable functors give them, any
strides, and the functional forms with their gradients."""
import numpy as np
import pytest

import fastdl
import fastdl.nn.functional as F
from fastdl import _C
from isa_switch import vector_and_portable
from vec_kernel_checks import ulp_error
from vec_kernel_checks import run_unary as run

# Max error in float32 ulps of the correctly rounded result, over the parameter sets below
# (AVX2 measures elu 1.50 and softplus 2.67, each worst at its largest alpha / beta: the
# final multiply / divide adds a rounding; the libm path stays under both).
MAX_ULP = {"elu": 2.0, "softplus": 3.0}
PARAMS = {"elu": [(1.0, 0.0), (0.5, 0.0), (2.5, 0.0)], "softplus": [(1.0, 20.0), (2.0, 20.0), (0.5, 5.0), (3.0, 1.0)]}
CASES = [(op, p) for op, ps in PARAMS.items() for p in ps]


def ref64(op, x, p0, p1):
    """The functor's definition in float64, with the float32 roundings it makes (x * beta,
    the parameters themselves) kept."""
    x32 = x.astype(np.float32)
    x = x32.astype(np.float64)
    with np.errstate(all="ignore"):
        if op == "elu":
            return np.where(x > 0, x, np.float64(np.float32(p0)) * np.expm1(x))
        bx = (x32 * np.float32(p0)).astype(np.float64)
        return np.where(bx > np.float32(p1), x, np.logaddexp(0.0, bx) / np.float64(np.float32(p0)))


def inputs(n=200_000):
    rng = np.random.default_rng(3)
    bits = rng.integers(0, 2 ** 32, n, dtype=np.uint64).astype(np.uint32).view(np.float32)
    grids = [np.linspace(-110, 95, n), np.linspace(-3, 3, n), np.linspace(-1e-3, 1e-3, n // 10)]
    return np.concatenate([bits[np.isfinite(bits)]] + [g.astype(np.float32) for g in grids])


@pytest.mark.parametrize("op,params", CASES)
def test_error_bound_over_the_float32_range(op, params, isa):
    x = inputs()
    err = ulp_error(run(op, x, *params), ref64(op, x, *params))
    worst = int(np.argmax(err))
    assert err[worst] <= MAX_ULP[op], f"{op}{params}({x[worst]!r}): {err[worst]:.2f} ulp"


@pytest.mark.parametrize("op,params", CASES)
def test_specials_match_the_portable_functor(op, params):
    x = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 1e-45, -1e-45, -30.0, -31.0, -88.0, -104.0, -200.0,
                  20.0, 20.5, 88.7, 89.0, 1e30, -1e30], np.float32)
    fast, portable = vector_and_portable(run, op, x, *params)
    np.testing.assert_array_equal(np.isnan(fast), np.isnan(portable))
    finite = ~np.isnan(portable)
    np.testing.assert_array_equal(np.signbit(fast[finite]), np.signbit(portable[finite]))  # -0 kept
    assert ulp_error(fast[finite], portable[finite].astype(np.float64)).max() <= MAX_ULP[op]


@pytest.mark.parametrize("op,params", CASES)
def test_tails_strides_and_in_place_agree(op, params, isa):
    rng = np.random.default_rng(4)
    for n in list(range(1, 20)) + [67]:
        base = (rng.standard_normal(2 * n) * 6).astype(np.float32)
        want = run(op, base[::2].copy(), *params)
        np.testing.assert_array_equal(run(op, fastdl.tensor(base)[::2], *params), want)
        t = fastdl.tensor(base[::2].copy())
        _C.cpu.unary(op, t, t, *params)
        np.testing.assert_array_equal(t.numpy(), want)


def test_functional_forms_and_gradients():
    x64 = np.linspace(-6, 6, 41)
    x = fastdl.tensor(x64.astype(np.float32), requires_grad=True)
    y = F.elu(x, alpha=0.7) + F.softplus(x, beta=2.0, threshold=3.0)
    want = np.where(x64 > 0, x64, 0.7 * np.expm1(x64))
    want = want + np.where(2 * x64 > 3, x64, np.logaddexp(0, 2 * x64) / 2)
    np.testing.assert_allclose(y.detach().numpy(), want, rtol=2e-6, atol=1e-6)
    y.sum().backward()
    g = np.where(x64 > 0, 1.0, 0.7 * np.exp(x64)) + np.where(2 * x64 > 3, 1.0, 1 / (1 + np.exp(-2 * x64)))
    np.testing.assert_allclose(x.grad.numpy(), g, rtol=2e-6, atol=1e-6)
