"""fastdl.poisson and the in-place fills random_ / exponential_ / geometric_ / log_normal_
/ cauchy_: their laws at a fixed seed (CDF and mean checks with tolerances from the
sample size), dtypes and ranges, reproducibility under manual_seed and generator=, and
errors."""
import math

import numpy as np
import pytest

import fastdl

st = pytest.importorskip("scipy.stats")

N = 40000
Z = 5.0  # standard errors allowed: a false alarm has probability ~6e-7 per check


def _np(t):
    return t.detach().cpu().numpy()


def _check_cdf(samples, ref, qs=(0.1, 0.3, 0.5, 0.7, 0.9)):
    """The empirical CDF at ref's quantiles within Z binomial standard errors."""
    for q in qs:
        x = ref.ppf(q)
        F = ref.cdf(x)
        emp = (samples <= x).mean()
        assert abs(emp - F) <= Z * math.sqrt(F * (1 - F) / samples.size) + 1e-12, (q, x, emp, F)


@pytest.mark.parametrize("rate", [0.0, 0.3, 4.0, 9.5, 10.0, 75.0, 2500.0])
def test_poisson_law(rate):
    fastdl.manual_seed(1)
    s = _np(fastdl.poisson(fastdl.full((N,), rate, dtype=fastdl.float64)))
    assert np.all(s == np.round(s)) and s.min() >= 0
    if rate == 0:
        assert np.all(s == 0)
        return
    assert abs(s.mean() - rate) <= Z * math.sqrt(rate / N)
    _check_cdf(s, st.poisson(rate))


def test_poisson_shape_dtype_reproducibility_and_no_gradient():
    rates = fastdl.tensor([[1.0, 20.0], [3.0, 0.5]], requires_grad=True)
    fastdl.manual_seed(3)
    a = fastdl.poisson(rates)
    fastdl.manual_seed(3)
    b = fastdl.poisson(rates)
    assert a.shape == (2, 2) and a.dtype == fastdl.float32 and not a.requires_grad
    assert np.array_equal(_np(a), _np(b))
    g1, g2 = fastdl.Generator(5), fastdl.Generator(5)
    assert np.array_equal(_np(fastdl.poisson(rates, generator=g1)), _np(fastdl.poisson(rates, generator=g2)))
    assert fastdl.poisson(fastdl.zeros(0)).shape == (0,)


def test_poisson_against_torch_dtypes():
    torch = pytest.importorskip("torch")
    for dt, tdt in ((fastdl.float32, torch.float32), (fastdl.float64, torch.float64)):
        assert str(fastdl.poisson(fastdl.ones(3, dtype=dt)).dtype).split(".")[-1] == \
            str(torch.poisson(torch.ones(3, dtype=tdt)).dtype).split(".")[-1]


@pytest.mark.parametrize("bad, exc, words", [
    (lambda: fastdl.poisson(fastdl.tensor([1.0, -1.0])), RuntimeError, ["poisson", "rate"]),
    (lambda: fastdl.poisson(fastdl.tensor([float("nan")])), RuntimeError, ["poisson", "rate"]),
    (lambda: fastdl.poisson(fastdl.tensor([float("inf")])), RuntimeError, ["poisson", "infinite"]),
    (lambda: fastdl.poisson(fastdl.tensor([1, 2])), TypeError, ["poisson", "int64"]),
    (lambda: fastdl.poisson([1.0]), TypeError, ["poisson"]),
])
def test_poisson_errors(bad, exc, words):
    with pytest.raises(exc) as err:
        bad()
    for w in words:
        assert w in str(err.value)


# ---- in-place fills -------------------------------------------------------------------

FILLS = {
    "exponential_": (lambda t, g=None: t.exponential_(2.5, generator=g), st.expon(scale=1 / 2.5)),
    "log_normal_": (lambda t, g=None: t.log_normal_(0.5, 0.75, generator=g), st.lognorm(s=0.75, scale=math.exp(0.5))),
    "cauchy_": (lambda t, g=None: t.cauchy_(1.0, 2.0, generator=g), st.cauchy(1.0, 2.0)),
    "geometric_": (lambda t, g=None: t.geometric_(0.3, generator=g), st.geom(0.3)),
}


@pytest.mark.parametrize("name", sorted(FILLS))
def test_fill_laws(name):
    fill, ref = FILLS[name]
    t = fastdl.empty(N, dtype=fastdl.float64)
    fastdl.manual_seed(2)
    assert fill(t) is t
    s = _np(t)
    _check_cdf(s, ref)
    if name != "cauchy_":
        assert abs(s.mean() - ref.mean()) <= Z * ref.std() / math.sqrt(N)
    if name == "geometric_":
        assert s.min() >= 1 and np.all(s == np.round(s))


@pytest.mark.parametrize("name", sorted(FILLS))
def test_fills_reproducible_and_in_place(name):
    fill, _ = FILLS[name]
    a, b = fastdl.empty(2, 3), fastdl.empty(2, 3)
    fastdl.manual_seed(4)
    fill(a)
    fastdl.manual_seed(4)
    fill(b)
    assert np.array_equal(_np(a), _np(b)) and a.dtype == fastdl.float32
    c, d = fastdl.empty(2, 3), fastdl.empty(2, 3)
    fill(c, fastdl.Generator(9))
    fill(d, fastdl.Generator(9))
    assert np.array_equal(_np(c), _np(d)) and not np.array_equal(_np(a), _np(c))
    # a non-contiguous view is filled through, its base sees the values
    base = fastdl.zeros(3, 4)
    view = base.t()
    fill(view)
    assert np.array_equal(_np(view), _np(base).T) and np.all(_np(base) != 0)


def test_fill_versions_and_leaf_errors():
    t = fastdl.zeros(3)
    v = t._version if hasattr(t, "_version") else None
    t.exponential_()
    if v is not None:
        assert t._version > v
    leaf = fastdl.zeros(3, requires_grad=True)
    for name in ("exponential_", "log_normal_", "cauchy_", "random_"):
        with pytest.raises(RuntimeError, match="leaf"):
            getattr(leaf, name)()
    with pytest.raises(RuntimeError, match="leaf"):
        leaf.geometric_(0.5)
    with fastdl.no_grad():
        leaf.exponential_()  # allowed under no_grad, as torch


@pytest.mark.parametrize("call, exc, words", [
    (lambda: fastdl.zeros(3).exponential_(0.0), RuntimeError, ["exponential_", "lambda", "0.0"]),
    (lambda: fastdl.zeros(3).exponential_(-1.0), RuntimeError, ["exponential_", "lambda"]),
    (lambda: fastdl.zeros(3).geometric_(0.0), RuntimeError, ["geometric_", "p", "(0, 1)"]),
    (lambda: fastdl.zeros(3).geometric_(1.5), RuntimeError, ["geometric_", "1.5"]),
    (lambda: fastdl.zeros(3).log_normal_(0.0, -1.0), RuntimeError, ["log_normal_", "std"]),
    (lambda: fastdl.zeros(3).cauchy_(0.0, 0.0), RuntimeError, ["cauchy_", "sigma"]),
    (lambda: fastdl.zeros(3, dtype=fastdl.int64).exponential_(), TypeError, ["exponential_", "int64"]),
    (lambda: fastdl.zeros(3, dtype=fastdl.int64).log_normal_(), TypeError, ["log_normal_", "int64"]),
    (lambda: fastdl.zeros(3, dtype=fastdl.int64).cauchy_(), TypeError, ["cauchy_", "int64"]),
    (lambda: fastdl.zeros(3).exponential_("a"), TypeError, ["exponential_", "lambd"]),
    (lambda: fastdl.zeros(3).random_(5, 2), RuntimeError, ["random_", "from=5", "to=2"]),
    (lambda: fastdl.zeros(3).random_(1.5), TypeError, ["random_"]),
    (lambda: fastdl.zeros(3, dtype=fastdl.bool).random_(0, 3), RuntimeError, ["random_", "bool"]),
    (lambda: fastdl.zeros(3).random_(0, 1, 2), TypeError, ["random_"]),
])
def test_fill_errors(call, exc, words):
    with pytest.raises(exc) as err:
        call()
    for w in words:
        assert w in str(err.value), (w, str(err.value))


def test_geometric_fill_on_int64():
    t = fastdl.zeros(N, dtype=fastdl.int64).geometric_(0.5)
    s = _np(t)
    assert t.dtype == fastdl.int64 and s.min() >= 1
    assert abs(s.mean() - 2.0) <= Z * math.sqrt(2.0 / N)  # mean 1/p, variance (1-p)/p^2


# ---- random_ ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype, high", [
    ("float32", 2 ** 24), ("float64", 2 ** 53), ("float16", 2 ** 11), ("bfloat16", 2 ** 8),
    ("int64", 2 ** 63 - 1), ("bool", 1),
])
def test_random_default_ranges(dtype, high):
    t = fastdl.empty(N, dtype=getattr(fastdl, dtype)).random_()
    s = _np(t.to(fastdl.float64)) if dtype != "int64" else _np(t)
    assert s.min() >= 0 and s.max() <= high and np.all(s == np.round(s))
    if high <= 2 ** 11:  # small ranges: both ends are drawn, the mean is high / 2
        assert s.max() == high and s.min() == 0
        sd = math.sqrt(((high + 1) ** 2 - 1) / 12)
        assert abs(s.mean() - high / 2) <= Z * sd / math.sqrt(N)
    else:
        assert s.max() > high * 0.99


def test_random_from_to():
    t = fastdl.empty(N)
    s = _np(t.random_(3, 8))
    assert set(np.unique(s)) == {3.0, 4.0, 5.0, 6.0, 7.0}
    for v in range(3, 8):
        assert abs((s == v).mean() - 0.2) <= Z * math.sqrt(0.16 / N)
    assert set(np.unique(_np(t.random_(4)))) == {0.0, 1.0, 2.0, 3.0}
    s = _np(fastdl.empty(N, dtype=fastdl.int64).random_(-5, -2))
    assert set(np.unique(s)) == {-5, -4, -3}
    s = _np(fastdl.empty(1000).random_(-3, None))
    assert s.min() >= -3 and s.max() > 1000
    assert set(np.unique(_np(fastdl.empty(100).random_(to=2)))) <= {0.0, 1.0}


def test_random_reproducible_and_generator():
    fastdl.manual_seed(6)
    a = _np(fastdl.empty(10).random_(100))
    fastdl.manual_seed(6)
    b = _np(fastdl.empty(10).random_(100))
    assert np.array_equal(a, b)
    c = _np(fastdl.empty(10).random_(100, generator=fastdl.Generator(1)))
    d = _np(fastdl.empty(10).random_(100, generator=fastdl.Generator(1)))
    assert np.array_equal(c, d)


def test_random_against_torch_ranges():
    torch = pytest.importorskip("torch")
    for dt in ("float16", "bfloat16"):
        ours = _np(fastdl.empty(20000, dtype=getattr(fastdl, dt)).random_().to(fastdl.float64))
        theirs = torch.empty(20000, dtype=getattr(torch, dt)).random_().double().numpy()
        assert ours.max() == theirs.max() and ours.min() == theirs.min() == 0
