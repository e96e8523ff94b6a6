"""fastdl.distributions: values against float64 NumPy formulas and torch.distributions,
sample shapes and statistics, reproducibility, gradients by gradcheck, kl_divergence,
errors, and a policy-gradient step against torch's."""
import math

import numpy as np
import pytest

import fastdl
from fastdl import distributions as D
from fastdl.testing import assert_close, gradcheck

RNG = np.random.default_rng(7)
LOGITS = RNG.standard_normal((2, 3, 4))  # batch (2, 3), 4 categories
PROBS = RNG.uniform(0.1, 1.0, (2, 3, 4))  # unnormalised: Categorical normalises
BPROBS = RNG.uniform(0.05, 0.95, (2, 3))
LOC, SCALE = RNG.standard_normal((2, 3)), RNG.uniform(0.5, 2.0, (2, 3))


def _t(a, **kw):
    return fastdl.tensor(np.asarray(a), **kw)


def _np(t):
    return t.detach().cpu().numpy()


def _log_softmax(x):
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


def _categorical(kind, device="cpu", requires_grad=False):
    raw = LOGITS if kind == "logits" else PROBS
    param = _t(raw, device=device, requires_grad=requires_grad)
    return D.Categorical(**{kind: param}), param


def _np_cat_logp(kind):
    return _log_softmax(LOGITS) if kind == "logits" else np.log(PROBS / PROBS.sum(-1, keepdims=True))


# ---- values against NumPy ------------------------------------------------------------

@pytest.mark.parametrize("kind", ["probs", "logits"])
def test_categorical_values(kind, device):
    d, _ = _categorical(kind, device)
    logp = _np_cat_logp(kind)
    p = np.exp(logp)
    assert d.batch_shape == (2, 3) and d.event_shape == () and d.param_shape == (2, 3, 4)
    assert_close(d.probs, p)
    assert_close(d.logits, logp)
    value = np.array([[0, 1, 3], [2, 2, 1]])
    assert_close(d.log_prob(_t(value, device=device)), np.take_along_axis(logp, value[..., None], -1)[..., 0])
    # sample + batch values broadcast against the batch: (5, 1, 3) -> (5, 2, 3)
    many = RNG.integers(0, 4, (5, 1, 3))
    want = np.take_along_axis(np.broadcast_to(logp, (5, 2, 3, 4)), np.broadcast_to(many, (5, 2, 3))[..., None], -1)
    assert_close(d.log_prob(_t(many, device=device)), want[..., 0])
    assert_close(d.entropy(), -(p * logp).sum(-1))
    assert_close(d.perplexity(), np.exp(-(p * logp).sum(-1)))
    assert np.array_equal(_np(d.mode), p.argmax(-1))
    assert np.isnan(_np(d.mean)).all() and d.mean.shape == (2, 3)
    assert np.isnan(_np(d.variance)).all() and d.variance.shape == (2, 3)
    support = d.enumerate_support()
    assert support.shape == (4, 2, 3) and np.array_equal(_np(support)[:, 0, 0], np.arange(4))
    assert d.enumerate_support(expand=False).shape == (4, 1, 1)


def test_categorical_zero_probability_entropy():
    # a zero probability has logit -inf: its term is 0, the entropy that of the rest
    d = D.Categorical(probs=_t([0.0, 0.5, 0.5]))
    assert_close(d.entropy(), np.array(math.log(2.0), np.float64))
    assert float(d.log_prob(_t(0))) < -30  # log of the clamped eps, as torch


@pytest.mark.parametrize("kind", ["probs", "logits"])
def test_bernoulli_values(kind, device):
    logits = np.log(BPROBS) - np.log1p(-BPROBS)
    param = _t(BPROBS if kind == "probs" else logits, device=device)
    d = D.Bernoulli(**{kind: param})
    assert d.batch_shape == (2, 3) and d.event_shape == ()
    assert_close(d.probs, BPROBS)
    assert_close(d.logits, logits)
    x = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    assert_close(d.log_prob(_t(x, device=device)), x * np.log(BPROBS) + (1 - x) * np.log1p(-BPROBS))
    assert_close(d.entropy(), -(BPROBS * np.log(BPROBS) + (1 - BPROBS) * np.log1p(-BPROBS)))
    assert_close(d.mean, BPROBS)
    assert_close(d.variance, BPROBS * (1 - BPROBS))
    assert_close(d.stddev, np.sqrt(BPROBS * (1 - BPROBS)))
    assert_close(d.mode, (BPROBS >= 0.5).astype(np.float64))
    assert d.enumerate_support().shape == (2, 2, 3)


def test_bernoulli_mode_at_one_half_and_scalar_parameter():
    d = D.Bernoulli(probs=_t([0.2, 0.5, 0.7]))
    assert np.array_equal(_np(d.mode), [0.0, np.nan, 1.0], equal_nan=True)
    s = D.Bernoulli(0.3)  # a number: batch_shape (), the default dtype
    assert s.batch_shape == () and s.probs.dtype is fastdl.get_default_dtype()
    assert s.sample((4,)).shape == (4,)


def test_normal_values(device):
    d = D.Normal(_t(LOC, device=device), _t(SCALE, device=device))
    x = RNG.standard_normal((4, 2, 3))
    assert d.batch_shape == (2, 3) and d.event_shape == () and d.has_rsample
    want = -((x - LOC) ** 2) / (2 * SCALE ** 2) - np.log(SCALE) - 0.5 * np.log(2 * np.pi)
    assert_close(d.log_prob(_t(x, device=device)), want)
    assert_close(d.entropy(), 0.5 + 0.5 * np.log(2 * np.pi) + np.log(SCALE))
    assert_close(d.mean, LOC)
    assert_close(d.mode, LOC)
    assert_close(d.stddev, SCALE)
    assert_close(d.variance, SCALE ** 2)


def test_normal_broadcasts_numbers():
    d = D.Normal(_t(LOC), 2.0)  # the number takes the tensor's dtype and shape
    assert d.batch_shape == (2, 3) and d.scale.dtype is fastdl.float64
    assert_close(d.scale, np.full((2, 3), 2.0))
    s = D.Normal(0.0, 1.0)
    assert s.batch_shape == () and s.sample().shape == () and s.sample((3,)).shape == (3,)
    assert_close(D.Normal(_t([0.0, 1.0]), _t([[1.0], [2.0]])).loc, np.array([[0.0, 1.0], [0.0, 1.0]], np.float32))


def test_independent_values(device):
    base = D.Normal(_t(LOC, device=device), _t(SCALE, device=device))
    d = D.Independent(base, 1)
    assert d.batch_shape == (2,) and d.event_shape == (3,) and d.has_rsample
    x = RNG.standard_normal((5, 2, 3))
    want = (-((x - LOC) ** 2) / (2 * SCALE ** 2) - np.log(SCALE) - 0.5 * np.log(2 * np.pi)).sum(-1)
    assert_close(d.log_prob(_t(x, device=device)), want)
    assert_close(d.entropy(), (0.5 + 0.5 * np.log(2 * np.pi) + np.log(SCALE)).sum(-1))
    assert_close(d.mean, LOC)
    assert_close(d.variance, SCALE ** 2)
    assert d.sample((4,)).shape == (4, 2, 3) and d.rsample().shape == (2, 3)
    both = D.Independent(base, 2)
    assert both.batch_shape == () and both.event_shape == (2, 3)
    assert_close(both.log_prob(_t(x[0], device=device)), np.array(want[0].sum()))
    # a Categorical's event dims stay at the end: batch (2, 3) -> batch (2,), event (3,)
    cat = D.Independent(_categorical("logits", device)[0], 1)
    assert cat.batch_shape == (2,) and cat.event_shape == (3,)
    assert_close(cat.entropy(), -(np.exp(_log_softmax(LOGITS)) * _log_softmax(LOGITS)).sum((-1, -2)))


def test_one_hot_categorical_values(device):
    d = D.OneHotCategorical(logits=_t(LOGITS, device=device))
    logp = _log_softmax(LOGITS)
    assert d.batch_shape == (2, 3) and d.event_shape == (4,)
    idx = np.array([[0, 1, 3], [2, 2, 1]])
    assert_close(d.log_prob(_t(np.eye(4)[idx], device=device)), np.take_along_axis(logp, idx[..., None], -1)[..., 0])
    assert_close(d.entropy(), -(np.exp(logp) * logp).sum(-1))
    assert_close(d.mean, np.exp(logp))
    assert_close(d.variance, np.exp(logp) * (1 - np.exp(logp)))
    assert np.array_equal(_np(d.mode), np.eye(4)[logp.argmax(-1)])
    s = d.sample((5,))
    assert s.shape == (5, 2, 3, 4) and np.array_equal(_np(s).sum(-1), np.ones((5, 2, 3)))
    assert d.enumerate_support().shape == (4, 2, 3, 4)


def test_expand():
    cat = _categorical("logits")[0].expand((5, 2, 3))
    assert cat.batch_shape == (5, 2, 3) and cat.sample().shape == (5, 2, 3)
    assert_close(cat.entropy(), np.broadcast_to(-(np.exp(_log_softmax(LOGITS)) * _log_softmax(LOGITS)).sum(-1),
                                                (5, 2, 3)))
    bern = D.Bernoulli(probs=_t([0.3])).expand((4, 2))
    assert bern.batch_shape == (4, 2) and bern.log_prob(_t(np.ones((4, 2)))).shape == (4, 2)
    norm = D.Normal(_t(LOC), _t(SCALE)).expand((7, 2, 3))
    assert norm.batch_shape == (7, 2, 3) and norm.rsample((2,)).shape == (2, 7, 2, 3)
    ind = D.Independent(D.Normal(_t(LOC), _t(SCALE)), 1).expand((4, 2))
    assert ind.batch_shape == (4, 2) and ind.event_shape == (3,) and ind.base_dist.batch_shape == (4, 2, 3)
    oh = D.OneHotCategorical(probs=_t(PROBS)).expand((6, 2, 3))
    assert oh.batch_shape == (6, 2, 3) and oh.sample().shape == (6, 2, 3, 4)


# ---- against torch.distributions ---------------------------------------------------

def _torch_pair(name, kind):
    """(fastdl distribution, torch distribution) with the same float64 parameters."""
    torch = pytest.importorskip("torch")
    TD = torch.distributions
    if name == "Categorical":
        raw = LOGITS if kind == "logits" else PROBS
        return D.Categorical(**{kind: _t(raw)}), TD.Categorical(**{kind: torch.tensor(raw)})
    if name == "OneHotCategorical":
        raw = LOGITS if kind == "logits" else PROBS
        return D.OneHotCategorical(**{kind: _t(raw)}), TD.OneHotCategorical(**{kind: torch.tensor(raw)})
    if name == "Bernoulli":
        raw = BPROBS if kind == "probs" else LOGITS[..., 0]
        return D.Bernoulli(**{kind: _t(raw)}), TD.Bernoulli(**{kind: torch.tensor(raw)})
    normal = D.Normal(_t(LOC), _t(SCALE)), TD.Normal(torch.tensor(LOC), torch.tensor(SCALE))
    if name == "Normal":
        return normal
    return D.Independent(normal[0], 1), TD.Independent(normal[1], 1)


CASES = [("Categorical", "probs"), ("Categorical", "logits"), ("OneHotCategorical", "probs"),
         ("OneHotCategorical", "logits"), ("Bernoulli", "probs"), ("Bernoulli", "logits"), ("Normal", None),
         ("Independent", None)]


@pytest.mark.parametrize("name,kind", CASES)
def test_against_torch(name, kind):
    torch = pytest.importorskip("torch")
    ours, ref = _torch_pair(name, kind)
    assert tuple(ours.batch_shape) == tuple(ref.batch_shape)
    assert tuple(ours.event_shape) == tuple(ref.event_shape)
    value = ref.sample((5,))
    assert_close(ours.log_prob(_t(value.numpy())), ref.log_prob(value).numpy())
    assert_close(ours.entropy(), ref.entropy().numpy())
    for attr in ("mean", "variance", "mode", "stddev"):
        assert_close(getattr(ours, attr), getattr(ref, attr).to(torch.float64).numpy(), msg=attr)
    for attr in ("probs", "logits"):
        if hasattr(ref, attr) and name != "Normal":
            assert_close(getattr(ours, attr), getattr(ref, attr).numpy(), msg=attr)
    if ref.has_enumerate_support:
        assert np.array_equal(_np(ours.enumerate_support()), ref.enumerate_support().numpy())
    assert ours.has_rsample == ref.has_rsample


def test_against_torch_float32_and_zero_probabilities():
    torch = pytest.importorskip("torch")
    p = np.array([[0.0, 0.25, 0.75], [0.5, 0.5, 0.0]], np.float32)
    ours, ref = D.Categorical(probs=_t(p)), torch.distributions.Categorical(probs=torch.tensor(p))
    assert_close(ours.logits, ref.logits.numpy())
    assert_close(ours.entropy(), ref.entropy().numpy())
    v = torch.tensor([[0, 2], [1, 1], [2, 0]])
    assert_close(ours.log_prob(_t(v.numpy())), ref.log_prob(v).numpy())
    # extreme logits: normalised by logsumexp, nothing overflows
    big = np.array([[1000.0, 0.0, -1000.0]], np.float32)
    ours, ref = D.Categorical(logits=_t(big)), torch.distributions.Categorical(logits=torch.tensor(big))
    assert_close(ours.entropy(), ref.entropy().numpy())
    assert_close(ours.logits, ref.logits.numpy())
    bp = np.array([0.0, 0.3, 1.0], np.float32)
    ours, ref = D.Bernoulli(probs=_t(bp)), torch.distributions.Bernoulli(probs=torch.tensor(bp))
    assert_close(ours.entropy(), ref.entropy().numpy())
    assert_close(ours.log_prob(_t([1.0, 1.0, 0.0])), ref.log_prob(torch.tensor([1.0, 1.0, 0.0])).numpy())


# ---- sampling ------------------------------------------------------------------------

SAMPLE_SHAPES = [(), (5,), (2, 3)]


@pytest.mark.parametrize("sample_shape", SAMPLE_SHAPES)
def test_sample_shapes(sample_shape, device):
    cat = _categorical("probs", device)[0]
    s = cat.sample(sample_shape)
    assert s.shape == sample_shape + (2, 3) and s.dtype is fastdl.int64 and s.device.type == device
    assert 0 <= int(s.min()) and int(s.max()) < 4
    b = D.Bernoulli(logits=_t(BPROBS, device=device)).sample(sample_shape)
    assert b.shape == sample_shape + (2, 3) and set(np.unique(_np(b))) <= {0.0, 1.0}
    n = D.Normal(_t(LOC, device=device), _t(SCALE, device=device))
    assert n.sample(sample_shape).shape == sample_shape + (2, 3)
    assert n.rsample(sample_shape).shape == sample_shape + (2, 3)
    assert D.Independent(n, 1).sample(sample_shape).shape == sample_shape + (2, 3)
    oh = D.OneHotCategorical(probs=_t(PROBS, device=device)).sample(sample_shape)
    assert oh.shape == sample_shape + (2, 3, 4)
    assert cat.sample(list(sample_shape)).shape == sample_shape + (2, 3)  # a list, as torch.Size takes


N_DRAWS = 20_000


def test_categorical_frequencies(device):
    p = np.array([[0.1, 0.2, 0.3, 0.4], [0.7, 0.0, 0.05, 0.25]])
    s = _np(D.Categorical(probs=_t(p, device=device)).sample((N_DRAWS,)))
    for row in range(2):
        freq = np.bincount(s[:, row], minlength=4) / N_DRAWS
        se = np.sqrt(p[row] * (1 - p[row]) / N_DRAWS)
        assert np.all(np.abs(freq - p[row]) <= 4 * se + 1e-12), (row, freq)
    assert not (s[:, 1] == 1).any()  # a zero probability is never drawn


def test_bernoulli_frequencies(device):
    p = np.array([0.02, 0.3, 0.5, 0.95])
    s = _np(D.Bernoulli(probs=_t(p, device=device)).sample((N_DRAWS,)))
    se = np.sqrt(p * (1 - p) / N_DRAWS)
    assert np.all(np.abs(s.mean(0) - p) <= 4 * se)


def test_normal_statistics(device):
    loc, scale = np.array([-1.0, 0.0, 3.0]), np.array([0.5, 1.0, 2.0])
    d = D.Normal(_t(loc, device=device), _t(scale, device=device))
    for s in (_np(d.sample((N_DRAWS,))), _np(d.rsample((N_DRAWS,)))):
        assert np.all(np.abs(s.mean(0) - loc) <= 4 * scale / np.sqrt(N_DRAWS))
        # the sample variance's standard error is about sigma^2 sqrt(2 / n)
        assert np.all(np.abs(s.var(0, ddof=1) - scale ** 2) <= 4 * scale ** 2 * np.sqrt(2 / N_DRAWS))


def test_one_hot_categorical_frequencies():
    p = np.array([0.2, 0.5, 0.3])
    s = _np(D.OneHotCategorical(probs=_t(p)).sample((N_DRAWS,)))
    assert np.all(np.abs(s.mean(0) - p) <= 4 * np.sqrt(p * (1 - p) / N_DRAWS))


def test_reproducible_under_manual_seed():
    def draws():
        return [_np(_categorical("logits")[0].sample((7,))), _np(D.Bernoulli(probs=_t(BPROBS)).sample((7,))),
                _np(D.Normal(_t(LOC), _t(SCALE)).rsample((7,))), _np(D.Normal(_t(LOC), _t(SCALE)).sample())]
    fastdl.manual_seed(123)
    first = draws()
    fastdl.manual_seed(123)
    second = draws()
    for a, b in zip(first, second):
        assert np.array_equal(a, b)
    assert not np.array_equal(first[2], draws()[2])  # the generator moved on


def test_sample_carries_no_gradient_rsample_does():
    loc = _t(LOC, requires_grad=True)
    d = D.Normal(loc, _t(SCALE))
    assert not d.sample().requires_grad and d.rsample().requires_grad
    assert not _categorical("logits", requires_grad=True)[0].sample().requires_grad
    assert not D.Bernoulli(logits=_t(BPROBS, requires_grad=True)).sample().requires_grad


# ---- gradients (float64 central differences) -----------------------------------------

@pytest.mark.parametrize("kind", ["probs", "logits"])
def test_categorical_gradients(kind):
    raw = _t(LOGITS if kind == "logits" else PROBS, requires_grad=True)
    value = _t([[0, 1, 3], [2, 2, 1]])
    gradcheck(lambda x: D.Categorical(**{kind: x}).log_prob(value), (raw,))
    gradcheck(lambda x: D.Categorical(**{kind: x}).entropy(), (raw,))
    gradcheck(lambda x: D.OneHotCategorical(**{kind: x}).entropy(), (raw,))
    other = D.Categorical(logits=_t(LOGITS[::-1].copy()))
    gradcheck(lambda x: D.kl_divergence(D.Categorical(**{kind: x}), other), (raw,))
    gradcheck(lambda x: D.kl_divergence(other, D.Categorical(**{kind: x})), (raw,))


@pytest.mark.parametrize("kind", ["probs", "logits"])
def test_bernoulli_gradients(kind):
    raw = _t(BPROBS if kind == "probs" else LOGITS[..., 0], requires_grad=True)
    value = _t([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    gradcheck(lambda x: D.Bernoulli(**{kind: x}).log_prob(value), (raw,))
    gradcheck(lambda x: D.Bernoulli(**{kind: x}).entropy(), (raw,))
    other = D.Bernoulli(probs=_t(BPROBS[::-1].copy()))
    gradcheck(lambda x: D.kl_divergence(D.Bernoulli(**{kind: x}), other), (raw,))
    gradcheck(lambda x: D.kl_divergence(other, D.Bernoulli(**{kind: x})), (raw,))


def test_normal_gradients():
    loc, scale = _t(LOC, requires_grad=True), _t(SCALE, requires_grad=True)
    x = _t(RNG.standard_normal((4, 2, 3)))
    gradcheck(lambda m, s: D.Normal(m, s).log_prob(x), (loc, scale))
    gradcheck(lambda m, s: D.Normal(m, s).entropy(), (loc, scale))
    gradcheck(lambda m, s: D.Independent(D.Normal(m, s), 1).log_prob(x), (loc, scale))

    def rsample(m, s):
        fastdl.manual_seed(5)  # the same noise at every evaluation
        return D.Normal(m, s).rsample((3,))
    gradcheck(rsample, (loc, scale))
    q = D.Normal(_t(-LOC), _t(SCALE[::-1].copy()))
    gradcheck(lambda m, s: D.kl_divergence(D.Normal(m, s), q), (loc, scale))
    gradcheck(lambda m, s: D.kl_divergence(q, D.Normal(m, s)), (loc, scale))


def test_rsample_gradient_is_the_noise():
    loc, scale = _t(LOC, requires_grad=True), _t(SCALE, requires_grad=True)
    fastdl.manual_seed(9)
    x = D.Normal(loc, scale).rsample((4,))
    x.sum().backward()
    eps = (_np(x) - LOC) / SCALE
    assert_close(loc.grad, np.full(LOC.shape, 4.0))
    assert_close(scale.grad, eps.sum(0), rtol=1e-10, atol=1e-12)


def test_gradients_flow_through_lazy_parameters_read_under_no_grad():
    logits = _t(LOGITS, requires_grad=True)
    d = D.Categorical(logits=logits)
    with fastdl.no_grad():
        d.probs  # noqa: B018  (computed here first: it must still carry the graph)
    d.entropy().sum().backward()
    assert logits.grad is not None and np.isfinite(_np(logits.grad)).all()


# ---- kl_divergence -------------------------------------------------------------------

def _kl_pairs(torch):
    TD = torch.distributions
    lq, sq = -LOC, SCALE[::-1].copy()
    return [
        (D.Normal(_t(LOC), _t(SCALE)), D.Normal(_t(lq), _t(sq)),
         TD.Normal(torch.tensor(LOC), torch.tensor(SCALE)), TD.Normal(torch.tensor(lq), torch.tensor(sq))),
        (D.Categorical(logits=_t(LOGITS)), D.Categorical(probs=_t(PROBS)),
         TD.Categorical(logits=torch.tensor(LOGITS)), TD.Categorical(probs=torch.tensor(PROBS))),
        (D.Bernoulli(probs=_t(BPROBS)), D.Bernoulli(logits=_t(LOGITS[..., 1])),
         TD.Bernoulli(probs=torch.tensor(BPROBS)), TD.Bernoulli(logits=torch.tensor(LOGITS[..., 1]))),
        (D.OneHotCategorical(probs=_t(PROBS)), D.OneHotCategorical(logits=_t(LOGITS)),
         TD.OneHotCategorical(probs=torch.tensor(PROBS)), TD.OneHotCategorical(logits=torch.tensor(LOGITS))),
        (D.Independent(D.Normal(_t(LOC), _t(SCALE)), 1), D.Independent(D.Normal(_t(lq), _t(sq)), 1),
         TD.Independent(TD.Normal(torch.tensor(LOC), torch.tensor(SCALE)), 1),
         TD.Independent(TD.Normal(torch.tensor(lq), torch.tensor(sq)), 1)),
    ]


@pytest.mark.parametrize("which", range(5))
def test_kl_against_torch(which):
    torch = pytest.importorskip("torch")
    p, q, tp, tq = _kl_pairs(torch)[which]
    assert_close(D.kl_divergence(p, q), torch.distributions.kl_divergence(tp, tq).numpy())
    assert_close(D.kl_divergence(p, p), np.zeros(tuple(p.batch_shape)), atol=1e-12)


def test_kl_against_numpy():
    kl = D.kl_divergence(D.Normal(_t(LOC), _t(SCALE)), D.Normal(0.0, 1.0))
    assert_close(kl, 0.5 * (SCALE ** 2 + LOC ** 2 - 1) - np.log(SCALE))
    p, q = _log_softmax(LOGITS), np.log(PROBS / PROBS.sum(-1, keepdims=True))
    kl = D.kl_divergence(D.Categorical(logits=_t(LOGITS)), D.Categorical(probs=_t(PROBS)))
    assert_close(kl, (np.exp(p) * (p - q)).sum(-1))


def test_kl_zero_probabilities_against_torch():
    torch = pytest.importorskip("torch")
    TD = torch.distributions
    p, q = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]]), np.array([[0.5, 0.0, 0.5], [0.1, 0.6, 0.3]])
    ours = D.kl_divergence(D.Categorical(probs=_t(p)), D.Categorical(probs=_t(q)))
    ref = TD.kl_divergence(TD.Categorical(probs=torch.tensor(p)), TD.Categorical(probs=torch.tensor(q)))
    assert _np(ours)[0] == np.inf
    assert_close(ours, ref.numpy())
    bp, bq = np.array([0.0, 1.0, 0.3, 0.3, 0.0]), np.array([0.4, 0.4, 0.0, 1.0, 0.0])
    ours = D.kl_divergence(D.Bernoulli(probs=_t(bp)), D.Bernoulli(probs=_t(bq)))
    ref = TD.kl_divergence(TD.Bernoulli(probs=torch.tensor(bp)), TD.Bernoulli(probs=torch.tensor(bq)))
    assert_close(ours, ref.numpy())


def test_kl_broadcasts_batches():
    p = D.Normal(_t(LOC), _t(SCALE))
    q = D.Normal(_t(np.zeros(3)), _t(np.ones(3)))
    assert_close(D.kl_divergence(p, q), 0.5 * (SCALE ** 2 + LOC ** 2 - 1) - np.log(SCALE))


def test_register_kl_dispatches_to_the_most_specific_pair():
    class MyNormal(D.Normal):
        pass

    p, q = MyNormal(_t(LOC), _t(SCALE)), D.Normal(0.0, 1.0)
    assert_close(D.kl_divergence(p, q), _np(D.kl_divergence(D.Normal(_t(LOC), _t(SCALE)), q)))  # inherited
    try:
        @D.register_kl(MyNormal, D.Normal)
        def _mine(p, q):
            return fastdl.zeros(p.batch_shape, dtype=fastdl.float64)
        assert np.array_equal(_np(D.kl_divergence(p, q)), np.zeros((2, 3)))
        assert float(D.kl_divergence(q, q)) == 0.0  # (Normal, Normal) still the general one
    finally:
        from fastdl.distributions import kl
        kl._KL_REGISTRY.pop((MyNormal, D.Normal), None)
        kl._KL_MEMOIZE.clear()


def test_kl_errors():
    with pytest.raises(NotImplementedError, match="Normal.*Categorical"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Categorical(logits=_t([0.0, 1.0])))
    with pytest.raises(NotImplementedError, match="reinterpreted_batch_ndims"):
        n = D.Normal(_t(LOC), _t(SCALE))
        D.kl_divergence(D.Independent(n, 1), D.Independent(n, 2))
    with pytest.raises(TypeError, match="register_kl"):
        D.register_kl(int, D.Normal)


# ---- errors --------------------------------------------------------------------------

P3 = [0.2, 0.3, 0.5]


@pytest.mark.parametrize("call,exc,words", [
    (lambda: D.Categorical(probs=_t(P3), logits=_t(P3)), ValueError, ["Categorical", "not both"]),
    (lambda: D.Categorical(), ValueError, ["Categorical", "either"]),
    (lambda: D.Bernoulli(probs=_t(P3), logits=_t(P3)), ValueError, ["Bernoulli", "not both"]),
    (lambda: D.Bernoulli(), ValueError, ["Bernoulli", "either"]),
    (lambda: D.OneHotCategorical(), ValueError, ["OneHotCategorical", "either"]),
    (lambda: D.Categorical(probs=_t(0.5)), ValueError, ["Categorical", "one-dimensional", "float64[]"]),
    (lambda: D.Categorical(logits=[0.0, 1.0]), TypeError, ["Categorical", "logits", "list"]),
    (lambda: D.Categorical(probs=_t([0.5, -0.1, 0.6]), validate_args=True), ValueError,
     ["Categorical", "probs", "float64[3]", "Simplex", "-0.1"]),
    (lambda: D.Categorical(logits=_t([[0.0, 1.0], [np.nan, 0.0]]), validate_args=True), ValueError,
     ["Categorical", "logits", "index (1,)"]),
    (lambda: D.OneHotCategorical(probs=_t([0.5, -0.1, 0.6]), validate_args=True), ValueError,
     ["OneHotCategorical", "probs"]),
    (lambda: D.Bernoulli(probs=_t([0.5, 1.5]), validate_args=True), ValueError,
     ["Bernoulli", "probs", "UnitInterval", "1.5", "index (1,)"]),
    (lambda: D.Normal(_t([0.0, 1.0]), _t([1.0, 0.0]), validate_args=True), ValueError,
     ["Normal", "scale", "Positive", "0.0", "index (1,)"]),
    (lambda: D.Normal(_t([np.nan]), 1.0, validate_args=True), ValueError, ["Normal", "loc", "Real"]),
    (lambda: D.Normal(_t([0.0, 1.0]), _t([1.0, 1.0, 1.0])), ValueError, ["Normal", "float64[2]", "float64[3]"]),
    (lambda: D.Normal("0", 1.0), ValueError, ["Normal", "str"]),
    (lambda: D.Independent(D.Normal(_t(LOC), _t(SCALE)), 3), ValueError, ["Independent", "[2, 3]", "3"]),
    (lambda: D.Independent("not a distribution", 0), TypeError, ["Independent", "str"]),
    (lambda: D.Normal(0.0, 1.0).sample(5), TypeError, ["Normal", "(5,)"]),
    (lambda: D.Categorical(logits=_t(P3)).rsample(), NotImplementedError, ["Categorical", "sample()"]),
    (lambda: D.Bernoulli(probs=_t([0.3])).cdf(_t([0.0])), NotImplementedError, ["Bernoulli", "cdf"]),
])
def test_errors(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for w in words:
        assert w in str(info.value), (w, str(info.value))


@pytest.mark.parametrize("call,words", [
    # wrong shapes: not broadcastable with the batch, or the wrong event shape
    (lambda: _categorical("logits")[0].log_prob(_t([0, 1, 2, 3])), ["Categorical", "int64[4]", "[2, 3]"]),
    (lambda: D.Normal(_t(LOC), _t(SCALE)).log_prob(_t(np.zeros((2, 4)))), ["Normal", "float64[2, 4]", "[2, 3]"]),
    (lambda: D.Bernoulli(probs=_t(BPROBS)).log_prob(_t(np.zeros(5))), ["Bernoulli", "float64[5]"]),
    (lambda: D.OneHotCategorical(probs=_t(P3)).log_prob(_t([1.0, 0.0])), ["OneHotCategorical", "event_shape", "[3]"]),
    (lambda: D.Independent(D.Normal(_t(LOC), _t(SCALE)), 1).log_prob(_t(np.zeros(2))),
     ["Independent", "float64[2]", "event_shape", "[3]"]),
    # values outside the support
    (lambda: D.Categorical(logits=_t(P3)).log_prob(_t([3])), ["Categorical", "support", "3"]),
    (lambda: D.Categorical(logits=_t(P3)).log_prob(_t([0.5])), ["Categorical", "support"]),
    (lambda: D.Bernoulli(probs=_t(P3)).log_prob(_t([0.0, 2.0, 1.0])), ["Bernoulli", "support", "2.0"]),
    (lambda: D.OneHotCategorical(probs=_t(P3)).log_prob(_t([1.0, 1.0, 0.0])), ["OneHotCategorical", "support"]),
    (lambda: D.Normal(0.0, 1.0).log_prob(0.5), ["Normal", "Tensor", "float"]),
])
def test_log_prob_errors(call, words):
    with pytest.raises(ValueError) as info:
        call()
    for w in words:
        assert w in str(info.value), (w, str(info.value))


def test_log_prob_wrong_shape_without_validation_still_raises():
    d = D.Normal(_t(LOC), _t(SCALE), validate_args=False)
    with pytest.raises(ValueError, match="cannot be broadcast"):
        d.log_prob(_t(np.zeros((2, 4))))
    c = D.Categorical(logits=_t(LOGITS), validate_args=False)
    with pytest.raises(ValueError, match=r"Categorical.log_prob: value int64\[2\] .* batch_shape \[2, 3\]"):
        c.log_prob(_t([0, 1]))


def test_validate_args_default_and_switch():
    assert D.Distribution._validate_args is __debug__  # torch's global default
    bad = _t([0.5, -0.5])
    D.Normal(0.0, bad, validate_args=False)  # unchecked when asked
    D.Distribution.set_default_validate_args(False)
    try:
        D.Normal(0.0, bad)
        D.Categorical(probs=_t([1.0, -0.5]))
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError, match="Normal"):
        D.Normal(0.0, bad)
    with pytest.raises(ValueError, match="set_default_validate_args"):
        D.Distribution.set_default_validate_args("yes")


def test_repr():
    assert repr(D.Normal(0.0, 1.0)) == "Normal(loc: 0.0, scale: 1.0)"  # as torch: a 0-d tensor formats as its number
    assert repr(D.Categorical(logits=_t(LOGITS))) == "Categorical(logits: [2, 3, 4])"
    assert repr(D.Independent(D.Bernoulli(probs=_t(P3)), 1)) == "Independent(Bernoulli(probs: [3]), 1)"


# ---- as an RL policy gradient uses them ------------------------------------------------

def test_policy_gradient_step_against_torch():
    torch = pytest.importorskip("torch")
    obs_dim, n_actions, batch = 4, 3, 16
    rng = np.random.default_rng(3)
    w = rng.standard_normal((n_actions, obs_dim)).astype(np.float32) * 0.5
    b = rng.standard_normal(n_actions).astype(np.float32) * 0.1
    obs = rng.standard_normal((batch, obs_dim)).astype(np.float32)
    adv = rng.standard_normal(batch).astype(np.float32)

    policy = fastdl.nn.Linear(obs_dim, n_actions)
    policy.load_state_dict({"weight": _t(w), "bias": _t(b)})
    dist = D.Categorical(logits=policy(_t(obs)))
    actions = dist.sample()
    assert actions.shape == (batch,) and actions.dtype is fastdl.int64
    loss = (-dist.log_prob(actions) * _t(adv)).mean()
    loss.backward()
    ent = dist.entropy().mean()

    ref = torch.nn.Linear(obs_dim, n_actions)
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(w))
        ref.bias.copy_(torch.tensor(b))
    tdist = torch.distributions.Categorical(logits=ref(torch.tensor(obs)))
    tloss = (-tdist.log_prob(torch.tensor(_np(actions))) * torch.tensor(adv)).mean()
    tloss.backward()

    for g in (policy.weight.grad, policy.bias.grad):
        assert np.isfinite(_np(g)).all()
    assert_close(loss, tloss.detach().numpy())
    assert_close(ent, tdist.entropy().mean().detach().numpy())
    assert_close(policy.weight.grad, ref.weight.grad.numpy(), rtol=1e-5, atol=1e-6)
    assert_close(policy.bias.grad, ref.bias.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_gaussian_policy_and_vae_terms_train():
    # the VAE's pieces: rsample through Independent(Normal), and its KL to a standard normal
    mu = _t(np.zeros((8, 2), np.float32), requires_grad=True)
    log_sigma = _t(np.zeros((8, 2), np.float32), requires_grad=True)
    opt = fastdl.optim.Adam([mu, log_sigma], lr=0.05)
    target = _t(np.full((8, 2), 1.5, np.float32))
    prior = D.Independent(D.Normal(fastdl.zeros(8, 2), fastdl.ones(8, 2)), 1)
    for _ in range(200):
        q = D.Independent(D.Normal(mu, log_sigma.exp()), 1)
        z = q.rsample()
        loss = (((z - target) ** 2).sum(-1) + 0.01 * D.kl_divergence(q, prior)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert np.all(np.abs(_np(mu) - 1.5) < 0.3)
