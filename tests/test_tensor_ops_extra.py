"""flip, cumsum/cumprod, tril/triu, F.pad, F.normalize, F.one_hot and multinomial beyond
what tests/op_table.py expresses: errors, integer dtypes, negative pads against torch,
the Tensor method forms, the sampler's statistics, and the same ops on each device."""
import itertools

import numpy as np
import pytest

import fastdl
import fastdl.nn.functional as F
from fastdl.testing import gradcheck

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # torch parity tests skip cleanly without torch
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


def _t(a, **kw):
    return fastdl.tensor(np.asarray(a), **kw)


# ---- errors: the message names the op, the shapes and the offending argument -----------

@pytest.mark.parametrize("call,exc,words", [
    (lambda: fastdl.flip(_t(np.zeros((2, 3))), [0, 0]), ValueError, ["flip", "multiple times"]),
    (lambda: fastdl.flip(_t(np.zeros((2, 3))), [2]), IndexError, ["flip", "out of range"]),
    (lambda: fastdl.flip(_t(np.zeros((2, 3))), None), TypeError, ["flip"]),
    (lambda: fastdl.cumsum(_t(np.zeros((2, 3))), 2), IndexError, ["cumsum", "out of range"]),
    (lambda: fastdl.cumprod(np.zeros(3), 0), TypeError, ["cumprod", "Tensor"]),
    (lambda: fastdl.tril(_t(np.zeros(3))), RuntimeError, ["tril", "at least 2 dimensions", "[3]"]),
    (lambda: fastdl.triu(_t(np.zeros(3))), RuntimeError, ["triu", "[3]"]),
    (lambda: fastdl.triu(_t(np.zeros((3, 3))), 1.5), TypeError, ["triu", "diagonal"]),
    (lambda: F.normalize(_t(np.zeros((2, 3), np.int64))), TypeError, ["normalize", "int64[2, 3]"]),
    (lambda: F.normalize(_t(np.zeros(3))), IndexError, ["normalize", "out of range"]),
])
def test_errors(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for w in words:
        assert w in str(info.value)


X25 = np.arange(10.0).reshape(2, 5)


@pytest.mark.parametrize("shape,pad,mode,kw,exc,words", [
    ((2, 5), (1, 2, 3), "constant", {}, RuntimeError, ["divisible by 2", "(1, 2, 3)"]),
    ((2, 5), (1,) * 6, "constant", {}, RuntimeError, ["two times", "float64[2, 5]"]),
    ((2, 5), (1.5, 0), "constant", {}, TypeError, ["pad", "tuple of ints"]),
    ((2, 5), (-4, -2), "constant", {}, RuntimeError, ["pad", "(-4, -2)", "float64[2, 5]"]),
    ((2, 5), (5, 1), "reflect", {}, RuntimeError, ["pad", "reflect", "(5, 1)", "float64[2, 5]"]),
    ((2, 5), (0, 5), "reflect", {}, RuntimeError, ["pad", "less than", "float64[2, 5]"]),
    ((2, 5), (-3, -3), "replicate", {}, RuntimeError, ["pad", "too small", "float64[2, 5]"]),
    ((2, 5), (6, 0), "circular", {}, RuntimeError, ["pad", "circular", "more than once", "float64[2, 5]"]),
    ((2, 5), (-3, 3), "circular", {}, RuntimeError, ["pad", "more than once"]),
    ((5,), (1, 1), "reflect", {}, NotImplementedError, ["pad", "float64[5]", "(1, 1)"]),
    ((2, 5), (1, 1, 1, 1), "replicate", {}, NotImplementedError, ["pad", "float64[2, 5]", "(1, 1, 1, 1)"]),
    ((2, 5), (1, 1), "reflect", {"value": 1.0}, RuntimeError, ["pad", "value"]),
    ((2, 5), (1, 1), "reflec", {}, NotImplementedError, ["pad", "reflec"]),
    ((0, 5), (1, 1), "replicate", {}, RuntimeError, ["pad", "non-zero", "float64[0, 5]"]),
    ((2, 0, 5), (1, 1), "reflect", {}, RuntimeError, ["pad", "float64[2, 0, 5]"]),
])
def test_pad_errors(shape, pad, mode, kw, exc, words):
    x = _t(np.zeros(shape))
    with pytest.raises(exc) as info:
        F.pad(x, pad, mode, **kw)
    for w in words:
        assert w in str(info.value)
    # torch rejects the same input, except a circular pad larger than what its crop leaves,
    # which torch checks against the uncropped size and then reads memory past the data
    if torch is not None and (mode, pad) != ("circular", (-3, 3)):
        with pytest.raises((RuntimeError, TypeError, ValueError)):
            TF.pad(torch.zeros(shape), pad, mode, **kw)


def test_pad_accepts_an_empty_batch():
    assert F.pad(_t(np.zeros((0, 2, 5))), (1, 1), "reflect").shape == (0, 2, 7)
    assert F.pad(_t(np.zeros((0, 5))), (1, 1), "circular").shape == (0, 7)


def test_pad_zero_value_for_non_constant_modes_is_allowed():
    np.testing.assert_array_equal(F.pad(_t(X25), (1, 1), "replicate", value=0).numpy(),
                                  np.pad(X25, ((0, 0), (1, 1)), mode="edge"))


# ---- cumsum / cumprod dtypes ---------------------------------------------------------------

@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
@pytest.mark.parametrize("values,dtype,expected", [
    ([True, False, True, True], None, "int64"),
    ([3, -1, 2, 5], None, "int64"),
    ([1.5, 2.5, -0.5], "int64", "int64"),
    ([1.5, 2.5, -0.5], "float64", "float64"),
    ([True, True], "float32", "float32"),
])
def test_scan_dtypes(op, values, dtype, expected):
    x = _t(values) if dtype != "float64" else _t(values, dtype=fastdl.float32)
    out = getattr(fastdl, op)(x, 0, dtype=getattr(fastdl, dtype) if dtype else None)
    assert out.dtype.name == expected
    # torch casts the input to dtype first, then accumulates
    ref = getattr(np, op)(np.asarray(values).astype(np.dtype(expected)))
    np.testing.assert_array_equal(out.numpy(), ref)
    if torch is not None:
        tx = torch.tensor(values) if dtype != "float64" else torch.tensor(values, dtype=torch.float32)
        tref = getattr(torch, op)(tx, 0, dtype=getattr(torch, dtype) if dtype else None)
        assert str(tref.dtype) == f"torch.{expected}"
        np.testing.assert_array_equal(out.numpy(), tref.numpy())


def test_cumsum_float16_accumulates_in_float32():
    x = np.full(2048, 1.0, np.float16)
    out = fastdl.cumsum(_t(x), 0)
    assert out.dtype is fastdl.float16
    assert float(out.numpy()[-1]) == 2048.0  # a float16 running sum would stall at 2048's neighbour


def test_scan_returns_a_new_tensor_for_size1():
    x = _t([[1.0, 2.0]])
    y = fastdl.cumsum(x, 0)
    y.fill_(7.0)
    np.testing.assert_array_equal(x.numpy(), [[1.0, 2.0]])


@needs_torch
def test_cumprod_gradient_with_zeros_matches_torch():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 9))
    x[0, 0] = 0.0
    x[1, 3] = x[1, 7] = 0.0
    x[2, 2] = x[2, 3] = 0.0
    x[3, 8] = 0.0
    w = rng.standard_normal(x.shape)
    a = _t(x, dtype=fastdl.float64, requires_grad=True)
    (fastdl.cumprod(a, 1) * _t(w)).sum().backward()
    b = torch.tensor(x, requires_grad=True)
    (torch.cumprod(b, 1) * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda t: fastdl.cumprod(t, 1), [_t(x, dtype=fastdl.float64, requires_grad=True)])


def test_cumsum_long_dim_matches_numpy():
    x = np.random.default_rng(0).standard_normal((3, 1000))
    np.testing.assert_allclose(fastdl.cumsum(_t(x), -1).numpy(), np.cumsum(x, -1), rtol=1e-12, atol=1e-11)


# ---- tril / triu: the gradient reaches only the kept entries ---------------------------

@pytest.mark.parametrize("op,np_op", [("tril", np.tril), ("triu", np.triu)])
@pytest.mark.parametrize("diagonal", [-1, 0, 2])
def test_tri_gradient_is_the_mask(op, np_op, diagonal):
    x = _t(np.random.default_rng(1).standard_normal((2, 3, 4)), dtype=fastdl.float64, requires_grad=True)
    getattr(fastdl, op)(x, diagonal).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np_op(np.ones((2, 3, 4)), diagonal))


@pytest.mark.parametrize("dtype", [np.int64, np.bool_])
def test_tri_keeps_integer_and_bool_dtypes(dtype):
    x = np.arange(1, 13).reshape(3, 4).astype(dtype)
    for op, np_op in [(fastdl.tril, np.tril), (fastdl.triu, np.triu)]:
        out = op(_t(x), 1)
        assert out.numpy().dtype == dtype
        np.testing.assert_array_equal(out.numpy(), np_op(x, 1))


# ---- pad against torch: negative pads and each mode on 3-D / 4-D / 5-D inputs ----------

def _circular_wraps_too_far(size, left, right):
    kept = size - max(-left, 0) - max(-right, 0)
    return kept < 0 or max(left, right, 0) > kept


@needs_torch
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_every_amount_on_one_dim_matches_torch(mode):
    x = np.arange(10.0).reshape(1, 2, 5)
    for left, right in itertools.product(range(-7, 7), repeat=2):
        try:
            ref = TF.pad(torch.tensor(x), (left, right), mode).numpy()
        except RuntimeError:
            ref = None
        try:
            got = F.pad(_t(x), (left, right), mode).numpy()
        except RuntimeError:
            got = None
        if got is None and ref is not None:
            # torch's circular mode checks the pad against the uncropped size and then reads
            # memory outside what is left; fastdl refuses those
            assert mode == "circular" and _circular_wraps_too_far(5, left, right), (left, right)
            continue
        assert (got is None) == (ref is None), f"pad ({left}, {right}), mode {mode}: torch refuses, fastdl gave {got}"
        if got is not None:
            np.testing.assert_array_equal(got, ref, err_msg=f"pad ({left}, {right}), mode {mode}")


PAD_CASES = [((2, 3, 6), (2, -1)), ((3, 6), (-2, 3)),
             ((2, 3, 5, 6), (1, -2, -1, 3)), ((3, 5, 6), (2, 2, 1, 0)),
             ((2, 2, 4, 5, 6), (1, 2, -1, 3, 2, -2)), ((2, 4, 5, 6), (0, 3, 2, 1, 3, 0))]


@needs_torch
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pad", PAD_CASES, ids=[f"{len(s)}d-{p}" for s, p in PAD_CASES])
def test_pad_matches_torch_with_grad(mode, shape, pad):
    x = np.random.default_rng(2).standard_normal(shape)
    kw = {"value": -1.5} if mode == "constant" else {}
    a = _t(x, dtype=fastdl.float64, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    out, ref = F.pad(a, pad, mode, **kw), TF.pad(b, pad, mode, **kw)
    np.testing.assert_array_equal(out.detach().numpy(), ref.detach().numpy())
    w = np.random.default_rng(3).standard_normal(tuple(ref.shape))
    (out * _t(w)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape,pad", PAD_CASES, ids=[f"{len(s)}d-{p}" for s, p in PAD_CASES])
def test_pad_constant_against_numpy_with_gradients(shape, pad):
    """Constant padding is one fill and one copy into the middle (crops first); its gradient
    is the middle of g: NumPy's pad of the cropped array, gradcheck and gradgradcheck."""
    from fastdl.testing import gradcheck, gradgradcheck
    x = np.random.default_rng(4).standard_normal(shape)
    crop = tuple(slice(max(-pad[2 * i], 0), x.shape[-1 - i] - max(-pad[2 * i + 1], 0)) for i in range(len(pad) // 2))
    cropped = x[(Ellipsis,) + crop[::-1]]
    widths = [(0, 0)] * (x.ndim - len(crop)) + [(max(pad[2 * i], 0), max(pad[2 * i + 1], 0))
                                                for i in reversed(range(len(pad) // 2))]
    want = np.pad(cropped, widths, constant_values=2.5)
    np.testing.assert_array_equal(F.pad(_t(x), pad, value=2.5).numpy(), want)
    a = _t(x, dtype=fastdl.float64, requires_grad=True)
    assert gradcheck(lambda t: F.pad(t, pad, value=2.5), [a])
    assert gradgradcheck(lambda t: F.pad(t, pad, value=2.5) ** 2, [a])


def test_pad_constant_keeps_integer_dtype_and_returns_a_copy():
    x = _t(np.arange(6).reshape(2, 3))
    out = F.pad(x, (1, 0), value=9)
    assert out.dtype is fastdl.int64
    np.testing.assert_array_equal(out.numpy(), [[9, 0, 1, 2], [9, 3, 4, 5]])
    same = F.pad(x, (0, 0))
    same.fill_(0)
    assert int(x.sum()) == 15


# ---- normalize -----------------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, float("inf")])
def test_normalize_zero_rows_match_torch(p):
    x = np.random.default_rng(4).standard_normal((3, 4))
    x[1] = 0.0
    w = np.random.default_rng(5).standard_normal(x.shape)
    a = _t(x, dtype=fastdl.float64, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    out, ref = F.normalize(a, p=p), TF.normalize(b, p=p)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-12, atol=1e-12)
    (out * _t(w)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    assert np.isfinite(a.grad.numpy()).all()
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-6)


def test_normalize_unit_norm_and_out():
    x = _t(np.random.default_rng(6).standard_normal((4, 5)))
    out = fastdl.empty(4, 5, dtype=fastdl.float64)
    res = F.normalize(x, dim=-1, out=out)
    assert res is out
    np.testing.assert_allclose(np.linalg.norm(out.numpy(), axis=-1), 1.0, rtol=1e-12)


def test_one_hot_is_fastdls():
    assert F.one_hot is fastdl.one_hot
    np.testing.assert_array_equal(F.one_hot(_t([2, 0]), 3).numpy(), [[0, 0, 1], [1, 0, 0]])


def test_one_hot_shapes_views_and_errors():
    """CPU one_hot reads the indices on the host and writes one 1 per row into zeros: against
    NumPy's eye for n-d, strided and 0-d indices, empty ones, and the range errors."""
    rng = np.random.default_rng(9)
    idx = rng.integers(0, 7, (3, 4, 5))
    for t, v in ((_t(idx), idx), (_t(idx)[:, ::2, 1], idx[:, ::2, 1]), (_t(idx)[1, 2, 3], idx[1, 2, 3])):
        np.testing.assert_array_equal(F.one_hot(t, 9).numpy(), np.eye(9, dtype=np.int64)[v])
        assert F.one_hot(t).shape == tuple(np.shape(v)) + (int(np.max(v)) + 1,)
    assert F.one_hot(_t(idx), 9).dtype is fastdl.int64
    empty = fastdl.tensor(np.zeros((2, 0), np.int64))
    assert F.one_hot(empty, 4).shape == (2, 0, 4)
    with pytest.raises(RuntimeError, match="can not infer the number of classes from an empty tensor"):
        F.one_hot(empty)  # as torch
    with pytest.raises(ValueError, match="non-negative, got -1"):
        F.one_hot(_t([1, -1, 2]), 3)
    with pytest.raises(ValueError, match=r"smaller than num_classes \(3\), got 3"):
        F.one_hot(_t([1, 3]), 3)


# ---- Tensor method forms -------------------------------------------------------------------

def test_method_forms():
    x_np = np.random.default_rng(7).standard_normal((3, 4))
    x = _t(x_np)
    for got in (x.flip(0, 1), x.flip([0, 1]), x.flip((0, 1)), x.flip(dims=[0, 1]), fastdl.flip(x, (-2, -1))):
        np.testing.assert_array_equal(got.numpy(), x_np[::-1, ::-1])
    np.testing.assert_array_equal(x.flip(1).numpy(), x_np[:, ::-1])
    np.testing.assert_array_equal(fastdl.flip(x, [0]).numpy(), x_np[::-1])
    np.testing.assert_allclose(x.cumsum(1).numpy(), np.cumsum(x_np, 1), rtol=1e-12)
    np.testing.assert_allclose(x.cumsum(dim=0, dtype=fastdl.float32).numpy(), np.cumsum(x_np, 0), rtol=1e-6)
    np.testing.assert_allclose(x.cumprod(0).numpy(), np.cumprod(x_np, 0), rtol=1e-12)
    np.testing.assert_array_equal(x.tril(1).numpy(), np.tril(x_np, 1))
    np.testing.assert_array_equal(x.triu(diagonal=-1).numpy(), np.triu(x_np, -1))
    s = _t([0.0, 1.0, 1.0]).multinomial(5, replacement=True)
    assert s.shape == (5,) and s.dtype is fastdl.int64 and int(s.min()) >= 1
    with pytest.raises(TypeError):
        x.flip(0, dims=[1])


# ---- multinomial -----------------------------------------------------------------------------

def test_multinomial_shape_dtype_range():
    w = _t([[0.2, 0.0, 3.0, 1.0, 0.5], [1.0, 1.0, 1.0, 1.0, 1.0]], dtype=fastdl.float32)
    for replacement, n in [(True, 50), (False, 4)]:
        s = fastdl.multinomial(w, n, replacement)
        assert s.dtype is fastdl.int64 and s.shape == (2, n)
        a = s.numpy()
        assert a.min() >= 0 and a.max() < 5
        assert not (a[0] == 1).any()  # a zero weight is never drawn
    s = fastdl.multinomial(_t([1.0, 2.0]), 3, replacement=True)
    assert s.shape == (3,)
    assert fastdl.multinomial(fastdl.zeros(0, 3), 2, True).shape == (0, 2)


def test_multinomial_is_reproducible():
    w = _t(np.random.default_rng(0).random((3, 7)))
    fastdl.manual_seed(11)
    a = fastdl.multinomial(w, 20, True).numpy(), fastdl.multinomial(w, 5).numpy()
    fastdl.manual_seed(11)
    b = fastdl.multinomial(w, 20, True).numpy(), fastdl.multinomial(w, 5).numpy()
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    g1, g2 = fastdl.Generator(3), fastdl.Generator(3)
    np.testing.assert_array_equal(fastdl.multinomial(w, 9, True, generator=g1).numpy(),
                                  fastdl.multinomial(w, 9, True, generator=g2).numpy())
    state = fastdl.get_rng_state()
    fastdl.multinomial(w, 9, True, generator=g1)
    assert fastdl.get_rng_state() == state  # an explicit generator leaves the global one alone


def test_multinomial_without_replacement_is_distinct():
    w = _t(np.random.default_rng(1).random((50, 8)) + 0.01)
    s = fastdl.multinomial(w, 8).numpy()
    for row in s:
        assert sorted(row) == list(range(8))
    s = fastdl.multinomial(w, 5).numpy()
    assert all(len(set(row)) == 5 for row in s)


def test_multinomial_never_draws_zero_weights_among_many_categories():
    rng = np.random.default_rng(2)
    w = rng.random(1000) * (rng.random(1000) < 0.3)
    w[[10, 500]] = [1e-30, 1e30]  # extreme but positive weights must stay drawable
    s = fastdl.multinomial(_t(w), 5000, True).numpy()
    assert (w[s] > 0).all()
    positive = np.flatnonzero(w > 0)
    s = fastdl.multinomial(_t(w), len(positive)).numpy()
    assert sorted(s) == list(positive)  # every positive category once, no zero one


N_DRAWS = 20000


def _within_4_se(counts, p, n):
    freq = counts / n
    se = np.sqrt(p * (1 - p) / n)
    assert (np.abs(freq - p) <= 4 * se + 1e-12).all(), (freq, p)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_multinomial_with_replacement_frequencies(dtype):
    w = np.array([1.0, 0.0, 3.0, 6.0, 0.5, 2.5])
    s = fastdl.multinomial(_t(w, dtype=getattr(fastdl, dtype)), N_DRAWS, True).numpy()
    _within_4_se(np.bincount(s, minlength=len(w)), w / w.sum(), N_DRAWS)
    assert not (s == 1).any()


def test_multinomial_without_replacement_pair_frequencies():
    # each of N_DRAWS rows draws 2 without replacement: P(i, j) = w_i / W * w_j / (W - w_i)
    w = np.array([1.0, 2.0, 3.0, 4.0])
    s = fastdl.multinomial(_t(np.tile(w, (N_DRAWS, 1))), 2).numpy()
    assert (s[:, 0] != s[:, 1]).all()
    W = w.sum()
    p = np.array([[w[i] / W * w[j] / (W - w[i]) if i != j else 0.0 for j in range(4)] for i in range(4)])
    counts = np.zeros((4, 4))
    np.add.at(counts, (s[:, 0], s[:, 1]), 1)
    _within_4_se(counts.ravel(), p.ravel(), N_DRAWS)


@pytest.mark.parametrize("w,n,replacement,exc,words", [
    ([1.0, 2.0], 3, False, RuntimeError, ["multinomial", "3 > 2", "float32[2]"]),
    ([1.0, -1.0, 2.0], 1, True, RuntimeError, ["multinomial", "< 0"]),
    ([1.0, float("inf")], 1, True, RuntimeError, ["multinomial", "inf"]),
    ([1.0, float("nan")], 1, True, RuntimeError, ["multinomial", "nan"]),
    ([[1.0, 1.0], [0.0, 0.0]], 1, True, RuntimeError, ["multinomial", "sum of probabilities", "float32[2, 2]"]),
    ([1.0, 0.0, 0.0], 2, False, RuntimeError, ["multinomial", "non-zero categories"]),
    ([1.0, 2.0], 0, True, RuntimeError, ["multinomial", "num_samples"]),
    (1.0, 1, True, RuntimeError, ["multinomial", "1 or 2 dim"]),
    ([1, 2], 1, True, TypeError, ["multinomial", "int64[2]"]),
])
def test_multinomial_errors(w, n, replacement, exc, words):
    x = fastdl.tensor(w, dtype=fastdl.float32 if "int64[2]" not in words else fastdl.int64)
    with pytest.raises(exc) as info:
        fastdl.multinomial(x, n, replacement)
    for word in words:
        assert word in str(info.value)


# ---- every op on each device (the cuda case is skipped without a CUDA device) ----------------

def test_ops_on_device(device):
    rng = np.random.default_rng(8)
    x_np = rng.standard_normal((2, 3, 4, 5))
    x = _t(x_np, dtype=fastdl.float64, device=device, requires_grad=True)
    outs = [fastdl.flip(x, (1, -1)), fastdl.cumsum(x, 2), fastdl.cumprod(x, -1), fastdl.tril(x, 1),
            fastdl.triu(x, -1), F.normalize(x, dim=1), F.pad(x, (1, 2, -1, 1), value=0.5),
            F.pad(x, (1, 2, 2, 1), "reflect"), F.pad(x, (1, 2, 2, 1, 1, 0), "replicate"),
            F.pad(x, (1, -2, 3, 1), "circular")]
    refs = [np.flip(x_np, (1, 3)), np.cumsum(x_np, 2), np.cumprod(x_np, -1), np.tril(x_np, 1), np.triu(x_np, -1),
            x_np / np.linalg.norm(x_np, axis=1, keepdims=True),
            np.pad(x_np[:, :, 1:], ((0, 0), (0, 0), (0, 1), (1, 2)), constant_values=0.5),
            np.pad(x_np, ((0, 0), (0, 0), (2, 1), (1, 2)), mode="reflect"),
            np.pad(x_np, ((0, 0), (1, 0), (2, 1), (1, 2)), mode="edge"),
            np.pad(x_np[..., :3], ((0, 0), (0, 0), (3, 1), (1, 0)), mode="wrap")]
    total = None
    for out, ref in zip(outs, refs):
        assert out.device.type == device
        np.testing.assert_allclose(out.detach().cpu().numpy(), ref, rtol=1e-12, atol=1e-12)
        total = out.sum() if total is None else total + out.sum()
    total.backward()
    assert x.grad.device.type == device and np.isfinite(x.grad.cpu().numpy()).all()
    w = _t([[0.0, 1.0, 3.0], [2.0, 0.0, 2.0]], device=device)
    fastdl.manual_seed(1)
    s = fastdl.multinomial(w, 200, True)
    assert s.device.type == device and s.dtype is fastdl.int64
    assert not (s.cpu().numpy() == np.array([[0], [1]])).any()
    assert (np.sort(fastdl.multinomial(w, 2).cpu().numpy(), 1) == [[1, 2], [0, 2]]).all()
