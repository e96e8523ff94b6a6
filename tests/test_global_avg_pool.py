"""Global average pooling of dense planes (adaptive_avg_pool2d to 1x1, or an avg_pool2d
window the size of the plane): the AVX2 plane sums (csrc/cpu/pool_avx2.cpp,
dense_plane_means_avx2) and the portable loops, against float64 NumPy, for plane
lengths around the 16- and 4-element vector steps, planes at channel strides (a
channel slice, a batch slice), special values, and thread splits."""
import numpy as np
import pytest

import fastdl
from test_gemm_kernel import threads, use_avx2  # noqa: F401 (fixtures)

F = fastdl.nn.functional


@pytest.mark.parametrize("hw", [(1, 1), (1, 3), (2, 2), (3, 5), (4, 4), (1, 17), (7, 7), (16, 16), (1, 257)])
def test_means_match_float64(use_avx2, hw):  # noqa: F811
    rng = np.random.default_rng(hw[0] * 100 + hw[1])
    x = rng.standard_normal((3, 5) + hw).astype(np.float32)
    want = x.astype(np.float64).mean((2, 3), keepdims=True)
    for got in (F.adaptive_avg_pool2d(fastdl.tensor(x), 1), F.avg_pool2d(fastdl.tensor(x), hw)):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-6, atol=1e-7)
        assert got.dtype is fastdl.float32 and tuple(got.shape) == (3, 5, 1, 1)


def test_strided_planes_and_thread_splits(use_avx2, threads):  # noqa: F811
    rng = np.random.default_rng(0)
    full = rng.standard_normal((6, 40, 7, 7)).astype(np.float32)
    want = full.astype(np.float64).mean((2, 3), keepdims=True)
    t = fastdl.tensor(full)
    for n in (1, 2):
        threads(n)
        for sl in (np.s_[:, 3:37], np.s_[1:5, ::3], np.s_[::2]):  # channel / batch slices: planes at strides
            got = F.adaptive_avg_pool2d(t[sl], 1).numpy()
            np.testing.assert_allclose(got, want[sl], rtol=1e-6, atol=1e-7)


def test_avx2_and_portable_agree(use_avx2):  # noqa: F811
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 33, 9, 9)).astype(np.float32) * 100
    got = F.adaptive_avg_pool2d(fastdl.tensor(x), 1).numpy()
    # float32 sums in double: exact here (values of one magnitude), so both paths give
    # the float64 mean rounded once
    np.testing.assert_array_equal(got, x.astype(np.float64).mean((2, 3), keepdims=True).astype(np.float32))


def test_special_values(use_avx2):  # noqa: F811
    x = np.ones((1, 5, 6, 6), np.float32)
    x[0, 0, 5, 5] = np.nan      # the scalar tail of a 36-element plane
    x[0, 1, 0, 0] = np.inf      # the first vector step
    x[0, 2, 2, 3] = -np.inf
    x[0, 3, 1, 1], x[0, 3, 4, 4] = np.inf, -np.inf
    x[0, 4] = 3e38              # a sum past float32's range: double keeps it
    got = F.adaptive_avg_pool2d(fastdl.tensor(x), 1).numpy().ravel()
    assert np.isnan(got[0]) and got[1] == np.inf and got[2] == -np.inf and np.isnan(got[3])
    np.testing.assert_allclose(got[4], 3e38, rtol=1e-7)


def test_gradient_unchanged():
    rng = np.random.default_rng(2)
    x = fastdl.tensor(rng.standard_normal((2, 3, 7, 7)), requires_grad=True)  # float64: gradcheck
    assert fastdl.autograd.gradcheck(lambda t: F.adaptive_avg_pool2d(t, 1), (x,))
