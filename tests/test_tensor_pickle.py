"""pickle of tensors and modules (Tensor.__reduce_ex__, Buffer.__reduce__): values, dtypes,
views, classes and requires_grad survive every protocol; memory shared in one pickle is
shared after loading; non-leaf tensors are refused with PyTorch's message."""
import pickle

import numpy as np
import pytest

import fastdl
from fastdl import _C, nn

PROTOCOLS = range(pickle.HIGHEST_PROTOCOL + 1)


def roundtrip(obj, protocol=pickle.HIGHEST_PROTOCOL):
    return pickle.loads(pickle.dumps(obj, protocol=protocol))


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool", "float16"])
def test_values_and_dtypes(protocol, dtype):
    rng = np.random.default_rng(0)
    a = (rng.standard_normal((3, 5)) * 10).astype(dtype)
    t = fastdl.tensor(a)
    u = roundtrip(t, protocol)
    assert type(u) is fastdl.Tensor and u.dtype is t.dtype and u.shape == t.shape and u.device == t.device
    np.testing.assert_array_equal(u.numpy(), a)
    assert u._buf is not t._buf  # new memory


def test_views_stay_views_of_one_memory():
    base = fastdl.arange(12.0).reshape(3, 4)
    col, row, tr = base[:, 1], base[2], base.t()
    b2, col2, row2, tr2 = roundtrip([base, col, row, tr])
    assert col2._buf is b2._buf and row2._buf is b2._buf and tr2._buf is b2._buf
    assert tuple(col2.stride()) == tuple(col.stride()) and col2._offset == col._offset
    np.testing.assert_array_equal(tr2.numpy(), base.numpy().T)
    b2[2, 1] = -1.0  # one memory: the write shows through every view
    assert col2[2].item() == -1.0 and row2[1].item() == -1.0 and tr2[1, 2].item() == -1.0
    assert base[2, 1].item() == 9.0  # and not in the original
    alone = roundtrip(col)  # a view pickled by itself brings its whole buffer
    np.testing.assert_array_equal(alone.numpy(), [1.0, 5.0, 9.0])


def test_requires_grad_parameters_and_modules():
    leaf = fastdl.randn(2, 3, requires_grad=True)
    leaf.grad = fastdl.ones(2, 3)
    l2 = roundtrip(leaf)
    assert l2.requires_grad and l2.is_leaf and l2.grad is None  # grad is not pickled, as in PyTorch
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))
    m2 = roundtrip(model)
    w = m2[0].weight
    assert type(w) is nn.Parameter and w.requires_grad
    assert w._buf is not model[0].weight._buf
    x = fastdl.randn(4, 3)
    np.testing.assert_array_equal(m2(x).detach().numpy(), model(x).detach().numpy())
    m2(x).sum().backward()  # the copy trains on its own
    assert w.grad is not None and model[0].weight.grad is None


def test_non_leaf_and_detach():
    x = fastdl.randn(3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="Cowardly refusing to serialize non-leaf tensor"):
        pickle.dumps(y)
    np.testing.assert_array_equal(roundtrip(y.detach()).numpy(), y.detach().numpy())
    with fastdl.no_grad():
        z = x * 2  # made outside the graph: a plain tensor
    assert not roundtrip(z).requires_grad


def test_buffers_pickle_alone_and_are_released():
    b = _C.Buffer(8)
    np.frombuffer(b, np.float32)[:] = [1.5, -2.0]
    b2 = roundtrip(b)
    assert type(b2) is _C.Buffer and b2.nbytes == 8 and b2.version == 0
    assert np.frombuffer(b2, np.float32).tolist() == [1.5, -2.0]
    before = _C.live_buffers()
    for _ in range(20):
        roundtrip([fastdl.ones(100), fastdl.zeros(3)])
    assert _C.live_buffers() == before


@pytest.mark.cuda
def test_device_tensor_comes_back_on_its_device():
    if not fastdl.cuda.is_available():
        pytest.skip("no CUDA device")
    p = nn.Parameter(fastdl.randn(4, 4).cuda())
    p2 = roundtrip(p)
    assert type(p2) is nn.Parameter and p2.device == p.device and p2.requires_grad
    np.testing.assert_array_equal(p2.detach().cpu().numpy(), p.detach().cpu().numpy())
