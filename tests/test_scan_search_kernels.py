"""cummax / cummin's position kernel (common/scan_ops.h cum_extreme_line) and
searchsorted's binary search (common/search_ops.h), the functions the CPU and CUDA
kernels share: against plain-Python references of torch's rules (ties and repeated NaNs
to the last occurrence, a NaN wins against every number; a NaN query goes past every
element), for every dim, views, the dtypes that widen into the kernel's (float16,
int32, uint8, bool), several thread chunks, and the kernels' operand errors."""

import numpy as np
import pytest

import fastdl
from fastdl import _C



def running_extreme(a, axis, largest):
    """(values, indices) by torch's sequential rule, element by element."""
    a = np.moveaxis(np.asarray(a), axis, -1)
    vals, idx = np.empty_like(a), np.empty(a.shape, np.int64)
    for line in np.ndindex(a.shape[:-1]):
        best, at = a[line][0], 0
        for k, v in enumerate(a[line]):
            if k and (v != v or (v >= best if largest else v <= best)):
                best, at = v, k
            vals[line][k], idx[line][k] = best, at
    return np.moveaxis(vals, -1, axis), np.moveaxis(idx, -1, axis)


def tie_and_nan_data(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 4, shape).astype(dtype)
    if np.issubdtype(dtype, np.floating):
        a.ravel()[rng.random(a.size) < 0.1] = np.nan
        a.ravel()[rng.random(a.size) < 0.05] = -np.inf
    return a


SHORT = [((1,), 0), ((13,), 0), ((5, 9), 1), ((5, 9), 0), ((3, 4, 6), 1)]
LONG = [((2, 3, 70_000), -1), ((70_000, 3), 0)]  # several chunks per thread: two dtypes are enough
ALL_DTYPES = [np.float32, np.float64, np.int64, np.int32, np.uint8, np.float16, np.bool_]


@pytest.mark.parametrize("dtype,shape,dim", [(dt, sh, d) for dt in ALL_DTYPES for sh, d in SHORT]
                         + [(dt, sh, d) for dt in (np.float32, np.int64) for sh, d in LONG])
@pytest.mark.parametrize("largest", [True, False])
def test_cummax_cummin_follow_torch_rule(dtype, shape, dim, largest, threads):
    a = tie_and_nan_data(shape, dtype, sum(shape) + largest)
    op = fastdl.cummax if largest else fastdl.cummin
    got = op(fastdl.tensor(a), dim)
    vals, idx = running_extreme(a, dim, largest) if a.size <= 1000 else _fast_reference(a, dim, largest)
    np.testing.assert_array_equal(got.indices.numpy(), idx)
    np.testing.assert_array_equal(got.values.numpy(), vals)
    assert got.values.dtype == fastdl.tensor(a).dtype and got.indices.dtype == fastdl.int64


def _fast_reference(a, axis, largest):
    """The same rule for long lines, vectorised: an element takes over where it equals
    numpy's running extreme (NaN-free data) or, once a NaN was seen, where it is a NaN;
    the position is the last takeover so far."""
    b = np.where(np.isnan(a), np.inf if largest else -np.inf, a) if a.dtype.kind == "f" else a
    run = (np.maximum if largest else np.minimum).accumulate(b, axis)
    n = a.shape[axis]
    pos = np.arange(n).reshape([-1 if i == (axis % a.ndim) else 1 for i in range(a.ndim)])
    takes = (b == run)
    if a.dtype.kind == "f":  # a NaN holds the running value: only later NaNs take over
        seen_nan = np.logical_or.accumulate(np.isnan(a), axis)
        takes = np.where(seen_nan, np.isnan(a), takes)
    idx = np.maximum.accumulate(np.where(takes, pos, -1), axis)
    vals = np.take_along_axis(a, idx, axis)
    return vals, idx


def test_cummax_of_views(threads):
    a = tie_and_nan_data((6, 8, 5), np.float64, 3)
    t = fastdl.tensor(a)
    for view, ref in ((t.transpose(0, 2), a.transpose(2, 1, 0)), (t[:, ::3, 1:], a[:, ::3, 1:]),
                      (t[2].expand(3, 8, 5), np.broadcast_to(a[2], (3, 8, 5)))):
        for dim in range(3):
            got = fastdl.cummax(view, dim)
            vals, idx = running_extreme(ref, dim, True)
            np.testing.assert_array_equal(got.indices.numpy(), idx)
            np.testing.assert_array_equal(got.values.numpy(), vals)


def test_cummax_gradient_goes_to_the_running_element():
    """With a graph the values are gathered from the input (the same elements the kernel
    wrote without one)."""
    x = fastdl.tensor([[1.0, 3.0, 2.0, 3.0, 0.5]], dtype=fastdl.float64, requires_grad=True)
    np.testing.assert_array_equal(fastdl.cummax(x, 1).values.detach().numpy(),
                                  fastdl.cummax(x.detach(), 1).values.numpy())
    fastdl.cummax(x, 1).values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 2.0, 0.0, 2.0, 0.0]])  # indices 0 1 1 3 3


def test_cummax_refuses_complex():
    with pytest.raises(TypeError, match="cummax.*complex"):
        fastdl.cummax(fastdl.tensor([1 + 1j, 2j]), 0)


def torch_insertion_point(seq, v, right):
    """torch's binary search: move right while !(seq[mid] > v) (right) or !(seq[mid] >= v)."""
    lo, hi = 0, len(seq)
    while lo < hi:
        mid = (lo + hi) // 2
        after = not (seq[mid] > v) if right else not (seq[mid] >= v)
        lo, hi = (mid + 1, hi) if after else (lo, mid)
    return lo


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32, np.float16])
@pytest.mark.parametrize("right", [False, True])
@pytest.mark.parametrize("n", [0, 1, 2, 7, 64, 1000])
def test_searchsorted_1d_matches_reference(dtype, right, n, threads):
    rng = np.random.default_rng(n + right)
    seq = np.sort(rng.integers(-20, 20, n)).astype(dtype)
    vals = rng.integers(-25, 25, (3, 50)).astype(dtype)
    got = fastdl.searchsorted(fastdl.tensor(seq), fastdl.tensor(vals), right=right).numpy()
    want = np.array([torch_insertion_point(seq, v, right) for v in vals.ravel()]).reshape(vals.shape)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got, np.searchsorted(seq, vals, side="right" if right else "left"))


@pytest.mark.parametrize("right", [False, True])
def test_searchsorted_nan_queries_and_nan_sequence(right):
    seq = np.array([-np.inf, -1.0, 0.0, 0.0, 2.0, np.inf, np.nan, np.nan])
    vals = np.array([np.nan, -np.inf, 0.0, np.inf, 3.0, -5.0])
    got = fastdl.searchsorted(fastdl.tensor(seq), fastdl.tensor(vals), right=right).numpy()
    np.testing.assert_array_equal(got, [torch_insertion_point(seq, v, right) for v in vals])
    assert got[0] == len(seq)  # a NaN query goes past every element


@pytest.mark.parametrize("right", [False, True])
def test_searchsorted_rows_many_queries(right, threads):
    rng = np.random.default_rng(9)
    seq = np.sort(rng.standard_normal((4, 3, 257)), -1)
    vals = rng.standard_normal((4, 3, 20_000))
    vals[..., ::7] = seq[..., 100:101]  # exact hits: left and right differ there
    got = fastdl.searchsorted(fastdl.tensor(seq), fastdl.tensor(vals), right=right).numpy()
    side = "right" if right else "left"
    for i, j in np.ndindex(4, 3):
        np.testing.assert_array_equal(got[i, j], np.searchsorted(seq[i, j], vals[i, j], side=side))
    got_sorted = fastdl.searchsorted(fastdl.tensor(seq[0, 0]), fastdl.tensor(vals[0, 0]), right=right,
                                     sorter=fastdl.tensor(np.arange(257)))
    np.testing.assert_array_equal(got_sorted.numpy(), got[0, 0])


def test_searchsorted_of_views_and_mixed_dtypes():
    rng = np.random.default_rng(4)
    seq = np.sort(rng.integers(0, 50, (2, 40)), -1)
    vals = rng.uniform(0, 50, (40, 2))  # float queries into an int sequence: compared as float
    got = fastdl.searchsorted(fastdl.tensor(seq), fastdl.tensor(vals).t()).numpy()
    for i in range(2):
        np.testing.assert_array_equal(got[i], np.searchsorted(seq[i], vals[:, i]))
    t = fastdl.tensor(np.sort(rng.standard_normal(30)))[::2]
    np.testing.assert_array_equal(fastdl.bucketize(fastdl.tensor([0.0, 1.0]), t).numpy(),
                                  np.searchsorted(t.numpy(), [0.0, 1.0]))


def test_searchsorted_refuses_complex():
    with pytest.raises(TypeError, match="searchsorted.*complex"):
        fastdl.searchsorted(fastdl.tensor([1 + 0j, 2j]), fastdl.tensor([1 + 0j]))


def test_kernel_operand_errors():
    f32 = lambda *s: fastdl.zeros(*s)
    i64 = lambda *s: fastdl.zeros(*s, dtype=fastdl.int64)
    with pytest.raises(TypeError, match="searchsorted: sequence and values must share a dtype.*float32.*float64"):
        _C.cpu.searchsorted(f32(1, 4), fastdl.zeros(1, 3, dtype=fastdl.float64), i64(1, 3), False)
    with pytest.raises(ValueError, match="searchsorted: sequence rows must be 1 or the values' rows"):
        _C.cpu.searchsorted(f32(2, 4), f32(3, 3), i64(3, 3), False)
    with pytest.raises(ValueError, match="searchsorted: expected 2-D"):
        _C.cpu.searchsorted(f32(4), f32(1, 3), i64(1, 3), False)
    with pytest.raises(TypeError, match="searchsorted: expected dtype int64"):
        _C.cpu.searchsorted(f32(1, 4), f32(1, 3), f32(1, 3), False)
    with pytest.raises(ValueError, match="searchsorted: expected contiguous"):
        _C.cpu.searchsorted(f32(1, 4), f32(2, 6)[:, ::2], i64(2, 3), False)
    with pytest.raises(TypeError, match="cummax: expected dtype int64"):
        _C.cpu.cum_extreme(f32(2, 3), f32(2, 3), f32(2, 3), 1, True)
    with pytest.raises(TypeError, match="cummax: expected dtype float32"):
        _C.cpu.cum_extreme(f32(2, 3), i64(2, 3), i64(2, 3), 1, True)
    with pytest.raises(ValueError, match="cummin: shape mismatch"):
        _C.cpu.cum_extreme(f32(2, 3), f32(2, 3), i64(3, 2), 1, False)


def test_same_answers_on_every_device(device):
    """cuda/scan.cu and cuda/search.cu run the same line functions: the same positions."""
    a = tie_and_nan_data((3, 300, 5), np.float32, 11)
    for dim in range(3):
        for op in (fastdl.cummax, fastdl.cummin):
            got = op(fastdl.tensor(a).to(device), dim)
            vals, idx = running_extreme(a, dim, op is fastdl.cummax)
            np.testing.assert_array_equal(got.indices.cpu().numpy(), idx)
            np.testing.assert_array_equal(got.values.cpu().numpy(), vals)
    rng = np.random.default_rng(12)
    seq = np.sort(rng.standard_normal((3, 200)), -1)
    vals = rng.standard_normal((3, 1000))
    for right in (False, True):
        got = fastdl.searchsorted(fastdl.tensor(seq).to(device), fastdl.tensor(vals).to(device), right=right)
        want = [np.searchsorted(seq[i], vals[i], side="right" if right else "left") for i in range(3)]
        np.testing.assert_array_equal(got.cpu().numpy(), want)
