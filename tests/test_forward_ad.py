"""fastdl.autograd.forward_ad (torch's dual-tensor API): tangents read by unpack_dual are
Jacobian-vector products, checked against central differences and torch's forward AD."""
import os
import subprocess
import sys

import numpy as np
import pytest

import fastdl
import fastdl.autograd.forward_ad as fwAD
import fastdl.nn.functional as F


def _t(a, grad=False):
    return fastdl.tensor(np.asarray(a, np.float64), requires_grad=grad)


def _fd_jvp(f, xs, vs, eps=1e-6):
    plus = f(*[x + eps * v for x, v in zip(xs, vs)])
    minus = f(*[x - eps * v for x, v in zip(xs, vs)])
    return (plus - minus) / (2 * eps)


def _model(x, w, b):
    return (fastdl.tanh(x @ w + b) * x.sum(1, keepdim=True)).softmax(-1)


def test_tangent_is_the_jvp():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal(5)
    vx, vw = rng.standard_normal((4, 3)), rng.standard_normal((3, 5))
    with fwAD.dual_level():
        dx = fwAD.make_dual(_t(x), _t(vx))
        dw = fwAD.make_dual(_t(w), _t(vw))
        y = _model(dx, dw, _t(b))
        primal, tangent = fwAD.unpack_dual(y)
    ref = _fd_jvp(lambda a, c: _model(_t(a), _t(c), _t(b)).numpy(), [x, w], [vx, vw])
    np.testing.assert_allclose(tangent.numpy(), ref, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(primal.numpy(), _model(_t(x), _t(w), _t(b)).numpy(), rtol=1e-15)
    assert not primal.requires_grad


def test_matches_torch_forward_ad_through_layers():
    torch = pytest.importorskip("torch")
    import torch.autograd.forward_ad as tfwAD
    rng = np.random.default_rng(1)
    x, v = rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((2, 3, 6, 6))
    w = rng.standard_normal((4, 3, 3, 3))

    def f(lib, fn, X):
        h = fn.conv2d(X, lib.tensor(w), padding=1)
        h = fn.max_pool2d(fn.gelu(fn.layer_norm(h, (6, 6))), 2)
        return fn.log_softmax(h.flatten(1), -1)

    with fwAD.dual_level():
        _, tangent = fwAD.unpack_dual(f(fastdl, F, fwAD.make_dual(_t(x), _t(v))))
    import torch.nn.functional as TF
    with tfwAD.dual_level():
        _, ref = tfwAD.unpack_dual(f(torch, TF, tfwAD.make_dual(torch.tensor(x), torch.tensor(v))))
    np.testing.assert_allclose(tangent.numpy(), ref.numpy(), rtol=1e-9, atol=1e-11)


def test_unpacking_duals_and_independent_tensors():
    with fwAD.dual_level():
        v = _t([1.0, 2.0])
        d = fwAD.make_dual(_t([3.0, 4.0]), v)
        p, t = fwAD.unpack_dual(d)
        assert t is v or np.array_equal(t.numpy(), v.numpy())
        np.testing.assert_array_equal(p.numpy(), [3.0, 4.0])
        assert fwAD.unpack_dual(_t([5.0])).tangent is None  # no dual behind it
        _, t = fwAD.unpack_dual(d * 0 + 7)  # constant in the dual: a zero tangent
        np.testing.assert_array_equal(t.numpy(), [0.0, 0.0])
        assert fwAD.unpack_dual((d > 3).long()).tangent is None  # not differentiable
    assert fwAD.unpack_dual(d).tangent is None  # the level is closed


def test_reverse_mode_still_reaches_the_primal():
    x = _t([0.5, -1.0], grad=True)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, _t([1.0, 0.0]))
        y = (d * d).sum()
        _, t = fwAD.unpack_dual(y)
        assert t.item() == pytest.approx(1.0)  # 2 * 0.5 * 1
        y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, -2.0])


def test_levels_and_errors():
    with pytest.raises(RuntimeError, match="no forward AD level"):
        fwAD.make_dual(_t([1.0]), _t([1.0]))
    with fwAD.dual_level() as level:
        assert level == 0
        with pytest.raises(RuntimeError, match=r"size \[2\].*size \[1\]"):
            fwAD.make_dual(_t([1.0]), _t([1.0, 2.0]))
        # torch takes a tangent of another floating dtype (fastdl casts it to the primal's)
        assert fwAD.unpack_dual(fwAD.make_dual(_t([1.0]), fastdl.tensor([1.0]))).tangent.dtype is _t([1.0]).dtype
        with pytest.raises(ValueError, match="floating"):
            fwAD.make_dual(fastdl.tensor([1]), fastdl.tensor([1]))
        with pytest.raises(RuntimeError, match="grad mode"):
            with fastdl.no_grad():
                fwAD.make_dual(_t([1.0]), _t([1.0]))
        inner = fwAD.enter_dual_level()
        assert inner == 1
        with pytest.raises(RuntimeError, match="innermost"):
            fwAD.exit_dual_level(level=0)
        fwAD.exit_dual_level(level=inner)
    with pytest.raises(RuntimeError, match="no forward AD level"):
        fwAD.exit_dual_level()


def test_import_forms_and_laziness():
    from fastdl.autograd import forward_ad
    assert forward_ad is fwAD and fastdl.autograd.forward_ad is fwAD
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    code = ("import sys, fastdl; a = 'fastdl.autograd_forward_ad' in sys.modules; "
            "import fastdl.autograd.forward_ad as f; from fastdl.autograd.functional import jacobian; "
            "print(a, f.dual_level is fastdl.autograd.forward_ad.dual_level, callable(jacobian))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True", "True"]
