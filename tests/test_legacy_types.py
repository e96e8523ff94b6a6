"""torch's legacy tensor types (fastdl/legacy_types.py): constructors, isinstance,
Tensor.type() both ways, set_default_tensor_type."""
import numpy as np
import pytest

import fastdl


def test_type_strings():
    assert fastdl.randn(2).type() == "fastdl.FloatTensor"
    assert fastdl.zeros(2, dtype=fastdl.float64).type() == "fastdl.DoubleTensor"
    assert fastdl.arange(3).type() == "fastdl.LongTensor"
    assert (fastdl.arange(3) > 1).type() == "fastdl.BoolTensor"
    assert fastdl.zeros(1, dtype=fastdl.float16).type() == "fastdl.HalfTensor"
    assert fastdl.zeros(1, dtype=fastdl.bfloat16).type() == "fastdl.BFloat16Tensor"


def test_isinstance_is_dtype_and_device():
    x = fastdl.randn(2, 3)
    assert isinstance(x, fastdl.FloatTensor) and not isinstance(x, fastdl.DoubleTensor)
    assert isinstance(x.long(), fastdl.LongTensor)
    assert not isinstance(x, fastdl.cuda.FloatTensor)
    assert not isinstance(np.zeros(2, np.float32), fastdl.FloatTensor)
    assert fastdl.FloatTensor.dtype is fastdl.float32 and fastdl.cuda.LongTensor.device_type == "cuda"


def test_constructors():
    e = fastdl.FloatTensor(2, 3)
    assert e.shape == (2, 3) and e.dtype == fastdl.float32
    assert fastdl.FloatTensor().shape == (0,)
    assert fastdl.FloatTensor(fastdl.Size([4, 1])).shape == (4, 1)
    d = fastdl.LongTensor([1, 2, 3])
    assert d.dtype == fastdl.int64 and d.tolist() == [1, 2, 3]
    assert fastdl.FloatTensor((1, 2)).tolist() == [1.0, 2.0]  # a tuple is data, a Size is sizes
    np.testing.assert_array_equal(fastdl.DoubleTensor(np.arange(3)).numpy(), np.arange(3.0))
    t = fastdl.DoubleTensor(fastdl.ones(2))
    assert t.dtype == fastdl.float64
    assert fastdl.BoolTensor([True, False]).dtype == fastdl.bool_
    with pytest.raises(TypeError, match="FloatTensor"):
        fastdl.FloatTensor(2, "a")


def test_type_conversions():
    x = fastdl.tensor([1.5, -2.5])
    for target in (fastdl.DoubleTensor, "torch.DoubleTensor", "fastdl.DoubleTensor", fastdl.float64):
        y = x.type(target)
        assert y.dtype == fastdl.float64
        np.testing.assert_array_equal(y.numpy(), [1.5, -2.5])
    assert x.type(fastdl.LongTensor).tolist() == [1, -2]
    with pytest.raises(ValueError, match="invalid type 'foo'"):
        x.type("foo")


def test_set_default_tensor_type():
    try:
        fastdl.set_default_tensor_type(fastdl.DoubleTensor)
        assert fastdl.randn(2).dtype == fastdl.float64
        fastdl.set_default_tensor_type("torch.FloatTensor")
        assert fastdl.randn(2).dtype == fastdl.float32
        with pytest.raises(TypeError, match="floating"):
            fastdl.set_default_tensor_type(fastdl.LongTensor)
        with pytest.raises(RuntimeError, match="CUDA"):
            fastdl.set_default_tensor_type(fastdl.cuda.FloatTensor)
        with pytest.raises(TypeError, match="invalid type string"):
            fastdl.set_default_tensor_type("torch.Nope")
    finally:
        fastdl.set_default_dtype(fastdl.float32)


def test_torch_parity():
    torch = pytest.importorskip("torch")
    for dtype, tdtype in [(fastdl.float32, torch.float32), (fastdl.float64, torch.float64), (fastdl.int64, torch.int64),
                          (fastdl.bool_, torch.bool), (fastdl.float16, torch.float16)]:
        assert fastdl.zeros(1, dtype=dtype).type().split(".")[-1] == torch.zeros(1, dtype=tdtype).type().split(".")[-1]
    assert torch.FloatTensor((1, 2)).tolist() == fastdl.FloatTensor((1, 2)).tolist()
    assert tuple(torch.FloatTensor(torch.Size([4, 1])).shape) == tuple(fastdl.FloatTensor(fastdl.Size([4, 1])).shape)
