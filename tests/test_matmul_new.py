"""_C.cpu_matmul_new (csrc/bind/bind_matmul_new.cpp): 2-D float CPU matmul in one C++ call,
output included. It must give bit for bit what the Python path (the Function, empty and
the kernel call) gives, hand every other case back (None) so the Python path keeps the
rules and the errors, and leave graph recording to the Python path unless asked."""
import numpy as np
import pytest

import fastdl
from fastdl import _C
from fastdl.ops import linalg as L
from fastdl.ops._util import empty

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
