"""The further distributions (continuous, discrete, transformed, mixtures): log_prob /
cdf / icdf / entropy / moments against scipy.stats in float64 (or closed forms), sample
statistics at a fixed seed with tolerances from the sample size, rsample gradients (by
gradcheck for the location-scale families, by the quantile's finite difference for the
gamma family), kl_divergence against torch and Monte Carlo, and errors."""
import math

import numpy as np
import pytest

import fastdl
from fastdl import distributions as D
from fastdl.distributions import transforms as T
from fastdl.testing import assert_close, gradcheck

st = pytest.importorskip("scipy.stats")
sp = pytest.importorskip("scipy.special")

RNG = np.random.default_rng(11)
A = RNG.uniform(0.6, 2.5, (2, 3))
B = RNG.uniform(0.6, 2.5, (2, 3))
C = RNG.uniform(2.5, 4.0, (2, 3))
LOC = RNG.standard_normal((2, 3))
P = RNG.uniform(0.15, 0.85, (2, 3))
N_TRIALS = np.array([[3.0, 5.0, 8.0], [4.0, 6.0, 10.0]])


def _t(a, **kw):
    return fastdl.tensor(np.asarray(a, dtype=np.float64), **kw)


def _np(t):
    return t.detach().cpu().numpy()


# name -> (fastdl ctor args (numpy), scipy frozen dist of the same law, values to score)
def _cont():
    return {
        "Uniform": ((LOC, LOC + A), st.uniform(LOC, A), LOC + A * 0.3),
        "Exponential": ((A,), st.expon(scale=1 / A), B),
        "Laplace": ((LOC, A), st.laplace(LOC, A), B - 1),
        "Cauchy": ((LOC, A), st.cauchy(LOC, A), B * 2 - 2),
        "HalfNormal": ((A,), st.halfnorm(scale=A), B),
        "HalfCauchy": ((A,), st.halfcauchy(scale=A), B),
        "LogNormal": ((LOC, A), st.lognorm(s=A, scale=np.exp(LOC)), B),
        "Gumbel": ((LOC, A), st.gumbel_r(LOC, A), B - 1),
        "Weibull": ((A, B), st.weibull_min(c=B, scale=A), C - 2),
        "Pareto": ((A, C), st.pareto(b=C, scale=A), A + B),
        "StudentT": ((C, LOC, A), st.t(C, LOC, A), B - 1),
        "Gamma": ((A, B), st.gamma(a=A, scale=1 / B), C - 2),
        "Chi2": ((C,), st.chi2(C), B),
        "Beta": ((A, B), st.beta(A, B), P),
        "Poisson": ((C,), st.poisson(C), np.round(B * 2)),
        "Geometric": ((P,), st.geom(P, loc=-1), np.round(B * 2)),
        "Binomial": ((N_TRIALS, P), st.binom(N_TRIALS, P), np.minimum(np.round(B * 2), N_TRIALS)),
        # torch's probs is the success probability of the counted trials: scipy's p is 1 - probs
        "NegativeBinomial": ((C, P), st.nbinom(C, 1 - P), np.round(B * 3)),
    }


DISCRETE = {"Poisson", "Geometric", "Binomial", "NegativeBinomial"}
HAS_CDF = {"Uniform", "Exponential", "Laplace", "Cauchy", "HalfNormal", "HalfCauchy", "LogNormal", "Gumbel", "Weibull",
           "Pareto", "Gamma", "Chi2"}
HAS_ICDF = HAS_CDF - {"Gamma", "Chi2"}
NO_ENTROPY = {"Poisson", "NegativeBinomial", "Binomial"}  # Binomial: inhomogeneous total_count here
INFINITE_MOMENTS = {"Cauchy", "HalfCauchy"}


def _make(name, args, **kw):
    if name in ("Geometric",):
        return getattr(D, name)(probs=_t(args[0]), **kw)
    if name in ("Binomial", "NegativeBinomial"):
        return getattr(D, name)(_t(args[0]), probs=_t(args[1]), **kw)
    return getattr(D, name)(*[_t(a) for a in args], **kw)


@pytest.mark.parametrize("name", sorted(_cont()))
def test_values_against_scipy(name):
    args, ref, value = _cont()[name]
    d = _make(name, args)
    assert d.batch_shape == (2, 3) and d.event_shape == ()
    lp = ref.logpmf(value) if name in DISCRETE else ref.logpdf(value)
    assert_close(d.log_prob(_t(value)), lp, rtol=1e-9, atol=1e-10)
    if name in HAS_CDF:
        assert_close(d.cdf(_t(value)), ref.cdf(value), rtol=1e-9, atol=1e-12)
    else:
        with pytest.raises(NotImplementedError):
            d.cdf(_t(value))
    if name in HAS_ICDF:
        q = np.linspace(0.05, 0.95, 6).reshape(2, 3)
        assert_close(d.icdf(_t(q)), ref.ppf(q), rtol=1e-9, atol=1e-12)
    if name in NO_ENTROPY:
        with pytest.raises(NotImplementedError):
            d.entropy()
    else:
        assert_close(d.entropy(), ref.entropy(), rtol=1e-8, atol=1e-10)
    if name in INFINITE_MOMENTS:
        assert not np.isfinite(_np(d.variance)).any()
    else:
        assert_close(d.mean, ref.mean(), rtol=1e-9, atol=1e-12)
        assert_close(d.variance, ref.var(), rtol=1e-9, atol=1e-12)
        assert_close(d.stddev, ref.std(), rtol=1e-9, atol=1e-12)


def test_multivariate_values_against_scipy():
    k = 3
    M = RNG.standard_normal((2, k, k))
    cov = M @ M.transpose(0, 2, 1) + np.eye(k)
    loc = RNG.standard_normal((2, k))
    x = RNG.standard_normal((4, 2, k))
    for kw in ("covariance_matrix", "precision_matrix", "scale_tril"):
        val = {"covariance_matrix": cov, "precision_matrix": np.linalg.inv(cov),
               "scale_tril": np.linalg.cholesky(cov)}[kw]
        d = D.MultivariateNormal(_t(loc), **{kw: _t(val)})
        assert d.batch_shape == (2,) and d.event_shape == (k,)
        want = np.stack([[st.multivariate_normal(loc[b], cov[b]).logpdf(x[s, b]) for b in range(2)] for s in range(4)])
        assert_close(d.log_prob(_t(x)), want, rtol=1e-9, atol=1e-10)
        assert_close(d.entropy(), [st.multivariate_normal(loc[b], cov[b]).entropy() for b in range(2)], rtol=1e-9)
        assert_close(d.covariance_matrix, cov, rtol=1e-9, atol=1e-10)
        assert_close(d.precision_matrix, np.linalg.inv(cov), rtol=1e-8, atol=1e-9)
        assert_close(d.scale_tril, np.linalg.cholesky(cov), rtol=1e-9, atol=1e-10)
        assert_close(d.variance, np.diagonal(cov, 0, 1, 2), rtol=1e-9)
        assert_close(d.mean, loc) and assert_close(d.mode, loc)

    conc = RNG.uniform(0.5, 3, (2, 4))
    p = RNG.dirichlet(np.ones(4), (3, 2))
    d = D.Dirichlet(_t(conc))
    assert d.batch_shape == (2,) and d.event_shape == (4,)
    want = np.array([[st.dirichlet(conc[b]).logpdf(p[s, b]) for b in range(2)] for s in range(3)])
    assert_close(d.log_prob(_t(p)), want, rtol=1e-9)
    assert_close(d.entropy(), [st.dirichlet(conc[b]).entropy() for b in range(2)], rtol=1e-9)
    assert_close(d.mean, conc / conc.sum(-1, keepdims=True))
    assert_close(d.variance, np.stack([st.dirichlet(conc[b]).var() for b in range(2)]), rtol=1e-9)

    probs = RNG.dirichlet(np.ones(3), 2)
    counts = np.array([[2.0, 0.0, 3.0], [1.0, 1.0, 3.0]])
    d = D.Multinomial(5, probs=_t(probs))
    assert d.batch_shape == (2,) and d.event_shape == (3,)
    assert_close(d.log_prob(_t(counts)), [st.multinomial(5, probs[b]).logpmf(counts[b]) for b in range(2)], rtol=1e-9)
    assert_close(d.entropy(), [st.multinomial(5, probs[b]).entropy() for b in range(2)], rtol=1e-9)
    assert_close(d.mean, 5 * probs) and assert_close(d.variance, 5 * probs * (1 - probs))


def test_binomial_entropy_and_enumerate_support():
    d = D.Binomial(6, probs=_t(P))
    assert_close(d.entropy(), st.binom(6, P).entropy(), rtol=1e-9)
    assert d.enumerate_support().shape == (7, 2, 3) and d.enumerate_support(expand=False).shape == (7, 1, 1)
    with pytest.raises(NotImplementedError, match="inhomogeneous"):
        D.Binomial(_t(N_TRIALS), probs=_t(P)).entropy()


def test_gamma_cdf_is_the_regularised_incomplete_gamma():
    a = np.array([0.05, 0.5, 1.0, 3.0, 30.0, 200.0])
    x = np.array([1e-3, 0.2, 2.0, 9.0, 25.0, 230.0])
    assert_close(D.Gamma(_t(a), 1.0).cdf(_t(x)), sp.gammainc(a, x), rtol=1e-11, atol=1e-14)
    assert_close(D.Gamma(_t(a), 1.0).cdf(_t(np.zeros(6))), np.zeros(6))
    # composed from differentiable ops: gradients in the concentration and the value
    assert gradcheck(lambda c, v: D.Gamma(c, 1.0).cdf(v),
                     (_t(a[:5], requires_grad=True), _t(x[:5], requires_grad=True)))


# ---- sampling -------------------------------------------------------------------------

N = 20000
Z = 5.0  # five standard errors: a false alarm has probability ~6e-7 per check


def _check_cdf_at(samples, cdf, points, discrete=False):
    """The empirical CDF at each point within Z binomial standard errors of cdf(point)."""
    for x, F in zip(points, cdf):
        emp = (samples <= x).mean(0)
        se = np.sqrt(np.maximum(F * (1 - F), 1e-12) / samples.shape[0])
        assert np.all(np.abs(emp - F) <= Z * se + 1e-12), (x, emp, F)


@pytest.mark.parametrize("name", sorted(_cont()))
def test_sample_statistics(name):
    args, ref, _ = _cont()[name]
    d = _make(name, args)
    fastdl.manual_seed(1)
    s = _np(d.sample((N,)))
    assert s.shape == (N, 2, 3)
    if name in DISCRETE:
        assert np.all(s == np.round(s)) and s.min() >= 0
    # the CDF at the quartiles (ppf of a discrete law is a support point: its cdf)
    pts = [ref.ppf(q) for q in (0.25, 0.5, 0.75)]
    _check_cdf_at(s, [ref.cdf(x) for x in pts], pts)
    if name not in INFINITE_MOMENTS and name != "Pareto":  # Pareto's 4th moment may not exist
        se = np.sqrt(ref.var() / N)
        assert np.all(np.abs(s.mean(0) - ref.mean()) <= Z * se)


@pytest.mark.parametrize("alpha", [0.05, 0.5, 1.0, 3.0, 40.0])
def test_gamma_sampler_moments(alpha):
    fastdl.manual_seed(2)
    s = _np(D.Gamma(_t([alpha]), 2.0).sample((N,)))[:, 0]
    ref = st.gamma(a=alpha, scale=0.5)
    assert s.min() > 0
    assert abs(s.mean() - ref.mean()) <= Z * ref.std() / math.sqrt(N)
    _check_cdf_at(s[:, None], [np.array([ref.cdf(ref.ppf(q))]) for q in (0.1, 0.5, 0.9)],
                  [np.array([ref.ppf(q)]) for q in (0.1, 0.5, 0.9)])


def test_multivariate_sample_statistics():
    k = 3
    M = RNG.standard_normal((k, k))
    cov = M @ M.T + np.eye(k)
    loc = RNG.standard_normal(k)
    s = _np(D.MultivariateNormal(_t(loc), covariance_matrix=_t(cov)).sample((N,)))
    assert s.shape == (N, k)
    se = np.sqrt(np.diag(cov) / N)
    assert np.all(np.abs(s.mean(0) - loc) <= Z * se)
    # the sample covariance: each entry's standard error sqrt((S_ii S_jj + S_ij^2) / N)
    se_cov = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov ** 2) / N)
    assert np.all(np.abs(np.cov(s.T) - cov) <= Z * se_cov)

    conc = np.array([0.3, 1.0, 4.0])
    s = _np(D.Dirichlet(_t(conc)).sample((N,)))
    assert np.allclose(s.sum(-1), 1) and s.min() > 0
    ref = st.dirichlet(conc)
    assert np.all(np.abs(s.mean(0) - ref.mean()) <= Z * np.sqrt(ref.var() / N))

    probs = np.array([0.2, 0.5, 0.3])
    s = _np(D.Multinomial(7, probs=_t(probs)).sample((N,)))
    assert s.shape == (N, 3) and np.all(s.sum(-1) == 7)
    assert np.all(np.abs(s.mean(0) - 7 * probs) <= Z * np.sqrt(7 * probs * (1 - probs) / N))


def test_poisson_and_binomial_large_parameters():
    # the rejection samplers (rates >= 10; many trials) against their moments
    fastdl.manual_seed(3)
    rate = np.array([12.0, 300.0, 5000.0])
    s = _np(D.Poisson(_t(rate)).sample((N,)))
    assert np.all(np.abs(s.mean(0) - rate) <= Z * np.sqrt(rate / N))
    n, p = np.array([200.0, 1000.0]), np.array([0.3, 0.9])
    s = _np(D.Binomial(_t(n), probs=_t(p)).sample((N // 4,)))
    assert np.all((s >= 0) & (s <= n))
    assert np.all(np.abs(s.mean(0) - n * p) <= Z * np.sqrt(n * p * (1 - p) / (N // 4)))


def test_sample_shapes_expand_and_reproducibility():
    for name, (args, _, _) in _cont().items():
        d = _make(name, args)
        sampler = d.rsample if d.has_rsample else d.sample
        assert sampler().shape == (2, 3) and sampler((4, 1)).shape == (4, 1, 2, 3), name
        e = d.expand((5, 2, 3))
        assert e.batch_shape == (5, 2, 3) and e.sample((2,)).shape == (2, 5, 2, 3), name
        assert e.log_prob(_t(_np(d.sample()))).shape == (5, 2, 3), name
        fastdl.manual_seed(5)
        first = _np(d.sample((3,)))
        fastdl.manual_seed(5)
        assert np.array_equal(first, _np(d.sample((3,)))), name
    mvn = D.MultivariateNormal(_t(np.zeros(2)), scale_tril=_t(np.eye(2)))
    assert mvn.expand((4,)).rsample((3,)).shape == (3, 4, 2)
    dirichlet = D.Dirichlet(_t(np.ones((2, 3))))
    assert dirichlet.expand((5, 2)).rsample((4,)).shape == (4, 5, 2, 3)


def test_scalar_parameters_give_an_empty_batch_shape():
    assert D.Exponential(2.0).batch_shape == () and D.Gamma(2.0, 3.0).sample((4,)).shape == (4,)
    assert D.Uniform(0.0, 1.0).rsample().shape == () and D.StudentT(3.0).sample().shape == ()
    assert D.Binomial(5, probs=0.3).sample((2,)).shape == (2,)


def _torch_instance(torch, name, args):
    ts = [torch.tensor(np.asarray(a)) for a in args]
    if name == "Geometric":
        return torch.distributions.Geometric(probs=ts[0])
    if name in ("Binomial", "NegativeBinomial"):
        return getattr(torch.distributions, name)(ts[0], probs=ts[1])
    return getattr(torch.distributions, name)(*ts)


@pytest.mark.parametrize("name", sorted(_cont()))
def test_against_torch(name):
    torch = pytest.importorskip("torch")
    args, _, value = _cont()[name]
    ours, theirs = _make(name, args), _torch_instance(torch, name, args)
    assert ours.has_rsample == theirs.has_rsample
    assert_close(ours.log_prob(_t(value)), theirs.log_prob(torch.tensor(value)).numpy(), rtol=1e-9, atol=1e-10)
    for attr in ("mean", "mode", "variance"):
        try:
            want = getattr(theirs, attr).numpy()
        except NotImplementedError:
            with pytest.raises(NotImplementedError):
                getattr(ours, attr)
            continue
        assert_close(getattr(ours, attr), want, rtol=1e-9, atol=1e-12, msg=attr)
    grid = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, 2.5, 3.0])[:, None, None] + np.zeros((2, 3))
    assert np.array_equal(_np(ours.support.check(_t(grid))), theirs.support.check(torch.tensor(grid)).numpy())


# ---- gradients ---------------------------------------------------------------------

RSAMPLE_LOCSCALE = {
    "Uniform": lambda a, b: D.Uniform(a, a + b),
    "Exponential": lambda a, b: D.Exponential(a),
    "Laplace": lambda a, b: D.Laplace(a, b),
    "Cauchy": lambda a, b: D.Cauchy(a, b),
    "HalfNormal": lambda a, b: D.HalfNormal(b),
    "HalfCauchy": lambda a, b: D.HalfCauchy(b),
    "LogNormal": lambda a, b: D.LogNormal(a, b),
    "Gumbel": lambda a, b: D.Gumbel(a, b),
    "Weibull": lambda a, b: D.Weibull(a, b),
    "Pareto": lambda a, b: D.Pareto(a, b),
    "MultivariateNormal": lambda a, b: D.MultivariateNormal(a, scale_tril=fastdl.diag_embed(b)),
}


@pytest.mark.parametrize("name", sorted(RSAMPLE_LOCSCALE))
def test_rsample_gradcheck(name):
    # at a fixed seed these samples are smooth maps of the parameters (fixed noise)
    make = RSAMPLE_LOCSCALE[name]

    def fn(a, b):
        fastdl.manual_seed(4)
        return make(a, b).rsample((3,))
    a, b = _t(A[0], requires_grad=True), _t(B[0], requires_grad=True)
    assert gradcheck(fn, (a, b))


@pytest.mark.parametrize("name", sorted(["Uniform", "Exponential", "Laplace", "Cauchy", "HalfNormal", "LogNormal",
                                         "Gumbel", "Weibull", "Pareto", "StudentT", "Gamma", "Beta", "Chi2"]))
def test_log_prob_and_entropy_gradcheck(name):
    args, _, value = _cont()[name]
    params = [_t(a[0], requires_grad=True) for a in args]
    v = _t(value[0])
    assert gradcheck(lambda *ps: getattr(D, name)(*ps).log_prob(v), params)
    assert gradcheck(lambda *ps: getattr(D, name)(*ps).entropy(), params)


def test_standard_gamma_gradient_is_the_quantile_derivative():
    # implicit reparameterisation: dx/dalpha at the sample's own quantile u = P(alpha, x),
    # checked against a float64 central difference of scipy's inverse incomplete gamma
    alpha = np.array([0.05, 0.4, 1.0, 2.5, 30.0, 500.0])
    rate = 1.7
    a = _t(alpha, requires_grad=True)
    fastdl.manual_seed(6)
    x = D.Gamma(a, rate).rsample((4,))
    x.sum().backward()
    xs = _np(x) * rate
    u = sp.gammainc(alpha, xs)
    h = 1e-6 * alpha
    fd = ((sp.gammaincinv(alpha + h, u) - sp.gammaincinv(alpha - h, u)) / (2 * h) / rate).sum(0)
    assert_close(a.grad, fd, rtol=1e-5, atol=1e-12)


@pytest.mark.parametrize("name", ["Gamma", "Chi2", "Beta", "Dirichlet", "StudentT"])
def test_gamma_family_rsample_gradient_is_unbiased(name):
    # d/dtheta E[f(x)] from rsample against the closed form of the parameter derivative of E[f]
    n = 20000
    if name == "Gamma":
        theta = _t([1.5, 0.4], requires_grad=True)
        dist, f, dmean = (lambda th: D.Gamma(th[0], th[1])), (lambda x: x), \
            (lambda th: np.array([1 / th[1], -th[0] / th[1] ** 2]))
    elif name == "Chi2":
        theta = _t([3.0], requires_grad=True)
        # E[x^2] = 2 df + df^2
        dist, f, dmean = (lambda th: D.Chi2(th[0])), (lambda x: x * x), (lambda th: np.array([2 * th[0] + 2]))
    elif name == "Beta":
        theta = _t([0.7, 2.0], requires_grad=True)
        dist, f = (lambda th: D.Beta(th[0], th[1])), (lambda x: x)
        dmean = lambda th: np.array([th[1], -th[0]]) / (th[0] + th[1]) ** 2  # noqa: E731
    elif name == "Dirichlet":
        theta = _t([0.5, 1.0, 2.5], requires_grad=True)
        dist, f = (lambda th: D.Dirichlet(th)), (lambda x: x[..., 0])
        dmean = lambda th: (np.eye(3)[0] * th.sum() - th[0]) / th.sum() ** 2  # noqa: E731
    else:
        theta = _t([5.0], requires_grad=True)  # E[x^2] = df / (df - 2): d/d df = -2 / (df - 2)^2
        dist, f = (lambda th: D.StudentT(th[0])), (lambda x: x * x)
        dmean = lambda th: np.array([-2 / (th[0] - 2) ** 2])  # noqa: E731
    fastdl.manual_seed(7)
    batch_grads = []
    # the estimate and its standard error from 20 independent batch means of the gradient
    for _ in range(20):
        theta.grad = None
        f(dist(theta).rsample((n // 20,))).mean().backward()
        batch_grads.append(_np(theta.grad).copy())
    g = np.array(batch_grads)
    est, se = g.mean(0), g.std(0, ddof=1) / math.sqrt(len(g))
    want = dmean(_np(theta))
    assert np.all(np.abs(est - want) <= Z * se + 1e-9), (est, want, se)


# ---- KL -------------------------------------------------------------------------------

def _kl_cases():
    def pos(*s):
        return RNG.uniform(0.5, 3.0, s)
    lo = RNG.standard_normal(3)
    return {
        "Uniform": ((lo, lo + 1.0), (lo - 1.0, lo + 2.5)),
        "Exponential": ((pos(3),), (pos(3),)), "Laplace": ((lo, pos(3)), (pos(3), pos(3))),
        "Cauchy": ((lo, pos(3)), (pos(3), pos(3))), "Gumbel": ((lo, pos(3)), (pos(3), pos(3))),
        "HalfNormal": ((pos(3),), (pos(3),)), "Pareto": ((pos(3) * 0.1 + 0.1, pos(3)), (pos(3) * 0.1, pos(3))),
        "Gamma": ((pos(3), pos(3)), (pos(3), pos(3))), "Chi2": ((pos(3),), (pos(3),)),
        "Beta": ((pos(3), pos(3)), (pos(3), pos(3))), "Dirichlet": ((pos(2, 4),), (pos(2, 4),)),
        "Poisson": ((pos(3),), (pos(3),)), "LogNormal": ((lo, pos(3)), (pos(3), pos(3))),
    }


@pytest.mark.parametrize("name", sorted(_kl_cases()))
def test_kl_against_torch_and_monte_carlo(name):
    torch = pytest.importorskip("torch")
    pa, qa = _kl_cases()[name]
    p, q = getattr(D, name)(*map(_t, pa)), getattr(D, name)(*map(_t, qa))
    ours = _np(D.kl_divergence(p, q))
    want = torch.distributions.kl_divergence(getattr(torch.distributions, name)(*map(torch.tensor, pa)),
                                             getattr(torch.distributions, name)(*map(torch.tensor, qa))).numpy()
    assert_close(ours, want, rtol=1e-9, atol=1e-12)
    # Monte Carlo: the mean of log p(x) - log q(x) over p's samples, where finite
    if np.all(np.isfinite(ours)):
        fastdl.manual_seed(8)
        x = p.sample((N,))
        r = _np(p.log_prob(x) - q.log_prob(x))
        assert np.all(np.abs(r.mean(0) - ours) <= Z * r.std(0) / math.sqrt(N) + 1e-9)


def test_kl_discrete_and_multivariate_against_torch():
    torch = pytest.importorskip("torch")
    TD = torch.distributions
    p1, p2 = RNG.uniform(0.1, 0.9, 3), RNG.uniform(0.1, 0.9, 3)
    assert_close(D.kl_divergence(D.Geometric(_t(p1)), D.Geometric(_t(p2))),
                 TD.kl_divergence(TD.Geometric(torch.tensor(p1)), TD.Geometric(torch.tensor(p2))).numpy(), rtol=1e-9)
    n1, n2 = np.array([5.0, 6.0, 8.0]), np.array([5.0, 6.0, 7.0])
    assert_close(D.kl_divergence(D.Binomial(_t(n1), _t(p1)), D.Binomial(_t(n2), _t(p2))),
                 TD.kl_divergence(TD.Binomial(torch.tensor(n1), torch.tensor(p1)),
                                  TD.Binomial(torch.tensor(n2), torch.tensor(p2))).numpy(), rtol=1e-9)
    with pytest.raises(NotImplementedError):
        D.kl_divergence(D.Binomial(_t(n2), _t(p1)), D.Binomial(_t(n1), _t(p2)))
    k = 3
    M1, M2 = RNG.standard_normal((2, k, k)), RNG.standard_normal((k, k))
    c1, c2 = M1 @ M1.transpose(0, 2, 1) + np.eye(k), M2 @ M2.T + np.eye(k)
    l1, l2 = RNG.standard_normal(k), RNG.standard_normal((2, k))
    ours = D.kl_divergence(D.MultivariateNormal(_t(l1), _t(c1)), D.MultivariateNormal(_t(l2), _t(c2)))
    want = TD.kl_divergence(TD.MultivariateNormal(torch.tensor(l1), torch.tensor(c1)),
                            TD.MultivariateNormal(torch.tensor(l2), torch.tensor(c2)))
    assert_close(ours, want.numpy(), rtol=1e-9)
    # pairs with disjoint supports are infinite, as torch
    assert np.isinf(_np(D.kl_divergence(D.Uniform(0.0, 2.0), D.Uniform(0.5, 3.0))))
    assert np.isinf(_np(D.kl_divergence(D.Pareto(1.0, 2.0), D.Pareto(2.0, 2.0))))
    with pytest.raises(NotImplementedError, match="Weibull"):
        D.kl_divergence(D.Weibull(1.0, 2.0), D.Gamma(1.0, 2.0))


def test_kl_gradients():
    a, b = _t([1.3, 0.7], requires_grad=True), _t([0.6, 2.1], requires_grad=True)
    assert gradcheck(lambda x, y: D.kl_divergence(D.Gamma(x, y), D.Gamma(y, x)), (a, b))
    assert gradcheck(lambda x, y: D.kl_divergence(D.Beta(x, y), D.Beta(y, x)), (a, b))


# ---- transforms and transformed / mixture distributions -----------------------------

TRANSFORMS = {
    "exp": (T.ExpTransform(), lambda x: x),
    "affine": (T.AffineTransform(0.5, -2.0), lambda x: x),
    "affine_tensor": (T.AffineTransform(_t([0.5, 1.0, -1.0]), _t([2.0, -0.5, 3.0])), lambda x: x),
    "sigmoid": (T.SigmoidTransform(), lambda x: x),
    "tanh": (T.TanhTransform(), lambda x: x),
    "power": (T.PowerTransform(2.5), lambda x: abs(x) + 0.5),
    "compose": (T.ComposeTransform([T.AffineTransform(0.3, 1.5), T.ExpTransform(), T.PowerTransform(0.5)]),
                lambda x: x),
    "inv_exp": (T.ExpTransform().inv, lambda x: abs(x) + 0.5),
}


@pytest.mark.parametrize("key", sorted(TRANSFORMS))
def test_transform_jacobian_inverse_and_sign(key):
    t, domain = TRANSFORMS[key]
    x = _t(domain(np.array([-0.7, 0.2, 1.1])))
    y = t(x)
    assert_close(t.inv(y), x, rtol=1e-9, atol=1e-12)
    assert t.inv.inv is t and bool(t.domain.check(x).all()) and bool(t.codomain.check(y).all())
    # log |dy/dx| by a float64 central difference (elementwise maps)
    h = 1e-6
    dy = (_np(t(x + h)) - _np(t(x - h))) / (2 * h)
    assert_close(t.log_abs_det_jacobian(x, y), np.log(np.abs(dy)), rtol=1e-6, atol=1e-7)
    sign = t.sign
    sign = _np(sign) if isinstance(sign, fastdl.Tensor) else np.full(3, sign)
    assert np.all(np.sign(dy) == sign)
    assert_close(t.inv.log_abs_det_jacobian(y, x), -_np(t.log_abs_det_jacobian(x, y)), rtol=1e-12)


def test_abs_softmax_identity_transforms():
    x = _t([-1.0, 2.0, 0.5])
    assert_close(T.AbsTransform()(x), [1.0, 2.0, 0.5])
    assert not T.AbsTransform().bijective and T.ExpTransform().bijective
    s = T.SoftmaxTransform()(x)
    assert_close(s, np.exp([-1.0, 2.0, 0.5]) / np.exp([-1.0, 2.0, 0.5]).sum())
    assert T.SoftmaxTransform().codomain.event_dim == 1
    with pytest.raises(NotImplementedError):
        T.SoftmaxTransform().log_abs_det_jacobian(x, s)
    assert T.identity_transform(x) is x and T.identity_transform.inv(x) is x
    assert T.ExpTransform() == T.ExpTransform() and T.AffineTransform(1.0, 2.0) == T.AffineTransform(1.0, 2.0)
    assert T.AffineTransform(1.0, 2.0) != T.AffineTransform(1.0, 3.0)
    aff = T.AffineTransform(0.0, 2.0, event_dim=1)
    assert_close(aff.log_abs_det_jacobian(x, aff(x)), 3 * math.log(2.0))
    # TanhTransform with cache_size=1 inverts a sample exactly, where atanh(tanh(20)) is inf
    big = _t([20.0])
    tc = T.TanhTransform(cache_size=1)
    assert tc.inv(tc(big)) is big and not np.isfinite(_np(T.TanhTransform().inv(T.TanhTransform()(big)))).all()


def test_transformed_distribution_against_torch():
    torch = pytest.importorskip("torch")
    TD, TT = torch.distributions, torch.distributions.transforms
    loc, scale = RNG.standard_normal(3), RNG.uniform(0.5, 2, 3)
    ours = D.TransformedDistribution(D.Normal(_t(loc), _t(scale)),
                                     [T.AffineTransform(1.0, 2.0), T.SigmoidTransform(), T.AffineTransform(0.0, -3.0)])
    theirs = TD.TransformedDistribution(TD.Normal(torch.tensor(loc), torch.tensor(scale)),
                                        [TT.AffineTransform(1.0, 2.0), TT.SigmoidTransform(),
                                         TT.AffineTransform(0.0, -3.0)])
    v = theirs.sample((4,))
    assert_close(ours.log_prob(_t(v.numpy())), theirs.log_prob(v).numpy(), rtol=1e-8)
    assert_close(ours.cdf(_t(v.numpy())), theirs.cdf(v).numpy(), rtol=1e-8)  # decreasing chain: 1 - base cdf
    q = RNG.uniform(0.1, 0.9, 3)
    assert_close(ours.icdf(_t(q)), theirs.icdf(torch.tensor(q)).numpy(), rtol=1e-8)
    assert ours.has_rsample and ours.rsample((5,)).shape == (5, 3) and ours.expand((2, 3)).sample().shape == (2, 3)
    # an event-coupling transform reinterprets the base's batch dim
    ind = D.TransformedDistribution(D.Normal(_t(np.zeros((2, 3))), 1.0), T.AffineTransform(0.0, 2.0, event_dim=1))
    assert ind.batch_shape == (2,) and ind.event_shape == (3,)
    want = st.norm(0, 2).logpdf(np.ones((2, 3))).sum(-1)
    assert_close(ind.log_prob(_t(np.ones((2, 3)))), want, rtol=1e-9)


def test_mixture_same_family_against_torch():
    torch = pytest.importorskip("torch")
    TD = torch.distributions
    logits, loc, scale = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3)), RNG.uniform(0.5, 2, (2, 3))
    ours = D.MixtureSameFamily(D.Categorical(logits=_t(logits)), D.Normal(_t(loc), _t(scale)))
    theirs = TD.MixtureSameFamily(TD.Categorical(logits=torch.tensor(logits)),
                                  TD.Normal(torch.tensor(loc), torch.tensor(scale)))
    v = theirs.sample((4,))
    assert ours.batch_shape == (2,) and ours.event_shape == () and not ours.has_rsample
    assert_close(ours.log_prob(_t(v.numpy())), theirs.log_prob(v).numpy(), rtol=1e-9)
    assert_close(ours.cdf(_t(v.numpy())), theirs.cdf(v).numpy(), rtol=1e-9)
    assert_close(ours.mean, theirs.mean.numpy(), rtol=1e-9)
    assert_close(ours.variance, theirs.variance.numpy(), rtol=1e-9)
    fastdl.manual_seed(9)
    s = _np(ours.sample((N,)))
    assert s.shape == (N, 2)
    se = np.sqrt(theirs.variance.numpy() / N)
    assert np.all(np.abs(s.mean(0) - theirs.mean.numpy()) <= Z * se)
    assert ours.expand((4, 2)).sample((3,)).shape == (3, 4, 2)
    components = D.Independent(D.Normal(_t(RNG.standard_normal((2, 3, 4))), 1.0), 1)
    mv = D.MixtureSameFamily(D.Categorical(logits=_t(logits)), components)
    assert mv.event_shape == (4,) and mv.sample((5,)).shape == (5, 2, 4) and mv.log_prob(mv.sample()).shape == (2,)


# ---- errors -----------------------------------------------------------------------

@pytest.mark.parametrize("make, words", [
    (lambda: D.Exponential(_t([1.0, -2.0])), ["Exponential", "rate", "-2.0"]),
    (lambda: D.Uniform(_t([0.0, 2.0]), _t([1.0, 1.0])), ["Uniform", "low", "LessThan", "2.0"]),
    (lambda: D.Laplace(0.0, _t([0.0])), ["Laplace", "scale"]),
    (lambda: D.Gamma(_t([-1.0]), 1.0), ["Gamma", "concentration"]),
    (lambda: D.Beta(1.0, _t([-0.5])), ["Beta", "concentration0"]),
    (lambda: D.Chi2(_t([-3.0])), ["Chi2", "df"]),
    (lambda: D.StudentT(_t([0.0])), ["StudentT", "df"]),
    (lambda: D.Dirichlet(_t([[1.0, -1.0]])), ["Dirichlet", "concentration"]),
    (lambda: D.Poisson(_t([-1.0])), ["Poisson", "rate"]),
    (lambda: D.Binomial(_t([2.5]), probs=_t([0.5])), ["Binomial", "total_count"]),
    (lambda: D.Binomial(3, probs=_t([1.5])), ["Binomial", "probs"]),
    (lambda: D.Geometric(probs=_t([0.0])), ["Geometric", "probs"]),
    (lambda: D.Geometric(probs=_t([0.5]), logits=_t([0.0])), ["Geometric", "probs", "logits"]),
    (lambda: D.NegativeBinomial(2.0), ["NegativeBinomial", "probs", "logits"]),
    (lambda: D.Weibull(_t([1.0]), _t([-1.0])), ["Weibull", "concentration"]),
    (lambda: D.Pareto(_t([-1.0]), 1.0), ["Pareto", "scale"]),
    (lambda: D.HalfNormal(_t([-1.0])), ["HalfNormal", "scale"]),
    (lambda: D.LogNormal(0.0, _t([-1.0])), ["LogNormal", "scale"]),
    (lambda: D.Gumbel(0.0, _t([-1.0])), ["Gumbel", "scale"]),
    (lambda: D.MultivariateNormal(_t([0.0, 0.0])), ["MultivariateNormal", "exactly one"]),
    (lambda: D.MultivariateNormal(_t([0.0, 0.0]), _t(np.eye(2)), scale_tril=_t(np.eye(2))),
     ["MultivariateNormal", "exactly one"]),
    (lambda: D.MultivariateNormal(_t([0.0, 0.0]), _t(np.eye(3))), ["MultivariateNormal", "(2, 2)"]),
    (lambda: D.MultivariateNormal(_t([0.0, 0.0]), _t([[1.0, 2.0], [2.0, 1.0]])),
     ["MultivariateNormal", "covariance_matrix", "PositiveDefinite"]),
    (lambda: D.MultivariateNormal(_t([0.0, 0.0]), scale_tril=_t([[1.0, 1.0], [0.0, 1.0]])),
     ["MultivariateNormal", "scale_tril"]),
    (lambda: D.Multinomial(2.5, probs=_t([0.5, 0.5])), ["Multinomial", "total_count"]),
    (lambda: D.MixtureSameFamily(D.Normal(0.0, 1.0), D.Normal(_t([0.0]), 1.0)), ["MixtureSameFamily", "Categorical"]),
    (lambda: D.MixtureSameFamily(D.Categorical(logits=_t([0.0, 1.0])), D.Normal(_t([0.0, 1.0, 2.0]), 1.0)),
     ["MixtureSameFamily", "2 components", "3"]),
    (lambda: D.TransformedDistribution(D.Normal(0.0, 1.0), "exp"), ["TransformedDistribution", "Transform"]),
])
def test_invalid_parameters(make, words):
    with pytest.raises((ValueError, NotImplementedError)) as err:
        make()
    for w in words:
        assert w in str(err.value), (w, str(err.value))


@pytest.mark.parametrize("make, value, words", [
    (lambda: D.Exponential(_t([1.0])), [-1.0], ["Exponential", "support", "-1.0"]),
    (lambda: D.Beta(_t([1.0]), _t([2.0])), [1.5], ["Beta", "support"]),
    (lambda: D.Poisson(_t([1.0])), [1.5], ["Poisson", "support"]),
    (lambda: D.Binomial(3, probs=_t([0.5])), [4.0], ["Binomial", "support"]),
    (lambda: D.Uniform(_t([0.0]), _t([1.0])), [1.5], ["Uniform", "support"]),
    (lambda: D.Dirichlet(_t([1.0, 1.0])), [0.3, 0.3], ["Dirichlet", "support"]),
    (lambda: D.HalfNormal(_t([1.0])), [-0.5], ["HalfNormal", "support"]),
    (lambda: D.Pareto(_t([1.0]), _t([2.0])), [0.5], ["Pareto", "support"]),
])
def test_log_prob_outside_the_support(make, value, words):
    d = make()
    with pytest.raises(ValueError) as err:
        d.log_prob(_t(value))
    for w in words:
        assert w in str(err.value)
    # without validation the value is scored (as torch: a formula's value, not an error)
    d_loose = make()
    d_loose._validate_args = False
    assert d_loose.log_prob(_t(value)).shape == (1,) or isinstance(d, D.Dirichlet)


def test_validate_args_false_skips_the_parameter_checks():
    assert D.Exponential(_t([-1.0]), validate_args=False).batch_shape == (1,)
    assert D.Gamma(_t([-1.0]), 1.0, validate_args=False).batch_shape == (1,)


# ---- relaxed / straight-through / continuous Bernoulli -----------------------------

def test_relaxed_bernoulli_density_and_samples():
    p, lam = np.array([0.2, 0.5, 0.9]), 0.6
    d = D.RelaxedBernoulli(_t(lam), probs=_t(p))
    assert d.batch_shape == (3,) and d.has_rsample
    x = np.array([0.1, 0.5, 0.8])
    alpha = p / (1 - p)
    # the binary Concrete density (Maddison et al. 2017)
    want = lam * alpha * x ** (-lam - 1) * (1 - x) ** (-lam - 1) / (alpha * x ** -lam + (1 - x) ** -lam) ** 2
    assert_close(d.log_prob(_t(x)), np.log(want), rtol=1e-9)
    # x > 1/2 exactly when logit(p) + logistic noise > 0: a Bernoulli(p) event
    fastdl.manual_seed(10)
    s = _np(d.sample((N,)))
    assert np.all((s > 0) & (s < 1))
    assert np.all(np.abs((s > 0.5).mean(0) - p) <= Z * np.sqrt(p * (1 - p) / N))
    assert gradcheck(lambda lg: (fastdl.manual_seed(1), D.RelaxedBernoulli(_t(lam), logits=lg).rsample((2,)))[1],
                     (_t([0.3, -1.0], requires_grad=True),))


def test_relaxed_one_hot_categorical_density_and_samples():
    probs, lam = np.array([0.2, 0.5, 0.3]), 0.8
    d = D.RelaxedOneHotCategorical(lam, probs=_t(probs))
    assert d.batch_shape == () and d.event_shape == (3,)
    x = np.array([0.1, 0.6, 0.3])
    k = 3
    # the Concrete density: (k-1)! lam^(k-1) prod(p_i x_i^(-lam-1)) / (sum p_i x_i^-lam)^k
    want = math.factorial(k - 1) * lam ** (k - 1) * np.prod(probs * x ** (-lam - 1)) / np.sum(probs * x ** -lam) ** k
    assert_close(d.log_prob(_t(x)), np.log(want), rtol=1e-9)
    fastdl.manual_seed(11)
    s = _np(d.sample((N,)))
    assert np.allclose(s.sum(-1), 1)
    freq = np.bincount(s.argmax(-1), minlength=3) / N  # Gumbel-max: argmax ~ Categorical(probs)
    assert np.all(np.abs(freq - probs) <= Z * np.sqrt(probs * (1 - probs) / N))
    assert d.expand((4,)).rsample((2,)).shape == (2, 4, 3)


def test_relaxed_against_torch():
    torch = pytest.importorskip("torch")
    p = RNG.uniform(0.1, 0.9, (2, 3))
    ours = D.RelaxedBernoulli(_t(0.7), probs=_t(p))
    theirs = torch.distributions.RelaxedBernoulli(torch.tensor(0.7, dtype=torch.float64), probs=torch.tensor(p))
    v = theirs.sample((4,))
    assert_close(ours.log_prob(_t(v.numpy())), theirs.log_prob(v).numpy(), rtol=1e-9)
    lg = RNG.standard_normal((2, 4))
    ours = D.RelaxedOneHotCategorical(_t(0.5), logits=_t(lg))
    theirs = torch.distributions.RelaxedOneHotCategorical(torch.tensor(0.5, dtype=torch.float64),
                                                          logits=torch.tensor(lg))
    v = theirs.sample((4,))
    assert_close(ours.log_prob(_t(v.numpy())), theirs.log_prob(v).numpy(), rtol=1e-9)


def test_one_hot_straight_through():
    lg = _t(RNG.standard_normal((2, 4)), requires_grad=True)
    w = _t(RNG.standard_normal((3, 2, 4)))
    d = D.OneHotCategoricalStraightThrough(logits=lg)
    assert d.has_rsample
    fastdl.manual_seed(12)
    s = d.rsample((3,))
    fastdl.manual_seed(12)
    plain = D.OneHotCategorical(logits=lg).sample((3,))
    assert_close(s, _np(plain))  # the forward value is the one-hot sample itself
    (s * w).sum().backward()
    # the straight-through gradient: that of sum(w * probs), summed over the samples
    lg2 = _t(_np(lg), requires_grad=True)
    (fastdl.softmax(lg2, -1) * w.sum(0)).sum().backward()
    assert_close(lg.grad, _np(lg2.grad), rtol=1e-9)


@pytest.mark.parametrize("kind", ["probs", "logits"])
def test_continuous_bernoulli(kind):
    p = np.array([0.05, 0.3, 0.4995, 0.5, 0.5007, 0.8, 0.97])
    d = D.ContinuousBernoulli(**{kind: _t(p if kind == "probs" else np.log(p / (1 - p)))})
    # the density integrates to 1, its moments by quadrature (also inside the Taylor region)
    x = np.linspace(0, 1, 20001)
    dens = np.exp(_np(d.log_prob(_t(np.broadcast_to(x[:, None], (x.size, p.size)).copy()))))
    assert_close(np.trapezoid(dens, x, axis=0), np.ones(p.size), rtol=1e-6)
    mean = np.trapezoid(dens * x[:, None], x, axis=0)
    assert_close(d.mean, mean, rtol=1e-6)
    assert_close(d.variance, np.trapezoid(dens * (x[:, None] - mean) ** 2, x, axis=0), rtol=1e-5, atol=1e-8)
    assert_close(d.entropy(), -np.trapezoid(dens * np.log(dens), x, axis=0), rtol=1e-5, atol=1e-8)
    u = _t(RNG.uniform(0.01, 0.99, (3, p.size)))
    assert_close(d.cdf(d.icdf(u)), _np(u), rtol=1e-8, atol=1e-10)
    fastdl.manual_seed(13)
    s = _np(d.sample((N,)))
    assert np.all(np.abs(s.mean(0) - _np(d.mean)) <= Z * np.sqrt(_np(d.variance) / N))
    grad_p = _t(p[[0, 1, 5]], requires_grad=True)
    assert gradcheck(lambda q: (fastdl.manual_seed(2), D.ContinuousBernoulli(q).rsample((2,)))[1], (grad_p,))


def test_continuous_bernoulli_against_torch_and_kl():
    torch = pytest.importorskip("torch")
    TD = torch.distributions
    p, q = np.array([0.05, 0.3, 0.5, 0.8]), np.array([0.6, 0.2, 0.4999, 0.9])
    ours, theirs = D.ContinuousBernoulli(_t(p)), TD.ContinuousBernoulli(torch.tensor(p))
    v = theirs.sample((4,))
    assert_close(ours.log_prob(_t(v.numpy())), theirs.log_prob(v).numpy(), rtol=1e-9)
    assert_close(ours.cdf(_t(v.numpy())), theirs.cdf(v).numpy(), rtol=1e-9)
    assert_close(D.kl_divergence(ours, D.ContinuousBernoulli(_t(q))),
                 TD.kl_divergence(theirs, TD.ContinuousBernoulli(torch.tensor(q))).numpy(), rtol=1e-9)
    with pytest.raises(ValueError, match="ContinuousBernoulli"):
        D.ContinuousBernoulli(_t([1.5]), validate_args=True)


def test_lowrank_multivariate_normal():
    k, m = 4, 2
    loc, W, Dg = RNG.standard_normal((2, k)), RNG.standard_normal((k, m)), RNG.uniform(0.5, 2, (2, k))
    d = D.LowRankMultivariateNormal(_t(loc), _t(W), _t(Dg))
    assert d.batch_shape == (2,) and d.event_shape == (k,) and d.has_rsample
    cov = W @ W.T + np.stack([np.diag(x) for x in Dg])
    x = RNG.standard_normal((3, 2, k))
    want = np.array([[st.multivariate_normal(loc[b], cov[b]).logpdf(x[s, b]) for b in range(2)] for s in range(3)])
    assert_close(d.log_prob(_t(x)), want, rtol=1e-9)
    assert_close(d.entropy(), [st.multivariate_normal(loc[b], cov[b]).entropy() for b in range(2)], rtol=1e-9)
    assert_close(d.covariance_matrix, cov, rtol=1e-9)
    assert_close(d.precision_matrix, np.linalg.inv(cov), rtol=1e-8, atol=1e-10)
    assert_close(d.scale_tril, np.linalg.cholesky(cov), rtol=1e-9, atol=1e-10)
    assert_close(d.variance, np.diagonal(cov, 0, 1, 2), rtol=1e-9)
    fastdl.manual_seed(14)
    s = _np(d.sample((N,)))
    assert np.all(np.abs(s.mean(0) - loc) <= Z * np.sqrt(np.diagonal(cov, 0, 1, 2) / N))
    assert d.expand((3, 2)).rsample((2,)).shape == (2, 3, 2, k)
    assert gradcheck(lambda w, dg: (fastdl.manual_seed(3), D.LowRankMultivariateNormal(_t(loc[0]), w, dg).rsample())[1],
                     (_t(W, requires_grad=True), _t(Dg[0], requires_grad=True)))
    with pytest.raises(ValueError, match="cov_factor"):
        D.LowRankMultivariateNormal(_t(loc), _t(W[:3]), _t(Dg))
    with pytest.raises(ValueError, match="cov_diag"):
        D.LowRankMultivariateNormal(_t(loc), _t(W), _t(-Dg))
    # KL through the full scale_tril: against the MultivariateNormal closed form
    p, q = d, D.LowRankMultivariateNormal(_t(loc[0]), _t(0.5 * W), _t(Dg[1]))
    mp = D.MultivariateNormal(_t(loc), _t(cov))
    mq = D.MultivariateNormal(_t(loc[0]), _t(0.25 * W @ W.T + np.diag(Dg[1])))
    assert_close(D.kl_divergence(p, q), _np(D.kl_divergence(mp, mq)), rtol=1e-9)
    assert_close(D.kl_divergence(p, mq), _np(D.kl_divergence(mp, mq)), rtol=1e-9)
    assert_close(D.kl_divergence(mq, p), _np(D.kl_divergence(mq, mp)), rtol=1e-9)


def test_lowrank_kl_against_torch():
    torch = pytest.importorskip("torch")
    TD = torch.distributions
    k = 3
    args_p = (RNG.standard_normal(k), RNG.standard_normal((k, 2)), RNG.uniform(0.5, 2, k))
    args_q = (RNG.standard_normal(k), RNG.standard_normal((k, 1)), RNG.uniform(0.5, 2, k))
    ours = D.kl_divergence(D.LowRankMultivariateNormal(*map(_t, args_p)), D.LowRankMultivariateNormal(*map(_t, args_q)))
    theirs = TD.kl_divergence(TD.LowRankMultivariateNormal(*map(torch.tensor, args_p)),
                              TD.LowRankMultivariateNormal(*map(torch.tensor, args_q)))
    assert_close(ours, theirs.numpy(), rtol=1e-9)


def test_samplers_finish_on_invalid_unvalidated_parameters():
    # no rejection loop may spin on a parameter it can never accept: nan (inf) instead
    g = _np(D.Gamma(_t([float("nan"), float("inf"), 0.0, -1.0, 2.0]), 1.0, validate_args=False).sample())
    assert np.isnan(g[[0, 2, 3]]).all() and g[1] == np.inf and np.isfinite(g[4])
    b = _np(D.Binomial(_t([float("inf"), 3.0]), probs=_t([0.5, 0.5]), validate_args=False).sample())
    assert np.isnan(b[0]) and 0 <= b[1] <= 3


@pytest.mark.parametrize("cls", ["Binomial", "NegativeBinomial"])
@pytest.mark.parametrize("param", ["probs", "logits"])
def test_expand_keeps_the_given_parameter(cls, param):
    """expand() of a distribution whose parameter names are per instance (probs or logits)
    keeps them: param_shape, mean and log_prob work on the expanded copy."""
    D = getattr(fastdl.distributions, cls)
    d = D(fastdl.tensor([5.0, 7.0]), **{param: fastdl.tensor([0.3, 0.6])})
    e = d.expand((3, 2))
    assert tuple(e.param_shape) == (3, 2)
    np.testing.assert_allclose(e.mean.numpy(), np.broadcast_to(d.mean.numpy(), (3, 2)))
    np.testing.assert_allclose(e.log_prob(fastdl.ones(3, 2)).numpy(),
                               np.broadcast_to(d.log_prob(fastdl.ones(2)).numpy(), (3, 2)), rtol=1e-6)
