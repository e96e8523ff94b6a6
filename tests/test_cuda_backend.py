"""The CUDA backend (`fastdl._C.cuda`).

Tests marked `cuda` need an NVIDIA GPU: they round-trip NumPy data cpu -> cuda ->
kernel -> cpu through stand-ins over CUDA Buffers and compare with NumPy. The others
check what a machine without a GPU (or a build without CUDA) must do: report it
clearly with an exception and never crash.
"""
import gc
import os

import numpy as np
import pytest

from fastdl import _C
from kernel_views import _CODES, _DType, kempty, kview

BUILT = _C.cuda_built
HAS_GPU = BUILT and _C.cuda.device_count() > 0
needs_gpu = [pytest.mark.cuda, pytest.mark.skipif(not HAS_GPU, reason="no CUDA device")]
NO_DEVICE = "no CUDA device is available"


def gpu(fn):
    for mark in needs_gpu:
        fn = mark(fn)
    return fn


# ---------------------------------------------------------------- stand-ins on the GPU
class CudaView:
    """What a kernel reads of a fastdl.Tensor, over a CUDA Buffer."""

    def __init__(self, buf, dtype, shape, strides, offset=0):
        self._buf, self._dtype, self.np_dtype = buf, _DType(_CODES[np.dtype(dtype)]), np.dtype(dtype)
        self._shape, self._strides, self._offset = tuple(shape), tuple(strides), offset

    def is_contiguous(self):
        return self._strides == _contiguous_strides(self._shape)


def _contiguous_strides(shape):
    strides, acc = [], 1
    for s in reversed(shape):
        strides.append(acc)
        acc *= s
    return tuple(reversed(strides))


def cuda_empty(shape, dtype=np.float32):
    nbytes = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
    return CudaView(_C.Buffer(nbytes, 1), dtype, shape, _contiguous_strides(shape))


def to_cuda(base, view=None):
    """Copies the C-contiguous `base` to the GPU; returns a stand-in laid out like `view`."""
    dev = cuda_empty(base.shape, base.dtype)
    _C.cuda.copy(kview(base), dev)
    if view is None:
        return dev
    isz = base.itemsize
    offset = (view.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // isz
    return CudaView(dev._buf, base.dtype, view.shape, [s // isz for s in view.strides], offset)


def to_numpy(t):
    if not t.is_contiguous():
        dense = cuda_empty(t._shape, t.np_dtype)
        _C.cuda.copy(t, dense)  # strided device-to-device copy kernel
        t = dense
    out = kempty(t._shape, t.np_dtype)
    _C.cuda.copy(t, out)
    return out.numpy()


def sampler(rng, dtype, low=-3.0, high=3.0):
    """make(shape) -> a new C-contiguous array of `dtype` with values in [low, high)."""
    dtype = np.dtype(dtype)

    def make(shape):
        a = np.asarray(rng.uniform(low, high, size=shape))  # a 0-d array, not a scalar, for ()
        if dtype == np.bool_:
            return np.asarray(a > (low + high) / 2)
        return np.asarray(np.round(a).astype(dtype) if dtype == np.int64 else a.astype(dtype))
    return make


def nonzero_sampler(rng, dtype):
    """Divisors: integers 1..8 of either sign, in `dtype`."""
    return lambda shape: np.asarray(rng.integers(1, 9, size=shape) * rng.choice([-1, 1], size=shape)).astype(dtype)


def layouts(shape, make):
    """(base, view) pairs of `shape`: contiguous, transposed, stepped slice, broadcast."""
    b = make(shape)
    out = [(b, b)]
    if len(shape) >= 2:
        b = make(tuple(shape[::-1]))
        out.append((b, b.T))
        b = make((shape[0] * 2, shape[1] + 3) + tuple(shape[2:]))
        out.append((b, b[::2, 1:shape[1] + 1]))
        b = make((1,) + tuple(shape[1:]))
        out.append((b, np.broadcast_to(b, shape)))
    return out


SHAPES = [(), (1,), (0, 3), (7,), (5, 6), (3, 4, 5)]
BIG = (2_500_003,)  # larger than one pass of the capped grid: exercises the grid-stride loop


def tol(dtype):
    return dict(rtol=2e-6, atol=1e-6) if np.dtype(dtype) == np.float32 else dict(rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- without a GPU
@pytest.mark.skipif(os.environ.get("FASTDL_CUDA") != "ON", reason="only checked when building with FASTDL_CUDA=ON")
def test_cuda_built_when_requested():
    assert _C.cuda_built


@pytest.mark.skipif(BUILT, reason="fastdl was built with CUDA")
def test_cuda_buffer_without_cuda_build():
    with pytest.raises(RuntimeError, match="built without CUDA"):
        _C.Buffer(16, 1)


@pytest.mark.skipif(not BUILT or HAS_GPU, reason="needs a CUDA build on a machine without a GPU")
class TestNoDevice:
    def test_device_count_is_zero(self):
        assert _C.cuda.device_count() == 0

    def test_buffer_raises(self):
        gc.collect()  # no earlier test's buffer may be freed half-way through the count
        before = _C.live_buffers()
        for nbytes in (0, 16, 1 << 40):
            with pytest.raises(RuntimeError, match=NO_DEVICE):
                _C.Buffer(nbytes, 1)
        assert _C.live_buffers() == before

    @pytest.mark.parametrize("name", ["current_device", "synchronize", "memory_allocated",
                                      "max_memory_allocated", "memory_reserved", "empty_cache",
                                      "reset_peak_memory_stats", "device_name", "capability",
                                      "mem_get_info"])
    def test_runtime_functions_raise(self, name):
        with pytest.raises(RuntimeError, match=f"{name}: {NO_DEVICE}"):
            getattr(_C.cuda, name)()

    def test_kernels_raise(self):
        x, o = kview(np.ones(3, np.float32)), kempty(3)
        with pytest.raises(RuntimeError, match=f"exp: {NO_DEVICE}"):
            _C.cuda.unary("exp", x, o)
        with pytest.raises(RuntimeError, match=f"add: {NO_DEVICE}"):
            _C.cuda.binary("add", x, x, o)
        with pytest.raises(RuntimeError, match=f"where: {NO_DEVICE}"):
            _C.cuda.where(kview(np.ones(3, bool)), x, x, o)
        with pytest.raises(RuntimeError, match=f"fill: {NO_DEVICE}"):
            _C.cuda.fill(o, 1.0)
        with pytest.raises(RuntimeError, match=NO_DEVICE):
            _C.cuda.set_device(0)

    def test_copy_between_cpu_tensors_needs_no_gpu(self):
        src = np.arange(6, dtype=np.int64).reshape(2, 3)
        out = kempty((3, 2), np.float32)
        _C.cuda.copy(kview(src, src.T), out)
        np.testing.assert_array_equal(out.numpy(), src.T.astype(np.float32))


# ---------------------------------------------------------------- on a GPU
UNARY_FLOAT = {
    "exp": np.exp, "log": np.log, "log1p": np.log1p, "expm1": np.expm1, "sqrt": np.sqrt,
    "rsqrt": lambda x: 1 / np.sqrt(x), "tanh": np.tanh, "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "sin": np.sin, "cos": np.cos, "floor": np.floor, "ceil": np.ceil, "round": np.round,
    "reciprocal": lambda x: 1 / x,
}
UNARY_NUMERIC = {"neg": np.negative, "abs": np.abs, "sign": np.sign, "relu": lambda x: np.maximum(x, 0)}
POSITIVE = {"log", "sqrt", "rsqrt", "reciprocal"}


def check_unary(op, ref, base, view, p0=0.0, p1=0.0):
    """Runs `op` on the GPU and compares with `ref` evaluated in float64 (exact for int64)."""
    x = to_cuda(base, view)
    out = cuda_empty(view.shape, base.dtype)
    _C.cuda.unary(op, x, out, p0, p1)
    want = ref(view) if base.dtype == np.int64 else ref(view.astype(np.float64)).astype(base.dtype)
    np.testing.assert_allclose(to_numpy(out), want, **tol(base.dtype), err_msg=f"{op} {view.shape}")


@gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op", sorted(UNARY_FLOAT))
def test_unary_float(op, dtype):
    make = sampler(np.random.default_rng(0), dtype, low=0.1 if op in POSITIVE else -3.0)
    for shape in SHAPES:
        for base, view in layouts(shape, make):
            check_unary(op, UNARY_FLOAT[op], base, view)


@gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("op", sorted(UNARY_NUMERIC))
def test_unary_numeric(op, dtype):
    make = sampler(np.random.default_rng(1), dtype, low=-50, high=50)
    for shape in SHAPES + [BIG]:
        for base, view in layouts(shape, make):
            check_unary(op, UNARY_NUMERIC[op], base, view)


@gpu
def test_unary_parameters_and_logical_not():
    rng = np.random.default_rng(2)
    for base, view in layouts((6, 5), sampler(rng, np.float32)):
        check_unary("leaky_relu", lambda x: np.where(x > 0, x, 0.1 * x), base, view, 0.1)
        check_unary("leaky_relu_grad", lambda x: np.where(x > 0, 1.0, 0.1).astype(x.dtype), base, view, 0.1)
        check_unary("clamp", lambda x: np.clip(x, -1.0, 0.5), base, view, -1.0, 0.5)
        check_unary("clamp", lambda x: np.minimum(x, 0.5), base, view, float("nan"), 0.5)
    for base, view in layouts((6, 5), sampler(rng, np.float32, 0.1, 3.0)):
        check_unary("pow_scalar", lambda x: x ** 2.5, base, view, 2.5)
    for base, view in layouts((4, 7), sampler(rng, np.bool_)):
        x, out = to_cuda(base, view), cuda_empty(view.shape, np.bool_)
        _C.cuda.unary("logical_not", x, out)
        np.testing.assert_array_equal(to_numpy(out), ~view)


def floor_div_ref(a, b):  # the functor's definition: floor(a / b) in the input dtype
    return np.floor_divide(a, b) if a.dtype == np.int64 else np.floor(a / b)


BINARY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "maximum": np.maximum,
    "minimum": np.minimum, "floor_divide": floor_div_ref, "remainder": np.remainder,
    "eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
    "gt": np.greater, "ge": np.greater_equal, "relu_backward": lambda g, y: np.where(y > 0, g, 0),
}
BINARY_FLOAT = {"div": np.true_divide, "atan2": np.arctan2, "pow": np.power,
                "tanh_backward": lambda g, y: g * (1 - y * y), "sigmoid_backward": lambda g, y: g * y * (1 - y)}
COMPARE = {"eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor"}


def check_binary(op, ref, a_base, a_view, b_base, b_view):
    a, b = to_cuda(a_base, a_view), to_cuda(b_base, b_view)
    out_dtype = np.bool_ if op in COMPARE else a_base.dtype
    out = cuda_empty(a_view.shape, out_dtype)
    _C.cuda.binary(op, a, b, out)
    want = ref(a_view, b_view).astype(out_dtype)
    np.testing.assert_allclose(to_numpy(out), want, **tol(a_base.dtype), err_msg=f"{op} {a_view.shape}")


def binary_samplers(rng, dtype, op):
    if op in ("floor_divide", "remainder"):
        return sampler(rng, dtype, -20, 20), nonzero_sampler(rng, dtype)
    if op == "pow":
        return sampler(rng, dtype, 0.2, 3.0), sampler(rng, dtype, -2.0, 3.0)
    return sampler(rng, dtype, -9, 9), sampler(rng, dtype, -9, 9)


@gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("op", sorted(BINARY))
def test_binary(op, dtype):
    rng = np.random.default_rng(3)
    make_a, make_b = binary_samplers(rng, dtype, op)
    for shape in SHAPES:
        lhs = layouts(shape, make_a)
        for (ab, av), (bb, bv) in zip(lhs, layouts(shape, make_b)):
            check_binary(op, BINARY[op], ab, av, bb, bv)
        for ab, av in lhs:  # tensor (op) broadcast scalar, the common case
            sb = rng.integers(1, 5, size=1).astype(dtype)
            check_binary(op, BINARY[op], ab, av, sb, np.broadcast_to(sb.reshape(()), shape))


@gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op", sorted(BINARY_FLOAT))
def test_binary_float(op, dtype):
    rng = np.random.default_rng(4)
    make_a, make_b = binary_samplers(rng, dtype, op)
    for shape in SHAPES:
        for (ab, av), (bb, bv) in zip(layouts(shape, make_a), layouts(shape, make_b)):
            check_binary(op, BINARY_FLOAT[op], ab, av, bb, bv)


@gpu
def test_binary_int_pow_logical_and_big():
    rng = np.random.default_rng(5)
    a = rng.integers(-4, 5, size=(6, 5)).astype(np.int64)
    e = rng.integers(0, 6, size=(6, 5)).astype(np.int64)
    check_binary("pow", np.power, a, a, e, e)
    make = sampler(rng, np.bool_)
    for op, ref in [("logical_and", np.logical_and), ("logical_or", np.logical_or),
                    ("logical_xor", np.logical_xor)]:
        for (ab, av), (bb, bv) in zip(layouts((5, 4), make), layouts((5, 4), make)):
            check_binary(op, ref, ab, av, bb, bv)
    big_a, big_b = rng.standard_normal(BIG).astype(np.float32), rng.standard_normal(BIG).astype(np.float32)
    check_binary("add", np.add, big_a, big_a, big_b, big_b)


@gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_])
def test_where(dtype):
    rng = np.random.default_rng(6)
    for shape in SHAPES:
        conds = layouts(shape, sampler(rng, np.bool_))
        values = zip(layouts(shape, sampler(rng, dtype)), layouts(shape, sampler(rng, dtype)))
        for (cb, cv), ((ab, av), (bb, bv)) in zip(conds, values):
            out = cuda_empty(shape, dtype)
            _C.cuda.where(to_cuda(cb, cv), to_cuda(ab, av), to_cuda(bb, bv), out)
            np.testing.assert_array_equal(to_numpy(out), np.where(cv, av, bv))


DTYPES = [np.float32, np.float64, np.int64, np.bool_]


@gpu
@pytest.mark.parametrize("src_dtype", DTYPES)
@pytest.mark.parametrize("dst_dtype", DTYPES)
def test_copy_cuda_to_cuda_converts(src_dtype, dst_dtype):
    make = sampler(np.random.default_rng(7), src_dtype, -40, 40)
    for shape in SHAPES:
        for base, view in layouts(shape, make):
            dst = cuda_empty(shape, dst_dtype)
            _C.cuda.copy(to_cuda(base, view), dst)
            np.testing.assert_array_equal(to_numpy(dst), view.astype(dst_dtype))


@gpu
def test_copy_into_strided_destination_and_round_trip():
    rng = np.random.default_rng(8)
    src = rng.standard_normal((4, 6))
    dst_base = np.zeros((6, 4), np.float32)
    dst = to_cuda(dst_base, dst_base.T)  # a transposed view on the GPU
    _C.cuda.copy(to_cuda(src), dst)
    whole = CudaView(dst._buf, np.float32, (6, 4), (4, 1))
    np.testing.assert_array_equal(to_numpy(whole), src.astype(np.float32).T)
    for dtype in DTYPES:  # cpu -> cuda -> cpu is exact
        base = sampler(rng, dtype)((3, 5))
        np.testing.assert_array_equal(to_numpy(to_cuda(base)), base)


@gpu
def test_copy_across_devices_needs_contiguous_same_dtype():
    src = np.arange(12, dtype=np.float32).reshape(3, 4)
    dev = to_cuda(src)
    with pytest.raises(ValueError, match="copy:.*contiguous tensors of the same dtype"):
        _C.cuda.copy(kview(src, src.T), cuda_empty((4, 3)))
    with pytest.raises(ValueError, match="copy:.*contiguous tensors of the same dtype"):
        _C.cuda.copy(dev, kempty((3, 4), np.float64))
    with pytest.raises(ValueError, match="copy: shape mismatch"):
        _C.cuda.copy(dev, kempty((4, 3)))
    with pytest.raises(ValueError, match="copy: .*outside"):
        _C.cuda.copy(CudaView(dev._buf, np.float32, (3, 4), (4, 1), offset=1), kempty((3, 4)))


@gpu
@pytest.mark.parametrize("dtype", DTYPES)
def test_fill(dtype):
    base = np.zeros((6, 8), dtype)
    dev = to_cuda(base)
    view = CudaView(dev._buf, dtype, (3, 4), (16, 2), offset=1)  # base[::2, 1::2]
    _C.cuda.fill(view, 1.0)
    want = base.copy()
    want[::2, 1::2] = 1
    np.testing.assert_array_equal(to_numpy(dev), want)
    empty = cuda_empty((0, 4), dtype)
    _C.cuda.fill(empty, 3.0)


@gpu
def test_kernel_errors_name_the_op():
    x, out = cuda_empty((2, 3)), cuda_empty((2, 3))
    with pytest.raises(ValueError, match="unknown unary op 'nope'"):
        _C.cuda.unary("nope", x, out)
    with pytest.raises(ValueError, match="exp: shape mismatch"):
        _C.cuda.unary("exp", x, cuda_empty((3, 2)))
    with pytest.raises(TypeError, match="exp: expected a floating dtype"):
        _C.cuda.unary("exp", cuda_empty((2,), np.int64), cuda_empty((2,), np.int64))
    with pytest.raises(TypeError, match="lt: expected dtype bool"):
        _C.cuda.binary("lt", x, x, out)
    with pytest.raises(ValueError, match="add: CUDA kernel given float32\\[2, 3\\] on cpu"):
        _C.cuda.binary("add", x, kempty((2, 3)), out)
    with pytest.raises(ValueError, match="mul: view .* reaches outside"):
        _C.cuda.binary("mul", x, CudaView(x._buf, np.float32, (2, 3), (3, 1), offset=2), out)
    with pytest.raises(TypeError, match="where: expected dtype bool"):
        _C.cuda.where(x, x, x, out)
    with pytest.raises(ValueError, match="invalid CUDA device index"):
        _C.Buffer(16, 1, _C.cuda.device_count())
    _C.cuda.synchronize()  # none of the above reached the GPU as a bad launch


@gpu
def test_device_queries():
    n = _C.cuda.device_count()
    assert n >= 1 and 0 <= _C.cuda.current_device() < n
    assert isinstance(_C.cuda.device_name(0), str) and _C.cuda.device_name(0)
    major, minor = _C.cuda.capability(0)
    assert major >= 8 and minor >= 0  # the build targets sm_80 and newer
    free, total = _C.cuda.mem_get_info(0)
    assert 0 < free <= total


@gpu
def test_allocator_counters_and_cache():
    gc.collect()  # no earlier test's buffer may be freed half-way through the counts
    _C.cuda.synchronize()
    base_alloc = _C.cuda.memory_allocated()
    _C.cuda.reset_peak_memory_stats()
    buf = _C.Buffer(3 << 20, 1)  # 3 MiB
    grown = _C.cuda.memory_allocated() - base_alloc
    assert 3 << 20 <= grown <= (3 << 20) * 5 // 4  # rounded up by at most 25%
    assert _C.cuda.max_memory_allocated() >= base_alloc + grown
    ptr = buf.ptr
    del buf
    assert _C.cuda.memory_allocated() == base_alloc
    assert _C.cuda.memory_reserved() >= base_alloc + grown  # the block stays cached
    again = _C.Buffer(3 << 20, 1)
    assert again.ptr == ptr  # same size class: the cached block is reused
    del again
    small = [_C.Buffer(100, 1) for _ in range(4)]
    assert _C.cuda.memory_allocated() == base_alloc + 4 * 512  # small sizes round to 512 B
    del small
    _C.cuda.empty_cache()
    assert _C.cuda.memory_reserved() == _C.cuda.memory_allocated() == base_alloc
    _C.cuda.reset_peak_memory_stats()
    assert _C.cuda.max_memory_allocated() == base_alloc


@gpu
def test_out_of_memory_is_an_error_and_recoverable():
    gc.collect()  # as above: only this test's buffers may change the count
    before = _C.live_buffers()
    with pytest.raises(RuntimeError, match=r"CUDA out of memory: tried to allocate \d+ bytes"):
        _C.Buffer(1 << 50, 1)  # 1 PiB
    assert _C.live_buffers() == before
    x = to_cuda(np.arange(5, dtype=np.float32))
    out = cuda_empty((5,))
    _C.cuda.unary("neg", x, out)
    np.testing.assert_array_equal(to_numpy(out), -np.arange(5, dtype=np.float32))
