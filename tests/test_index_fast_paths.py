"""The C++ fast paths of x[basic key] (csrc/bind/bind_basic_index.cpp) and .item()
(csrc/bind/bind_item.cpp): randomized basic keys give exactly the view the Python parser
(_parse) makes, on contiguous and strided tensors; the keys they must decline return
None; item() returns the Python number NumPy's item() gives for every dtype."""
import numpy as np
import pytest

import fastdl
from fastdl import _C
from fastdl.ops.indexing import _parse


def random_item(rng, size):
    r = rng.random()
    if r < 0.35:
        return int(rng.integers(-size, size)) if size else slice(None)
    if r < 0.85:
        bound = lambda: None if rng.random() < 0.3 else int(rng.integers(-size - 2, size + 3))
        return slice(bound(), bound(), None if rng.random() < 0.4 else int(rng.integers(1, 4)))
    return None


def random_key(rng, shape):
    items, d = [], 0
    while d < len(shape) and rng.random() < 0.8:
        k = random_item(rng, shape[d])
        items.append(k)
        d += k is not None
    if rng.random() < 0.3:
        items.insert(int(rng.integers(0, len(items) + 1)), Ellipsis)
    return tuple(items) if len(items) != 1 or rng.random() < 0.5 else items[0]


@pytest.mark.parametrize("seed", range(30))
def test_basic_keys_match_the_python_parser(seed):
    rng = np.random.default_rng(seed)
    shape = tuple(int(s) for s in rng.integers(0, 5, size=int(rng.integers(0, 5))))
    base = fastdl.arange(float(np.prod(shape) * 4 or 1))
    for x in (base[:int(np.prod(shape))].reshape(shape),
              base[1:1 + 2 * int(np.prod(shape)):2].reshape(shape) if np.prod(shape) else base[:0].reshape(shape),
              fastdl.arange(float(np.prod(shape))).reshape(shape[::-1]).permute(tuple(range(len(shape)))[::-1])):
        ref = x.numpy()
        for _ in range(20):
            key = random_key(rng, shape)
            if not isinstance(key, (tuple, slice)):
                continue
            geometry = _C.basic_view_args(x, key)
            try:
                view, adv = _parse(x, key)
            except (IndexError, ValueError):
                assert geometry is None, key  # a key the Python path rejects: declined
                continue
            assert geometry is not None, key
            assert not adv
            assert geometry == (tuple(view._shape), tuple(view._strides), view._offset), key
            np.testing.assert_array_equal(x[key].numpy(), ref[key])


def test_declined_keys_and_python_errors():
    x = fastdl.zeros(2, 3)
    for key in ((True,), (np.int64(1),), (fastdl.tensor(1),), ([0, 1],), (Ellipsis, Ellipsis), (0, 0, 0),
                (5,), (-3, 0), (slice(None, None, -1),), (slice(0, 1, 0),), (fastdl.tensor([0]),)):
        assert _C.basic_view_args(x, key) is None, key
    with pytest.raises(IndexError, match="out of bounds"):
        x[5, :]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::-1, :]
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, :]
    with pytest.raises(IndexError, match="single ellipsis"):
        x[..., ...]
    # declined keys still index as NumPy does
    np.testing.assert_array_equal(x[np.int64(1), :].numpy(), np.zeros(3))


def test_basic_setitem_and_gradients():
    x = fastdl.zeros(3, 4)
    x[:, 1:3] = 1.0
    x[1:, ...] = fastdl.tensor([2.0, 2.0, 2.0, 2.0])
    np.testing.assert_array_equal(x.numpy(), [[0, 1, 1, 0], [2, 2, 2, 2], [2, 2, 2, 2]])
    w = fastdl.randn(4, 5, dtype=fastdl.float64, requires_grad=True)
    assert fastdl.autograd.gradcheck(lambda t: t[1:, ::2] * 3, (w,))
    assert fastdl.autograd.gradgradcheck(lambda t: t[None, :, -1] ** 2, (w,))


@pytest.mark.parametrize("dtype", [fastdl.float32, fastdl.float64, fastdl.float16, fastdl.bfloat16, fastdl.int64,
                                   fastdl.int32, fastdl.int16, fastdl.int8, fastdl.uint8, fastdl.bool,
                                   fastdl.complex64, fastdl.complex128])
def test_item_reads_every_dtype(dtype):
    values = fastdl.tensor([[3.25, -2.0], [1.0, 0.0]]).to(dtype)
    for t in (values[0, 0], values[:1, 1], values.T[1:, :1], values[1, 1]):
        got = _C.cpu_item(t)
        want = t.float().numpy().item() if dtype is fastdl.bfloat16 else t.numpy().item()
        assert got == want and type(got) is type(want), (got, want)
        assert t.item() == want
    assert _C.cpu_item(values) is None  # four elements: the Python path raises
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        values.item()
