"""fastdl.autograd.graph: saved-tensor hooks (pack once at save, unpack on each access,
counted against torch's for the same graphs), save_on_cpu, disable_saved_tensors_hooks,
allow_mutation_on_saved_tensors, increment_version, the Node API, multi-grad hooks, and
the non-reentrant checkpoint built on the hooks (memory, exact gradients)."""
import gc
import threading

import numpy as np
import pytest

import fastdl
import fastdl.autograd.graph as fgraph
from fastdl.utils.checkpoint import CheckpointError, checkpoint


def _square_fn(lib):
    class Square(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            x, = ctx.saved_tensors  # a second access: a second unpack
            return 2 * x * g
    return Square


def _graphs(lib, with_params=False):
    """name -> f() -> scalar (and the leaves with with_params); the same graphs in fastdl and torch."""
    rng = np.random.default_rng(0)
    t = lambda *s, rg=True: lib.tensor(rng.standard_normal(s), dtype=lib.float32, requires_grad=rg)  # noqa: E731
    a, b, m, x, tgt = t(3, 4), t(3, 4), t(4, 5), t(3, 4, rg=False), t(3, 2, rg=False)
    lin = lib.nn.Linear(4, 2)
    sq = _square_fn(lib)
    F = lib.nn.functional
    fns = {
        "mul": lambda: (a * b).sum(),
        "mul_one_side": lambda: (a * b.detach()).sum(),
        "mul_scalar": lambda: (a * 2).sum(),
        "matmul": lambda: (a @ m).sum(),
        "relu": lambda: a.relu().sum(),
        "exp": lambda: a.exp().sum(),
        "div": lambda: (a / b).sum(),
        "custom": lambda: sq.apply(a).sum(),
        "linear_mse": lambda: F.mse_loss(lin(a), tgt),
        "linear_mse_input_no_grad": lambda: F.mse_loss(lin(x), tgt),
    }
    return (fns, [a, b, m, lin.weight, lin.bias]) if with_params else fns


def _counts(lib, graph_mod, f):
    c = {"pack": 0, "unpack": 0}

    def pack(t):
        c["pack"] += 1
        return t

    def unpack(t):
        c["unpack"] += 1
        return t
    with graph_mod.saved_tensors_hooks(pack, unpack):
        out = f()
    at_forward = c["pack"]
    out.backward()
    return at_forward, c["pack"], c["unpack"]


EXPECTED = {"mul": (2, 2, 2), "mul_one_side": (1, 1, 1), "mul_scalar": (0, 0, 0), "matmul": (2, 2, 2),
            "relu": (1, 1, 1), "exp": (1, 1, 1), "div": (2, 2, 2), "custom": (1, 1, 2), "linear_mse": (4, 4, 4),
            "linear_mse_input_no_grad": (3, 3, 3)}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_pack_unpack_counts(name):
    got = _counts(fastdl, fgraph, _graphs(fastdl)[name])
    assert got == EXPECTED[name]
    torch = pytest.importorskip("torch")
    import torch.autograd.graph as tgraph
    assert _counts(torch, tgraph, _graphs(torch)[name]) == got


def test_gradients_unchanged_under_hooks():
    for name in EXPECTED:
        runs = []
        for hooked in (False, True):
            fastdl.manual_seed(0)
            fns, params = _graphs(fastdl, with_params=True)
            hooks = fgraph.saved_tensors_hooks(lambda t: ("box", t), lambda p: p[1])
            if hooked:
                with hooks:
                    out = fns[name]()
            else:
                out = fns[name]()
            out.backward()
            runs.append([out.detach().numpy()] + [p.grad.numpy() for p in params if p.grad is not None])
        assert len(runs[0]) == len(runs[1]) > 1, name
        for u, v in zip(*runs):
            assert np.array_equal(u, v), name


def test_packed_tensor_not_held_and_unpack_result_used():
    x = fastdl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with fgraph.saved_tensors_hooks(lambda t: 5, lambda p: fastdl.full((3,), float(p))):
        y = x * x
    y.sum().backward()
    assert np.array_equal(x.grad.numpy(), np.full(3, 10.0))  # g * 5 from each side
    torch = pytest.importorskip("torch")
    tx = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(lambda t: 5, lambda p: torch.full((3,), float(p))):
        ty = tx * tx
    ty.sum().backward()
    assert np.array_equal(tx.grad.numpy(), x.grad.numpy())


def test_unpack_must_return_a_tensor():
    x = fastdl.ones(3, requires_grad=True)
    with fgraph.saved_tensors_hooks(lambda t: t, lambda p: 5):
        y = x * x
    with pytest.raises(TypeError, match="unpack_hook expected to be a Tensor but got result of type int"):
        y.sum().backward()


def test_nested_hooks_innermost_applies_and_restored():
    seen = []
    x = fastdl.ones(3, requires_grad=True)
    with fgraph.saved_tensors_hooks(lambda t: seen.append("outer") or t, lambda t: t):
        with fgraph.saved_tensors_hooks(lambda t: seen.append("inner") or t, lambda t: t):
            x.exp()
        x.exp()
    x.exp()
    assert seen == ["inner", "outer"]


def test_pack_runs_without_grad_mode_and_no_hooks_after_exit():
    modes = []
    x = fastdl.ones(3, requires_grad=True)
    with fgraph.saved_tensors_hooks(lambda t: modes.append(fastdl.is_grad_enabled()) or t, lambda t: t):
        y = x.exp()
    assert modes == [False] and fastdl.is_grad_enabled()
    assert y.grad_fn.ctx._packed is not None
    z = x.exp()
    assert z.grad_fn.ctx._packed is None  # hooks off: the plain path


def test_hooks_are_per_thread():
    seen = []
    x = fastdl.ones(3, requires_grad=True)
    inside, release = threading.Event(), threading.Event()

    def other():
        with fgraph.saved_tensors_hooks(lambda t: seen.append(1) or t, lambda t: t):
            inside.set()
            release.wait(5)
    th = threading.Thread(target=other)
    th.start()
    inside.wait(5)
    y = x.exp()  # this thread has no hook
    release.set()
    th.join()
    assert seen == [] and y.grad_fn.ctx._packed is None


def test_no_version_check_with_hooks_as_torch():
    x = fastdl.ones(3, requires_grad=True)
    b = x * 1
    with fgraph.saved_tensors_hooks(lambda t: t.clone(), lambda t: t):
        y = b * b
    b.add_(1)
    y.sum().backward()  # the packed clone is what backward uses
    assert np.array_equal(x.grad.numpy(), np.full(3, 2.0))
    b = x * 1
    y = b * b
    b.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_save_on_cpu():
    fastdl.manual_seed(0)
    lin = fastdl.nn.Linear(4, 3)
    x = fastdl.randn(5, 4, requires_grad=True)
    lin(x).tanh().sum().backward()
    ref = [x.grad.numpy().copy(), lin.weight.grad.numpy().copy()]
    x.grad = None
    lin.zero_grad()
    with fgraph.save_on_cpu():
        y = lin(x).tanh()
    y.sum().backward()
    assert np.array_equal(ref[0], x.grad.numpy()) and np.array_equal(ref[1], lin.weight.grad.numpy())
    hook = fgraph.save_on_cpu()
    device, packed = hook.pack_hook(x)
    assert device == x.device and packed.device.type == "cpu"
    assert np.array_equal(hook.unpack_hook((device, packed)).detach().numpy(), x.detach().numpy())


def test_disable_saved_tensors_hooks():
    with fgraph.disable_saved_tensors_hooks("hooks are off here"):
        with pytest.raises(RuntimeError, match="hooks are off here"):
            with fgraph.saved_tensors_hooks(lambda t: t, lambda t: t):
                pass
    with fgraph.saved_tensors_hooks(lambda t: t, lambda t: t):
        with pytest.raises(RuntimeError, match="not now"):
            with fgraph.disable_saved_tensors_hooks("not now"):
                pass
    with fgraph.saved_tensors_hooks(lambda t: t, lambda t: t):  # usable again
        pass


def test_allow_mutation_on_saved_tensors():
    def run(lib, g):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        with g.allow_mutation_on_saved_tensors():
            a = x * 1
            y = (a * a).sum()
            a.mul_(10)
            y.backward()
        return x.grad.numpy()
    got = run(fastdl, fgraph)
    assert np.array_equal(got, [2.0, 4.0, 6.0])
    torch = pytest.importorskip("torch")
    assert np.array_equal(run(torch, torch.autograd.graph), got)


def test_increment_version():
    x = fastdl.ones(3, requires_grad=True)
    a = x * 1
    y = a * a
    v = a._buf.version
    fgraph.increment_version(a)
    assert a._buf.version == v + 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_create_graph_through_hooked_tensors():
    def run(hooks):
        x = fastdl.tensor([0.5, 1.0, 2.0], dtype=fastdl.float64, requires_grad=True)
        with hooks():
            y = (x * x * x).sin().exp()  # exp saves its output: linked back under create_graph
        g, = fastdl.autograd.grad(y.sum(), x, create_graph=True)
        h, = fastdl.autograd.grad(g.sum(), x)
        return g.detach().numpy(), h.numpy()
    import contextlib
    ref = run(contextlib.nullcontext)
    for hooks in (fgraph.save_on_cpu, lambda: fgraph.saved_tensors_hooks(lambda t: t.detach().clone(), lambda t: t)):
        got = run(hooks)
        assert np.allclose(got[0], ref[0], rtol=1e-14) and np.allclose(got[1], ref[1], rtol=1e-14)


# ---- Node API ----
def test_node_name_next_functions_and_isinstance():
    a = fastdl.ones(2, requires_grad=True)
    b = fastdl.ones(2)
    y = a * b + a.exp()
    fn = y.grad_fn
    assert isinstance(fn, fgraph.Node) and fn.name() == "AddBackward"
    (m, i), (e, j) = fn.next_functions
    assert m.name() == "MulBackward" and e.name() == "ExpBackward" and i == j == 0
    (acc, k), (none, n) = m.next_functions
    assert isinstance(acc, fgraph.Node) and acc.name() == "AccumulateGrad" and acc.variable is a
    assert none is None and n == 0 and acc.next_functions == ()
    torch = pytest.importorskip("torch")
    ta, tb = torch.ones(2, requires_grad=True), torch.ones(2)
    tfn = (ta * tb + ta.exp()).grad_fn
    assert [type(f).__name__ if f else None for f, _ in tfn.next_functions[0][0].next_functions] == \
        ["AccumulateGrad", None]


def test_metadata_persists_after_backward():
    x = fastdl.ones(2, requires_grad=True)
    y = x.exp()
    y.grad_fn.metadata["tag"] = 1
    y.sum().backward()
    assert y.grad_fn.metadata == {"tag": 1}
    acc = fgraph.get_gradient_edge(x).node
    acc.metadata["leaf"] = True
    assert fgraph.get_gradient_edge(x).node.metadata == {"leaf": True}


def test_prehook_and_hook_replace_like_torch():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        h = x * 3
        y = h.exp()
        calls = []
        y.grad_fn.register_prehook(lambda gos: calls.append(("pre", len(gos))) or (gos[0] * 2,))
        h.grad_fn.register_hook(lambda gis, gos: calls.append(("post", len(gos))) or (gis[0] + 1, gis[1]))
        removed = h.grad_fn.register_hook(lambda gis, gos: calls.append("removed"))
        removed.remove()
        y.sum().backward()
        return x.grad.numpy(), calls
    got, calls = run(fastdl)
    assert calls == [("pre", 1), ("post", 1)]
    xv = np.array([1.0, 2.0])
    assert np.allclose(got, 3 * 2 * np.exp(3 * xv) + 1)
    torch = pytest.importorskip("torch")
    tgot, tcalls = run(torch)
    assert tcalls == calls and np.allclose(tgot, got)


def test_hook_wrong_count_raises():
    x = fastdl.ones(2, requires_grad=True)
    y = x.exp()
    y.grad_fn.register_prehook(lambda gos: (gos[0], gos[0]))
    with pytest.raises(RuntimeError, match="prehook: hook returned 2 grad_outputs, expected 1"):
        y.sum().backward()


# ---- multi-grad hooks ----
def _multi(lib, mode, use_b):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = lib.tensor([3.0, 4.0], requires_grad=True)
    c = a * 2  # a non-leaf among the tensors
    got = []
    handle = lib.autograd.graph.register_multi_grad_hook(
        (a, b, c), lambda gs: got.append(gs if mode == "any" else tuple(None if g is None else g.tolist() for g in gs)),
        mode=mode)
    out = (c * c).sum() + ((b * b).sum() if use_b else 0)
    out.backward(retain_graph=True)
    out = (c * c).sum()
    out.backward()
    handle.remove()
    (a * 1).sum().backward()
    if mode == "any":
        got = [g.tolist() for g in got]
    return got


@pytest.mark.parametrize("mode", ["all", "any"])
def test_multi_grad_hook(mode):
    got = _multi(fastdl, mode, True)
    if mode == "all":
        assert got == [([8.0, 16.0], [6.0, 8.0], [4.0, 8.0]), ([8.0, 16.0], None, [4.0, 8.0])]
    else:  # once per backward, with the first gradient computed (which one comes first is the engine's order)
        assert len(got) == 2 and got[0] in ([8.0, 16.0], [6.0, 8.0], [4.0, 8.0]) and got[1] in ([8.0, 16.0], [4.0, 8.0])
    torch = pytest.importorskip("torch")
    tgot = _multi(torch, mode, True)
    assert tgot == got if mode == "all" else len(tgot) == len(got)


def test_multi_grad_hook_bad_mode():
    with pytest.raises(ValueError, match="Expects mode to be one of"):
        fgraph.register_multi_grad_hook([fastdl.ones(1, requires_grad=True)], print, mode="some")


# ---- checkpoint on the hooks ----
def _region(ws, probe):
    def f(x):
        for w in ws:
            x = (x @ w).tanh()
            probe.append(fastdl._C.live_bytes())
        return x.sum(1)
    return f


def test_checkpoint_drops_region_activations_during_forward():
    fastdl.manual_seed(0)
    ws = [fastdl.randn(256, 256, requires_grad=True) for _ in range(6)]
    x = fastdl.randn(512, 256, requires_grad=True)
    act = 512 * 256 * 4
    gc.collect()
    plain_probe, ck_probe = [], []
    base = fastdl._C.live_bytes()
    y = _region(ws, plain_probe)(x)
    plain_peak = max(plain_probe) - base
    y.sum().backward()
    ref = [x.grad.numpy().copy()] + [w.grad.numpy().copy() for w in ws]
    x.grad = None
    for w in ws:
        w.grad = None
    del y
    gc.collect()
    base = fastdl._C.live_bytes()
    yc = checkpoint(_region(ws, ck_probe), x, use_reentrant=False)
    ck_peak = max(ck_probe) - base
    between = fastdl._C.live_bytes() - base
    assert plain_peak >= 6 * act  # every tanh output (and matmul input) kept for backward
    assert ck_peak <= 2 * act  # only the one or two live activations
    assert between < act  # only the output (512 floats) between forward and backward
    yc.sum().backward()
    got = [x.grad.numpy()] + [w.grad.numpy() for w in ws]
    for r, g in zip(ref, got):
        assert np.array_equal(r, g)  # bit-identical to the plain run


def test_checkpoint_recomputes_once_per_backward():
    calls = [0]

    def f(a):
        calls[0] += 1
        return (a.exp() * a).sin()
    x = fastdl.randn(4, requires_grad=True)
    y = checkpoint(f, x, use_reentrant=False)
    assert calls[0] == 1
    y.sum().backward()
    assert calls[0] == 2


def test_checkpoint_metadata_mismatch_raises():
    calls = [0]

    def changing(a):
        calls[0] += 1
        return (a * a).sum() if calls[0] == 1 else (a[:2] * a[:2]).sum()
    x = fastdl.randn(3, requires_grad=True)
    y = checkpoint(changing, x, use_reentrant=False)
    with pytest.raises(CheckpointError, match="Recomputed values for the following tensors have different metadata"):
        y.backward()
    calls[0] = 0

    def fewer(a):
        calls[0] += 1
        return (a * a).sum() if calls[0] == 1 else (a * 2).sum()
    y = checkpoint(fewer, x, use_reentrant=False)
    with pytest.raises(CheckpointError, match="A different number of tensors was saved"):
        y.backward()


def test_non_leaf_tensor_hook_like_torch():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        h = x * 3
        h.retain_grad()
        seen = []
        handle = h.register_hook(lambda g: seen.append(g.tolist()) or g * 2)
        gone = h.register_hook(lambda g: seen.append("removed"))
        gone.remove()
        (h * h).sum().backward()
        handle.remove()
        return x.grad.tolist(), h.grad.tolist(), seen
    got = run(fastdl)
    assert got[0] == [36.0, 72.0] and got[2] == [[6.0, 12.0]]
    torch = pytest.importorskip("torch")
    assert run(torch) == got


def test_accumulate_grad_node_hooks_like_torch():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        acc = y.grad_fn.next_functions[0][0].next_functions[0][0]
        calls = []
        acc.register_prehook(lambda gos: calls.append(("pre", gos[0].tolist())) or (gos[0] + 1,))
        acc.register_hook(lambda gis, gos: calls.append(("post", len(gis), gos[0].tolist())))
        y.backward()
        return x.grad.tolist(), calls, acc.name()
    got = run(fastdl)
    assert got[0] == [3.0, 5.0] and got[1][0] == ("pre", [2.0, 4.0]) and got[2] == "AccumulateGrad"
    torch = pytest.importorskip("torch")
    assert run(torch)[:2] == got[:2]


def test_module_names_match_torch():
    names = {"saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks", "register_multi_grad_hook",
             "allow_mutation_on_saved_tensors", "Node", "GradientEdge", "get_gradient_edge", "increment_version",
             "set_warn_on_accumulate_grad_stream_mismatch"}
    assert names <= set(fgraph.__all__) and all(hasattr(fgraph, n) for n in names)
    assert fastdl.autograd.graph is fgraph
    x = fastdl.ones(2, requires_grad=True)
    edge = fgraph.get_gradient_edge(x * 2)
    assert edge.node.name() == "MulBackward" and edge.output_nr == 0
    assert fgraph.get_gradient_edge(x).node.variable is x
    with pytest.raises(RuntimeError, match="does not require gradients"):
        fgraph.get_gradient_edge(fastdl.ones(2))


def test_checkpoint_inside_outer_hooks_counts_like_torch():
    def run(lib, ck, graph):
        x = lib.tensor([0.5, 1.0, 2.0], requires_grad=True)
        c = [0, 0]
        with graph.saved_tensors_hooks(lambda t: c.__setitem__(0, c[0] + 1) or t,
                                       lambda t: c.__setitem__(1, c[1] + 1) or t):
            # the region's own saves go to the checkpoint; its input and the outer mul's to the outer hook
            y = ck(lambda a: (a.exp() * a).sin().sum(), x, use_reentrant=False) * x.sum()
        y.backward()
        return c, x.grad.tolist()
    got = run(fastdl, checkpoint, fgraph)
    assert got[0] == [3, 3]
    torch = pytest.importorskip("torch")
    from torch.utils.checkpoint import checkpoint as tcheckpoint
    want = run(torch, tcheckpoint, torch.autograd.graph)
    assert want[0] == got[0] and np.allclose(want[1], got[1], rtol=1e-6)


def test_checkpoint_retain_graph_backward_twice():
    x = fastdl.tensor([0.5, 1.0, 2.0], requires_grad=True)
    y = checkpoint(lambda a: (a.exp() * a).sin().sum(), x, use_reentrant=False)
    y.backward(retain_graph=True)
    once = x.grad.numpy().copy()
    y.backward()
    assert np.array_equal(x.grad.numpy(), 2 * once)


@pytest.mark.parametrize("cls", ["LSTM", "GRU"])
def test_recurrent_layers_save_their_inputs_through_the_hooks(cls):
    # the layer's inputs (kept for a double backward) are saved tensors, so a pack hook sees
    # them and a non-reentrant checkpoint does not keep them alive
    fastdl.manual_seed(0)
    rnn = getattr(fastdl.nn, cls)(3, 4)
    x = fastdl.randn(5, 2, 3, requires_grad=True)
    packed = []

    def pack(t):
        packed.append(t)
        return t

    with fastdl.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out, _ = rnn(x)
    assert any(t is x for t in packed)
    out.sum().backward()
    ref = x.grad.clone()
    x.grad = None
    rnn(x)[0].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), ref.numpy())
