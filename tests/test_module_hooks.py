"""nn.Module hooks (forward pre-hooks, forward hooks, full backward hooks and pre-hooks):
the order of the calls, prepend, with_kwargs, always_call, returned replacements, handle
removal, and the backward hooks' grad_input / grad_output against torch's."""
import warnings

import numpy as np
import pytest

import fastdl
import fastdl.nn as nn

try:
    import torch
except ImportError:  # parity tests skip cleanly without torch
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


def arr(t):
    return None if t is None else np.array(t.detach().numpy())


class Net:
    """fc1 -> act -> fc2, each called through Module.__call__ (Sequential fuses a
    Linear with a following activation, which bypasses the pair's own calls)."""

    @staticmethod
    def make(lib, act="ReLU"):
        class _Net(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = lib.nn.Linear(3, 4)
                self.act = getattr(lib.nn, act)()
                self.fc2 = lib.nn.Linear(4, 2)

            def forward(self, x):
                return self.fc2(self.act(self.fc1(x)))

        return _Net()


def pair(act="ReLU"):
    ours = Net.make(fastdl, act).double()
    theirs = Net.make(torch, act).double()
    with torch.no_grad():
        for (k, p), (k2, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            assert k == k2
            q.copy_(torch.from_numpy(arr(p)))
    return ours, theirs


def inputs(requires_grad=True):
    x = np.random.RandomState(1).randn(5, 3)
    # inputs with both signs so ReLU's gradient has zeros
    return (fastdl.tensor(x, dtype=fastdl.float64, requires_grad=requires_grad),
            torch.tensor(x, dtype=torch.float64, requires_grad=requires_grad))


# ---- forward hooks ---------------------------------------------------------------------

def test_no_hooks_call_is_forward():
    m = nn.Linear(3, 2)
    assert m._call_hooks is None
    x = fastdl.randn(4, 3)
    np.testing.assert_array_equal(m(x).detach().numpy(), m.forward(x).detach().numpy())


def _order_log(lib):
    m = lib.nn.Linear(3, 2)
    log = []
    handles = [
        m.register_forward_pre_hook(lambda mod, a: log.append("pre1")),
        m.register_forward_pre_hook(lambda mod, a: log.append("pre0"), prepend=True),
        m.register_forward_pre_hook(lambda mod, a, k: log.append(("prekw", sorted(k))), with_kwargs=True),
        m.register_forward_hook(lambda mod, a, o: log.append("fwd1")),
        m.register_forward_hook(lambda mod, a, o: log.append("fwd0"), prepend=True),
        m.register_forward_hook(lambda mod, a, k, o: log.append(("fwdkw", tuple(o.shape))), with_kwargs=True),
    ]
    m(lib.zeros(4, 3))
    first = list(log)
    log.clear()
    handles[0].remove()
    handles[4].remove()
    m(lib.zeros(4, 3))
    return first, list(log)


@needs_torch
def test_forward_hook_order_prepend_and_removal_match_torch():
    ours, theirs = _order_log(fastdl), _order_log(torch)
    assert ours == theirs
    assert ours[0] == ["pre0", "pre1", ("prekw", []), "fwd0", "fwd1", ("fwdkw", (4, 2))]


def test_pre_hook_replaces_args():
    m = nn.Linear(3, 2)
    x = fastdl.randn(4, 3)
    h = m.register_forward_pre_hook(lambda mod, a: a[0] * 0)  # a non-tuple is wrapped
    np.testing.assert_allclose(m(x).detach().numpy(), np.broadcast_to(m.bias.detach().numpy(), (4, 2)))
    h.remove()
    h = m.register_forward_pre_hook(lambda mod, a: (a[0] * 0,))
    np.testing.assert_allclose(m(x).detach().numpy(), np.broadcast_to(m.bias.detach().numpy(), (4, 2)))
    h.remove()
    np.testing.assert_allclose(m(x).detach().numpy(), m.forward(x).detach().numpy())


def test_pre_hook_with_kwargs_replaces_args_and_kwargs():
    class Scale(nn.Module):
        def forward(self, x, scale=1.0):
            return x * scale

    m = Scale()
    seen = []
    m.register_forward_pre_hook(lambda mod, a, k: (a, {"scale": 3.0}), with_kwargs=True)
    m.register_forward_hook(lambda mod, a, k, o: seen.append(dict(k)), with_kwargs=True)
    np.testing.assert_allclose(m(fastdl.ones(2), scale=2.0).numpy(), [3.0, 3.0])
    assert seen == [{"scale": 3.0}]
    m2 = Scale()
    m2.register_forward_pre_hook(lambda mod, a, k: "bad", with_kwargs=True)
    with pytest.raises(RuntimeError, match="new_args, new_kwargs"):
        m2(fastdl.ones(2))


def test_forward_hook_replaces_output_and_sees_modified_args():
    m = nn.Linear(3, 2)
    got = []
    m.register_forward_pre_hook(lambda mod, a: (a[0] + 1,))
    m.register_forward_hook(lambda mod, a, o: got.append(a[0]))
    m.register_forward_hook(lambda mod, a, o: o * 2)
    m.register_forward_hook(lambda mod, a, o: o + 1)
    x = fastdl.zeros(1, 3)
    out = m(x)
    np.testing.assert_allclose(got[0].numpy(), np.ones((1, 3)))
    np.testing.assert_allclose(out.detach().numpy(), m.forward(x + 1).detach().numpy() * 2 + 1, rtol=1e-6)


def test_handle_context_manager_and_flag_reset():
    m = nn.Linear(3, 2)
    calls = []
    with m.register_forward_hook(lambda mod, a, o: calls.append(1)) as h:
        assert m._call_hooks is True
        m(fastdl.zeros(1, 3))
    assert m._call_hooks is None and calls == [1]
    m(fastdl.zeros(1, 3))
    assert calls == [1]
    h.remove()  # twice is harmless
    assert isinstance(h.id, int)
    assert not m._forward_hooks


def test_always_call_runs_when_forward_raises():
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    m = Boom()
    log = []
    m.register_forward_hook(lambda mod, a, o: log.append(("always", o)), always_call=True)
    m.register_forward_hook(lambda mod, a, o: log.append("normal"))
    with pytest.raises(ValueError, match="boom"):
        m(fastdl.zeros(1))
    assert log == [("always", None)]


@needs_torch
def test_always_call_matches_torch():
    def run(lib):
        class Boom(lib.nn.Module):
            def forward(self, x):
                raise ValueError("boom")

        log = []
        m = Boom()
        m.register_forward_hook(lambda mod, a, o: log.append("n"))
        m.register_forward_hook(lambda mod, a, o: log.append("a"), always_call=True)
        m.register_forward_hook(lambda mod, a, k, o: log.append(("akw", o)), always_call=True, with_kwargs=True)
        with pytest.raises(ValueError):
            m(lib.zeros(1))
        return log

    assert run(fastdl) == run(torch)


def test_hooks_on_a_nested_module():
    net = Net.make(fastdl)
    log = []
    net.fc2.register_forward_hook(lambda mod, a, o: log.append("fc2"))
    net.register_forward_hook(lambda mod, a, o: log.append("net"))
    net(fastdl.zeros(2, 3))
    assert log == ["fc2", "net"]


def test_non_callable_hook_is_rejected():
    with pytest.raises(TypeError):
        nn.Linear(2, 2).register_forward_hook(3)


# ---- backward hooks --------------------------------------------------------------------

def _backward_log(lib, m, x, pre=False):
    log = []

    def bhook(name):
        def hook(mod, gi, go):
            log.append((name, "b", [arr(g) for g in gi], [arr(g) for g in go]))
        return hook

    def phook(name):
        def hook(mod, go):
            log.append((name, "p", [arr(g) for g in go]))
        return hook

    for name in ("fc1", "act", "fc2"):
        getattr(m, name).register_full_backward_hook(bhook(name))
        if pre:
            getattr(m, name).register_full_backward_pre_hook(phook(name))
    m.register_full_backward_hook(bhook("net"))
    out = m(x)
    (out * out).sum().backward()
    return log, [arr(p.grad) for p in m.parameters()], arr(x.grad) if x.requires_grad else None


def _compare_logs(a, b):
    assert [e[:2] for e in a] == [e[:2] for e in b]
    for ea, eb in zip(a, b):
        for ga, gb in zip(ea[2:], eb[2:]):
            assert len(ga) == len(gb)
            for u, v in zip(ga, gb):
                assert (u is None) == (v is None)
                if u is not None:
                    np.testing.assert_allclose(u, v, rtol=1e-10, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("act", ["ReLU", "Tanh"])
@pytest.mark.parametrize("x_requires_grad", [True, False])
def test_full_backward_hooks_match_torch(act, x_requires_grad):
    ours, theirs = pair(act)
    xo, xt = inputs(x_requires_grad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Full backward hook is firing ... no inputs require gradients"
        lo, go, xgo = _backward_log(fastdl, ours, xo, pre=True)
        lt, gt, xgt = _backward_log(torch, theirs, xt, pre=True)
    _compare_logs(lo, lt)
    for a, b in zip(go, gt):
        np.testing.assert_allclose(a, b, rtol=1e-10)
    if x_requires_grad:
        np.testing.assert_allclose(xgo, xgt, rtol=1e-10)


@needs_torch
def test_backward_hook_replaces_grad_input_and_pre_hook_grad_output():
    def run(lib):
        m = Net.make(lib).double()
        with (torch.no_grad() if lib is torch else fastdl.no_grad()):
            for i, p in enumerate(m.parameters()):
                p.copy_(lib.tensor(np.linspace(-1, 1, p.numel()).reshape(tuple(p.shape)) * (i + 1),
                                   dtype=p.dtype))
        m.fc2.register_full_backward_pre_hook(lambda mod, go: (go[0] * 3,))
        m.act.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 0.5,))
        x = lib.tensor(np.random.RandomState(2).randn(4, 3), dtype=lib.float64, requires_grad=True)
        m(x).sum().backward()
        return [arr(p.grad) for p in m.parameters()] + [arr(x.grad)]

    for a, b in zip(run(fastdl), run(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-10)


@needs_torch
def test_backward_hooks_multiple_inputs_and_outputs():
    def run(lib):
        class Two(lib.nn.Module):
            def forward(self, a, k, b):
                return a * b * k, a - b, 7

        m = Two()
        log = []
        m.register_full_backward_hook(lambda mod, gi, go: log.append(([arr(g) for g in gi], [arr(g) for g in go])))
        a = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        b = lib.tensor([3.0, -1.0], dtype=lib.float64)  # no grad: zeros in grad_input
        p, q, _ = m(a, 2.0, b)
        (p.sum() * 2 + (q * q).sum()).backward()
        return log, arr(a.grad)

    (lo, ao), (lt, at) = run(fastdl), run(torch)
    assert len(lo) == len(lt) == 1
    for (gi_o, go_o), (gi_t, go_t) in zip(lo, lt):
        assert [g is None for g in gi_o] == [g is None for g in gi_t] == [False, True, False]
        np.testing.assert_array_equal(gi_o[2], np.zeros(2))
        assert [g is None for g in go_o] == [g is None for g in go_t] == [False, False, True]
        for u, v in zip(gi_o + go_o, gi_t + go_t):
            if u is not None:
                np.testing.assert_allclose(u, v)
    np.testing.assert_allclose(ao, at)


def test_backward_hook_wrong_count_raises_and_removal():
    m = nn.Linear(3, 2)
    h = m.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
    x = fastdl.randn(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="invalid number of grad_input"):
        m(x).sum().backward()
    h.remove()
    assert m._call_hooks is None
    x.grad = None
    m(x).sum().backward()
    assert x.grad is not None


def test_backward_hooks_not_set_up_without_grad():
    m = nn.Linear(3, 2)
    log = []
    m.register_full_backward_hook(lambda mod, gi, go: log.append(1))
    with fastdl.no_grad():
        y = m(fastdl.randn(2, 3, requires_grad=True))
    assert y.grad_fn is None and log == []


def test_no_input_requires_grad_warns_and_rejects_a_replacement():
    m = nn.Linear(3, 2)
    m.register_full_backward_hook(lambda mod, gi, go: (fastdl.zeros(2, 3),))
    with pytest.warns(UserWarning, match="no inputs require gradients"), \
            pytest.raises(RuntimeError, match="no input requires gradient"):
        m(fastdl.randn(2, 3)).sum().backward()


def test_hooks_on_a_fused_sequential_pair():
    """Sequential fuses Linear + ReLU into one call, bypassing both __call__s: only while
    neither has hooks."""
    seq = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    log = []
    seq[0].register_forward_hook(lambda mod, a, o: log.append("fc1"))
    seq[1].register_full_backward_hook(lambda mod, gi, go: log.append("relu"))
    seq(fastdl.randn(2, 3, requires_grad=True)).sum().backward()
    assert log == ["fc1", "relu"]


@pytest.mark.parametrize("lib_name", ["fastdl", "torch"])
def test_backward_hook_grad_output_none_for_an_unused_output(lib_name):
    # torch passes None (not zeros) in grad_output for an output the loss does not use:
    # the hook wrapper's ctx.set_materialize_grads(False)
    if lib_name == "torch" and torch is None:
        pytest.skip("torch is not installed")
    lib = fastdl if lib_name == "fastdl" else torch

    class Two(lib.nn.Module):
        def forward(self, a):
            return a * 2, a * 3

    m = Two()
    log = []
    m.register_full_backward_pre_hook(lambda mod, go: log.append(("pre", [g is None for g in go])))
    m.register_full_backward_hook(lambda mod, gi, go: log.append(("full", [arr(g) for g in gi],
                                                                    [g is None for g in go])))
    a = lib.tensor([1.0, -2.0], dtype=lib.float64, requires_grad=True)
    p, _ = m(a)
    p.sum().backward()
    assert log[0] == ("pre", [False, True])
    assert log[1][2] == [False, True]
    np.testing.assert_array_equal(log[1][1][0], [2.0, 2.0])
    np.testing.assert_array_equal(arr(a.grad), [2.0, 2.0])
