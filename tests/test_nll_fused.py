"""nll_loss's one-kernel CPU path (csrc/cpu/nll_loss.cpp, ops/loss._NllLoss): forward
against a float64 NumPy reference over reductions, class weights, ignore_index and input
layouts; gradients by float64 gradcheck and gradgradcheck; torch's errors and edge cases."""
import numpy as np
import pytest

import fastdl

F = fastdl.nn.functional


def reference(x, t, w, ignore_index, reduction):
    """x (N, C) float64, t (N,) -> the loss NumPy computes the textbook way."""
    keep = t != ignore_index
    tc = np.where(keep, t, 0)
    wt = (np.ones(x.shape[1]) if w is None else w)[tc] * keep
    losses = -x[np.arange(len(t)), tc] * wt
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.sum() / wt.sum()


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", [fastdl.float32, fastdl.float64])
def test_forward_matches_reference(reduction, weighted, dtype):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((9, 6))
    t = rng.integers(0, 6, size=9)
    t[[2, 5]] = -100
    w = rng.random(6) + 0.1 if weighted else None
    got = F.nll_loss(fastdl.tensor(x).to(dtype), fastdl.tensor(t), None if w is None else fastdl.tensor(w).to(dtype),
                     reduction=reduction)
    assert "_NllLoss" in repr(got.grad_fn) or got.grad_fn is None
    tol = 1e-6 if dtype is fastdl.float32 else 1e-12
    np.testing.assert_allclose(got.numpy(), reference(x, t, w, -100, reduction), rtol=tol, atol=tol)
    assert got.dtype is dtype and tuple(got.shape) == ((9,) if reduction == "none" else ())


def test_layouts_and_shapes():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 4))
    t = rng.integers(0, 4, size=6)
    xt = fastdl.tensor(np.ascontiguousarray(x.T)).T  # a non-contiguous (N, C) view
    np.testing.assert_allclose(F.nll_loss(xt, fastdl.tensor(t)).item(), reference(x, t, None, -100, "mean"))
    # (C,) input with a 0-d target; (N, C, d) input with (N, d) targets
    assert F.nll_loss(fastdl.tensor(x[0]), fastdl.tensor(t[0])).item() == pytest.approx(-x[0, t[0]])
    x3 = rng.standard_normal((2, 4, 3))
    t3 = rng.integers(0, 4, size=(2, 3))
    flat_x = np.moveaxis(x3, 1, -1).reshape(-1, 4)
    got = F.nll_loss(fastdl.tensor(x3), fastdl.tensor(t3), reduction="none")
    assert tuple(got.shape) == (2, 3)
    np.testing.assert_allclose(got.numpy().reshape(-1), reference(flat_x, t3.reshape(-1), None, -100, "none"))


def test_gradients_differentiate_twice():
    rng = np.random.default_rng(2)
    x = fastdl.tensor(rng.standard_normal((5, 4)), requires_grad=True)
    t = fastdl.tensor([3, 0, -1, 2, 3])
    w = fastdl.tensor(rng.random(4) + 0.5)
    for reduction in ("mean", "sum", "none"):
        def f(a):
            return F.nll_loss(a, t, w, ignore_index=-1, reduction=reduction)
        assert fastdl.autograd.gradcheck(f, (x,))
        assert fastdl.autograd.gradgradcheck(f, (x,))
    # through log_softmax, as the MNIST example trains
    assert fastdl.autograd.gradcheck(lambda a: F.nll_loss(F.log_softmax(a, 1), t.clamp(0, 3)), (x,))


def test_edge_cases_and_errors():
    x = fastdl.randn(3, 5, requires_grad=True)
    t = fastdl.tensor([-100, -100, -100])
    loss = F.nll_loss(x, t)
    assert np.isnan(loss.item())  # 0 / 0, as torch
    loss.backward()
    assert not x.grad.numpy().any()  # every row ignored: no gradient
    assert F.nll_loss(x, t, reduction="sum").item() == 0.0
    empty = F.nll_loss(fastdl.zeros(0, 5), fastdl.zeros(0, dtype=fastdl.int64), reduction="sum")
    assert empty.item() == 0.0
    with pytest.raises(IndexError, match="nll_loss: target 5 is out of bounds for 5 classes"):
        F.nll_loss(x, fastdl.tensor([0, 5, 1]))
    with pytest.raises(IndexError, match="out of bounds"):
        F.nll_loss(x, fastdl.tensor([0, -2, 1]))
    assert x.grad.numpy().sum() == 0  # a rejected call wrote nothing


def test_matches_torch_where_installed():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((7, 5)).astype(np.float32)
    t = rng.integers(0, 5, size=7)
    t[1] = 2
    w = (rng.random(5) + 0.2).astype(np.float32)
    for reduction in ("mean", "sum", "none"):
        a = fastdl.tensor(x, requires_grad=True)
        b = torch.tensor(x, requires_grad=True)
        la = F.nll_loss(a, fastdl.tensor(t), fastdl.tensor(w), ignore_index=2, reduction=reduction)
        lb = torch.nn.functional.nll_loss(b, torch.tensor(t), torch.tensor(w), ignore_index=2, reduction=reduction)
        np.testing.assert_allclose(la.detach().numpy(), lb.detach().numpy(), rtol=1e-6, atol=1e-6)
        la.sum().backward()
        lb.sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-6, atol=1e-7)
