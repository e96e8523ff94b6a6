"""`python -m fastdl.torch_alias script.py`: an unedited PyTorch script runs on fastdl."""
import os
import subprocess
import sys
import textwrap

import pytest

import fastdl

# the folder holding the fastdl this test imported (python/ in a dev tree, site-packages when installed)
PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(fastdl.__file__)))


def run_aliased(tmp_path, source, *args, runner=("-m", "fastdl.torch_alias")):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(source))
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, *runner, str(script), *args], capture_output=True,
                          text=True, env=env, timeout=120, cwd=str(tmp_path))


def test_a_torch_training_script_runs_on_fastdl(tmp_path):
    (tmp_path / "helper_mod.py").write_text("SCALE = 2.0\n")  # a sibling module: the script's folder is on sys.path
    res = run_aliased(tmp_path, """
        import sys
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        from torch.utils.data import DataLoader, TensorDataset
        from torch import optim
        import helper_mod
        import fastdl
        assert torch is fastdl and F is fastdl.nn.functional and nn.Linear is fastdl.nn.Linear
        assert sys.argv[1:] == ["--epochs", "3"], sys.argv
        torch.manual_seed(0)
        x = torch.randn(64, 4)
        y = (x.sum(1) > 0).long()
        model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
        opt = optim.Adam(model.parameters(), lr=1e-2 * helper_mod.SCALE)
        losses = []
        for epoch in range(int(sys.argv[2])):
            for xb, yb in DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True):
                opt.zero_grad()
                loss = F.cross_entropy(model(xb), yb)
                loss.backward()
                opt.step()
                losses.append(loss.item())
        print("first", losses[0], "last", losses[-1], "name", __name__)
        """, "--epochs", "3")
    assert res.returncode == 0, res.stderr
    words = res.stdout.split()
    assert words[-1] == "__main__"
    assert float(words[3]) < float(words[1])  # it learned


def test_a_missing_torch_module_names_both(tmp_path):
    res = run_aliased(tmp_path, "import torch.no_such_module\n")
    assert res.returncode != 0
    assert "'torch.no_such_module'" in res.stderr and "'fastdl.no_such_module'" in res.stderr


def test_help_without_a_script():
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR + os.pathsep + os.environ.get("PYTHONPATH", ""))
    res = subprocess.run([sys.executable, "-m", "fastdl.torch_alias"], capture_output=True, text=True, env=env,
                         timeout=60)
    assert res.returncode == 2 and "python -m fastdl.torch_alias script.py" in res.stdout


def test_install_wins_over_a_real_torch_and_uninstall_restores(tmp_path):
    pytest.importorskip("torch")
    res = run_aliased(tmp_path, """
        import torch as real
        import fastdl, fastdl.torch_alias as alias
        assert real is not fastdl
        alias.install()
        import torch
        assert torch is fastdl
        alias.uninstall()
        import torch
        assert torch is not fastdl and torch.__name__ == "torch"
        print("ok")
        """, runner=())
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr
