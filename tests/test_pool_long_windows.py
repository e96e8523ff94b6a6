"""Average pooling over long window rows (csrc/cpu/pool.cpp, sum_run): rows of 64 or more
contiguous values, or whole rows of a dense plane (global average pooling), are summed in
double as sixteen interleaved partial sums. Against float64 NumPy, the AVX2 copy against
the portable loop bit for bit, strided and short windows unchanged."""
import numpy as np
import pytest

import fastdl
from fastdl import _C
from isa_switch import vector_and_portable

F = fastdl.nn.functional


@pytest.mark.parametrize("hw", [(32, 32), (7, 9), (1, 200), (64, 65), (3, 1000)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_global_average_against_float64(hw, dtype):
    rng = np.random.default_rng(hw[0] * 1000 + hw[1])
    a = (rng.standard_normal((2, 3) + hw) * 10 + 3).astype(dtype)
    got = F.adaptive_avg_pool2d(fastdl.tensor(a), 1).numpy()
    want = a.astype(np.float64).mean(axis=(2, 3), keepdims=True)
    # float32: double sums rounded once, within an ulp; float64: a few roundings of the sum
    np.testing.assert_allclose(got, want, rtol=np.finfo(np.float32).eps if dtype == np.float32 else 1e-13, atol=0)


@pytest.mark.parametrize("out", [1, (1, 1), (3, 1), (2, 2)])
def test_avx2_copy_matches_portable(out):
    if not _C.cpu_has_avx2_fma():
        pytest.skip("CPU has no AVX2+FMA")
    rng = np.random.default_rng(7)
    x = fastdl.tensor(rng.standard_normal((4, 5, 30, 300)).astype(np.float32))
    fast, portable = vector_and_portable(lambda: F.adaptive_avg_pool2d(x, out).numpy())
    np.testing.assert_array_equal(fast.view(np.uint32), portable.view(np.uint32))


def test_strided_and_short_windows():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((2, 3, 40, 130)).astype(np.float32)
    x = fastdl.tensor(a)
    for view, ref in [(x[:, :, :, ::2], a[:, :, :, ::2]), (x.transpose(2, 3), a.transpose(0, 1, 3, 2))]:
        got = F.adaptive_avg_pool2d(view, 1).numpy()
        np.testing.assert_allclose(got, ref.astype(np.float64).mean(axis=(2, 3), keepdims=True), rtol=1e-6)
    got = F.avg_pool2d(x, 2).numpy()
    want = a.reshape(2, 3, 20, 2, 65, 2).astype(np.float64).mean(axis=(3, 5))
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_global_average_gradient():
    x = fastdl.tensor(np.random.default_rng(0).standard_normal((2, 2, 9, 70)), requires_grad=True)
    assert fastdl.autograd.gradcheck(lambda t: F.adaptive_avg_pool2d(t, 1), (x,))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_short_global_planes_running_sum(dtype):
    """Global averages of planes shorter than 64 values run eight planes side by side, each
    one running double sum in the plane's order: the same bits as a sequential sum (np.cumsum),
    for a plane count that is no multiple of 8 and for planes picked by a channel stride."""
    rng = np.random.default_rng(5)
    a = (rng.standard_normal((3, 22, 7, 7)) * 10 + 3).astype(dtype)
    t = fastdl.tensor(a)
    for x, view in ((t, a), (t[:, ::2], a[:, ::2]), (fastdl.tensor(a[:, :, :5, :5].copy()), a[:, :, :5, :5])):
        got = F.adaptive_avg_pool2d(x, 1).numpy()
        flat = view.reshape(view.shape[0], view.shape[1], -1).astype(np.float64)
        want = (np.cumsum(flat, axis=2)[:, :, -1:] / flat.shape[2]).astype(dtype)[..., None]
        np.testing.assert_array_equal(got, want)
