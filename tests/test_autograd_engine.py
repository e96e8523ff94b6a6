"""The backward engine's loop (csrc/bind/bind_autograd_engine.cpp, called by
autograd._run_backward): order, summing, missing gradients, freeing, errors. The op
tests run it on every op's backward; these pin the engine's own contract."""
import numpy as np
import pytest

import fastdl
from fastdl.autograd import Function


class Split(Function):
    """Two outputs (x * 2, x * 3) and a non-tensor one."""

    @staticmethod
    def forward(ctx, x):
        return x * 2, x * 3, "tag"

    @staticmethod
    def backward(ctx, g2, g3, g_tag):
        Split.seen = (g2, g3, g_tag)
        return g2 * 2 + g3 * 3


class BadCount(Function):
    @staticmethod
    def forward(ctx, x, y):
        return x + y

    @staticmethod
    def backward(ctx, g):
        return (g,)


class BadType(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 1

    @staticmethod
    def backward(ctx, g):
        return np.ones(3)


class Raises(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 1

    @staticmethod
    def backward(ctx, g):
        assert not fastdl.is_grad_enabled()
        raise ArithmeticError("boom in backward")


def test_unused_output_gets_zeros_and_non_tensor_none():
    x = fastdl.ones(3, requires_grad=True)
    a, b, tag = Split.apply(x)
    a.sum().backward()
    g2, g3, g_tag = Split.seen
    np.testing.assert_array_equal(g2.numpy(), np.ones(3))
    np.testing.assert_array_equal(g3.numpy(), np.zeros(3))
    assert g3.dtype is x.dtype and g_tag is None
    np.testing.assert_array_equal(x.grad.numpy(), np.full(3, 2.0))


def test_diamond_sums_every_path():
    x = fastdl.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    z = (y * 3 + y * x + x).sum()  # dz/dx = 6x + 3x^2 + 1
    z.backward()
    np.testing.assert_allclose(x.grad.numpy(), [10.0, 25.0])


def test_retain_graph_and_second_backward():
    x = fastdl.tensor([3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [12.0])
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_deep_chain_runs_without_recursion():
    x = fastdl.ones(2, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(2))


def test_backward_errors_name_the_node():
    x = fastdl.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="BadCountBackward: backward returned 1 gradients, expected 2"):
        BadCount.apply(x, x).sum().backward()
    with pytest.raises(TypeError, match="BadTypeBackward: backward returned ndarray, expected a Tensor"):
        BadType.apply(x).sum().backward()
    with pytest.raises(ArithmeticError, match="boom in backward"):
        Raises.apply(x).sum().backward()
    assert fastdl.is_grad_enabled()


def test_grad_captures_without_touching_dot_grad():
    x = fastdl.tensor([2.0], requires_grad=True)
    w = fastdl.tensor([5.0], requires_grad=True)
    (gx,) = fastdl.autograd.grad((x * w).sum(), x)
    np.testing.assert_allclose(gx.numpy(), [5.0])
    assert x.grad is None and w.grad is None


def test_leaf_hooks_run_once_per_accumulated_gradient():
    x = fastdl.tensor([1.0, -1.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 10)
    (x * 2).sum().backward()
    assert len(seen) == 1
    np.testing.assert_array_equal(x.grad.numpy(), [20.0, 20.0])
