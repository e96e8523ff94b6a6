"""Gaps found by running the PyTorch tutorials (blitz, examples_*, basics, char-RNN,
seq2seq, transformer LM, DQN, torch.func ones) unedited on fastdl via fastdl.torch_alias:
one focused test per gap, then one cheap end-to-end script per tutorial family (our own
short scripts on the same API surface, run through the alias, asserting the loss falls)."""
import io
import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import fastdl
from fastdl import nn

# the folder holding the fastdl this test imported (python/ in a dev tree, site-packages when installed)
PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(fastdl.__file__)))


# ---- matmul / mm out= (tensorqs: torch.matmul(t, t.T, out=y3)) -------------------------------

def test_matmul_and_mm_take_out_and_keep_the_fast_front():
    a = fastdl.tensor(np.arange(6.0).reshape(2, 3))
    b = fastdl.tensor(np.arange(12.0).reshape(3, 4))
    ref = np.arange(6.0).reshape(2, 3) @ np.arange(12.0).reshape(3, 4)
    for fn in (fastdl.matmul, fastdl.mm):
        out = fastdl.empty(2, 4, dtype=fastdl.float64)
        assert fn(a, b, out=out) is out
        np.testing.assert_array_equal(out.numpy(), ref)
    assert fastdl.matmul is fastdl.Tensor.__matmul__  # the C++ front is still the one bound
    with pytest.raises(RuntimeError, match="out has shape"):
        fastdl.matmul(a, b, out=fastdl.empty(3, 3, dtype=fastdl.float64))


def test_matmul_out_writes_the_product_in_place(monkeypatch):
    """2-D float products go straight into out (torch's mm_out: no temporary and copy); an
    out that shares memory with an operand, needs a graph or has another dtype takes the
    general path (compute, then copy), with the same values."""
    from fastdl.ops import linalg
    direct = []
    into = linalg.gemm_into
    monkeypatch.setattr(linalg, "gemm_into", lambda a, b, out, **kw: (direct.append(out), into(a, b, out, **kw))[1])
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        an, bn = rng.standard_normal((5, 7)).astype(dtype), rng.standard_normal((7, 4)).astype(dtype)
        a, b = fastdl.tensor(an), fastdl.tensor(bn)
        for fn in (fastdl.matmul, fastdl.mm):
            out = fastdl.full((5, 4), np.nan, dtype=a.dtype)
            version = out._buf.version
            assert fn(a, b, out=out) is out and direct[-1] is out and out._buf.version == version + 1
            np.testing.assert_allclose(out.numpy(), an.astype(np.float64) @ bn, rtol=1e-5)
    sq = fastdl.tensor(rng.standard_normal((4, 4)))
    ref = sq.numpy() @ sq.numpy()
    assert fastdl.matmul(sq, sq, out=sq) is sq  # out is an operand: computed first, then copied
    np.testing.assert_allclose(sq.numpy(), ref)
    w = fastdl.tensor(rng.standard_normal((4, 4)), requires_grad=True)
    wout = fastdl.empty(4, 4, dtype=fastdl.float64)
    with pytest.raises(RuntimeError, match="automatic differentiation"):
        fastdl.matmul(w, w, out=wout)
    i, iout = fastdl.tensor(np.arange(4).reshape(2, 2)), fastdl.empty(2, 2, dtype=fastdl.int64)
    assert fastdl.matmul(i, i, out=iout).tolist() == [[2, 3], [6, 11]]
    assert not any(t is sq or t is wout or t is iout for t in direct)  # none went straight into out


def test_creation_functions_take_out():
    c = fastdl.zeros(2, 2)
    assert fastdl.rand(2, 2, out=c) is c and 0 <= float(c.min()) and float(c.max()) < 1
    assert fastdl.ones(2, 2, out=c) is c and c.tolist() == [[1, 1], [1, 1]]
    e = fastdl.empty(0)
    assert fastdl.arange(4.0, out=e) is e and e.tolist() == [0, 1, 2, 3]  # an empty out is resized
    d = fastdl.empty(3, dtype=fastdl.float64)
    assert fastdl.linspace(0, 1, 3, out=d).tolist() == [0.0, 0.5, 1.0] and d.dtype is fastdl.float64


# ---- shapes that do not broadcast raise what torch raises (tensors_deeper) -------------------

def test_broadcast_failure_is_a_runtime_error_too():
    a = fastdl.ones(4, 3, 2)
    for bad in [(4, 3), (2, 3), (0,)]:
        with pytest.raises(RuntimeError, match="cannot be broadcast"):
            a * fastdl.rand(bad)
    with pytest.raises(ValueError, match="cannot be broadcast"):  # fastdl's own type stays true
        a + fastdl.rand(4, 3)


# ---- walking the graph (autogradyt: d.grad_fn.next_functions[0][0]...) ----------------------

def test_reflected_add_mul_record_the_tensor_first_and_leaves_end_the_walk():
    a = fastdl.linspace(0.0, 1.0, 5, requires_grad=True)
    b = fastdl.sin(a)
    d = 2 * b + 1
    names = []
    node = d.grad_fn
    while node is not None and node.next_functions:
        names.append(node.name())
        node = node.next_functions[0][0]
    assert names == ["AddBackward", "MulBackward", "SinBackward"]
    assert node.name() == "AccumulateGrad" and node.variable is a and node.next_functions == ()
    assert (3 + a).tolist() == (a + 3).tolist() and (3 * a).tolist() == (a * 3).tolist()


def test_graph_order_matches_torch():
    torch = pytest.importorskip("torch")

    def order(lib):
        x = lib.ones(2, requires_grad=True)
        y = 3 * lib.exp(x)
        return [f is None for f, _ in y.grad_fn.next_functions]
    assert order(fastdl) == order(torch)


# ---- save / load (quickstart, saving_loading_models, saveloadrun) ----------------------------

def test_save_load_file_objects_and_torch_keywords():
    sd = {"w": fastdl.arange(6.0).reshape(2, 3), "step": 3}
    buf = io.BytesIO()
    fastdl.save(sd, buf, pickle_protocol=4)
    buf.seek(0)
    got = fastdl.load(buf, weights_only=True, mmap=None)
    assert got["step"] == 3 and got["w"].tolist() == sd["w"].tolist()
    buf.seek(0)
    moved = fastdl.load(buf, map_location={"cuda:0": "cpu"})
    assert moved["w"].device.type == "cpu"
    buf.seek(0)
    seen = []
    kept = fastdl.load(buf, map_location=lambda storage, loc: seen.append(loc) or storage)
    assert seen == ["cpu"] and kept["w"].tolist() == sd["w"].tolist()


def test_a_whole_module_is_pickled_and_needs_weights_only_false(tmp_path):
    m = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    path = tmp_path / "model.pth"
    fastdl.save(m, path)
    with pytest.raises(pickle.UnpicklingError, match="weights_only=False"):
        fastdl.load(path)
    back = fastdl.load(path, weights_only=False)
    assert type(back) is nn.Sequential and type(back[0]) is nn.Linear
    x = fastdl.randn(4, 3)
    np.testing.assert_array_equal(back(x).detach().numpy(), m(x).detach().numpy())


# ---- torch.Tensor(...) (char_rnn_generation: loss = torch.Tensor([0])) -----------------------

def test_tensor_class_is_the_legacy_constructor():
    t = fastdl.Tensor([0, 2])
    assert t.dtype is fastdl.float32 and t.tolist() == [0.0, 2.0]
    assert fastdl.Tensor(2, 3).shape == (2, 3) and fastdl.Tensor().shape == (0,)
    assert fastdl.Tensor(fastdl.Size([4])).shape == (4,)
    x = fastdl.arange(3.0)
    assert fastdl.Tensor(x) is x
    with pytest.raises(TypeError, match="Tensor"):
        fastdl.Tensor(2, "a")
    loss = fastdl.Tensor([0])  # accumulating a graph into it, as the tutorial does
    w = fastdl.ones(1, requires_grad=True)
    loss += w * 3
    loss.backward()
    assert w.grad.tolist() == [3.0]


# ---- scatter / gather with a 0-d index (transforms: one-hot target_transform) ----------------

def test_scatter_and_gather_read_a_zero_dim_index_as_one_dim():
    one_hot = fastdl.zeros(5).scatter_(0, fastdl.tensor(3), value=1)
    assert one_hot.tolist() == [0, 0, 0, 1, 0]
    assert fastdl.zeros(4).scatter(0, fastdl.tensor(1), fastdl.tensor(7.0)).tolist() == [0, 7, 0, 0]
    g = fastdl.arange(10.0).gather(0, fastdl.tensor(4))
    assert g.shape == () and g.item() == 4.0
    assert fastdl.tensor(2.0).gather(0, fastdl.tensor([0, 0])).tolist() == [2.0, 2.0]
    x = fastdl.arange(4.0, dtype=fastdl.float64).requires_grad_()
    x.gather(0, fastdl.tensor(2)).backward()
    assert x.grad.tolist() == [0, 0, 1, 0]


def test_zero_dim_index_matches_torch():
    torch = pytest.importorskip("torch")
    ref = torch.zeros(6).scatter_(0, torch.tensor(2), value=1).tolist()
    assert fastdl.zeros(6).scatter_(0, fastdl.tensor(2), value=1).tolist() == ref
    assert fastdl.arange(5.0).gather(0, fastdl.tensor(3)).item() == torch.arange(5.0).gather(0, torch.tensor(3)).item()


# ---- random: Generator(device=), randint(high, size) ------------------------------------------

def test_generator_device_and_randint_high_size_overload():
    g1 = fastdl.Generator(device="cpu").manual_seed(7)
    g2 = fastdl.Generator(device=fastdl.device("cpu")).manual_seed(7)
    assert g1.device == fastdl.device("cpu")
    assert fastdl.randn(4, generator=g1).tolist() == fastdl.randn(4, generator=g2).tolist()
    assert fastdl.Generator(5).initial_seed() == 5  # fastdl's older seed-first spelling
    r = fastdl.randint(10, (500,))
    assert r.shape == (500,) and r.dtype is fastdl.int64 and 0 <= int(r.min()) and int(r.max()) <= 9
    assert int(r.max()) == 9  # 500 draws reach the top value
    assert fastdl.randint(3, 5, (50,)).min().item() >= 3
    with pytest.raises(TypeError, match="size"):
        fastdl.randint(10)


# ---- backends (DQN: torch.backends.mps.is_available()) -----------------------------------------

def test_backends_probes():
    assert fastdl.backends.mps.is_available() is False and fastdl.backends.mps.is_built() is False
    assert fastdl.backends.cudnn.is_available() is False
    import fastdl.backends.cudnn as cudnn
    cudnn.benchmark = True
    assert fastdl.backends.cudnn.benchmark is True
    cudnn.benchmark = False


# ---- torch.func.stack_module_state (ensembling) --------------------------------------------------

def test_stack_module_state_and_vmapped_functional_call():
    from fastdl.func import functional_call, stack_module_state, vmap
    models = [nn.Linear(3, 2) for _ in range(4)]
    params, buffers = stack_module_state(models)
    assert set(params) == {"weight", "bias"} and buffers == {}
    assert params["weight"].shape == (4, 2, 3) and params["weight"].is_leaf and params["weight"].requires_grad
    np.testing.assert_array_equal(params["bias"].detach().numpy(), np.stack([m.bias.detach().numpy() for m in models]))
    x = fastdl.randn(5, 3)
    out = vmap(lambda p, b, x: functional_call(models[0], (p, b), (x,)), in_dims=(0, 0, None))(params, buffers, x)
    ref = np.stack([m(x).detach().numpy() for m in models])
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-5, atol=1e-6)
    with pytest.raises(RuntimeError, match="same class"):
        stack_module_state([nn.Linear(3, 2), nn.Identity()])
    with pytest.raises(RuntimeError, match="at least one"):
        stack_module_state([])


# ---- forward AD: make_dual keeps a same-layout tangent (forward_ad_usage) --------------------

def test_make_dual_tangent_identity_and_layout_copy():
    import fastdl.autograd.forward_ad as fwAD
    primal, tangent = fastdl.randn(3, 3), fastdl.randn(3, 3)
    with fwAD.dual_level():
        assert fwAD.unpack_dual(fwAD.make_dual(primal, tangent)).tangent is tangent
        alt = fwAD.unpack_dual(fwAD.make_dual(primal, tangent.T)).tangent
        assert alt is not tangent and alt.stride() == primal.stride()
        np.testing.assert_array_equal(alt.numpy(), tangent.T.numpy())
        out = fwAD.make_dual(primal, tangent) ** 2
        np.testing.assert_allclose(fwAD.unpack_dual(out).tangent.numpy(), (2 * primal * tangent).numpy(), rtol=1e-6)


def _exp_with_jvp(scale):
    class ExpJvp(fastdl.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.result = fastdl.exp(x)
            return ctx.result

        @staticmethod
        def jvp(ctx, g):
            return g * ctx.result * scale
    return ExpJvp


def test_function_with_only_a_jvp_formula():
    import fastdl.autograd.forward_ad as fwAD
    fn = _exp_with_jvp(1.0).apply
    x = fastdl.rand(4, dtype=fastdl.float64)
    t = fastdl.randn(4, dtype=fastdl.float64)
    np.testing.assert_allclose(fn(x).numpy(), np.exp(x.numpy()))  # outside a level: plain forward
    with fwAD.dual_level():
        out = fn(fwAD.make_dual(x, t)) * 2  # the tangent flows on through ordinary ops
        jv = fwAD.unpack_dual(out).tangent
    np.testing.assert_allclose(jv.numpy(), 2 * t.numpy() * np.exp(x.numpy()), rtol=1e-12)
    xr = x.clone().requires_grad_()
    assert fastdl.autograd.gradcheck(fn, (xr,), check_forward_ad=True, check_backward_ad=False,
                                     check_undefined_grad=False, check_batched_grad=False)
    with pytest.raises(RuntimeError, match="forward AD"):
        fastdl.autograd.gradcheck(_exp_with_jvp(2.0).apply, (xr,), check_forward_ad=True, check_backward_ad=False)


# ---- grad w.r.t. a non-leaf whose producer an earlier backward freed (double backward tut) ---

def test_grad_stops_at_a_non_leaf_input_whose_producer_was_freed():
    a = fastdl.ones(2, requires_grad=True)
    x = (a * 2) * 3
    x.sum().backward()  # frees x's producers
    (g,) = fastdl.autograd.grad((x ** 2).sum(), x)
    assert g.tolist() == [12.0, 12.0]
    with pytest.raises(RuntimeError, match="second time"):  # a lies upstream: torch raises too
        fastdl.autograd.grad((x ** 2).sum(), [x, a])
    xd = fastdl.tensor(1.0, dtype=fastdl.float64, requires_grad=True).clone()
    assert fastdl.autograd.gradcheck(fastdl.exp, xd) and fastdl.autograd.gradgradcheck(fastdl.exp, xd)


def test_failed_gradcheck_raises_a_runtime_error():
    class Bad(fastdl.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3
    x = fastdl.rand(3, dtype=fastdl.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="gradcheck failed") as e:
        fastdl.autograd.gradcheck(Bad.apply, (x,))
    assert type(e.value).__name__ == "GradcheckError"


def test_gradcheck_takes_torchs_keywords():
    x = fastdl.rand(3, dtype=fastdl.float64, requires_grad=True)
    assert fastdl.autograd.gradcheck(fastdl.exp, (x,), nondet_tol=0.0, check_undefined_grad=False, fast_mode=True,
                                     check_batched_grad=False, check_forward_ad=True)
    assert fastdl.autograd.gradgradcheck(fastdl.exp, (x,), check_batched_grad=False)
    with pytest.raises(NotImplementedError, match="check_batched_grad"):
        fastdl.autograd.gradcheck(fastdl.exp, (x,), check_batched_grad=True)


# ---- printing: torch's choice of scientific notation (buildmodel prints parameter slices) ---

@pytest.mark.parametrize("vals", [[0.001, 2.0], [1.5, 2000.0], [1.5, 200.0], [1e-5, 1.0], [3.0, 2e9], [0.25, -0.5]])
def test_scientific_notation_follows_torchs_rule(vals):
    torch = pytest.importorskip("torch")
    assert ("e+" in repr(fastdl.tensor(vals)) or "e-" in repr(fastdl.tensor(vals))) == \
        ("e+" in repr(torch.tensor(vals)) or "e-" in repr(torch.tensor(vals)))


def test_scientific_notation_of_a_long_tensor_looks_at_the_shown_values():
    # the hidden middle holds a tiny value: torch (and now fastdl) still print fixed point
    vals = np.full(3000, 0.5, np.float32)
    vals[1500] = 1e-7
    assert "e-" not in repr(fastdl.tensor(vals)) and "0.5000" in repr(fastdl.tensor(vals))
    vals[0] = 1e-7
    assert "e-07" in repr(fastdl.tensor(vals))


# ---- end to end: our own short scripts per tutorial family, through fastdl.torch_alias --------

def run_script(tmp_path, source):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(source))
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR + os.pathsep + os.environ.get("PYTHONPATH", ""), FASTDL_CUDA="OFF")
    res = subprocess.run([sys.executable, "-m", "fastdl.torch_alias", str(script)], capture_output=True, text=True,
                         env=env, timeout=120, cwd=str(tmp_path))
    assert res.returncode == 0, res.stderr[-3000:]
    first, last = (float(v) for v in res.stdout.split()[-2:])
    assert last < 0.7 * first, res.stdout[-500:]


def test_blitz_family_conv_classifier_with_checkpoint(tmp_path):
    run_script(tmp_path, """
        import torch, torch.nn as nn, torch.nn.functional as F, torch.optim as optim
        from torch.utils.data import TensorDataset, DataLoader
        torch.manual_seed(0)
        y = torch.randint(0, 3, (96,))
        x = torch.randn(96, 3, 12, 12) * 0.3 + y.float().view(-1, 1, 1, 1)
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1, self.pool = nn.Conv2d(3, 4, 3), nn.MaxPool2d(2, 2)
                self.fc = nn.Linear(4 * 5 * 5, 3)
            def forward(self, x):
                return self.fc(torch.flatten(self.pool(F.relu(self.conv1(x))), 1))
        net = Net()
        opt = optim.SGD(net.parameters(), lr=0.02, momentum=0.9)
        crit, losses = nn.CrossEntropyLoss(), []
        for epoch in range(3):
            for xb, yb in DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True):
                opt.zero_grad(); loss = crit(net(xb), yb); loss.backward(); opt.step(); losses.append(loss.item())
        torch.save(net.state_dict(), "net.pth")
        net2 = Net(); net2.load_state_dict(torch.load("net.pth", weights_only=True))
        with torch.no_grad():
            assert torch.equal(net2(x), net(x))
            _, predicted = torch.max(net2(x), 1)
        print(losses[0], losses[-1])
        """)


def test_examples_family_custom_function_and_manual_updates(tmp_path):
    run_script(tmp_path, """
        import math, torch
        class Cubic(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x); return x ** 3
            @staticmethod
            def backward(ctx, g):
                x, = ctx.saved_tensors; return g * 3 * x ** 2
        x = torch.linspace(-math.pi, math.pi, 200); y = torch.sin(x)
        a, b, c = (torch.full((), v, requires_grad=True) for v in (0.0, 0.5, 0.0))
        losses = []
        for t in range(300):
            loss = (a + b * x + c * Cubic.apply(x) - y).pow(2).sum()
            losses.append(loss.item()); loss.backward()
            with torch.no_grad():
                for p in (a, b, c):
                    p -= 1e-5 * p.grad; p.grad = None
        xx = x.unsqueeze(-1).pow(torch.tensor([1, 2, 3]))
        model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
        opt = torch.optim.RMSprop(model.parameters(), lr=1e-2)
        for t in range(100):
            loss = torch.nn.MSELoss(reduction="sum")(model(xx), y); opt.zero_grad(); loss.backward(); opt.step()
        print(losses[0], losses[-1])
        """)


def test_basics_family_dataset_loader_and_whole_model_save(tmp_path):
    run_script(tmp_path, """
        import torch
        from torch import nn
        from torch.utils.data import Dataset, DataLoader
        class Blobs(Dataset):
            def __init__(self, n):
                g = torch.Generator(device="cpu").manual_seed(1)
                self.y = torch.randint(4, (n,), generator=g)
                self.x = torch.rand(n, 1, 8, 8, generator=g) * 0.2
                self.x[torch.arange(n), 0, self.y * 2] += 1
            def __len__(self):
                return len(self.y)
            def __getitem__(self, i):
                one_hot = torch.zeros(4, dtype=torch.float).scatter_(0, torch.tensor(int(self.y[i])), value=1)
                return self.x[i], one_hot
        model = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 4))
        opt = torch.optim.SGD(model.parameters(), lr=0.5)
        loss_fn, losses = nn.CrossEntropyLoss(), []
        for epoch in range(4):
            model.train()
            for X, y in DataLoader(Blobs(160), batch_size=32, shuffle=True):
                loss = loss_fn(model(X), y); loss.backward(); opt.step(); opt.zero_grad(); losses.append(loss.item())
        torch.save(model, "model.pth")
        model = torch.load("model.pth", weights_only=False)
        model.eval()
        print(losses[0], losses[-1])
        """)


def test_char_rnn_family_legacy_tensor_accumulation_and_rnn(tmp_path):
    run_script(tmp_path, """
        import random, torch, torch.nn as nn
        random.seed(0); torch.manual_seed(0)
        words = {0: ["abab", "abba", "baba"], 1: ["xyzx", "zyxz", "yxzy"]}
        letters = "abxyz"
        def line_tensor(w):
            t = torch.zeros(len(w), 1, len(letters))
            for i, ch in enumerate(w):
                t[i][0][letters.find(ch)] = 1
            return t
        data = [(torch.tensor([c], dtype=torch.long), line_tensor(w)) for c, ws in words.items() for w in ws]
        train_set, _ = torch.utils.data.random_split(data, [0.85, 0.15],
                                                     generator=torch.Generator(device="cpu").manual_seed(2024))
        class CharRNN(nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn, self.h2o, self.softmax = nn.RNN(5, 16), nn.Linear(16, 2), nn.LogSoftmax(dim=1)
            def forward(self, x):
                _, hidden = self.rnn(x)
                return self.softmax(self.h2o(hidden[0]))
        rnn, crit = CharRNN(), nn.NLLLoss()
        opt = torch.optim.SGD(rnn.parameters(), lr=0.1)
        losses = []
        for epoch in range(25):
            batch_loss = torch.Tensor([0])
            for label, text in train_set:
                batch_loss += crit(rnn(text), label)
            batch_loss.backward()
            nn.utils.clip_grad_norm_(rnn.parameters(), 3)
            opt.step(); opt.zero_grad(); losses.append(batch_loss.item())
        top_v, top_i = rnn(data[0][1]).topk(1)
        assert "ab"[top_i[0].item()] in "ab"
        print(losses[0], losses[-1])
        """)


def test_seq2seq_family_gru_attention_decoder(tmp_path):
    run_script(tmp_path, """
        import torch, torch.nn as nn, torch.nn.functional as F
        from torch.utils.data import TensorDataset, DataLoader, RandomSampler
        torch.manual_seed(0)
        src = torch.randint(2, 8, (64, 5)); tgt = src.flip(1)
        class Enc(nn.Module):
            def __init__(self):
                super().__init__(); self.emb = nn.Embedding(8, 16); self.gru = nn.GRU(16, 16, batch_first=True)
            def forward(self, x):
                return self.gru(self.emb(x))
        class Dec(nn.Module):
            def __init__(self):
                super().__init__()
                self.emb, self.Wa, self.Va = nn.Embedding(8, 16), nn.Linear(16, 16), nn.Linear(16, 1)
                self.gru, self.out = nn.GRU(32, 16, batch_first=True), nn.Linear(16, 8)
            def forward(self, keys, hidden, target):
                inp = torch.empty(keys.size(0), 1, dtype=torch.long).fill_(0)
                outs = []
                for i in range(target.size(1)):
                    scores = self.Va(torch.tanh(self.Wa(hidden.permute(1, 0, 2)) + keys)).squeeze(2).unsqueeze(1)
                    context = torch.bmm(F.softmax(scores, dim=-1), keys)
                    o, hidden = self.gru(torch.cat((self.emb(inp), context), dim=2), hidden)
                    outs.append(self.out(o)); inp = target[:, i].unsqueeze(1)
                return F.log_softmax(torch.cat(outs, dim=1), dim=-1)
        enc, dec = Enc(), Dec()
        eo, do = torch.optim.Adam(enc.parameters(), lr=0.01), torch.optim.Adam(dec.parameters(), lr=0.01)
        data = TensorDataset(src, tgt)
        losses = []
        for epoch in range(6):
            for x, y in DataLoader(data, sampler=RandomSampler(data), batch_size=16):
                eo.zero_grad(); do.zero_grad()
                keys, hidden = enc(x)
                out = dec(keys, hidden, y)
                loss = nn.NLLLoss()(out.view(-1, out.size(-1)), y.view(-1))
                loss.backward(); eo.step(); do.step(); losses.append(loss.item())
        print(losses[0], losses[-1])
        """)


def test_transformer_family_encoder_language_model(tmp_path):
    run_script(tmp_path, """
        import math, torch
        from torch import nn
        torch.manual_seed(0)
        data = torch.arange(12).repeat(40).view(-1, 4)  # (seq, batch): a periodic token stream
        enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(32, 2, 32, 0.0), 1)
        emb, head = nn.Embedding(12, 32), nn.Linear(32, 12)
        params = list(enc.parameters()) + list(emb.parameters()) + list(head.parameters())
        opt = torch.optim.SGD(params, lr=0.5)
        sched = torch.optim.lr_scheduler.StepLR(opt, 1.0, gamma=0.95)
        losses = []
        for step in range(12):
            x, y = data[:16], data[1:17].reshape(-1)
            mask = nn.Transformer.generate_square_subsequent_mask(len(x))
            out = head(enc(emb(x) * math.sqrt(32), mask))
            loss = nn.CrossEntropyLoss()(out.view(-1, 12), y)
            opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(params, 0.5); opt.step(); sched.step()
            losses.append(loss.item())
        print(losses[0], losses[-1])
        """)


def test_dqn_family_q_learning_update(tmp_path):
    run_script(tmp_path, """
        import random, torch, torch.nn as nn, torch.optim as optim
        device = torch.device("cuda" if torch.cuda.is_available() else
                              "mps" if torch.backends.mps.is_available() else "cpu")
        torch.manual_seed(0); random.seed(0)
        policy, target = nn.Linear(4, 2), nn.Linear(4, 2)
        target.load_state_dict(policy.state_dict())
        opt = optim.AdamW(policy.parameters(), lr=1e-2, amsgrad=True)
        states = torch.randn(64, 4)
        rewards = (states[:, 0] > 0).float()  # a bandit: the reward is known from the state
        losses = []
        for step in range(150):
            idx = torch.tensor(random.sample(range(64), 16))
            s, r = states[idx], rewards[idx]
            a = policy(s).max(1).indices.view(-1, 1)
            q = policy(s).gather(1, a)
            with torch.no_grad():
                expected = r + 0.0 * target(s).max(1).values
            loss = nn.SmoothL1Loss()(q, expected.unsqueeze(1))
            opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_value_(policy.parameters(), 100); opt.step()
            tsd, psd = target.state_dict(), policy.state_dict()
            for k in psd:
                tsd[k] = psd[k] * 0.05 + tsd[k] * 0.95
            target.load_state_dict(tsd)
            losses.append(loss.item())
        print(sum(losses[:10]) / 10, sum(losses[-10:]) / 10)
        """)


def test_func_family_per_sample_grads_and_ensemble(tmp_path):
    run_script(tmp_path, """
        import torch, torch.nn as nn, torch.nn.functional as F
        from torch.func import functional_call, vmap, grad, stack_module_state
        torch.manual_seed(0)
        x = torch.randn(32, 6)
        y = x[:, :3].argmax(1)  # learnable labels
        models = [nn.Linear(6, 3) for _ in range(3)]
        params, buffers = stack_module_state(models)  # the ensemble: one vmapped call
        ens = vmap(lambda p, b: functional_call(models[0], (p, b), (x,)))(params, buffers)
        assert torch.allclose(ens, torch.stack([m(x) for m in models]), atol=1e-5)
        model = models[0]
        p = {k: v.detach() for k, v in model.named_parameters()}
        def loss_one(p, xi, yi):
            return F.cross_entropy(functional_call(model, p, (xi.unsqueeze(0),)), yi.unsqueeze(0))
        per_sample = vmap(grad(loss_one), in_dims=(None, 0, 0))
        first = F.cross_entropy(functional_call(model, p, (x,)), y).item()
        for step in range(20):
            g = per_sample(p, x, y)  # per-sample gradients, averaged as a plain step would
            p = {k: v - 1.0 * g[k].mean(0) for k, v in p.items()}
        print(first, F.cross_entropy(functional_call(model, p, (x,)), y).item())
        """)
