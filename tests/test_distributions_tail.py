"""The rest of torch.distributions: FisherSnedecor, GeneralizedPareto, InverseGamma,
Kumaraswamy, LogisticNormal, VonMises, Wishart, LKJCholesky (ExponentialFamily's entropy),
the further transforms and biject_to / transform_to. Values against scipy.stats (float64)
and torch.distributions on the same parameters, sample moments at a fixed seed, rsample
gradients by gradcheck, transform round trips and log-dets against autograd Jacobians,
and the errors validate_args raises."""
import math

import numpy as np
import pytest

import fastdl
from fastdl import distributions as D
from fastdl.autograd.functional import jacobian
from fastdl.distributions import constraints as C
from fastdl.distributions import transforms as T
from fastdl.testing import assert_close, gradcheck

st = pytest.importorskip("scipy.stats")

RNG = np.random.default_rng(14)
A = RNG.uniform(0.6, 2.5, (2, 3))
B = RNG.uniform(0.6, 2.5, (2, 3))
BIG = RNG.uniform(5.0, 9.0, (2, 3))
LOC = RNG.standard_normal((2, 3))
XI = RNG.uniform(-0.4, 0.4, (2, 3))
U = RNG.uniform(0.1, 0.9, (2, 3))
_M = RNG.standard_normal((2, 3, 3))
COV = _M @ _M.transpose(0, 2, 1) + np.eye(3)
DF = np.array([4.5, 6.0])


def _t(a, **kw):
    return fastdl.tensor(np.asarray(a, dtype=np.float64), **kw)


def _np(t):
    return t.detach().cpu().numpy()


# name -> (fastdl ctor args, scipy frozen law of the same parameters, values to score)
SCIPY = {
    "FisherSnedecor": ((A, BIG), st.f(A, BIG), B),
    "GeneralizedPareto": ((LOC, A, XI), st.genpareto(XI, LOC, A), LOC + B),
    "InverseGamma": ((BIG, A), st.invgamma(BIG, scale=A), B),
    "VonMises": ((LOC, A), st.vonmises(A, loc=LOC), LOC + U - 0.5),
}


@pytest.mark.parametrize("name", sorted(SCIPY))
def test_values_against_scipy(name):
    args, ref, value = SCIPY[name]
    d = getattr(D, name)(*[_t(a) for a in args])
    assert tuple(d.batch_shape) == (2, 3) and tuple(d.event_shape) == ()
    assert_close(d.log_prob(_t(value)), ref.logpdf(value), rtol=1e-6 if name == "VonMises" else 1e-10, atol=1e-6)
    if name == "VonMises":  # circular mean / variance: loc and 1 - I1(k) / I0(k)
        assert_close(d.mean, LOC)
        from scipy.special import i0, i1
        assert_close(d.variance, 1 - i1(A) / i0(A), rtol=1e-6)
        return
    assert_close(d.mean, ref.mean(), rtol=1e-10)
    assert_close(d.variance, ref.var(), rtol=1e-10)
    if name != "FisherSnedecor":  # torch gives FisherSnedecor no cdf / entropy
        assert_close(d.cdf(_t(value)), ref.cdf(value), rtol=1e-8, atol=1e-12)
        assert_close(d.entropy(), ref.entropy(), rtol=1e-8)


def test_kumaraswamy_closed_forms():
    a, b = A, B
    d = D.Kumaraswamy(_t(a), _t(b))
    x = U
    assert_close(d.log_prob(_t(x)), np.log(a * b) + (a - 1) * np.log(x) + (b - 1) * np.log1p(-x ** a), rtol=1e-10)
    assert_close(d.cdf(_t(x)), 1 - (1 - x ** a) ** b, rtol=1e-10)
    from scipy.special import beta as B_fn, digamma
    m1 = b * B_fn(1 + 1 / a, b)
    assert_close(d.mean, m1, rtol=1e-10)
    assert_close(d.variance, b * B_fn(1 + 2 / a, b) - m1 ** 2, rtol=1e-9)
    h = (1 - 1 / b) + (1 - 1 / a) * (digamma(b + 1) + np.euler_gamma) - np.log(a * b)
    assert_close(d.entropy(), h, rtol=1e-10)


def test_wishart_against_scipy():
    d = D.Wishart(_t(DF), covariance_matrix=_t(COV))
    assert tuple(d.batch_shape) == (2,) and tuple(d.event_shape) == (3, 3)
    x = st.wishart(DF[0] + 1, np.eye(3)).rvs(random_state=1)
    for i in range(2):
        ref = st.wishart(DF[i], COV[i])
        assert_close(d.log_prob(_t(x))[i], ref.logpdf(x), rtol=1e-10)
        assert_close(d.entropy()[i], ref.entropy(), rtol=1e-10)
        assert_close(d.mean[i], ref.mean(), rtol=1e-10)
        assert_close(d.variance[i], ref.var(), rtol=1e-10)
    # the three parameterisations agree; ExponentialFamily's autograd entropy matches the closed form
    L = np.linalg.cholesky(COV)
    for kw in ({"scale_tril": _t(L)}, {"precision_matrix": _t(np.linalg.inv(COV))}):
        assert_close(D.Wishart(_t(DF), **kw).log_prob(_t(x)), _np(d.log_prob(_t(x))), rtol=1e-9)
    assert_close(D.ExponentialFamily.entropy(d).detach(), _np(d.entropy()), rtol=1e-9)
    assert_close(d.precision_matrix, np.linalg.inv(COV), rtol=1e-9, atol=1e-12)


def _lkj_normaliser(dim, eta):
    """log of the LKJ(eta) normalising constant of the correlation matrix density (LKJ 2009)."""
    from scipy.special import betaln
    total = 0.0
    for k in range(1, dim):
        total += (2 * eta - 2 + dim - k) * (dim - k) * math.log(2) + (dim - k) * betaln(eta + (dim - k - 1) / 2,
                                                                                        eta + (dim - k - 1) / 2)
    return total


def test_lkj_log_prob_and_onion_sample():
    fastdl.manual_seed(0)
    d = D.LKJCholesky(3, _t([0.7, 2.0]))
    assert tuple(d.batch_shape) == (2,) and tuple(d.event_shape) == (3, 3)
    L = d.sample((4000,))
    assert tuple(L.shape) == (4000, 2, 3, 3) and bool(C.corr_cholesky.check(L).all())
    R = _np(L @ L.transpose(-2, -1))
    # off-diagonal correlations: mean 0, variance 1 / (2 eta + dim - 1)
    off = R[..., 1, 0]
    assert np.all(np.abs(off.mean(0)) < 0.05)
    assert_close(off.var(0), 1 / (2 * np.array([0.7, 2.0]) + 2), rtol=0.08)
    # log_prob of the Cholesky factor = log p(R) + log |dR/dL| with p(R) = det(R)^(eta-1) / c
    Lx = _np(L[:2, 0])
    lp = _np(D.LKJCholesky(3, 0.7).log_prob(_t(Lx)))
    diag = np.diagonal(Lx, axis1=-2, axis2=-1)
    log_det_r = 2 * np.log(diag).sum(-1)
    jac = ((3 - np.arange(1, 4)) * np.log(diag)).sum(-1)  # prod_i L_ii^(dim - i)
    assert_close(lp, (0.7 - 1) * log_det_r - _lkj_normaliser(3, 0.7) + jac, rtol=1e-9)


# ---- torch parity on the same parameters ----
def _torch_pair(name, torch):
    TD = torch.distributions
    f = {
        "FisherSnedecor": (A, BIG), "InverseGamma": (BIG, A), "Kumaraswamy": (A, B), "VonMises": (LOC, A),
        "LogisticNormal": (LOC, A),
    }
    if name in f:
        args = f[name]
        return (getattr(D, name)(*[_t(a) for a in args]), getattr(TD, name)(*[torch.tensor(a) for a in args]))
    if name == "GeneralizedPareto":  # float32: torch's float64 log_prob trips on isclose(c, float32 0)
        args = [np.asarray(a, np.float32) for a in (LOC, A, XI)]
        return D.GeneralizedPareto(*map(fastdl.tensor, args)), TD.GeneralizedPareto(*map(torch.tensor, args))
    if name == "Wishart":
        return (D.Wishart(_t(DF), covariance_matrix=_t(COV)),
                TD.Wishart(torch.tensor(DF), covariance_matrix=torch.tensor(COV)))
    if name == "LKJCholesky":
        return D.LKJCholesky(4, _t([0.5, 1.0, 3.0])), TD.LKJCholesky(4, torch.tensor([0.5, 1.0, 3.0]))
    raise KeyError(name)


@pytest.mark.parametrize("name", ["FisherSnedecor", "GeneralizedPareto", "InverseGamma", "Kumaraswamy",
                                  "LKJCholesky", "LogisticNormal", "VonMises", "Wishart"])
def test_against_torch(name):
    torch = pytest.importorskip("torch")
    import warnings
    fd, td = _torch_pair(name, torch)
    assert tuple(fd.batch_shape) == tuple(td.batch_shape) and tuple(fd.event_shape) == tuple(td.event_shape)
    assert fd.has_rsample == td.has_rsample
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's Wishart warns "Singular sample" on every draw
        v = td.sample((5,))
    rtol = 1e-5 if name == "GeneralizedPareto" else 1e-9
    assert_close(fd.log_prob(fastdl.tensor(v.numpy())), td.log_prob(v).numpy(), rtol=rtol, atol=1e-6)
    for attr in ("mean", "variance", "mode"):
        try:
            ref = getattr(td, attr).numpy()
        except NotImplementedError:
            continue
        got = _np(getattr(fd, attr))
        assert np.array_equal(np.isnan(got), np.isnan(ref)) and np.array_equal(np.isinf(got), np.isinf(ref))
        ok = np.isfinite(ref)
        assert_close(got[ok], ref[ok], rtol=1e-6 if name == "GeneralizedPareto" else 1e-9, atol=1e-7)
    for meth in ("entropy", "cdf"):
        try:
            ref = (td.entropy() if meth == "entropy" else td.cdf(v)).numpy()
        except NotImplementedError:
            with pytest.raises(NotImplementedError):
                fd.entropy() if meth == "entropy" else fd.cdf(fastdl.tensor(v.numpy()))
            continue
        got = fd.entropy() if meth == "entropy" else fd.cdf(fastdl.tensor(v.numpy()))
        assert_close(got, ref, rtol=rtol, atol=1e-6)
    # expand keeps the values
    e = fd.expand((4,) + tuple(fd.batch_shape))
    assert tuple(e.batch_shape) == (4,) + tuple(fd.batch_shape)
    assert_close(e.log_prob(fastdl.tensor(v.numpy())[0]), _np(fd.log_prob(fastdl.tensor(v.numpy())[0]))[None]
                 .repeat(4, 0), rtol=1e-12, atol=1e-12)


# ---- sample moments at a fixed seed ----
@pytest.mark.parametrize("name", ["FisherSnedecor", "GeneralizedPareto", "InverseGamma", "Kumaraswamy"])
def test_sample_moments(name):
    fastdl.manual_seed(3)
    args = {"FisherSnedecor": (A, BIG + 4), "GeneralizedPareto": (LOC, A, XI * 0.5),
            "InverseGamma": (BIG, A), "Kumaraswamy": (A, B)}[name]
    d = getattr(D, name)(*[_t(a) for a in args])
    n = 20000
    x = _np(d.sample((n,)))
    assert x.shape == (n, 2, 3) and bool(d.support.check(_t(x)).all())
    mean, var = _np(d.mean), _np(d.variance)
    assert np.all(np.abs(x.mean(0) - mean) < 6 * np.sqrt(var / n))
    # the variance's estimate is noisy for the heavier tails: a loose relative bound
    assert np.all(np.abs(x.var(0) / var - 1) < 0.25)


def test_von_mises_sample_moments():
    fastdl.manual_seed(5)
    d = D.VonMises(_t([0.5, -2.5, 3.0]), _t([0.3, 2.0, 1e-6]))
    x = _np(d.sample((20000,)))
    assert x.shape == (20000, 3) and np.all(np.abs(x) <= math.pi) and d.sample().dtype == fastdl.float64
    z = np.exp(1j * x).mean(0)
    assert_close(np.angle(z[:2]), [0.5, -2.5], atol=0.06)
    assert_close(1 - np.abs(z), _np(d.variance), atol=0.02)
    assert D.VonMises(fastdl.tensor([0.0]), fastdl.tensor([1.0])).sample((3,)).dtype == fastdl.float32


def test_wishart_and_logistic_normal_sample_moments():
    fastdl.manual_seed(6)
    d = D.Wishart(_t(DF), covariance_matrix=_t(COV))
    x = _np(d.rsample((6000,)))
    assert x.shape == (6000, 2, 3, 3) and bool(C.positive_definite.check(_t(x[:50])).all())
    sd = np.sqrt(_np(d.variance) / 6000)
    assert np.all(np.abs(x.mean(0) - _np(d.mean)) < 6 * sd)
    ln = D.LogisticNormal(_t(LOC), _t(A))
    assert tuple(ln.event_shape) == (4,) and tuple(ln.batch_shape) == (2,)
    y = ln.sample((8000,))
    assert bool(C.simplex.check(y).all())
    base = _np(T.StickBreakingTransform().inv(y))  # back to the Normal draws
    assert np.all(np.abs(base.mean(0) - LOC) < 6 * A / np.sqrt(8000))
    assert_close(base.std(0), A, rtol=0.05)


# ---- rsample gradients (fixed noise: the sample is a smooth map of the parameters) ----
RSAMPLE = {
    "GeneralizedPareto": (lambda a, b: D.GeneralizedPareto(a, b, a * 0.1), (LOC[0], A[0])),
    "Kumaraswamy": (lambda a, b: D.Kumaraswamy(a, b), (A[0], B[0])),
    "LogisticNormal": (lambda a, b: D.LogisticNormal(a, b), (LOC[0], A[0])),
    "InverseGamma": (lambda a, b: D.InverseGamma(_t(BIG[0]), b), (A[0], A[0])),
    "Wishart": (lambda a, b: D.Wishart(_t(5.0), scale_tril=a.tril(-1) + b.diag_embed()),
                (RNG.standard_normal((3, 3)), A[0])),
}


@pytest.mark.parametrize("name", sorted(RSAMPLE))
def test_rsample_gradcheck(name):
    make, args = RSAMPLE[name]

    def fn(a, b):
        fastdl.manual_seed(8)
        return make(a, b).rsample((2,))
    params = [_t(a, requires_grad=True) for a in args]
    assert gradcheck(fn, params)


def test_log_prob_gradcheck():
    v = _t(B[0])
    for make, params in [(D.FisherSnedecor, (A[0], BIG[0])), (D.InverseGamma, (BIG[0], A[0])),
                         (D.VonMises, (LOC[0], A[0] * 3)), (D.Kumaraswamy, (A[0], B[0]))]:
        ps = [_t(p, requires_grad=True) for p in params]
        vv = _t(U[0]) if make is D.Kumaraswamy else v
        assert gradcheck(lambda *q: make(*q).log_prob(vv), ps)
    L0 = np.linalg.cholesky(COV[0])
    x = _t(COV[1])
    assert gradcheck(lambda df, L: D.Wishart(df, scale_tril=L.tril()).log_prob(x), (_t(4.5, requires_grad=True),
                                                                                   _t(L0, requires_grad=True)))
    assert gradcheck(lambda c: D.LKJCholesky(3, c).log_prob(_t(np.linalg.cholesky(COV[0] / np.sqrt(
        np.outer(np.diag(COV[0]), np.diag(COV[0])))))), (_t([0.8, 2.0], requires_grad=True),))


def test_wishart_rsample_gradient_in_df_is_finite():
    df = _t(5.0, requires_grad=True)
    fastdl.manual_seed(2)
    D.Wishart(df, covariance_matrix=_t(COV[0])).rsample((3,)).sum().backward()
    assert df.grad is not None and np.isfinite(_np(df.grad)).all()


# ---- transforms ----
def _ladj_by_autograd(t, x, out_index=None):
    """log |det dy/dx| from the autograd Jacobian of one event (x 1-d), y restricted to out_index."""
    def f(z):
        y = t(z).reshape(-1)
        return y if out_index is None else y[out_index]
    J = _np(jacobian(f, x))
    return np.linalg.slogdet(J)[1]


def test_vector_transforms_log_det_against_autograd():
    x = _t(RNG.standard_normal(6))
    sb = T.StickBreakingTransform()
    y = sb(x)
    assert tuple(y.shape) == (7,) and bool(C.simplex.check(y))
    assert_close(sb.inv(y), _np(x), rtol=1e-9, atol=1e-12)
    assert_close(sb.log_abs_det_jacobian(x, y), _ladj_by_autograd(sb, x, fastdl.arange(6)), rtol=1e-9)
    cc = T.CorrCholeskyTransform()
    L = cc(x)
    assert tuple(L.shape) == (4, 4) and bool(C.corr_cholesky.check(L))
    assert_close(cc.inv(L), _np(x), rtol=1e-8, atol=1e-10)
    tril = fastdl.tensor([4, 8, 9, 12, 13, 14])  # flat positions of the strict lower triangle
    assert_close(cc.log_abs_det_jacobian(x, L), _ladj_by_autograd(cc, x, tril), rtol=1e-9)
    assert tuple(cc.forward_shape((2, 6))) == (2, 4, 4) and tuple(cc.inverse_shape((2, 4, 4))) == (2, 6)
    assert tuple(sb.forward_shape((5, 6))) == (5, 7) and tuple(sb.inverse_shape((5, 7))) == (5, 6)
    sp = T.SoftplusTransform()
    z = _t([-30.0, -1.0, 0.3, 25.0])
    assert_close(sp.inv(sp(z)), _np(z), rtol=1e-9)
    assert_close(sp.log_abs_det_jacobian(z, sp(z)), np.log(1 / (1 + np.exp(-_np(z)))), rtol=1e-12)
    assert sp.sign == 1 and sp == T.SoftplusTransform()


def test_structural_transforms():
    x = _t(RNG.standard_normal((2, 5)))
    cat = T.CatTransform([T.ExpTransform(), T.AffineTransform(1.0, 3.0), T.SoftplusTransform()], dim=1,
                         lengths=[2, 2, 1])
    y = cat(x)
    xn = _np(x)
    assert_close(y, np.concatenate([np.exp(xn[:, :2]), 1 + 3 * xn[:, 2:4], np.log1p(np.exp(xn[:, 4:]))], 1))
    assert_close(cat.inv(y), xn, rtol=1e-9)
    ladj = np.concatenate([xn[:, :2], np.full((2, 2), math.log(3.0)), -np.log1p(np.exp(-xn[:, 4:]))], 1)
    assert_close(cat.log_abs_det_jacobian(x, y), ladj, rtol=1e-12)
    assert cat.bijective and cat.event_dim == 0 and bool(cat.codomain.check(y).all())
    stk = T.StackTransform([T.ExpTransform(), T.AffineTransform(-1.0, 2.0)], dim=0)
    ys = stk(x)
    assert_close(ys, np.stack([np.exp(xn[0]), -1 + 2 * xn[1]]))
    assert_close(stk.inv(ys), xn, rtol=1e-9)
    assert_close(stk.log_abs_det_jacobian(x, ys), np.stack([xn[0], np.full(5, math.log(2.0))]))
    rs = T.ReshapeTransform((2, 5), (10,))
    assert tuple(rs(x).shape) == (10,) and assert_close(rs.inv(rs(x)), xn) is None
    assert tuple(rs.log_abs_det_jacobian(x, rs(x)).shape) == () and rs.domain.event_dim == 2
    assert tuple(rs.forward_shape((3, 2, 5))) == (3, 10) and tuple(rs.inverse_shape((3, 10))) == (3, 2, 5)
    ind = T.IndependentTransform(T.ExpTransform(), 1)
    assert ind.domain.event_dim == 1 and ind.codomain.event_dim == 1 and ind.sign == 1
    assert_close(ind.log_abs_det_jacobian(x, ind(x)), xn.sum(-1))
    # CumulativeDistributionTransform: a Normal's cdf, log-det its log_prob
    n = D.Normal(_t(0.5), _t(2.0))
    cdt = T.CumulativeDistributionTransform(n)
    u = cdt(x)
    assert_close(u, st.norm(0.5, 2.0).cdf(xn), rtol=1e-10)
    assert_close(cdt.inv(u), xn, rtol=1e-8)
    assert_close(cdt.log_abs_det_jacobian(x, u), st.norm(0.5, 2.0).logpdf(xn), rtol=1e-10)
    assert cdt.domain is n.support and cdt.codomain is C.unit_interval


def test_matrix_transforms():
    x = _t(RNG.standard_normal((2, 3, 3)))
    lc = T.LowerCholeskyTransform()
    L = lc(x)
    assert bool(C.lower_cholesky.check(L).all())
    assert_close(lc.inv(L), np.tril(_np(x)), rtol=1e-12)
    pd = T.PositiveDefiniteTransform()
    P = pd(x)
    assert bool(C.positive_definite.check(P).all())
    assert_close(pd(pd.inv(P)), _np(P), rtol=1e-9)
    for t in (lc, pd):  # as torch: neither defines log_abs_det_jacobian
        with pytest.raises(NotImplementedError):
            t.log_abs_det_jacobian(x, t(x))


def test_transforms_against_torch():
    torch = pytest.importorskip("torch")
    TT = torch.distributions.transforms
    x6 = RNG.standard_normal((2, 6))
    x33 = RNG.standard_normal((2, 3, 3))
    for name, x in [("SoftplusTransform", x6), ("StickBreakingTransform", x6), ("CorrCholeskyTransform", x6),
                    ("LowerCholeskyTransform", x33), ("PositiveDefiniteTransform", x33)]:
        f, t = getattr(T, name)(), getattr(TT, name)()
        yf, yt = f(_t(x)), t(torch.tensor(x))
        assert_close(yf, yt.numpy(), rtol=1e-12, atol=1e-14)
        assert_close(f.inv(yf), t.inv(yt).numpy(), rtol=1e-9, atol=1e-12)
        assert f.domain.event_dim == t.domain.event_dim and f.codomain.event_dim == t.codomain.event_dim
        if name in ("SoftplusTransform", "StickBreakingTransform", "CorrCholeskyTransform"):
            assert_close(f.log_abs_det_jacobian(_t(x), yf), t.log_abs_det_jacobian(torch.tensor(x), yt).numpy(),
                         rtol=1e-12, atol=1e-12)


# ---- biject_to / transform_to ----
REGISTERED = [
    (C.real, (3,)), (C.positive, (3,)), (C.nonnegative, (3,)), (C.greater_than(2.0), (3,)),
    (C.greater_than_eq(-1.0), (3,)), (C.less_than(1.5), (3,)), (C.interval(-2.0, 3.0), (3,)),
    (C.half_open_interval(0.0, 1.0), (3,)), (C.unit_interval, (3,)), (C.simplex, (4,)),
    (C.independent(C.positive, 1), (2, 3)), (C.corr_cholesky, (6,)),
    (C.cat([C.positive, C.real], 0, [2, 1]), (3,)), (C.stack([C.positive, C.interval(0.0, 2.0)], 0), (2, 3)),
]


@pytest.mark.parametrize("i", range(len(REGISTERED)))
def test_biject_to_and_transform_to(i):
    c, shape = REGISTERED[i]
    x = _t(RNG.standard_normal(shape))
    for registry in (D.biject_to, D.transform_to):
        t = registry(c)
        y = t(x)
        assert bool(c.check(y).all())
        if registry is D.biject_to:
            assert t.bijective
            assert_close(t.inv(y), _np(x), rtol=1e-7, atol=1e-9)
            assert tuple(t.log_abs_det_jacobian(x, y).shape) == tuple(x.shape[:x.ndim - t.domain.event_dim])
    mats = _t(RNG.standard_normal((2, 3, 3)))
    assert bool(C.lower_cholesky.check(D.transform_to(C.lower_cholesky)(mats)).all())
    assert bool(C.positive_definite.check(D.transform_to(C.positive_definite)(mats)).all())
    assert isinstance(D.transform_to(C.simplex), T.SoftmaxTransform)
    assert isinstance(D.biject_to(C.simplex), T.StickBreakingTransform)


def test_registry_errors_and_custom_registration():
    with pytest.raises(NotImplementedError, match="Cannot transform"):
        D.biject_to(C.lower_cholesky)  # torch registers it with transform_to only
    with pytest.raises(TypeError):
        D.constraint_registry.ConstraintRegistry().register(3, lambda c: None)
    reg = D.constraint_registry.ConstraintRegistry()

    @reg.register(C.positive)
    def _softplus(c):
        return T.SoftplusTransform()
    assert isinstance(reg(C.positive), T.SoftplusTransform)


# ---- bad parameters and values ----
def test_bad_parameters_raise_as_torch():
    one, neg = _t([1.0, 2.0]), _t([1.0, -2.0])
    for make in (lambda: D.FisherSnedecor(neg, one), lambda: D.FisherSnedecor(one, neg),
                 lambda: D.GeneralizedPareto(one, neg, one), lambda: D.InverseGamma(neg, one),
                 lambda: D.InverseGamma(one, neg), lambda: D.Kumaraswamy(neg, one), lambda: D.VonMises(one, neg),
                 lambda: D.LogisticNormal(one, neg), lambda: D.LKJCholesky(3, neg)):
        with pytest.raises(ValueError, match="constraint"):
            make()
    D.FisherSnedecor(neg, one, validate_args=False)  # not checked when validation is off
    with pytest.raises(ValueError, match="df"):
        D.Wishart(_t(1.5), covariance_matrix=_t(COV[0]))
    with pytest.raises(ValueError, match="exactly one"):
        D.Wishart(_t(5.0), covariance_matrix=_t(COV[0]), scale_tril=_t(np.eye(3)))
    with pytest.raises(ValueError, match="positive_definite|PositiveDefinite"):
        D.Wishart(_t(5.0), covariance_matrix=_t(-np.eye(3)))
    with pytest.raises(ValueError, match="dim"):
        D.LKJCholesky(1)
    with pytest.warns(UserWarning, match="Low df"):
        D.Wishart(_t(2.5), covariance_matrix=_t(COV[0]))
    # values outside the support
    with pytest.raises(ValueError, match="support"):
        D.FisherSnedecor(one, one).log_prob(_t([-1.0, 1.0]))
    with pytest.raises(ValueError, match="support"):
        D.Kumaraswamy(one, one).log_prob(_t([0.5, 1.5]))
    with pytest.raises(ValueError, match="support"):
        D.GeneralizedPareto(_t(0.0), _t(1.0), _t(-0.5)).log_prob(_t([3.0]))  # above loc - scale / c = 2
    with pytest.raises(ValueError, match="support"):
        D.LKJCholesky(2).log_prob(_t([[1.0, 0.0], [0.5, 0.5]]))
    # malformed transforms
    with pytest.raises(AssertionError):
        T.CatTransform([T.ExpTransform()], lengths=[1, 2])
    with pytest.raises(AssertionError):
        T.CatTransform([T.ExpTransform()], dim=0, lengths=[2])(_t([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="elements"):
        T.ReshapeTransform((2, 3), (5,))
    with pytest.raises(ValueError, match="flattened lower-diagonal"):
        T.CorrCholeskyTransform().forward_shape((5,))
