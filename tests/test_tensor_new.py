"""The C++ tensor constructors (csrc/bind/bind_tensor_new.cpp): Tensor._make, which every
view goes through, and _C.empty_cpu, which allocates every op output on the CPU. They
write Tensor's __slots__ directly, so these tests check every field, the references they
hold (no leak, nothing freed early) and their errors."""
import gc
import sys

import numpy as np
import pytest

import fastdl
from fastdl import _C
from fastdl.nn import Parameter
from fastdl.tensor import Size, Tensor, contiguous_strides

CPU = fastdl.device("cpu")


def _fields(t):
    return (t._buf, t._dtype, t._shape, t._strides, t._offset, t._device, t._requires_grad, t.grad, t._grad_fn,
            t._out_index, t._accumulator, t._hooks, t._base)


@pytest.mark.parametrize("shape", [(), (0,), (5,), (3, 4), (1, 7), (4, 0), (2, 0, 3), (2, 3, 4, 5), (6, 1, 1)])
@pytest.mark.parametrize("dtype", [fastdl.float32, fastdl.float64, fastdl.int64, fastdl.bool_])
def test_empty_cpu_fields(shape, dtype):
    t = _C.empty_cpu(shape, dtype, CPU)
    assert type(t) is Tensor
    assert type(t._shape) is Size and t._shape == shape
    assert type(t._strides) is tuple and t._strides == contiguous_strides(shape)
    assert t._dtype is dtype and t._device is CPU and t._offset == 0 and t._out_index == 0
    assert t._requires_grad is False and t.grad is None and t._grad_fn is None
    assert t._accumulator is None and t._hooks is None and t._base is None
    assert t._buf.nbytes == int(np.prod(shape)) * dtype.itemsize
    assert t.is_contiguous()
    # usable as any tensor: writes land where numpy expects them
    ref = np.arange(int(np.prod(shape))).reshape(shape).astype(dtype.np)
    t.copy_(fastdl.tensor(ref))
    np.testing.assert_array_equal(t.numpy(), ref)


def test_empty_cpu_accepts_sequences_and_index_ints():
    t = _C.empty_cpu([2, np.int64(3)], fastdl.float32, CPU)
    assert t.shape == (2, 3) and t._strides == (3, 1)
    s = Size((4, 5))
    assert _C.empty_cpu(s, fastdl.float32, CPU)._shape is s  # a Size is kept, not copied


@pytest.mark.parametrize("shape, match", [((2, -3), "negative dimension in shape"),
                                          ((-1, -1), "negative dimension in shape"),
                                          ((2 ** 40, 2 ** 40), "overflows")])
def test_empty_cpu_bad_shapes(shape, match):
    with pytest.raises(ValueError, match=match):
        _C.empty_cpu(shape, fastdl.float32, CPU)


def test_empty_cpu_bad_arguments():
    with pytest.raises(TypeError, match="expected 3 arguments"):
        _C.empty_cpu((2,), fastdl.float32)
    with pytest.raises(TypeError):
        _C.empty_cpu((2.5,), fastdl.float32, CPU)
    with pytest.raises(AttributeError):
        _C.empty_cpu((2,), "float32", CPU)  # the op layer passes DType objects only


def test_make_views_and_subclasses():
    base = fastdl.arange(12.0)
    v = Tensor._make(base._buf, base._dtype, [3, 2], [2, 1], 4, base._device, base)
    assert type(v) is Tensor and type(v._shape) is Size and v._strides == (2, 1) and v._base is base
    np.testing.assert_array_equal(v.numpy(), np.arange(4.0, 10.0).reshape(3, 2))
    p = Parameter(base)
    assert type(p) is Parameter and p.requires_grad and p._buf is base._buf
    w = Parameter._make(base._buf, base._dtype, (12,), (1,), 0, base._device)
    assert type(w) is Parameter and w._base is None and not w.requires_grad


def test_make_bad_arguments():
    base = fastdl.zeros(3)
    with pytest.raises(TypeError, match="wrong number of arguments"):
        Tensor._make(base._buf, base._dtype, (3,))
    with pytest.raises(TypeError, match="cls must be Tensor"):
        _C.make_tensor(int, base._buf, base._dtype, (3,), (1,), 0, base._device)
    with pytest.raises(TypeError):
        Tensor._make(base._buf, base._dtype, (3,), 5, 0, base._device)  # strides not a sequence


def test_references_are_balanced():
    """Each tensor holds one reference to each field and drops it when freed: the dtype's
    and device's counts come back, and every Buffer is released."""
    dt, dev = fastdl.float32, CPU
    gc.collect()
    before = (sys.getrefcount(dt), sys.getrefcount(dev), _C.live_buffers())
    ts = [_C.empty_cpu((8, 8), dt, dev) for _ in range(100)]
    vs = [Tensor._make(t._buf, t._dtype, t._shape, t._strides, 0, t._device, t) for t in ts]
    assert sys.getrefcount(dt) == before[0] + 200
    assert _C.live_buffers() == before[2] + 100
    del vs
    assert _C.live_buffers() == before[2] + 100  # the tensors still hold them
    del ts
    gc.collect()
    assert (sys.getrefcount(dt), sys.getrefcount(dev), _C.live_buffers()) == before


def test_fields_survive_their_sources():
    """The constructor takes its own references: a shape tuple or buffer dropped by the
    caller stays alive inside the tensor."""
    t = fastdl.arange(6.0)
    v = Tensor._make(t._buf, t._dtype, tuple([2, 3]), list((3, 1)), 0, t._device)
    del t
    gc.collect()
    np.testing.assert_array_equal(v.numpy(), np.arange(6.0).reshape(2, 3))
    assert _fields(v)[2] == (2, 3)
