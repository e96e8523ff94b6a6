"""flip's kernel (csrc/cpu/flip.cpp, cuda/flip.cu): the input read through
common/flip_view.h's flipped view (negated strides from each flipped dim's last element),
dims merged where the view and the output run together. Against np.flip for every
element size (bool, float16, float32, int64, complex128), ranks 0-5, every subset of
dims, views (transposed, sliced, broadcast), rows split across 1 and 2 threads; its
gradient, and the kernel's own errors."""
import itertools

import numpy as np
import pytest

import fastdl
from fastdl import _C
from fastdl.testing import gradcheck, gradgradcheck



def sample(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape) * 100
    if dtype == np.complex128:
        return a + 1j * rng.standard_normal(shape)
    return a.astype(dtype)


@pytest.mark.parametrize("dtype", [np.bool_, np.float16, np.float32, np.int64, np.complex128])
@pytest.mark.parametrize("shape", [(), (1,), (9,), (3, 5), (2, 1, 4), (2, 3, 1, 4, 2)])
def test_every_subset_of_dims_matches_numpy(dtype, shape):
    a = sample(shape, dtype)
    t = fastdl.tensor(a)
    for k in range(len(shape) + 1):
        for dims in itertools.combinations(range(len(shape)), k):
            got = t.flip(dims)
            np.testing.assert_array_equal(got.numpy(), np.flip(a, dims) if dims else a)
            assert got.dtype == t.dtype and got.is_contiguous()


@pytest.mark.parametrize("dims", [(0,), (1,), (2,), (0, 2), (-1, 0, 1)])
def test_views_and_long_rows(dims, threads):
    a = sample((40, 3000, 3), np.float32, 1)
    t = fastdl.tensor(a)
    for view, ref in ((t, a), (t.transpose(0, 2), a.transpose(2, 1, 0)), (t[::3, 7:, 1:], a[::3, 7:, 1:]),
                      (t[:1].expand(5, 3000, 3), np.broadcast_to(a[:1], (5, 3000, 3)))):
        np.testing.assert_array_equal(view.flip(dims).numpy(), np.flip(ref, dims))
    np.testing.assert_array_equal(fastdl.tensor(a[0, :, 0].copy()).flip(0).numpy(), a[0, ::-1, 0])


def test_gradient_is_the_flip_back():
    x = fastdl.tensor(np.random.default_rng(2).standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda v: v.flip((0, 1)) * fastdl.arange(12.0, dtype=fastdl.float64).reshape(3, 4), (x,))
    assert gradgradcheck(lambda v: (v.flip(1) ** 2), (x,))
    y = fastdl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (y.flip(0) * fastdl.tensor([1.0, 10.0, 100.0])).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [100.0, 10.0, 1.0])


def test_flip_of_size_one_dims_is_still_a_copy():
    t = fastdl.tensor([[1.0, 2.0]])
    out = t.flip(0)
    out[0, 0] = 5.0
    assert t[0, 0].item() == 1.0


def test_kernel_errors():
    x = fastdl.zeros(2, 3)
    with pytest.raises(IndexError, match=r"flip: dims must be distinct and in \[0, 2\), got 2"):
        _C.cpu.flip(x, fastdl.zeros(2, 3), [2])
    with pytest.raises(IndexError, match="flip: dims must be distinct"):
        _C.cpu.flip(x, fastdl.zeros(2, 3), [1, 1])
    with pytest.raises(ValueError, match="flip: out must be contiguous"):
        _C.cpu.flip(x, fastdl.zeros(3, 2).t(), [0])
    with pytest.raises(TypeError, match="flip: expected dtype float32"):
        _C.cpu.flip(x, fastdl.zeros(2, 3, dtype=fastdl.float64), [0])
    with pytest.raises(ValueError, match="flip: shape mismatch"):
        _C.cpu.flip(x, fastdl.zeros(3, 2), [0])
    with pytest.raises(ValueError, match="appears multiple times"):
        x.flip((0, -2))


def test_same_answer_on_every_device(device):
    a = sample((4, 70, 5), np.float32, 3)
    for dims in ((0,), (2,), (0, 1, 2)):
        np.testing.assert_array_equal(fastdl.tensor(a).to(device).flip(dims).cpu().numpy(), np.flip(a, dims))
