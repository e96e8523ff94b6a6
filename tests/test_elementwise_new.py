"""_C.cpu_binary_new and _C.cpu_unary_new (csrc/bind/bind_elementwise_new.cpp): elementwise
ops of float CPU tensors in one C++ call, output included. They must give bit for bit what
the Python path gives, and hand every other case back (None) so the Python path keeps the
rules and the errors."""
import numpy as np
import pytest

import fastdl
from fastdl import _C
from fastdl.ops import elementwise as E

SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((4,), (3, 4)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((2, 3), ()),
          ((0, 4), (4,)), ((5, 0), (1, 0)), ((1,), (1,)), ((2, 3, 4, 5), (3, 1, 5))]
OPS = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "relu_backward", "tanh_backward"]


def python_path(kernel, *args):
    saved = E._cpu_binary_new, E._cpu_unary_new
    E._cpu_binary_new = E._cpu_unary_new = lambda *args: None
    try:
        return kernel(*args)
    finally:
        E._cpu_binary_new, E._cpu_unary_new = saved


def assert_same_bits(out, ref, like):
    assert type(out) is fastdl.Tensor and out.dtype is ref.dtype is like.dtype and out.device == like.device
    assert out.shape == ref.shape and out.is_contiguous() and not out.requires_grad
    np.testing.assert_array_equal(out.numpy().reshape(-1).view(np.uint8), ref.numpy().reshape(-1).view(np.uint8))


@pytest.mark.parametrize("sa, sb", SHAPES)
@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("dtype", [fastdl.float32, fastdl.float64])
def test_same_bits_as_the_python_path(sa, sb, op, dtype):
    rng = np.random.default_rng(len(sa) * 7 + len(sb))
    a = fastdl.tensor(rng.uniform(0.5, 2.0, sa).astype(dtype.np))
    b = fastdl.tensor(rng.uniform(0.5, 2.0, sb).astype(dtype.np))
    assert_same_bits(_C.cpu_binary_new(op, a, b), python_path(E.binary_kernel, op, a, b), a)


NUMBERS = [2.0, -0.0, 0.1, 3, -7, 2 ** 60 + 1, float("inf"), float("nan"), 1e300]


@pytest.mark.parametrize("number", NUMBERS)
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "pow", "maximum"])
@pytest.mark.parametrize("dtype", [fastdl.float32, fastdl.float64])
def test_numbers_same_bits_as_the_python_path(number, op, dtype):
    x = fastdl.tensor(np.random.default_rng(3).uniform(0.5, 2.0, (3, 4)).astype(dtype.np))
    for a, b in ((x, number), (number, x)):
        assert_same_bits(_C.cpu_binary_new(op, a, b), python_path(E.binary_kernel, op, a, b), x)


def test_strided_operands():
    x = fastdl.arange(24.0).reshape(4, 6)
    a, b = x.t(), x[:, ::2].t()[:, :1]  # (6, 4) transposed; (3, 1) with a stride
    out = _C.cpu_binary_new("sub", a[::2], b)
    np.testing.assert_array_equal(out.numpy(), a.numpy()[::2] - b.numpy())


@pytest.mark.parametrize("a, b, op", [
    (2.0, 3.0, "add"),                                              # two numbers
    (fastdl.ones(3), True, "add"),                                  # bools promote differently
    (fastdl.ones(3), np.float32(2.0), "mul"),                       # NumPy scalars: the Python path
    (fastdl.ones(3), 10 ** 400, "mul"),                             # beyond a double: Python raises
    (fastdl.ones(3, dtype=fastdl.int64), 2.0, "mul"),               # an integer tensor
    (fastdl.ones(3, dtype=fastdl.int64), fastdl.ones(3, dtype=fastdl.int64), "add"),  # integers
    (fastdl.ones(3), fastdl.ones(3, dtype=fastdl.float64), "add"),  # promotion
    (fastdl.ones(3, dtype=fastdl.float16), fastdl.ones(3, dtype=fastdl.float16), "add"),
    (fastdl.ones(3, dtype=fastdl.bool_), fastdl.ones(3, dtype=fastdl.bool_), "add"),
    (fastdl.ones(3), fastdl.ones(3), "lt"),                         # bool results
    (fastdl.ones(3), fastdl.ones(3), "logical_and"),
    (fastdl.ones(3), fastdl.ones(4), "add"),                        # no broadcast: Python raises
])
def test_other_cases_go_back_to_python(a, b, op):
    assert _C.cpu_binary_new(op, a, b) is None


def test_errors():
    with pytest.raises(ValueError, match="unknown binary op 'nope'"):
        _C.cpu_binary_new("nope", fastdl.ones(2), fastdl.ones(2))
    with pytest.raises(TypeError, match="cpu_binary_new"):
        _C.cpu_binary_new(fastdl.ones(2), fastdl.ones(2))
    with pytest.raises(ValueError, match="cannot be broadcast"):  # the Python path's message
        fastdl.ones(3) + fastdl.ones(4)


def test_ops_use_it_and_keep_autograd():
    a = fastdl.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    b = fastdl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (a * b + b) / (b + 1)
    y.sum().backward()
    an, bn = np.arange(6.0).reshape(2, 3), np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(y.detach().numpy(), (an * bn + bn) / (bn + 1), rtol=1e-6)
    np.testing.assert_allclose(a.grad.numpy(), np.broadcast_to(bn / (bn + 1), (2, 3)), rtol=1e-6)
    np.testing.assert_allclose(b.grad.numpy(), ((an + 1) / (bn + 1) - (an * bn + bn) / (bn + 1) ** 2).sum(0), rtol=1e-6)


UNARY_CASES = [(name, 0.0, 0.0) for name in E.UNARY] + [
    ("leaky_relu", 0.2, 0.0), ("clamp", -0.5, 0.5), ("clamp", float("nan"), 0.25), ("clamp", -0.25, float("inf")),
    ("pow_scalar", 3.0, 0.0), ("pow_scalar", -1.5, 0.0), ("gelu", 1.0, 0.0), ("elu", 0.7, 0.0), ("softplus", 2.0, 1.0)]


@pytest.mark.parametrize("op, p0, p1", UNARY_CASES)
@pytest.mark.parametrize("dtype", [fastdl.float32, fastdl.float64])
@pytest.mark.parametrize("shape", [(), (0, 3), (7,), (3, 5)])
def test_unary_same_bits_as_the_python_path(op, p0, p1, dtype, shape):
    x = fastdl.tensor(np.random.default_rng(5).uniform(-2, 2, shape).astype(dtype.np))
    assert_same_bits(_C.cpu_unary_new(op, x, p0, p1), python_path(E.unary_kernel, op, x, p0, p1), x)


def test_unary_strided_input():
    x = fastdl.arange(24.0).reshape(4, 6).t()[::2]
    np.testing.assert_array_equal(_C.cpu_unary_new("neg", x, 0.0, 0.0).numpy(), -x.numpy())


@pytest.mark.parametrize("x, p0", [(fastdl.ones(3, dtype=fastdl.int64), 0.0), (fastdl.ones(3, dtype=fastdl.bool_), 0.0),
                                   (fastdl.ones(3, dtype=fastdl.bfloat16), 0.0), (np.ones(3), 0.0), (2.0, 0.0),
                                   (fastdl.ones(3), "x")])
def test_unary_other_cases_go_back_to_python(x, p0):
    assert _C.cpu_unary_new("neg", x, p0, 0.0) is None


def test_unary_errors():
    with pytest.raises(ValueError, match="unknown unary op 'nope'"):
        _C.cpu_unary_new("nope", fastdl.ones(2), 0.0, 0.0)
    with pytest.raises(TypeError, match="cpu_unary_new"):
        _C.cpu_unary_new("neg", fastdl.ones(2))
    with pytest.raises(TypeError, match="expected a Tensor"):  # the Python path's message
        fastdl.ops.elementwise.unary_kernel("neg", [1.0])
