"""torch's top-level long tail (toplevel branch): the functional aliases with ATen's
signatures (ops/toplevel_aliases.py), the in-place top-level unary ops, utilities
(ops/toplevel_utils.py), window functions (ops/windows.py), *_copy views
(ops/view_copies.py), global flags (flags.py) and Tensor methods (tensor_extras.py).
Each is checked against NumPy / a hand value or the nn.functional op it fronts (which is
itself tested against NumPy), against torch where installed, by gradcheck where
differentiable, and with bad inputs."""
import array
import math
import warnings

import numpy as np
import pytest

import fastdl
import fastdl.nn.functional as F
from fastdl.testing import gradcheck

D = fastdl.float64


def _r(*shape, seed=0, lo=-1.0, hi=1.0):
    return np.random.default_rng(seed).uniform(lo, hi, shape)


def _t(a, grad=False):
    return fastdl.tensor(np.asarray(a), dtype=D, requires_grad=grad)


def _seq(x):
    return isinstance(x, (tuple, list)) and len(x) > 0 and hasattr(x[0], "shape")


def _np(x):
    return np.asarray(x.detach()) if hasattr(x, "detach") else np.asarray(x)


def _close(a, b, tol=1e-9):
    if _seq(a) or _seq(b):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            _close(u, v, tol)
        return
    a, b = _np(a), _np(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


# ---- part 1: aliases: (name, args as NumPy arrays / values, fastdl.nn.functional reference, differentiable) ----
X3 = _r(2, 4, 7)
X4 = _r(2, 4, 5, 6, seed=1)
X5 = _r(1, 2, 3, 4, 5, seed=2)
W1, W2, W3 = _r(3, 4, 3, seed=3), _r(3, 4, 3, 3, seed=4), _r(3, 2, 2, 2, 2, seed=5)
WT1, WT2, WT3 = _r(4, 3, 3, seed=6), _r(4, 3, 3, 3, seed=7), _r(2, 3, 2, 2, 2, seed=8)
B3 = _r(3, seed=9)
V = _r(3, 5, seed=10)
V2 = _r(3, 5, seed=11)
SIGN = np.array([1.0, -1.0, 1.0])
LN_W, LN_B = _r(5, seed=12), _r(5, seed=13)

ALIASES = [
    ("conv1d", lambda t, c: fastdl.conv1d(t(X3), t(W1), t(B3), 2, 1, 1, 1),
     lambda t, c: F.conv1d(t(X3), t(W1), t(B3), 2, 1)),
    ("conv2d", lambda t, c: fastdl.conv2d(t(X4), t(W2), None, 1, 1, 2, 1),
     lambda t, c: F.conv2d(t(X4), t(W2), None, 1, 1, 2)),
    ("conv3d", lambda t, c: fastdl.conv3d(t(X5), t(W3), None, 1, 1), lambda t, c: F.conv3d(t(X5), t(W3), None, 1, 1)),
    ("conv_transpose1d", lambda t, c: fastdl.conv_transpose1d(t(X3), t(WT1), None, 2, 1, 1),
     lambda t, c: F.conv_transpose1d(t(X3), t(WT1), None, 2, 1, 1)),
    ("conv_transpose2d", lambda t, c: fastdl.conv_transpose2d(t(X4), t(WT2), t(B3), 2),
     lambda t, c: F.conv_transpose2d(t(X4), t(WT2), t(B3), 2)),
    ("conv_transpose3d", lambda t, c: fastdl.conv_transpose3d(t(X5), t(WT3)),
     lambda t, c: F.conv_transpose3d(t(X5), t(WT3))),
    ("convolution-2d", lambda t, c: fastdl.convolution(t(X4), t(W2), t(B3), [1, 1], [1, 0], [1, 1], False, [0, 0], 1),
     lambda t, c: F.conv2d(t(X4), t(W2), t(B3), 1, (1, 0))),
    ("convolution-t1d", lambda t, c: fastdl.convolution(t(X3), t(WT1), None, [2], [0], [1], True, [1], 1),
     lambda t, c: F.conv_transpose1d(t(X3), t(WT1), None, 2, 0, 1)),
    ("avg_pool1d", lambda t, c: fastdl.avg_pool1d(t(X3), 3, [], 1), lambda t, c: F.avg_pool1d(t(X3), 3, 3, 1)),
    ("max_pool1d", lambda t, c: fastdl.max_pool1d(t(X3), 2, 1), lambda t, c: F.max_pool1d(t(X3), 2, 1)),
    ("max_pool2d", lambda t, c: fastdl.max_pool2d(t(X4), 2), lambda t, c: F.max_pool2d(t(X4), 2)),
    ("max_pool3d", lambda t, c: fastdl.max_pool3d(t(X5), 2, 1, 0, 1, True),
     lambda t, c: F.max_pool3d(t(X5), 2, 1, 0, 1, True)),
    ("max_pool1d_with_indices", lambda t, c: fastdl.max_pool1d_with_indices(t(X3), 3, 2),
     lambda t, c: F.max_pool1d(t(X3), 3, 2, return_indices=True)),
    ("adaptive_avg_pool1d", lambda t, c: fastdl.adaptive_avg_pool1d(t(X3), 3),
     lambda t, c: F.adaptive_avg_pool1d(t(X3), 3)),
    ("adaptive_max_pool1d", lambda t, c: fastdl.adaptive_max_pool1d(t(X3), 4),
     lambda t, c: F.adaptive_max_pool1d(t(X3), 4, return_indices=True)),
    ("batch_norm", lambda t, c: fastdl.batch_norm(t(V), t(LN_W), t(LN_B), None, None, True, 0.1, 1e-5, False),
     lambda t, c: F.batch_norm(t(V), None, None, t(LN_W), t(LN_B), True)),
    ("instance_norm", lambda t, c: fastdl.instance_norm(t(X3), None, None, None, None, True, 0.1, 1e-5, False),
     lambda t, c: F.instance_norm(t(X3))),
    ("layer_norm", lambda t, c: fastdl.layer_norm(t(V), [5], t(LN_W), t(LN_B), 1e-5, True),
     lambda t, c: F.layer_norm(t(V), [5], t(LN_W), t(LN_B))),
    ("group_norm", lambda t, c: fastdl.group_norm(t(X3), 2, None, None, 1e-5, True),
     lambda t, c: F.group_norm(t(X3), 2)),
    ("rms_norm", lambda t, c: fastdl.rms_norm(t(V), [5], t(LN_W)), lambda t, c: F.rms_norm(t(V), [5], t(LN_W))),
    ("pixel_shuffle", lambda t, c: fastdl.pixel_shuffle(t(X4), 2), lambda t, c: F.pixel_shuffle(t(X4), 2)),
    ("pixel_unshuffle", lambda t, c: fastdl.pixel_unshuffle(t(_r(1, 2, 4, 6)), 2),
     lambda t, c: F.pixel_unshuffle(t(_r(1, 2, 4, 6)), 2)),
    ("channel_shuffle", lambda t, c: fastdl.channel_shuffle(t(X4), 2), lambda t, c: F.channel_shuffle(t(X4), 2)),
    ("native_channel_shuffle", lambda t, c: fastdl.native_channel_shuffle(t(X4), 2),
     lambda t, c: F.channel_shuffle(t(X4), 2)),
    ("prelu", lambda t, c: fastdl.prelu(t(X3), t([0.25])), lambda t, c: F.prelu(t(X3), t([0.25]))),
    ("selu", lambda t, c: fastdl.selu(t(V)), lambda t, c: F.selu(t(V))),
    ("celu", lambda t, c: fastdl.celu(t(V), 0.7), lambda t, c: F.celu(t(V), 0.7)),
    ("rrelu-eval", lambda t, c: fastdl.rrelu(t(V)), lambda t, c: F.leaky_relu(t(V), (0.125 + 1 / 3) / 2)),
    ("threshold", lambda t, c: fastdl.threshold(t(V), 0.1, 20.0), lambda t, c: F.threshold(t(V), 0.1, 20.0)),
    ("hardshrink", lambda t, c: fastdl.hardshrink(t(V), 0.3), lambda t, c: F.hardshrink(t(V), 0.3)),
    ("cosine_similarity", lambda t, c: fastdl.cosine_similarity(t(V), t(V2), 0),
     lambda t, c: F.cosine_similarity(t(V), t(V2), 0)),
    ("pairwise_distance", lambda t, c: fastdl.pairwise_distance(t(V), t(V2), 3.0, 1e-6, True),
     lambda t, c: F.pairwise_distance(t(V), t(V2), 3.0, 1e-6, True)),
    ("kl_div", lambda t, c: fastdl.kl_div(t(V), t(np.abs(V2)), 2),
     lambda t, c: F.kl_div(t(V), t(np.abs(V2)), reduction="sum")),
    ("kl_div-logt", lambda t, c: fastdl.kl_div(t(V), t(V2), 0, log_target=True),
     lambda t, c: F.kl_div(t(V), t(V2), reduction="none", log_target=True)),
    ("margin_ranking_loss", lambda t, c: fastdl.margin_ranking_loss(t(V[:, 0]), t(V2[:, 0]), c(SIGN), 0.1, 1),
     lambda t, c: F.margin_ranking_loss(t(V[:, 0]), t(V2[:, 0]), c(SIGN), 0.1)),
    ("hinge_embedding_loss", lambda t, c: fastdl.hinge_embedding_loss(t(V[:, 0]), c(SIGN), 0.5, 0),
     lambda t, c: F.hinge_embedding_loss(t(V[:, 0]), c(SIGN), 0.5, reduction="none")),
    ("poisson_nll_loss", lambda t, c: fastdl.poisson_nll_loss(t(V), t(np.abs(V2)), True, True, 1e-8, 1),
     lambda t, c: F.poisson_nll_loss(t(V), t(np.abs(V2)), True, True)),
    ("triplet_margin_loss", lambda t, c: fastdl.triplet_margin_loss(t(V), t(V2), t(V * 0.5), 1.0, 2.0, 1e-6, True, 2),
     lambda t, c: F.triplet_margin_loss(t(V), t(V2), t(V * 0.5), 1.0, 2, 1e-6, True, reduction="sum")),
    ("cosine_embedding_loss", lambda t, c: fastdl.cosine_embedding_loss(t(V), t(V2), c(SIGN), 0.2, 1),
     lambda t, c: F.cosine_embedding_loss(t(V), t(V2), c(SIGN), 0.2)),
    ("bilinear", lambda t, c: fastdl.bilinear(t(V), t(V2), t(_r(2, 5, 5, seed=20)), t([0.5, -0.5])),
     lambda t, c: F.bilinear(t(V), t(V2), t(_r(2, 5, 5, seed=20)), t([0.5, -0.5]))),
    ("bce_with_logits",
     lambda t, c: fastdl.binary_cross_entropy_with_logits(t(V), c(V2 > 0), None, t(np.full(5, 2.0)), 1),
     lambda t, c: F.binary_cross_entropy_with_logits(t(V), c(V2 > 0), pos_weight=t(np.full(5, 2.0)))),
    ("constant_pad_nd", lambda t, c: fastdl.constant_pad_nd(t(V), [1, 2, 0, 1], 3.5),
     lambda t, c: F.pad(t(V), [1, 2, 0, 1], value=3.5)),
    ("grid_sampler", lambda t, c: fastdl.grid_sampler(t(X4), t(_r(2, 3, 3, 2, seed=21)), 0, 1, False),
     lambda t, c: F.grid_sample(t(X4), t(_r(2, 3, 3, 2, seed=21)), "bilinear", "border", False)),
    ("dropout-eval", lambda t, c: fastdl.dropout(t(V), 0.4, False), lambda t, c: t(V)),
    ("alpha_dropout-eval", lambda t, c: fastdl.alpha_dropout(t(V), 0.4, False), lambda t, c: t(V)),
    ("feature_dropout-eval", lambda t, c: fastdl.feature_dropout(t(X3), 0.4, False), lambda t, c: t(X3)),
    ("feature_alpha_dropout-eval", lambda t, c: fastdl.feature_alpha_dropout(t(X3), 0.4, False), lambda t, c: t(X3)),
]


def _consts(a):
    return fastdl.tensor(np.asarray(a, dtype=np.float64), dtype=D)


@pytest.mark.parametrize("name,call,ref", ALIASES, ids=[a[0] for a in ALIASES])
def test_alias_matches_functional(name, call, ref):
    _close(call(_consts, _consts), ref(_consts, _consts))


@pytest.mark.parametrize("name,call,ref", ALIASES, ids=[a[0] for a in ALIASES])
def test_alias_gradcheck(name, call, ref):
    made = []

    def leaf(a):
        t = _t(a, True)
        made.append(t)
        return t
    call(leaf, _consts)  # discover the differentiable inputs, in order
    arrays = [t.detach().numpy().copy() for t in made]

    def fn(*xs):
        it = iter(xs)
        out = call(lambda a: next(it), _consts)
        return out[0] if isinstance(out, tuple) else out  # (values, indices): the values carry the gradient
    assert gradcheck(fn, [_t(a, True) for a in arrays])


_TORCH_SAME = {"convolution-2d": "convolution", "convolution-t1d": "convolution", "kl_div-logt": "kl_div",
               "bce_with_logits": "binary_cross_entropy_with_logits", "rrelu-eval": "rrelu",
               "dropout-eval": "dropout", "alpha_dropout-eval": "alpha_dropout",
               "feature_dropout-eval": "feature_dropout",
               "feature_alpha_dropout-eval": "feature_alpha_dropout"}


@pytest.mark.parametrize("name,call,ref", ALIASES, ids=[a[0] for a in ALIASES])
def test_alias_torch_parity(name, call, ref):
    """The same call with `fastdl` replaced by `torch` (the lambdas only use the top-level function)."""
    torch = pytest.importorskip("torch")
    tname = _TORCH_SAME.get(name, name)
    ours = call(_consts, _consts)
    import types
    code = call.__code__
    g = dict(call.__globals__)
    g["fastdl"] = types.SimpleNamespace(**{tname: getattr(torch, tname)})  # fastdl.<name> is torch's function

    def tt(a):
        return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64)
    theirs = types.FunctionType(code, g)(tt, tt)
    if isinstance(theirs, tuple) and not isinstance(ours, tuple):
        theirs = theirs[0]
    _close(ours, [e.numpy() for e in theirs] if isinstance(theirs, tuple) else theirs.numpy())


INPLACE = ["abs_", "acos_", "acosh_", "arccos_", "arcsinh_", "asin_", "atan_", "ceil_", "cos_", "cosh_", "deg2rad_",
           "erf_", "erfc_", "exp2_", "exp_", "expm1_", "fix_", "floor_", "frac_", "i0_", "log10_", "log1p_", "log2_",
           "log_", "logit_", "neg_", "negative_", "rad2deg_", "reciprocal_", "round_", "rsqrt_", "sigmoid_", "sin_",
           "sinc_", "sinh_", "sqrt_", "square_", "tan_", "tanh_", "trunc_", "nan_to_num_", "atanh_", "arctanh_"]


@pytest.mark.parametrize("name", INPLACE)
def test_toplevel_inplace_unary(name):
    a = np.array([0.3, 0.6, 0.9]) + (1.5 if "cosh" in name and "a" in name[:2] else 0.0)
    x = _t(a)
    out = getattr(fastdl, name)(x)
    assert out is x
    _close(x, getattr(fastdl, name[:-1])(_t(a)) if hasattr(fastdl, name[:-1]) else getattr(_t(a), name[:-1])())
    torch = pytest.importorskip("torch")
    tx = torch.tensor(a)
    getattr(torch, name)(tx)
    _close(x, tx.numpy())


def test_toplevel_inplace_with_args_and_autograd():
    x = _t([-2.0, 0.5, 3.0])
    assert fastdl.clamp_(x, min=-1.0, max=1.0) is x
    _close(x, [-1.0, 0.5, 1.0])
    fastdl.clamp_min_(x, 0.0)
    fastdl.clamp_max_(x, 0.7)
    _close(x, [0.0, 0.5, 0.7])
    y = _t([4, 6])
    fastdl.xlogy_(y, _t([2.0, 1.0]))
    _close(y, [4 * math.log(2), 0.0])
    g = fastdl.tensor([6, 9]); fastdl.gcd_(g, fastdl.tensor([4, 6])); assert g.tolist() == [2, 3]  # noqa: E702
    # differentiable through the in-place op on a non-leaf
    a = _t([0.2, 0.4], True)
    b = a * 2.0
    fastdl.exp_(b)
    b.sum().backward()
    _close(a.grad, 2 * np.exp([0.4, 0.8]))
    with pytest.raises(TypeError, match="exp_"):
        fastdl.exp_([1.0])
    with pytest.raises(RuntimeError, match="leaf"):
        fastdl.sin_(_t([1.0], True))


def test_inplace_names_all_exist():
    from fastdl.ops.toplevel_aliases_inplace import NAMES
    for n in NAMES:
        assert callable(getattr(fastdl, n)) and hasattr(fastdl.Tensor, n), n


def test_dropout_training_and_inplace():
    fastdl.manual_seed(0)
    x = fastdl.ones(2000, dtype=D)
    y = fastdl.dropout(x, 0.25, True)
    kept = y.numpy() != 0
    assert 0.7 < kept.mean() < 0.8
    np.testing.assert_allclose(y.numpy()[kept], 1 / 0.75)
    z = fastdl.ones(4, 6, 50, dtype=D)
    out = fastdl.feature_dropout(z, 0.5, True).numpy()
    per_channel = out.reshape(24, 50)
    assert all(len(set(row)) == 1 for row in per_channel)  # whole channels kept or dropped
    assert set(np.unique(out)) <= {0.0, 2.0}
    w = fastdl.ones(3, 4, 10, dtype=D)
    assert fastdl.feature_dropout_(w, 0.5, True) is w
    assert set(np.unique(w.numpy())) <= {0.0, 2.0}
    v = fastdl.ones(100, dtype=D)
    assert fastdl.dropout_(v, 1.0, True) is v and not v.numpy().any()
    a = fastdl.ones(100, dtype=D)
    assert fastdl.alpha_dropout_(a, 0.0, True) is a
    with pytest.raises(ValueError, match="probability"):
        fastdl.dropout(x, 1.5, True)
    with pytest.raises(RuntimeError, match="feature_dropout"):
        fastdl.feature_dropout(fastdl.ones(5, dtype=D), 0.5, True)
    with pytest.raises(TypeError):
        fastdl.dropout(x, 0.5)  # train is required, as in torch


def test_activation_inplace_aliases():
    for name, args, ref in [("selu_", (), F.selu), ("celu_", (0.5,), lambda t: F.celu(t, 0.5)),
                            ("relu_", (), F.relu), ("threshold_", (0.0, -1.0), lambda t: F.threshold(t, 0.0, -1.0)),
                            ("rrelu_", (), lambda t: F.leaky_relu(t, (0.125 + 1 / 3) / 2))]:
        x = _t(V)
        assert getattr(fastdl, name)(x, *args) is x
        _close(x, ref(_t(V)))
    with pytest.raises(NotImplementedError, match="generator"):
        fastdl.rrelu(_t(V), generator=fastdl.Generator())


def test_embedding_and_bag():
    w = _r(10, 3, seed=30)
    idx = fastdl.tensor([[1, 2], [4, 9]])
    _close(fastdl.embedding(_t(w), idx), w[[[1, 2], [4, 9]]])
    wt = _t(w, True)
    fastdl.embedding(wt, fastdl.tensor([1, 2, 2]), 2).sum().backward()
    assert wt.grad.numpy()[2].tolist() == [0, 0, 0] and wt.grad.numpy()[1].tolist() == [1, 1, 1]
    i = fastdl.tensor([1, 2, 4, 5, 4, 3, 2, 9])
    o = fastdl.tensor([0, 4, 4])
    out, o2b, size, mx = fastdl.embedding_bag(_t(w), i, o, False, 1)
    _close(out, [w[[1, 2, 4, 5]].mean(0), np.zeros(3), w[[4, 3, 2, 9]].mean(0)])
    assert o2b.tolist() == [0, 0, 0, 0, 2, 2, 2, 2] and size.tolist() == [4, 0, 4]
    out, _, _, mx = fastdl.embedding_bag(_t(w), i, o, False, 2)
    assert mx.tolist()[1] == [0, 0, 0]
    _close(out[0], w[[1, 2, 4, 5]].max(0))
    assert gradcheck(lambda ww: fastdl.embedding_bag(ww, i, o, False, 0)[0], [_t(w, True)])
    with pytest.raises(NotImplementedError, match="sparse"):
        fastdl.embedding(_t(w), idx, -1, False, True)
    with pytest.raises(ValueError, match="mode"):
        fastdl.embedding_bag(_t(w), i, o, False, 3)
    torch = pytest.importorskip("torch")
    tw = torch.tensor(w)
    for mode in (1, 2):
        ref = torch.embedding_bag(tw, torch.tensor(i.tolist()), torch.tensor(o.tolist()), False, mode)
        ours = fastdl.embedding_bag(_t(w), i, o, False, mode)
        for a, b in zip(ours, ref):
            _close(a, b.numpy())
    ref = torch.embedding_bag(tw, torch.tensor(i.tolist()), torch.tensor(o.tolist()), False, 1, False, None, False, 2)
    ours = fastdl.embedding_bag(_t(w), i, o, False, 1, False, None, False, 2)
    for a, b in zip(ours, ref):
        _close(a, b.numpy())
    _close(fastdl.embedding(_t(w), idx), torch.embedding(tw, torch.tensor(idx.tolist())).numpy())


def test_ctc_loss_alias():
    rng = np.random.default_rng(40)
    lp = np.log(rng.dirichlet(np.ones(5), size=(6, 2)))
    tg = fastdl.tensor([[1, 2, 2], [3, 1, 0]])
    il, tl = [6, 5], [3, 2]
    ours = fastdl.ctc_loss(_t(lp), tg, il, tl, 0, 0)
    _close(ours, F.ctc_loss(_t(lp), tg, il, tl, 0, "none"))
    assert gradcheck(lambda x: fastdl.ctc_loss(x, tg, il, tl, 0, 1), [_t(lp, True)])
    torch = pytest.importorskip("torch")
    ref = torch.ctc_loss(torch.tensor(lp), torch.tensor(tg.tolist()), il, tl, 0, 0)
    _close(ours, ref.numpy())


def test_alias_bad_inputs():
    with pytest.raises(TypeError, match="kl_div\\(\\): argument 'reduction' must be int, not float"):
        fastdl.kl_div(_t(V), _t(V2), 1.0)
    with pytest.raises(TypeError, match="reduction"):  # torch's top-level reduction is an int code
        fastdl.hinge_embedding_loss(_t(V), _t(V2), 1.0, "mean")
    with pytest.raises(RuntimeError, match="convolution: expected a 3-D, 4-D or 5-D weight"):
        fastdl.convolution(_t(V), _t(V), None, [1], [0], [1], False, [0], 1)
    with pytest.raises(TypeError, match="convolution"):
        fastdl.convolution(_t(X3), None, None, [1], [0], [1], False, [0], 1)
    with pytest.raises(ValueError, match="grid_sampler: interpolation_mode"):
        fastdl.grid_sampler(_t(X4), _t(_r(2, 3, 3, 2)), 5, 0, False)
    with pytest.raises(ValueError, match="grid_sampler: padding_mode"):
        fastdl.grid_sampler(_t(X4), _t(_r(2, 3, 3, 2)), 0, 3, False)
    with pytest.raises(Exception, match="conv2d"):
        fastdl.conv2d(_t(X4), _t(_r(3, 5, 3, 3)))


# ---- part 2: utilities ----


def test_finfo_iinfo_match_numpy_and_torch():
    for d, npd in [(fastdl.float32, np.float32), (fastdl.float64, np.float64), (fastdl.float16, np.float16)]:
        fi, ni = fastdl.finfo(d), np.finfo(npd)
        assert (fi.bits, fi.eps, fi.max, fi.min, fi.tiny, fi.smallest_normal, fi.resolution) == (
            ni.bits, float(ni.eps), float(ni.max), float(ni.min), float(ni.tiny), float(ni.smallest_normal),
            10.0 ** -ni.precision)
        assert fi.dtype == d.name
    bf = fastdl.finfo(fastdl.bfloat16)
    assert (bf.bits, bf.eps, bf.tiny) == (16, 2.0 ** -7, 2.0 ** -126)
    assert bf.max == float(np.frombuffer(np.array([0x7F7F], np.uint16).tobytes(), np.uint16).astype(np.uint32)
                           .__lshift__(16).view(np.float32)[0])
    assert fastdl.finfo() == fastdl.finfo(fastdl.get_default_dtype())
    ii = fastdl.iinfo(fastdl.int64)
    assert (ii.bits, ii.min, ii.max, ii.dtype) == (64, np.iinfo(np.int64).min, np.iinfo(np.int64).max, "int64")
    with pytest.raises(TypeError, match="finfo.*floating point"):
        fastdl.finfo(fastdl.int64)
    with pytest.raises(TypeError, match="iinfo.*integer"):
        fastdl.iinfo(fastdl.float32)
    with pytest.raises(TypeError, match="bool is not supported"):
        fastdl.iinfo(fastdl.bool)
    with pytest.raises(TypeError, match="must be fastdl.dtype"):
        fastdl.finfo("float32")
    torch = pytest.importorskip("torch")
    for name in ("float32", "float64", "float16", "bfloat16"):
        a, b = fastdl.finfo(getattr(fastdl, name)), torch.finfo(getattr(torch, name))
        for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
            assert getattr(a, attr) == getattr(b, attr), (name, attr)
        assert repr(a) == repr(b)
    a, b = fastdl.iinfo(fastdl.int64), torch.iinfo(torch.int64)
    assert (a.bits, a.min, a.max, a.dtype, repr(a)) == (b.bits, b.min, b.max, b.dtype, repr(b))


WINDOWS = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]


def _np_window(name, n, periodic):
    m = n + 1 if periodic else n
    if n <= 1:
        return np.ones(n)
    w = {"hann_window": np.hanning, "hamming_window": np.hamming, "blackman_window": np.blackman,
         "bartlett_window": np.bartlett, "kaiser_window": lambda k: np.kaiser(k, 12.0)}[name](m)
    return w[:n]


@pytest.mark.parametrize("name", WINDOWS)
def test_windows(name):
    fn = getattr(fastdl, name)
    for n in (0, 1, 2, 7, 16):
        for periodic in (True, False):
            w = fn(n, periodic, dtype=D)
            _close(w, _np_window(name, n, periodic), 1e-12)
    w = fn(8)
    assert w.dtype is fastdl.float32 and w.shape == (8,) and not w.requires_grad
    assert fn(8, requires_grad=True).requires_grad
    assert fn(5, dtype=fastdl.float16).dtype is fastdl.float16
    with pytest.raises(RuntimeError, match=f"{name} requires non-negative window_length"):
        fn(-1)
    with pytest.raises(RuntimeError, match=f"{name} expects floating point dtypes"):
        fn(4, dtype=fastdl.int64)
    with pytest.raises(TypeError, match="window_length"):
        fn(4.0)
    torch = pytest.importorskip("torch")
    for n in (1, 5, 12):
        for periodic in (True, False):
            _close(fn(n, periodic, dtype=D), getattr(torch, name)(n, periodic, dtype=torch.float64).numpy(), 1e-12)
    _close(fastdl.hamming_window(9, False, 0.5, 0.4, dtype=D),
           torch.hamming_window(9, False, 0.5, 0.4, dtype=torch.float64).numpy(), 1e-12)
    _close(fastdl.kaiser_window(9, True, 5.0, dtype=D), torch.kaiser_window(9, True, 5.0, dtype=torch.float64).numpy(),
           1e-12)


def test_asarray():
    t = _t([1.0, 2.0], True)
    assert fastdl.asarray(t) is t
    assert not fastdl.asarray(t, requires_grad=False).requires_grad
    c = fastdl.asarray(t, copy=True)
    assert c is not t and c.data_ptr() != t.data_ptr() and c.grad_fn is not None
    f32 = fastdl.asarray(t, dtype=fastdl.float32)
    assert f32.dtype is fastdl.float32 and f32.grad_fn is not None
    with pytest.raises(ValueError, match="can't alias"):
        fastdl.asarray(t, dtype=fastdl.float32, copy=False)
    n = np.arange(3.0)
    a = fastdl.asarray(n)
    n[0] = 7.0
    assert a.tolist() == [7.0, 1.0, 2.0] and a.dtype is fastdl.float64
    b = fastdl.asarray(n, copy=True)
    n[1] = 5.0
    assert b.tolist() == [7.0, 1.0, 2.0]
    assert fastdl.asarray(n, requires_grad=True).requires_grad
    assert fastdl.asarray([1, 2]).dtype is fastdl.int64
    assert fastdl.asarray(3.5).dtype is fastdl.float32 and fastdl.asarray(3.5).ndim == 0
    assert fastdl.asarray([[1.5]], dtype=D).dtype is D
    assert fastdl.asarray(True).dtype is fastdl.bool
    with pytest.raises(ValueError, match="can't alias arbitrary sequence"):
        fastdl.asarray([1, 2], copy=False)
    with pytest.raises(ValueError, match="non-C-contiguous"):
        fastdl.asarray(np.ones((3, 4))[:, ::2], copy=False)
    assert fastdl.asarray(np.ones((3, 4))[:, ::2]).shape == (3, 2)
    torch = pytest.importorskip("torch")
    src = torch.arange(4.0)
    d = fastdl.asarray(src)  # DLPack: shares memory
    src[0] = 9.0
    assert d.tolist() == [9.0, 1.0, 2.0, 3.0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert torch.asarray([1, 2]).dtype == torch.int64 and torch.asarray(3.5).dtype == torch.float32


def test_frombuffer():
    b = bytearray(16)
    t = fastdl.frombuffer(b, dtype=fastdl.float32)
    t[0] = 1.0
    assert b[:4] == bytearray(np.float32(1.0).tobytes()) and t.shape == (4,)
    assert fastdl.frombuffer(b, dtype=fastdl.float32, count=2, offset=4).shape == (2,)
    a = array.array("d", [1.5, 2.5, 3.5])
    _close(fastdl.frombuffer(a, dtype=D, offset=8), [2.5, 3.5])
    with pytest.warns(UserWarning, match="not writable"):
        assert fastdl.frombuffer(b"\x01\x00\x00\x00\x00\x00\x00\x00" * 2, dtype=fastdl.int64).tolist() == [1, 1]
    assert fastdl.frombuffer(b, dtype=fastdl.float32, requires_grad=True).requires_grad
    for kw, msg in [(dict(count=5), "requested buffer length"), (dict(offset=16), "offset"),
                    (dict(offset=3), "multiple of element size"), (dict(count=0), "must not be 0"),
                    (dict(offset=-1), "offset")]:
        with pytest.raises(ValueError, match=msg):
            fastdl.frombuffer(b, dtype=fastdl.float32, **kw)
    with pytest.raises(ValueError, match="buffer protocol"):
        fastdl.frombuffer([1, 2], dtype=fastdl.float32)
    torch = pytest.importorskip("torch")
    _close(fastdl.frombuffer(a, dtype=D, count=2), torch.frombuffer(a, dtype=torch.float64, count=2).numpy())


def test_scalar_tensor_rsub_fill_same_size():
    s = fastdl.scalar_tensor(3)
    assert s.dtype is fastdl.float32 and s.shape == () and s.item() == 3.0
    assert fastdl.scalar_tensor(True, dtype=fastdl.int64).item() == 1
    with pytest.raises(TypeError, match="scalar_tensor"):
        fastdl.scalar_tensor("x")
    _close(fastdl.rsub(_t([1.0, 2.0]), 5, alpha=2), [3.0, 1.0])
    _close(fastdl.rsub(_t([1.0, 2.0]), _t([10.0, 20.0])), [9.0, 18.0])
    assert fastdl.rsub(fastdl.tensor([1, 2]), 5).tolist() == [4, 3]
    assert gradcheck(lambda a, b: fastdl.rsub(a, b, alpha=3), [_t([1.0, 2.0], True), _t([0.5, 0.1], True)])
    with pytest.raises(RuntimeError, match="alpha must not be a floating"):
        fastdl.rsub(fastdl.tensor([1, 2]), 5, alpha=0.5)
    assert fastdl.is_same_size(_t(V), _t(V2)) and not fastdl.is_same_size(_t(V), _t(V.T))
    x = _t([1.0, 2.0], True)
    y = fastdl.fill(x, 3.0)
    y.sum().backward()
    assert y.tolist() == [3.0, 3.0] and x.grad.tolist() == [0.0, 0.0]
    v = _t(2.5, True)
    assert gradcheck(lambda vv: fastdl.fill(_t([1.0, 2.0, 3.0]), vv), [v])
    assert fastdl.fill(fastdl.tensor([1, 2]), 7).tolist() == [7, 7]
    with pytest.raises(RuntimeError, match="0-dimension value tensor"):
        fastdl.fill(x, _t([1.0, 2.0]))
    z = _t([1.0, 2.0])
    assert fastdl.fill_(z, 4.0) is z and z.tolist() == [4.0, 4.0]
    assert fastdl.zero_(z) is z and z.tolist() == [0.0, 0.0]
    with pytest.raises(TypeError, match="zero_"):
        fastdl.zero_([1.0])
    torch = pytest.importorskip("torch")
    assert torch.scalar_tensor(3).dtype == torch.float32
    _close(fastdl.rsub(_t([1.0, 2.0]), 5, alpha=2), torch.rsub(torch.tensor([1.0, 2.0]), 5, alpha=2).numpy())


def test_method_forms_typename_storage():
    x = _t([1.0, 2.0], True)
    y = x * 2
    d = fastdl.detach(y)
    assert d.grad_fn is None and d.data_ptr() == y.data_ptr()
    assert fastdl.detach_(y) is y and y.grad_fn is None
    assert fastdl.get_device(x) == -1
    assert fastdl.is_inference(x) is False and fastdl.is_conj(x) is False and fastdl.is_neg(x) is False
    with pytest.raises(TypeError, match="get_device"):
        fastdl.get_device(3)
    assert fastdl.typename(fastdl.zeros(2)) == "fastdl.FloatTensor"
    assert fastdl.typename(fastdl.zeros(2, dtype=fastdl.int64)) == "fastdl.LongTensor"
    assert fastdl.typename(3) == "int"
    assert fastdl.typename(fastdl.nn.Linear) == fastdl.nn.Linear.__module__ + ".Linear"
    assert fastdl.is_storage(x._buf) and not fastdl.is_storage(x)
    torch = pytest.importorskip("torch")
    for name in ("float32", "float64", "float16", "bfloat16", "int64", "bool"):
        ours = fastdl.typename(fastdl.zeros(2, dtype=getattr(fastdl, name)))
        assert ours.replace("fastdl", "torch") == torch.typename(torch.zeros(2, dtype=getattr(torch, name)))
    assert fastdl.typename(3) == torch.typename(3)


VIEW_COPIES = [
    ("view_copy", lambda m, x: m.view_copy(x, (5, 3)), lambda a: a.reshape(5, 3)),
    ("permute_copy", lambda m, x: m.permute_copy(x, (1, 0)), lambda a: a.T),
    ("transpose_copy", lambda m, x: m.transpose_copy(x, 0, 1), lambda a: a.T),
    ("t_copy", lambda m, x: m.t_copy(x), lambda a: a.T),
    ("expand_copy", lambda m, x: m.expand_copy(x[:1], (4, 5)), lambda a: np.broadcast_to(a[:1], (4, 5))),
    ("diagonal_copy", lambda m, x: m.diagonal_copy(x, 1), lambda a: np.diagonal(a, 1)),
    ("select_copy", lambda m, x: m.select_copy(x, 1, -2), lambda a: a[:, -2]),
    ("slice_copy", lambda m, x: m.slice_copy(x, 1, 1, None, 2), lambda a: a[:, 1::2]),
    ("squeeze_copy", lambda m, x: m.squeeze_copy(x.reshape(1, 3, 1, 5), (0, 2)), lambda a: a),
    ("unsqueeze_copy", lambda m, x: m.unsqueeze_copy(x, 1), lambda a: a[:, None]),
    ("unbind_copy", lambda m, x: m.unbind_copy(x, 1), lambda a: tuple(a[:, i] for i in range(5))),
    ("split_copy", lambda m, x: m.split_copy(x, 2, 1), lambda a: (a[:, :2], a[:, 2:4], a[:, 4:])),
    ("split_with_sizes_copy", lambda m, x: m.split_with_sizes_copy(x, [1, 4], 1), lambda a: (a[:, :1], a[:, 1:])),
    ("unfold_copy", lambda m, x: m.unfold_copy(x, 1, 2, 2),
     lambda a: np.stack([a[:, 0:2], a[:, 2:4]], 1)),
    ("alias_copy", lambda m, x: m.alias_copy(x), lambda a: a),
    ("as_strided_copy", lambda m, x: m.as_strided_copy(x, (2, 2), (1, 5), 1), lambda a: np.array(
        [[a.flat[1], a.flat[6]], [a.flat[2], a.flat[7]]])),
    ("detach_copy", lambda m, x: m.detach_copy(x), lambda a: a),
    ("unsafe_chunk", lambda m, x: m.unsafe_chunk(x, 2, 1), lambda a: (a[:, :3], a[:, 3:])),
    ("unsafe_split", lambda m, x: m.unsafe_split(x, 2), lambda a: (a[:2], a[2:])),
    ("unsafe_split_with_sizes", lambda m, x: m.unsafe_split_with_sizes(x, [2, 1]), lambda a: (a[:2], a[2:])),
]


@pytest.mark.parametrize("name,call,ref", VIEW_COPIES, ids=[v[0] for v in VIEW_COPIES])
def test_view_copies(name, call, ref):
    a = _r(3, 5, seed=50)
    x = _t(a)
    out = call(fastdl, x)
    expect = ref(a)
    if isinstance(expect, tuple):
        assert isinstance(out, tuple)
    _close(out, list(expect) if isinstance(expect, tuple) else expect)
    outs = out if isinstance(out, tuple) else (out,)
    if name.endswith("_copy"):  # new memory, contiguous
        for o in outs:
            assert o.is_contiguous() and o._buf is not x._buf
    elif not name.startswith("unsafe_chunk"):
        assert all(o._buf is x._buf for o in outs)  # unsafe splits are views, as torch's
    if name != "detach_copy":
        def fn(xx):
            r = call(fastdl, xx)
            return fastdl.cat([e.reshape(-1) for e in r]) if isinstance(r, tuple) else r
        assert gradcheck(fn, [_t(a, True)])
    torch = pytest.importorskip("torch")
    theirs = call(torch, torch.tensor(a))
    _close(out, [e.numpy() for e in theirs] if isinstance(theirs, tuple) else theirs.numpy())


def test_view_copy_methods_and_errors():
    x = _t(_r(4, 3))
    assert len(x.unsafe_chunk(2)) == 2 and len(x.unsafe_split(3)) == 2 and len(x.unsafe_split_with_sizes([1, 3])) == 2
    with pytest.raises(TypeError, match="transpose_copy"):
        fastdl.transpose_copy([1.0], 0, 1)
    with pytest.raises(RuntimeError, match="slice_copy: slice step must be positive"):
        fastdl.slice_copy(x, 0, 0, 2, 0)
    with pytest.raises(IndexError):
        fastdl.select_copy(x, 2, 0)
    with pytest.raises(NotImplementedError, match="view_copy"):
        fastdl.view_copy(x, fastdl.int64)
    with pytest.raises(RuntimeError):
        fastdl.view_copy(x, (5, 3))


# ---- flags ----


def test_deterministic_flags():
    try:
        assert fastdl.are_deterministic_algorithms_enabled() is False
        fastdl.use_deterministic_algorithms(True, warn_only=True)
        assert fastdl.are_deterministic_algorithms_enabled() and fastdl.is_deterministic_algorithms_warn_only_enabled()
        assert fastdl.get_deterministic_debug_mode() == 1
        fastdl.set_deterministic_debug_mode("error")
        assert fastdl.get_deterministic_debug_mode() == 2 and not fastdl.is_deterministic_algorithms_warn_only_enabled()
        fastdl.set_deterministic_debug_mode(0)
        assert not fastdl.are_deterministic_algorithms_enabled()
        with pytest.raises(TypeError, match="must be bool"):
            fastdl.use_deterministic_algorithms(1)
        with pytest.raises(RuntimeError, match="expected one of `default`"):
            fastdl.set_deterministic_debug_mode("x")
        with pytest.raises(RuntimeError, match="expected 0, 1, or 2"):
            fastdl.set_deterministic_debug_mode(5)
        with pytest.raises(TypeError, match="str or int"):
            fastdl.set_deterministic_debug_mode(1.0)
    finally:
        fastdl.use_deterministic_algorithms(False)


def test_warn_always_interop_flush_denormal():
    try:
        fastdl.set_warn_always(True)
        assert fastdl.is_warn_always_enabled()
    finally:
        fastdl.set_warn_always(False)
    assert not fastdl.is_warn_always_enabled()
    with pytest.raises(TypeError):
        fastdl.set_warn_always(1)
    assert fastdl.get_num_interop_threads() >= 1
    old = fastdl.get_num_interop_threads()
    fastdl.set_num_interop_threads(3)
    assert fastdl.get_num_interop_threads() == 3
    fastdl.set_num_interop_threads(old)
    with pytest.raises(RuntimeError, match="positive integer"):
        fastdl.set_num_interop_threads(0)
    assert fastdl.set_flush_denormal(True) is False and fastdl.set_flush_denormal(False) is False
    with pytest.raises(TypeError):
        fastdl.set_flush_denormal(1)


def test_matmul_precision_ties_to_allow_tf32():
    m = fastdl.backends.cuda.matmul
    try:
        assert fastdl.get_float32_matmul_precision() == "highest"
        fastdl.set_float32_matmul_precision("medium")
        assert m.allow_tf32 and fastdl.get_float32_matmul_precision() == "medium"
        fastdl.set_float32_matmul_precision("highest")
        assert not m.allow_tf32
        m.allow_tf32 = True
        assert fastdl.get_float32_matmul_precision() == "high"
        with pytest.warns(UserWarning, match="no effect"):
            fastdl.set_float32_matmul_precision("fast")
        with pytest.raises(RuntimeError, match="expects a str"):
            fastdl.set_float32_matmul_precision(1)
    finally:
        fastdl.set_float32_matmul_precision("highest")
    assert not m.allow_tf32


def test_default_device():
    assert fastdl.get_default_device() == fastdl.device("cpu")
    try:
        fastdl.set_default_device("cpu")
        assert fastdl.zeros(2).device == fastdl.device("cpu")
        if not fastdl.cuda.is_available():
            with pytest.raises(RuntimeError, match="set_default_device"):
                fastdl.set_default_device("cuda")
            assert fastdl.get_default_device() == fastdl.device("cpu")
        else:
            fastdl.set_default_device("cuda")
            for t in (fastdl.zeros(2), fastdl.ones(2), fastdl.empty(2), fastdl.full((2,), 1.0), fastdl.tensor([1.0]),
                      fastdl.arange(3), fastdl.linspace(0, 1, 3), fastdl.eye(2), fastdl.rand(2), fastdl.randn(2),
                      fastdl.hann_window(4), fastdl.asarray([1.0]), fastdl.scalar_tensor(1.0)):
                assert t.device.type == "cuda"
            assert fastdl.zeros(2, device="cpu").device.type == "cpu"
        with pytest.raises(ValueError):
            fastdl.set_default_device("tpu")
    finally:
        fastdl.set_default_device(None)
    assert fastdl.get_default_device() == fastdl.device("cpu")


def test_default_device_is_read_by_creation(monkeypatch):
    """The creation functions resolve device=None through the one default: pointed at
    CUDA on a machine without it, each of them asks for CUDA (and an explicit cpu does not)."""
    import sys
    if fastdl.cuda.is_available():
        pytest.skip("covered by test_default_device on a CUDA machine")
    monkeypatch.setattr(sys.modules["fastdl.device"], "_default", [fastdl.device("cuda")])
    for make in (lambda: fastdl.zeros(2), lambda: fastdl.empty(2), lambda: fastdl.tensor([1.0]),
                 lambda: fastdl.arange(3), lambda: fastdl.rand(2), lambda: fastdl.randn(2), lambda: fastdl.eye(2),
                 lambda: fastdl.hann_window(4), lambda: fastdl.scalar_tensor(1.0), lambda: fastdl.asarray([1.0])):
        with pytest.raises(RuntimeError, match="CUDA"):
            make()
    assert fastdl.zeros(2, device="cpu").device.type == "cpu"


# ---- part 3: Tensor methods ----


def test_new_empty_strided_and_flags():
    x = _t(_r(2, 3))
    e = x.new_empty_strided((2, 3), (1, 2))
    assert e.shape == (2, 3) and e.stride() == (1, 2) and e.dtype is D
    assert x.new_empty_strided((2,), (1,), dtype=fastdl.int64).dtype is fastdl.int64
    for name in ("is_meta", "is_sparse", "is_quantized", "is_nested"):
        assert getattr(x, name) is False
    assert x.layout is fastdl.strided and repr(fastdl.strided) == "fastdl.strided"
    assert x.share_memory_() is x and x.is_shared() is True  # as torch: the values now live in shared memory
    if not fastdl.cuda.is_available():
        with pytest.raises(RuntimeError, match="accelerator"):
            x.pin_memory()
    torch = pytest.importorskip("torch")
    assert torch.empty(2, 3).new_empty_strided((2, 3), (1, 2)).stride() == e.stride()


def test_apply_map_map2():
    a = _t([1.0, 2.0])
    assert a.apply_(lambda v: v * 3) is a and a.tolist() == [3.0, 6.0]
    b = fastdl.tensor([1, 2])
    assert b.apply_(lambda v: v * 2.7).tolist() == [2, 5]
    c = fastdl.tensor([1, 2, 3])
    c.map_(fastdl.tensor([10, 20, 30]), lambda u, v: u + v)
    assert c.tolist() == [11, 22, 33]
    m = _t([[1.0, 2.0], [3.0, 4.0]])
    m.map_(_t([10.0, 100.0]), lambda u, v: u * v)  # other broadcasts
    assert m.tolist() == [[10.0, 200.0], [30.0, 400.0]]
    d = _t([1.0, 2.0])
    d.map2_(_t([1.0, 1.0]), _t([3.0, 4.0]), lambda p, q, r: p + q * r)
    assert d.tolist() == [4.0, 6.0]
    nc = _t(_r(3, 4)).t()  # a strided view is written through
    base = nc.clone()
    nc.apply_(lambda v: v + 1)
    _close(nc, base.numpy() + 1)
    with pytest.raises(RuntimeError, match="requires grad"):
        _t([1.0], True).apply_(lambda v: v)
    with pytest.raises(TypeError, match="map_"):
        a.map_([1.0, 2.0], lambda u, v: u)


def test_output_nr_dim_order():
    x = _t(_r(2, 3), True)
    assert x.output_nr == 0 and (x * 2).output_nr == 0
    sq = _t(_r(3, 3) + 3 * np.eye(3), True)
    assert [p.output_nr for p in fastdl.slogdet(sq)] == [0, 1]  # the outputs of one two-output node
    assert fastdl.zeros(2).output_nr == 0
    assert fastdl.zeros(2, 3, 4).dim_order() == (0, 1, 2)
    assert fastdl.zeros(2, 3, 4).permute(2, 0, 1).dim_order() == (1, 2, 0)
    cl = fastdl.empty_strided((2, 3, 4, 5), (60, 1, 15, 3))
    assert cl.dim_order() == (0, 2, 3, 1)
    with pytest.raises(RuntimeError, match="unique dim order"):
        fastdl.zeros(1, 3).dim_order(ambiguity_check=True)
    torch = pytest.importorskip("torch")
    for shape, perm in [((2, 3, 4), (2, 0, 1)), ((2, 3, 4, 5), (0, 2, 3, 1)), ((3, 4), (1, 0)), ((2, 1, 3), (2, 1, 0))]:
        ours = fastdl.zeros(*shape).permute(*perm).dim_order()
        assert ours == torch.zeros(*shape).permute(*perm).dim_order(), (shape, perm)


def test_resize():
    x = _t(np.arange(6.0))
    buf = x._buf
    assert x.resize_(2, 2) is x and x.shape == (2, 2) and x._buf is buf
    _close(x, [[0.0, 1.0], [2.0, 3.0]])
    x.resize_((3, 3))
    assert x.shape == (3, 3) and x.stride() == (3, 1) and x._buf is not buf
    _close(x.reshape(-1)[:6], np.arange(6.0))  # the old bytes come first
    y = _t([1.0, 2.0])
    y.resize_as_(_t(np.zeros((1, 2))))
    assert y.shape == (1, 2)
    y.resize_(0)
    assert y.shape == (0,)
    with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
        _t([1.0], True).resize_(3)
    with pytest.raises(ValueError, match="negative dimension"):
        y.resize_(-1)
    z = _t(np.arange(6.0))
    assert z.as_strided_((2, 2), (1, 2), 1) is z
    _close(z, [[1.0, 3.0], [2.0, 4.0]])
    with pytest.raises(RuntimeError, match="as_strided"):
        _t(np.arange(6.0)).as_strided_((4, 4), (4, 1))
    with pytest.raises(RuntimeError, match="as_strided_"):
        _t([1.0, 2.0], True).as_strided_((1,), (1,))
    torch = pytest.importorskip("torch")
    t = torch.arange(6.0)
    t.resize_(2, 2)
    _close(t.numpy(), [[0.0, 1.0], [2.0, 3.0]])
    assert torch.arange(6.0).as_strided_((2, 2), (1, 2), 1).tolist() == z.tolist()


def test_byte_char_short():
    """The uint8 / int8 / int16 conversions (tests/test_int_dtypes.py covers the dtypes)."""
    for name, d in (("byte", fastdl.uint8), ("char", fastdl.int8), ("short", fastdl.int16), ("int", fastdl.int32)):
        assert getattr(fastdl.ones(2), name)().dtype is d


def test_gap_closed():
    """Every name this branch adds is reachable as fastdl.<name>."""
    names = """conv1d conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d convolution avg_pool1d max_pool1d
    max_pool2d max_pool3d max_pool1d_with_indices adaptive_avg_pool1d adaptive_max_pool1d batch_norm layer_norm
    group_norm instance_norm rms_norm embedding embedding_bag dropout dropout_ alpha_dropout alpha_dropout_
    feature_dropout feature_dropout_ feature_alpha_dropout feature_alpha_dropout_ pixel_shuffle pixel_unshuffle
    channel_shuffle native_channel_shuffle prelu selu selu_ celu celu_ rrelu rrelu_ relu_ threshold threshold_
    hardshrink cosine_similarity pairwise_distance kl_div margin_ranking_loss hinge_embedding_loss poisson_nll_loss
    triplet_margin_loss cosine_embedding_loss ctc_loss bilinear binary_cross_entropy_with_logits constant_pad_nd
    grid_sampler finfo iinfo hann_window hamming_window blackman_window bartlett_window kaiser_window asarray
    frombuffer scalar_tensor rsub is_same_size fill fill_ zero_ detach detach_ view_copy permute_copy transpose_copy
    t_copy expand_copy diagonal_copy select_copy slice_copy squeeze_copy unsqueeze_copy unbind_copy split_copy
    split_with_sizes_copy unfold_copy alias_copy as_strided_copy detach_copy unsafe_chunk unsafe_split
    unsafe_split_with_sizes use_deterministic_algorithms are_deterministic_algorithms_enabled
    is_deterministic_algorithms_warn_only_enabled set_deterministic_debug_mode get_deterministic_debug_mode
    set_warn_always is_warn_always_enabled set_default_device get_default_device set_float32_matmul_precision
    get_float32_matmul_precision set_flush_denormal is_inference is_conj is_neg get_device typename
    get_num_interop_threads set_num_interop_threads is_storage layout""".split()
    missing = [n for n in names if not callable(getattr(fastdl, n, None))]
    assert not missing, missing
