"""autograd.grad runs only the part of the graph that leads to its inputs
(csrc/bind/bind_autograd_engine.cpp, needed_nodes / PrunedNeeds), as torch's engine does:
hooks on branches that lead elsewhere do not fire, fastdl's own ops skip the gradients
nobody asked for (a gradient penalty's weight gradients), a user's Function sees its
needs_input_grad unchanged, and the values are torch's."""
import numpy as np
import pytest

import fastdl
from fastdl.ops import linalg


def test_branches_that_lead_elsewhere_do_not_run():
    fired = []
    x = fastdl.randn(3, requires_grad=True)
    w = fastdl.randn(3, requires_grad=True)
    h = w * 1.0
    h.register_hook(lambda g: fired.append("h"))
    y = (x * h).sum()
    gx, = fastdl.autograd.grad(y, x, retain_graph=True)
    np.testing.assert_allclose(gx.numpy(), h.detach().numpy())
    assert fired == []  # h's branch leads only to w
    gw, = fastdl.autograd.grad(y, w)
    assert fired == ["h"]
    np.testing.assert_allclose(gw.numpy(), x.detach().numpy())
    assert x.grad is None and w.grad is None  # grad() never touches .grad


def test_own_ops_skip_unrequested_gradients_and_restore_the_flags(monkeypatch):
    seen = []
    backward = linalg._Matmul.backward

    def spy(ctx, g):
        seen.append(tuple(ctx.needs_input_grad))
        return backward(ctx, g)

    monkeypatch.setattr(linalg._Matmul, "backward", staticmethod(spy))
    a = fastdl.randn(4, 3, requires_grad=True)
    b = fastdl.randn(3, 2, requires_grad=True)
    y = (a @ b).sum()
    ga, = fastdl.autograd.grad(y, a, retain_graph=True)
    assert seen == [(True, False)]
    assert tuple(y.grad_fn.next_functions[0][0].ctx.needs_input_grad) == (True, True)  # restored
    y.backward()
    assert seen[-1] == (True, True) and a.grad is not None and b.grad is not None
    np.testing.assert_allclose(ga.numpy(), a.grad.numpy())


def test_user_functions_see_needs_input_grad_as_in_torch():
    seen = []

    class Mul(fastdl.autograd.Function):
        @staticmethod
        def forward(ctx, x, w):
            return x * w

        @staticmethod
        def backward(ctx, g):
            seen.append(ctx.needs_input_grad)
            return g * 2, g * 3

    x = fastdl.randn(3, requires_grad=True)
    w = fastdl.randn(3, requires_grad=True)
    fastdl.autograd.grad(Mul.apply(x, w).sum(), x)
    assert seen == [(True, True)]


def test_errors_in_a_pruned_backward_leave_the_flags_alone():
    class Boom(fastdl.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            raise ValueError("boom")

    a = fastdl.randn(2, 2, requires_grad=True)
    b = fastdl.randn(2, 2, requires_grad=True)
    y = Boom.apply(a @ b).sum()
    with pytest.raises(ValueError, match="boom"):
        fastdl.autograd.grad(y, a, retain_graph=True)
    node = y.grad_fn.next_functions[0][0].next_functions[0][0]
    assert tuple(node.ctx.needs_input_grad) == (True, True)


def test_gradient_penalty_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    ws = [rng.standard_normal((16, 2)) * 0.5, rng.standard_normal((16, 16)) * 0.3, rng.standard_normal((1, 16)) * 0.3]
    x = rng.standard_normal((8, 2))

    def penalty(lib, params, inp):
        h = inp
        for i, w in enumerate(params):
            h = h @ w.T
            if i < len(params) - 1:
                h = h.tanh()
        g, = lib.autograd.grad(h.sum(), inp, create_graph=True)
        return ((g.norm(2, dim=1) - 1) ** 2).mean()

    fp = [fastdl.tensor(w, requires_grad=True) for w in ws]
    tp = [torch.tensor(w, requires_grad=True) for w in ws]
    fx = fastdl.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    lf, lt = penalty(fastdl, fp, fx), penalty(torch, tp, tx)
    np.testing.assert_allclose(lf.item(), lt.item(), rtol=1e-12)
    lf.backward()
    lt.backward()
    for a, b in zip(fp, tp):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fx.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
