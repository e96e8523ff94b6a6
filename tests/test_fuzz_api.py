"""A small sample of tests/fuzz_api.py's crash / hang fuzzing in every mode (the full run,
over 400k calls, takes ~1 h: see that file). Each fuzzed name runs in its own process; a
Python exception from a bad call is expected, a dead or hung process fails the test."""
import os
import subprocess
import sys

import pytest

FUZZ = os.path.join(os.path.dirname(__file__), "fuzz_api.py")


@pytest.mark.parametrize("mode,names", [
    ("positional", ["conv2d", "matmul", "cat", "arange", "gather"]),
    ("keywords", ["softmax", "sum", "interpolate"]),
    ("methods", ["view", "__getitem__", "index_add_"]),
    ("grad", ["conv2d", "layer_norm", "max_pool2d", "cross_entropy"]),
    ("classes", ["Conv2d", "LSTM", "ASGD", "StepLR"]),
])
def test_fuzz_sample_neither_crashes_nor_hangs(mode, names):
    r = subprocess.run([sys.executable, FUZZ, "--modes", mode, "--only", *names, "--combos", "12",
                        "--timeout", "120"], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 crashed or hung" in r.stdout
