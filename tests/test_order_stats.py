"""median / nanmedian / kthvalue / mode / quantile / nanquantile / cummax / cummin
(ops/order_stats.py), searchsorted / bucketize (ops/search.py), unique /
unique_consecutive / bincount / histc (ops/counting.py): against NumPy, torch parity
where torch is installed, gradcheck of the differentiable values, errors, devices."""
import numpy as np
import pytest

import fastdl
from fastdl.testing import gradcheck

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")
T = fastdl.tensor


def lower_median(a, axis):
    s = np.sort(a, axis=axis)
    n = a.shape[axis]
    return np.take(s, (n - 1) // 2, axis=axis)


SHAPES = [((7,), 0), ((4, 6), 1), ((4, 6), 0), ((2, 3, 5), -1), ((2, 3, 4), 1)]


@pytest.mark.parametrize("shape,dim", SHAPES)
@pytest.mark.parametrize("ties", [False, True])
def test_median_kthvalue_numpy(shape, dim, ties):
    rng = np.random.default_rng(1)
    a = rng.integers(0, 3, shape).astype(np.float64) if ties else rng.standard_normal(shape)
    x = T(a)
    r = fastdl.median(x, dim)
    np.testing.assert_array_equal(r.values.numpy(), lower_median(a, dim))
    # indices point at the returned values
    np.testing.assert_array_equal(np.take_along_axis(a, np.expand_dims(r.indices.numpy(), dim), dim).squeeze(dim),
                                  r.values.numpy())
    assert fastdl.median(x).item() == lower_median(a.ravel(), 0)
    rk = fastdl.median(x, dim, keepdim=True)
    assert tuple(rk.values.shape) == tuple(np.expand_dims(lower_median(a, dim), dim).shape)
    n = a.shape[dim]
    for k in (1, (n + 1) // 2, n):
        kv = x.kthvalue(k, dim)
        np.testing.assert_array_equal(kv.values.numpy(), np.take(np.partition(a, k - 1, axis=dim), k - 1, axis=dim))


def test_median_nan():
    a = np.array([[3.0, 1, np.nan, 2, np.nan], [5, 4, 3, 2, 1], [np.nan] * 5])
    r = fastdl.median(T(a), 1)
    np.testing.assert_array_equal(r.values.numpy(), [np.nan, 3, np.nan])
    np.testing.assert_array_equal(r.indices.numpy(), [2, 2, 0])
    assert np.isnan(fastdl.median(T(a)).item())
    r = fastdl.nanmedian(T(a), 1)
    np.testing.assert_array_equal(r.values.numpy(), [2, 3, np.nan])
    np.testing.assert_array_equal(r.indices.numpy(), [3, 2, 0])
    assert fastdl.nanmedian(T(a[:2])).item() == 2.5 - 0.5  # lower median of the 8 numbers


def test_mode_numpy():
    rng = np.random.default_rng(2)
    a = rng.integers(0, 4, (5, 9))
    r = fastdl.mode(T(a), 1)
    for row, v, i in zip(a, r.values.numpy(), r.indices.numpy()):
        vals, counts = np.unique(row, return_counts=True)
        assert v == vals[np.argmax(counts)]  # the smallest most frequent value
        assert i == np.nonzero(row == v)[0].max()  # its last occurrence
    r = T([2, 1, 2, 1, 3, 1, 2]).mode()
    assert (r.values.item(), r.indices.item()) == (1, 5)


INTERPS = ["linear", "lower", "higher", "midpoint", "nearest"]


@pytest.mark.parametrize("interp", INTERPS)
@pytest.mark.parametrize("shape,dim", SHAPES + [((3, 4), None)])
def test_quantile_numpy(interp, shape, dim):
    rng = np.random.default_rng(3)
    a = rng.standard_normal(shape)
    q = np.array([0.0, 0.1, 0.25, 0.5, 0.7, 1.0])
    got = fastdl.quantile(T(a), T(q), dim=dim, interpolation=interp).numpy()
    np.testing.assert_allclose(got, np.quantile(a, q, axis=dim, method=interp), rtol=1e-12, atol=1e-12)
    got = fastdl.quantile(T(a), 0.3, dim=dim, keepdim=True, interpolation=interp).numpy()
    want = np.quantile(a, 0.3, axis=dim, keepdims=True, method=interp)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_nanquantile_numpy():
    a = np.array([[3.0, 1, np.nan, 2, np.nan], [5, 4, 3, 2, 1], [np.nan] * 5])
    q = np.array([0.0, 0.4, 1.0])
    for interp in INTERPS:
        got = fastdl.nanquantile(T(a), T(q), dim=1, interpolation=interp).numpy()
        with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
            want = np.nanquantile(a, q, axis=1, method=interp)
        np.testing.assert_allclose(got, want)
        got = fastdl.quantile(T(a), T(q), dim=1, interpolation=interp).numpy()
        np.testing.assert_allclose(got, np.quantile(a, q, axis=1, method=interp))


@needs_torch
@pytest.mark.parametrize("shape,dim", SHAPES)
def test_torch_parity(shape, dim):
    rng = np.random.default_rng(4)
    a = rng.integers(0, 3, shape).astype(np.float64)
    a.ravel()[::5] = np.nan
    x, t = T(a), torch.tensor(a)
    for f, g, args in [(fastdl.median, torch.median, (dim,)), (fastdl.nanmedian, torch.nanmedian, (dim,)),
                       (fastdl.cummax, torch.cummax, (dim,)),
                       (fastdl.cummin, torch.cummin, (dim,))]:
        r, w = f(x, *args), g(t, *args)
        np.testing.assert_array_equal(r.values.numpy(), w.values.numpy(), err_msg=f.__name__)
        np.testing.assert_array_equal(r.indices.numpy(), w.indices.numpy(), err_msg=f.__name__)
    # kthvalue: torch's index among tied values is unspecified (quickselect); ours is the stable one
    r, w = fastdl.kthvalue(x, 2, dim), torch.kthvalue(t, 2, dim)
    np.testing.assert_array_equal(r.values.numpy(), w.values.numpy())
    np.testing.assert_array_equal(np.take_along_axis(a, np.expand_dims(r.indices.numpy(), dim), dim).squeeze(dim),
                                  w.values.numpy())
    b = np.nan_to_num(a)
    r, w = fastdl.mode(T(b), dim), torch.mode(torch.tensor(b), dim)
    np.testing.assert_array_equal(r.values.numpy(), w.values.numpy())
    np.testing.assert_array_equal(r.indices.numpy(), w.indices.numpy())
    q = np.array([0.2, 0.5, 0.9])
    for interp in INTERPS:
        for fq, tq in [(fastdl.quantile, torch.quantile), (fastdl.nanquantile, torch.nanquantile)]:
            np.testing.assert_allclose(fq(x, T(q), dim, interpolation=interp).numpy(),
                                       tq(t, torch.tensor(q), dim, interpolation=interp).numpy(), rtol=1e-12)


def test_gradcheck():
    rng = np.random.default_rng(5)
    a = rng.permutation(24).reshape(4, 6).astype(np.float64) / 7 + rng.uniform(0, 0.01, (4, 6))
    x = T(a, requires_grad=True)
    assert gradcheck(lambda t: fastdl.median(t, 1).values, (x,))
    assert gradcheck(lambda t: fastdl.median(t), (x,))
    assert gradcheck(lambda t: fastdl.kthvalue(t, 2, 0).values, (x,))
    assert gradcheck(lambda t: fastdl.cummax(t, 1).values, (x,))
    q = T([0.1, 0.5, 0.77], dtype=fastdl.float64)
    for interp in INTERPS:
        assert gradcheck(lambda t: fastdl.quantile(t, q, dim=1, interpolation=interp), (x,))


def test_cummax_cummin_numpy():
    rng = np.random.default_rng(6)
    a = rng.integers(0, 5, (3, 11))
    np.testing.assert_array_equal(fastdl.cummax(T(a), 1).values.numpy(), np.maximum.accumulate(a, 1))
    np.testing.assert_array_equal(fastdl.cummin(T(a), 0).values.numpy(), np.minimum.accumulate(a, 0))


def test_logcumsumexp():
    rng = np.random.default_rng(12)
    a = rng.standard_normal((3, 7)) * 30
    a[0, 2] = -np.inf
    a[1] = -np.inf
    got = T(a).logcumsumexp(1).numpy()
    np.testing.assert_allclose(got, np.logaddexp.accumulate(a, 1), rtol=1e-12)
    assert np.all(np.isneginf(got[1]))
    if torch is not None:
        np.testing.assert_allclose(got, torch.logcumsumexp(torch.tensor(a), 1).numpy(), rtol=1e-12)
    x = T(rng.standard_normal((4, 5)), requires_grad=True)
    assert gradcheck(lambda t: fastdl.logcumsumexp(t, 0), (x,))


@pytest.mark.parametrize("n", [0, 1, 2, 5, 8, 17])
@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted_numpy(n, side):
    rng = np.random.default_rng(n)
    s = np.sort(rng.integers(0, 6, n)).astype(np.float64)
    v = rng.integers(-1, 8, (3, 4)).astype(np.float64)
    got = fastdl.searchsorted(T(s), T(v), side=side)
    assert got.dtype is fastdl.int64
    np.testing.assert_array_equal(got.numpy(), np.searchsorted(s, v, side=side))
    np.testing.assert_array_equal(fastdl.searchsorted(T(s), T(v), right=side == "right").numpy(),
                                  np.searchsorted(s, v, side=side))
    # batched: one sorted line per row of the queries
    s2 = np.sort(rng.standard_normal((3, n)), 1)
    v2 = rng.standard_normal((3, 5))
    np.testing.assert_array_equal(fastdl.searchsorted(T(s2), T(v2), side=side).numpy(),
                                  np.stack([np.searchsorted(r, q, side=side) for r, q in zip(s2, v2)]))
    # sorter
    u = rng.standard_normal(n)
    so = np.argsort(u)
    np.testing.assert_array_equal(fastdl.searchsorted(T(u), T(v2), side=side, sorter=T(so)).numpy(),
                                  np.searchsorted(u, v2, side=side, sorter=so))


def test_searchsorted_scalar_nan_bucketize():
    assert fastdl.searchsorted(T([1.0, 2.0, 3.0]), 2.5).item() == 2
    nan = float("nan")
    np.testing.assert_array_equal(fastdl.searchsorted(T([1.0, 2.0, nan]), T([nan, 3.0, 2.0])).numpy(), [3, 3, 1])
    b = np.array([0.0, 1.0, 1.0, 3.0])
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, 3.0, 4.0])
    for right in (False, True):
        # torch.bucketize(right=False) == np.digitize(right=True) == searchsorted side left
        np.testing.assert_array_equal(fastdl.bucketize(T(x), T(b), right=right).numpy(),
                                      np.digitize(x, b, right=not right))
        np.testing.assert_array_equal(T(x).bucketize(T(b), right=right).numpy(), np.digitize(x, b, right=not right))


@needs_torch
def test_search_torch_parity():
    rng = np.random.default_rng(7)
    s = np.sort(rng.integers(0, 5, (2, 3, 9)), -1)
    v = rng.integers(-1, 6, (2, 3, 4))
    for right in (False, True):
        np.testing.assert_array_equal(fastdl.searchsorted(T(s), T(v), right=right).numpy(),
                                      torch.searchsorted(torch.tensor(s), torch.tensor(v), right=right).numpy())
        np.testing.assert_array_equal(fastdl.bucketize(T(v), T(s[0, 0]), right=right).numpy(),
                                      torch.bucketize(torch.tensor(v), torch.tensor(s[0, 0]), right=right).numpy())


@pytest.mark.parametrize("shape", [(0,), (1,), (10,), (3, 4), (2, 3, 5)])
def test_unique_numpy(shape):
    rng = np.random.default_rng(8)
    a = rng.integers(0, 5, shape)
    v, i, c = fastdl.unique(T(a), return_inverse=True, return_counts=True)
    nv, ni, nc = np.unique(a, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(v.numpy(), nv)
    np.testing.assert_array_equal(i.numpy(), ni.reshape(shape))
    np.testing.assert_array_equal(c.numpy(), nc)
    assert tuple(i.shape) == shape
    np.testing.assert_array_equal(T(a).unique().numpy(), nv)


def test_unique_consecutive_and_nan():
    a = [1, 1, 2, 2, 3, 1, 1, 2]
    v, i, c = fastdl.unique_consecutive(T(a), return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(v.numpy(), [1, 2, 3, 1, 2])
    np.testing.assert_array_equal(i.numpy(), [0, 0, 1, 1, 2, 3, 3, 4])
    np.testing.assert_array_equal(c.numpy(), [2, 2, 1, 2, 1])
    v, c = fastdl.unique(T([1.0, float("nan"), float("nan"), 0.0]), return_counts=True)  # NaNs distinct, as torch
    np.testing.assert_array_equal(v.numpy(), [0, 1, np.nan, np.nan])
    np.testing.assert_array_equal(c.numpy(), [1, 1, 1, 1])


@needs_torch
def test_unique_torch_parity():
    rng = np.random.default_rng(9)
    a = rng.integers(0, 4, (4, 5))
    for r, w in zip(fastdl.unique_consecutive(T(a), return_inverse=True, return_counts=True),
                    torch.unique_consecutive(torch.tensor(a), return_inverse=True, return_counts=True)):
        np.testing.assert_array_equal(r.numpy(), w.numpy())
    for r, w in zip(fastdl.unique(T(a), return_inverse=True, return_counts=True),
                    torch.unique(torch.tensor(a), return_inverse=True, return_counts=True)):
        np.testing.assert_array_equal(r.numpy(), w.numpy())


def test_bincount_histc_numpy():
    rng = np.random.default_rng(10)
    b = rng.integers(0, 7, 30)
    w = rng.random(30)
    r = fastdl.bincount(T(b))
    assert r.dtype is fastdl.int64
    np.testing.assert_array_equal(r.numpy(), np.bincount(b))
    np.testing.assert_allclose(fastdl.bincount(T(b), T(w), minlength=12).numpy(), np.bincount(b, w, minlength=12))
    assert fastdl.bincount(T(b), T(w, dtype=fastdl.float32)).dtype is fastdl.float32
    np.testing.assert_array_equal(fastdl.bincount(T(np.zeros(0, np.int64)), minlength=3).numpy(), [0, 0, 0])
    h = rng.standard_normal(500)
    for bins, lo, hi in [(10, 0, 0), (7, -1.0, 1.0), (3, 5.0, 5.0)]:
        got = fastdl.histc(T(h), bins=bins, min=lo, max=hi).numpy()
        rng_ = (h.min(), h.max()) if lo == hi else (lo, hi)  # torch: equal bounds take the data's range
        np.testing.assert_array_equal(got, np.histogram(h, bins=bins, range=rng_)[0])
    # one distinct value: the range widens by 1 each way
    np.testing.assert_array_equal(fastdl.histc(T(np.ones(4)), bins=3).numpy(), [0, 4, 0])
    if torch is not None:
        np.testing.assert_array_equal(fastdl.histc(T(h, dtype=fastdl.float32), bins=13).numpy(),
                                      torch.histc(torch.tensor(h, dtype=torch.float32), bins=13).numpy())


def test_errors():
    x = T(np.zeros((3, 4)))
    with pytest.raises(IndexError, match=r"kthvalue.*k = 5.*float64\[3, 4\]"):
        fastdl.kthvalue(x, 5, 1)
    with pytest.raises(IndexError, match=r"median.*dimension out of range.*float64\[3, 4\]"):
        fastdl.median(x, 2)
    with pytest.raises(RuntimeError, match=r"quantile.*range \[0, 1\]"):
        fastdl.quantile(x, 1.5)
    with pytest.raises(RuntimeError, match=r"quantile.*int64\[3\]"):
        fastdl.quantile(T([1, 2, 3]), 0.5)
    with pytest.raises(ValueError, match="quantile: interpolation"):
        fastdl.quantile(x, 0.5, interpolation="cubic")
    with pytest.raises(RuntimeError, match=r"searchsorted.*float64\[2, 4\].*float64\[3, 4\]"):
        fastdl.searchsorted(T(np.zeros((2, 4))), x)
    with pytest.raises(RuntimeError, match=r"bincount.*non-negative"):
        fastdl.bincount(T([1, -1]))
    with pytest.raises(RuntimeError, match=r"bincount.*float64\[3, 4\]"):
        fastdl.bincount(x)
    with pytest.raises(IndexError, match=r"mode.*float64\[0\]"):
        fastdl.mode(T(np.zeros(0)))


def test_devices(device):
    rng = np.random.default_rng(11)
    a = rng.standard_normal((5, 9))
    a[1, 3] = np.nan
    x = T(a).to(device)
    r = fastdl.median(x, 1)
    np.testing.assert_array_equal(r.values.cpu().numpy(), np.where(np.isnan(a).any(1), np.nan, lower_median(a, 1)))
    np.testing.assert_array_equal(fastdl.kthvalue(x, 3, 0).values.cpu().numpy(), np.sort(a, 0)[2])
    q = np.array([0.1, 0.5, 0.9])
    b = np.nan_to_num(a)
    np.testing.assert_allclose(fastdl.quantile(T(b).to(device), T(q).to(device), 1).cpu().numpy(),
                               np.quantile(b, q, axis=1), rtol=1e-12)
    ints = rng.integers(0, 4, (4, 7))
    m = fastdl.mode(T(ints).to(device), 1).values.cpu().numpy()
    np.testing.assert_array_equal(m, [np.argmax(np.bincount(r)) for r in ints])
    s = np.sort(rng.standard_normal(13))
    v = rng.standard_normal((3, 4))
    np.testing.assert_array_equal(fastdl.searchsorted(T(s).to(device), T(v).to(device), right=True).cpu().numpy(),
                                  np.searchsorted(s, v, side="right"))
    uv, ui, uc = fastdl.unique(T(ints).to(device), return_inverse=True, return_counts=True)
    nv, ni, nc = np.unique(ints, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(uv.cpu().numpy(), nv)
    np.testing.assert_array_equal(ui.cpu().numpy(), ni.reshape(ints.shape))
    np.testing.assert_array_equal(uc.cpu().numpy(), nc)
    np.testing.assert_array_equal(fastdl.bincount(T(ints.ravel()).to(device)).cpu().numpy(), np.bincount(ints.ravel()))
    np.testing.assert_array_equal(fastdl.histc(T(b).to(device), bins=6).cpu().numpy(), np.histogram(b, bins=6)[0])
    np.testing.assert_array_equal(fastdl.cummax(T(b).to(device), 1).values.cpu().numpy(), np.maximum.accumulate(b, 1))
