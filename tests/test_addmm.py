"""fastdl.addmm / Tensor.addmm (torch.addmm): beta * input + alpha * (mat1 @ mat2) as one
GEMM, against a float64 NumPy reference, by gradcheck, against torch where installed,
and its errors."""
import numpy as np
import pytest

import fastdl
from fastdl.testing import gradcheck

INPUT_SHAPES = [(5, 7), (7,), (1, 7), (5, 1), ()]


def _ref(inp, m1, m2, beta, alpha):
    out = alpha * (m1.astype(np.float64) @ m2.astype(np.float64))
    return out if beta == 0 else out + beta * inp.astype(np.float64)


@pytest.mark.parametrize("shape", INPUT_SHAPES)
@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, -2.0), (0, 3.0)])
def test_forward_matches_float64(shape, beta, alpha, device):
    rng = np.random.default_rng(0)
    inp, m1, m2 = (rng.standard_normal(s).astype(np.float32) for s in [shape, (5, 4), (4, 7)])
    out = fastdl.addmm(*(fastdl.tensor(a, device=device) for a in (inp, m1, m2)), beta=beta, alpha=alpha)
    assert out.shape == (5, 7) and out.dtype is fastdl.float32
    np.testing.assert_allclose(out.cpu().numpy(), _ref(inp, m1, m2, beta, alpha), rtol=1e-5, atol=1e-5)


def test_beta_zero_ignores_nan_in_input():
    m1, m2 = fastdl.randn(3, 2), fastdl.randn(2, 4)
    out = fastdl.addmm(fastdl.full((3, 4), float("nan")), m1, m2, beta=0)
    np.testing.assert_allclose(out.numpy(), (m1 @ m2).numpy(), rtol=1e-6)


def test_method_and_strided_operands():
    base = fastdl.randn(6, 8)
    m1, m2 = base[:, :3], fastdl.randn(5, 3).t()  # a column slice and a transposed view
    b = fastdl.randn(5)
    np.testing.assert_allclose(b.addmm(m1, m2).numpy(), _ref(b.numpy(), m1.numpy(), m2.numpy(), 1, 1), rtol=1e-5,
                               atol=1e-5)


@pytest.mark.parametrize("shape", INPUT_SHAPES)
@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, -2.0)])
def test_gradcheck(shape, beta, alpha):
    inputs = [fastdl.randn(*s, dtype=fastdl.float64, requires_grad=True) for s in [shape, (5, 4), (4, 7)]]
    assert gradcheck(lambda i, a, b: fastdl.addmm(i, a, b, beta=beta, alpha=alpha), inputs)


def test_gradients_only_where_needed():
    inp, m1 = fastdl.randn(7, requires_grad=True), fastdl.randn(5, 4)
    m2 = fastdl.randn(4, 7, requires_grad=True)
    fastdl.addmm(inp, m1, m2, beta=2.0).sum().backward()
    assert m1.grad is None
    np.testing.assert_allclose(inp.grad.numpy(), np.full(7, 10.0))  # beta * 5 rows
    np.testing.assert_allclose(m2.grad.numpy(), np.repeat(m1.numpy().sum(0)[:, None], 7, 1), rtol=1e-5)


@pytest.mark.parametrize("dtype", [fastdl.bfloat16, fastdl.float16])
def test_half_matches_unfused(dtype):
    inp, m1, m2 = (fastdl.randn(*s).to(dtype) for s in [(6,), (3, 8), (8, 6)])
    fused = fastdl.addmm(inp, m1, m2)
    assert fused.dtype is dtype
    ref = _ref(inp.float().numpy(), m1.float().numpy(), m2.float().numpy(), 1, 1)
    np.testing.assert_allclose(fused.float().numpy(), ref, rtol=2e-2, atol=2e-2)


def test_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in [(7,), (5, 4), (4, 7)]]
    f = [fastdl.tensor(a, requires_grad=True) for a in arrays]
    t = [torch.tensor(a, requires_grad=True) for a in arrays]
    fo, to = fastdl.addmm(*f, beta=0.5, alpha=2.0), torch.addmm(*t, beta=0.5, alpha=2.0)
    g = rng.standard_normal((5, 7)).astype(np.float32)
    fo.backward(fastdl.tensor(g))
    to.backward(torch.tensor(g))
    np.testing.assert_allclose(fo.detach().numpy(), to.detach().numpy(), rtol=1e-5, atol=1e-5)
    for a, b in zip(f, t):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("args,kwargs,exc,match", [
    (((5, 7), (5, 4), (3, 7)), {}, ValueError, r"addmm: shape mismatch float32\[5, 4\] @ float32\[3, 7\]"),
    (((5, 7), (5, 4, 1), (4, 7)), {}, ValueError, "addmm: mat1 and mat2 must be 2-D"),
    (((3, 7), (5, 4), (4, 7)), {}, ValueError, "addmm"),
    (((2, 5, 7), (5, 4), (4, 7)), {}, ValueError, r"addmm: input must broadcast to \[5, 7\]"),
    (((5, 7), (5, 4), (4, 7)), {"beta": "1"}, TypeError, "addmm: beta must be a number"),
])
def test_errors_name_addmm(args, kwargs, exc, match):
    tensors = [fastdl.randn(*s) for s in args]
    with pytest.raises(exc, match=match):
        fastdl.addmm(*tensors, **kwargs)


def test_dtype_mismatch_names_addmm():
    with pytest.raises(TypeError, match="addmm: expected input, mat1 and mat2 of one floating point dtype"):
        fastdl.addmm(fastdl.randn(7, dtype=fastdl.float64), fastdl.randn(5, 4), fastdl.randn(4, 7))
