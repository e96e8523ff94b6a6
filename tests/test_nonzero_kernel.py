"""nonzero's CPU kernel (csrc/cpu/index.cpp): counts per chunk, then every element's
coordinates written at the next free row, which moves on only past a nonzero element
(branch-free), the last coordinate in a register. Against np.argwhere for ranks 0-6, views
(transposed, sliced, expanded), sizes that span several chunks at 1 and 2 threads, and
all-zero / all-nonzero / single-element inputs."""
import numpy as np
import pytest

import fastdl



@pytest.mark.parametrize("shape", [(), (1,), (7,), (300_001,), (3, 5), (517, 1031), (2, 3, 4), (4, 1, 6, 2),
                                   (2, 2, 3, 2, 3), (2, 1, 2, 3, 1, 2)])
@pytest.mark.parametrize("density", [0.0, 0.3, 1.0])
def test_nonzero_matches_argwhere(shape, density, threads):
    rng = np.random.default_rng(len(shape) * 7 + int(density * 10))
    a = (rng.random(shape) < density).astype(np.float32) * rng.standard_normal(shape).astype(np.float32)
    got = fastdl.tensor(a).nonzero().numpy()
    np.testing.assert_array_equal(got, np.argwhere(a))
    assert got.dtype == np.int64 and got.shape == (np.count_nonzero(a), len(shape))


def test_nonzero_of_views(threads):
    rng = np.random.default_rng(3)
    a = rng.random((64, 129, 3)) < 0.4
    t = fastdl.tensor(a)
    for view, ref in ((t.transpose(0, 2), a.transpose(2, 1, 0)), (t[:, ::3, 1:], a[:, ::3, 1:]),
                      (t[5].expand(4, 129, 3), np.broadcast_to(a[5], (4, 129, 3)))):
        np.testing.assert_array_equal(view.nonzero().numpy(), np.argwhere(ref))
        for got, want in zip(fastdl.nonzero(view, as_tuple=True), np.nonzero(ref)):
            np.testing.assert_array_equal(got.numpy(), want)


@pytest.mark.parametrize("dtype", [np.bool_, np.float32, np.float64, np.int64])
def test_count_nonzero_and_bool_sum_use_the_count_kernel(dtype, threads):
    """count_nonzero() and a bool mask's sum() count with the kernel (no int64 copy of the
    mask): contiguous tensors in one vectorised run per chunk, views by the strided walk."""
    rng = np.random.default_rng(4)
    a = (rng.random((517, 1031)) < 0.3) * rng.standard_normal((517, 1031))
    if np.dtype(dtype).kind == "f":
        a[3, ::7] = np.nan  # NaN counts as nonzero
    a = a.astype(dtype)
    t = fastdl.tensor(a)
    for view, ref in ((t, a), (t.t(), a.T), (t[::2, 5:], a[::2, 5:])):
        got = fastdl.count_nonzero(view)
        assert got.dtype is fastdl.int64 and got.ndim == 0
        assert got.item() == np.count_nonzero(ref)
        if dtype == np.bool_:
            assert view.sum().item() == ref.sum() and view.sum().dtype is fastdl.int64
            assert view.sum(dim=(0, 1), keepdim=True).numpy().tolist() == [[ref.sum()]]
    np.testing.assert_array_equal(fastdl.count_nonzero(t, dim=1).numpy(), np.count_nonzero(a, axis=1))
