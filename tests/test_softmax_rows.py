"""The CPU softmax / log_softmax kernels (csrc/cpu/softmax.cpp) on rows long enough
for every lane of the vector max (32 lanes, then the tail): values against float64
NumPy, and the special values: a NaN anywhere makes its row NaN, +inf rows, rows of
-inf (NaN, as torch), and rows whose max sits in each lane and in the tail; the float32
backward along the last dim (rows) and an outer one (column blocks) against float64,
on the AVX2 and the portable builds."""
import numpy as np
import pytest

import fastdl
from fastdl import _C
from isa_switch import saved_isa, set_isa
from test_gemm_kernel import use_avx2  # noqa: F401 (fixture)

F = fastdl.nn.functional


def np_log_softmax(x):
    m = x.max(-1, keepdims=True)
    return (x - m) - np.log(np.exp(x - m).sum(-1, keepdims=True))


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("n", [1, 7, 31, 32, 33, 64, 100, 517])
def test_rows_match_float64_reference(log, n):
    rng = np.random.default_rng(n)
    x = (rng.standard_normal((n + 2, n)) * 4).astype(np.float32)
    x[np.arange(min(n, n + 2)), np.arange(min(n, n + 2)) % n] += 30.0  # row r's max at position r (every lane)
    fn = F.log_softmax if log else F.softmax
    got = fn(fastdl.tensor(x), 1).numpy()
    want = np_log_softmax(x.astype(np.float64))
    want = want if log else np.exp(want)
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-6 if log else 1e-7)


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_special_values(log, dtype):
    n = 45  # 32 vector lanes and a tail of 13
    rows = np.zeros((6 + n, n), dtype)
    rows[:, :] = np.linspace(-3, 3, n)
    for r in range(n):
        rows[6 + r, r] = np.nan              # a NaN in each position: the row is NaN
    rows[0, 40] = np.inf                     # one +inf in the tail: inf - inf is NaN there, the rest -inf / 0
    rows[1, :] = -np.inf                     # all -inf: NaN (torch)
    rows[2, 5] = -np.inf                     # one -inf: probability 0
    rows[3, :] = 1e30                        # large equal values: uniform
    rows[4, 44] = 80.0                       # the max in the last element
    rows[5, :] = np.nan                      # all NaN
    fn = F.log_softmax if log else F.softmax
    got = fn(fastdl.tensor(rows), 1).numpy()
    with np.errstate(invalid="ignore", over="ignore"):
        want = np_log_softmax(rows.astype(np.float64))
    want = want if log else np.exp(want)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    assert np.isnan(got[6:]).all() and np.isnan(got[1]).all() and np.isnan(got[5]).all()
    ok = ~np.isnan(want)
    np.testing.assert_allclose(got[ok], want[ok].astype(dtype), rtol=2e-6, atol=1e-6)


def test_matches_torch_where_installed():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((50, 77)) * 5).astype(np.float32)
    x[7, 70] = np.nan
    x[9, :] = -np.inf
    for log in (False, True):
        got = (F.log_softmax if log else F.softmax)(fastdl.tensor(x), 1).numpy()
        want = (torch.log_softmax if log else torch.softmax)(torch.from_numpy(x), 1).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, equal_nan=True)


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("dim", [0, 1, 2])
def test_float32_backward_on_both_builds(use_avx2, log, dim):  # noqa: F811
    rng = np.random.default_rng(dim)
    x = (rng.standard_normal((37, 300, 3)) * 3).astype(np.float32)  # column blocks of 256 and a rest
    gy = rng.standard_normal(x.shape).astype(np.float32)
    t = fastdl.tensor(x, requires_grad=True)
    (F.log_softmax if log else F.softmax)(t, dim).backward(fastdl.tensor(gy))
    y = np.exp(np_log_softmax(np.moveaxis(x.astype(np.float64), dim, -1)))
    g = np.moveaxis(gy.astype(np.float64), dim, -1)
    want = g - y * g.sum(-1, keepdims=True) if log else y * (g - (g * y).sum(-1, keepdims=True))
    np.testing.assert_allclose(t.grad.numpy(), np.moveaxis(want, -1, dim), rtol=1e-4, atol=2e-5 * np.abs(want).max())


@pytest.mark.skipif(not _C.cpu_has_avx2_fma(), reason="CPU has no AVX2+FMA")
@pytest.mark.parametrize("dim", [0, 1])
def test_backward_bits_do_not_depend_on_the_build(dim):
    """The AVX-512 and AVX2 backward builds use no FMA, so each element rounds as the
    portable build's: from the same forward output, the same gradients on every x86-64 CPU."""
    rng = np.random.default_rng(11)
    x = (rng.standard_normal((19, 300)) * 4).astype(np.float32)
    gy = fastdl.tensor(rng.standard_normal(x.shape).astype(np.float32))
    with saved_isa():
        for fn in (F.log_softmax, F.softmax):
            t = fastdl.tensor(x, requires_grad=True)
            y = fn(t, dim)  # one forward; its backward run on each build
            grads = []
            for path in ("avx512", "avx2", "portable"):
                set_isa(path)  # clamped to the hardware
                t.grad = None
                y.backward(gy, retain_graph=True)
                grads.append(t.grad.numpy())
            np.testing.assert_array_equal(grads[0], grads[2])
            np.testing.assert_array_equal(grads[1], grads[2])
