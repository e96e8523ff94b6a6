"""fastdl.func / fastdl.vmap (tail branch): values vs hand-computed float64, nesting, autograd, torch parity."""
import numpy as np
import pytest

import fastdl
import fastdl.func as F


def _r(*shape, seed=0):
    return fastdl.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=fastdl.float64)


def test_vmap_in_out_dims_and_nesting():
    x, y = _r(3, 4), _r(4, 5, seed=1)
    out = fastdl.vmap(lambda a, b: a @ b, in_dims=(0, None))(x, y)
    np.testing.assert_allclose(out.numpy(), x.numpy() @ y.numpy(), rtol=1e-12)
    out = fastdl.vmap(lambda a: a.sum(), in_dims=1)(y)
    np.testing.assert_allclose(out.numpy(), y.numpy().sum(0), rtol=1e-12)
    out = F.vmap(lambda a: (a * 2, a.sum()), out_dims=(1, 0))(x)
    np.testing.assert_allclose(out[0].numpy(), 2 * x.numpy().T)
    np.testing.assert_allclose(out[1].numpy(), x.numpy().sum(1), rtol=1e-12)
    outer = fastdl.vmap(fastdl.vmap(lambda a, b: a * b, (0, None)), (None, 0))(x[0], y[0])
    np.testing.assert_allclose(outer.numpy(), np.outer(y[0].numpy(), x[0].numpy()), rtol=1e-12)
    d = fastdl.vmap(lambda p: p["w"] * p["b"], in_dims=({"w": 0, "b": None},))({"w": x, "b": y[0, :4]})
    np.testing.assert_allclose(d.numpy(), x.numpy() * y.numpy()[0, :4], rtol=1e-12)


def test_vmap_autograd_and_randomness():
    x = _r(3, 4).requires_grad_(True)
    fastdl.vmap(lambda a: (a * a).sum())(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy(), rtol=1e-12)
    assert fastdl.autograd.gradcheck(lambda t: fastdl.vmap(lambda a: a.sin() * a[0])(t), (x,))
    with pytest.raises(RuntimeError, match="random"):
        fastdl.vmap(lambda a: a + fastdl.randn(4))(x)
    same = fastdl.vmap(lambda a: a * 0 + fastdl.rand(()), randomness="same")(x[:, 0].detach())
    assert np.unique(same.numpy()).size == 1
    diff = fastdl.vmap(lambda a: a * 0 + fastdl.rand(()), randomness="different")(x[:, 0].detach())
    assert np.unique(diff.numpy()).size == 3


def test_vmap_bad_inputs():
    x = _r(3, 4)
    with pytest.raises(ValueError, match="different sizes"):
        fastdl.vmap(lambda a, b: a + b)(x, _r(2, 4))
    with pytest.raises(ValueError, match="at least one"):
        fastdl.vmap(lambda a: a, in_dims=None)(x)
    with pytest.raises(ValueError, match="out of range"):
        fastdl.vmap(lambda a: a, in_dims=2)(x)
    with pytest.raises(ValueError, match="in_dims"):
        fastdl.vmap(lambda a, b: a, in_dims=(0,))(x, x)
    with pytest.raises(ValueError, match="randomness"):
        fastdl.vmap(lambda a: a, randomness="sometimes")
    with pytest.raises(ValueError, match="chunk_size"):
        fastdl.vmap(lambda a: a, chunk_size=0)
    with pytest.raises(ValueError, match="Tensors"):
        fastdl.vmap(lambda a: 1.0)(x)


def _f(a, b):
    return (a.sin() * b).sum() + (a * a).sum() * b[0]


def test_grad_argnums_aux_and_nesting():
    a, b = _r(4), _r(4, seed=1)
    an, bn = a.numpy(), b.numpy()
    ga = np.cos(an) * bn + 2 * an * bn[0]
    gb = np.sin(an) + np.array([(an * an).sum(), 0, 0, 0])
    np.testing.assert_allclose(F.grad(_f)(a, b).numpy(), ga, rtol=1e-12)
    g0, g1 = F.grad(_f, argnums=(0, 1))(a, b)
    np.testing.assert_allclose(g1.numpy(), gb, rtol=1e-12)
    g, aux = F.grad(lambda a: (_f(a, b), a.sum()), has_aux=True)(a)
    np.testing.assert_allclose(aux.numpy(), an.sum())
    g, (v, _) = F.grad_and_value(lambda a: (_f(a, b), 0), has_aux=True)(a)
    np.testing.assert_allclose(v.numpy(), _f(a, b).numpy())
    s = fastdl.tensor(1.5, dtype=fastdl.float64)
    assert abs(F.grad(F.grad(lambda t: t ** 4))(s).item() - 12 * 1.5 ** 2) < 1e-12
    per = fastdl.vmap(F.grad(lambda r: (r ** 3).sum()))(_r(3, 2))
    np.testing.assert_allclose(per.numpy(), 3 * _r(3, 2).numpy() ** 2, rtol=1e-12)
    # differentiable through grad when the input requires grad
    x = _r(4).requires_grad_(True)
    F.grad(lambda t: (t ** 3).sum())(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * x.detach().numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError, match="single-element"):
        F.grad(lambda t: t * 2)(a)
    with pytest.raises(RuntimeError, match="argnums"):
        F.grad(_f, argnums=2)(a, b)
    with pytest.raises(TypeError, match="floating"):
        F.grad(lambda t: t.sum())(fastdl.tensor([1, 2]))


def test_jacrev_hessian_vjp_jvp():
    a = _r(3)
    an = a.numpy()
    j = F.jacrev(lambda t: t.exp() * t[0])(a)
    ref = np.diag(np.exp(an) * an[0])
    ref[:, 0] += np.exp(an)
    np.testing.assert_allclose(j.numpy(), ref, rtol=1e-12)
    np.testing.assert_allclose(F.jacfwd(lambda t: t.exp() * t[0])(a).numpy(), ref, rtol=1e-12)
    h = F.hessian(lambda t: (t ** 3).sum() + t[0] * t[1])(a)
    href = np.diag(6 * an)
    href[0, 1] = href[1, 0] = 1
    np.testing.assert_allclose(h.numpy(), href, rtol=1e-12, atol=1e-14)
    out, fn = F.vjp(lambda t: t.sin(), a)
    (g,) = fn(fastdl.ones(3, dtype=fastdl.float64) * 2)
    np.testing.assert_allclose(g.numpy(), 2 * np.cos(an), rtol=1e-12)
    with pytest.raises(RuntimeError, match="cotangents"):
        fn(fastdl.ones(4, dtype=fastdl.float64))
    out, t = F.jvp(lambda u, v: u * v, (a, a * 2), (fastdl.ones(3, dtype=fastdl.float64), a))
    np.testing.assert_allclose(t.numpy(), 2 * an + an * an, rtol=1e-12)
    with pytest.raises(RuntimeError, match="tangents"):
        F.jvp(lambda u: u, (a,), (fastdl.ones(2, dtype=fastdl.float64),))


def test_func_torch_parity():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).standard_normal((2, 3))

    def f(mod):
        return lambda t: (t.sin() * t).sum() + t[0] ** 3

    got = fastdl.vmap(F.hessian(f(fastdl)))(fastdl.tensor(x)).numpy()
    ref = torch.vmap(torch.func.hessian(f(torch)))(torch.tensor(x)).numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-14)
    got = F.jacrev(lambda t: t.cumsum(0) * t, argnums=0)(fastdl.tensor(x[0])).numpy()
    ref = torch.func.jacrev(lambda t: t.cumsum(0) * t)(torch.tensor(x[0])).numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-12)
