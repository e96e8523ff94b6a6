"""The elementwise kernels' AVX2 copies of the contiguous loops (csrc/cpu/elementwise.cpp,
unary_contiguous_avx2 / binary_contiguous_avx2) against the portable loops, bit for bit,
for every op of the tables and their parameters; pow_scalar's constant exponents and small integer powers against
float64 NumPy; and long contiguous runs cut across threads (csrc/cpu/strided_loop.h)
against one thread."""
import numpy as np
import pytest

import fastdl
from fastdl import _C
from isa_switch import saved_isa, vector_and_portable
from kernel_views import kview
from test_gemm_kernel import threads, use_avx2  # noqa: F401 (fixtures)

# op -> parameter pairs (p0, p1) to run it with
PARAMS = {
    "neg": [(0, 0)], "abs": [(0, 0)], "sign": [(0, 0)], "relu": [(0, 0)],
    "clamp": [(-1.0, 1.0), (float("nan"), 0.5), (-0.25, float("nan")), (2.0, -2.0)],
    "exp": [(0, 0)], "log": [(0, 0)], "log1p": [(0, 0)], "expm1": [(0, 0)], "sqrt": [(0, 0)],
    "rsqrt": [(0, 0)], "tanh": [(0, 0)], "sigmoid": [(0, 0)], "sin": [(0, 0)], "cos": [(0, 0)],
    "floor": [(0, 0)], "ceil": [(0, 0)], "round": [(0, 0)], "reciprocal": [(0, 0)],
    "leaky_relu": [(0.01, 0), (0.2, 0), (-1.5, 0)], "leaky_relu_grad": [(0.01, 0), (0.3, 0)],
    "pow_scalar": [(e, 0) for e in (2.0, 3.0, -1.0, -2.0, 0.5, -0.5, 0.0, 1.0, 4.0, 5.0, -7.0, 16.0, -16.0, 1.5, 2.5,
                                     17.0, 1e10)],
    "gelu": [(0, 0), (1, 0)], "gelu_grad": [(0, 0), (1, 0)], "silu": [(0, 0)], "elu": [(1.0, 0), (0.3, 0)],
    "softplus": [(1.0, 20.0), (2.0, 5.0)], "erf": [(0, 0)], "erfc": [(0, 0)], "lgamma": [(0, 0)],
    "sinc": [(0, 0)], "tan": [(0, 0)], "atan": [(0, 0)], "exp2": [(0, 0)],
    "smooth_l1": [(1.0, 0), (0.3, 0)], "smooth_l1_grad": [(1.0, 0), (0.3, 0)],
    "hardsigmoid": [(0, 0)], "hardsigmoid_grad": [(0, 0)], "hardswish": [(0, 0)], "hardswish_grad": [(0, 0)],
    "nan_to_num": [(0.0, 3.0e38), (-1.5, 7.0)],
}
SIZES = [1, 7, 8, 9, 31, 33, 1000]
# float32 ops with their own AVX2 array kernel at parameters (0, 0), and at any parameters
# (vec_math.h, a few ulp from libm; test_vec_math.py, test_vec_gelu.py, test_vec_sin_cos.py,
# test_vec_elu_softplus.py)
VEC_MATH_F32 = {"exp", "log", "expm1", "log1p", "sin", "cos", "tanh", "sigmoid", "silu", "gelu", "gelu_grad",
                "exp2", "erf", "erfc", "atan", "asin", "tan"}
VEC_MATH_F32_PARAMS = {"elu", "softplus"}


def has_vec_kernel(op, p0, p1, dtype):
    return dtype == np.float32 and (op in VEC_MATH_F32_PARAMS or (op in VEC_MATH_F32 and p0 == 0 and p1 == 0))


def operand(n, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(n) * 3).astype(dtype)
    tiny = np.finfo(dtype).smallest_subnormal
    special = np.array([np.inf, -np.inf, np.nan, -0.0, 0.0, tiny, -tiny, 1e30, -1e30, 0.5, -2.0, 1.0], dtype)
    x[: min(n, special.size)] = special[: min(n, special.size)]
    return x


def run(op, x, p0, p1):
    out = np.empty_like(x)
    _C.cpu.unary(op, kview(x), kview(out), p0, p1)
    return out


def same_bits(got, want):
    """Equal bit patterns; any NaN equals any NaN (the sign of a NaN is not part of IEEE results)."""
    nan = np.isnan(got)
    np.testing.assert_array_equal(nan, np.isnan(want))
    u = f"u{got.itemsize}"
    np.testing.assert_array_equal(got[~nan].view(u), want[~nan].view(u))


@pytest.mark.parametrize("op,p0,p1,dtype", [
    (op, p0, p1, dtype) for op, ps in PARAMS.items() for p0, p1 in ps for dtype in (np.float32, np.float64)
    if not has_vec_kernel(op, p0, p1, dtype)])
def test_avx2_loop_matches_portable_loop(op, p0, p1, dtype):
    if not _C.cpu_has_avx2_fma():
        pytest.skip("CPU has no AVX2+FMA")
    for n in SIZES:
        x = operand(n, dtype, seed=n)
        same_bits(*vector_and_portable(run, op, x, p0, p1))


BINARY = ["maximum", "minimum", "fmax", "fmin", "atan2", "copysign", "nextafter", "pow", "remainder",
          "floor_divide", "relu_backward", "tanh_backward", "sigmoid_backward", "eq", "ne", "lt", "le", "gt", "ge",
          "hypot", "squared_difference"]


def run_binary(op, x, y):
    """op(x, y) by the kernel; either operand may be one value broadcast (stride 0) to the other's shape."""
    bool_out = op in ("eq", "ne", "lt", "le", "gt", "ge")
    shape = np.broadcast_shapes(x.shape, y.shape)
    out = np.empty(shape, bool if bool_out else x.dtype)
    _C.cpu.binary(op, kview(x, np.broadcast_to(x, shape)), kview(y, np.broadcast_to(y, shape)), kview(out))
    return out


# float32 atan2 has its own AVX2 kernel, a few ulp from libm (test_vec_erf_exp2_atan.py)
@pytest.mark.parametrize("op,dtype", [(op, dt) for op in BINARY for dt in (np.float32, np.float64)
                                      if not (op == "atan2" and dt == np.float32)])
def test_binary_avx2_loop_matches_portable_loop(op, dtype):
    if not _C.cpu_has_avx2_fma():
        pytest.skip("CPU has no AVX2+FMA")
    with saved_isa():
        for n in SIZES:
            x, y = operand(n, dtype, seed=n), operand(n, dtype, seed=n + 1)[::-1].copy()
            # tensor operands, then y, then x one broadcast value (a gradient expanded from a sum)
            for xx, yy in ((x, y), (x, y[:1].copy()), (x[:1].copy(), y)):
                _C.set_use_avx2(True)
                fast = run_binary(op, xx, yy)
                _C.set_use_avx2(False)
                portable = run_binary(op, xx, yy)
                # the broadcast loops give what the value written out in full gives
                full = run_binary(op, np.broadcast_to(xx, x.shape).copy(), np.broadcast_to(yy, x.shape).copy())
                for got in (fast, portable):
                    if got.dtype == bool:
                        np.testing.assert_array_equal(got, full)
                    else:
                        same_bits(got, full)


def test_avx2_loop_in_place():
    if not _C.cpu_has_avx2_fma():
        pytest.skip("CPU has no AVX2+FMA")
    x = operand(1000, np.float32)
    want = run("leaky_relu", x, 0.1, 0.0)
    _C.cpu.unary("leaky_relu", kview(x), kview(x), 0.1, 0.0)
    same_bits(x, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_abs_clears_the_sign_of_zero_and_nan(use_avx2, dtype):  # noqa: F811
    # torch / NumPy: abs(-0.0) is +0.0 (a select x < 0 ? -x : x kept -0.0), contiguous and strided
    x = np.concatenate([operand(999, dtype), np.array([-0.0, -np.nan], dtype)])
    want = np.abs(x)
    same_bits(run("abs", x, 0.0, 0.0), want)
    assert not np.signbit(run("abs", x, 0.0, 0.0)).any()
    m = np.stack([x, x[::-1]], 1)  # a column of a (n, 2) array: the strided loop
    got = fastdl.tensor(m)[:, 0].abs().numpy()
    assert not np.signbit(got).any()
    same_bits(got, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_leaky_relu_and_clamp_values(use_avx2, dtype):  # noqa: F811
    x = operand(1000, dtype)
    with np.errstate(invalid="ignore"):
        same_bits(run("leaky_relu", x, 0.2, 0.0), np.where(x > 0, x, x * dtype(0.2)))
        want = np.where(np.isnan(x), x, np.minimum(np.maximum(x, dtype(-1.0)), dtype(1.0)))
    same_bits(run("clamp", x, -1.0, 1.0), want)
    same_bits(run("floor", x, 0, 0), np.floor(x))
    same_bits(run("round", x, 0, 0), np.round(x))


def test_float32_integer_powers_are_double_pow_rounded(use_avx2):  # noqa: F811
    """Square-and-multiply in double, rounded once to float32: pow's float32 value."""
    rng = np.random.default_rng(1)
    with np.errstate(over="ignore"):
        a = np.concatenate([rng.standard_normal(20000) * 10.0 ** rng.integers(-12, 12, 20000),
                            [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 3e38, -3e38, 1.0, -1.0]])
        a = a.astype(np.float32)
    x = fastdl.tensor(a)
    for e in range(-16, 17):
        got = (x ** e).numpy()
        with np.errstate(all="ignore"):
            want = np.power(a.astype(np.float64), float(e)).astype(np.float32)
        same_bits(got, want)


def test_half_powers_are_torch_sqrt_and_rsqrt(use_avx2):  # noqa: F811
    """x ** 0.5 is sqrt and x ** -0.5 is 1 / sqrt, as torch computes them: -0 -> -0 / -inf and
    -inf -> nan (C's pow gives +0 / +inf and +inf / 0)."""
    for dt in (fastdl.float32, fastdl.float64):
        x = fastdl.tensor([-0.0, float("-inf"), 4.0, float("inf"), 0.0, -1.0, 2.0], dtype=dt)
        r = (x ** 0.5).numpy()
        assert np.signbit(r[0]) and r[0] == 0 and np.isnan(r[1]) and np.isnan(r[5])
        np.testing.assert_array_equal(r[[2, 3, 4]], [2.0, np.inf, 0.0])
        assert r[6] == np.sqrt(np.float64(2.0)).astype(r.dtype)
        q = (x ** -0.5).numpy()
        assert q[0] == -np.inf and np.isnan(q[1]) and np.isnan(q[5])
        np.testing.assert_array_equal(q[[2, 3, 4]], [0.5, 0.0, np.inf])


def test_half_powers_match_torch():
    torch = pytest.importorskip("torch")
    a = np.array([-0.0, -np.inf, 4.0, np.inf, 0.0, -1.0, 2.0, 1e-30, 3e38], np.float32)
    for e in (0.5, -0.5, 3.0, -2.0):
        got = (fastdl.tensor(a) ** e).numpy()
        want = (torch.tensor(a) ** e).numpy()
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        np.testing.assert_allclose(got, want, rtol=2e-7)
        ok = ~np.isnan(want)
        np.testing.assert_array_equal(np.signbit(got[ok]), np.signbit(want[ok]))


@pytest.mark.parametrize("e", [3.0, -2.0, 0.5, -0.5, 2.5])
def test_pow_scalar_gradcheck(e):
    x = (fastdl.rand(6, dtype=fastdl.float64) + 0.5).requires_grad_(True)
    assert fastdl.autograd.gradcheck(lambda t: t ** e, (x,))


@pytest.mark.parametrize("n", [2 * 32768, 2 * 32768 + 37, 300001])
def test_long_contiguous_runs_cut_across_threads(threads, n):  # noqa: F811
    """One contiguous run of at least twice the grain is cut into 64-element pieces that the
    threads share: every element as on one thread (unary, binary, where, copy, fill)."""
    rng = np.random.default_rng(n)
    a = rng.standard_normal(n).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32)

    def compute():
        x, y = fastdl.tensor(a), fastdl.tensor(b)
        z = fastdl.zeros(n)
        z.fill_(2.5)
        w = fastdl.empty(n)
        w.copy_(x)
        return [fastdl.nn.functional.leaky_relu(x, 0.1), x.exp(), fastdl.maximum(x, y), x.atan2(y),
                fastdl.where(x > y, x, y), z, w, x ** 3]

    threads(1)
    one = [t.numpy() for t in compute()]
    threads(2)
    two = [t.numpy() for t in compute()]
    for p, q in zip(one, two):
        same_bits(q, p)
    same_bits(one[0], np.where(a > 0, a, a * np.float32(0.1)))
    same_bits(one[2], np.maximum(a, b))
    np.testing.assert_array_equal(one[5], np.full(n, 2.5, np.float32))
    same_bits(one[6], a)


@pytest.mark.skipif(not _C.cpu_has_avx2_fma(), reason="CPU has no AVX2+FMA")
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])  # the dtypes kview speaks
@pytest.mark.parametrize("broadcast", ["none", "x", "y", "both"])
def test_where_avx2_select_matches_portable(dtype, broadcast):
    """where's AVX2 blend (elementwise.cpp, where_contiguous_avx2) against the portable
    select, bit for bit (NaN payloads and -0 included), over the tail lengths, with
    either branch a broadcast scalar."""
    rng = np.random.default_rng(7)
    with saved_isa():
        for n in SIZES + [4099]:
            c = rng.random(n) < 0.5
            x = operand(n, dtype, seed=n) if np.dtype(dtype).kind == "f" else rng.integers(0, 100, n).astype(dtype)
            y = (-x[::-1]).copy() if np.dtype(dtype).kind == "f" else x[::-1].copy()
            xs = x[:1].copy() if broadcast in ("x", "both") else x
            ys = y[:1].copy() if broadcast in ("y", "both") else y
            out = {}
            for vector in (True, False):
                _C.set_use_avx2(vector)
                o = np.empty(n, dtype)
                _C.cpu.where(kview(c), kview(xs, np.broadcast_to(xs, (n,))), kview(ys, np.broadcast_to(ys, (n,))),
                             kview(o))
                out[vector] = o
            assert out[True].tobytes() == out[False].tobytes()
            np.testing.assert_array_equal(out[False].view(f"u{out[False].itemsize}"),
                                          np.where(c, np.broadcast_to(xs, (n,)), np.broadcast_to(ys, (n,))).view(
                                              f"u{out[False].itemsize}"))
