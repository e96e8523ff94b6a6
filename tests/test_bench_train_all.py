"""bench/train_all.py: runs the CLI per family in a subprocess and records what metrics.json says."""
import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bench"))
import train_all  # noqa: E402


def test_a_tiny_run_writes_json_and_table(tmp_path, capsys):
    pytest.importorskip("sklearn")
    rc = train_all.main(["--families", "mlp", "--epochs", "1", "--threads", "1", "--out", str(tmp_path)])
    assert rc == 0
    with open(tmp_path / "train_all.json") as f:
        record = json.load(f)
    (row,) = record["rows"]
    assert row["family"] == "mlp" and row["returncode"] == 0 and row["threads"] == 1
    assert row["wall_s"] > 0 and row["train_s"] > 0
    assert 0.0 <= row["summary"]["test_accuracy"] <= 1.0
    assert (tmp_path / "mlp" / "metrics.json").exists()
    out = capsys.readouterr().out
    assert "| mlp |" in out and "test_accuracy" in out


def test_headline_keeps_short_figures_only():
    line = train_all.headline({"acc": 0.98765, "env": "CartPole-v1", "sample": "x" * 100, "steps": 5})
    assert line == "acc 0.9877, env CartPole-v1, steps 5"


def test_unknown_family_is_an_error(tmp_path):
    with pytest.raises(SystemExit):
        train_all.main(["--families", "nope", "--out", str(tmp_path)])
