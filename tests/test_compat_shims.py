"""fastdl.compile, fastdl.jit, fastdl.random, fastdl.utils.hooks: torch's names and
signatures, honest no-op behaviour, and lazy loading (import fastdl does not load them)."""
import inspect
import subprocess
import sys

import numpy as np
import pytest

import fastdl
import fastdl.nn as nn


def test_compile_returns_model_in_every_form():
    m = nn.Linear(2, 2)
    assert fastdl.compile(m) is m
    assert fastdl.compile(m, mode="max-autotune", fullgraph=True, dynamic=False) is m

    def f(x):
        return x * 2
    assert fastdl.compile(f) is f

    @fastdl.compile
    def g(x):
        return x + 1

    @fastdl.compile(backend="eager", disable=True)
    def h(x):
        return x - 1
    assert g(fastdl.ones(1)).item() == 2.0 and h(fastdl.ones(1)).item() == 0.0
    assert g.__name__ == "g" and h.__name__ == "h"
    with pytest.raises(RuntimeError, match="Either mode or options"):
        fastdl.compile(m, mode="default", options={})
    with pytest.raises(RuntimeError, match="Unrecognized mode"):
        fastdl.compile(m, mode="fastest")
    with pytest.raises(RuntimeError, match="Invalid type for model"):
        fastdl.compile(3)


def test_compile_signature_matches_torch():
    torch = pytest.importorskip("torch")
    ours = inspect.signature(fastdl.compile).parameters
    theirs = inspect.signature(torch.compile).parameters
    assert list(ours) == list(theirs)
    assert all(ours[k].kind == theirs[k].kind for k in ours)


def test_jit():
    m = nn.Linear(2, 2)
    assert fastdl.jit.script(m) is m
    f = lambda x: x.exp()  # noqa: E731
    assert fastdl.jit.trace(f, (fastdl.ones(2),)) is f
    assert fastdl.jit.trace(m, fastdl.ones(1, 2)) is m
    assert fastdl.jit.is_scripting() is False and fastdl.jit.is_tracing() is False

    @fastdl.jit.ignore
    def a(x):
        return x

    @fastdl.jit.ignore(drop=True)
    def b(x):
        return x
    assert a(1) == 1 and b(2) == 2
    assert fastdl.jit.unused(a) is a and fastdl.jit.export(b) is b
    assert fastdl.jit.wait(fastdl.jit.fork(lambda x: x + 1, 1)) == 2
    with pytest.raises(NotImplementedError, match="fastdl.save"):
        fastdl.jit.save(m, "x.pt")
    with pytest.raises(NotImplementedError, match="fastdl.save"):
        fastdl.jit.load("x.pt")
    with pytest.raises(TypeError, match="trace"):
        fastdl.jit.trace(3)


def test_random_module():
    import fastdl.random as R
    assert fastdl.random is R
    R.manual_seed(5)
    assert R.initial_seed() == 5
    a = fastdl.rand(4)
    state = R.get_rng_state()
    b = fastdl.rand(4)
    R.set_rng_state(state)
    assert np.array_equal(fastdl.rand(4).numpy(), b.numpy()) and not np.array_equal(a.numpy(), b.numpy())
    R.manual_seed(5)
    with R.fork_rng():
        fastdl.rand(10)
    assert np.array_equal(fastdl.rand(4).numpy(), a.numpy())
    R.manual_seed(5)
    with pytest.raises(KeyError):
        with R.fork_rng(devices=[]):
            fastdl.rand(3)
            raise KeyError("restored even so")
    assert np.array_equal(fastdl.rand(4).numpy(), a.numpy())
    R.manual_seed(5)
    with R.fork_rng(enabled=False):
        fastdl.rand(4)
    assert not np.array_equal(fastdl.rand(4).numpy(), a.numpy())
    s = R.seed()
    assert R.initial_seed() == s
    with pytest.raises(TypeError, match="devices"):
        with R.fork_rng(devices=3):
            pass


def test_random_names_match_torch():
    torch = pytest.importorskip("torch")
    for name in ("manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state", "fork_rng"):
        assert hasattr(torch.random, name) and hasattr(fastdl.random, name)
    assert list(inspect.signature(fastdl.random.fork_rng).parameters) == \
        list(inspect.signature(torch.random.fork_rng).parameters)


def test_removable_handle():
    from fastdl.utils.hooks import RemovableHandle
    m = nn.Linear(2, 2)
    calls = []
    h = m.register_forward_hook(lambda *a: calls.append(1))
    assert isinstance(h, RemovableHandle)
    with h:
        m(fastdl.ones(1, 2))
    m(fastdl.ones(1, 2))
    assert calls == [1]


def test_optional_modules_stay_lazy():
    code = ("import sys, fastdl; mods = [m for m in ('fastdl.func', 'fastdl.jit', 'fastdl.utils', "
            "'fastdl.utils.checkpoint', 'fastdl.nn.utils.prune', 'fastdl.nn.utils.stateless') if m in sys.modules]; "
            "print(mods); import fastdl.utils.checkpoint, fastdl.nn.utils.prune; "
            "assert fastdl.utils.checkpoint.checkpoint and fastdl.nn.utils.prune.l1_unstructured; "
            "assert fastdl.func.functional_call and fastdl.nn.utils.stateless.functional_call")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=None, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
