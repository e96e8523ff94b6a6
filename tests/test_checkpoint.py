"""fastdl.utils.checkpoint: gradients equal to the un-checkpointed run (exactly), both
variants' semantics as torch's, RNG replay, memory (no activations kept), errors."""
import gc
import warnings

import numpy as np
import pytest

import fastdl
import fastdl.nn as nn
from fastdl.utils.checkpoint import CheckpointError, checkpoint, checkpoint_sequential


def _model():
    fastdl.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Dropout(0.3), nn.Linear(8, 8), nn.GELU(), nn.Linear(8, 3))


def _grads(m):
    return [p.grad.numpy().copy() for p in m.parameters()]


@pytest.mark.parametrize("reentrant", [False, True])
def test_grads_equal_exactly_with_dropout(reentrant):
    m = _model()
    x0 = fastdl.randn(5, 6)
    x = x0.clone().requires_grad_(True)
    fastdl.manual_seed(7)
    y = m(x)
    (y * y).sum().backward()
    ref, ref_x = _grads(m), x.grad.numpy().copy()
    m.zero_grad()
    x = x0.clone().requires_grad_(True)
    fastdl.manual_seed(7)
    yc = checkpoint(m, x, use_reentrant=reentrant)
    assert np.array_equal(yc.detach().numpy(), y.detach().numpy())
    (yc * yc).sum().backward()
    for a, b in zip(ref, _grads(m)):
        assert np.array_equal(a, b)
    assert np.array_equal(ref_x, x.grad.numpy())


def test_preserve_rng_state_false_changes_masks():
    m = _model()
    x = fastdl.randn(64, 6, requires_grad=True)
    fastdl.manual_seed(3)
    m(x).sum().backward()
    ref = _grads(m)
    m.zero_grad()
    fastdl.manual_seed(3)
    checkpoint(m, x, use_reentrant=False, preserve_rng_state=False).sum().backward()
    assert not all(np.array_equal(a, b) for a, b in zip(ref, _grads(m)))


def test_rng_state_after_backward_is_untouched():
    m = _model()
    x = fastdl.randn(4, 6, requires_grad=True)
    y = checkpoint(m, x, use_reentrant=False)
    state = fastdl.get_rng_state()
    y.sum().backward()
    assert fastdl.get_rng_state() == state


def test_parameters_only_non_reentrant():
    m = _model().eval()
    x = fastdl.randn(4, 6)  # does not require grad
    m(x).sum().backward()
    ref = _grads(m)
    m.zero_grad()
    y = checkpoint(m, x, use_reentrant=False)
    assert y.requires_grad
    y.sum().backward()
    for a, b in zip(ref, _grads(m)):
        assert np.array_equal(a, b)


def test_parameters_only_reentrant_warns_and_gives_no_grad():
    m = _model().eval()
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        y = checkpoint(m, fastdl.randn(4, 6), use_reentrant=True)
    assert not y.requires_grad
    assert all(p.grad is None for p in m.parameters())


def test_default_is_reentrant_with_warning():
    m = _model().eval()
    x = fastdl.randn(2, 6, requires_grad=True)
    with pytest.warns(UserWarning, match="use_reentrant"):
        y = checkpoint(m, x)
    y.sum().backward()
    assert x.grad is not None
    with pytest.raises(ValueError, match="Unexpected keyword arguments: scale"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            checkpoint(lambda a, scale: a * scale, x, scale=2.0)


def test_nothing_requires_grad_returns_plain_outputs():
    y = checkpoint(lambda a: a.exp(), fastdl.ones(3), use_reentrant=False)
    assert not y.requires_grad and y.grad_fn is None
    with fastdl.no_grad():
        y = checkpoint(lambda a: a.exp(), fastdl.ones(3, requires_grad=True), use_reentrant=False)
    assert not y.requires_grad


def test_autograd_grad_and_closure_tensors():
    x = fastdl.randn(5, requires_grad=True, dtype=fastdl.float64)
    w = fastdl.randn(5, requires_grad=True, dtype=fastdl.float64)
    v = w * 3  # a non-leaf captured by the closure

    def f(a):
        return (a.sin() * v + w).sum()
    # retain_graph: the checkpointed graph runs through v's node, which the second grad
    # below crosses again (torch lets that pass because its mul-by-scalar saves nothing)
    gx, gw = fastdl.autograd.grad(checkpoint(f, x, use_reentrant=False), [x, w], retain_graph=True)
    rx, rw = fastdl.autograd.grad(f(x), [x, w])
    assert np.allclose(gx.numpy(), rx.numpy(), rtol=0, atol=1e-15)
    assert np.allclose(gw.numpy(), rw.numpy(), rtol=0, atol=1e-15)
    assert np.allclose(gx.numpy(), (x.detach().cos() * v.detach()).numpy(), rtol=1e-14)


def test_second_order_non_reentrant():
    x = fastdl.randn(4, requires_grad=True, dtype=fastdl.float64)
    w = fastdl.randn(4, requires_grad=True, dtype=fastdl.float64)

    def f(a):
        return (a * a * w).sin()
    g, = fastdl.autograd.grad(checkpoint(f, x, use_reentrant=False).sum(), x, create_graph=True)
    r, = fastdl.autograd.grad(f(x).sum(), x, create_graph=True)
    assert np.allclose(g.detach().numpy(), r.detach().numpy(), rtol=1e-14)
    hx, hw = fastdl.autograd.grad(g.sum(), [x, w])
    rx, rw = fastdl.autograd.grad(r.sum(), [x, w])
    assert np.allclose(hx.numpy(), rx.numpy(), rtol=1e-13) and np.allclose(hw.numpy(), rw.numpy(), rtol=1e-13)


def test_gradcheck_through_checkpoint():
    w = fastdl.randn(3, 3, dtype=fastdl.float64, requires_grad=True)
    fn = lambda a: checkpoint(lambda b: (b @ w).tanh(), a, use_reentrant=False)  # noqa: E731
    x = fastdl.randn(2, 3, dtype=fastdl.float64, requires_grad=True)
    assert fastdl.autograd.gradcheck(fn, (x,))
    assert fastdl.autograd.gradgradcheck(fn, (x,))


def test_nested_tuple_and_non_tensor_outputs_and_kwargs():
    def inner(a):
        return a.exp(), a * 2

    def outer(a, *, k):
        u, v = checkpoint(inner, a, use_reentrant=False)
        return {"out": [u * v * k], "n": 3}
    x = fastdl.randn(4, dtype=fastdl.float64, requires_grad=True)
    k = fastdl.full((4,), 1.5, dtype=fastdl.float64, requires_grad=True)
    res = checkpoint(outer, x, use_reentrant=False, k=k)
    assert res["n"] == 3 and isinstance(res["out"], list)
    res["out"][0].sum().backward()
    xe = x.detach().numpy()
    assert np.allclose(x.grad.numpy(), 1.5 * (np.exp(xe) * 2 * xe + np.exp(xe) * 2), rtol=1e-14)
    assert np.allclose(k.grad.numpy(), np.exp(xe) * 2 * xe, rtol=1e-14)


def test_reentrant_tuple_outputs():
    x = fastdl.randn(3, requires_grad=True, dtype=fastdl.float64)
    a, b = checkpoint(lambda t: (t * 2, t.exp()), x, use_reentrant=True)
    (a + b).sum().backward()
    assert np.allclose(x.grad.numpy(), 2 + np.exp(x.detach().numpy()), rtol=1e-14)


def test_leaf_hooks_run_once():
    m = nn.Linear(3, 2)
    calls = []
    m.weight.register_hook(lambda g: calls.append(1))
    checkpoint(m, fastdl.randn(2, 3), use_reentrant=False).sum().backward()
    assert len(calls) == 1


def _live():
    gc.collect()
    return fastdl._C.live_buffers()


@pytest.mark.parametrize("reentrant", [False, True])
def test_activations_not_kept(reentrant):
    fastdl.manual_seed(0)
    m = nn.Sequential(*[nn.Sequential(nn.Linear(16, 16), nn.Tanh()) for _ in range(8)])
    x = fastdl.randn(4, 16, requires_grad=True)
    base = _live()
    y = m(x)
    plain = _live() - base
    del y
    base = _live()
    y = checkpoint(m, x, use_reentrant=reentrant)
    kept = _live() - base
    assert plain >= 8 and kept == 1  # only the output itself
    y.sum().backward()


def test_checkpoint_sequential_grads_equal():
    fastdl.manual_seed(1)
    seq = nn.Sequential(*[nn.Linear(6, 6) for _ in range(6)], nn.Tanh())
    x = fastdl.randn(2, 6, requires_grad=True)
    seq(x).sum().backward()
    ref = _grads(seq) + [x.grad.numpy().copy()]
    seq.zero_grad()
    x.grad = None
    for reentrant in (False, True):
        checkpoint_sequential(seq, 3, x, use_reentrant=reentrant).sum().backward()
        for a, b in zip(ref, _grads(seq) + [x.grad.numpy()]):
            assert np.array_equal(a, b)
        seq.zero_grad()
        x.grad = None
    out = checkpoint_sequential(list(seq.children()), 2, x, use_reentrant=False)
    assert np.array_equal(out.detach().numpy(), seq(x).detach().numpy())


def test_errors():
    x = fastdl.randn(3, requires_grad=True)
    with pytest.raises(ValueError, match="determinism_check"):
        checkpoint(lambda a: a, x, use_reentrant=False, determinism_check="strict")
    with pytest.raises(ValueError, match="context_fn"):
        checkpoint(lambda a: a, x, use_reentrant=True, debug=True)
    with pytest.raises(TypeError, match="callable"):
        checkpoint(3, x, use_reentrant=False)
    with pytest.raises(ValueError, match="segments"):
        checkpoint_sequential([nn.Tanh()], 2, x, use_reentrant=False)
    with pytest.raises(ValueError, match="Unexpected keyword"):
        checkpoint_sequential([nn.Tanh()], 1, x, use_reentrant=False, foo=1)
    calls = [0]

    def changing(a):  # the recomputation saves tensors of another shape (torch's check: saved tensors)
        calls[0] += 1
        return a * a if calls[0] == 1 else a[:2] * a[:2]
    y = checkpoint(changing, x, use_reentrant=False)
    with pytest.raises(CheckpointError, match="recomputed"):
        y.sum().backward()
    calls[0] = 0

    def changing_unsaved(a):  # mul by a number saves nothing: nothing to compare, nothing recomputed
        calls[0] += 1
        return a * 2 if calls[0] == 1 else a[:2] * 2
    y = checkpoint(lambda a: changing_unsaved(a)[:2], x, use_reentrant=False, determinism_check="none")
    y.sum().backward()
    with pytest.raises(TypeError, match="context_fn must return a tuple of two"):
        checkpoint(lambda a: a, x, use_reentrant=False, context_fn=lambda: (None, None, None))


def test_context_fn_used():
    seen = []

    class Ctx:
        def __init__(self, tag):
            self.tag = tag

        def __enter__(self):
            seen.append(self.tag)

        def __exit__(self, *e):
            return False
    x = fastdl.randn(3, requires_grad=True)
    checkpoint(lambda a: a.exp(), x, use_reentrant=False,
               context_fn=lambda: (Ctx("fwd"), Ctx("recompute"))).sum().backward()
    assert seen == ["fwd", "recompute"]


def test_torch_parity():
    torch = pytest.importorskip("torch")
    from torch.utils.checkpoint import checkpoint as tcheckpoint
    rs = np.random.RandomState(0)
    w1, w2, b1, b2, xv = rs.randn(5, 4), rs.randn(3, 5), rs.randn(5), rs.randn(3), rs.randn(6, 4)
    res = []
    for lib, ck in ((fastdl, checkpoint), (torch, tcheckpoint)):
        l1, l2 = lib.nn.Linear(4, 5).double(), lib.nn.Linear(5, 3).double()
        with lib.no_grad():
            l1.weight.copy_(lib.tensor(w1))
            l2.weight.copy_(lib.tensor(w2))
            l1.bias.copy_(lib.tensor(b1))
            l2.bias.copy_(lib.tensor(b2))
        x = lib.tensor(xv)  # no grad on the input: parameters still get theirs (non-reentrant)
        y = ck(lambda a: l2(l1(a).tanh()), x, use_reentrant=False)
        (y ** 2).sum().backward()
        res.append([t.grad.detach().numpy() for t in (l1.weight, l1.bias, l2.weight, l2.bias)] + [y.detach().numpy()])
    for a, b in zip(*res):
        assert np.allclose(a, b, rtol=1e-12, atol=1e-12)
