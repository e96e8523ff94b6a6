"""Autograd anomaly mode (detect_anomaly / set_detect_anomaly), autograd.Variable."""
import warnings

import numpy as np
import pytest

import fastdl
from fastdl import autograd


@pytest.fixture(autouse=True)
def _restore():
    yield
    fastdl.set_anomaly_enabled(False)


def _nan_backward():
    a = fastdl.tensor([0.0, 1.0], requires_grad=True)
    z = (a / a).sum()  # d/da of a/a at 0 is nan
    return a, z


def test_flags_default_and_set():
    assert fastdl.is_anomaly_enabled() is False
    assert fastdl.is_anomaly_check_nan_enabled() is True
    fastdl.set_anomaly_enabled(True, check_nan=False)
    assert fastdl.is_anomaly_enabled() and not fastdl.is_anomaly_check_nan_enabled()
    fastdl.set_anomaly_enabled(False)
    assert not fastdl.is_anomaly_enabled() and fastdl.is_anomaly_check_nan_enabled()


def test_hooks_removed_when_off():
    plain = autograd.Node.apply
    fastdl.set_anomaly_enabled(True)
    assert autograd.Node.apply is not plain and "__init__" in autograd.Context.__dict__
    fastdl.set_anomaly_enabled(False)
    assert autograd.Node.apply is plain and "__init__" not in autograd.Context.__dict__


def test_nan_raises_with_forward_stack():
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        mode = autograd.detect_anomaly()
    with mode, warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        a, z = _nan_backward()
        with pytest.raises(RuntimeError, match=r"Function 'DivBackward' returned nan values in its 1th output\."):
            z.backward()
    msgs = [str(w.message) for w in rec]
    assert any("Error detected in DivBackward. Traceback of forward call that caused the error:" in m
               and "_nan_backward" in m and "z = (a / a).sum()" in m for m in msgs), msgs
    assert not fastdl.is_anomaly_enabled()


def test_no_check_nan_and_off_pass():
    a, z = _nan_backward()
    z.backward()  # off: no check
    assert np.isnan(a.grad.numpy()[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with autograd.detect_anomaly(check_nan=False):
            a, z = _nan_backward()
            z.backward()
    assert np.isnan(a.grad.numpy()[0])


def test_clean_backward_unchanged():
    with autograd.set_detect_anomaly(True):
        x = fastdl.tensor([1.0, 2.0, 3.0], dtype=fastdl.float64, requires_grad=True)
        (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0, 6.0])
    assert not fastdl.is_anomaly_enabled()


def test_error_in_backward_prints_stack():
    class Bad(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            raise ValueError("boom in backward")

    fastdl.set_anomaly_enabled(True)
    x = fastdl.ones(3, requires_grad=True)
    y = Bad.apply(x).sum()
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="boom in backward"):
            y.backward()
    assert any("Error detected in BadBackward" in str(w.message) and "Bad.apply(x)" in str(w.message) for w in rec)


def test_no_forward_info():
    a, z = _nan_backward()  # forward outside the mode
    fastdl.set_anomaly_enabled(True)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        with pytest.raises(RuntimeError, match="returned nan values"):
            z.backward()
    assert any("No forward pass information available" in str(w.message) for w in rec)


def test_set_detect_anomaly_sets_at_once_and_decorates():
    m = autograd.set_detect_anomaly(True, check_nan=False)
    assert fastdl.is_anomaly_enabled() and not fastdl.is_anomaly_check_nan_enabled()
    with m:
        pass
    assert not fastdl.is_anomaly_enabled() and fastdl.is_anomaly_check_nan_enabled()

    @autograd.set_detect_anomaly(True)
    def f():
        return fastdl.is_anomaly_enabled()

    assert not fastdl.is_anomaly_enabled()
    assert f() is True and not fastdl.is_anomaly_enabled()


def test_torch_parity_message():
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.autograd.detect_anomaly():
            a = torch.tensor([0.0, 1.0], requires_grad=True)
            with pytest.raises(RuntimeError) as te:
                (a / a).sum().backward()
        with autograd.detect_anomaly():
            a, z = _nan_backward()
            with pytest.raises(RuntimeError) as fe:
                z.backward()
    # torch's node names carry a version digit (DivBackward0)
    assert str(te.value).replace("DivBackward0", "DivBackward") == str(fe.value)
    assert torch.is_anomaly_check_nan_enabled() == fastdl.is_anomaly_check_nan_enabled()


def test_variable():
    t = fastdl.ones(2, 3)
    v = autograd.Variable(t, requires_grad=True)
    assert isinstance(v, fastdl.Tensor) and v.requires_grad and v.is_leaf
    assert isinstance(fastdl.zeros(1), autograd.Variable)
    assert not isinstance(3.0, autograd.Variable)
    assert autograd.Variable(t).requires_grad is False
    with pytest.raises(TypeError, match="Variable data has to be a tensor"):
        autograd.Variable([1.0, 2.0])
