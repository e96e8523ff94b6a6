"""fastdl._C.Buffer, the CPython type behind every tensor's memory (csrc/bind/buffer_object.cpp):
construction and its errors, the fields, the in-place version counter, the buffer
protocol, sharing a NumPy array's memory, weak references, and that every Buffer is
released."""
import gc
import sys
import weakref

import numpy as np
import pytest

import fastdl
from fastdl import _C


def test_new_buffer_fields():
    b = _C.Buffer(24)
    assert (b.nbytes, b.device, b.device_index, b.version) == (24, 0, 0, 0)
    assert b.ptr != 0
    assert _C.Buffer(nbytes=8, device=0, index=0).nbytes == 8
    assert _C.Buffer(0).nbytes == 0


@pytest.mark.parametrize("args, kwargs, err, match", [
    ((-1,), {}, ValueError, "negative size -1"),
    ((8, 7), {}, ValueError, "device must be 0 \\(cpu\\) or 1 \\(cuda\\), got 7"),
    (("8",), {}, TypeError, None),
    ((), {}, TypeError, None),
    ((8,), {"colour": 1}, TypeError, "colour"),
])
def test_new_buffer_bad_arguments(args, kwargs, err, match):
    with pytest.raises(err, match=match):
        _C.Buffer(*args, **kwargs)


@pytest.mark.skipif(_C.cuda_built, reason="the no-CUDA error needs a build without CUDA")
def test_cuda_buffer_without_cuda_is_an_error():
    with pytest.raises(RuntimeError, match="without CUDA"):
        _C.Buffer(8, 1)


def test_fields_are_read_only_but_version():
    b = _C.Buffer(8)
    for name in ("nbytes", "device", "device_index", "ptr"):
        with pytest.raises(AttributeError):
            setattr(b, name, 1)
    b.version += 3
    assert b.version == 3
    b.version = 2**40
    assert b.version == 2**40
    with pytest.raises(TypeError):
        b.version = "1"
    with pytest.raises(TypeError, match="cannot be deleted"):
        del b.version
    with pytest.raises(AttributeError):
        b.colour = 1  # no __dict__: a typo is an error, not a new field


def test_buffer_protocol_reads_and_writes_the_bytes():
    b = _C.Buffer(16)
    view = np.frombuffer(b, np.float32)
    view[:] = [1, 2, 3, 4]
    assert np.frombuffer(b, np.float32).tolist() == [1, 2, 3, 4]
    m = memoryview(b)
    assert (m.nbytes, m.readonly, m.format) == (16, False, "B")
    assert bytes(m[:4]) == np.float32(1).tobytes()


def test_wrap_numpy_shares_memory_and_keeps_the_array_alive():
    arr = np.arange(6, dtype=np.float64)
    alive = weakref.ref(arr) if hasattr(arr, "__weakref__") else None
    b = _C.Buffer.wrap_numpy(arr)
    assert (b.nbytes, b.ptr) == (48, arr.ctypes.data)
    arr[2] = 42.0
    assert np.frombuffer(b, np.float64)[2] == 42.0
    del arr
    gc.collect()
    assert np.frombuffer(b, np.float64).tolist() == [0, 1, 42, 3, 4, 5]  # the memory is still the array's
    if alive is not None:
        assert alive() is not None
        del b
        gc.collect()
        assert alive() is None


def test_wrap_numpy_holds_a_reference():
    arr = np.zeros(4, np.float32)
    b = _C.Buffer.wrap_numpy(arr)
    with pytest.raises(ValueError):
        arr.resize(8)  # a referenced array cannot move its memory
    del b
    gc.collect()
    arr.resize(8)
    assert arr.shape == (8,)


def test_wrap_numpy_bad_arguments():
    with pytest.raises(ValueError, match="C-contiguous"):
        _C.Buffer.wrap_numpy(np.ones((3, 4))[:, ::2])
    with pytest.raises(TypeError):
        _C.Buffer.wrap_numpy(3)
    read_only = np.ones(3)
    read_only.flags.writeable = False
    assert _C.Buffer.wrap_numpy(read_only).nbytes == 24  # fastdl.from_numpy shares read-only arrays too


def test_weak_references():
    b = _C.Buffer(4)
    r = weakref.ref(b)
    assert r() is b
    del b
    gc.collect()
    assert r() is None


def test_every_buffer_is_released():
    gc.collect()
    count, nbytes = _C.live_buffers(), _C.live_bytes()
    bufs = [_C.Buffer(100) for _ in range(10)] + [_C.Buffer.wrap_numpy(np.ones(5)) for _ in range(3)]
    t = fastdl.randn(8, 8)
    y = t @ t + t
    assert _C.live_buffers() >= count + 15
    del bufs, t, y
    gc.collect()
    assert (_C.live_buffers(), _C.live_bytes()) == (count, nbytes)


def test_references_are_balanced():
    t = fastdl.randn(4, 4)
    buf = t._buf
    before = sys.getrefcount(buf)
    for _ in range(100):
        (t * 2)._buf
        t.view(16)
        t @ t
    assert sys.getrefcount(buf) == before


def test_a_tensor_over_a_foreign_buf_is_refused():
    """The kernels take `_buf` only when it is a _C.Buffer: anything else in the slot is not a tensor."""
    t = fastdl.randn(2, 2)
    fake = fastdl.Tensor._make(object(), t._dtype, t._shape, t._strides, 0, t._device)
    with pytest.raises(TypeError):
        _C.cpu.copy(t, fake)
    with pytest.raises(TypeError):
        _C.cpu.copy(fake, t)
    assert _C.cpu_matmul_new(fake, t, True) is None  # the fast path hands it to the Python path


def test_cpu_buffer_and_deepcopy():
    b = _C.cpu_buffer(12)
    assert (b.nbytes, b.device, type(b)) == (12, 0, _C.Buffer)
    with pytest.raises(ValueError, match="negative size"):
        _C.cpu_buffer(-1)
