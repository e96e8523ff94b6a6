"""The spine's done-when: fit an MLP with hand-written SGD on scikit-learn's digits."""
import pytest

import fastdl

pytest.importorskip("sklearn", reason="scikit-learn (the test extra) provides the digits data")


def test_mlp_learns_digits():
    from fastdl.models import mlp
    result = mlp.train(epochs=8, lr=0.1, seed=0, log=None)
    hist = result["history"]
    assert hist[-1]["loss"] < hist[0]["loss"] * 0.5
    assert result["test_accuracy"] > 0.9  # chance is 0.1


def test_cli_reports_accuracy(capsys):
    from fastdl.cli import main
    assert main(["train", "mlp", "--epochs", "2"]) == 0
    assert "test accuracy" in capsys.readouterr().out
