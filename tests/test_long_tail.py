"""Long tail of torch's API (tail branch): igamma / igammac and special.gammainc / gammaincc."""
import math

import numpy as np
import pytest

import fastdl
import fastdl.special

sp = pytest.importorskip("scipy.special")


def _t(a, dtype=fastdl.float64, **kw):
    return fastdl.tensor(np.asarray(a, dtype=np.float64), dtype=dtype, **kw)


def test_igamma_accuracy_float64():
    rng = np.random.default_rng(0)
    a = np.concatenate([10 ** rng.uniform(-3, 3, 1500), [1000, 999, 500, 1e-3, 1e-3, 1.0]])
    x = np.concatenate([10 ** rng.uniform(-3, 3, 1500), [1000, 1000, 520, 1e3, 1e-3, 1e3]])
    p = fastdl.igamma(_t(a), _t(x)).numpy()
    q = fastdl.special.gammaincc(_t(a), _t(x)).numpy()
    rp, rq = sp.gammainc(a, x), sp.gammaincc(a, x)
    for got, ref in ((p, rp), (q, rq)):
        m = ref > 1e-290
        assert np.max(np.abs(got[m] - ref[m]) / ref[m]) < 1e-10
        assert np.all(np.abs(got[~m] - ref[~m]) < 1e-290)
    assert np.allclose(p + q, 1, rtol=0, atol=1e-14)


def test_igamma_special_values_and_float32():
    a = [0., 0., -1, 1, 1, math.inf, 1, 2., math.nan]
    x = [0., 1, 1, -1, math.inf, 1, 0, math.inf, 1]
    p = fastdl.igamma(_t(a), _t(x)).numpy()
    np.testing.assert_array_equal(p, [np.nan, 1, np.nan, np.nan, 1, 0, 0, 1, np.nan])
    q = fastdl.igammac(_t(a), _t(x)).numpy()
    np.testing.assert_array_equal(q, [np.nan, 0, np.nan, np.nan, 0, 1, 1, 0, np.nan])
    r = fastdl.special.gammainc(_t([[0.5], [3.0]], fastdl.float32), _t([0.2, 4.0], fastdl.float32))
    assert r.dtype is fastdl.float32 and tuple(r.shape) == (2, 2)
    np.testing.assert_allclose(r.numpy(), sp.gammainc([[0.5], [3.0]], [0.2, 4.0]), rtol=1e-6)
    mixed = fastdl.igamma(_t([1.0], fastdl.float32), _t([1.0]))
    assert mixed.dtype is fastdl.float64


def test_igamma_methods_and_inplace():
    a, x = _t([0.5, 2.0, 7.0]), _t([1.0, 1.5, 9.0])
    np.testing.assert_allclose(a.igamma(x).numpy(), sp.gammainc(a.numpy(), x.numpy()), rtol=1e-12)
    np.testing.assert_allclose(a.igammac(x).numpy(), sp.gammaincc(a.numpy(), x.numpy()), rtol=1e-12)
    b = a.clone()
    assert b.igamma_(x) is b
    np.testing.assert_allclose(b.numpy(), sp.gammainc(a.numpy(), x.numpy()), rtol=1e-12)
    c = a.clone()
    c.igammac_(x)
    np.testing.assert_allclose(c.numpy(), sp.gammaincc(a.numpy(), x.numpy()), rtol=1e-12)
    out = fastdl.empty(3, dtype=fastdl.float64)
    fastdl.igamma(a, x, out=out)
    np.testing.assert_allclose(out.numpy(), sp.gammainc(a.numpy(), x.numpy()), rtol=1e-12)


def test_igamma_gradcheck_x_only():
    a = _t([[0.3], [2.5], [40.0]])
    x = _t([0.7, 3.0, 45.0], requires_grad=True)
    assert fastdl.autograd.gradcheck(lambda x: fastdl.igamma(a, x), (x,))
    assert fastdl.autograd.gradcheck(lambda x: fastdl.igammac(a, x), (x,))
    assert fastdl.autograd.gradgradcheck(lambda x: fastdl.igamma(a, x), (x,))
    # the gradient is the Gamma(a, 1) density
    g, = fastdl.autograd.grad(fastdl.igamma(_t(2.5), x).sum(), x)
    x_ = x.detach().numpy()
    np.testing.assert_allclose(g.numpy(), x_ ** 1.5 * np.exp(-x_) / math.gamma(2.5), rtol=1e-12)
    a_g = _t([1.5], requires_grad=True)
    y = fastdl.igamma(a_g, _t([1.0]))
    with pytest.raises(NotImplementedError, match="igamma: input"):
        y.sum().backward()


def test_igamma_bad_inputs():
    with pytest.raises(NotImplementedError, match="igamma"):
        fastdl.igamma(fastdl.tensor([1, 2]), fastdl.tensor([1, 2]))
    with pytest.raises(TypeError, match="igammac"):
        fastdl.igammac(1.0, 2.0)
    with pytest.raises(TypeError, match="igamma"):
        fastdl.igamma(_t([1.0]), "x")
    with pytest.raises(RuntimeError):
        fastdl.igamma(_t([1.0, 2.0]), _t([1.0, 2.0, 3.0]))


def test_igamma_torch_parity():
    # torch's own error near a ~ x ~ 100 is ~1e-9 relative (mpmath agrees with scipy and fastdl there)
    torch = pytest.importorskip("torch")
    a = np.array([[0.01], [0.7], [5.0], [120.0]])
    x = np.array([0.05, 1.0, 6.0, 110.0, 300.0])
    for f, tf in ((fastdl.igamma, torch.igamma), (fastdl.igammac, torch.igammac),
                  (fastdl.special.gammainc, torch.special.gammainc)):
        np.testing.assert_allclose(f(_t(a), _t(x)).numpy(), tf(torch.tensor(a), torch.tensor(x)).numpy(),
                                   rtol=5e-9, atol=1e-300)
    xt = torch.tensor(x, requires_grad=True)
    torch.igammac(torch.tensor(a), xt).sum().backward()
    xf = _t(x, requires_grad=True)
    fastdl.igammac(_t(a), xf).sum().backward()
    np.testing.assert_allclose(xf.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-300)


# ---- top level: promotion queries, range, empty_strided, print options ----
def test_promotion_queries():
    f = fastdl
    assert f.promote_types(f.float16, f.bfloat16) is f.float32
    assert f.promote_types(f.int64, f.float16) is f.float16
    assert f.promote_types(f.bool, f.int64) is f.int64
    assert f.can_cast(f.float64, f.float32) and f.can_cast(f.int64, f.float16) and f.can_cast(f.bool, f.int64)
    assert not f.can_cast(f.float32, f.int64) and not f.can_cast(f.int64, f.bool)
    assert f.result_type(f.tensor([1]), 1.0) is f.get_default_dtype()
    assert f.result_type(f.tensor([1.0], dtype=f.float16), f.tensor(1.0, dtype=f.float64)) is f.float16
    assert f.result_type(2, f.tensor([True])) is f.int64
    with pytest.raises(TypeError, match="promote_types"):
        f.promote_types(f.float32, "float64")
    with pytest.raises(TypeError, match="result_type"):
        f.result_type(f.tensor([1]), "a")
    torch = pytest.importorskip("torch")
    names = ["float32", "float64", "float16", "bfloat16", "int64", "bool"]
    for a in names:
        for b in names:
            assert str(f.promote_types(getattr(f, a), getattr(f, b))).split(".")[-1] == \
                str(torch.promote_types(getattr(torch, a), getattr(torch, b))).split(".")[-1]
            assert f.can_cast(getattr(f, a), getattr(f, b)) == torch.can_cast(getattr(torch, a), getattr(torch, b))


def test_range_and_empty_strided():
    with pytest.warns(UserWarning, match="deprecated"):
        r = fastdl.range(0, 1, 0.3)
    assert r.dtype is fastdl.get_default_dtype()
    np.testing.assert_allclose(r.numpy(), [0, 0.3, 0.6, 0.9], rtol=1e-6)
    with pytest.warns(UserWarning):
        assert fastdl.range(1, 4).tolist() == [1.0, 2.0, 3.0, 4.0]
        assert fastdl.range(4, 1, -1).tolist() == [4.0, 3.0, 2.0, 1.0]
        assert fastdl.range(1, 4, dtype=fastdl.int64).dtype is fastdl.int64
        with pytest.raises(RuntimeError, match="step"):
            fastdl.range(0, 1, 0)
        with pytest.raises(RuntimeError, match="inconsistent"):
            fastdl.range(0, 1, -1)
    e = fastdl.empty_strided((2, 3), (1, 2), dtype=fastdl.float64)
    assert tuple(e.shape) == (2, 3) and e.stride() == (1, 2) and e.dtype is fastdl.float64
    e.copy_(fastdl.ones(2, 3))
    assert e.sum().item() == 6
    assert fastdl.empty_strided((0, 4), (4, 1)).numel() == 0
    with pytest.raises(RuntimeError, match="mismatch"):
        fastdl.empty_strided((2, 3), (1,))


@pytest.fixture
def _restore_print():
    yield
    fastdl.set_printoptions(profile="default")


def test_printoptions(_restore_print):
    x = fastdl.tensor([1.23456, 2.5])
    assert repr(x) == "tensor([1.2346, 2.5000])"
    fastdl.set_printoptions(precision=2)
    assert repr(x) == "tensor([1.23, 2.50])"
    fastdl.set_printoptions(sci_mode=True)
    assert repr(x) == "tensor([1.23e+00, 2.50e+00])"
    assert fastdl.get_printoptions() == dict(precision=2, threshold=1000, edgeitems=3, linewidth=80, sci_mode=True)
    fastdl.set_printoptions(profile="default", sci_mode=False)
    assert repr(fastdl.tensor([1e-9, 1e10])) == "tensor([          0.0000, 10000000000.0000])"
    fastdl.set_printoptions(profile="default", threshold=5, edgeitems=1)
    assert "..." in repr(fastdl.arange(10.0)) and "8." not in repr(fastdl.arange(10.0))
    fastdl.set_printoptions(profile="short")
    assert fastdl.get_printoptions()["edgeitems"] == 2 and repr(x) == "tensor([1.23, 2.50])"
    fastdl.set_printoptions(profile="full")
    assert "..." not in repr(fastdl.arange(2000.0))
    fastdl.set_printoptions(profile="default", linewidth=20)
    assert max(len(s) for s in repr(fastdl.arange(12.0)).splitlines()) <= 21
    with pytest.raises(ValueError, match="profile"):
        fastdl.set_printoptions(profile="long")
    with pytest.raises(ValueError, match="precision"):
        fastdl.set_printoptions(precision=-1)
    torch = pytest.importorskip("torch")
    try:
        fastdl.set_printoptions(profile="default")
        for kw in (dict(precision=2), dict(sci_mode=True), dict(profile="short")):
            fastdl.set_printoptions(**kw)
            torch.set_printoptions(**kw)
            v = [0.5, 1.25, 3.75]
            assert repr(fastdl.tensor(v)) == repr(torch.tensor(v))
    finally:
        torch.set_printoptions(profile="default")
