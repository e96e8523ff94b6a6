"""F.fractional_max_pool3d / _with_indices and nn.FractionalMaxPool3d (the N-dim code of
functional/pooling_fractional.py, which fractional_max_pool2d shares), and F.pdist:
forward against NumPy references written from torch's interval formula, float64
gradcheck, torch parity (values and indices bit for bit, gradients) and bad inputs."""
import math

import numpy as np
import pytest

import fastdl
import fastdl.nn.functional as F
from fastdl import nn
from fastdl.testing import gradcheck

RNG = np.random.default_rng(0)


def _starts(u, n_in, n_out, k):
    """torch's generate_intervals for one sample u (float64)."""
    if n_out == 1:
        return [n_in - k]
    alpha = (n_in - k) / (n_out - 1)
    return [int(math.floor((i + u) * alpha) - math.floor(u * alpha)) for i in range(n_out - 1)] + [n_in - k]


def _np_frac3d(x, k, out, u):
    N, C, T, H, W = x.shape
    y = np.empty((N, C) + out)
    idx = np.empty((N, C) + out, dtype=np.int64)
    for n in range(N):
        for c in range(C):
            st = [_starts(u[n, c, d], (T, H, W)[d], out[d], k[d]) for d in range(3)]
            for a, t0 in enumerate(st[0]):
                for b, h0 in enumerate(st[1]):
                    for e, w0 in enumerate(st[2]):
                        win = x[n, c, t0:t0 + k[0], h0:h0 + k[1], w0:w0 + k[2]]
                        j = np.unravel_index(np.argmax(win), win.shape)
                        y[n, c, a, b, e] = win[j]
                        idx[n, c, a, b, e] = ((t0 + j[0]) * H + h0 + j[1]) * W + w0 + j[2]
    return y, idx


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("k,out,ratio", [((2, 2, 2), (3, 4, 5), None), ((2, 3, 2), None, 0.5), ((3, 1, 2), (1, 6, 2), None)])
def test_fractional_max_pool3d_matches_numpy(k, out, ratio, dtype):
    x = RNG.standard_normal((2, 3, 7, 8, 9))
    u = RNG.random((2, 3, 3))
    y, i = F.fractional_max_pool3d(fastdl.tensor(x, dtype=getattr(fastdl, dtype)), k, output_size=out,
                                   output_ratio=ratio, return_indices=True,
                                   _random_samples=fastdl.tensor(u, dtype=getattr(fastdl, dtype)))
    shape = out if out is not None else (3, 4, 4)
    wy, wi = _np_frac3d(x, k, shape, np.asarray(u, dtype=getattr(np, dtype)).astype(np.float64))
    assert tuple(y.shape) == (2, 3) + shape and y.dtype is getattr(fastdl, dtype) and i.dtype is fastdl.int64
    np.testing.assert_array_equal(i.numpy(), wi)
    np.testing.assert_allclose(y.numpy(), wy, rtol=1e-6)


def test_fractional_max_pool3d_unbatched_module_and_halves():
    x = RNG.standard_normal((3, 6, 6, 6))
    u = RNG.random((1, 3, 3))
    m = nn.FractionalMaxPool3d(2, output_size=3, return_indices=True, _random_samples=fastdl.tensor(u))
    y, i = m(fastdl.tensor(x))
    wy, wi = _np_frac3d(x[None], (2, 2, 2), (3, 3, 3), u)
    np.testing.assert_array_equal(i.numpy(), wi[0])
    np.testing.assert_allclose(y.numpy(), wy[0])
    assert tuple(F.fractional_max_pool3d_with_indices(fastdl.tensor(x), 2, output_ratio=(0.5, 0.5, 0.5))[0].shape) \
        == (3, 3, 3, 3)
    # random samples drawn when none are given: the windows still cover the input, values come from it
    z = nn.FractionalMaxPool3d((2, 2, 2), output_ratio=0.5)(fastdl.tensor(x))
    assert tuple(z.shape) == (3, 3, 3, 3) and np.isin(z.numpy(), x).all()
    h = F.fractional_max_pool3d(fastdl.tensor(x, dtype=fastdl.bfloat16), 2, output_size=3,
                                _random_samples=fastdl.tensor(u))
    assert h.dtype is fastdl.bfloat16


def test_fractional_max_pool3d_gradcheck():
    x = fastdl.tensor(RNG.standard_normal((1, 2, 5, 5, 6)), requires_grad=True)
    u = fastdl.tensor(RNG.random((1, 2, 3)))
    assert gradcheck(lambda t: F.fractional_max_pool3d(t, 2, output_size=(2, 3, 3), _random_samples=u), (x,))


def test_fractional_max_pool_torch_parity():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((2, 3, 7, 8, 9))
    u = RNG.random((2, 3, 3))
    for kw in (dict(kernel_size=2, output_size=(3, 4, 5)), dict(kernel_size=(2, 3, 2), output_ratio=0.5),
               dict(kernel_size=3, output_size=1)):
        xt = torch.tensor(x, requires_grad=True)
        xf = fastdl.tensor(x, requires_grad=True)
        ty, ti = torch.nn.functional.fractional_max_pool3d(xt, return_indices=True, _random_samples=torch.tensor(u),
                                                           **kw)
        fy, fi = F.fractional_max_pool3d(xf, return_indices=True, _random_samples=fastdl.tensor(u), **kw)
        np.testing.assert_array_equal(fi.numpy(), ti.numpy())
        np.testing.assert_array_equal(fy.detach().numpy(), ty.detach().numpy())
        w = RNG.standard_normal(tuple(ty.shape))
        (ty * torch.tensor(w)).sum().backward()
        (fy * fastdl.tensor(w)).sum().backward()
        np.testing.assert_array_equal(xf.grad.numpy(), xt.grad.numpy())
    # the 2-D op shares the code: (w, h) sample order as torch's
    x2, u2 = RNG.standard_normal((2, 3, 7, 8)), RNG.random((2, 3, 2))
    ti = torch.nn.functional.fractional_max_pool2d(torch.tensor(x2), 2, output_size=(3, 5), return_indices=True,
                                                   _random_samples=torch.tensor(u2))[1]
    fi = F.fractional_max_pool2d(fastdl.tensor(x2), 2, output_size=(3, 5), return_indices=True,
                                 _random_samples=fastdl.tensor(u2))[1]
    np.testing.assert_array_equal(fi.numpy(), ti.numpy())


def test_fractional_max_pool3d_bad_inputs():
    x = fastdl.tensor(RNG.standard_normal((1, 2, 7, 7, 7)))
    with pytest.raises(ValueError, match="fractional_max_pool3d"):
        F.fractional_max_pool3d(x, 2)
    with pytest.raises(RuntimeError, match="fractional_max_pool3d"):
        F.fractional_max_pool3d(x, 5, output_size=5)
    with pytest.raises(RuntimeError, match="fractional_max_pool3d"):
        F.fractional_max_pool3d(fastdl.tensor(np.ones((7, 7))), 2, output_size=2)
    with pytest.raises(RuntimeError, match="_random_samples"):
        F.fractional_max_pool3d(x, 2, output_size=2, _random_samples=fastdl.rand(1, 2, 2))
    with pytest.raises(TypeError, match="fractional_max_pool3d"):
        F.fractional_max_pool3d(fastdl.ones(1, 1, 4, 4, 4, dtype=fastdl.int64), 2, output_size=2)
    with pytest.raises(ValueError, match="output_ratio"):
        nn.FractionalMaxPool3d(2, output_ratio=1.5)
    with pytest.raises(ValueError, match="FractionalMaxPool3d"):
        nn.FractionalMaxPool3d(2)
    with pytest.raises(ValueError, match="only one"):
        nn.FractionalMaxPool3d(2, output_size=2, output_ratio=0.5)


# ---------------------------------------------------------------- pdist
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.0, math.inf])
def test_pdist_matches_numpy(p):
    x = RNG.standard_normal((5, 3))
    i, j = np.triu_indices(5, 1)
    d = x[i] - x[j]
    if p == 0:
        want = (d != 0).sum(-1).astype(float)
    elif p == math.inf:
        want = np.abs(d).max(-1)
    else:
        want = (np.abs(d) ** p).sum(-1) ** (1 / p)
    np.testing.assert_allclose(F.pdist(fastdl.tensor(x), p).numpy(), want, rtol=1e-12)
    assert F.pdist is fastdl.pdist


def test_pdist_gradcheck_and_torch():
    x = fastdl.tensor(RNG.standard_normal((4, 3)), requires_grad=True)
    assert gradcheck(lambda t: F.pdist(t, 2), (x,))
    assert gradcheck(lambda t: F.pdist(t, 1.5), (x,))
    torch = pytest.importorskip("torch")
    xt = torch.tensor(x.detach().numpy(), requires_grad=True)
    torch.nn.functional.pdist(xt, 3).sum().backward()
    F.pdist(x, 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-10)
    with pytest.raises(ValueError, match="pdist"):
        F.pdist(fastdl.ones(2, 3, 4))
