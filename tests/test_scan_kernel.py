"""The cumsum kernel (_C.cpu.cumsum; cuda/scan.cu runs the same common/scan_ops.h line
function): every dim of 0-3-D shapes, forward and reversed, against NumPy; float32
summed in double; int64 exact; argument errors name the op."""
import numpy as np
import pytest

import fastdl
from fastdl import _C


def run(x, dim, reverse, device="cpu"):
    t = fastdl.tensor(x, device=device)
    out = fastdl.empty(t.shape, dtype=t.dtype, device=device)
    (_C.cpu if device == "cpu" else _C.cuda).cumsum(t, out, dim, reverse)
    return out.cpu().numpy()


def ref(x, dim, reverse):
    if x.ndim == 0:
        return x.copy()
    acc = np.float64 if x.dtype.kind == "f" else np.int64
    y = np.flip(np.cumsum(np.flip(x, dim), dim, dtype=acc), dim) if reverse else np.cumsum(x, dim, dtype=acc)
    return y.astype(x.dtype)


@pytest.mark.parametrize("shape", [(), (1,), (7,), (3, 5), (4, 1, 6), (2, 3, 4), (0, 3)])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_cumsum_kernel_matches_numpy(shape, reverse, dtype):
    rng = np.random.default_rng(len(shape))
    x = (rng.standard_normal(shape) * 10).astype(dtype) if dtype != "int64" else rng.integers(-50, 50, shape)
    for dim in range(max(len(shape), 1)):
        got, want = run(x, dim, reverse), ref(x, dim, reverse)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)  # same sums in the same order and type


def test_float32_lines_sum_in_double():
    x = np.full(1 << 20, 0.1, np.float32)  # a float32 running sum drifts by ~1e3 here
    got = run(x, 0, False)
    np.testing.assert_array_equal(got, np.cumsum(x.astype(np.float64)).astype(np.float32))


def test_cumsum_kernel_errors():
    x = fastdl.zeros((3, 4))
    with pytest.raises(ValueError, match="cumsum: dim 2 out of range"):
        _C.cpu.cumsum(x, fastdl.empty((3, 4)), 2, False)
    with pytest.raises(ValueError, match="cumsum_backward: x must be contiguous"):
        _C.cpu.cumsum(x.t(), fastdl.empty((4, 3)), 0, True)
    with pytest.raises(TypeError, match="cumsum: expected dtype float32"):
        _C.cpu.cumsum(x, fastdl.empty((3, 4), dtype=fastdl.float64), 0, False)
    with pytest.raises(TypeError, match="cumsum: unsupported dtype bool"):
        _C.cpu.cumsum(x.bool(), fastdl.empty((3, 4), dtype=fastdl.bool), 0, False)
    with pytest.raises(ValueError, match="cumsum: shape mismatch"):
        _C.cpu.cumsum(x, fastdl.empty((4, 3)), 0, False)


@pytest.mark.cuda
def test_cuda_cumsum_kernel_matches_numpy():
    rng = np.random.default_rng(1)
    for shape in [(5000,), (3, 700, 9), (64, 33)]:
        x = rng.standard_normal(shape).astype(np.float32)
        for dim in range(len(shape)):
            for reverse in (False, True):
                np.testing.assert_array_equal(run(x, dim, reverse, "cuda"), ref(x, dim, reverse))
