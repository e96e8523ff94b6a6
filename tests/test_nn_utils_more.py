"""nn.utils beyond clipping and rnn: parametrize, parametrizations (weight_norm,
spectral_norm, orthogonal), the hook-style weight_norm / spectral_norm, parameters as a
vector, BatchNorm fusion, get_total_norm / clip_grads_with_norm_, skip_init; nn.init's
dirac_, sparse_ and deprecated aliases. Against torch (state_dicts copied across) where
installed, hand references otherwise, and bad inputs."""
import math
import warnings

import numpy as np
import pytest

import fastdl
import fastdl.nn as nn
from fastdl.nn import init
from fastdl.nn.utils import parametrizations as P
from fastdl.nn.utils import parametrize
from fastdl.testing import gradcheck


def _np(t):
    return t.detach().numpy()


def _to_fastdl(sd):
    return {k: fastdl.tensor(v.detach().numpy()) for k, v in sd.items()}


def _torch():
    return pytest.importorskip("torch")


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)


class Double(nn.Module):
    """x -> 2x with its right inverse."""

    def forward(self, X):
        return 2 * X

    def right_inverse(self, Y):
        return Y / 2


# ---- parametrize ----------------------------------------------------------------------
def test_register_parametrization_property_keys_and_grad():
    m = nn.Linear(3, 3).double()
    old = m.weight
    parametrize.register_parametrization(m, "weight", Symmetric())
    assert type(m).__name__ == "ParametrizedLinear" and isinstance(m, nn.Linear)
    assert parametrize.type_before_parametrizations(m) is nn.Linear
    assert parametrize.is_parametrized(m) and parametrize.is_parametrized(m, "weight")
    assert not parametrize.is_parametrized(m, "bias")
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original"]
    assert m.parametrizations.weight.original is old  # the same Parameter object, as torch's set_
    X = _np(old)
    np.testing.assert_array_equal(_np(m.weight), np.triu(X) + np.triu(X, 1).T)
    m.weight.sum().backward()
    # d sum(triu(X) + triu(X,1)^T) / dX: 1 on the diagonal, 2 above it, 0 below
    np.testing.assert_array_equal(_np(old.grad), np.triu(np.ones((3, 3))) + np.triu(np.ones((3, 3)), 1))
    names = [n for n, _ in m.named_parameters()]
    assert names == ["bias", "parametrizations.weight.original"]


def test_right_inverse_assignment_chain_and_remove():
    m = nn.Linear(2, 3).double()
    w0 = _np(m.weight).copy()
    parametrize.register_parametrization(m, "weight", Double())
    # right_inverse at registration: original = w0 / 2, so weight is unchanged
    np.testing.assert_allclose(_np(m.parametrizations.weight.original), w0 / 2)
    np.testing.assert_allclose(_np(m.weight), w0)
    m.weight = fastdl.ones(3, 2, dtype=fastdl.float64)
    np.testing.assert_allclose(_np(m.parametrizations.weight.original), 0.5)
    parametrize.register_parametrization(m, "weight", Double())  # chained: 4 * original
    np.testing.assert_allclose(_np(m.weight), 2.0)
    assert len(m.parametrizations.weight) == 2
    parametrize.remove_parametrizations(m, "weight", leave_parametrized=True)
    assert type(m) is nn.Linear and not hasattr(m, "parametrizations")
    assert isinstance(m.weight, nn.Parameter)
    np.testing.assert_allclose(_np(m.weight), 2.0)
    assert list(m.state_dict()) == ["bias", "weight"]  # re-registered last, as torch


def test_remove_leave_unparametrized_and_cached():
    m = nn.Linear(2, 2).double()
    parametrize.register_parametrization(m, "weight", Double())
    orig = _np(m.parametrizations.weight.original).copy()
    with parametrize.cached():
        a, b = m.weight, m.weight
        assert a is b
    assert m.weight is not m.weight
    parametrize.remove_parametrizations(m, "weight", leave_parametrized=False)
    np.testing.assert_array_equal(_np(m.weight), orig)


def test_parametrize_buffer_and_unsafe():
    class Flat(nn.Module):
        def forward(self, X):
            return X.reshape(-1)

    m = nn.BatchNorm1d(4)
    parametrize.register_parametrization(m, "running_mean", Double())
    assert "parametrizations.running_mean.original" in m.state_dict()
    assert not m.parametrizations.running_mean.original.requires_grad
    lin = nn.Linear(2, 3)
    with pytest.raises(ValueError, match="may not change the shape"):
        parametrize.register_parametrization(lin, "weight", Flat())
    assert not parametrize.is_parametrized(lin)
    parametrize.register_parametrization(lin, "weight", Flat(), unsafe=True)
    assert tuple(lin.weight.shape) == (6,)


def test_parametrize_errors():
    m = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="does not have a parameter, a buffer"):
        parametrize.register_parametrization(m, "nope", Double())
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        parametrize.remove_parametrizations(m, "weight")
    with pytest.raises(TypeError, match="must be an nn.Module"):
        parametrize.register_parametrization(m, "weight", lambda x: x)

    class ToDouble(nn.Module):
        def forward(self, X):
            return X.double()

    with pytest.raises(ValueError, match="may not change the dtype"):
        parametrize.register_parametrization(m, "weight", ToDouble())
    parametrize.register_parametrization(m, "weight", Symmetric())
    with pytest.raises(RuntimeError, match="does not implement right_inverse"):
        m.weight = fastdl.zeros(2, 2)
    P.weight_norm(m, "bias")
    with pytest.raises(ValueError, match="sequence of tensors"):
        parametrize.remove_parametrizations(m, "bias", leave_parametrized=False)


def test_parametrize_matches_torch():
    torch = _torch()

    class TSym(torch.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

    t = torch.nn.Linear(4, 4).double()
    torch.nn.utils.parametrize.register_parametrization(t, "weight", TSym())
    f = nn.Linear(4, 4).double()
    parametrize.register_parametrization(f, "weight", Symmetric())
    assert list(t.state_dict()) == list(f.state_dict())
    f.load_state_dict(_to_fastdl(t.state_dict()))
    x = np.random.default_rng(0).standard_normal((3, 4))
    yt, yf = t(torch.tensor(x)), f(fastdl.tensor(x))
    (yt ** 3).sum().backward()
    (yf ** 3).sum().backward()
    np.testing.assert_allclose(_np(yf), yt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(_np(f.parametrizations.weight.original.grad),
                               t.parametrizations.weight.original.grad.numpy(), rtol=1e-12)


# ---- parametrizations.weight_norm / spectral_norm, and the hook-style ones --------------
def _run_both(t, f, x, train):
    torch = _torch()
    t.train(train)
    f.train(train)
    yt, yf = t(torch.tensor(x)), f(fastdl.tensor(x))
    (yt ** 2).sum().backward()
    (yf ** 2).sum().backward()
    np.testing.assert_allclose(_np(yf), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    for (nt, pt), (nf, pf) in zip(t.named_parameters(), f.named_parameters()):
        assert nt == nf
        np.testing.assert_allclose(_np(pf.grad), pt.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=nt)
    st, sf = t.state_dict(), f.state_dict()
    for k in st:  # spectral norm's u / v after the power iteration
        np.testing.assert_allclose(_np(sf[k]), st[k].numpy(), rtol=1e-10, atol=1e-12, err_msg=k)


@pytest.mark.parametrize("kind", ["weight_norm", "spectral_norm", "old_weight_norm", "old_spectral_norm"])
@pytest.mark.parametrize("dim", [0, 1, None])
def test_norm_reparametrizations_match_torch(kind, dim):
    torch = _torch()
    t, f = torch.nn.Conv2d(3, 4, 3).double(), nn.Conv2d(3, 4, 3).double()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        if kind == "weight_norm":
            torch.nn.utils.parametrizations.weight_norm(t, dim=dim)
            P.weight_norm(f, dim=dim)
        elif kind == "spectral_norm":
            torch.nn.utils.parametrizations.spectral_norm(t, n_power_iterations=2, dim=dim)
            P.spectral_norm(f, n_power_iterations=2, dim=dim)
        elif kind == "old_weight_norm":
            torch.nn.utils.weight_norm(t, dim=dim)
            nn.utils.weight_norm(f, dim=dim)
        else:
            torch.nn.utils.spectral_norm(t, dim=dim)
            nn.utils.spectral_norm(f, dim=dim)
    assert list(t.state_dict()) == list(f.state_dict())
    f.load_state_dict(_to_fastdl(t.state_dict()))
    x = np.random.default_rng(1).standard_normal((2, 3, 5, 5))
    _run_both(t, f, x, True)
    _run_both(t, f, x, True)  # u / v move on in training
    _run_both(t, f, x, False)


def test_weight_norm_keys_and_values():
    m = nn.Linear(3, 2).double()
    w = _np(m.weight).copy()
    P.weight_norm(m)
    sd = m.state_dict()
    assert list(sd) == ["bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]
    np.testing.assert_allclose(_np(sd["parametrizations.weight.original0"]),
                               np.linalg.norm(w, axis=1, keepdims=True))
    np.testing.assert_allclose(_np(m.weight), w)
    m.parametrizations.weight.original0.data = fastdl.ones(2, 1, dtype=fastdl.float64)
    np.testing.assert_allclose(np.linalg.norm(_np(m.weight), axis=1), 1.0)
    gradcheck(lambda g, v: P._WeightNorm(0)(g, v),
              (fastdl.tensor(np.random.rand(2, 1) + 0.5, requires_grad=True),
               fastdl.tensor(np.random.randn(2, 3), requires_grad=True)))


def test_spectral_norm_training_eval_and_errors():
    m = nn.Linear(5, 4).double()
    P.spectral_norm(m)
    plist = m.parametrizations.weight
    u0 = _np(plist[0]._u).copy()
    W = _np(plist.original)
    sigma = np.linalg.svd(W, compute_uv=False)[0]
    m.eval()
    _ = m.weight
    np.testing.assert_array_equal(_np(plist[0]._u), u0)  # no update in eval mode
    np.testing.assert_allclose(np.linalg.svd(_np(m.weight), compute_uv=False)[0], 1.0, rtol=1e-3)
    m.train()
    for _ in range(30):
        _ = m.weight
    U, S, Vt = np.linalg.svd(W)
    assert abs(_np(plist[0]._u) @ U[:, 0]) == pytest.approx(1.0, abs=1e-8)  # the power iteration converged
    assert abs(_np(plist[0]._v) @ Vt[0]) == pytest.approx(1.0, abs=1e-8)
    assert _np(plist[0]._u) @ W @ _np(plist[0]._v) == pytest.approx(sigma, rel=1e-10)
    np.testing.assert_allclose(np.linalg.svd(_np(m.weight), compute_uv=False)[0], 1.0, rtol=1e-8)
    # a 1-D weight is just normalized
    b = nn.Linear(2, 3).double()
    P.spectral_norm(b, "bias")
    np.testing.assert_allclose(np.linalg.norm(_np(b.bias)), 1.0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        P.spectral_norm(nn.Linear(2, 2), dim=2)
    with pytest.raises(ValueError, match="n_power_iterations to be positive"):
        P.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(ValueError, match="no parameter or buffer with name 'nope'"):
        P.spectral_norm(nn.Linear(2, 2), "nope")


def test_spectral_norm_conv_transpose_dim():
    f = nn.ConvTranspose2d(3, 5, 2)
    P.spectral_norm(f)
    assert f.parametrizations.weight[0].dim == 1 and tuple(f.parametrizations.weight[0]._u.shape) == (5,)
    g = nn.ConvTranspose2d(3, 5, 2)
    nn.utils.spectral_norm(g)
    assert tuple(g.weight_u.shape) == (5,)


def test_old_hooks_register_and_remove():
    m = nn.Linear(3, 2).double()
    w = _np(m.weight).copy()
    with pytest.warns(FutureWarning, match="parametrizations.weight_norm"):
        nn.utils.weight_norm(m)
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight_g", "weight_v"]
    with pytest.raises(RuntimeError, match="two weight_norm hooks"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            nn.utils.weight_norm(m)
    m.weight_g.data = 2 * m.weight_g.detach()
    m(fastdl.zeros(1, 3, dtype=fastdl.float64))  # the pre-hook recomputes weight
    np.testing.assert_allclose(_np(m.weight), 2 * w)
    nn.utils.remove_weight_norm(m)
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight"]
    np.testing.assert_allclose(_np(m.weight), 2 * w)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        nn.utils.remove_weight_norm(m)

    nn.utils.spectral_norm(m)
    assert list(m.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    with pytest.raises(RuntimeError, match="two spectral_norm hooks"):
        nn.utils.spectral_norm(m)
    m(fastdl.zeros(1, 3, dtype=fastdl.float64))
    nn.utils.remove_spectral_norm(m)
    assert list(m.state_dict()) == ["bias", "weight"] and m.__dict__.get("_call_hooks") is None
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found"):
        nn.utils.remove_spectral_norm(m)
    with pytest.raises(ValueError, match="n_power_iterations to be positive"):
        nn.utils.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)


# ---- orthogonal -----------------------------------------------------------------------
@pytest.mark.parametrize("omap,shape", [("matrix_exp", (4, 4)), ("cayley", (4, 4)), ("householder", (5, 3)),
                                        ("householder", (3, 5)), ("matrix_exp", (3, 5)), ("cayley", (5, 3))])
@pytest.mark.parametrize("triv", [True, False])
def test_orthogonal_matches_torch(omap, shape, triv):
    torch = _torch()
    t = torch.nn.Linear(shape[1], shape[0]).double()
    torch.nn.utils.parametrizations.orthogonal(t, orthogonal_map=omap, use_trivialization=triv)
    f = nn.Linear(shape[1], shape[0]).double()
    P.orthogonal(f, orthogonal_map=omap, use_trivialization=triv)
    W = _np(f.weight)  # orthonormal rows or columns straight after registration
    small = min(shape)
    G = W @ W.T if shape[0] < shape[1] else W.T @ W
    np.testing.assert_allclose(G, np.eye(small), atol=1e-12)
    assert list(t.state_dict()) == list(f.state_dict())
    f.load_state_dict(_to_fastdl(t.state_dict()))
    x = np.random.default_rng(2).standard_normal((2, shape[1]))
    _run_both(t, f, x, True)


def test_orthogonal_right_inverse_matches_torch():
    torch = _torch()
    w = np.random.default_rng(3).standard_normal((5, 3))
    t = torch.nn.Linear(3, 5).double()
    t.weight.data = torch.tensor(w)
    torch.nn.utils.parametrizations.orthogonal(t, orthogonal_map="householder", use_trivialization=False)
    f = nn.Linear(3, 5).double()
    f.weight.data = fastdl.tensor(w)
    P.orthogonal(f, orthogonal_map="householder", use_trivialization=False)
    np.testing.assert_allclose(_np(f.parametrizations.weight.original),
                               t.parametrizations.weight.original.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(_np(f.weight), t.weight.detach().numpy(), atol=1e-12)


def test_orthogonal_assign_and_errors():
    m = nn.Linear(4, 4).double()
    P.orthogonal(m)
    q = np.linalg.qr(np.random.default_rng(4).standard_normal((4, 4)))[0]
    m.weight = fastdl.tensor(q)
    np.testing.assert_allclose(_np(m.weight), q, atol=1e-12)
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices"):
        P.orthogonal(nn.Linear(2, 2), "bias")
    with pytest.raises(ValueError, match='orthogonal_map has to be one of'):
        P.orthogonal(nn.Linear(2, 2), orthogonal_map="svd")
    c = nn.Linear(3, 3)
    P.orthogonal(c, orthogonal_map="cayley", use_trivialization=False)
    with pytest.raises(NotImplementedError, match="use_trivialization=False"):
        c.weight = fastdl.eye(3)


def test_matrix_exp_used_by_orthogonal():
    # orthogonal's 'matrix_exp' map is fastdl.linalg.matrix_exp itself
    assert P.matrix_exp is fastdl.linalg.matrix_exp
    rng = np.random.default_rng(5)
    A = rng.standard_normal((2, 3, 3)) * 3
    E = _np(P.matrix_exp(fastdl.tensor(A)))
    # exp(A) exp(-A) = I and, for a diagonal matrix, the elementwise exponential
    np.testing.assert_allclose(E @ _np(P.matrix_exp(fastdl.tensor(-A))), np.broadcast_to(np.eye(3), (2, 3, 3)),
                               atol=1e-10)
    np.testing.assert_allclose(_np(P.matrix_exp(fastdl.tensor(np.diag([1.0, -2.0, 5.0])))),
                               np.diag(np.exp([1.0, -2.0, 5.0])), rtol=1e-13)
    gradcheck(P.matrix_exp, fastdl.tensor(rng.standard_normal((3, 3)), requires_grad=True))


# ---- parameters_to_vector, fusion, clipping, skip_init ----------------------------------
def test_parameters_vector_round_trip():
    m = nn.Linear(3, 2).double()
    vec = nn.utils.parameters_to_vector(m.parameters())
    assert tuple(vec.shape) == (8,)
    np.testing.assert_array_equal(_np(vec), np.concatenate([_np(m.weight).ravel(), _np(m.bias)]))
    (vec * fastdl.arange(8, dtype=fastdl.float64)).sum().backward()
    np.testing.assert_array_equal(_np(m.weight.grad).ravel(), np.arange(6))
    nn.utils.vector_to_parameters(fastdl.arange(8, dtype=fastdl.float64), m.parameters())
    np.testing.assert_array_equal(_np(m.weight), np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal(_np(m.bias), [6, 7])
    assert m.weight.requires_grad
    with pytest.raises(RuntimeError, match="vector of 8 elements"):
        nn.utils.vector_to_parameters(fastdl.zeros(7), m.parameters())
    with pytest.raises(TypeError, match="expected torch.Tensor"):
        nn.utils.vector_to_parameters([1.0] * 8, m.parameters())


@pytest.mark.parametrize("transpose", [False, True])
def test_fuse_conv_bn_eval(transpose):
    rng = np.random.default_rng(6)
    conv = (nn.ConvTranspose2d(3, 4, 3) if transpose else nn.Conv2d(3, 4, 3)).double().eval()
    bn = nn.BatchNorm2d(4).double().eval()
    bn.running_mean.copy_(fastdl.tensor(rng.standard_normal(4)))
    bn.running_var.copy_(fastdl.tensor(rng.random(4) + 0.5))
    with fastdl.no_grad():
        bn.weight.copy_(fastdl.tensor(rng.standard_normal(4)))
        bn.bias.copy_(fastdl.tensor(rng.standard_normal(4)))
    fused = nn.utils.fuse_conv_bn_eval(conv, bn, transpose=transpose)
    assert fused is not conv and isinstance(fused.weight, nn.Parameter)
    x = fastdl.tensor(rng.standard_normal((2, 3, 6, 6)))
    np.testing.assert_allclose(_np(fused(x)), _np(bn(conv(x))), rtol=1e-10, atol=1e-12)
    conv.train()
    with pytest.raises(AssertionError, match="Fusion only for eval"):
        nn.utils.fuse_conv_bn_eval(conv, bn)


def test_fuse_linear_bn_eval_and_weights_match_torch():
    rng = np.random.default_rng(7)
    lin, bn = nn.Linear(3, 4).double().eval(), nn.BatchNorm1d(4).double().eval()
    bn.running_mean.copy_(fastdl.tensor(rng.standard_normal(4)))
    bn.running_var.copy_(fastdl.tensor(rng.random(4) + 0.5))
    fused = nn.utils.fuse_linear_bn_eval(lin, bn)
    x = fastdl.tensor(rng.standard_normal((5, 3)))
    np.testing.assert_allclose(_np(fused(x)), _np(bn(lin(x))), rtol=1e-10, atol=1e-12)
    with pytest.raises(AssertionError, match="linear.out_features == bn.num_features"):
        nn.utils.fuse_linear_bn_eval(nn.Linear(3, 2).eval(), bn)
    torch = _torch()
    args = [rng.standard_normal(s) for s in [(4, 3, 2, 2), (4,), (4,)]] + [rng.random(4) + 0.1] + \
           [rng.standard_normal(4), rng.standard_normal(4)]
    tw, tb = torch.nn.utils.fuse_conv_bn_weights(*[torch.tensor(a) for a in args[:4]], 1e-3,
                                                 *[torch.tensor(a) for a in args[4:]])
    fw, fb = nn.utils.fuse_conv_bn_weights(*[fastdl.tensor(a) for a in args[:4]], 1e-3,
                                           *[fastdl.tensor(a) for a in args[4:]])
    np.testing.assert_allclose(_np(fw), tw.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(_np(fb), tb.detach().numpy(), rtol=1e-13)
    tw, tb = torch.nn.utils.fuse_linear_bn_weights(torch.tensor(args[0][:, :, 0, 0]), None,
                                                   *[torch.tensor(a) for a in args[2:4]], 1e-3,
                                                   *[torch.tensor(a) for a in args[4:]])
    fw, fb = nn.utils.fuse_linear_bn_weights(fastdl.tensor(args[0][:, :, 0, 0]), None,
                                             *[fastdl.tensor(a) for a in args[2:4]], 1e-3,
                                             *[fastdl.tensor(a) for a in args[4:]])
    np.testing.assert_allclose(_np(fw), tw.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(_np(fb), tb.detach().numpy(), rtol=1e-13)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
def test_get_total_norm_and_clip_grads_with_norm(norm_type):
    rng = np.random.default_rng(8)
    gs = [rng.standard_normal(s) for s in [(3, 2), (4,), ()]]
    ref = np.linalg.norm(np.concatenate([g.ravel() for g in gs]), norm_type)
    total = nn.utils.get_total_norm([fastdl.tensor(g) for g in gs], norm_type)
    np.testing.assert_allclose(float(total), ref, rtol=1e-12)
    ps = [nn.Parameter(fastdl.zeros(*g.shape, dtype=fastdl.float64)) for g in gs]
    for p, g in zip(ps, gs):
        p.grad = fastdl.tensor(g)
    nn.utils.clip_grads_with_norm_(ps, 0.5, total)
    for p, g in zip(ps, gs):
        np.testing.assert_allclose(_np(p.grad), g * 0.5 / (ref + 1e-6), rtol=1e-12)
    nn.utils.clip_grads_with_norm_(ps, 100.0, total)  # a coefficient above 1 changes nothing
    for p, g in zip(ps, gs):
        np.testing.assert_allclose(_np(p.grad), g * 0.5 / (ref + 1e-6), rtol=1e-12)


def test_clip_grad_norm_alias_and_errors():
    p = nn.Parameter(fastdl.tensor([3.0, 4.0]))
    p.grad = fastdl.tensor([3.0, 4.0])
    with pytest.warns(FutureWarning, match="clip_grad_norm_"):
        total = nn.utils.clip_grad_norm(p, 1.0)
    assert float(total) == pytest.approx(5.0)
    np.testing.assert_allclose(_np(p.grad), [0.6, 0.8], rtol=1e-5)
    assert float(nn.utils.get_total_norm([])) == 0.0
    with pytest.raises(RuntimeError, match="get_total_norm: the total norm of order 2.0"):
        nn.utils.get_total_norm([fastdl.tensor([math.inf])], error_if_nonfinite=True)
    with pytest.raises(TypeError, match="expected tensors"):
        nn.utils.get_total_norm([1.0, 2.0])
    with pytest.warns(UserWarning, match="empty generator"):
        nn.utils.clip_grad_norm_((q for q in []), 1.0)


def test_get_total_norm_matches_torch():
    torch = _torch()
    gs = [np.random.default_rng(9).standard_normal(s) for s in [(5, 2), (3,)]]
    for nt in (2.0, 0.5, -math.inf):
        ref = torch.nn.utils.get_total_norm([torch.tensor(g) for g in gs], nt)
        got = nn.utils.get_total_norm([fastdl.tensor(g) for g in gs], nt)
        np.testing.assert_allclose(float(got), float(ref), rtol=1e-12)


def test_skip_init():
    m = nn.utils.skip_init(nn.Linear, 3, 4, dtype=fastdl.float64)
    assert isinstance(m, nn.Linear) and tuple(m.weight.shape) == (4, 3) and m.weight.dtype is fastdl.float64
    with pytest.raises(RuntimeError, match="Expected a Module"):
        nn.utils.skip_init(int)
    with pytest.raises(RuntimeError, match="support a 'device' arg"):
        nn.utils.skip_init(nn.ReLU)


def test_utils_names_cover_torch():
    torch = _torch()
    missing = [n for n in dir(torch.nn.utils) if not n.startswith("_") and not hasattr(nn.utils, n)]
    assert set(missing) <= {"convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format",
                            "memory_format", "stateless"}, missing
    for n in P.__all__ + parametrize.__all__:
        assert hasattr(getattr(torch.nn.utils, "parametrizations" if n in P.__all__ else "parametrize"), n)


# ---- nn.init --------------------------------------------------------------------------
@pytest.mark.parametrize("shape,groups", [((6, 4, 3), 2), ((4, 4, 3, 3), 1), ((6, 2, 3, 3, 3), 3), ((2, 5, 4), 1)])
def test_dirac(shape, groups):
    t = init.dirac_(fastdl.empty(*shape), groups)
    ref = np.zeros(shape)
    per = shape[0] // groups
    for g in range(groups):
        for d in range(min(per, shape[1])):
            ref[(g * per + d, d) + tuple(s // 2 for s in shape[2:])] = 1
    np.testing.assert_array_equal(_np(t), ref)
    # a dirac-initialised convolution is the identity
    if len(shape) == 4 and shape[0] == shape[1]:
        conv = nn.Conv2d(4, 4, 3, padding=1, bias=False)
        init.dirac_(conv.weight)
        x = fastdl.randn(1, 4, 5, 5)
        np.testing.assert_allclose(_np(conv(x)), _np(x), atol=1e-6)


def test_dirac_sparse_eye_errors():
    with pytest.raises(ValueError, match="3, 4, or 5 dimensions"):
        init.dirac_(fastdl.empty(2, 2))
    with pytest.raises(ValueError, match="divisible by groups"):
        init.dirac_(fastdl.empty(5, 2, 3), groups=2)
    with pytest.raises(ValueError, match="2 dimensions"):
        init.sparse_(fastdl.empty(2, 2, 2), 0.5)
    with pytest.raises(ValueError, match="2 dimensions"):
        init.eye_(fastdl.empty(3))


def test_sparse():
    fastdl.manual_seed(0)
    t = init.sparse_(fastdl.empty(10, 30), 0.35, std=0.5)
    zeros = (_np(t) == 0).sum(0)
    np.testing.assert_array_equal(zeros, 4)  # ceil(0.35 * 10) per column
    nz = _np(t)[_np(t) != 0]
    assert 0.3 < nz.std() < 0.7
    rows_hit = [(_np(t)[:, c] == 0).nonzero()[0].tolist() for c in range(30)]
    assert len({tuple(r) for r in rows_hit}) > 1  # different rows per column
    assert (_np(init.sparse_(fastdl.empty(4, 3), 0.0)) != 0).all()


@pytest.mark.parametrize("name", ["uniform", "normal", "constant", "eye", "dirac", "xavier_uniform",
                                  "xavier_normal", "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse"])
def test_deprecated_init_aliases(name):
    args = {"constant": (0.25,), "sparse": (0.5,)}.get(name, ())
    shape = (4, 4, 3) if name == "dirac" else (4, 4)
    fastdl.manual_seed(1)
    with pytest.warns(FutureWarning, match=f"`nn.init.{name}` is now deprecated in favor of `nn.init.{name}_`"):
        a = getattr(init, name)(fastdl.empty(*shape), *args)
    fastdl.manual_seed(1)
    b = getattr(init, name + "_")(fastdl.empty(*shape), *args)
    np.testing.assert_array_equal(_np(a), _np(b))
    assert getattr(init, name).__name__ == name


def test_parametrized_module_deepcopy_and_pickle():
    import copy
    import pickle
    m = nn.Linear(3, 3).double()
    P.orthogonal(m)
    m2 = copy.deepcopy(m)
    assert type(m2).__name__ == "ParametrizedLinear"
    np.testing.assert_array_equal(_np(m2.weight), _np(m.weight))
    m2.parametrizations.weight.original.data = fastdl.zeros(3, 3, dtype=fastdl.float64)
    assert np.abs(_np(m.parametrizations.weight.original)).sum() > 0  # an independent copy
    with pytest.raises(RuntimeError, match="only supported through state_dict"):
        pickle.dumps(m)
