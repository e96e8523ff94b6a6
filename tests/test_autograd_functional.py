"""fastdl.autograd.functional (torch.autograd.functional): closed-form references without
torch, and parity with torch for every function where it is installed."""
import numpy as np
import pytest

import fastdl

AF = fastdl.autograd.functional
try:
    import torch
except ImportError:
    torch = None

A = np.array([0.3, -1.2, 0.8])
B = np.random.default_rng(0).standard_normal((2, 3))


def _f(x):
    return fastdl.tensor(x, dtype=fastdl.float64)


def test_closed_forms():
    x = _f(A)
    t = np.tanh(A)
    J = AF.jacobian(lambda v: fastdl.tanh(v) ** 2 * 3, x)
    np.testing.assert_allclose(J.numpy(), np.diag(6 * t * (1 - t * t)), rtol=1e-12, atol=1e-15)
    H = AF.hessian(lambda v: (fastdl.exp(v) * v).sum(), x)
    np.testing.assert_allclose(H.numpy(), np.diag(np.exp(A) * (A + 2)), rtol=1e-12, atol=1e-15)
    out, hv = AF.hvp(lambda v: (fastdl.exp(v) * v).sum(), x, _f(B[0]))
    np.testing.assert_allclose(hv.numpy(), np.exp(A) * (A + 2) * B[0], rtol=1e-12)
    out, jv = AF.jvp(lambda v: fastdl.sin(v) * 2, x, _f(B[1]))
    np.testing.assert_allclose(jv.numpy(), 2 * np.cos(A) * B[1], rtol=1e-12)
    assert not x.requires_grad and not J.requires_grad


def test_create_graph_and_import_path():
    from fastdl.autograd.functional import jacobian
    x = _f(A).requires_grad_(True)
    J = jacobian(lambda v: v ** 3, x, create_graph=True)
    assert J.requires_grad
    g, = fastdl.autograd.grad(J.sum(), x)  # d/dx sum(diag(3 x^2)) = 6 x
    np.testing.assert_allclose(g.numpy(), 6 * A, rtol=1e-12)


def test_errors():
    with pytest.raises(RuntimeError, match="hessian: func must return a single-element Tensor"):
        AF.hessian(lambda v: v * 2, _f(A))
    with pytest.raises(RuntimeError, match="vjp: v can only be None"):
        AF.vjp(lambda v: v * 2, _f(A))
    with pytest.raises(RuntimeError, match="jacobian: the output does not depend on input 1"):
        AF.jacobian(lambda a, b: a * 2, (_f(A), _f(A)), strict=True)
    with pytest.raises(TypeError, match="jacobian: the inputs must be a Tensor"):
        AF.jacobian(lambda a: a, [1.0])
    with pytest.raises(NotImplementedError, match="strategy"):
        AF.jacobian(lambda a: a, _f(A), strategy="forward-mode")


def _cmp(u, v):
    u = u if isinstance(u, (tuple, list)) else (u,)
    v = v if isinstance(v, (tuple, list)) else (v,)
    assert len(u) == len(v)
    for p, q in zip(u, v):
        if isinstance(p, (tuple, list)):
            _cmp(p, q)
        else:
            np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-10, atol=1e-12)


CASES = {
    "jacobian": lambda lib, mk: lib.autograd.functional.jacobian(lambda x: lib.tanh(x) ** 2 * 3, mk(A)),
    "jacobian_tuple": lambda lib, mk: lib.autograd.functional.jacobian(
        lambda x, y: ((lib.sin(x) * y).sum(1), y * 2), (mk(A), mk(B))),
    "hessian": lambda lib, mk: lib.autograd.functional.hessian(lambda x: (lib.exp(x) * x).sum(), mk(A)),
    "hessian_tuple": lambda lib, mk: lib.autograd.functional.hessian(
        lambda x, y: (lib.sigmoid(x) * y).sum(), (mk(A), mk(B))),
    "vjp": lambda lib, mk: lib.autograd.functional.vjp(lambda x: lib.tanh(x) * x, mk(A), mk(B[0])),
    "jvp": lambda lib, mk: lib.autograd.functional.jvp(lambda x, y: x * y, (mk(B), mk(B)), (mk(B), mk(B) * 2)),
    "hvp": lambda lib, mk: lib.autograd.functional.hvp(lambda x: (x.softmax(0) * x).sum(), mk(A), mk(B[1])),
    "vhp": lambda lib, mk: lib.autograd.functional.vhp(lambda x: (lib.log1p(x * x) * x).sum(), mk(A), mk(B[0])),
}


@pytest.mark.skipif(torch is None, reason="torch is not installed")
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name):
    ours = CASES[name](fastdl, _f)
    theirs = CASES[name](torch, lambda x: torch.tensor(x, dtype=torch.float64))
    _cmp(ours, theirs)
