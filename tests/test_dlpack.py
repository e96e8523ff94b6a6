"""DLPack both ways (fastdl.from_dlpack, Tensor.__dlpack__ / __dlpack_device__):
zero-copy (checked by writing through one side and reading the other), producers kept
alive by their consumers, any strides, and clear errors for what fastdl cannot hold.
CPU with NumPy and torch here; the CUDA variant runs where a GPU is present."""
import gc

import numpy as np
import pytest

import fastdl
from fastdl import _C
from test_cuda_backend import gpu

DTYPES = [np.float32, np.float64, np.int64, np.bool_]


def sample(dtype, shape=(3, 4)):
    a = np.arange(int(np.prod(shape))).reshape(shape)
    return (a % 2 == 0) if dtype == np.bool_ else a.astype(dtype)


def flip_value(arr, idx):
    arr[idx] = (not arr[idx]) if arr.dtype == np.bool_ else arr[idx] + 7


# ---------------------------------------------------------------- NumPy -> fastdl
@pytest.mark.parametrize("dtype", DTYPES)
def test_numpy_to_fastdl_shares_memory(dtype):
    a = sample(dtype)
    t = fastdl.from_dlpack(a)
    assert t.dtype.np == np.dtype(dtype) and tuple(t.shape) == a.shape and t.device.type == "cpu"
    np.testing.assert_array_equal(t.numpy(), a)
    flip_value(a, (1, 2))
    assert t[1, 2].item() == a[1, 2]
    t[0, 1] = t[0, 0]  # write through fastdl
    assert a[0, 1] == a[0, 0]


@pytest.mark.parametrize("view", [lambda a: a.T, lambda a: a[::2, 1:], lambda a: a[:, ::-1], lambda a: a[1:, 3:]],
                         ids=["transposed", "stepped", "reversed", "offset"])
def test_numpy_strided_views(view):
    base = sample(np.float64, (4, 6))
    try:
        v = view(base)
        t = fastdl.from_dlpack(v)
    except BufferError:  # a NumPy that refuses to export this view (negative strides)
        pytest.skip("this NumPy does not export the view")
    np.testing.assert_array_equal(t.numpy(), v)
    assert t.stride() == tuple(s // 8 for s in v.strides)
    v[-1, -1] = -5.0
    assert t[-1, -1].item() == -5.0


def test_numpy_producer_kept_alive():
    t = fastdl.from_dlpack(np.arange(1000, dtype=np.float64))
    gc.collect()
    np.testing.assert_array_equal(t.numpy(), np.arange(1000))


def test_zero_dim_and_empty():
    t = fastdl.from_dlpack(np.array(2.5))
    assert t.shape == () and t.item() == 2.5
    e = fastdl.from_dlpack(np.zeros((0, 3), np.float32))
    assert tuple(e.shape) == (0, 3)


# ---------------------------------------------------------------- fastdl -> NumPy
@pytest.mark.parametrize("dtype", DTYPES)
def test_fastdl_to_numpy_shares_memory(dtype):
    t = fastdl.tensor(sample(dtype))
    assert t.__dlpack_device__() == (1, 0)
    a = np.from_dlpack(t)
    np.testing.assert_array_equal(a, t.numpy())
    t[2, 3] = t[0, 0]  # write through fastdl, read in NumPy
    assert a[2, 3] == a[0, 0]


def test_fastdl_strided_view_to_numpy():
    t = fastdl.arange(24, dtype=fastdl.float64).reshape(4, 6)
    v = t.t()[1:, ::2]
    a = np.from_dlpack(v)
    np.testing.assert_array_equal(a, v.numpy())
    assert a.strides == tuple(s * 8 for s in v.stride())
    # NumPy marks arrays from unversioned capsules read-only: write through fastdl
    t[0, 1] = 100.0
    assert a[0, 0] == 100.0


def test_consumer_keeps_fastdl_memory_alive():
    gc.collect()  # earlier tests' cyclic garbage must not be freed inside the count
    live = _C.live_buffers()
    t = fastdl.arange(10, dtype=fastdl.float32)
    a = np.from_dlpack(t)
    del t
    gc.collect()
    np.testing.assert_array_equal(a, np.arange(10))
    del a
    gc.collect()
    assert _C.live_buffers() == live


def test_unconsumed_capsule_frees_its_reference():
    gc.collect()
    live = _C.live_buffers()
    t = fastdl.ones(5)
    cap = t.__dlpack__()
    del t, cap
    gc.collect()
    assert _C.live_buffers() == live


def test_round_trip_through_a_capsule_and_reuse_error():
    t = fastdl.arange(6, dtype=fastdl.int64)
    cap = t.__dlpack__()
    u = fastdl.from_dlpack(cap)
    u[0] = 42
    assert t[0].item() == 42
    with pytest.raises(ValueError, match="from_dlpack: expected an unconsumed"):
        fastdl.from_dlpack(cap)
    assert fastdl.from_dlpack(t) is t


# ---------------------------------------------------------------- errors
def test_unsupported_dtype():
    for dtype in (np.uint16, np.uint32):  # (int32 / int8 / uint8 import: tests/test_int_dtypes.py; complex: test_complex.py)
        with pytest.raises(TypeError, match="from_dlpack: unsupported dtype.*float32, float64, float16, bfloat16"):
            fastdl.from_dlpack(np.zeros(3, dtype))


def test_unsupported_device_and_object():
    class OtherDevice:
        def __dlpack_device__(self):
            return (8, 0)  # kDLMetal

        def __dlpack__(self, **kwargs):
            raise AssertionError("must not be asked for a capsule")

    with pytest.raises(ValueError, match=r"from_dlpack: unsupported device \(DLPack device type 8\)"):
        fastdl.from_dlpack(OtherDevice())
    with pytest.raises(TypeError, match="from_dlpack: expected an object with __dlpack__"):
        fastdl.from_dlpack([1, 2, 3])


def test_export_errors():
    w = fastdl.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="__dlpack__: cannot export a tensor that requires grad"):
        w.__dlpack__()
    with pytest.raises(BufferError, match="__dlpack__: the tensor is on cpu"):
        fastdl.ones(3).__dlpack__(dl_device=(2, 0))
    np.testing.assert_array_equal(np.from_dlpack(w.detach()), np.ones(3))


def test_copy_request_copies():
    t = fastdl.zeros(3)
    c = fastdl.from_dlpack(t.__dlpack__(copy=True))
    c[0] = 1
    assert t[0].item() == 0 and c[0].item() == 1


# ---------------------------------------------------------------- torch (CPU)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_torch_both_ways(dtype):
    torch = pytest.importorskip("torch")
    tt = torch.arange(12).reshape(3, 4)
    tt = (tt % 3 == 0) if dtype == "bool" else tt.to(getattr(torch, dtype))
    f = fastdl.from_dlpack(tt)
    np.testing.assert_array_equal(f.numpy(), tt.numpy())
    tt[1, 1] = tt[0, 0]
    assert f[1, 1].item() == f[0, 0].item()
    back = torch.from_dlpack(f)
    f[2, 2] = f[0, 0]
    assert back[2, 2].item() == back[0, 0].item()
    assert back.data_ptr() == tt.data_ptr()


def test_torch_strided_and_legacy_capsules():
    torch = pytest.importorskip("torch")
    from torch.utils import dlpack as tdl
    base = torch.arange(20, dtype=torch.float64).reshape(4, 5)
    view = base.t()[1:, ::2]
    f = fastdl.from_dlpack(tdl.to_dlpack(view))
    np.testing.assert_array_equal(f.numpy(), view.numpy())
    assert f.stride() == view.stride()
    g = tdl.from_dlpack(fastdl.arange(6, dtype=fastdl.float32).reshape(2, 3).t().__dlpack__())
    np.testing.assert_array_equal(g.numpy(), np.arange(6, dtype=np.float32).reshape(2, 3).T)
    assert g.stride() == (1, 3)


# ---------------------------------------------------------------- CUDA
@gpu
def test_cuda_round_trip_with_torch():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("torch without CUDA")
    t = fastdl.arange(12, dtype=fastdl.float32, device="cuda").reshape(3, 4)
    assert t.__dlpack_device__() == (2, 0)
    tt = torch.from_dlpack(t)
    assert tt.is_cuda and tt.data_ptr() == t._buf.ptr
    tt[0, 0] = 9.0
    torch.cuda.synchronize()
    assert t[0, 0].item() == 9.0
    back = fastdl.from_dlpack(tt.t())
    assert back.device.type == "cuda" and back.stride() == (1, 4)
    np.testing.assert_array_equal(back.cpu().numpy(), tt.t().cpu().numpy())
