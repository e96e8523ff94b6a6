"""Grad-mode decorators (no_grad / enable_grad / set_grad_enabled), inference_mode,
Tensor.new_zeros / new_ones / new_full / new_empty / new_tensor, and retain_grad on
non-leaf tensors (gradients of intermediates against torch's)."""
import threading

import numpy as np
import pytest

import fastdl

try:
    import torch
except ImportError:  # parity tests skip cleanly without torch
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


# ---- grad-mode decorators ----------------------------------------------------------------

def test_no_grad_decorator_keeps_name_and_docstring():
    @fastdl.no_grad()
    def f(x):
        """doc of f"""
        return x * 2, fastdl.is_grad_enabled()

    assert f.__name__ == "f" and f.__doc__ == "doc of f"
    x = fastdl.ones(2, requires_grad=True)
    y, enabled = f(x)
    assert not enabled and not y.requires_grad and y.grad_fn is None
    assert fastdl.is_grad_enabled()


def test_bare_no_grad_decorator():
    @fastdl.no_grad
    def f():
        """bare"""
        return fastdl.is_grad_enabled()

    assert f() is False and f.__doc__ == "bare" and fastdl.is_grad_enabled()


def test_enable_grad_decorator_inside_no_grad():
    @fastdl.enable_grad()
    def g(x):
        return x * 2

    x = fastdl.ones(2, requires_grad=True)
    with fastdl.no_grad():
        y = g(x)
        assert not fastdl.is_grad_enabled()
    assert y.requires_grad and y.grad_fn is not None


def test_set_grad_enabled_decorator_leaves_the_mode_alone():
    @fastdl.set_grad_enabled(False)
    def f():
        """sge"""
        return fastdl.is_grad_enabled()

    assert fastdl.is_grad_enabled()  # decorating does not switch grad off
    assert f() is False and fastdl.is_grad_enabled()
    assert f.__name__ == "f" and f.__doc__ == "sge"


def test_set_grad_enabled_still_acts_at_once():
    prev = fastdl.set_grad_enabled(False)
    try:
        assert not fastdl.is_grad_enabled()
    finally:
        fastdl.set_grad_enabled(True)
    with fastdl.set_grad_enabled(False):
        assert not fastdl.is_grad_enabled()
    assert fastdl.is_grad_enabled()
    assert prev.mode is False


def test_decorator_restores_mode_on_exception():
    @fastdl.no_grad()
    def boom():
        raise ValueError("x")

    with pytest.raises(ValueError):
        boom()
    assert fastdl.is_grad_enabled()


def test_decorated_generator_runs_under_the_mode():
    @fastdl.no_grad()
    def gen():
        yield fastdl.is_grad_enabled()
        yield fastdl.is_grad_enabled()

    out = []
    for v in gen():
        out.append(v)
        out.append(fastdl.is_grad_enabled())
    assert out == [False, True, False, True]


# ---- inference_mode ------------------------------------------------------------------------

def test_inference_mode_context():
    x = fastdl.ones(2, requires_grad=True)
    assert not fastdl.is_inference_mode_enabled()
    with fastdl.inference_mode():
        assert fastdl.is_inference_mode_enabled() and not fastdl.is_grad_enabled()
        y = x * 2
        with fastdl.inference_mode(False):
            assert not fastdl.is_inference_mode_enabled() and fastdl.is_grad_enabled()
        assert fastdl.is_inference_mode_enabled()
    assert not fastdl.is_inference_mode_enabled() and fastdl.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert fastdl.autograd.is_inference_mode_enabled is fastdl.is_inference_mode_enabled


def test_inference_mode_decorators():
    @fastdl.inference_mode()
    def a():
        """a doc"""
        return fastdl.is_inference_mode_enabled(), fastdl.is_grad_enabled()

    @fastdl.inference_mode
    def b():
        return fastdl.is_inference_mode_enabled(), fastdl.is_grad_enabled()

    @fastdl.inference_mode(mode=False)
    def c():
        return fastdl.is_inference_mode_enabled(), fastdl.is_grad_enabled()

    assert a() == (True, False) and b() == (True, False) and a.__doc__ == "a doc" and b.__name__ == "b"
    with fastdl.inference_mode():
        assert c() == (False, True)
    assert not fastdl.is_inference_mode_enabled() and fastdl.is_grad_enabled()


def test_inference_mode_is_per_thread():
    seen = []
    with fastdl.inference_mode():
        t = threading.Thread(target=lambda: seen.append(fastdl.is_inference_mode_enabled()))
        t.start()
        t.join()
    assert seen == [False]


@needs_torch
def test_inference_mode_nesting_matches_torch():
    def run(lib):
        out = []
        for outer in (lib.no_grad, lib.enable_grad, lambda: lib.inference_mode()):
            with outer():
                with lib.inference_mode(False):
                    out.append((lib.is_grad_enabled(), lib.is_inference_mode_enabled()))
                with lib.inference_mode():
                    out.append((lib.is_grad_enabled(), lib.is_inference_mode_enabled()))
                out.append((lib.is_grad_enabled(), lib.is_inference_mode_enabled()))
        return out

    assert run(fastdl) == run(torch)


# ---- new_* ------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_new_factories_shapes_dtypes_values(dtype):
    base = fastdl.zeros(3, dtype=getattr(fastdl, dtype))
    for t, shape, val in [(base.new_zeros(2, 3), (2, 3), 0), (base.new_zeros((2, 3)), (2, 3), 0),
                          (base.new_ones([4]), (4,), 1), (base.new_ones(fastdl.Size([1, 2])), (1, 2), 1),
                          (base.new_full((2, 2), 7), (2, 2), 7), (base.new_empty(2, 5), (2, 5), None),
                          (base.new_zeros(()), (), 0), (base.new_empty(0), (0,), None)]:
        assert tuple(t.shape) == shape and t.dtype is base.dtype and t.device == base.device
        assert not t.requires_grad and t.is_leaf
        if val is not None:
            np.testing.assert_array_equal(t.numpy(), np.full(shape, val))


def test_new_factories_overrides_and_requires_grad():
    base = fastdl.zeros(3)
    t = base.new_zeros(2, dtype=fastdl.float64, requires_grad=True)
    assert t.dtype is fastdl.float64 and t.requires_grad and t.is_leaf
    t = base.new_ones(2, device="cpu")
    assert t.device == fastdl.device("cpu")
    assert base.new_full([2], 1.5, requires_grad=True).requires_grad
    assert base.new_empty(3, requires_grad=True).requires_grad
    assert base.new_tensor([1.0], requires_grad=True).requires_grad
    with pytest.raises(RuntimeError):
        base.new_zeros(2, dtype=fastdl.int64, requires_grad=True)


def test_new_tensor_copies_with_self_dtype():
    base = fastdl.zeros(2, dtype=fastdl.float64)
    t = base.new_tensor([1, 2])
    assert t.dtype is fastdl.float64
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])
    src = fastdl.ones(2, requires_grad=True)
    c = base.new_tensor(src)
    assert c.dtype is fastdl.float64 and not c.requires_grad and c.grad_fn is None
    c += 1
    np.testing.assert_array_equal(src.detach().numpy(), [1.0, 1.0])  # a copy
    assert base.new_tensor(np.arange(3), dtype=fastdl.int64).dtype is fastdl.int64


@needs_torch
def test_new_factories_match_torch_dtypes():
    for dt in ("float32", "float64", "int64"):
        ours, theirs = fastdl.zeros(2, dtype=getattr(fastdl, dt)), torch.zeros(2, dtype=getattr(torch, dt))
        for name, args in [("new_zeros", (2,)), ("new_ones", ((1, 2),)), ("new_full", ((2,), 3.0)),
                           ("new_empty", (3,)), ("new_tensor", ([1, 2],))]:
            a, b = getattr(ours, name)(*args), getattr(theirs, name)(*args)
            assert a.dtype.name == str(b.dtype).replace("torch.", "") and tuple(a.shape) == tuple(b.shape)
            if name != "new_empty":
                np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.cuda
def test_new_factories_keep_the_device():
    base = fastdl.zeros(2, device="cuda")
    for t in (base.new_zeros(3), base.new_ones(3), base.new_full((3,), 2.0), base.new_empty(3),
              base.new_tensor([1.0, 2.0, 3.0])):
        assert t.device == base.device
    np.testing.assert_array_equal(base.new_full((3,), 2.0).cpu().numpy(), [2.0, 2.0, 2.0])
    assert base.new_zeros(3, device="cpu").device == fastdl.device("cpu")


# ---- retain_grad ------------------------------------------------------------------------------

def _chain(lib, x, w, retain):
    h = x @ w
    r = h.relu()
    s = r * r + h.tanh()
    if retain:
        for t in (h, r, s):
            t.retain_grad()
    loss = s.sum() * 2
    return h, r, s, loss


@needs_torch
def test_retain_grad_matches_torch():
    rs = np.random.RandomState(0)
    xn, wn = rs.randn(4, 3), rs.randn(3, 5)
    xo = fastdl.tensor(xn, dtype=fastdl.float64, requires_grad=True)
    wo = fastdl.tensor(wn, dtype=fastdl.float64, requires_grad=True)
    xt = torch.tensor(xn, requires_grad=True)
    wt = torch.tensor(wn, requires_grad=True)
    ours, theirs = _chain(fastdl, xo, wo, True), _chain(torch, xt, wt, True)
    ours[-1].backward()
    theirs[-1].backward()
    for a, b in zip(ours[:3], theirs[:3]):
        assert a.retains_grad and not a.is_leaf and a.grad_fn is not None
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(wo.grad.numpy(), wt.grad.numpy(), rtol=1e-12)


def test_retain_grad_accumulates_and_leaf_is_noop():
    x = fastdl.tensor([1.0, 2.0], requires_grad=True)
    x.retain_grad()  # a leaf: nothing changes
    assert x.is_leaf and x.grad_fn is None and not x.retains_grad
    y = x * 3
    y.retain_grad()
    assert y.retains_grad and y.grad is None
    z = (y * y).sum()
    z.backward(retain_graph=True)
    np.testing.assert_allclose(y.grad.numpy(), [6.0, 12.0])
    z.backward()
    np.testing.assert_allclose(y.grad.numpy(), [12.0, 24.0])
    np.testing.assert_allclose(x.grad.numpy(), [36.0, 72.0])
    assert y.retains_grad  # still after the graph is freed


def test_without_retain_grad_non_leaf_grad_stays_none():
    x = fastdl.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    (y * y).sum().backward()
    assert y.grad is None and not y.retains_grad


def test_retain_grad_on_a_multi_output_node_and_errors():
    x = fastdl.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    a, b = fastdl.split(x * 1, 1, dim=0)
    b.retain_grad()
    (b * 5).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), [[5.0, 5.0]])
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        fastdl.ones(2).retain_grad()


def test_retain_grad_through_autograd_grad_leaves_no_trace():
    x = fastdl.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    (g,) = fastdl.autograd.grad((y * y).sum(), x)
    np.testing.assert_allclose(g.numpy(), [8.0, 16.0])


@pytest.mark.parametrize("materialize", [True, False])
def test_set_materialize_grads(materialize):
    # An output that got no gradient reaches backward as zeros by default, as None after
    # ctx.set_materialize_grads(False) (torch's semantics); the other output's is intact.
    seen = []

    class Two(fastdl.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(materialize)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, ga, gb):
            seen.append(None if gb is None else gb.numpy().tolist())
            return ga * 2 + (0 if gb is None else gb * 3)

    x = fastdl.tensor([1.0, 2.0], requires_grad=True)
    a, _ = Two.apply(x)
    a.sum().backward()
    assert seen == [[0.0, 0.0] if materialize else None]
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
