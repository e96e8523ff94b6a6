"""copy.deepcopy of tensors and modules (Tensor.__deepcopy__), PyTorch's semantics:
graph leaves only, new memory with the same bytes, class / requires_grad / grad kept,
memory shared in the original shared in the copy."""
import copy

import numpy as np
import pytest

import fastdl
from fastdl import nn


def values(t):
    return t.detach().numpy().copy()


@pytest.mark.parametrize("dtype", [fastdl.float32, fastdl.float64, fastdl.int64, fastdl.bool_])
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 5)])
def test_copy_has_the_same_values_in_new_memory(dtype, shape):
    t = fastdl.tensor(np.arange(int(np.prod(shape))).reshape(shape) % 3).to(dtype)
    original = values(t)
    c = copy.deepcopy(t)
    assert type(c) is fastdl.Tensor and c.dtype == dtype and tuple(c.shape) == shape
    np.testing.assert_array_equal(values(c), values(t))
    assert c._buf is not t._buf
    if t.numel():
        with fastdl.no_grad():
            c.fill_(1)
        np.testing.assert_array_equal(values(t), original)


def test_requires_grad_and_grad_are_copied():
    x = fastdl.randn(3, 4, requires_grad=True)
    (x * x).sum().backward()
    c = copy.deepcopy(x)
    assert c.requires_grad and c.is_leaf
    assert c.grad is not None and c.grad._buf is not x.grad._buf
    np.testing.assert_array_equal(values(c.grad), values(x.grad))
    (c * 3).sum().backward()  # the copy is a leaf of its own graphs
    np.testing.assert_allclose(values(c.grad), values(x.grad) + 3)
    np.testing.assert_allclose(values(x.grad), 2 * values(x))


def test_non_leaf_is_refused_with_a_clear_error():
    x = fastdl.randn(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"deepcopy: only graph leaves.*float32\[2\].*detach"):
        copy.deepcopy(x * 2)
    c = copy.deepcopy((x * 2).detach())
    np.testing.assert_array_equal(values(c), 2 * values(x))


def test_views_of_one_buffer_stay_views_of_one_new_buffer():
    a = fastdl.arange(6.0).reshape(2, 3)
    row, col = a[1], a[:, 2]
    a2, row2, col2 = copy.deepcopy([a, row, col])
    assert a2._buf is row2._buf is col2._buf and a2._buf is not a._buf
    assert tuple(col2.stride()) == tuple(col.stride()) and col2._offset == col._offset
    with fastdl.no_grad():
        a2.fill_(7)
    np.testing.assert_array_equal(values(row2), [7, 7, 7])
    np.testing.assert_array_equal(values(a), np.arange(6.0).reshape(2, 3))
    same = fastdl.ones(2)
    first, second = copy.deepcopy([same, same])
    assert first is second


def test_module_deepcopy_is_an_independent_model():
    fastdl.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
    x = fastdl.randn(16, 4)
    model(x)  # moves the BatchNorm running statistics
    clone = copy.deepcopy(model)
    for (name, p), (name2, p2) in zip(model.named_parameters(), clone.named_parameters()):
        assert name == name2 and type(p2) is nn.Parameter and p2.requires_grad and p2._buf is not p._buf
        np.testing.assert_array_equal(values(p2), values(p))
    for (name, b), (_, b2) in zip(model.named_buffers(), clone.named_buffers()):
        np.testing.assert_array_equal(values(b2), values(b))
    assert clone[0].weight is dict(clone.named_parameters())["0.weight"]  # attribute and registry agree
    model.eval(), clone.eval()
    np.testing.assert_array_equal(values(clone(x)), values(model(x)))
    # training the copy leaves the original alone (a DQN target network's use)
    before = {k: values(v) for k, v in model.state_dict().items()}
    clone.train()
    opt = fastdl.optim.SGD(clone.parameters(), lr=0.5)
    clone(x).pow(2).sum().backward()
    opt.step()
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(values(v), before[k])
    assert any(not np.array_equal(values(v), before[k]) for k, v in clone.state_dict().items())


def test_frozen_parameters_stay_frozen():
    layer = nn.Linear(3, 3)
    layer.weight.requires_grad_(False)
    clone = copy.deepcopy(layer)
    assert not clone.weight.requires_grad and clone.bias.requires_grad


def test_copy_stays_on_its_device(device):
    # a CUDA buffer is copied by the device's copy kernel (runs where a GPU is present)
    base = fastdl.arange(12.0, device=device).reshape(3, 4).requires_grad_(True)
    view = base.detach()[1:, ::2]
    b2, v2 = copy.deepcopy([base, view])
    assert b2.device == base.device and b2.requires_grad and b2._buf is not base._buf
    assert v2._buf is b2._buf and tuple(v2.stride()) == tuple(view.stride())
    np.testing.assert_array_equal(values(v2.cpu()), values(view.cpu()))


