"""The CPU kernel under F.pad's constant mode (csrc/cpu/pad.h: one pass over the output,
planes of the last two dims) against np.pad: 1-D to 5-D, every dtype (copied as bytes),
strided and transposed input, values, 1 and 2 threads over the parallel threshold; and
the kernel's own errors. (op_table.py's pad_constant samples add crops, empties and the
gradient.)"""
import numpy as np
import pytest

import fastdl
import fastdl.nn.functional as F
from fastdl import _C
from test_gemm_kernel import threads  # noqa: F401 (fixture)

CASES = [((6,), (3, 1)), ((2, 5), (0, 4, 2, 0)), ((3, 4, 5), (1, 1, 1, 1)), ((2, 3, 4, 5), (2, 0, 1, 3)),
         ((2, 2, 3, 4, 5), (1, 1, 2, 1, 1, 2)), ((2, 3, 4), (0, 0, 0, 0, 1, 2)), ((64, 32, 7, 7), (1, 1, 1, 1)),
         ((3, 1, 1), (5, 0, 0, 6))]
DTYPES = [np.float32, np.float64, np.int64, np.int8, np.bool_, np.float16, np.complex64, np.complex128]


def _np_pad(x, pad, value):
    width = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        width[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return np.pad(x, width, constant_values=value)


def _array(rng, shape, dtype):
    x = rng.standard_normal(shape) * 50
    if np.issubdtype(dtype, np.complexfloating):
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dtype) if dtype != np.bool_ else x > 0


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape,pad", CASES, ids=str)
def test_matches_numpy(dtype, shape, pad):
    rng = np.random.default_rng(len(shape))
    x = _array(rng, shape, dtype)
    value = True if dtype == np.bool_ else (3 - 2j if np.issubdtype(dtype, np.complexfloating) else 7)
    out = F.pad(fastdl.tensor(x), pad, value=value)
    np.testing.assert_array_equal(out.numpy(), _np_pad(x, pad, value))


@pytest.mark.parametrize("nthreads", [1, 2])
def test_strided_input_and_threads(threads, nthreads):  # noqa: F811
    threads(nthreads)
    rng = np.random.default_rng(1)
    base = rng.standard_normal((16, 40, 24, 9)).astype(np.float32)
    for view in (lambda t: t.transpose(2, 3), lambda t: t[:, ::3, 1:-2], lambda t: t.permute(3, 1, 0, 2)):
        t = view(fastdl.tensor(base))
        ref = _np_pad(t.numpy(), (2, 1, 0, 3, 1, 1), -1.5)
        np.testing.assert_array_equal(F.pad(t, (2, 1, 0, 3, 1, 1), value=-1.5).numpy(), ref)


def test_gradient_is_the_middle():
    x = fastdl.tensor(np.random.default_rng(2).standard_normal((2, 3, 4, 5)), requires_grad=True)
    y = F.pad(x, (1, 2, 3, 0))
    g = np.random.default_rng(3).standard_normal(tuple(y.shape))
    y.backward(fastdl.tensor(g))
    np.testing.assert_array_equal(x.grad.numpy(), g[:, :, 3:, 1:-2])


def test_kernel_errors():
    x = fastdl.tensor(np.zeros((2, 3), np.float32))
    out, fill = fastdl.empty((2, 5)), fastdl.zeros(1)
    with pytest.raises(ValueError, match=r"pad_constant: dim 1 padded by \(1, 2\) does not take"):
        _C.cpu.pad_constant(x, out, [0, 1], [0, 2], fill)
    with pytest.raises(ValueError, match=r"pad_constant: dim 0 padded by \(-1, 1\)"):
        _C.cpu.pad_constant(x, out, [-1, 1], [1, 1], fill)
    with pytest.raises(ValueError, match=r"one \(left, right\) pair per dim"):
        _C.cpu.pad_constant(x, out, [1], [1], fill)
    with pytest.raises(ValueError, match=r"fill must hold one element"):
        _C.cpu.pad_constant(x, out, [0, 1], [0, 1], fastdl.zeros(2))
    with pytest.raises(TypeError, match=r"pad_constant"):
        _C.cpu.pad_constant(x, out, [0, 1], [0, 1], fastdl.zeros(1, dtype=fastdl.float64))
    with pytest.raises(ValueError, match=r"out must be contiguous"):
        _C.cpu.pad_constant(x, fastdl.empty((5, 2)).t(), [0, 1], [0, 1], fill)
