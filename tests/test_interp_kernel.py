"""The CPU kernel under F.interpolate's linear modes (csrc/cpu/interp.h): interp_linear
against NumPy bit for bit (two float products, then their sum, as the composed index_select
/ mul / add it replaced), its adjoint interp_linear_backward against a float64 NumPy
scatter, every dim of 3-D to 5-D input, 1 and 2 threads; gradgradcheck through
interpolate (the adjoint's own gradient is the forward); and the kernels' errors."""
import numpy as np
import pytest

import fastdl
import fastdl.nn.functional as F
from fastdl import _C
from fastdl.testing import gradgradcheck
from test_gemm_kernel import threads  # noqa: F401 (fixture)


def _args(rng, shape, dim, n_out, dtype):
    n_in = shape[dim]
    i0 = rng.integers(0, n_in, n_out)
    i1 = np.minimum(i0 + rng.integers(0, 2, n_out), n_in - 1)  # neighbours, or a repeat
    w1 = rng.random(n_out).astype(dtype)
    w0 = (1 - w1).astype(dtype)
    x = rng.standard_normal(shape).astype(dtype)
    return x, i0, i1, w0, w1


def _tensors(*arrays):
    return [fastdl.tensor(a) for a in arrays]


CASES = [((3, 4, 5), 2, 9), ((3, 4, 5), 1, 7), ((2, 3, 6, 5), 2, 11), ((2, 3, 6, 5), 3, 12),
         ((2, 3, 6, 5), 0, 3), ((1, 2, 3, 4, 5), 2, 6), ((1, 2, 3, 4, 5), 4, 2), ((4, 1), 0, 9),
         ((8, 64, 32, 32), 2, 64), ((8, 64, 64, 32), 3, 64)]


@pytest.mark.parametrize("nthreads", [1, 2])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,dim,n_out", CASES, ids=lambda c: str(c))
def test_forward_bits_and_adjoint(threads, nthreads, dtype, shape, dim, n_out):  # noqa: F811
    threads(nthreads)
    rng = np.random.default_rng(len(shape) * 10 + dim)
    x, i0, i1, w0, w1 = _args(rng, shape, dim, n_out, dtype)
    out_shape = list(shape)
    out_shape[dim] = n_out
    out = fastdl.empty(tuple(out_shape), dtype=fastdl.float32 if dtype == np.float32 else fastdl.float64)
    _C.cpu.interp_linear(*_tensors(x), out, dim, *_tensors(i0, i1, w0, w1))
    wshape = (-1,) + (1,) * (len(shape) - 1 - dim)
    ref = np.take(x, i0, axis=dim) * w0.reshape(wshape) + np.take(x, i1, axis=dim) * w1.reshape(wshape)
    np.testing.assert_array_equal(out.numpy(), ref)

    g = rng.standard_normal(out_shape).astype(dtype)
    gx = fastdl.empty(shape, dtype=out.dtype)
    gx.numpy()[...] = np.nan  # every element must be written
    _C.cpu.interp_linear_backward(fastdl.tensor(g), gx, dim, *_tensors(i0, i1, w0, w1))
    gm, acc = np.moveaxis(g.astype(np.float64), dim, 0), np.zeros(np.moveaxis(x, dim, 0).shape)
    for j in range(n_out):
        acc[i0[j]] += gm[j] * w0[j]
        acc[i1[j]] += gm[j] * w1[j]
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(gx.numpy(), np.moveaxis(acc, 0, dim), rtol=tol, atol=tol)


def test_same_bits_at_1_and_2_threads(threads):  # noqa: F811
    rng = np.random.default_rng(5)
    x, i0, i1, w0, w1 = _args(rng, (8, 64, 40, 33), 2, 80, np.float32)
    g = rng.standard_normal((8, 64, 80, 33)).astype(np.float32)
    results = []
    for n in (1, 2):
        threads(n)
        out, gx = fastdl.empty((8, 64, 80, 33)), fastdl.empty(x.shape)
        _C.cpu.interp_linear(*_tensors(x), out, 2, *_tensors(i0, i1, w0, w1))
        _C.cpu.interp_linear_backward(fastdl.tensor(g), gx, 2, *_tensors(i0, i1, w0, w1))
        results.append((out.numpy().copy(), gx.numpy().copy()))
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("mode,shape,kw", [("linear", (2, 2, 5), dict(scale_factor=1.7)),
                                           ("bilinear", (1, 2, 3, 4), dict(size=(5, 3), align_corners=True)),
                                           ("trilinear", (1, 1, 2, 3, 2), dict(size=(3, 2, 4)))])
def test_gradgradcheck(mode, shape, kw):
    x = fastdl.tensor(np.random.default_rng(3).standard_normal(shape), requires_grad=True)
    assert gradgradcheck(lambda t: F.interpolate(t, mode=mode, **kw), [x])


def test_noncontiguous_input_through_interpolate():
    x = np.random.default_rng(4).standard_normal((2, 3, 6, 5)).astype(np.float32)
    t = fastdl.tensor(x.transpose(0, 1, 3, 2).copy()).transpose(2, 3)  # a strided view of x
    np.testing.assert_array_equal(F.interpolate(t, scale_factor=2, mode="bilinear").numpy(),
                                  F.interpolate(fastdl.tensor(x), scale_factor=2, mode="bilinear").numpy())


def test_errors():
    x = fastdl.tensor(np.zeros((2, 3, 4), np.float32))
    out = fastdl.empty((2, 3, 6))
    i = fastdl.tensor(np.zeros(6, np.int64))
    w = fastdl.tensor(np.zeros(6, np.float32))
    with pytest.raises(IndexError, match=r"interp_linear: source index 4 out of range for size 4"):
        _C.cpu.interp_linear(x, out, 2, i, fastdl.tensor(np.full(6, 4)), w, w)
    with pytest.raises(IndexError, match=r"interp_linear_backward: source index -1"):
        _C.cpu.interp_linear_backward(out, x, 2, fastdl.tensor(np.full(6, -1)), i, w, w)
    with pytest.raises(ValueError, match=r"interp_linear: shapes differ outside dim 2"):
        _C.cpu.interp_linear(x, fastdl.empty((2, 4, 6)), 2, i, i, w, w)
    with pytest.raises(ValueError, match=r"interp_linear: dim 3 out of range"):
        _C.cpu.interp_linear(x, out, 3, i, i, w, w)
    with pytest.raises(ValueError, match=r"expected indices and weights of shape \(6\)"):
        _C.cpu.interp_linear(x, out, 2, i, i, w, fastdl.tensor(np.zeros(5, np.float32)))
    with pytest.raises(TypeError, match=r"interp_linear"):
        _C.cpu.interp_linear(x, out, 2, i, i, w, fastdl.tensor(np.zeros(6)))  # float64 weights
    with pytest.raises(TypeError, match=r"interp_linear"):
        _C.cpu.interp_linear(x, out, 2, w, i, w, w)  # float indices
    with pytest.raises(ValueError, match=r"interp_linear: expected contiguous"):
        _C.cpu.interp_linear(fastdl.tensor(np.zeros((2, 4, 3), np.float32)).transpose(1, 2), out, 2, i, i, w, w)
