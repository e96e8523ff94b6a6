"""fastdl.nn.utils.prune against torch.nn.utils.prune (masks, composition, state dict
keys, loading a pruned torch state dict), exact hand-checked masks, gradients, errors."""
import numpy as np
import pytest

import fastdl
import fastdl.nn as nn
import fastdl.nn.utils.prune as prune

W = np.array([[0.5, -3.0, 0.1, 2.0, -0.7],
              [1.5, 0.2, -0.05, -2.5, 0.9],
              [-1.1, 0.3, 4.0, 0.6, -0.15],
              [0.25, -1.8, 0.8, -0.4, 3.5]], dtype=np.float32)  # distinct magnitudes: no ties


def _linear(lib=fastdl):
    m = lib.nn.Linear(5, 4)
    with lib.no_grad():
        m.weight.copy_(lib.tensor(W))
        m.bias.copy_(lib.tensor(np.arange(4, dtype=np.float32)))
    return m


def test_l1_unstructured_exact():
    m = prune.l1_unstructured(_linear(), "weight", amount=0.25)  # 5 of 20 smallest |w|
    mask = np.abs(W) > np.sort(np.abs(W).ravel())[4]
    assert np.array_equal(m.weight_mask.numpy(), mask.astype(np.float32))
    assert np.array_equal(m.weight.detach().numpy(), W * mask)
    assert isinstance(m.weight_orig, nn.Parameter) and not isinstance(m.weight, nn.Parameter)
    assert [k for k, _ in m.named_parameters()] == ["bias", "weight_orig"]
    assert list(m.state_dict()) == ["bias", "weight_orig", "weight_mask"]
    assert prune.is_pruned(m) and prune.is_pruned(nn.Sequential(m)) and not prune.is_pruned(nn.Linear(2, 2))


def test_gradient_is_masked_and_weight_recomputed():
    m = prune.l1_unstructured(_linear(), "weight", amount=7)
    x = fastdl.randn(3, 5)
    m(x).sum().backward()
    mask = m.weight_mask.numpy()
    dense = np.broadcast_to(x.numpy().sum(0), (4, 5))
    assert np.allclose(m.weight_orig.grad.numpy(), dense * mask, rtol=1e-6)
    with fastdl.no_grad():
        m.weight_orig.add_(1.0)
    m(x)  # the pre-hook recomputes weight from the updated weight_orig
    assert np.allclose(m.weight.detach().numpy(), (W + 1) * mask)


@pytest.mark.parametrize("n,dim", [(1, 0), (2, 1), (float("inf"), 0), (2, -1)])
def test_ln_structured_vs_torch(n, dim):
    torch = pytest.importorskip("torch")
    import torch.nn.utils.prune as tprune
    ours, theirs = _linear(), _linear(torch)
    prune.ln_structured(ours, "weight", amount=0.5, n=n, dim=dim)
    tprune.ln_structured(theirs, "weight", amount=0.5, n=n, dim=dim)
    assert np.array_equal(ours.weight_mask.numpy(), theirs.weight_mask.numpy())


def test_iterative_pruning_composes_like_torch():
    torch = pytest.importorskip("torch")
    import torch.nn.utils.prune as tprune
    ours, theirs = _linear(), _linear(torch)
    for lib, mod, m in ((prune, ours, None), (tprune, theirs, None)):
        lib.l1_unstructured(mod, "weight", amount=0.2)
        lib.ln_structured(mod, "weight", amount=1, n=2, dim=0)
        lib.l1_unstructured(mod, "weight", amount=3)
        lib.l1_unstructured(mod, "bias", amount=1)
    assert np.array_equal(ours.weight_mask.numpy(), theirs.weight_mask.numpy())
    assert np.array_equal(ours.bias_mask.numpy(), theirs.bias_mask.numpy())
    hook = [h for h in ours._forward_pre_hooks.values() if getattr(h, "_tensor_name", "") == "weight"]
    assert len(hook) == 1 and isinstance(hook[0], prune.PruningContainer) and len(hook[0]) == 3
    assert [type(h).__name__ for h in hook[0]] == ["L1Unstructured", "LnStructured", "L1Unstructured"]
    x = np.random.RandomState(0).randn(2, 5).astype(np.float32)
    assert np.allclose(ours(fastdl.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(), atol=1e-6)
    prune.remove(ours, "weight")
    tprune.remove(theirs, "weight")
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert isinstance(ours.weight, nn.Parameter)
    assert np.array_equal(ours.weight.detach().numpy(), theirs.weight.detach().numpy())


def test_global_and_custom_vs_torch():
    torch = pytest.importorskip("torch")
    import torch.nn.utils.prune as tprune
    rs = np.random.RandomState(3)
    w2 = rs.randn(3, 4).astype(np.float32)
    res = []
    for lib, pr in ((fastdl, prune), (torch, tprune)):
        a, b = _linear(lib), lib.nn.Linear(4, 3)
        with lib.no_grad():
            b.weight.copy_(lib.tensor(w2))
        pr.global_unstructured([(a, "weight"), (b, "weight")], pruning_method=pr.L1Unstructured, amount=0.4)
        c = lib.nn.Linear(2, 2)
        pr.custom_from_mask(c, "bias", mask=lib.tensor([1.0, 0.0]))
        res.append((a.weight_mask.numpy(), b.weight_mask.numpy(), c.bias_mask.numpy(), c.bias.detach().numpy()[1]))
    for x, y in zip(*res):
        assert np.array_equal(x, y)


def test_load_pruned_torch_state_dict():
    torch = pytest.importorskip("torch")
    import torch.nn.utils.prune as tprune
    theirs = tprune.l1_unstructured(_linear(torch), "weight", amount=6)
    ours = prune.identity(nn.Linear(5, 4), "weight")
    ours.load_state_dict({k: fastdl.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    x = np.random.RandomState(1).randn(3, 5).astype(np.float32)
    assert np.allclose(ours(fastdl.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(), atol=1e-6)


def test_random_methods_counts():
    fastdl.manual_seed(0)
    m = prune.random_unstructured(_linear(), "weight", amount=0.3)
    assert m.weight_mask.sum().item() == 14
    m = prune.random_structured(_linear(), "weight", amount=2, dim=1)
    cols = m.weight_mask.numpy().sum(0)
    assert sorted(cols.tolist()) == [0, 0, 4, 4, 4]
    assert prune.Identity.apply(nn.Linear(2, 2), "weight") is not None
    p = prune.L1Unstructured(amount=2).prune(fastdl.tensor([3.0, -1.0, 0.5, 2.0]))
    assert np.array_equal(p.numpy(), [3.0, 0.0, 0.0, 2.0])


def test_errors():
    m = _linear()
    with pytest.raises(ValueError, match="non-negative integer"):
        prune.l1_unstructured(m, "weight", amount=1.5)
    with pytest.raises(ValueError, match="non-negative integer"):
        prune.l1_unstructured(m, "weight", amount=-1)
    with pytest.raises(TypeError, match="Invalid type for amount"):
        prune.l1_unstructured(m, "weight", amount="half")
    with pytest.raises(ValueError, match="should be smaller than the number of parameters"):
        prune.l1_unstructured(m, "weight", amount=21)
    assert isinstance(m.weight, nn.Parameter) and "weight_orig" not in m._parameters  # restored
    with pytest.raises(ValueError, match="multidimensional"):
        prune.ln_structured(m, "bias", amount=1, n=2, dim=0)
    with pytest.raises(IndexError, match="Invalid index 2"):
        prune.random_structured(m, "weight", amount=1, dim=2)
    with pytest.raises(ValueError, match="has to be pruned before pruning can be removed"):
        prune.remove(m, "weight")
    with pytest.raises(ValueError, match="same shape"):
        prune.l1_unstructured(m, "weight", amount=1, importance_scores=fastdl.ones(3))
    with pytest.raises(TypeError, match="unstructured"):
        prune.global_unstructured([(m, "weight")], prune.RandomStructured, amount=1)
    with pytest.raises(TypeError, match="not an Iterable"):
        prune.global_unstructured(3, prune.L1Unstructured, amount=1)
    with pytest.raises(TypeError, match="not a BasePruningMethod"):
        prune.PruningContainer(3)
    with pytest.raises(AttributeError):
        prune.l1_unstructured(m, "nope", amount=1)


def test_importance_scores():
    m = prune.l1_unstructured(_linear(), "weight", amount=3, importance_scores=fastdl.arange(20.0).reshape(4, 5))
    expect = np.ones(20, np.float32)
    expect[:3] = 0
    assert np.array_equal(m.weight_mask.numpy().ravel(), expect)
