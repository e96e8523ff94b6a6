"""index_select and index_add along any dim of any rank, against NumPy (np.take,
np.add.at), on strided inputs, at thread splits that cut an outer slice in two, with
repeated indices, and index_add's gradients (it runs the backend's
index_add kernel along the dim, csrc/cpu/index.cpp)."""
import numpy as np
import pytest

import fastdl
from fastdl.autograd import gradcheck
from test_random_kernels import threads  # noqa: F401 (fixture: 1 and 4 threads)

SHAPE = (3, 5, 7, 6)


@pytest.mark.parametrize("dim", [0, 1, 2, 3, -1])
@pytest.mark.parametrize("strided", [False, True])
def test_index_select_matches_take(dim, strided, threads):
    rng = np.random.default_rng(dim % 4 + 10 * strided)
    base = rng.standard_normal((3, 5, 7, 12) if strided else SHAPE).astype(np.float32)
    x = fastdl.tensor(base)[..., ::2] if strided else fastdl.tensor(base)
    ref = base[..., ::2] if strided else base
    size = ref.shape[dim]
    idx = np.array([size - 1, 0, 2 % size, 2 % size, 1, size - 1, 0])
    got = fastdl.index_select(x, dim, fastdl.tensor(idx)).numpy()
    np.testing.assert_array_equal(got, np.take(ref, idx, axis=dim))


def test_index_select_last_dim_large_and_threaded(threads):
    # enough rows that parallel_for splits inside an outer slice (rows r0..r1 not whole slices)
    x = np.arange(2 * 3 * 50 * 33, dtype=np.float64).reshape(2, 3, 50, 33)
    idx = np.random.default_rng(1).integers(0, 33, 4099)
    got = fastdl.index_select(fastdl.tensor(x), 3, fastdl.tensor(idx)).numpy()
    np.testing.assert_array_equal(got, np.take(x, idx, axis=3))


@pytest.mark.parametrize("dim", [0, 1, 2, 3])
@pytest.mark.parametrize("index_dtype", [np.int64, np.int32])
def test_index_add_matches_add_at(dim, index_dtype, threads):
    rng = np.random.default_rng(dim)
    x = rng.standard_normal(SHAPE)
    size = SHAPE[dim]
    idx = np.array([0, size - 1, 1, 0, size - 1, 2 % size, 0]).astype(index_dtype)  # repeats
    src_shape = list(SHAPE)
    src_shape[dim] = len(idx)
    src = rng.standard_normal(src_shape)
    got = fastdl.tensor(x).index_add(dim, fastdl.tensor(idx), fastdl.tensor(src), alpha=2.0).numpy()
    want = x.copy()
    np.add.at(np.moveaxis(want, dim, 0), idx, 2.0 * np.moveaxis(src, dim, 0))
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-14)


def test_index_add_strided_source_and_in_place():
    x = fastdl.zeros(4, 6)
    src = fastdl.tensor(np.arange(24, dtype=np.float32).reshape(6, 4)).t()  # (4, 6), strided
    x.index_add_(1, fastdl.tensor(np.array([5, 0, 0, 5, 2, 0])), src)
    want = np.zeros((4, 6), np.float32)
    np.add.at(want.T, np.array([5, 0, 0, 5, 2, 0]), np.arange(24, dtype=np.float32).reshape(6, 4))
    np.testing.assert_array_equal(x.numpy(), want)


def test_index_add_errors():
    x = fastdl.zeros(3, 4)
    with pytest.raises(IndexError, match="index_add: index 4 is out of bounds"):
        x.index_add(1, fastdl.tensor(np.array([0, 4])), fastdl.ones(3, 2))
    with pytest.raises(IndexError, match="index_add: index -1 is out of bounds"):  # as torch: no wrapping
        x.index_add(1, fastdl.tensor(np.array([0, -1])), fastdl.ones(3, 2))
    with pytest.raises(RuntimeError, match="index_add: source"):
        x.index_add(1, fastdl.tensor(np.array([0, 1])), fastdl.ones(3, 3))


def test_index_add_gradients():
    rng = np.random.default_rng(3)
    x = fastdl.tensor(rng.standard_normal((3, 4, 5)), requires_grad=True)
    src = fastdl.tensor(rng.standard_normal((3, 6, 5)), requires_grad=True)
    idx = fastdl.tensor(np.array([1, 3, 1, 0, 3, 3]))
    assert gradcheck(lambda a, b: a.index_add(1, idx, b, alpha=0.5), (x, src))
