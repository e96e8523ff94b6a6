"""float32 exp / log / expm1 / log1p / tanh / sigmoid / silu: the polynomial kernels (csrc/cpu/vec_math_simd.h) at
16 (AVX-512) and 8 (AVX2) lanes and the portable libm path, both held to a max error in ulps against float64 NumPy over
the whole float32 range, the IEEE specials, denormal results, and any strides."""
import numpy as np
import pytest

import fastdl
from fastdl import _C
from isa_switch import select_isa


def sigmoid64(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


# Max error in float32 ulps (of the correctly rounded result): (AVX2 kernels, libm path).
# The AVX2 kernels measure exp 1.00, log 0.79, expm1 1.41, log1p 1.44, tanh 1.37, sigmoid
# 2.29, silu 2.3; glibc's tanhf is documented at 2 ulp.
BOUNDS = {"exp": (1.05, 1.0), "log": (1.0, 1.0), "expm1": (1.5, 1.0), "log1p": (1.5, 1.0), "tanh": (1.5, 2.1),
          "sigmoid": (2.5, 2.5), "silu": (3.0, 3.0)}
REF = {"exp": np.exp, "log": np.log, "expm1": np.expm1, "log1p": np.log1p, "tanh": np.tanh, "sigmoid": sigmoid64,
       "silu": lambda x: x * sigmoid64(x)}
OPS = list(BOUNDS)
MAX_ULP = {}  # op -> bound of the path the `isa` fixture selected


@pytest.fixture(params=["avx512", "avx2", "portable"])
def isa(request, restore_isa):
    vector = select_isa(request.param)
    MAX_ULP.update({op: b[0 if vector else 1] for op, b in BOUNDS.items()})
    return vector


def run(op, x):
    """The _C.cpu.unary kernel on a NumPy array (a fastdl tensor view also works)."""
    t = fastdl.tensor(x) if isinstance(x, np.ndarray) else x
    out = fastdl.empty(tuple(t.shape), dtype=t.dtype)
    _C.cpu.unary(op, t, out, 0.0, 0.0)
    return out.numpy()


def ulp_error(got, x, op):
    """|got - f(x)| in ulps of float32(f(x)) (denormal spacing at least 2^-149); 0 where
    got is the correctly rounded value (inf included) or both are NaN."""
    with np.errstate(all="ignore"):
        ref = REF[op](x.astype(np.float64))
        r32 = ref.astype(np.float32)
        ulp = np.maximum(np.spacing(np.abs(r32)).astype(np.float64), 2.0 ** -149)
        if op == "silu":  # x * sigmoid(x): below -87 sigmoid is denormal, its ulp scaled by |x|
            ulp = np.where(x < -87, 2.0 ** -149 * np.abs(x), ulp)
        exact = (got == r32) | (np.isnan(got) & np.isnan(ref))
        return np.where(exact, 0.0, np.abs(got.astype(np.float64) - ref) / ulp)


def whole_range(op, n=300_000):
    """Random bit patterns (every exponent, denormals included) plus dense grids over the
    range where the result is neither 0, 1 nor inf (and its denormal tail)."""
    rng = np.random.default_rng(1)
    x = rng.integers(0, 2 ** 32, n, dtype=np.uint64).astype(np.uint32).view(np.float32)
    grids = [np.linspace(-110, 95, n), np.linspace(-2, 2, n), np.linspace(-0.7, 0.7, n // 4)]
    x = np.concatenate([x[np.isfinite(x)]] + [g.astype(np.float32) for g in grids])
    if op == "log1p":  # its domain starts at -1; tiny |x| (where 1 + x rounds to 1) densely
        return np.concatenate([x[x >= -1], np.linspace(-1, -0.999, n // 4, dtype=np.float32),
                               np.geomspace(1e-12, 1e-6, n // 8).astype(np.float32) * [[1], [-1]]], axis=None)
    return np.abs(x) if op == "log" else x


@pytest.mark.parametrize("op", OPS)
def test_max_error_over_whole_range(op, isa):
    x = whole_range(op)
    err = ulp_error(run(op, x), x, op)
    worst = int(np.argmax(err))
    assert err[worst] <= MAX_ULP[op], f"{op}({x[worst]!r}): {err[worst]:.2f} ulp"


SPECIALS = np.array([np.inf, -np.inf, np.nan, -np.nan, 0.0, -0.0, 1e-45, -1e-45, 1e-38, -1e-38, -1.0, -0.9999999,
                     88.72, 88.73, 89.0, -87.3, -88.0, -100.0, -103.0, -103.97, -104.0, -106.0,
                     -200.0, 200.0, 1e30, -1e30, 0.625, -0.625, 9.0, -9.0, 20.0, -20.0], np.float32)


@pytest.mark.parametrize("op", OPS)
def test_specials_and_denormal_results(op, isa):
    x = np.abs(SPECIALS) if op == "log" else SPECIALS
    x = np.concatenate([x, -np.abs(SPECIALS)]) if op == "log" else x  # log of negatives: NaN
    got = run(op, x)
    with np.errstate(all="ignore"):
        ref = REF[op](x.astype(np.float64)).astype(np.float32)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(ref))
    np.testing.assert_array_equal(np.signbit(got[ref == 0]), np.signbit(ref[ref == 0]))  # -0 stays -0
    assert ulp_error(got, x, op).max() <= MAX_ULP[op]


def test_denormal_results_are_not_flushed(isa):
    # exp and sigmoid reach every denormal; an exp that flushes them gives 0 here
    x = np.linspace(-103.5, -87.5, 4001, dtype=np.float32)
    for op in ("exp", "sigmoid"):
        got = run(op, x)
        assert np.all(got > 0) and np.any(got < 1.1754944e-38)
        assert ulp_error(got, x, op).max() <= MAX_ULP[op]
    # log of denormal inputs
    d = np.array([1e-45, 3e-42, 1e-40, 1.1e-38], np.float32)
    assert ulp_error(run("log", d), d, "log").max() <= MAX_ULP["log"]


@pytest.mark.parametrize("op", OPS)
def test_tails_strides_and_in_place_agree(op, isa):
    # every length 1..19 exercises the masked tail; strided views take the gather path
    rng = np.random.default_rng(2)
    for n in list(range(1, 20)) + [67]:
        base = (rng.standard_normal(2 * n) * 4).astype(np.float32)
        if op == "log":
            base = np.abs(base)
        want = run(op, base[::2].copy())
        strided = run(op, fastdl.tensor(base)[::2])
        np.testing.assert_array_equal(strided, want)
        t = fastdl.tensor(base[::2].copy())
        _C.cpu.unary(op, t, t, 0.0, 0.0)  # in place
        np.testing.assert_array_equal(t.numpy(), want)
        assert ulp_error(want, base[::2], op).max() <= MAX_ULP[op]


def test_float64_keeps_libm_accuracy():
    x = np.linspace(-30, 30, 1001)
    np.testing.assert_allclose(fastdl.exp(fastdl.tensor(x)).numpy(), np.exp(x), rtol=1e-15, atol=0)
    np.testing.assert_allclose(fastdl.tanh(fastdl.tensor(x)).numpy(), np.tanh(x), rtol=1e-15, atol=0)
