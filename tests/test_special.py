"""fastdl.special (torch.special), the special-function ops and Tensor methods, and
Normal.cdf / icdf: values against float64 references (math, mpmath at 40 digits),
edge values, gradients, and torch.special / torch.distributions where torch is installed.
The op_table rows (tests/op_table.py) add layouts, float32 and gradcheck for each op."""
import math

import numpy as np
import pytest

import fastdl
import fastdl.special as S
from fastdl.distributions import Normal
from fastdl.testing import gradcheck
from test_cuda_backend import gpu

mpmath = pytest.importorskip("mpmath")

f64 = fastdl.float64
INF, NAN = math.inf, math.nan


def _t(v, dtype=f64, **kw):
    return fastdl.tensor(np.asarray(v, dtype=np.float64), dtype=dtype, **kw)


def _mp(fn, xs):
    out = []
    for v in np.asarray(xs, dtype=np.float64).ravel():
        with mpmath.workdps(40):
            out.append(float(fn(mpmath.mpf(float(v)))))
    return np.array(out).reshape(np.shape(xs))


def _ndtri_ref(p):
    """sqrt(2) erfinv(2p - 1) with enough digits that 2p - 1 keeps all of p (p >= 1e-320)."""
    v = float(p)
    with mpmath.workdps(40 + int(-math.log10(v)) if 0 < v < 0.5 else 40):
        return mpmath.sqrt(2) * mpmath.erfinv(2 * p - 1)


def _log_ndtr_ref(v):
    return mpmath.log1p(-mpmath.ncdf(-v)) if v > 0 else mpmath.log(mpmath.ncdf(v))


def _close(got, want, rtol=1e-12, atol=0.0):
    got = got.detach().numpy() if isinstance(got, fastdl.Tensor) else np.asarray(got)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


RNG = np.random.default_rng(7)
WIDE = np.concatenate([RNG.uniform(-6, 6, 200), 10.0 ** RNG.uniform(-8, 2, 50)])
POS = np.concatenate([RNG.uniform(1e-3, 40, 300), 10.0 ** RNG.uniform(-6, 6, 60)])
NEG = -(RNG.integers(0, 30, 200) + RNG.uniform(0.02, 0.98, 200))  # away from the poles
UNIT = np.concatenate([RNG.uniform(-1, 1, 300), 1 - 10.0 ** RNG.uniform(-16, -1, 60),
                       -1 + 10.0 ** RNG.uniform(-16, -1, 60)])
PROB = np.concatenate([RNG.uniform(0, 1, 300), 10.0 ** RNG.uniform(-300, -1, 100),
                       1 - 10.0 ** RNG.uniform(-15, -1, 50)])
BESSEL = np.concatenate([RNG.uniform(-35, 35, 300), RNG.uniform(-700, 700, 60), [0.0, 29.999, 30.0, 30.001]])

# (fastdl function, mpmath reference, inputs, float64 rtol): rtol covers conditioning only
# (digamma / polygamma near their zeros are compared with an absolute floor below)
CASES = {
    "erf": (S.erf, mpmath.erf, WIDE, 1e-15),
    "erfc": (S.erfc, mpmath.erfc, np.concatenate([WIDE, RNG.uniform(5, 26, 50)]), 1e-13),
    "erfinv": (S.erfinv, mpmath.erfinv, UNIT, 1e-15),
    "gammaln": (S.gammaln, lambda v: mpmath.log(abs(mpmath.gamma(v))), np.concatenate([POS, NEG[NEG > -20]]), 1e-13),
    "digamma": (S.digamma, mpmath.digamma, np.concatenate([POS, NEG]), 1e-13),
    "polygamma1": (lambda x: S.polygamma(1, x), lambda v: mpmath.polygamma(1, v), np.concatenate([POS, NEG]), 1e-13),
    "polygamma2": (lambda x: S.polygamma(2, x), lambda v: mpmath.polygamma(2, v), np.concatenate([POS, NEG]), 1e-13),
    "polygamma5": (lambda x: S.polygamma(5, x), lambda v: mpmath.polygamma(5, v), np.concatenate([POS, NEG]), 1e-13),
    "i0": (S.i0, lambda v: mpmath.besseli(0, v), BESSEL, 1e-14),
    "i1": (S.i1, lambda v: mpmath.besseli(1, v), BESSEL, 1e-14),
    "sinc": (S.sinc, lambda v: mpmath.sin(mpmath.pi * v) / (mpmath.pi * v) if v else mpmath.mpf(1), WIDE[:100], 1e-9),
    "ndtr": (S.ndtr, mpmath.ncdf, np.concatenate([WIDE * 5, [-37.0, -20.0]]), 1e-13),
    "ndtri": (S.ndtri, _ndtri_ref, PROB, 1e-14),
    "log_ndtr": (S.log_ndtr, _log_ndtr_ref,
                 np.concatenate([WIDE * 8, RNG.uniform(-1e4, -5, 50), [-40.0, -20.0, -19.99, -20.01]]), 1e-13),
    "expit": (S.expit, lambda v: 1 / (1 + mpmath.exp(-v)), WIDE, 1e-15),
    "exp2": (S.exp2, lambda v: mpmath.mpf(2) ** v, WIDE, 1e-14),
    "expm1": (S.expm1, mpmath.expm1, WIDE, 1e-15),
    "log1p": (S.log1p, mpmath.log1p, POS, 1e-15),
    "entr": (S.entr, lambda v: -v * mpmath.log(v), POS, 1e-14),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_float64_against_mpmath(name):
    fn, ref, xs, rtol = CASES[name]
    want = _mp(ref, xs)
    got = fn(_t(xs)).numpy()
    # near a zero of the function the error is relative to the terms that cancelled
    floor = 1e-14 * np.maximum(1.0, np.abs(xs)) if name.startswith(("digamma", "polygamma", "sinc")) else 0.0
    if name in ("ndtr", "log_ndtr"):  # x / sqrt(2) rounds: erfc's relative error grows as x^2 ulp in the tail
        rtol = rtol * (1 + np.square(xs))
    err = np.abs(got - want)
    bad = err > rtol * np.abs(want) + floor + 1e-300  # (subnormal results keep fewer digits)
    assert not bad.any(), f"{name}: worst at x={xs[bad][:3]}: got {got[bad][:3]}, want {want[bad][:3]}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_float32_is_the_rounded_float64(name):
    fn, ref, xs, _ = CASES[name]
    x32 = np.asarray(xs, np.float32)
    if name == "ndtri":  # keep away from the float32 rounding of p near 1
        x32 = x32[(x32 < 0.99) & (x32 > 0)]
    with np.errstate(over="ignore"):  # i0 / i1 beyond float32's range: inf, as the float32 op
        want = fn(_t(x32.astype(np.float64))).numpy().astype(np.float32)  # same inputs, float64 op, rounded
    got = fn(_t(x32, dtype=fastdl.float32)).numpy()
    ok = np.isclose(got, want, rtol=4e-7, atol=1e-30) | (np.isinf(want) & (got == want))
    # composed functions (ndtr, log_ndtr, entr, exp2, expit) round at every step
    if name in ("ndtr", "log_ndtr", "entr", "exp2", "expit", "sinc", "erf", "erfc", "gammaln", "expm1", "log1p"):
        ok |= np.isclose(got, want, rtol=2e-5, atol=1e-6)
    assert ok.all(), f"{name}: x={x32[~ok][:3]} got {got[~ok][:3]} want {want[~ok][:3]}"


def test_polygamma_far_below_zero_and_large_order():
    # x far below 0 goes through the reflection, not |x| recurrence steps (x = -1e9 took
    # ~10^9 steps: a hang on a GPU thread); a large n stops its direct sum once the rest
    # is below an ulp. Both quick and accurate.
    def reference(n, v):  # mpmath's own polygamma takes ~forever at -1e9: its reflection formula
        v = mpmath.mpf(v)
        cot_n = mpmath.diff(lambda t: mpmath.cot(mpmath.pi * t), v, n)
        return float((-1) ** (n + 1) * ((-1) ** n * mpmath.pi * cot_n - mpmath.polygamma(n, 1 - v)))

    xs = [-64.5, -63.25, -100.25, -12345.75, -1e9 + 0.5]
    for n in (1, 2, 3):
        assert reference(n, -63.25) == pytest.approx(float(mpmath.polygamma(n, -63.25)), rel=1e-14)
        # odd n + 1 near a zero (x = -64.5): the error is relative to the terms that cancelled (~10)
        _close(S.polygamma(n, _t(xs)), [reference(n, v) for v in xs], rtol=1e-12, atol=1e-13)
    xs = [0.5, 3.0, 70.0]
    _close(S.polygamma(60, _t(xs)), [float(mpmath.polygamma(60, v)) for v in xs], rtol=1e-12)
    assert S.polygamma(500, _t([3.0])).item() == -INF  # 500! overflows, as torch's exp(lgamma(501))


def test_edge_values():
    _close(S.erfinv(_t([1.0, -1.0, 1.5, -1.0001, 0.0, NAN])), [INF, -INF, NAN, NAN, 0.0, NAN])
    assert math.copysign(1.0, S.erfinv(_t([-0.0])).item()) < 0
    _close(S.gammaln(_t([0.0, -1.0, -2.0, -50.0, INF, -INF, 1.0, 2.0])), [INF] * 6 + [0.0, 0.0])
    _close(S.digamma(_t([0.0, -0.0, -1.0, -7.0, INF, -INF, NAN])), [-INF, INF, NAN, NAN, INF, NAN, NAN])
    _close(S.digamma(_t([1.0])), [-0.5772156649015329])
    # polygamma at the poles: (-1)^(n+1) inf, as torch; 0 at +inf; n = 0 is digamma
    _close(S.polygamma(1, _t([0.0, -3.0, INF])), [INF, INF, 0.0])
    _close(S.polygamma(2, _t([0.0, -3.0])), [-INF, -INF])
    _close(S.polygamma(3, _t([-0.0])), [INF])
    _close(S.polygamma(0, _t([2.5, -0.5])), _mp(mpmath.digamma, [2.5, -0.5]))
    _close(S.i0(_t([0.0, 700.0, 800.0, -800.0])), [1.0, float(mpmath.besseli(0, 700)), INF, INF], rtol=1e-13)
    _close(S.i1(_t([0.0, 700.0, 800.0, -800.0, -0.5])), [0.0, float(mpmath.besseli(1, 700)), INF, -INF,
                                                          float(mpmath.besseli(1, -0.5))], rtol=1e-13)
    _close(S.sinc(_t([0.0, 1.0, -2.0, 0.5])), [1.0, 0.0, 0.0, 2 / math.pi], atol=1e-16)
    _close(S.ndtri(_t([0.0, 1.0, 0.5, -0.1, 1.1, NAN])), [-INF, INF, 0.0, NAN, NAN, NAN])
    _close(S.ndtri(_t([1e-300])), _mp(_ndtri_ref, [1e-300]), rtol=1e-14)
    # log_ndtr(-40) = log(ncdf(-40)) = -804.6084420137538, far below what log(ndtr) can reach
    got = S.log_ndtr(_t([-40.0, -1e10, -INF, INF, NAN]))
    _close(got[0], float(mpmath.log(mpmath.ncdf(-40))), rtol=1e-14)
    _close(got[1], -5e19, rtol=1e-14)
    _close(got[2:], [-INF, 0.0, NAN])
    assert np.isfinite(S.log_ndtr(_t([-40.0], dtype=fastdl.float32)).item())
    _close(S.log_ndtr(_t([-40.0], dtype=fastdl.float32)), [-804.6084420137538], rtol=1e-6)
    _close(S.entr(_t([0.0, -1.0, 1.0, INF, NAN])), [0.0, -INF, 0.0, -INF, NAN])
    _close(S.xlog1py(_t([0.0, 0.0, 2.0]), _t([-1.0, NAN, 0.5])), [0.0, NAN, 2 * math.log1p(0.5)])
    _close(S.xlogy(_t([0.0, 3.0]), _t([0.0, 2.0])), [0.0, 3 * math.log(2)])


def test_gradients_at_the_special_points():
    x = _t([0.0, 1.0, -1.0], requires_grad=True)
    S.sinc(x).sum().backward()
    _close(x.grad, [0.0, -1.0, 1.0], atol=1e-15)  # sinc'(0) = 0 (the limit); cos(pi)/1 = -1
    x = _t([0.0, 2.0], requires_grad=True)
    S.i1(x).sum().backward()
    _close(x.grad, [0.5, float(mpmath.besseli(0, 2) - mpmath.besseli(1, 2) / 2)], rtol=1e-14)
    x = _t([1.0, -1.0, 0.0], requires_grad=True)
    S.erfinv(x).sum().backward()
    _close(x.grad, [INF, INF, math.sqrt(math.pi) / 2])
    x = _t([1.5], requires_grad=True)
    S.gammaln(x).sum().backward()  # lgamma' = digamma
    _close(x.grad, _mp(mpmath.digamma, [1.5]), rtol=1e-14)
    x = _t([1.5], requires_grad=True)
    S.polygamma(3, x).sum().backward()  # polygamma(n)' = polygamma(n + 1)
    _close(x.grad, _mp(lambda v: mpmath.polygamma(4, v), [1.5]), rtol=1e-13)


def test_sinc_gradient_near_zero_and_far():
    # the small-x series and the large-x formula against mpmath's derivative; torch's own
    # formula cancels for |x| << 1 (relative error ~1e-16 / x^2)
    xs = np.array([1e-9, -3e-6, 1e-3, 0.05, -0.0999, 0.1001, 0.37, 2.5, -7.25, 90.3])
    x = _t(xs, requires_grad=True)
    S.sinc(x).sum().backward()
    want = _mp(lambda v: mpmath.diff(lambda t: mpmath.sin(mpmath.pi * t) / (mpmath.pi * t), v), xs)
    _close(x.grad, want, rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("name", ["ndtr", "log_ndtr", "ndtri", "entr", "xlog1py", "multigammaln", "i1", "exp2"])
def test_gradcheck(name):
    xs = {"ndtr": [-30.0, -3.0, 0.2, 4.0], "log_ndtr": [-40.0, -25.0, -20.0001, -12.0, -9.0, -1.0, 0.0001, 3.0],
          "ndtri": [0.001, 0.3, 0.5, 0.97], "entr": [0.1, 1.0, 3.0], "multigammaln": [2.1, 3.0, 7.5],
          "i1": [-40.0, -3.0, 0.5, 31.0], "exp2": [-3.0, 0.5, 7.0], "xlog1py": [0.5, -2.0, 3.0]}[name]
    x = _t(xs, requires_grad=True)
    if name == "xlog1py":
        y = _t([-0.5, 0.3, 4.0], requires_grad=True)
        assert gradcheck(S.xlog1py, [x, y])
    elif name == "multigammaln":
        assert gradcheck(lambda v: S.multigammaln(v, 4), [x])
    else:
        assert gradcheck(getattr(S, name), [x])


def test_aliases_and_methods():
    assert S.gammaln is fastdl.lgamma and S.psi is fastdl.digamma and S.multigammaln is fastdl.mvlgamma
    assert S.expit is fastdl.sigmoid and S.polygamma is fastdl.polygamma
    x = _t([0.3, 1.7, 2.5])
    for name in ("erf", "erfc", "erfinv", "lgamma", "digamma", "i0", "sinc"):
        x1 = x * 0.5 if name == "erfinv" else x
        _close(getattr(x1, name)(), getattr(fastdl, name)(x1).numpy(), rtol=0)
        y = x1.clone()
        assert getattr(y, name + "_")() is y
        _close(y, getattr(fastdl, name)(x1).numpy(), rtol=0)
    _close(x.polygamma(2), S.polygamma(2, x).numpy(), rtol=0)
    _close((x + 2).mvlgamma(3), S.multigammaln(x + 2, 3).numpy(), rtol=0)
    y = x.clone()
    assert y.polygamma_(1) is y
    _close(y, S.polygamma(1, x).numpy(), rtol=0)
    # ints promote to the default dtype, as torch's float ops
    r = fastdl.erf(fastdl.tensor([0, 1]))
    assert r.dtype == fastdl.get_default_dtype()
    _close(r, [0.0, math.erf(1.0)], rtol=1e-6)
    _close(S.multigammaln(_t([2.5]), 1), [math.lgamma(2.5)], rtol=1e-14)
    _close(S.multigammaln(_t([2.5]), 2), [math.lgamma(2.5) + math.lgamma(2.0) + 0.5 * math.log(math.pi)], rtol=1e-14)
    with pytest.raises(ValueError, match="mvlgamma: all elements must be greater than"):
        S.multigammaln(_t([0.5, 2.0]), 2)


def test_reexported_functions_match_fastdl():
    x = _t(RNG.standard_normal((3, 4)))
    _close(S.logsumexp(x, 1), fastdl.logsumexp(x, 1).numpy(), rtol=0)
    _close(S.softmax(x, 0), fastdl.softmax(x, 0).numpy(), rtol=0)
    _close(S.log_softmax(x, 1, dtype=fastdl.float32), fastdl.log_softmax(x, 1).numpy(), rtol=1e-6)
    assert S.log_softmax(x, 1, dtype=fastdl.float32).dtype == fastdl.float32
    p = S.expit(x)
    _close(S.logit(p), x.numpy(), rtol=1e-12, atol=1e-12)
    _close(S.logit(p, eps=0.3), fastdl.logit(p, 0.3).numpy(), rtol=0)


# ---- torch -------------------------------------------------------------------------------

_TORCH = {  # fastdl.special name: (torch spelling, inputs)
    "erf": ("erf", WIDE), "erfc": ("erfc", WIDE), "erfinv": ("erfinv", UNIT[:300]), "gammaln": ("gammaln", POS[:300]),
    "digamma": ("digamma", np.concatenate([POS[:300], NEG])), "psi": ("psi", POS[:50]), "i0": ("i0", BESSEL[:300]),
    "i1": ("i1", BESSEL[:300]), "sinc": ("sinc", WIDE[:200]), "expit": ("expit", WIDE), "exp2": ("exp2", WIDE),
    "expm1": ("expm1", WIDE), "log1p": ("log1p", POS),
    # torch's ndtr is (1 + erf(x / sqrt 2)) / 2: it cancels for x < 0 (0 below -8.3), ours does not
    "ndtr": ("ndtr", WIDE[WIDE > -1.0] * 3), "ndtri": ("ndtri", PROB[:300]),
    "log_ndtr": ("log_ndtr", np.concatenate([WIDE * 8, [-40.0, -100.0, -20.0, -10.0]])), "entr": ("entr", POS),
}


@pytest.mark.parametrize("name", sorted(_TORCH))
def test_matches_torch_special(name):
    torch = pytest.importorskip("torch")
    tname, xs = _TORCH[name]
    x = _t(xs, requires_grad=True)
    tx = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    got, want = getattr(S, name)(x), getattr(torch.special, tname)(tx)
    _close(got, want.detach().numpy(), rtol=1e-12, atol=1e-300)
    w = RNG.standard_normal(len(xs))
    (got * _t(w)).sum().backward()
    (want * torch.tensor(w)).sum().backward()
    # torch's digamma gradient (its trigamma) is good to ~1e-10; sinc's gradient cancels
    # where it crosses 0 (both formulas): an absolute floor there
    loose = name in ("digamma", "psi", "sinc")
    _close(x.grad, tx.grad.numpy(), rtol=1e-9 if loose else 1e-11, atol=1e-12 if name == "sinc" else 1e-300)


def test_matches_torch_polygamma_mvlgamma_xlog1py():
    torch = pytest.importorskip("torch")
    xs = np.concatenate([POS[:200], NEG[:50]])
    for n in (0, 2, 3, 4, 6):
        _close(S.polygamma(n, _t(xs)), torch.special.polygamma(n, torch.tensor(xs)).numpy(), rtol=1e-11)
    xs = POS[:200] + 2.0
    for p in (1, 2, 5):
        _close(S.multigammaln(_t(xs), p), torch.special.multigammaln(torch.tensor(xs), p).numpy(), rtol=1e-13)
    a, b = RNG.standard_normal(50), RNG.uniform(-0.99, 5, 50)
    a[:5] = 0
    _close(S.xlog1py(_t(a), _t(b)), torch.special.xlog1py(torch.tensor(a), torch.tensor(b)).numpy(), rtol=1e-14)
    _close(S.xlog1py(_t(a), 0.5), torch.special.xlog1py(torch.tensor(a), 0.5).numpy(), rtol=1e-14)


def test_edge_values_match_torch():
    torch = pytest.importorskip("torch")
    cases = {"erfinv": [1.0, -1.0, 1.5, -0.0, NAN], "gammaln": [0.0, -1.0, -2.0, INF, -INF],
             "digamma": [0.0, -0.0, -1.0, INF, -INF, NAN], "ndtri": [0.0, 1.0, -0.1, 1.1],
             "log_ndtr": [-40.0, -1e5, INF, -INF], "entr": [0.0, -1.0, INF], "i0": [0.0, 700.0, 800.0],
             "sinc": [0.0, INF], "ndtr": [-INF, INF, -40.0]}
    for name, xs in cases.items():
        _close(getattr(S, name)(_t(xs)), getattr(torch.special, name)(torch.tensor(xs, dtype=torch.float64)).numpy(),
               rtol=1e-14)


# ---- Normal.cdf / icdf ---------------------------------------------------------------------

def test_normal_cdf_icdf_values_and_gradients():
    loc, scale = _t([0.0, 1.5, -2.0], requires_grad=True), _t([1.0, 0.5, 3.0], requires_grad=True)
    d = Normal(loc, scale)
    v = _t([[0.3, 1.0, -10.0], [-1.0, 2.5, 4.0]])
    want = np.array([[float(mpmath.ncdf(x, mu, s)) for x, mu, s in zip(row, [0.0, 1.5, -2.0], [1.0, 0.5, 3.0])]
                     for row in v.numpy()])
    c = d.cdf(v)
    _close(c, want, rtol=1e-14)
    assert tuple(c.shape) == (2, 3)
    q = _t([[0.1, 0.5, 1e-6], [0.999, 0.25, 0.75]])
    iq = d.icdf(q)
    _close(d.cdf(iq), q.numpy(), rtol=1e-13)
    # far tail: the quantile of 1e-300, which 2p - 1 would round to -1
    _close(Normal(0.0, 1.0).icdf(_t(1e-300)), _mp(_ndtri_ref, 1e-300), rtol=1e-14)
    _close(Normal(0.0, 2.0).icdf(_t([0.0, 1.0])), [-INF, INF])
    assert gradcheck(lambda m, s: Normal(m, s).cdf(v), [loc, scale])
    assert gradcheck(lambda m, s, p: Normal(m, s).icdf(p), [loc, scale, _t([0.2, 0.6, 0.9], requires_grad=True)])
    # a 0-d value broadcasts against the batch
    _close(Normal(_t([0.0, 1.0]), _t([1.0, 2.0])).cdf(_t(1.0)), [float(mpmath.ncdf(1.0)), 0.5], rtol=1e-14)
    _close(Normal(_t([0.0, 1.0]), _t([1.0, 2.0])).icdf(_t(0.5)), [0.0, 1.0], rtol=1e-15)


def test_normal_cdf_validates_its_argument():
    d = Normal(_t([0.0]), _t([1.0]), validate_args=True)
    with pytest.raises(ValueError):
        d.cdf(_t([NAN]))


def test_normal_cdf_icdf_match_torch():
    torch = pytest.importorskip("torch")
    mu, sd = RNG.standard_normal((4, 1)), RNG.uniform(0.2, 3, (1, 5))
    v, p = RNG.standard_normal((4, 5)) * 3, RNG.uniform(0.001, 0.999, (4, 5))
    ours = [_t(a, requires_grad=True) for a in (mu, sd, v, p)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (mu, sd, v, p)]
    d, td = Normal(ours[0], ours[1]), torch.distributions.Normal(theirs[0], theirs[1])
    out = d.cdf(ours[2]) * 2 + d.icdf(ours[3])
    tout = td.cdf(theirs[2]) * 2 + td.icdf(theirs[3])
    _close(out, tout.detach().numpy(), rtol=1e-11, atol=1e-14)
    out.sum().backward()
    tout.sum().backward()
    for a, b in zip(ours, theirs):
        _close(a.grad, b.grad.numpy(), rtol=1e-9, atol=1e-12)


# ---- CUDA: the table's kernels run the same functions on the device ---------------------

@gpu
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cuda_matches_cpu(dtype):
    dt = getattr(fastdl, dtype)
    fns = {"erf": (S.erf, WIDE), "erfc": (S.erfc, WIDE), "erfinv": (S.erfinv, UNIT), "gammaln": (S.gammaln, POS),
           "digamma": (S.digamma, np.concatenate([POS, NEG])), "polygamma3": (lambda x: S.polygamma(3, x), POS),
           "i0": (S.i0, BESSEL), "i1": (S.i1, BESSEL), "sinc": (S.sinc, WIDE), "ndtri": (S.ndtri, PROB),
           "log_ndtr": (S.log_ndtr, WIDE * 8)}
    for name, (fn, xs) in fns.items():
        cpu = fn(_t(xs, dtype=dt)).numpy()
        dev = fn(_t(xs, dtype=dt).to("cuda")).cpu().numpy()
        # the device's erf / erfc / exp / log differ from glibc's by an ulp or two
        np.testing.assert_allclose(dev, cpu, rtol=1e-13 if dtype == "float64" else 2e-6,
                                   atol=0 if dtype == "float64" else 1e-6, err_msg=name)
