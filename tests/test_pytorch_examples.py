"""The API patterns of the canonical PyTorch examples (pytorch/examples: mnist, vae,
word_language_model, dcgan, reinforcement_learning, time_sequence_prediction,
regression, ...) that fastdl lacked, each in a few lines; then one short script per
example family, in the same spirit, run unedited through `python -m fastdl.torch_alias`
and required to learn."""
import io
import os
import pickle
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import fastdl
import fastdl.nn as nn

# the folder holding the fastdl this test imported (python/ in a dev tree, site-packages when installed)
PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(fastdl.__file__)))


# ---- backend probes that scripts make before picking a device ----------------------

def test_backend_modules_import_and_keep_their_flags():
    import fastdl.backends.cudnn as cudnn
    import fastdl.backends.mps
    assert cudnn is fastdl.backends.cudnn and cudnn.is_available() is False and cudnn.version() is None
    before = cudnn.benchmark
    try:
        cudnn.benchmark = True  # dcgan sets it; it must read back
        assert fastdl.backends.cudnn.benchmark is True
    finally:
        cudnn.benchmark = before
    assert fastdl.backends.mps.is_available() is False and fastdl.backends.mps.is_built() is False
    assert fastdl.backends.mkldnn.is_available() is False and fastdl.backends.openmp.is_available() is True
    assert fastdl.xpu.is_available() is False and fastdl.xpu.device_count() == 0
    assert fastdl.mps.is_available() is False


def test_backend_flags_have_torch_defaults():
    # torch's documented defaults (not read from an imported torch: other tests change its flags)
    c = fastdl.backends.cudnn
    assert (c.enabled, c.benchmark, c.deterministic, c.allow_tf32) == (True, False, False, True)


def test_onnx_export_refuses_by_name():
    assert fastdl.onnx.is_in_onnx_export() is False
    with pytest.raises(NotImplementedError, match="fastdl.onnx.export.*Linear"):
        fastdl.onnx.export(nn.Linear(2, 2), (fastdl.zeros(1, 2),), "m.onnx")



def test_hub_offline_names(tmp_path, monkeypatch):
    from fastdl.hub import tqdm
    assert [v for v in tqdm([1, 2, 3], desc="x")] == [1, 2, 3]  # vision_transformer: from torch.hub import tqdm
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    monkeypatch.setattr(fastdl.hub, "_hub_dir", [None])
    assert fastdl.hub.get_dir() == str(tmp_path / "th" / "hub")
    fastdl.hub.set_dir(tmp_path / "mine")
    assert fastdl.hub.get_dir() == str(tmp_path / "mine")
    with pytest.raises(RuntimeError, match=r"fastdl.hub.load\('pytorch/vision', 'resnet18'\)"):
        fastdl.hub.load("pytorch/vision", "resnet18")
    ck = tmp_path / "mine" / "checkpoints"
    ck.mkdir(parents=True)
    fastdl.save({"w": fastdl.ones(2)}, ck / "w-1234.pth")
    got = fastdl.hub.load_state_dict_from_url("https://example.org/models/w-1234.pth")
    assert got["w"].tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="not in the cache"):
        fastdl.hub.load_state_dict_from_url("https://example.org/models/other.pth")



def test_utils_data_distributed_sampler_import():
    import fastdl.utils.data.distributed as d  # imagenet/main.py: import torch.utils.data.distributed
    from fastdl.utils.data.distributed import DistributedSampler
    assert d.DistributedSampler is DistributedSampler is fastdl.data.DistributedSampler
    s = DistributedSampler(list(range(10)), num_replicas=2, rank=1, shuffle=False)
    assert list(s) == [1, 3, 5, 7, 9]



@pytest.mark.parametrize("size_average,reduce,want", [(False, None, "sum"), (True, None, "mean"), (None, False, "none"),
                                                      (False, True, "sum")])
def test_functional_losses_take_size_average_and_reduce(size_average, reduce, want):
    import fastdl.nn.functional as F
    logp = fastdl.tensor([[-0.5, -1.0, -2.0], [-3.0, -0.1, -1.5]])
    y = fastdl.tensor([2, 1])
    with pytest.warns(UserWarning, match=f"reduction='{want}'"):
        got = F.nll_loss(logp, y, size_average=size_average, reduce=reduce)
    assert np.allclose(got.numpy(), F.nll_loss(logp, y, reduction=want).numpy())
    with pytest.warns(UserWarning):
        got = F.mse_loss(logp, fastdl.zeros(2, 3), size_average=size_average, reduce=reduce)
    assert np.allclose(got.numpy(), F.mse_loss(logp, fastdl.zeros(2, 3), reduction=want).numpy())
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = torch.nn.functional.nll_loss(torch.tensor(logp.numpy()), torch.tensor([2, 1]),
                                           size_average=size_average, reduce=reduce)
    assert np.allclose(ref.numpy(), F.nll_loss(logp, y, reduction=want).numpy())


def test_every_legacy_loss_takes_the_flags_and_model_zoo_load_url():
    import fastdl.nn.functional as F
    from fastdl.nn.functional.loss_legacy import LEGACY
    for name in LEGACY:
        assert getattr(getattr(F, name), "_legacy_flags", False), name
    x = fastdl.tensor([0.2, 0.7])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert F.binary_cross_entropy(x, fastdl.tensor([0.0, 1.0]), size_average=False).item() == pytest.approx(
            -(np.log(0.8) + np.log(0.7)), rel=1e-6)
    import fastdl.utils.model_zoo as mz
    assert mz.load_url is fastdl.hub.load_state_dict_from_url


# ---- save / load ---------------------------------------------------------------------

def test_save_load_through_file_objects(tmp_path):
    sd = {"w": fastdl.arange(6.0).reshape(2, 3), "step": 3}
    with open(tmp_path / "ck.pt", "wb") as f:  # `with open(path, 'wb') as f: torch.save(obj, f)`
        fastdl.save(sd, f)
    with open(tmp_path / "ck.pt", "rb") as f:
        got = fastdl.load(f)
    assert got["step"] == 3 and got["w"].tolist() == [[0, 1, 2], [3, 4, 5]]
    arr = np.sin(np.arange(12.0)).reshape(3, 4)  # time_sequence_prediction saves a NumPy array
    buf = io.BytesIO()
    fastdl.save(arr, buf)
    buf.seek(0)
    back = fastdl.load(buf)
    assert isinstance(back, np.ndarray) and back.dtype == np.float64
    np.testing.assert_array_equal(back, arr)


class _TiedLM(nn.Module):  # module level: pickle finds classes by name
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(5, 4)
        self.out = nn.Linear(4, 5)
        self.out.weight = self.emb.weight
        self.rnn = nn.LSTM(4, 4)
        self.note = "tied"


def test_a_whole_module_round_trips_and_needs_weights_only_false(tmp_path):
    fastdl.manual_seed(0)
    m = _TiedLM()
    fastdl.save(m, tmp_path / "m.pt")
    with pytest.raises(pickle.UnpicklingError, match="weights_only=False"):
        fastdl.load(tmp_path / "m.pt")  # torch's default since 2.6: no arbitrary objects
    got = fastdl.load(tmp_path / "m.pt", weights_only=False)
    assert type(got) is _TiedLM and got.note == "tied"
    assert type(got.out.weight) is nn.Parameter and got.out.weight.requires_grad
    assert got.out.weight is got.emb.weight  # tied weights stay one tensor
    for (k, a), (k2, b) in zip(m.state_dict().items(), got.state_dict().items()):
        assert k == k2 and np.array_equal(a.numpy(), b.numpy())
    # the tensors are plain safetensors entries (the tied one once); the pickle only refers to them
    st = pytest.importorskip("safetensors.numpy")
    plain = st.load_file(str(tmp_path / "m.pt"))
    assert len(plain) == len(m.state_dict()) - 1
    assert any(np.array_equal(v, m.emb.weight.detach().numpy()) for v in plain.values())


def test_a_checkpoint_dict_with_a_non_tensor_object(tmp_path):
    import argparse
    ck = {"args": argparse.Namespace(lr=0.5), "state": {"w": fastdl.ones(2, requires_grad=True) * 2}}
    fastdl.save(ck, tmp_path / "c.pt")  # a non-leaf tensor is saved by value, as torch does
    got = fastdl.load(tmp_path / "c.pt", weights_only=False, map_location="cpu")
    assert got["args"].lr == 0.5 and got["state"]["w"].tolist() == [2.0, 2.0]
    with pytest.raises(TypeError, match="nor can it be pickled"):
        fastdl.save({"f": lambda: 0}, tmp_path / "bad.pt")


# ---- constructors, random, RNN, formatting -------------------------------------------

def test_legacy_tensor_constructor():
    t = fastdl.Tensor([[3, 4]])  # generate.py: torch.Tensor([[word_idx]]).long()
    assert t.dtype == fastdl.float32 and t.tolist() == [[3.0, 4.0]] and t.long().dtype == fastdl.int64
    assert fastdl.Tensor(2, 3).shape == (2, 3) and fastdl.Tensor().shape == (0,)
    assert fastdl.Tensor(fastdl.Size([4])).shape == (4,)
    with pytest.raises(TypeError, match=r"Tensor\(\): expected sizes"):
        fastdl.Tensor(2, "a")
    torch = pytest.importorskip("torch")
    for args in (([1.5, 2],), (3,), ()):
        assert tuple(torch.Tensor(*args).shape) == tuple(fastdl.Tensor(*args).shape)


def test_randint_high_size_overload():
    fastdl.manual_seed(0)
    r = fastdl.randint(7, (2, 3), dtype=fastdl.int64)  # randint(high, size)
    assert r.shape == (2, 3) and r.dtype == fastdl.int64 and 0 <= r.min().item() and r.max().item() < 7
    assert fastdl.randint(3, 5, (4,)).min().item() >= 3
    with pytest.raises(TypeError, match="missing the size"):
        fastdl.randint(5)


def test_rnn_flatten_parameters_is_a_no_op():
    lstm = nn.LSTM(3, 4, 2)
    before = [p.detach().numpy().copy() for p in lstm.parameters()]
    assert lstm.flatten_parameters() is None
    assert all(np.array_equal(a, p.detach().numpy()) for a, p in zip(before, lstm.parameters()))


def test_format_spec_of_a_zero_dim_tensor():
    w = fastdl.tensor([1.25, -3.5])
    assert "{:+.2f} x^{}".format(w[0], 1) == "+1.25 x^1"  # regression/main.py's poly_desc
    assert f"{w[1]:.1f}" == "-3.5" and f"{fastdl.tensor(7):d}" == "7"
    assert "{}".format(w) == str(w)
    with pytest.raises(TypeError):
        "{:.2f}".format(w)  # torch: only a 0-d tensor takes a number format
    torch = pytest.importorskip("torch")
    assert "{:.3e}".format(torch.tensor(0.1234)) == "{:.3e}".format(fastdl.tensor(0.1234))


def test_deprecated_add_alpha_overload():
    p = fastdl.ones(3)
    g = fastdl.tensor([1.0, 2.0, 3.0])
    with pytest.warns(UserWarning, match="overload of add_ is deprecated"):
        p.add_(-0.5, g)  # old SGD loops: p.data.add_(-lr, p.grad.data)
    assert p.tolist() == [0.5, 0.0, -0.5]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p.sub_(2, g)
    assert p.tolist() == [-1.5, -4.0, -6.5]
    torch = pytest.importorskip("torch")
    q = torch.ones(3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q.add_(-0.5, torch.tensor([1.0, 2.0, 3.0]))
    assert q.tolist() == [0.5, 0.0, -0.5]



# ---- sparse COO entry points (dense-backed) ------------------------------------------

def test_sparse_coo_tensor_sums_duplicates_and_matches_torch():
    idx = np.array([[0, 1, 0, 2], [1, 2, 1, 0]], dtype=np.int32)  # gcn: edges.T from NumPy
    a = fastdl.sparse_coo_tensor(idx, fastdl.ones(4), (3, 3), dtype=fastdl.int64)
    want = np.zeros((3, 3), np.int64)
    np.add.at(want, (idx[0], idx[1]), 1)
    assert a.dtype == fastdl.int64 and np.array_equal(a.numpy(), want)
    assert a.is_sparse is False  # fastdl has no sparse layout: the values, dense
    b = fastdl.eye(3) + a  # the gcn's self-loops
    assert b.dtype == fastdl.float32 and b.to_sparse() is b and b.to_dense() is b
    assert np.allclose(fastdl.spmm(b, fastdl.ones(3, 2)).numpy(), (np.eye(3) + want) @ np.ones((3, 2)))
    assert fastdl.sparse_coo_tensor(fastdl.tensor([[0, 2]]), fastdl.tensor([5.0, 6.0])).shape == (3,)  # size inferred
    torch = pytest.importorskip("torch")
    t = torch.sparse_coo_tensor(torch.from_numpy(idx).long(), torch.ones(4), (3, 3), dtype=torch.int64,
                                check_invariants=True)
    assert np.array_equal(t.to_dense().numpy(), a.numpy())


def test_sparse_coo_tensor_grad_and_bad_inputs():
    v = fastdl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    m = fastdl.sparse_coo_tensor(fastdl.tensor([[0, 0, 1], [1, 1, 0]]), v, (2, 2))
    (m * fastdl.tensor([[10.0, 20.0], [30.0, 40.0]])).sum().backward()
    assert v.grad.tolist() == [20.0, 20.0, 30.0]
    with pytest.raises(IndexError, match="sparse_coo_tensor: indices in dim 1 span"):
        fastdl.sparse_coo_tensor(fastdl.tensor([[0], [5]]), fastdl.ones(1), (2, 2))
    with pytest.raises(ValueError, match="one row per index column"):
        fastdl.sparse_coo_tensor(fastdl.tensor([[0, 1], [1, 0]]), fastdl.ones(3), (2, 2))
    with pytest.raises(ValueError, match="2-D integer tensor"):
        fastdl.sparse_coo_tensor(fastdl.tensor([0.5, 1.0]), fastdl.ones(2), (2,))
    with pytest.raises(RuntimeError, match="spmm: expected 2-D"):
        fastdl.spmm(fastdl.ones(2), fastdl.ones(2, 2))



# ---- shared memory and torch.multiprocessing (mnist_hogwild) --------------------------

def _add_one_in_child(shared, copied):  # module level: a spawned child imports it by name
    shared.add_(1.0)
    copied.add_(1.0)


def test_share_memory_makes_a_spawned_child_write_the_parents_tensor():
    import fastdl.multiprocessing as mp
    lin = nn.Linear(2, 2)
    assert lin.share_memory() is lin and lin.weight.is_shared() and type(lin.weight) is nn.Parameter
    w = fastdl.zeros(3)
    assert w.share_memory_() is w and w.is_shared() and w.share_memory_() is w
    v = fastdl.ones(2)
    assert v.is_shared() is False
    child = mp.get_context("spawn").Process(target=_add_one_in_child, args=(w, v))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    assert w.tolist() == [1.0, 1.0, 1.0]  # the child's add_ landed in the parent's shared tensor
    assert v.tolist() == [1.0, 1.0]  # an unshared tensor travels as a copy


def test_multiprocessing_names_and_spawn():
    import fastdl.multiprocessing as mp
    assert mp.get_sharing_strategy() in mp.get_all_sharing_strategies()
    mp.set_sharing_strategy("file_descriptor")  # accepted, as torch's default on Linux
    with pytest.raises(ValueError, match="unknown strategy"):
        mp.set_sharing_strategy("nope")
    assert mp.Process is __import__("multiprocessing").Process and callable(mp.set_start_method)
    w = fastdl.zeros(2).share_memory_()
    mp.spawn(_spawn_target, args=(w,), nprocs=2)
    assert w.tolist() == [1.0, 1.0]  # each of the two processes wrote its own slot


def _spawn_target(i, w):
    w[i] = 1.0


# ---- one short script per example family, run through fastdl.torch_alias ------------

def run_aliased(tmp_path, source, *args):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(source))
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR + os.pathsep + os.environ.get("PYTHONPATH", ""))
    res = subprocess.run([sys.executable, "-m", "fastdl.torch_alias", str(script), *args], capture_output=True,
                         text=True, env=env, timeout=120, cwd=str(tmp_path))
    assert res.returncode == 0, res.stderr[-3000:]
    return [float(v) for v in res.stdout.split()[-2:]]  # each script prints "<first loss> <last loss>"


def test_mnist_style_cnn_with_adadelta_and_steplr(tmp_path):
    first, last = run_aliased(tmp_path, """
        import torch, torch.nn as nn, torch.nn.functional as F, torch.optim as optim
        from torch.optim.lr_scheduler import StepLR
        from torch.utils.data import TensorDataset
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(1, 4, 3, 1)
                self.drop = nn.Dropout(0.25)
                self.fc = nn.Linear(4 * 5 * 5, 3)
            def forward(self, x):
                x = F.max_pool2d(F.relu(self.conv1(x)), 2)
                return F.log_softmax(self.fc(torch.flatten(self.drop(x), 1)), dim=1)
        use_mps = torch.backends.mps.is_available()
        device = torch.device("mps" if use_mps else "cpu")
        torch.manual_seed(1)
        y = torch.randint(3, (96,))
        x = torch.randn(96, 1, 12, 12) * 0.3
        for k in range(3):  # class k lights up a band of rows
            x[y == k, :, 4 * k:4 * k + 4, :] += 1.0
        loader = torch.utils.data.DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
        model = Net().to(device)
        opt = optim.Adadelta(model.parameters(), lr=1.0)
        sched = StepLR(opt, step_size=1, gamma=0.7)
        losses = []
        for epoch in range(5):
            model.train()
            for data, target in loader:
                opt.zero_grad()
                loss = F.nll_loss(model(data), target)
                loss.backward()
                opt.step()
                losses.append(loss.item())
            sched.step()
        torch.save(model.state_dict(), "cnn.pt")
        model.load_state_dict(torch.load("cnn.pt"))
        print("{:.4f} {:.4f}".format(losses[0], sum(losses[-3:]) / 3))
        """)
    assert last < 0.5 * first


def test_word_language_model_style_lstm_save_load_generate(tmp_path):
    first, last = run_aliased(tmp_path, """
        import math, warnings
        import torch, torch.nn as nn, torch.nn.functional as F
        import torch.onnx
        class LM(nn.Module):
            def __init__(self, ntok):
                super().__init__()
                self.encoder = nn.Embedding(ntok, 16)
                self.rnn = nn.LSTM(16, 16, 2, dropout=0.1)
                self.decoder = nn.Linear(16, ntok)
                nn.init.uniform_(self.encoder.weight, -1.0, 1.0)
            def forward(self, x, hidden):
                out, hidden = self.rnn(self.encoder(x), hidden)
                return F.log_softmax(self.decoder(out).view(-1, self.decoder.out_features), dim=1), hidden
            def init_hidden(self, bsz):
                w = next(self.parameters())
                return (w.new_zeros(2, bsz, 16), w.new_zeros(2, bsz, 16))
        torch.manual_seed(0)
        ids = torch.tensor([0, 1, 2, 3, 4, 5] * 40).type(torch.int64)
        data = ids.narrow(0, 0, 240).view(4, -1).t().contiguous()
        model, crit, lr = LM(6), nn.CrossEntropyLoss(), 2.0
        hidden, losses = model.init_hidden(4), []
        for epoch in range(6):
            for i in range(0, data.size(0) - 1, 10):
                n = min(10, len(data) - 1 - i)
                x, y = data[i:i + n], data[i + 1:i + 1 + n].view(-1)
                hidden = tuple(h.detach() for h in hidden)
                model.zero_grad()
                out, hidden = model(x, hidden)
                loss = crit(out, y)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                for p in model.parameters():
                    p.data.add_(p.grad, alpha=-lr)
                losses.append(loss.item())
        with open("model.pt", "wb") as f:
            torch.save(model, f)
        with open("model.pt", "rb") as f:
            model = torch.load(f, weights_only=False)
        model.rnn.flatten_parameters()
        model.eval()
        hidden, inp = model.init_hidden(1), torch.randint(6, (1, 1), dtype=torch.long)
        with torch.no_grad():
            for _ in range(5):
                out, hidden = model(inp, hidden)
                idx = torch.multinomial(out.squeeze().exp(), 1)[0]
                inp.fill_(idx)
                word = torch.Tensor([[idx]]).long()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.zeros(1).add_(-lr, torch.ones(1))  # the older scripts' update
        print("{:.4f} {:.4f}".format(losses[0], losses[-1]))
        """)
    assert last < 0.5 * first


def test_transformer_language_model_style(tmp_path):
    first, last = run_aliased(tmp_path, """
        import math
        import torch, torch.nn as nn, torch.nn.functional as F
        class TLM(nn.Transformer):
            def __init__(self, ntok, d):
                super().__init__(d_model=d, nhead=2, dim_feedforward=32, num_encoder_layers=1)
                self.emb, self.dec, self.d = nn.Embedding(ntok, d), nn.Linear(d, ntok), d
            def forward(self, src):
                n = len(src)
                mask = (torch.triu(torch.ones(n, n)) == 1).transpose(0, 1)
                mask = mask.float().masked_fill(mask == 0, float('-inf')).masked_fill(mask == 1, float(0.0))
                out = self.encoder(self.emb(src) * math.sqrt(self.d), mask=mask)
                return F.log_softmax(self.dec(out), dim=-1)
        torch.manual_seed(0)
        data = torch.tensor([0, 1, 2, 3, 4] * 40).view(4, -1).t().contiguous()
        model, crit = TLM(5, 16), nn.NLLLoss()
        opt = torch.optim.SGD(model.parameters(), lr=0.5)
        losses = []
        for epoch in range(3):
            for i in range(0, data.size(0) - 1, 10):
                n = min(10, len(data) - 1 - i)
                x, y = data[i:i + n], data[i + 1:i + 1 + n].reshape(-1)
                model.zero_grad()
                loss = crit(model(x).view(-1, 5), y)
                loss.backward()
                opt.step()
                losses.append(loss.item())
        print("{:.4f} {:.4f}".format(losses[0], losses[-1]))
        """)
    assert last < 0.5 * first


def test_dcgan_style_gan_step(tmp_path):
    first, last = run_aliased(tmp_path, """
        import torch, torch.nn as nn, torch.optim as optim
        import torch.nn.parallel
        import torch.backends.cudnn as cudnn
        cudnn.benchmark = True
        def weights_init(m):
            if m.__class__.__name__.find('Conv') != -1:
                torch.nn.init.normal_(m.weight, 0.0, 0.02)
            elif m.__class__.__name__.find('BatchNorm') != -1:
                torch.nn.init.normal_(m.weight, 1.0, 0.02)
                torch.nn.init.zeros_(m.bias)
        torch.manual_seed(3)
        netG = nn.Sequential(nn.ConvTranspose2d(4, 8, 4, 1, 0, bias=False), nn.BatchNorm2d(8), nn.ReLU(True),
                             nn.ConvTranspose2d(8, 1, 4, 2, 1, bias=False), nn.Tanh())
        netD = nn.Sequential(nn.Conv2d(1, 8, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
                             nn.Conv2d(8, 1, 4, 1, 0, bias=False), nn.Sigmoid())
        netG.apply(weights_init); netD.apply(weights_init)
        crit = nn.BCELoss()
        optD = optim.Adam(netD.parameters(), lr=2e-3, betas=(0.5, 0.999))
        optG = optim.Adam(netG.parameters(), lr=2e-3, betas=(0.5, 0.999))
        real = torch.ones(16, 1, 8, 8) * 0.8
        losses = []
        for i in range(15):
            netD.zero_grad()
            label = torch.full((16,), 1, dtype=real.dtype)
            errD_real = crit(netD(real).view(-1, 1).squeeze(1), label)
            errD_real.backward()
            fake = netG(torch.randn(16, 4, 1, 1))
            label.fill_(0)
            errD_fake = crit(netD(fake.detach()).view(-1), label)
            errD_fake.backward()
            optD.step()
            netG.zero_grad()
            label.fill_(1)
            errG = crit(netD(fake).view(-1), label)
            errG.backward()
            optG.step()
            losses.append((errD_real + errD_fake).item())
        torch.save(netG.state_dict(), "netG.pth")
        netG.load_state_dict(torch.load("netG.pth"))
        print('%.4f %.4f' % (losses[0], losses[-1]))
        """)
    assert last < first


def test_reinforce_style_policy_gradient(tmp_path):
    first, last = run_aliased(tmp_path, """
        import numpy as np
        from collections import deque
        import torch, torch.nn as nn, torch.nn.functional as F, torch.optim as optim
        from torch.distributions import Categorical
        torch.manual_seed(0)
        policy = nn.Sequential(nn.Linear(2, 16), nn.Dropout(0.1), nn.ReLU(), nn.Linear(16, 2))
        opt = optim.Adam(policy.parameters(), lr=3e-2)
        eps = np.finfo(np.float32).eps.item()
        rewards_per_ep = []
        for ep in range(40):
            log_probs, rewards = [], []
            for t in range(8):  # a bandit: action 1 pays 1, action 0 pays 0
                state = torch.from_numpy(np.array([1.0, t / 8.0])).float().unsqueeze(0)
                m = Categorical(F.softmax(policy(state), dim=1))
                action = m.sample()
                log_probs.append(m.log_prob(action))
                rewards.append(float(action.item() == 1))
            returns = deque()
            R = 0
            for r in rewards[::-1]:
                R = r + 0.9 * R
                returns.appendleft(R)
            returns = torch.tensor(returns)
            returns = (returns - returns.mean()) / (returns.std() + eps)
            loss = torch.cat([-lp * r for lp, r in zip(log_probs, returns)]).sum()
            opt.zero_grad(); loss.backward(); opt.step()
            rewards_per_ep.append(sum(rewards))
        # printed as "losses": the shortfall from the best reward, early and late
        print(8 - np.mean(rewards_per_ep[:5]), 8 - np.mean(rewards_per_ep[-5:]))
        """)
    assert last < 0.5 * first


def test_time_sequence_style_lstmcell_lbfgs_double(tmp_path):
    first, last = run_aliased(tmp_path, """
        import numpy as np
        import torch, torch.nn as nn, torch.optim as optim
        x = np.arange(30)[None, :] + np.arange(0, 24, 4)[:, None]
        torch.save(np.sin(x / 4.0).astype("float64"), open("traindata.pt", "wb"))
        data = torch.from_numpy(torch.load("traindata.pt", weights_only=False))
        class Seq(nn.Module):
            def __init__(self):
                super().__init__()
                self.cell = nn.LSTMCell(1, 8)
                self.linear = nn.Linear(8, 1)
            def forward(self, inp):
                h = torch.zeros(inp.size(0), 8, dtype=torch.double)
                c = torch.zeros(inp.size(0), 8, dtype=torch.double)
                outs = []
                for x_t in inp.split(1, dim=1):
                    h, c = self.cell(x_t, (h, c))
                    outs += [self.linear(h)]
                return torch.cat(outs, dim=1)
        torch.manual_seed(0)
        seq = Seq().double()
        crit = nn.MSELoss()
        opt = optim.LBFGS(seq.parameters(), lr=0.8)
        losses = []
        for i in range(3):
            def closure():
                opt.zero_grad()
                loss = crit(seq(data[:, :-1]), data[:, 1:])
                losses.append(loss.item())
                loss.backward()
                return loss
            opt.step(closure)
        print(losses[0], losses[-1])
        """)
    assert last < 0.2 * first


def test_regression_and_vae_style_loops(tmp_path):
    first, last = run_aliased(tmp_path, """
        import torch, torch.nn.functional as F
        torch.manual_seed(0)
        W, b = torch.randn(3, 1), torch.randn(1)
        fc = torch.nn.Linear(3, 1)
        losses = []
        for i in range(150):
            x = torch.randn(32, 3)
            out = F.smooth_l1_loss(fc(x), x.mm(W) + b.item())
            fc.zero_grad(); out.backward()
            for p in fc.parameters():
                p.data.add_(-0.1 * p.grad)
            losses.append(out.item())
        desc = " ".join('{:+.2f}'.format(w) for w in fc.weight.view(-1)) + ' {:+.2f}'.format(fc.bias[0])
        assert len(desc.split()) == 4, desc
        # the vae's loss pieces
        enc, dec = torch.nn.Linear(16, 8), torch.nn.Linear(4, 16)
        opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=1e-2)
        data = (torch.rand(64, 16) > 0.5).float()
        vl = []
        for i in range(60):
            mu, logvar = enc(data).chunk(2, dim=1)
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
            recon = torch.clamp(torch.sigmoid(dec(z)), min=1e-4, max=1 - 1e-4)
            loss = F.binary_cross_entropy(recon, data, reduction='sum') \\
                - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
            opt.zero_grad(); loss.backward(); opt.step()
            vl.append(loss.item())
        assert vl[-1] < vl[0], vl
        print(losses[0], sum(losses[-5:]) / 5)
        """)
    assert last < 0.1 * first


def test_gcn_style_graph_convolution(tmp_path):
    first, last = run_aliased(tmp_path, """
        import numpy as np
        import torch, torch.nn as nn, torch.nn.functional as F
        from torch.optim import Adam
        class GraphConv(nn.Module):
            def __init__(self, i, o):
                super().__init__()
                self.kernel = nn.Parameter(torch.Tensor(i, o))
                nn.init.xavier_normal_(self.kernel)
                self.bias = nn.Parameter(torch.Tensor(o))
                nn.init.zeros_(self.bias)
            def forward(self, x, adj):
                return torch.spmm(adj, torch.mm(x, self.kernel)) + self.bias
        g = np.random.RandomState(0)
        V, C = 60, 3
        y = g.randint(0, C, V)
        edges = np.array([[a, g.choice(np.flatnonzero(y == y[a]))] for a in g.randint(0, V, 150)], dtype=np.int32)
        adj = torch.eye(V) + torch.sparse_coo_tensor(edges.T, torch.ones(len(edges)), (V, V), dtype=torch.int64)
        d = torch.diag(torch.sqrt(1 / torch.sum(adj, dim=1))).to_sparse()
        adj = (d @ adj @ d).to_sparse()
        feats = torch.FloatTensor((g.rand(V, 8) < 0.2 + 0.5 * (np.arange(8) % C == y[:, None])).astype(np.int32))
        labels = torch.LongTensor(y)
        torch.manual_seed(0)
        gc1, gc2 = GraphConv(8, 16), GraphConv(16, C)
        opt = Adam(list(gc1.parameters()) + list(gc2.parameters()), lr=0.05, weight_decay=5e-4)
        losses = []
        for epoch in range(40):
            out = F.log_softmax(gc2(F.dropout(F.relu(gc1(feats, adj)), 0.2), adj), dim=1)
            loss = nn.NLLLoss()(out, labels)
            opt.zero_grad(); loss.backward(); opt.step()
            losses.append(loss.item())
        print(losses[0], losses[-1])
        """)
    assert last < 0.5 * first


def test_hogwild_style_spawned_workers_train_one_model(tmp_path):
    (tmp_path / "worker.py").write_text(textwrap.dedent("""
        import torch, torch.nn.functional as F
        def train(rank, model, x, y):
            torch.manual_seed(rank)
            # lr 0.2: two workers stepping on the same weights at once add their steps, and
            # at 0.5 (curvature ~2-3 here) that sum could overshoot and diverge (a CI run did)
            opt = torch.optim.SGD(model.parameters(), lr=0.2)
            for _ in range(30):
                opt.zero_grad()
                F.mse_loss(model(x), y).backward()
                opt.step()
        """))
    first, last = run_aliased(tmp_path, """
        import torch, torch.nn as nn, torch.nn.functional as F
        import torch.multiprocessing as mp
        from worker import train
        if __name__ == "__main__":
            torch.manual_seed(0)
            x = torch.randn(32, 3)
            y = x @ torch.tensor([[1.0], [-2.0], [0.5]])
            model = nn.Linear(3, 1)
            before = F.mse_loss(model(x), y).item()
            mp.set_start_method("spawn", force=True)
            model.share_memory()
            procs = [mp.Process(target=train, args=(r, model, x, y)) for r in range(2)]
            for p in procs: p.start()
            for p in procs: p.join()
            assert all(p.exitcode == 0 for p in procs)
            print(before, F.mse_loss(model(x), y).item())  # the parent's model learned in the workers
        """)
    assert last < 0.05 * first


def test_mnist_rnn_and_forward_forward_styles(tmp_path):
    first, last = run_aliased(tmp_path, """
        import warnings
        warnings.simplefilter("ignore")  # Dropout2d on 2-D input warns, as in torch
        import torch, torch.nn as nn, torch.nn.functional as F, torch.optim as optim
        torch.manual_seed(0)
        class Net(nn.Module):  # mnist_rnn: the last LSTM step, BatchNorm1d, Dropout2d
            def __init__(self):
                super().__init__()
                self.rnn = nn.LSTM(input_size=6, hidden_size=16, batch_first=True)
                self.bn, self.drop, self.fc = nn.BatchNorm1d(16), nn.Dropout2d(0.1), nn.Linear(16, 3)
            def forward(self, x):
                out, _ = self.rnn(x.reshape(-1, 6, 6))
                return F.log_softmax(self.fc(self.drop(self.bn(out[:, -1, :]))), dim=1)
        y = torch.randint(3, (48,))
        x = torch.randn(48, 1, 6, 6) * 0.2 + y.view(-1, 1, 1, 1).float()
        model = Net()
        opt = optim.Adadelta(model.parameters(), lr=1.0)
        losses = []
        for step in range(25):
            opt.zero_grad()
            loss = F.nll_loss(model(x), y)
            loss.backward(); opt.step()
            losses.append(loss.item())
        # forward-forward: labels written into the input, a layer trained on its own goodness
        flat = x.view(48, -1).clone()
        def overlay(x, y):
            x_ = x.clone()
            x_[:, :3] *= 0.0
            x_[range(x.shape[0]), y] = x.max()
            return x_
        neg = overlay(flat, (y + 1) % 3)
        pos = overlay(flat, y)
        layer = nn.Linear(36, 20)
        ffopt = optim.Adam(layer.parameters(), lr=0.03)
        ff = []
        for i in range(20):
            g = lambda v: F.relu(torch.mm(v / (v.norm(2, 1, keepdim=True) + 1e-4), layer.weight.T)
                                 + layer.bias.unsqueeze(0)).pow(2).mean(1)
            l = torch.log1p(torch.exp(torch.cat([-g(pos) + 2.0, g(neg) - 2.0]))).mean()
            ffopt.zero_grad(); l.backward(); ffopt.step()
            ff.append(l.item())
        assert ff[-1] < ff[0], ff
        print(losses[0], losses[-1])
        """)
    assert last < 0.5 * first


def test_super_resolution_style_and_imagenet_checkpoint(tmp_path):
    first, last = run_aliased(tmp_path, """
        import torch, torch.nn as nn, torch.nn.init as init
        from torch.optim.lr_scheduler import StepLR
        torch.manual_seed(0)
        class SR(nn.Module):  # super_resolution: PixelShuffle, orthogonal init; fast_neural_style's layers
            def __init__(self, r=2):
                super().__init__()
                self.pad = nn.ReflectionPad2d(1)
                self.conv1 = nn.Conv2d(1, 8, 3)
                self.norm = nn.InstanceNorm2d(8, affine=True)
                self.conv2 = nn.Conv2d(8, r * r, 3, 1, 1)
                self.shuffle = nn.PixelShuffle(r)
                init.orthogonal_(self.conv1.weight, init.calculate_gain('relu'))
                init.orthogonal_(self.conv2.weight)
            def forward(self, x):
                return self.shuffle(self.conv2(torch.relu(self.norm(self.conv1(self.pad(x))))))
        def gram(y):
            b, ch, h, w = y.size()
            f = y.view(b, ch, w * h)
            return f.bmm(f.transpose(1, 2)) / (ch * h * w)
        yy, xx = torch.meshgrid(torch.linspace(0, 1, 12), torch.linspace(0, 1, 12), indexing="ij")
        hi = torch.stack([torch.sin(6 * (a * xx + (1 - a) * yy)) for a in torch.linspace(0, 1, 8)]).unsqueeze(1)
        lo = nn.Upsample(scale_factor=0.5, mode='nearest')(hi)
        model = SR()
        opt = torch.optim.SGD(model.parameters(), 0.05, momentum=0.9, weight_decay=1e-4)
        sched = StepLR(opt, step_size=30, gamma=0.1)
        crit = nn.MSELoss()
        losses = []
        for step in range(40):
            opt.zero_grad()
            out = model(lo)
            loss = crit(out, hi) + 0.1 * crit(gram(out), gram(hi))
            loss.backward(); opt.step(); sched.step()
            losses.append(loss.item())
        torch.save(model, "sr.pth")  # the whole module, as super_resolution's checkpoint()
        again = torch.load("sr.pth", weights_only=False)
        assert torch.equal(again(lo), model(lo))
        # imagenet: a checkpoint dict with optimizer and scheduler state, top-k accuracy, meters
        acc = (model(lo).flatten(1).topk(3, 1, True, True)[1].t().eq(torch.zeros(1, 8, dtype=torch.long))
               [:1].reshape(-1).float().sum(0, keepdim=True).mul_(100.0 / 8))
        torch.save({'epoch': 2, 'state_dict': model.state_dict(), 'best_acc1': acc[0],
                    'optimizer': opt.state_dict(), 'scheduler': sched.state_dict()}, "checkpoint.pth.tar")
        ck = torch.load("checkpoint.pth.tar")
        m2 = SR()
        m2.load_state_dict(ck['state_dict'])
        opt2 = torch.optim.SGD(m2.parameters(), 0.05, momentum=0.9)
        opt2.load_state_dict(ck['optimizer'])
        s2 = StepLR(opt2, step_size=30, gamma=0.1)
        s2.load_state_dict(ck['scheduler'])
        assert s2.last_epoch == 40 and abs(opt2.param_groups[0]['lr'] - 0.005) < 1e-9
        line = '{name} {val:6.2f} ({avg:6.2f})'.format(name='Acc@1', val=ck['best_acc1'], avg=ck['best_acc1'] / 1)
        assert line.startswith('Acc@1'), line
        print(losses[0], losses[-1])
        """)
    assert last < 0.5 * first


def test_translation_and_vit_styles(tmp_path):
    first, last = run_aliased(tmp_path, """
        import torch, torch.nn as nn
        from torch.hub import tqdm
        torch.manual_seed(0)
        PAD = 1
        def square_mask(n):
            m = (torch.triu(torch.ones((n, n))) == 1).transpose(0, 1)
            return m.float().masked_fill(m == 0, float('-inf')).masked_fill(m == 1, float(0.0))
        # language_translation: nn.Transformer with every mask, reversing short padded sequences
        src = torch.tensor([[2, 4, 5, 6, 3, 1], [2, 7, 8, 3, 1, 1], [2, 5, 4, 7, 8, 3], [2, 6, 7, 3, 1, 1]]).t()
        tgt = torch.tensor([[2, 6, 5, 4, 3, 1], [2, 8, 7, 3, 1, 1], [2, 8, 7, 4, 5, 3], [2, 7, 6, 3, 1, 1]]).t()
        emb_s, emb_t = nn.Embedding(9, 16), nn.Embedding(9, 16)
        tr = nn.Transformer(d_model=16, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=32,
                            dropout=0.0)
        ff = nn.Linear(16, 9)
        params = [*emb_s.parameters(), *emb_t.parameters(), *tr.parameters(), *ff.parameters()]
        opt = torch.optim.Adam(params, lr=3e-3, betas=(0.9, 0.98), eps=1e-9)
        loss_fn = nn.CrossEntropyLoss(ignore_index=PAD)
        losses = []
        for step in tqdm(range(30), disable=True):
            tin = tgt[:-1, :]
            src_mask = torch.zeros((src.shape[0], src.shape[0])).type(torch.bool)
            logits = ff(tr(emb_s(src), emb_t(tin), src_mask, square_mask(tin.shape[0]), None,
                           (src == PAD).transpose(0, 1), (tin == PAD).transpose(0, 1), (src == PAD).transpose(0, 1)))
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), tgt[1:, :].reshape(-1))
            opt.zero_grad(); loss.backward(); opt.step()
            losses.append(loss.item())
        # vision_transformer: unfold into patches, MultiheadAttention over them
        img = torch.randn(2, 3, 8, 8)
        patches = img.unfold(2, 4, 4).unfold(3, 4, 4).permute(0, 2, 3, 1, 4, 5).contiguous().view(2, 4, -1)
        proj, mha = nn.Linear(48, 16), nn.MultiheadAttention(16, 2, dropout=0.1)
        h = nn.LayerNorm(16)(proj(patches))
        out = nn.GELU()(mha(h, h, h)[0])
        assert tuple(out.shape) == (2, 4, 16)
        print(losses[0], losses[-1])
        """)
    assert last < 0.5 * first
