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

PYTHON_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python")


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


def test_backend_flags_match_torch_defaults():
    torch = pytest.importorskip("torch")
    for name in ("enabled", "deterministic", "allow_tf32"):
        assert getattr(fastdl.backends.cudnn, name) == getattr(torch.backends.cudnn, name), name


def test_onnx_export_refuses_by_name():
    assert fastdl.onnx.is_in_onnx_export() is False
    with pytest.raises(NotImplementedError, match="fastdl.onnx.export.*Linear"):
        fastdl.onnx.export(nn.Linear(2, 2), (fastdl.zeros(1, 2),), "m.onnx")


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
