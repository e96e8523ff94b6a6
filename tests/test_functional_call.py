"""fastdl.func.functional_call / nn.utils.stateless.functional_call: the module runs with
the given tensors, is restored afterwards (also on exceptions), gradients reach the
given tensors (MAML second order vs torch), tie_weights / strict / dict lists, errors."""
import warnings

import numpy as np
import pytest

import fastdl
import fastdl.nn as nn
from fastdl.func import functional_call


def _net():
    fastdl.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()


def test_forward_uses_given_tensors_and_restores():
    m = _net()
    before = {k: v for k, v in m.named_parameters()}
    x = fastdl.randn(5, 3, dtype=fastdl.float64)
    new = {k: fastdl.randn(*v.shape, dtype=fastdl.float64) for k, v in before.items()}
    y = functional_call(m, new, (x,))
    ref = (x @ new["0.weight"].T + new["0.bias"]).tanh() @ new["2.weight"].T + new["2.bias"]
    assert np.allclose(y.numpy(), ref.numpy(), rtol=1e-14)
    after = dict(m.named_parameters())
    assert all(after[k] is before[k] for k in before)
    assert m[0].weight is before["0.weight"] and isinstance(m[0].weight, nn.Parameter)
    # a single non-tuple argument, kwargs, partial dicts
    y2 = functional_call(m, {"2.bias": new["2.bias"]}, x, {})
    assert np.allclose((y2 - m(x)).detach().numpy(), (new["2.bias"] - m[2].bias).detach().numpy()[None], atol=1e-14)


def test_restored_on_exception():
    m = nn.Linear(3, 2)
    w = m.weight
    with pytest.raises(ValueError, match="features"):
        functional_call(m, {"weight": fastdl.randn(2, 5)}, (fastdl.randn(1, 3),))
    assert m.weight is w and m._parameters["weight"] is w


def test_gradients_flow_to_supplied_only():
    m = _net()
    x = fastdl.randn(4, 3, dtype=fastdl.float64)
    new = {k: v.detach().clone().requires_grad_(True) for k, v in m.named_parameters()}
    functional_call(m, new, (x,)).pow(2).sum().backward()
    m.zero_grad()
    m(x).pow(2).sum().backward()
    for k, p in m.named_parameters():
        assert np.allclose(new[k].grad.numpy(), p.grad.numpy(), rtol=1e-14)
    m.zero_grad()
    functional_call(m, new, (x,)).sum().backward()
    assert all(p.grad is None for p in m.parameters())


def _maml(lib, fc, w, b, x, target):
    m = lib.nn.Linear(3, 2).double()
    with lib.no_grad():
        m.weight.copy_(lib.tensor(w))
        m.bias.copy_(lib.tensor(b))
    params = dict(m.named_parameters())
    inner = ((fc(m, params, (x,)) - target) ** 2).sum()
    grads = lib.autograd.grad(inner, list(params.values()), create_graph=True)
    fast = {k: v - 0.1 * g for (k, v), g in zip(params.items(), grads)}
    outer = ((fc(m, fast, (x,)) - target) ** 2).sum()
    outer.backward()
    return m.weight.grad.detach().numpy(), m.bias.grad.detach().numpy(), float(outer.detach())


def test_maml_second_order_matches_torch():
    torch = pytest.importorskip("torch")
    rs = np.random.RandomState(1)
    w, b, xv, tv = rs.randn(2, 3), rs.randn(2), rs.randn(5, 3), rs.randn(5, 2)
    ours = _maml(fastdl, functional_call, w, b, fastdl.tensor(xv), fastdl.tensor(tv))
    theirs = _maml(torch, torch.func.functional_call, w, b, torch.tensor(xv), torch.tensor(tv))
    for a, c in zip(ours, theirs):
        assert np.allclose(a, c, rtol=1e-12, atol=1e-12)


class _Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(2, 2, bias=False)
        self.b = nn.Linear(2, 2, bias=False)
        self.b.weight = self.a.weight

    def forward(self, x):
        return self.b(self.a(x))


def test_tie_weights():
    m = _Tied()
    x = fastdl.randn(3, 2, dtype=fastdl.float32)
    w = fastdl.randn(2, 2)
    y = functional_call(m, {"a.weight": w}, x)
    assert np.allclose(y.numpy(), (x @ w.T @ w.T).numpy(), rtol=1e-6)
    y = functional_call(m, {"a.weight": w}, x, tie_weights=False)
    assert np.allclose(y.detach().numpy(), (x @ w.T @ m.a.weight.T).detach().numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="tied"):
        functional_call(m, {"a.weight": w, "b.weight": w + 1}, x)
    functional_call(m, {"a.weight": w, "b.weight": w}, x)  # the same tensor for both: fine
    assert m.b.weight is m.a.weight


def test_strict_and_dict_lists_and_buffers():
    bn = nn.BatchNorm1d(3).eval()
    x = fastdl.randn(4, 3)
    rm, rv = fastdl.ones(3), fastdl.full((3,), 4.0)
    y = functional_call(bn, ({"running_mean": rm}, {"running_var": rv}), x)
    assert np.allclose(y.detach().numpy(), ((x - 1) / np.sqrt(4 + 1e-5)).numpy(), rtol=1e-5)
    assert np.array_equal(bn.running_mean.numpy(), np.zeros(3))
    with pytest.raises(ValueError, match="multiple dictionaries"):
        functional_call(bn, ({"weight": rm}, {"weight": rm}), x)
    with pytest.raises(ValueError, match="dict"):
        functional_call(bn, [rm], x)
    with pytest.raises(ValueError, match="Expected parameter_and_buffer_dicts"):
        functional_call(bn, 3, x)
    with pytest.raises(RuntimeError, match="Missing key"):
        functional_call(bn, {"weight": rm}, x, strict=True)
    with pytest.raises(RuntimeError, match="Unexpected key"):
        functional_call(nn.Linear(3, 3), {"weight": fastdl.eye(3), "bias": rm, "extra": rm}, x, strict=True)
    with pytest.raises(AttributeError, match="no submodule"):
        functional_call(bn, {"nope.weight": rm}, x)


def test_unknown_name_is_set_for_the_call_only():
    class M(nn.Module):
        def forward(self, x):
            return x * self.scale
    m = M()
    y = functional_call(m, {"scale": fastdl.tensor(3.0)}, fastdl.ones(2))
    assert np.array_equal(y.numpy(), [3.0, 3.0]) and not hasattr(m, "scale")


def test_stateless_deprecated_spelling():
    import fastdl.nn.utils.stateless as stateless
    m = nn.Linear(2, 1)
    w = fastdl.ones(1, 2)
    with pytest.warns(FutureWarning, match="torch.func.functional_call"):
        y = stateless.functional_call(m, {"weight": w, "bias": fastdl.zeros(1)}, (fastdl.full((1, 2), 2.0),))
    assert y.item() == 4.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(TypeError, match="nn.Module"):
            stateless.functional_call(lambda x: x, {}, (w,))
    assert fastdl.nn.utils.stateless is stateless
