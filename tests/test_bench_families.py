"""bench/bench_families.py: every family's PyTorch twin computes what its fastdl model
computes, and a tiny run writes the JSON (no timing assertions: speed is measured in bench/)."""
import json
import os
import sys

import pytest

import fastdl
from fastdl.models import FAMILIES

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bench"))
import bench_families  # noqa: E402


@pytest.fixture
def keep_threads():
    """main() sets fastdl's (and torch's) thread count: restore them for the other tests."""
    torch = sys.modules.get("torch")
    saved = fastdl.get_num_threads(), torch.get_num_threads() if torch else None
    yield
    fastdl.set_num_threads(saved[0])
    if torch:
        torch.set_num_threads(saved[1])


def test_every_family_has_a_benchmark():
    assert set(bench_families.BENCHES) == set(FAMILIES)


@pytest.mark.parametrize("name", list(FAMILIES))
def test_twin_matches_the_fastdl_model(name):
    torch = pytest.importorskip("torch")
    _, sides = bench_families.prepare(name, torch)
    fd, tt = sides["fastdl"], sides["torch"]
    for k in fd.opts:  # the same parameters are trained (frozen ones stay frozen)
        assert ([p.shape for g in fd.opts[k].param_groups for p in g["params"]]
                == [tuple(p.shape) for g in tt.opts[k].param_groups for p in g["params"]])
    err, finite = bench_families.check(sides)
    assert err <= bench_families.TOL
    assert finite


def test_check_detects_a_twin_with_other_weights():
    torch = pytest.importorskip("torch")
    _, sides = bench_families.prepare("cnn", torch)
    with torch.no_grad():
        sides["torch"].models["net"].head.weight.add_(0.1)
    err, _ = bench_families.check(sides)
    assert err > bench_families.TOL


def test_twin_rejects_a_layer_it_does_not_know():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="no twin for fastdl.nn.GELU"):
        bench_families.torch_twin(fastdl.nn.Sequential(fastdl.nn.Linear(2, 2), fastdl.nn.GELU()), torch)


def test_fastdl_only_run_writes_json(tmp_path, keep_threads):
    path = tmp_path / "families.json"
    record = bench_families.main(["--families", "mlp,ppo", "--quick", "--no-torch", "--threads", "1",
                                  "--json", str(path)])
    assert json.loads(path.read_text()) == json.loads(json.dumps(record))
    assert record["torch"] is None and record["threads"] == 1 and len(record["load_before"]) == 3
    assert [r["family"] for r in record["results"]] == ["mlp", "ppo"]
    for row in record["results"]:
        assert row["valid"] and row["fastdl_ms"] > 0 and "vs_torch" not in row


def test_run_with_torch_reports_the_ratio(tmp_path, keep_threads):
    torch = pytest.importorskip("torch")
    record = bench_families.main(["--families", "reinforce", "--quick", "--threads", "1",
                                  "--json", str(tmp_path / "f.json")])
    row = record["results"][0]
    assert record["torch"] == torch.__version__ and row["valid"] and row["rounds"] == 7
    assert row["vs_torch"]["min"] <= row["vs_torch"]["median"] <= row["vs_torch"]["max"]
    assert "| reinforce |" in bench_families.format_row(row)


def test_unknown_family_is_rejected(capsys):
    with pytest.raises(SystemExit):
        bench_families.main(["--families", "mlp,nope"])
    assert "unknown families nope" in capsys.readouterr().err
