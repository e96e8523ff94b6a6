"""`fastdl bench --device cuda` (fastdl.gpu_bench) on a machine without a GPU: the command
fails with a clear message, the layer benchmark's logic runs end to end in its CPU
dry run, and bench/gpu_*.py (what bench/gpu_check.sh runs) reach the package's mains.
The timed GPU runs themselves happen only on the GPU machine (bench/gpu_check.sh)."""
import importlib.util
import json
import os

import pytest

import fastdl
from fastdl import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.skipif(fastdl.cuda.is_available(), reason="a GPU is present: the command would run")
def test_cuda_bench_without_gpu_fails_clearly(capsys, tmp_path):
    out = tmp_path / "gpu.json"
    assert cli.main(["bench", "--device", "cuda", "--json", str(out)]) == 2
    err = capsys.readouterr().err
    assert "fastdl bench --device cuda" in err and "is_available() is False" in err
    assert not out.exists()


def test_bench_rejects_unknown_device(capsys):
    assert cli.main(["bench", "--device", "tpu"]) == 2
    assert "--device must be cpu or cuda, got 'tpu'" in capsys.readouterr().err


def test_layers_dry_run_runs_every_case_and_validates(capsys):
    pytest.importorskip("torch")
    from fastdl.gpu_bench import layers

    result = layers.measure(dry_run=True, reps=1)
    cases = [r["case"] for r in result["rows"]]
    assert result["dry_run"] is True
    for name in ("conv2d 1->32 3x3 im2col", "conv2d 32->64 3x3 implicit_gemm", "max_pool2d 2x2 fwd",
                 "LSTM layer f+b", "train step MNIST CNN (Adam)"):
        assert name in cases
    timed = [r for r in result["rows"] if r.get("fastdl_ms") is not None]
    assert timed and all(r["fastdl_ms"] > 0 and r["torch_ms"] > 0 for r in timed)
    json.dumps(result)  # what main prints after RESULT


@pytest.mark.parametrize("name", ["gemm", "elementwise", "layers"])
def test_gpu_check_scripts_call_the_package(name):
    path = os.path.join(ROOT, "bench", f"gpu_{name}.py")
    spec = importlib.util.spec_from_file_location(f"gpu_{name}_script", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)  # not __main__: defines, does not run
    package = importlib.import_module(f"fastdl.gpu_bench.{name}")
    assert script.main is package.main
