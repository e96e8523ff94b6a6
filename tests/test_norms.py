"""fastdl.linalg.vector_norm / matrix_norm / norm and fastdl.norm / Tensor.norm against
np.linalg.norm (float64 references) for every order, dims and keepdim; autograd against
finite differences; values and gradients against torch where it is installed, including
the zero-vector gradient (0, not NaN) and the other points where the textbook
derivative is infinite; dtypes; and the errors."""
import math

import numpy as np
import pytest

import fastdl
from fastdl.testing import gradcheck

try:
    import torch
except ImportError:  # torch parity tests skip cleanly without torch
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")
INF = math.inf
ORDS = [2, 1, INF, -INF, 0, 0.5, 3, -1, -0.5, 2.5]
DIMS = [None, 0, -1, (0, 2), (2, 0, 1), ()]


def _x(shape=(3, 4, 5), seed=0, zeros=True):
    x = np.random.default_rng(seed).standard_normal(shape)
    if zeros:
        x.flat[::7] = 0.0  # some exact zeros: the 0-norm counts them, p < 1 masks their gradient
    return x


def _np_vector_norm(x, p, dim, keepdim):
    """np.linalg.norm along one axis, the reduced dims moved last and flattened into it."""
    dims = list(range(x.ndim)) if dim is None or dim == () else [d % x.ndim for d in np.atleast_1d(dim)]
    rest = [d for d in range(x.ndim) if d not in dims]
    flat = np.transpose(x, rest + dims).reshape([x.shape[d] for d in rest] + [-1])
    with np.errstate(divide="ignore"):  # |0| ** p for p < 0 is inf, as intended
        out = np.linalg.norm(flat, ord=p, axis=-1)
    if keepdim:
        out = out.reshape([1 if d in dims else x.shape[d] for d in range(x.ndim)])
    return out


@pytest.mark.parametrize("p", ORDS)
@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
def test_vector_norm_matches_numpy(p, dim, keepdim):
    x = _x()
    out = fastdl.linalg.vector_norm(fastdl.tensor(x), p, dim, keepdim)
    fastdl.testing.assert_close(out, np.asarray(_np_vector_norm(x, p, dim, keepdim)), rtol=1e-12, atol=1e-12)


def test_vector_norm_single_axis_is_np_linalg_norm():
    x = _x((4, 6))
    for p in ORDS:
        for axis in (0, 1):
            with np.errstate(divide="ignore"):  # |0| ** p for p < 0 is inf, as intended
                ref = np.linalg.norm(x, ord=p, axis=axis)
            np.testing.assert_allclose(fastdl.linalg.vector_norm(fastdl.tensor(x), p, axis).numpy(), ref, rtol=1e-12)
    assert fastdl.linalg.vector_norm(fastdl.tensor(-3.0), 1).item() == 3.0  # 0-d
    assert fastdl.linalg.vector_norm(fastdl.tensor(-3.0), 2, 0).item() == 3.0


@pytest.mark.parametrize("ord", ["fro", 1, -1, INF, -INF])
@pytest.mark.parametrize("dim", [(-2, -1), (0, 2), (2, 0)], ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
def test_matrix_norm_matches_numpy(ord, dim, keepdim):
    x = _x((3, 4, 5))
    out = fastdl.linalg.matrix_norm(fastdl.tensor(x), ord, dim, keepdim)
    ref = np.linalg.norm(x, ord=ord, axis=dim, keepdims=keepdim)
    fastdl.testing.assert_close(out, np.asarray(ref), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("ord,dim,shape", [
    (None, None, (3, 4)), (None, None, (2, 3, 4)), ("fro", None, (3, 4)), (1, None, (3, 4)), (INF, None, (3, 4)),
    (-1, None, (3, 4)), (3, None, (5,)), (0, None, (5,)), (-INF, None, (5,)), (None, 1, (3, 4)),
    (2, (1,), (2, 3, 4)), (1, (2, 0), (2, 3, 4)), ("fro", (0, 1), (2, 3, 4)), (None, (0, 1), (2, 3, 4)),
])
def test_linalg_norm_dispatch_matches_numpy(ord, dim, shape):
    x = _x(shape)
    out = fastdl.linalg.norm(fastdl.tensor(x), ord, dim)
    if dim is None and ord is None:
        ref = np.linalg.norm(x.ravel())
    else:
        ref = np.linalg.norm(x, ord=ord, axis=dim if not isinstance(dim, tuple) or len(dim) == 2 else dim[0])
    fastdl.testing.assert_close(out, np.asarray(ref), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("p", ["fro", None, 2, 1, INF, -INF, 0, 3.5, -1])
@pytest.mark.parametrize("dim", [None, 1, (0, 1), (0, 1, 2)], ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
def test_norm_and_tensor_norm_match_numpy(p, dim, keepdim):
    if p == "fro" and isinstance(dim, tuple) and len(dim) > 2:
        pytest.skip("'fro' over more than two dims is a matrix norm: an error (see ERRORS)")
    x = _x((3, 4, 5))
    # torch.norm: a number p (None is 2) is a vector norm over dim; 'fro' the 2-norm of the entries
    ref = _np_vector_norm(x, 2 if p in ("fro", None) else p, dim, keepdim)
    out = fastdl.norm(fastdl.tensor(x), p, dim, keepdim)
    fastdl.testing.assert_close(out, np.asarray(ref), rtol=1e-12, atol=1e-12)
    out = fastdl.tensor(x).norm(p, dim, keepdim)
    fastdl.testing.assert_close(out, np.asarray(ref), rtol=1e-12, atol=1e-12)
    assert fastdl.tensor(x).norm(p=p, dim=dim, keepdim=keepdim).shape == out.shape


def test_norm_defaults_and_out():
    x = _x((3, 4))
    np.testing.assert_allclose(fastdl.norm(fastdl.tensor(x)).item(), np.linalg.norm(x))
    np.testing.assert_allclose(fastdl.tensor(x).norm().item(), np.linalg.norm(x))
    np.testing.assert_allclose(fastdl.linalg.norm(fastdl.tensor(x)).item(), np.linalg.norm(x))
    np.testing.assert_allclose(fastdl.linalg.vector_norm(fastdl.tensor(x)).item(), np.linalg.norm(x))
    np.testing.assert_allclose(fastdl.linalg.matrix_norm(fastdl.tensor(x)).item(), np.linalg.norm(x, "fro"))
    out = fastdl.zeros(3, dtype=fastdl.float64)
    res = fastdl.norm(fastdl.tensor(x), 1, dim=1, out=out)
    assert res is out
    np.testing.assert_allclose(out.numpy(), np.abs(x).sum(1))


@pytest.mark.parametrize("p", [2, 1, INF, -INF, 0.5, 3, -1, -0.5, 2.5, 1.5])
@pytest.mark.parametrize("dim", [None, 1, (0, 2)], ids=str)
def test_vector_norm_gradcheck(p, dim):
    x = fastdl.tensor(_x((3, 4, 2), seed=1, zeros=False), requires_grad=True)
    assert gradcheck(lambda t: fastdl.linalg.vector_norm(t, p, dim), [x])


@pytest.mark.parametrize("ord", ["fro", 1, -1, INF, -INF])
def test_matrix_norm_gradcheck(ord):
    x = fastdl.tensor(_x((2, 3, 4), seed=2, zeros=False), requires_grad=True)
    assert gradcheck(lambda t: fastdl.linalg.matrix_norm(t, ord), [x])


@pytest.mark.parametrize("p", [2, 3, 2.5, 1.5, 1, INF, 0.5, -1])
def test_zero_vector_gradient_is_finite(p):
    """At x = 0 the textbook derivative of the p-norm is 0/0 or infinite; torch gives 0."""
    x = fastdl.tensor(np.zeros((2, 3)), requires_grad=True)
    y = fastdl.linalg.vector_norm(x, p, dim=1)
    np.testing.assert_array_equal(y.detach().numpy(), [0.0, 0.0])
    y.sum().backward()
    g = x.grad.numpy()
    assert np.all(np.isfinite(g))
    if p != INF:  # inf: torch spreads the gradient over the tied maxima (all of them here)
        np.testing.assert_array_equal(g, np.zeros((2, 3)))


def test_zero_order_is_in_the_graph_without_gradient():
    x = fastdl.tensor(_x((2, 3)), requires_grad=True)
    y = fastdl.linalg.vector_norm(x, 0)
    assert y.requires_grad
    y.backward()
    assert x.grad is None  # as torch: the count passes no gradient on


PARITY_INPUTS = {
    "random": _x((3, 4), seed=3),
    "zeros": np.zeros((3, 4)),
    "ties": np.array([[0.0, 1.0, -2.0, 0.0], [0.0, 0.0, 0.0, 0.0], [1.0, -1.0, 1.0, 0.5]]),
}


@needs_torch
@pytest.mark.parametrize("p", ORDS)
@pytest.mark.parametrize("name", list(PARITY_INPUTS))
@pytest.mark.parametrize("dim,keepdim", [(None, False), (1, False), (0, True), ((0, 1), True)], ids=str)
def test_vector_norm_matches_torch_values_and_gradients(p, name, dim, keepdim):
    x = PARITY_INPUTS[name]
    f, t = fastdl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    fo, to = fastdl.linalg.vector_norm(f, p, dim, keepdim), torch.linalg.vector_norm(t, p, dim, keepdim)
    assert tuple(fo.shape) == tuple(to.shape)
    np.testing.assert_allclose(fo.detach().numpy(), to.detach().numpy(), rtol=1e-12, atol=1e-12)
    w = np.random.default_rng(4).standard_normal(tuple(to.shape))
    (fo * fastdl.tensor(w)).sum().backward()
    (to * torch.tensor(w)).sum().backward()
    assert (f.grad is None) == (t.grad is None)
    if t.grad is not None:
        np.testing.assert_allclose(f.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("call", [
    lambda m, x: m.linalg.matrix_norm(x, 1), lambda m, x: m.linalg.matrix_norm(x, -INF, dim=(0, 2)),
    lambda m, x: m.linalg.norm(x, dim=(2, 1), keepdim=True), lambda m, x: m.linalg.norm(x, INF, dim=(0, 1)),
    lambda m, x: m.norm(x), lambda m, x: m.norm(x, "fro", dim=(0, 2)), lambda m, x: m.norm(x, 3, dim=1),
    lambda m, x: x.norm(1, dim=(0, 1)), lambda m, x: x.norm(p=INF, dim=2, keepdim=True),
    lambda m, x: m.linalg.vector_norm(x, 2, dim=(0, 1, 2)),
])
def test_matrix_and_torch_norm_match_torch(call):
    x = _x((2, 3, 4), seed=5)
    f, t = fastdl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    fo, to = call(fastdl, f), call(torch, t)
    assert tuple(fo.shape) == tuple(to.shape)
    np.testing.assert_allclose(fo.detach().numpy(), to.detach().numpy(), rtol=1e-12)
    fo.sum().backward()
    to.sum().backward()
    np.testing.assert_allclose(f.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_dtypes():
    x = _x((3, 4))
    f32 = fastdl.tensor(x, dtype=fastdl.float32)
    out = fastdl.linalg.vector_norm(f32, 3, dtype=fastdl.float64)
    assert out.dtype is fastdl.float64
    np.testing.assert_allclose(out.item(), np.linalg.norm(x.astype(np.float32).astype(np.float64).ravel(), 3),
                               rtol=1e-12)
    assert fastdl.linalg.vector_norm(f32).dtype is fastdl.float32
    half = fastdl.linalg.vector_norm(fastdl.tensor(x, dtype=fastdl.float16), 2.5, dim=1)
    assert half.dtype is fastdl.float16
    np.testing.assert_allclose(half.float().numpy(), np.linalg.norm(x, 2.5, axis=1), rtol=2e-3)


def test_nan_propagates():
    for p in (2, 1, INF, 3):
        assert math.isnan(fastdl.linalg.vector_norm(fastdl.tensor([1.0, float("nan")]), p).item())


def test_empty_inputs():
    z = fastdl.tensor(np.zeros((0, 3)))
    assert fastdl.linalg.vector_norm(z).item() == 0.0
    np.testing.assert_array_equal(fastdl.linalg.vector_norm(z, 1, dim=0).numpy(), np.zeros(3))
    assert fastdl.linalg.vector_norm(z, -1, dim=1).shape == (0,)  # the reduced dim has size 3
    # the max over nothing is 0 here, as torch gives for matrix norms of empty matrices
    np.testing.assert_array_equal(fastdl.linalg.matrix_norm(fastdl.tensor(np.zeros((2, 0, 3))), INF).numpy(),
                                  np.zeros(2))


Z23 = np.zeros((2, 3))

# (call, exception, words in the message); fastdl raises TypeError for a dtype error (torch: RuntimeError)
ERRORS = [
    (lambda m, t: m.linalg.vector_norm(t(Z23, "int64")), TypeError, ["linalg.vector_norm", "floating point",
                                                                     "int64[2, 3]"]),
    (lambda m, t: m.linalg.vector_norm(t(Z23), dtype=m.int64), TypeError, ["linalg.vector_norm", "dtype", "int64"]),
    (lambda m, t: m.linalg.vector_norm(t(Z23), dtype=m.float32), TypeError, ["linalg.vector_norm", "narrowing",
                                                                            "float64[2, 3]", "float32"]),
    (lambda m, t: m.linalg.vector_norm(t(Z23), "fro"), TypeError, ["linalg.vector_norm", "ord", "'fro'"]),
    (lambda m, t: m.linalg.vector_norm(t(Z23), None), TypeError, ["linalg.vector_norm", "ord"]),
    (lambda m, t: m.linalg.vector_norm(t(Z23), dim=2), IndexError, ["linalg.vector_norm", "out of range"]),
    (lambda m, t: m.linalg.vector_norm(t(Z23), dim=(0, 0)), RuntimeError, ["linalg.vector_norm", "multiple times"]),
    (lambda m, t: m.linalg.vector_norm(t(np.zeros((0, 3))), -1, dim=0), RuntimeError,
     ["linalg.vector_norm", "-1 norm", "dimension 0", "float64[0, 3]", "identity"]),
    (lambda m, t: m.linalg.vector_norm(t(np.zeros((0, 3))), INF), RuntimeError,
     ["linalg.vector_norm", "inf norm", "empty tensor"]),
    (lambda m, t: m.linalg.matrix_norm(t(np.zeros(3))), RuntimeError, ["linalg.matrix_norm", "at least 2 dimensions",
                                                                       "float64[3]"]),
    (lambda m, t: m.linalg.matrix_norm(t(Z23), 3), RuntimeError, ["linalg.matrix_norm", "order 3", "not supported"]),
    (lambda m, t: m.linalg.matrix_norm(t(Z23), "abc"), RuntimeError, ["linalg.matrix_norm", "order abc"]),
    (lambda m, t: m.linalg.matrix_norm(t(Z23), dim=(0, 0)), RuntimeError, ["linalg.matrix_norm", "different"]),
    (lambda m, t: m.linalg.matrix_norm(t(Z23), dim=1), RuntimeError, ["linalg.matrix_norm", "2-tuple"]),
    (lambda m, t: m.linalg.matrix_norm(t(Z23, "int64")), TypeError, ["linalg.matrix_norm", "floating point"]),
    (lambda m, t: m.linalg.norm(t(np.zeros((1, 2, 2))), 1), RuntimeError, ["linalg.norm", "1-D or 2-D",
                                                                            "float64[1, 2, 2]"]),
    (lambda m, t: m.linalg.norm(t(np.zeros((1, 2, 2))), dim=(0, 1, 2)), RuntimeError, ["linalg.norm",
                                                                                       "length 1 or 2"]),
    (lambda m, t: m.linalg.norm(t(np.zeros(4)), "fro"), RuntimeError, ["linalg.matrix_norm", "at least 2"]),
    (lambda m, t: m.linalg.norm(t(Z23), 0), RuntimeError, ["linalg.matrix_norm", "order 0"]),
    (lambda m, t: m.norm(t(np.zeros((1, 2, 2))), "fro", dim=(0, 1, 2)), RuntimeError, ["linalg.matrix_norm",
                                                                                      "2-tuple"]),
    (lambda m, t: m.norm(t(np.zeros((1, 2, 2))), "abc"), RuntimeError, ["linalg.matrix_norm", "order abc"]),
    (lambda m, t: m.norm(t(Z23, "int64")), TypeError, ["linalg.vector_norm", "int64[2, 3]"]),
]


def _fastdl_t(a, dtype="float64"):
    return fastdl.tensor(np.asarray(a), dtype=getattr(fastdl, dtype))


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors(i):
    call, exc, words = ERRORS[i]
    with pytest.raises(exc) as info:
        call(fastdl, _fastdl_t)
    for w in words:
        assert w in str(info.value), (w, str(info.value))


@needs_torch
@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_torch_rejects_the_same(i):
    def torch_t(a, dtype="float64"):
        return torch.tensor(np.asarray(a), dtype=getattr(torch, dtype))
    with pytest.raises((RuntimeError, TypeError, IndexError)):
        ERRORS[i][0](torch, torch_t)


def test_singular_value_norms():
    """'nuc', 2 and -2 from linalg.svdvals (ops/linalg_svd.py), over any two dims."""
    x = np.random.default_rng(11).standard_normal((2, 3, 4))
    t = fastdl.tensor(x)
    for ord_, f in (("nuc", np.sum), (2, np.max), (-2, np.min)):
        s = np.linalg.svd(x, compute_uv=False)
        np.testing.assert_allclose(fastdl.linalg.matrix_norm(t, ord_).numpy(), f(s, -1), rtol=1e-12)
        s02 = np.linalg.svd(np.moveaxis(x, 1, 0), compute_uv=False)  # dims (0, 2), batch dim 1
        got = fastdl.linalg.matrix_norm(t, ord_, dim=(0, 2), keepdim=True)
        assert tuple(got.shape) == (1, 3, 1)
        np.testing.assert_allclose(got.numpy().reshape(-1), f(s02, -1), rtol=1e-12)
    np.testing.assert_allclose(fastdl.tensor(x[0]).norm("nuc").item(), np.linalg.norm(x[0], "nuc"), rtol=1e-12)
    np.testing.assert_allclose(fastdl.linalg.norm(fastdl.tensor(x[0]), -2).item(), np.linalg.norm(x[0], -2),
                               rtol=1e-12)


def test_on_device(device):
    """Norms on each device against NumPy, and the 2-norm's gradient x / ||x||."""
    x = _x((3, 4), seed=6)
    t = fastdl.tensor(x, dtype=fastdl.float32, device=device, requires_grad=True)
    for p in (2, 1, INF, 0, 3):
        out = fastdl.linalg.vector_norm(t, p, dim=1)
        assert out.device.type == device
        np.testing.assert_allclose(out.detach().cpu().numpy(), np.linalg.norm(x, p, axis=1), rtol=1e-5)
    np.testing.assert_allclose(fastdl.linalg.matrix_norm(t, INF).detach().cpu().numpy(),
                               np.linalg.norm(x, INF), rtol=1e-5)
    t.norm().backward()
    np.testing.assert_allclose(t.grad.cpu().numpy(), x / np.linalg.norm(x), rtol=1e-5, atol=1e-6)
