"""The copy kernel's tiled path (csrc/cpu/elementwise.cpp, copy_transposed_tiles): a
row-major destination from a source whose last two dims are swapped in memory
(x.t().contiguous(), permute(..., -1, -2)), for every dtype width, tile remainders, outer
dims of any layout, and 1 vs 2 threads; the untiled forms (small or other layouts) too."""
import numpy as np
import pytest

import fastdl
from fastdl import _C
from kernel_views import kview
from test_gemm_kernel import threads  # noqa: F401 (fixture)

SHAPES = [(8, 8), (9, 17), (64, 784), (100, 37), (3, 33, 65), (2, 3, 40, 24), (7, 300)]
DTYPES = [np.float32, np.float64, np.int64, np.int32, np.int8, np.bool_, np.float16]


def source(shape, dtype, rng):
    a = rng.standard_normal(shape) * 50
    return (a > 0) if dtype == np.bool_ else a.astype(dtype)


def kernel_copy(src_view, base):
    out = np.empty(src_view.shape, src_view.dtype)
    _C.cpu.copy(kview(base, src_view), kview(out))
    return out


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_swapped_last_two_dims(shape, dtype):
    rng = np.random.default_rng(len(shape) * 100 + shape[-1])
    base = source(shape, dtype, rng)
    want = np.ascontiguousarray(np.swapaxes(base, -1, -2))  # src strides (..., 1, n): the tiled form
    got = fastdl.tensor(base).transpose(-1, -2).contiguous().numpy()
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


def test_outer_dims_of_any_layout():
    rng = np.random.default_rng(1)
    base = source((5, 40, 36), np.float32, rng)
    for view in (base.transpose(2, 1, 0), base.transpose(0, 2, 1)[::-1], base.transpose(1, 2, 0)[:, ::2]):
        np.testing.assert_array_equal(kernel_copy(view, base), np.ascontiguousarray(view))


@pytest.mark.parametrize("n", [(1024, 1024), (300, 2001)])
def test_threads_give_the_same_copy(threads, n):  # noqa: F811
    x = fastdl.randn(*n)
    threads(1)
    one = x.t().contiguous().numpy()
    threads(2)
    two = x.t().contiguous().numpy()
    np.testing.assert_array_equal(one, x.numpy().T)
    np.testing.assert_array_equal(two, one)


def test_public_api_forms():
    x = fastdl.randn(4, 50, 60)
    a = x.numpy()
    np.testing.assert_array_equal(x.transpose(1, 2).contiguous().numpy(), np.ascontiguousarray(a.transpose(0, 2, 1)))
    np.testing.assert_array_equal(x.permute(2, 1, 0).clone().numpy(), np.ascontiguousarray(a.transpose(2, 1, 0)))
    y = fastdl.empty(60, 50)
    y.copy_(x[1].t())
    np.testing.assert_array_equal(y.numpy(), a[1].T)
    z = x.double().transpose(-1, -2).contiguous()  # a dtype change: the element loop
    np.testing.assert_array_equal(z.numpy(), a.transpose(0, 2, 1).astype(np.float64))
