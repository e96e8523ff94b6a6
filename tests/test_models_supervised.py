"""The supervised model families (cnn, cnn1d, lstm/gru, transfer) learn on a small
budget, resume from a checkpoint, and reject a wrong or corrupted one."""
import json
import os

import pytest

import fastdl
from fastdl.cli import main


def _digits():
    pytest.importorskip("sklearn", reason="scikit-learn provides the digits data")
    from fastdl.models import cnn
    return cnn.load_digits_tensors()


def test_cnn_learns_digits():
    from fastdl.models import cnn
    data = _digits()
    fastdl.manual_seed(0)
    model = cnn.DigitsCNN(8)
    acc = cnn.fit(model, data, epochs=2, lr=1e-2)
    assert acc > 0.85  # chance is 0.1


def test_random_shift_moves_each_image_by_at_most_one_pixel():
    from fastdl.models import cnn
    x = fastdl.zeros(64, 1, 8, 8)
    x[:, :, 4, 4] = 1.0
    out = cnn.random_shift(x, 1).numpy()
    assert out.shape == (64, 1, 8, 8)
    assert (out.sum(axis=(1, 2, 3)) == 1).all()
    rows, cols = out[:, 0].nonzero()[1:]
    assert set(rows) <= {3, 4, 5} and set(cols) <= {3, 4, 5}
    assert len(set(zip(rows, cols))) > 3  # per-image offsets, not one shift for the batch


def test_cnn_cli_resume_continues_history(tmp_path, capsys):
    _digits()
    out = str(tmp_path / "run")
    assert main(["train", "cnn", "--epochs", "1", "--out", out, "--quiet"]) == 0
    assert main(["train", "cnn", "--epochs", "2", "--resume", out, "--out", out, "--quiet"]) == 0
    assert "test_accuracy" in capsys.readouterr().out
    with open(os.path.join(out, "metrics.json")) as f:
        history = json.load(f)["history"]
    assert [h["epoch"] for h in history] == [1, 2]
    assert history[1]["test_accuracy"] > 0.5


def test_resume_rejects_wrong_family_and_corrupted_checkpoint(tmp_path, capsys):
    from fastdl.models import cnn
    from fastdl.models._run import Run
    out = str(tmp_path / "run")
    path = Run("cnn", cnn.DEFAULTS, out_dir=out).checkpoint({"model": cnn.DigitsCNN(4).state_dict(), "epoch": 1})
    assert main(["train", "transfer", "--resume", out, "--quiet"]) == 2
    assert "holds a 'cnn' checkpoint, not 'transfer'" in capsys.readouterr().err
    with open(path, "rb") as f:
        blob = f.read()
    with open(path, "wb") as f:
        f.write(blob[:len(blob) // 2])  # a checkpoint cut short, as by a full disk
    with pytest.raises(ValueError, match="load: .*checkpoint.safetensors"):
        Run("cnn", cnn.DEFAULTS).resume(out)
