"""fastdl.data / utils / distributions / special / func and fastdl.optim.lr_scheduler load on first use
(fastdl/_lazy.py), and every way of reaching them works. Fresh interpreters: the test
process has imported them already."""
import os
import subprocess
import sys

import fastdl

LAZY = ["fastdl.data", "fastdl.utils", "fastdl.distributions", "fastdl.special", "fastdl.func", "fastdl.optim.lr_scheduler"]


def run(code):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_not_imported_by_import_fastdl():
    loaded = run(f"import sys, fastdl; print(*[m in sys.modules for m in {LAZY!r}])")
    assert loaded == ["False"] * len(LAZY)


def test_reached_by_attribute_import_and_from():
    got = run("import fastdl; a = fastdl.optim.lr_scheduler.StepLR; b = fastdl.distributions.Normal;"
              "c = fastdl.data.DataLoader; d = fastdl.utils.data.DataLoader;"
              "from fastdl.optim.lr_scheduler import StepLR; import fastdl.distributions as D;"
              "from fastdl.optim import *; e = fastdl.special.ndtr; from fastdl.special import ndtr;"
              "print(a is StepLR, b is D.Normal, c is d, lr_scheduler is fastdl.optim.lr_scheduler, e is ndtr)")
    assert got == ["True"] * 5


def test_dir_and_missing_attribute():
    assert {"data", "utils", "distributions", "special"} <= set(dir(fastdl))
    assert "lr_scheduler" in dir(fastdl.optim)
    try:
        fastdl.no_such_thing
    except AttributeError as e:
        assert "no_such_thing" in str(e)
    else:
        raise AssertionError("expected AttributeError")
