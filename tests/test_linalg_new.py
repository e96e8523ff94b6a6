"""_C.cpu_matmul_new and _C.cpu_linear_new (csrc/bind/bind_linalg_new.cpp): 2-D float CPU
matmul and linear (+ activation) in one C++ call each, output included. They must give
bit for bit what the Python path (the Function, empty and the kernel call) gives, hand
every other case back (None) so the Python path keeps the rules and the errors, and
leave graph recording to the Python path unless asked."""
import numpy as np
import pytest

import fastdl
from fastdl import _C
from fastdl.ops import linalg as L
from fastdl.ops._util import backend, empty
from fastdl.nn import functional as F

SHAPES = [(32, 64, 64), (1, 1, 1), (7, 3, 5), (3, 200, 17), (64, 4, 2), (0, 4, 3), (4, 0, 3), (5, 6, 0)]


def python_path(a, b):
    return L.gemm_into(a, b, empty((a.shape[0], b.shape[1]), a.dtype, a.device), batch=())


def assert_same_bits(out, ref):
    assert type(out) is fastdl.Tensor and out.dtype is ref.dtype and out.device == ref.device
    assert out.shape == ref.shape and out.is_contiguous() and not out.requires_grad and out.grad_fn is None
    np.testing.assert_array_equal(out.numpy().reshape(-1).view(np.uint8), ref.numpy().reshape(-1).view(np.uint8))


@pytest.mark.parametrize("m, k, n", SHAPES)
@pytest.mark.parametrize("dtype", [fastdl.float32, fastdl.float64])
def test_same_bits_as_the_python_path(m, k, n, dtype):
    rng = np.random.default_rng(m * 100 + k * 10 + n)
    a = fastdl.tensor(rng.standard_normal((m, k)).astype(dtype.np))
    b = fastdl.tensor(rng.standard_normal((k, n)).astype(dtype.np))
    out = _C.cpu_matmul_new(a, b, False)
    assert_same_bits(out, python_path(a, b))
    ref = a.numpy().astype(np.float64) @ b.numpy().astype(np.float64)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5 if dtype is fastdl.float32 else 1e-12, atol=1e-5)


def test_strided_and_transposed_operands():
    x = fastdl.tensor(np.random.default_rng(1).standard_normal((12, 10)).astype(np.float32))
    for a, b in ((x.t(), x), (x[::2, 1:], x.t()[1:, ::3]), (x[:, ::2].t(), x[:, ::4])):
        out = _C.cpu_matmul_new(a, b, False)
        assert_same_bits(out, python_path(a, b))
        np.testing.assert_allclose(out.numpy(), a.numpy() @ b.numpy(), rtol=1e-5, atol=1e-5)


def test_cases_left_to_the_python_path():
    f32 = fastdl.ones(3, 4)
    for a, b in ((f32, fastdl.ones(4, 2, dtype=fastdl.float64)),          # mixed dtypes
                 (fastdl.ones(3, 4, dtype=fastdl.int64), fastdl.ones(4, 2, dtype=fastdl.int64)),
                 (fastdl.ones(3, 4, dtype=fastdl.float16), fastdl.ones(4, 2, dtype=fastdl.float16)),
                 (f32, fastdl.ones(4)), (fastdl.ones(4), fastdl.ones(4, 2)),  # 1-D operands
                 (fastdl.ones(2, 3, 4), fastdl.ones(2, 4, 5)),                # batched
                 (f32, fastdl.ones(3, 2)),                                    # inner dims differ
                 (f32, np.ones((4, 2), np.float32)), (2.0, f32), (f32, None)):
        assert _C.cpu_matmul_new(a, b, False) is None


def test_operands_needing_grad_are_left_to_the_function_unless_allowed():
    a, b = fastdl.ones(3, 4, requires_grad=True), fastdl.ones(4, 2)
    assert _C.cpu_matmul_new(a, b, False) is None and _C.cpu_matmul_new(b.t(), a.t(), False) is None
    out = _C.cpu_matmul_new(a, b, True)  # _Matmul.forward's call: the Function records the graph
    assert out.grad_fn is None and not out.requires_grad
    np.testing.assert_array_equal(out.numpy(), np.full((3, 2), 4.0, np.float32))


def test_matmul_records_the_graph_and_errors_stay_the_python_paths():
    a = fastdl.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    w = fastdl.tensor(np.ones((4, 2)))
    y = a @ w
    assert y.requires_grad and y.grad_fn.name() == "_MatmulBackward"
    y.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.full((3, 4), 2.0))
    with fastdl.no_grad():
        assert (a @ w).grad_fn is None
    with pytest.raises(ValueError, match=r"matmul: shape mismatch"):
        fastdl.ones(3, 4) @ fastdl.ones(3, 4)
    with pytest.raises(TypeError, match=r"matmul: expected both operands to have the same dtype"):
        fastdl.ones(3, 4) @ fastdl.ones(4, 2, dtype=fastdl.float64)
    with pytest.raises(TypeError, match=r"matmul"):
        fastdl.matmul(fastdl.ones(3, 4), "x")


def test_bad_call_raises():
    with pytest.raises(TypeError, match="cpu_matmul_new"):
        _C.cpu_matmul_new(fastdl.ones(2, 2), fastdl.ones(2, 2))


def python_linear(x, w, b, activation):
    out = empty((x.shape[0], w.shape[0]), x.dtype, x.device)
    backend(x, "linear").linear(x, w, b, out, activation)
    return out


@pytest.mark.parametrize("m, k, n", SHAPES)
@pytest.mark.parametrize("activation", ["none", "relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("with_bias", [True, False])
@pytest.mark.parametrize("dtype", [fastdl.float32, fastdl.float64])
def test_linear_same_bits_as_the_python_path(m, k, n, activation, with_bias, dtype):
    rng = np.random.default_rng(m * 100 + k * 10 + n)
    x = fastdl.tensor(rng.standard_normal((m, k)).astype(dtype.np))
    w = fastdl.tensor(rng.standard_normal((n, k)).astype(dtype.np))
    b = fastdl.tensor(rng.standard_normal(n).astype(dtype.np)) if with_bias else None
    out = _C.cpu_linear_new(x, w, b, activation, False)
    assert_same_bits(out, python_linear(x, w, b, activation))
    ref = x.numpy().astype(np.float64) @ w.numpy().astype(np.float64).T + (b.numpy() if with_bias else 0)
    ref = {"none": ref, "relu": np.maximum(ref, 0), "tanh": np.tanh(ref), "sigmoid": 1 / (1 + np.exp(-ref))}[activation]
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5 if dtype is fastdl.float32 else 1e-12, atol=1e-5)


def test_linear_strided_operands():
    t = fastdl.tensor(np.random.default_rng(2).standard_normal((12, 10)).astype(np.float32))
    x, w, b = t[::2, 1:], t.t()[1:, ::4], t[0, ::4]  # (6, 9), (9, 3) -> weight (3, 9) seen transposed
    w = w.t()
    out = _C.cpu_linear_new(x, w, b, "relu", False)
    assert_same_bits(out, python_linear(x, w, b, "relu"))
    np.testing.assert_allclose(out.numpy(), np.maximum(x.numpy() @ w.numpy().T + b.numpy(), 0), rtol=1e-5, atol=1e-6)


def test_linear_cases_left_to_the_python_path():
    x, w, b = fastdl.ones(3, 4), fastdl.ones(2, 4), fastdl.ones(2)
    for args in ((fastdl.ones(2, 3, 4), w, b), (fastdl.ones(4), w, b),           # not 2-D input
                 (x, fastdl.ones(2, 5), b), (x, w, fastdl.ones(3)), (x, w, fastdl.ones(1, 2)),  # shapes
                 (x, w.double(), b), (x, w, b.double()),                          # dtypes
                 (x.long(), w.long(), b.long()), (x.half(), w.half(), b.half()),
                 (x, w, 1.0), (x.numpy(), w, b)):
        assert _C.cpu_linear_new(*args, "none", False) is None
    assert _C.cpu_linear_new(x, w, b, "gelu", False) is None
    with pytest.raises(TypeError, match="cpu_linear_new"):
        _C.cpu_linear_new(x, w, b, None, False)


def test_linear_records_the_graph_and_no_grad_takes_the_fast_path():
    x = fastdl.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    w, b = fastdl.ones(2, 4, dtype=fastdl.float64, requires_grad=True), fastdl.zeros(2, dtype=fastdl.float64)
    assert _C.cpu_linear_new(x, w, b, "none", False) is None
    y = F.linear(x, w, b)
    assert y.grad_fn.name() == "_LinearBackward"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((3, 4), 2.0))  # two outputs of weight 1
    with fastdl.no_grad():
        z = F.linear(x, w, b)
        assert z.grad_fn is None and not z.requires_grad
        np.testing.assert_array_equal(z.numpy(), y.detach().numpy())
        assert (x @ w.t()).grad_fn is None
    with pytest.raises(ValueError, match="linear: input .* has 3 features"):
        F.linear(fastdl.ones(2, 3, dtype=fastdl.float64), w, b)
    with pytest.raises(ValueError, match="linear: unknown activation"):
        F.linear_activation(x, w, b, "gelu")
