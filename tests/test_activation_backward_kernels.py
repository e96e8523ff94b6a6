"""The fused activation-gradient kernels of the shared op table (relu/tanh/sigmoid
backward from the saved output, leaky_relu's derivative), called directly and compared
with their float64 NumPy formulas: the autograd tests reach them only through gradcheck."""
import numpy as np
import pytest

import fastdl
from fastdl import _C

RNG = np.random.default_rng(7)
G = RNG.standard_normal(40)
Y = np.concatenate([RNG.uniform(-1, 1, 36), [0.0, -0.0, 1.0, np.nan]])  # the y == 0 boundary and NaN


def binary(op, a, b):
    out = fastdl.empty(a.shape, dtype=fastdl.float64)
    _C.cpu.binary(op, fastdl.tensor(a), fastdl.tensor(b), out)
    return out.numpy()


@pytest.mark.parametrize("op,formula", [
    ("relu_backward", lambda g, y: np.where(y <= 0, 0.0, g)),  # NaN y passes g, as torch's threshold_backward
    ("tanh_backward", lambda g, y: g * (1 - y * y)),
    ("sigmoid_backward", lambda g, y: g * y * (1 - y)),
])
def test_activation_backward_kernels(op, formula):
    np.testing.assert_array_equal(binary(op, G, Y), formula(G, Y))


@pytest.mark.parametrize("slope", [0.2, 0.01, -0.5])
def test_leaky_relu_grad_kernel(slope):
    out = fastdl.empty(40, dtype=fastdl.float64)
    _C.cpu.unary("leaky_relu_grad", fastdl.tensor(Y), out, slope, 0.0)
    np.testing.assert_array_equal(out.numpy(), np.where(Y > 0, 1.0, slope))


def test_relu_backward_on_int64():  # relu takes integer tensors, so its backward kernel does too
    g, y = np.arange(-3, 3), np.array([-2, 0, 1, 5, -1, 3])
    out = fastdl.empty(6, dtype=fastdl.int64)
    _C.cpu.binary("relu_backward", fastdl.tensor(g), fastdl.tensor(y), out)
    np.testing.assert_array_equal(out.numpy(), np.where(y > 0, g, 0))


def test_relu_propagates_nan_and_keeps_signed_zero_as_torch():
    """torch.relu: NaN stays NaN (clamp_min), -0.0 stays -0.0; its gradient at NaN is the
    incoming gradient (threshold_backward: y <= 0 ? 0 : g)."""
    x = fastdl.tensor([np.nan, -1.0, 2.0, -0.0, 0.0], requires_grad=True)
    y = fastdl.relu(x)
    got = y.detach().numpy()
    np.testing.assert_array_equal(got, [np.nan, 0.0, 2.0, -0.0, 0.0])
    assert np.signbit(got[3]) and not np.signbit(got[1])
    y.backward(fastdl.ones(5))
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0, 1.0, 0.0, 0.0])


def test_relu_nan_matches_torch():
    torch = pytest.importorskip("torch")
    v = [np.nan, -1.0, 2.0, -0.0, 0.0, np.inf, -np.inf]
    fx, tx = fastdl.tensor(v, requires_grad=True), torch.tensor(v, requires_grad=True)
    fy, ty = fastdl.relu(fx), torch.relu(tx)
    np.testing.assert_array_equal(fy.detach().numpy(), ty.detach().numpy())
    np.testing.assert_array_equal(np.signbit(fy.detach().numpy()), np.signbit(ty.detach().numpy()))
    fy.sum().backward()
    ty.sum().backward()
    np.testing.assert_array_equal(fx.grad.numpy(), tx.grad.numpy())
