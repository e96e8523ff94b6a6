"""t[key] / t[key] = v with index tensors on the CPU, whose positions are worked out on the
host (ops/index_host.py): every key shape against NumPy, gradients, errors, and the cases
that must keep the general path (0-d keys make views, non-contiguous and offset tensors)."""
import numpy as np
import pytest

import fastdl

I = fastdl.tensor


def keys(x):
    return [
        I([1, 0]), I([[1], [0]]), I([-1, 0]), I([], dtype=fastdl.int64),
        (I([1, 0]), I([2, -1])), (I([[1], [0]]), I([0, 1, 2])), (I([1]), I([2]), I([3])),
        (I([1, 0]), I([2, -1], dtype=fastdl.int32)), I([True, False]), x > 5, (x > 5)[:, :, 0],
        (I(1), I([0, 2])), (I([[0, 1]]), slice(None), I([0])),
    ]


def as_numpy_key(key):
    if isinstance(key, tuple):
        return tuple(k.numpy() if isinstance(k, fastdl.Tensor) else k for k in key)
    return key.numpy()


@pytest.mark.parametrize("i", range(13))
def test_get_and_set_match_numpy(i):
    x = fastdl.arange(24.0).reshape(2, 3, 4)
    ref = np.arange(24.0).reshape(2, 3, 4)
    key = keys(x)[i]
    nk = as_numpy_key(key)
    got = x[key]
    assert tuple(got.shape) == ref[nk].shape
    np.testing.assert_array_equal(got.numpy(), ref[nk])
    x[key] = -1.0
    ref[nk] = -1.0
    np.testing.assert_array_equal(x.numpy(), ref)
    x[key] = x[key] * 2 + 1
    ref[nk] = ref[nk] * 2 + 1
    np.testing.assert_array_equal(x.numpy(), ref)


def test_gradient_adds_repeated_positions():
    q = fastdl.zeros(4, 3, dtype=fastdl.float64, requires_grad=True)
    q[I([0, 2, 2]), I([1, 0, 0])].sum().backward()
    want = np.zeros((4, 3))
    want[0, 1], want[2, 0] = 1, 2
    np.testing.assert_array_equal(q.grad.numpy(), want)
    e = fastdl.randn(5, 3, dtype=fastdl.float64, requires_grad=True)
    assert fastdl.autograd.gradcheck(lambda t: t[I([[4, 0], [0, 1]])], (e,))
    assert fastdl.autograd.gradcheck(lambda t: t[t.detach() > 0], (e,))


def test_bad_keys_raise_like_the_general_path():
    x = fastdl.arange(24.0).reshape(2, 3, 4)
    with pytest.raises(IndexError, match="index 2 is out of bounds for dimension 0 with size 2"):
        x[I([2])]
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 1 with size 3"):
        x[I([0]), I([3])]
    with pytest.raises(IndexError, match="index -4 is out of bounds for dimension 1 with size 3"):
        x[I([0]), I([-4])] = 1.0
    with pytest.raises(RuntimeError, match="cannot be broadcast"):
        x[I([0, 1]), I([0, 1, 2])]
    with pytest.raises(IndexError, match="tensors used as indices"):
        x[I([0.5])]


def test_a_zero_d_key_still_makes_a_view():
    x = fastdl.arange(6.0).reshape(2, 3)
    y = x[I(1)]
    y[0] = 100.0
    assert x[1, 0].item() == 100.0


def test_strided_and_offset_tensors_are_written_in_place():
    x = fastdl.arange(24.0).reshape(4, 6).t()  # not contiguous: the general path
    ref = np.arange(24.0).reshape(4, 6).T.copy()
    x[I([0, 2])] = 7.0
    ref[[0, 2]] = 7.0
    np.testing.assert_array_equal(x.numpy(), ref)
    base = fastdl.arange(24.0).reshape(4, 6)
    rows = base[1:]  # contiguous with an offset
    ref = np.arange(24.0).reshape(4, 6)
    rows[I([0, 2])] = 5.0
    ref[1:][[0, 2]] = 5.0
    np.testing.assert_array_equal(base.numpy(), ref)
    assert rows[I([0, 2])].tolist() == [[5.0] * 6] * 2
