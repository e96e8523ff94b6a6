"""Kernel tests for _C.cpu.reduce, softmax / softmax_backward and the fused
cross-entropy kernels, against float64 NumPy references and finite differences."""
import numpy as np
import pytest
from isa_switch import avx2_switched
from kernel_views import kempty, kview

from fastdl import _C

K = _C.cpu
RNG = np.random.default_rng(0)


@pytest.fixture(autouse=True, params=[True, False], ids=["avx2", "portable"])
def isa(request):
    """Runs every test on the AVX2 kernels (where the CPU has them) and the portable ones."""
    with avx2_switched(request.param):
        yield

REDUCE_OPS = ["sum", "prod", "max", "min", "argmax", "argmin", "any", "all"]
ARG_OPS = {"argmax", "argmin"}


# ---------------------------------------------------------------- reduce helpers

def out_dtype(op, x_dtype):
    if op in ARG_OPS:
        return np.int64
    if op in ("any", "all"):
        return np.bool_
    return x_dtype


def kreduce(op, base, view, dims):
    shape = tuple(1 if d in dims else s for d, s in enumerate(view.shape))
    out = kempty(shape, out_dtype(op, base.dtype))
    K.reduce(op, kview(base, view), out, list(dims))
    return out.numpy()


def reference(op, x, dims):
    axis = tuple(dims)
    if op in ARG_OPS:
        f = np.argmax if op == "argmax" else np.argmin
        return np.expand_dims(f(x, axis=dims[0]), dims[0])
    if op in ("sum", "prod") and x.dtype == np.float32:
        x = x.astype(np.float64)  # the kernel accumulates float32 in double
    f = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min, "any": np.any, "all": np.all}[op]
    return f(x, axis=axis, keepdims=True)


def check_reduce(op, base, view, dims):
    got = kreduce(op, base, view, dims)
    want = reference(op, np.array(view), dims)
    assert got.shape == want.shape
    if op in ("sum", "prod") and base.dtype == np.float32:
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-6)
    elif op in ("sum", "prod") and base.dtype == np.float64:  # summation order differs
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    else:
        np.testing.assert_array_equal(got, want.astype(got.dtype))


def values(shape, dtype, op):
    if dtype == np.bool_:
        return RNG.random(shape) < 0.5
    if dtype == np.int64:
        return RNG.integers(-3, 4, size=shape).astype(np.int64)
    if op == "prod":  # keep products of ~100 factors in range
        return RNG.uniform(0.7, 1.4, size=shape).astype(dtype)
    x = RNG.standard_normal(shape).astype(dtype)
    if op in ("any", "all"):
        x[RNG.random(shape) < 0.3] = 0
    return x


# Each layout maps an array maker to (base, view) with view.shape == (4, 5, 6).
LAYOUTS = {
    "contiguous": lambda mk: (lambda b: (b, b))(mk((4, 5, 6))),
    "transposed": lambda mk: (lambda b: (b, b.transpose(2, 0, 1)))(mk((5, 6, 4))),
    "step_slices": lambda mk: (lambda b: (b, b[1::2, ::3, 2::2]))(mk((9, 15, 14))),
    "reversed": lambda mk: (lambda b: (b, b[::-1, :, ::-1]))(mk((4, 5, 6))),
    "broadcast": lambda mk: (lambda b: (b, np.broadcast_to(b[:, None, :], (4, 5, 6))))(mk((4, 6))),
}
DIM_SETS = [[0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2], []]


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("op", REDUCE_OPS)
def test_reduce_matches_numpy(op, layout):
    dtypes = [np.float32, np.float64, np.int64] + ([np.bool_] if op in ("any", "all") else [])
    for dt in dtypes:
        base, view = LAYOUTS[layout](lambda s: values(s, dt, op))
        for dims in DIM_SETS:
            if op in ARG_OPS and len(dims) != 1:
                continue
            check_reduce(op, base, view, dims)


@pytest.mark.parametrize("op", REDUCE_OPS)
def test_reduce_large_paths(op):
    # single output over a long range (chunked partials)
    v = values((300_001,), np.float32, op)
    if op == "prod":
        v = RNG.uniform(0.9999, 1.0001, size=v.shape).astype(np.float32)
    check_reduce(op, v, v, [0])
    # leading-dim reduction of a contiguous matrix (streamed rows, several column blocks)
    m = values((37, 700), np.float64, op)
    check_reduce(op, m, m, [0])
    # the same over a strided view, and the trailing dim
    check_reduce(op, m, m[::2, 1::2], [0])
    check_reduce(op, m, m, [1])
    # middle dim of a 3-D tensor
    t = values((3, 40, 300), np.float32, op)
    check_reduce(op, t, t, [1])
    if op not in ARG_OPS:
        check_reduce(op, t, t, [0, 2])


def test_sum_float32_accumulates_in_double():
    v = np.full(2_000_000, 0.1, dtype=np.float32)
    got = kreduce("sum", v, v, [0])[0]
    assert abs(float(got) - 2_000_000 * float(np.float32(0.1))) < 1.0  # a float32 chain drifts by ~1e3


def test_arg_ops_first_occurrence_across_chunks():
    v = np.zeros(400_000, dtype=np.float64)
    v[[123_456, 250_000, 399_999]] = 5.0
    v[[7, 300_000]] = -5.0
    assert kreduce("argmax", v, v, [0])[0] == 123_456
    assert kreduce("argmin", v, v, [0])[0] == 7
    ties = np.full((3, 50), 2, dtype=np.int64)
    assert (kreduce("argmax", ties, ties, [1]) == 0).all()
    assert (kreduce("argmin", ties, ties, [0]) == 0).all()


def test_extreme_values():
    lo = np.full((5,), np.iinfo(np.int64).min, dtype=np.int64)
    hi = np.full((5,), np.iinfo(np.int64).max, dtype=np.int64)
    assert kreduce("max", lo, lo, [0])[0] == lo[0]
    assert kreduce("min", hi, hi, [0])[0] == hi[0]
    assert kreduce("argmax", lo, lo, [0])[0] == 0
    ninf = np.full((20,), -np.inf, dtype=np.float32)
    assert kreduce("max", ninf, ninf, [0])[0] == -np.inf
    assert kreduce("argmax", ninf, ninf, [0])[0] == 0
    wrap = np.array([2**62, 2**62, 2**62], dtype=np.int64)
    assert kreduce("sum", wrap, wrap, [0])[0] == np.sum(wrap)  # wraps like int64 arithmetic


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_nan_handling(dt):
    x = RNG.standard_normal((6, 40)).astype(dt)
    x[1, 3] = x[1, 30] = np.nan
    x[4, 25] = np.nan
    x[:, 10] = np.where(np.arange(6) == 2, np.nan, x[:, 10])
    for op in ["max", "min", "argmax", "argmin", "sum", "prod"]:
        for dims in ([0], [1]) if op in ARG_OPS else ([0], [1], [0, 1]):
            check_reduce(op, x, x, dims)
    assert kreduce("argmax", x, x, [1])[1, 0] == 3  # first NaN wins
    assert kreduce("argmin", x, x, [1])[4, 0] == 25
    assert kreduce("any", x, x, [1]).all()  # NaN is truthy


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("n", [16, 33, 64, 100])
def test_long_row_lanes_combine(dt, n):
    """Rows of >= 16 run in lanes combined by halving (max / min / any / all): the extreme,
    a NaN or the one non-zero element is found in whichever lane it lands in."""
    rows = RNG.standard_normal((n, n)).astype(dt)
    for op, ref in (("max", np.max), ("min", np.min)):
        np.testing.assert_array_equal(kreduce(op, rows, rows, [1])[:, 0], ref(rows, 1))
    nan_rows = rows.copy()
    nan_rows[np.arange(n), np.arange(n)] = np.nan  # row r: NaN at position r
    for op in ("max", "min"):
        assert np.isnan(kreduce(op, nan_rows, nan_rows, [1])).all()
    one_hot = np.eye(n, dtype=dt)
    assert kreduce("any", one_hot, one_hot, [1]).all()
    assert not kreduce("all", one_hot, one_hot, [1]).any()
    assert not kreduce("any", one_hot * 0, one_hot * 0, [1]).any()


@pytest.mark.parametrize("op", ["sum", "prod", "max", "min", "any", "all"])
@pytest.mark.parametrize("dt", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("n", [16, 33, 128, 129, 300])
def test_rows_in_pairs_give_each_rows_own_bits(op, dt, n):
    """Outputs that are one contiguous row each are folded two at a time (reduce_row_pair):
    every row's result is bit for bit the row folded alone, the odd last row included,
    a NaN row (max / min) too."""
    x = (RNG.standard_normal((7, n)) * (1.0 if op != "prod" else 0.05) + (1 if op == "prod" else 0)).astype(dt)
    if dt != np.int64:
        x[2, n // 3] = np.nan
    together = kreduce(op, x, x, [1])[:, 0]
    for r in range(7):
        alone = kreduce(op, x[r:r + 1], x[r:r + 1], [1])[0, 0]
        assert together[r].tobytes() == alone.tobytes(), (r, together[r], alone)


def test_zero_dim_and_size_one():
    s = np.array(3.5, dtype=np.float32)
    for op in ["sum", "prod", "max", "min", "any", "all"]:
        got = kreduce(op, s, s, [])
        assert got.shape == ()
        np.testing.assert_array_equal(got, reference(op, s, []))
    x = RNG.standard_normal((1, 5, 1)).astype(np.float64)
    for op in REDUCE_OPS:
        for dims in ([0], [1], [2]) if op in ARG_OPS else ([0, 2], [1], [0, 1, 2]):
            check_reduce(op, x, x, dims)


def test_empty_reductions():
    e = np.zeros((0, 3), dtype=np.float32)
    np.testing.assert_array_equal(kreduce("sum", e, e, [0]), np.zeros((1, 3)))
    np.testing.assert_array_equal(kreduce("prod", e, e, [0]), np.ones((1, 3)))
    np.testing.assert_array_equal(kreduce("any", e, e, [0]), np.zeros((1, 3), bool))
    np.testing.assert_array_equal(kreduce("all", e, e, [0, 1]), np.ones((1, 1), bool))
    assert kreduce("max", e, e, [1]).shape == (0, 1)  # nothing to reduce into: fine
    for op in ["max", "min", "argmax", "argmin"]:
        with pytest.raises(ValueError, match=rf"{op}: cannot reduce over an empty dimension of float32\[0, 3\]"):
            kreduce(op, e, e, [0])
    ei = np.zeros((2, 0), dtype=np.int64)
    np.testing.assert_array_equal(kreduce("sum", ei, ei, [1]), np.zeros((2, 1), np.int64))


def test_reduce_errors():
    x = kview(np.zeros((2, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="reduce: unknown op 'mean'"):
        K.reduce("mean", x, kempty((1, 3)), [0])
    for dims in ([1, 0], [0, 0], [2], [-1]):
        with pytest.raises(ValueError, match=r"sum: invalid dims"):
            K.reduce("sum", x, kempty((1, 1)), dims)
    with pytest.raises(ValueError, match="sum: output float32\\[2, 3\\]"):
        K.reduce("sum", x, kempty((2, 3)), [0])
    with pytest.raises(TypeError, match="sum"):
        K.reduce("sum", x, kempty((1, 3), np.float64), [0])
    with pytest.raises(TypeError, match="sum: unsupported dtype bool"):
        K.reduce("sum", kview(np.zeros(3, bool)), kempty((1,), np.bool_), [0])
    with pytest.raises(ValueError, match="argmax: expected exactly one reduced dim"):
        K.reduce("argmax", x, kempty((1, 1), np.int64), [0, 1])
    with pytest.raises(TypeError, match="argmax"):
        K.reduce("argmax", x, kempty((1, 3)), [0])
    with pytest.raises(TypeError, match="any"):
        K.reduce("any", x, kempty((1, 3)), [0])
    base = np.zeros((3, 2), dtype=np.float32)
    with pytest.raises(ValueError, match="max: output must be contiguous"):
        K.reduce("max", kview(np.zeros((2, 3), np.float32)), kview(base, base.T), [])


# ---------------------------------------------------------------- softmax

def ref_softmax(x, dim, log):
    x = x.astype(np.float64)
    m = x.max(axis=dim, keepdims=True)
    lse = m + np.log(np.exp(x - m).sum(axis=dim, keepdims=True))
    return x - lse if log else np.exp(x - lse)


def ksoftmax(base, view, dim, log):
    out = kempty(view.shape, base.dtype)
    K.softmax(kview(base, view), out, dim, log)
    return out.numpy()


SM_LAYOUTS = {
    "contiguous": lambda dt: (lambda b: (b, b))(RNG.standard_normal((3, 4, 5)).astype(dt)),
    "transposed": lambda dt: (lambda b: (b, b.transpose(1, 2, 0)))(RNG.standard_normal((4, 5, 3)).astype(dt)),
    "step_slices": lambda dt: (lambda b: (b, b[::2, 1::2, ::3]))(RNG.standard_normal((6, 8, 15)).astype(dt)),
}


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("layout", sorted(SM_LAYOUTS))
def test_softmax_every_dim(layout, dt, log):
    base, view = SM_LAYOUTS[layout](dt)
    tol = dict(rtol=1e-5, atol=1e-6) if dt == np.float32 else dict(rtol=1e-12, atol=1e-14)
    for dim in range(3):
        np.testing.assert_allclose(ksoftmax(base, view, dim, log), ref_softmax(view, dim, log), **tol)


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_softmax_large_logits_and_long_rows(dt, log):
    x = (RNG.choice([-1000.0, 1000.0], size=(4, 6, 300)) + RNG.standard_normal((4, 6, 300))).astype(dt)
    for dim in range(3):  # inner sizes 1800, 300 (two column blocks), 1
        got = ksoftmax(x, x, dim, log)
        assert np.isfinite(got).all()
        # log-probs reach -2000: absolute error scales with that magnitude
        np.testing.assert_allclose(got, ref_softmax(x, dim, log), rtol=2e-6 if dt == np.float32 else 1e-12,
                                   atol=1e-6 if dt == np.float32 else 1e-12)
    long = RNG.standard_normal((3, 1000)).astype(dt) * 20
    np.testing.assert_allclose(ksoftmax(long, long, 1, log), ref_softmax(long, 1, log), rtol=1e-5, atol=1e-6)


def test_softmax_exp_accuracy_over_range():
    # softmax([x, 0])[0] = e^x / (1 + e^x): relative accuracy of exp down to e^-86
    x = np.linspace(-86, 0, 20_000).astype(np.float32)
    pair = np.stack([x, np.zeros_like(x)], axis=1)
    np.testing.assert_allclose(ksoftmax(pair, pair, 1, False)[:, 0], ref_softmax(pair, 1, False)[:, 0], rtol=3e-6)
    # and along a 16-element row (the vectorised path)
    row = np.linspace(-86, 0, 16 * 500).astype(np.float32).reshape(500, 16)
    np.testing.assert_allclose(ksoftmax(row, row, 1, False), ref_softmax(row, 1, False), rtol=3e-6, atol=1e-37)


def test_softmax_special_values():
    x = np.array([[0.0, -np.inf, 1.0, -np.inf], [np.nan, 0.0, 1.0, 2.0], [-np.inf] * 4], dtype=np.float32)
    p = ksoftmax(x, x, 1, False)
    np.testing.assert_allclose(p[0], [1 / (1 + np.e), 0, np.e / (1 + np.e), 0], rtol=1e-6)
    assert np.isnan(p[1]).all() and np.isnan(p[2]).all()  # as PyTorch
    lp = ksoftmax(x, x, 1, True)
    assert lp[0, 1] == -np.inf and np.isfinite(lp[0, [0, 2]]).all()
    s = np.array(2.0, dtype=np.float64)
    assert ksoftmax(s, s, 0, False) == 1.0 and ksoftmax(s, s, 0, True) == 0.0
    for shape, dim in [((0, 3), 1), ((2, 0), 1), ((2, 0), 0)]:
        e = np.zeros(shape, dtype=np.float32)
        assert ksoftmax(e, e, dim, False).shape == shape


def ksoftmax_backward(y, gy, dim, log, y_view=None, gy_view=None):
    yv = y if y_view is None else y_view
    gx = kempty(yv.shape, y.dtype)
    K.softmax_backward(kview(y, yv), kview(gy, gy if gy_view is None else gy_view), gx, dim, log)
    return gx.numpy()


@pytest.mark.parametrize("log", [False, True])
def test_softmax_backward_finite_differences(log):
    x = RNG.standard_normal((3, 4, 5))
    w = RNG.standard_normal((3, 4, 5))
    for dim in range(3):
        y = ksoftmax(x, x, dim, log)
        got = ksoftmax_backward(y, w, dim, log)
        num = np.zeros_like(x)
        h = 1e-6
        for idx in np.ndindex(x.shape):
            xp, xm = x.copy(), x.copy()
            xp[idx] += h
            xm[idx] -= h
            num[idx] = (np.sum(w * ksoftmax(xp, xp, dim, log)) - np.sum(w * ksoftmax(xm, xm, dim, log))) / (2 * h)
        np.testing.assert_allclose(got, num, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("log", [False, True])
def test_softmax_backward_strided_and_float32(log):
    x = RNG.standard_normal((6, 300))
    gy = RNG.standard_normal((6, 300))
    for dim in (0, 1):
        y = ksoftmax(x, x, dim, log)
        want = ksoftmax_backward(y, gy, dim, log)
        # the same data behind transposed views
        yt, gyt = np.ascontiguousarray(y.T), np.ascontiguousarray(gy.T)
        np.testing.assert_allclose(ksoftmax_backward(yt, gyt, dim, log, yt.T, gyt.T), want, rtol=1e-12, atol=1e-14)
        y32, gy32 = y.astype(np.float32), gy.astype(np.float32)
        np.testing.assert_allclose(ksoftmax_backward(y32, gy32, dim, log), want, rtol=1e-4, atol=1e-5)


def test_softmax_errors():
    x = kview(np.zeros((2, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="softmax: dim 2 out of range"):
        K.softmax(x, kempty((2, 3)), 2, False)
    with pytest.raises(ValueError, match="log_softmax: dim -1 out of range"):
        K.softmax(x, kempty((2, 3)), -1, True)
    with pytest.raises(TypeError, match="softmax: expected a floating dtype"):
        K.softmax(kview(np.zeros((2, 3), np.int64)), kempty((2, 3), np.int64), 1, False)
    with pytest.raises(ValueError, match="softmax: shape mismatch"):
        K.softmax(x, kempty((3, 2)), 1, False)
    with pytest.raises(TypeError, match="softmax"):
        K.softmax(x, kempty((2, 3), np.float64), 1, False)
    base = np.zeros((3, 2), np.float32)
    with pytest.raises(ValueError, match="softmax: out must be contiguous"):
        K.softmax(x, kview(base, base.T), 1, False)
    with pytest.raises(TypeError, match="softmax_backward"):
        K.softmax_backward(x, kview(np.zeros((2, 3))), kempty((2, 3)), 1, False)
    with pytest.raises(ValueError, match="log_softmax_backward: shape mismatch"):
        K.softmax_backward(x, x, kempty((2, 2)), 1, True)


# ---------------------------------------------------------------- cross-entropy

def ref_cross_entropy(x, t, w, ignore, eps):
    x = x.astype(np.float64)
    n, c = x.shape
    w = np.ones(c) if w is None else w.astype(np.float64)
    m = x.max(axis=1, keepdims=True)
    lse = (m + np.log(np.exp(x - m).sum(axis=1, keepdims=True)))[:, 0]
    logp = x - lse[:, None]
    loss = np.zeros(n)
    for i in range(n):
        if t[i] == ignore:
            continue
        loss[i] = (1 - eps) * -w[t[i]] * logp[i, t[i]] + eps / c * np.sum(-w * logp[i])
    return loss, lse


def kce(x, t, w, ignore, eps):
    n = x.shape[0]
    loss, lse = kempty((n,), x.dtype), kempty((n,), x.dtype)
    K.cross_entropy(kview(x), kview(t), None if w is None else kview(w), loss, lse, ignore, eps)
    return loss.numpy(), lse.numpy()


def kce_backward(x, t, w, lse, g, ignore, eps):
    gx = kempty(x.shape, x.dtype)
    K.cross_entropy_backward(kview(x), kview(t), None if w is None else kview(w), kview(lse), kview(g), gx,
                             ignore, eps)
    return gx.numpy()


def ce_case(dt, weighted, ignore, n=9, c=5, scale=3.0):
    x = (RNG.standard_normal((n, c)) * scale).astype(dt)
    t = RNG.integers(0, c, size=n).astype(np.int64)
    if ignore < 0:
        t[[1, n - 1]] = ignore
    w = RNG.uniform(0.2, 2.0, size=c).astype(dt) if weighted else None
    return x, t, w


CE_PARAMS = [(weighted, ignore, eps) for weighted in (False, True) for ignore in (-100, 2) for eps in (0.0, 0.1, 1.0)]


@pytest.mark.parametrize("weighted,ignore,eps", CE_PARAMS)
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_cross_entropy_forward(dt, weighted, ignore, eps):
    x, t, w = ce_case(dt, weighted, ignore)
    loss, lse = kce(x, t, w, ignore, eps)
    want_loss, want_lse = ref_cross_entropy(x, t, w, ignore, eps)
    tol = dict(rtol=1e-5, atol=1e-5) if dt == np.float32 else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(loss, want_loss, **tol)
    np.testing.assert_allclose(lse, want_lse, **tol)
    assert (loss[t == ignore] == 0).all()


def test_cross_entropy_large_logits():
    x = (RNG.choice([-1000.0, 1000.0], size=(6, 300)) + RNG.standard_normal((6, 300))).astype(np.float32)
    t = RNG.integers(0, 300, size=6).astype(np.int64)
    loss, lse = kce(x, t, None, -100, 0.1)
    want_loss, want_lse = ref_cross_entropy(x, t, None, -100, 0.1)
    assert np.isfinite(loss).all()
    np.testing.assert_allclose(loss, want_loss, rtol=1e-5)
    np.testing.assert_allclose(lse, want_lse, rtol=1e-6)


@pytest.mark.parametrize("weighted,ignore,eps", CE_PARAMS)
def test_cross_entropy_backward_finite_differences(weighted, ignore, eps):
    x, t, w = ce_case(np.float64, weighted, ignore, n=4, c=5, scale=1.0)
    g = RNG.standard_normal(4)
    _, lse = kce(x, t, w, ignore, eps)
    got = kce_backward(x, t, w, lse, g, ignore, eps)
    num = np.zeros_like(x)
    h = 1e-6
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        num[idx] = (g @ kce(xp, t, w, ignore, eps)[0] - g @ kce(xm, t, w, ignore, eps)[0]) / (2 * h)
    np.testing.assert_allclose(got, num, rtol=1e-6, atol=1e-8)
    x32, w32 = x.astype(np.float32), None if w is None else w.astype(np.float32)
    got32 = kce_backward(x32, t, w32, lse.astype(np.float32), g.astype(np.float32), ignore, eps)
    np.testing.assert_allclose(got32, got, rtol=1e-4, atol=1e-5)


def test_cross_entropy_empty_batch():
    x = np.zeros((0, 4), np.float32)
    t = np.zeros(0, np.int64)
    loss, _ = kce(x, t, None, -100, 0.0)
    assert loss.shape == (0,)
    assert kce_backward(x, t, None, np.zeros(0, np.float32), np.zeros(0, np.float32), -100, 0.0).shape == (0, 4)


def test_cross_entropy_errors():
    x = np.zeros((3, 5), np.float32)
    t = np.array([0, 7, 1], np.int64)
    with pytest.raises(IndexError, match="cross_entropy: target 7 is out of bounds for 5 classes"):
        kce(x, t, None, -100, 0.0)
    with pytest.raises(IndexError, match="cross_entropy_backward: target -1 is out of bounds for 5 classes"):
        kce_backward(x, np.array([0, -1, 1]), None, np.zeros(3, np.float32), np.ones(3, np.float32), -100, 0.0)
    ok = np.array([0, 1, 2], np.int64)
    with pytest.raises(ValueError, match=r"cross_entropy: weight must have shape \[5\]"):
        kce(x, ok, np.ones(4, np.float32), -100, 0.0)
    with pytest.raises(TypeError, match="cross_entropy"):
        kce(x, ok.astype(np.float32), None, -100, 0.0)
    with pytest.raises(TypeError, match="cross_entropy"):
        kce(x, ok, np.ones(5, np.float64), -100, 0.0)
    with pytest.raises(ValueError, match="cross_entropy: logits must be 2-D"):
        K.cross_entropy(kview(np.zeros((3, 5, 1), np.float32)), kview(ok), None, kempty((3,)), kempty((3,)), -100, 0.0)
    base = np.zeros((5, 3), np.float32)
    with pytest.raises(ValueError, match="cross_entropy: logits must be contiguous"):
        K.cross_entropy(kview(base, base.T), kview(ok), None, kempty((3,)), kempty((3,)), -100, 0.0)
    with pytest.raises(ValueError, match="cross_entropy: label_smoothing"):
        kce(x, ok, None, -100, 1.5)
    with pytest.raises(ValueError, match=r"cross_entropy_backward: grad_loss must have shape \[3\]"):
        kce_backward(x, ok, None, np.zeros(3, np.float32), np.ones(2, np.float32), -100, 0.0)
