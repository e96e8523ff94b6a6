"""The autograd engine: accumulation, retain_graph, grad modes, custom Functions,
broadcast reduction, errors, and no memory growth across training steps."""
import gc

import numpy as np
import pytest

import fastdl
from fastdl import _C
from fastdl.autograd import Function
from fastdl.testing import gradcheck


def test_grad_accumulates_on_leaves():
    x = fastdl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.tolist() == [2, 4, 6]
    (x * 3).sum().backward()
    assert x.grad.tolist() == [5, 7, 9]
    assert x.is_leaf and x.grad.grad_fn is None


def test_shared_gradient_is_not_aliased_between_leaves():
    a = fastdl.ones(2, requires_grad=True)
    b = fastdl.ones(2, requires_grad=True)
    (a + b).sum().backward()
    a.grad.add_(5)
    assert b.grad.tolist() == [1, 1]


def test_broadcast_gradients_reduce_to_input_shapes():
    a = fastdl.randn(3, 1, dtype=fastdl.float64, requires_grad=True)
    b = fastdl.randn(4, dtype=fastdl.float64, requires_grad=True)
    (a * b).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.full((3, 1), b.detach().numpy().sum()))
    np.testing.assert_allclose(b.grad.numpy(), np.full(4, a.detach().numpy().sum()))


def test_backward_with_gradient_argument_and_nonscalar_error():
    x = fastdl.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="implicitly created only for scalar outputs"):
        y.backward()
    y.backward(fastdl.tensor([1.0, 10.0]))
    assert x.grad.tolist() == [2, 20]
    with pytest.raises(RuntimeError, match="shape"):
        (x * 2).backward(fastdl.ones(3))


def test_backward_twice_needs_retain_graph():
    x = fastdl.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * (np.exp([1.0, 2.0]) * (1 + np.array([1.0, 2.0]))), rtol=1e-6)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_no_grad_enable_grad_and_detach():
    x = fastdl.ones(2, requires_grad=True)
    with fastdl.no_grad():
        y = x * 2
        with fastdl.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad
    d = (x * 2).detach()
    assert not d.requires_grad
    with pytest.raises(RuntimeError, match="does not require grad"):
        d.sum().backward()

    @fastdl.no_grad()
    def f(t):
        return t * 3
    assert not f(x).requires_grad
    with fastdl.set_grad_enabled(False):
        assert not fastdl.is_grad_enabled()
    assert fastdl.is_grad_enabled()


def test_custom_function_with_save_for_backward():
    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 3 * x * x * g

    x = fastdl.tensor([1.0, -2.0], dtype=fastdl.float64, requires_grad=True)
    y = Cube.apply(x)
    assert y.grad_fn.name() == "CubeBackward"
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 12.0]
    assert gradcheck(Cube.apply, [fastdl.randn(5, dtype=fastdl.float64, requires_grad=True)])


def test_autograd_grad_does_not_touch_dot_grad():
    x = fastdl.tensor([3.0], requires_grad=True)
    g, = fastdl.autograd.grad((x * x).sum(), [x])
    assert g.tolist() == [6.0] and x.grad is None


def test_hooks_on_leaves():
    x = fastdl.ones(2, requires_grad=True)
    x.register_hook(lambda g: g * 10)
    (x * 2).sum().backward()
    assert x.grad.tolist() == [20, 20]


def test_requires_grad_rules():
    with pytest.raises(RuntimeError, match="floating point"):
        fastdl.ones(2, dtype=fastdl.int64, requires_grad=True)
    y = fastdl.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad = False
    assert not (fastdl.ones(2, requires_grad=True) > 0).requires_grad


def test_max_dim_gradient_and_indices():
    x = fastdl.tensor([[1.0, 5.0, 3.0], [7.0, 2.0, 7.0]], requires_grad=True)
    v, i = x.max(dim=1)
    assert v.tolist() == [5, 7] and i.tolist() == [1, 0]
    v.sum().backward()
    assert x.grad.tolist() == [[0, 1, 0], [1, 0, 0]]
    x.grad = None
    x.max().backward()  # ties share the gradient, as torch.max() does
    assert x.grad.tolist() == [[0, 0, 0], [0.5, 0, 0.5]]


def test_no_memory_growth_across_training_steps():
    """A small MLP trained for 1,000 steps: the number of live buffers stays flat."""
    fastdl.manual_seed(0)
    w1 = (fastdl.randn(8, 16) * 0.3).requires_grad_()
    w2 = (fastdl.randn(16, 3) * 0.3).requires_grad_()
    x = fastdl.randn(32, 8)
    y = fastdl.randint(0, 3, (32,))

    def step():
        loss = fastdl.cross_entropy((x @ w1).relu() @ w2, y)
        loss.backward()
        with fastdl.no_grad():
            for p in (w1, w2):
                p.sub_(p.grad * 0.1)
                p.grad = None
        return loss.item()

    for _ in range(20):
        step()
    gc.collect()
    before = _C.live_buffers()
    first = step()
    for _ in range(1000):
        last = step()
    gc.collect()
    assert _C.live_buffers() <= before
    assert last < first


def test_grad_mode_is_per_thread():
    import threading

    seen = {}

    def worker():
        seen["default"] = fastdl.is_grad_enabled()  # a thread that never set the mode
        x = fastdl.randn(3, requires_grad=True)
        seen["records"] = (x * 2).requires_grad
        with fastdl.no_grad():
            seen["inside"] = fastdl.is_grad_enabled()

    with fastdl.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert not fastdl.is_grad_enabled()  # the worker's no_grad did not leak here either
    assert seen == {"default": True, "records": True, "inside": False}
    assert fastdl.is_grad_enabled()


def test_grad_mode_state_object():
    """autograd._state is _C.grad_mode: `enabled` takes any truth value, cannot be deleted,
    and is what the C++ paths (Function.apply, the matmul front) read."""
    from fastdl.autograd import _state
    assert _state is _C.grad_mode and _state.enabled is True
    a = fastdl.randn(2, 2, requires_grad=True)
    try:
        _state.enabled = 0
        assert _state.enabled is False and not fastdl.is_grad_enabled()
        assert not (a * a).requires_grad and not (a @ a).requires_grad and not a.relu().requires_grad
        _state.enabled = [1]
        assert _state.enabled is True
        assert (a * a).requires_grad and (a @ a).requires_grad
        with pytest.raises(TypeError, match="cannot be deleted"):
            del _state.enabled
        with pytest.raises(AttributeError):
            _state.other = 1
    finally:
        _state.enabled = True
