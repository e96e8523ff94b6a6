"""fastdl.sort / argsort / topk (python/fastdl/ops/sorting.py, kernel csrc/cpu/sort.cpp).

Forward against NumPy's stable order with torch's NaN rule (NaN the largest value:
last ascending, first descending): every dim of 0-3-D inputs incl. size-0 and size-1
dims, every dtype, ties, NaNs, infinities, -0.0, int64 extremes; lines long enough for
each kernel path (comparison sort, 8- and 11-bit radix sort, topk's heap); topk for
every k. Gradients of the values by gradcheck and against torch, torch parity of values
and stable indices, the composed bitonic path (what a CUDA tensor runs) against the
kernel, errors, and a GPU test. The module imports without torch."""
import numpy as np
import pytest

import fastdl
from fastdl import _C
from fastdl.ops import sorting

DTYPES = ["float32", "float64", "int64", "bool"]
SHAPES = [(), (1,), (7,), (0,), (3, 5), (5, 1), (1, 4), (0, 3), (3, 0), (4, 1, 6), (2, 3, 4), (2, 0, 3)]


# ---------------------------------------------------------------- the reference
def ref_argsort(a, dim, descending=False):
    """Stable argsort along dim, NaN largest (NumPy already puts NaN last ascending).
    Descending sorts the negated dense rank of each value, stably: equal values (NaNs
    included) keep their input order, NaN comes first."""
    if a.ndim == 0:
        return np.zeros((), np.int64)
    if not descending or a.size == 0:
        return np.argsort(a, axis=dim, kind="stable").astype(np.int64)
    moved = np.moveaxis(a, dim, -1)
    lines = moved.reshape(-1, moved.shape[-1])
    out = np.empty(lines.shape, np.int64)
    for r, line in enumerate(lines):
        _, rank = np.unique(line, return_inverse=True)  # NaNs one value, ranked last
        out[r] = np.argsort(-rank.reshape(-1), kind="stable")
    return np.moveaxis(out.reshape(moved.shape), -1, dim)


def ref_sort(a, dim, descending=False):
    idx = ref_argsort(a, dim, descending)
    return (a.copy() if a.ndim == 0 else np.take_along_axis(a, idx, dim)), idx


def ref_topk(a, k, dim, largest=True):
    v, i = ref_sort(a, dim, descending=largest)
    if a.ndim == 0:
        return v, i
    sl = [slice(None)] * a.ndim
    sl[dim] = slice(0, k)
    return v[tuple(sl)], i[tuple(sl)]


def sample(rng, shape, dtype, ties=True, nan=True):
    """Values with many ties (a few distinct values), NaNs, infinities and signed zeros
    for floats; the int64 extremes for int64."""
    if dtype == "bool":
        return rng.integers(0, 2, shape).astype(bool)
    if dtype == "int64":
        a = rng.integers(-4, 4, shape) if ties else rng.permutation(max(int(np.prod(shape)), 1))[:int(np.prod(shape))].reshape(shape) - 3
        a = np.asarray(a, np.int64)
        if ties and a.size >= 4:
            flat = a.reshape(-1)
            flat[rng.integers(0, a.size, 2)] = np.iinfo(np.int64).min
            flat[rng.integers(0, a.size, 2)] = np.iinfo(np.int64).max
        return a
    if ties:
        a = rng.integers(-3, 3, shape).astype(dtype) * np.asarray(0.5, dtype)
        if a.size >= 4:
            flat = a.reshape(-1)
            if nan:
                flat[rng.integers(0, a.size, max(a.size // 5, 1))] = np.nan
            flat[rng.integers(0, a.size, 1)] = np.inf
            flat[rng.integers(0, a.size, 1)] = -np.inf
            flat[rng.integers(0, a.size, 2)] = -0.0
        return a
    return np.asarray(rng.permutation(max(int(np.prod(shape)), 1))[:int(np.prod(shape))].reshape(shape) * 0.25 - 3,
                      dtype)


def assert_same(got, want):
    got = got.numpy()
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, got.dtype, want.shape, want.dtype)
    np.testing.assert_array_equal(got, want)


def dims_of(shape):
    return list(range(-max(len(shape), 1), max(len(shape), 1)))


# ---------------------------------------------------------------- forward against NumPy
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("descending", [False, True])
def test_sort_and_argsort_match_numpy(shape, dtype, descending):
    rng = np.random.default_rng(len(shape) + 7 * DTYPES.index(dtype))
    a = sample(rng, shape, dtype)
    x = fastdl.tensor(a)
    for dim in dims_of(shape):
        d = dim % max(len(shape), 1)
        want_v, want_i = ref_sort(a, d, descending)
        v, i = fastdl.sort(x, dim, descending)
        assert_same(i, want_i)
        assert_same(v, want_v)
        assert_same(fastdl.argsort(x, dim=dim, descending=descending), want_i)
        assert_same(x.argsort(dim, descending), want_i)
        out = x.sort(dim=dim, descending=descending, stable=True)
        assert_same(out.values, want_v)
        assert_same(out.indices, want_i)


@pytest.mark.parametrize("n", [127, 128, 300, 2047, 2048, 5000])
@pytest.mark.parametrize("dtype,ties", [(d, t) for d in DTYPES for t in (True, False) if d != "bool" or t])
def test_long_lines_every_kernel_path(n, dtype, ties):
    """Lines below / above the radix threshold (128) and the 11-bit digits' (2048),
    sorted along the last and the first dim (contiguous and strided lines)."""
    rng = np.random.default_rng(n)
    a = sample(rng, (3, n), dtype, ties=ties)
    for descending in (False, True):
        for arr, dim in ((a, 1), (np.ascontiguousarray(a.T), 0)):
            v, i = fastdl.sort(fastdl.tensor(arr), dim, descending)
            want_v, want_i = ref_sort(arr, dim, descending)
            assert_same(i, want_i)
            assert_same(v, want_v)


def test_wide_key_values_and_one_digit_lines():
    """float64 / int64 keys spanning every byte, and lines whose keys share all but one
    byte (the radix sort skips the passes where every digit is the same)."""
    rng = np.random.default_rng(3)
    cases = [rng.standard_normal(4000) * 10.0 ** rng.integers(-300, 300, 4000),
             rng.integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, 4000, dtype=np.int64),
             np.arange(3000, dtype=np.int64)[::-1].copy(), np.full(3000, 7.0, np.float32),
             np.float32(1.0) + np.arange(500, dtype=np.float32) * np.float32(2 ** -23)]
    for a in cases:
        for descending in (False, True):
            i = fastdl.argsort(fastdl.tensor(a), descending=descending)
            assert_same(i, ref_argsort(a, 0, descending))


def test_nan_rule_and_signed_zeros():
    nan, inf = float("nan"), float("inf")
    x = fastdl.tensor([1.0, nan, -inf, 0.0, -0.0, inf, nan, -1.0])
    v, i = fastdl.sort(x)
    assert i.tolist() == [2, 7, 3, 4, 0, 5, 1, 6]  # NaN last, -0.0 == 0.0 in input order
    v, i = fastdl.sort(x, descending=True)
    assert i.tolist() == [1, 6, 5, 0, 3, 4, 7, 2]  # NaN first, ties in input order
    assert np.isnan(v.numpy()[:2]).all()
    v, i = fastdl.topk(x, 3)
    assert i.tolist() == [1, 6, 5]
    v, i = fastdl.topk(x, 3, largest=False)
    assert i.tolist() == [2, 7, 3]


def test_ties_keep_input_order_both_ways():
    a = np.array([2, 1, 2, 1, 2, 3, 1], np.int64)
    assert fastdl.argsort(fastdl.tensor(a)).tolist() == [1, 3, 6, 0, 2, 4, 5]
    assert fastdl.argsort(fastdl.tensor(a), descending=True).tolist() == [5, 0, 2, 4, 1, 3, 6]
    b = fastdl.tensor([True, False, True, False])
    assert fastdl.argsort(b).tolist() == [1, 3, 0, 2]
    assert fastdl.argsort(b, descending=True).tolist() == [0, 2, 1, 3]


def test_zero_dim_input():
    for dtype in DTYPES:
        x = fastdl.tensor(np.asarray(3, dtype))
        for dim in (0, -1):
            v, i = fastdl.sort(x, dim)
            assert v.shape == () and i.shape == () and i.item() == 0 and v.item() == x.item()
            v, i = fastdl.topk(x, 1, dim)
            assert v.shape == () and i.shape == () and i.item() == 0
            v, i = fastdl.topk(x, 0, dim)  # torch: k = 0 of a 0-d tensor is the element itself
            assert v.shape == () and i.shape == () and i.item() == 0 and v.item() == x.item()
            assert fastdl.argsort(x, dim).shape == ()


def test_noncontiguous_input_and_threads():
    rng = np.random.default_rng(5)
    a = rng.integers(-20, 20, (600, 64)).astype(np.float32)
    x = fastdl.tensor(a).t()  # (64, 600) view, strided along both dims
    want_v, want_i = ref_sort(a.T, 1)
    n = fastdl.get_num_threads()
    try:
        for threads in (1, 2):
            fastdl.set_num_threads(threads)
            v, i = fastdl.sort(x, 1)
            assert_same(i, want_i)
            assert_same(v, want_v)
    finally:
        fastdl.set_num_threads(n)


def test_half_inputs_sort_as_float32():
    a = np.array([1.5, -2.0, np.nan, 0.25, 1.5, -np.inf], np.float32)
    x = fastdl.tensor(a).to(fastdl.float16)
    v, i = fastdl.sort(x, descending=True)
    assert v.dtype is fastdl.float16
    assert_same(i, ref_argsort(a, 0, True))
    np.testing.assert_array_equal(v.float().numpy(), ref_sort(a, 0, True)[0])
    h = fastdl.tensor(a[[0, 1, 3]], dtype=fastdl.float16, requires_grad=True)
    fastdl.topk(h, 2).values.sum().backward()
    assert h.grad.dtype is fastdl.float16 and h.grad.tolist() == [1.0, 0.0, 1.0]


def test_return_type_and_index_dtype():
    x = fastdl.tensor([[3.0, 1.0, 2.0]], requires_grad=True)
    out = fastdl.sort(x)
    assert type(out) is type(fastdl.max(x, 1))  # the torch.return_types-like pair of max(dim)
    values, indices = out
    assert values is out.values and indices is out.indices and out[0] is values
    assert indices.dtype is fastdl.int64 and not indices.requires_grad and values.requires_grad
    assert type(fastdl.topk(x, 2)) is type(out)
    a = fastdl.argsort(x)
    assert a.dtype is fastdl.int64 and not a.requires_grad


# ---------------------------------------------------------------- topk
@pytest.mark.parametrize("shape", [(6,), (3, 5), (4, 1, 6), (2, 3, 4), (0, 3), (3, 0)], ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_topk_every_k(shape, dtype):
    rng = np.random.default_rng(11)
    a = sample(rng, shape, dtype)
    x = fastdl.tensor(a)
    for dim in dims_of(shape):
        d = dim % len(shape)
        for k in range(shape[d] + 1):
            for largest in (True, False):
                want_v, want_i = ref_topk(a, k, d, largest)
                for sorted_ in (True, False):
                    v, i = fastdl.topk(x, k, dim, largest, sorted_)
                    assert_same(i, want_i)
                    assert_same(v, want_v)
                v, i = x.topk(k, dim=dim, largest=largest)
                assert_same(i, want_i)


@pytest.mark.parametrize("n", [300, 5000])
@pytest.mark.parametrize("dtype", DTYPES)
def test_topk_long_lines(n, dtype):
    """k up to n/16 takes the heap, larger k the full sort: both the stable order's prefix."""
    rng = np.random.default_rng(n + 1)
    for ties in (True, False):
        if dtype == "bool" and not ties:
            continue
        a = sample(rng, (2, n), dtype, ties=ties)
        x = fastdl.tensor(a)
        for k in (0, 1, 2, 10, n // 16, n // 16 + 1, n // 2, n - 1, n):
            for largest in (True, False):
                want_v, want_i = ref_topk(a, k, 1, largest)
                v, i = fastdl.topk(x, k, largest=largest)
                assert_same(i, want_i)
                assert_same(v, want_v)
                v, i = fastdl.topk(fastdl.tensor(np.ascontiguousarray(a.T)), k, 0, largest)
                assert_same(i, want_i.T)


def test_topk_ascending_input_every_element_enters_the_heap():
    a = np.arange(4096, dtype=np.float64)
    v, i = fastdl.topk(fastdl.tensor(a), 10)
    assert i.tolist() == list(range(4095, 4085, -1))
    v, i = fastdl.topk(fastdl.tensor(a[::-1].copy()), 10, largest=False)
    assert i.tolist() == list(range(4095, 4085, -1))


# ---------------------------------------------------------------- gradients
@pytest.mark.parametrize("shape,dim", [((7,), 0), ((3, 5), 1), ((3, 5), 0), ((2, 3, 4), 1), ((2, 3, 4), -1)])
@pytest.mark.parametrize("descending", [False, True])
def test_gradcheck_values(shape, dim, descending):
    rng = np.random.default_rng(2)
    a = rng.permutation(int(np.prod(shape))).reshape(shape) * 0.37 - 1.0  # distinct values
    x = fastdl.tensor(a, dtype=fastdl.float64, requires_grad=True)
    fastdl.testing.gradcheck(lambda t: fastdl.sort(t, dim, descending).values, (x,))
    k = max(shape[dim] // 2, 1)
    fastdl.testing.gradcheck(lambda t: fastdl.topk(t, k, dim, largest=not descending).values, (x,))
    fastdl.testing.gradcheck(lambda t: t.sort(dim)[0] * t, (x,))


def test_gradient_scatters_back_through_the_indices():
    x = fastdl.tensor([[3.0, 1.0, 2.0, 5.0]], requires_grad=True)
    v, i = fastdl.topk(x, 2)  # values 5 (pos 3), 3 (pos 0)
    (v * fastdl.tensor([[10.0, 20.0]])).sum().backward()
    assert x.grad.tolist() == [[20.0, 0.0, 0.0, 10.0]]
    x.grad = None
    v, i = fastdl.sort(fastdl.tensor(2.0) * x, descending=True)
    (v * fastdl.tensor([[1.0, 2.0, 3.0, 4.0]])).sum().backward()
    assert x.grad.tolist() == [[4.0, 8.0, 6.0, 2.0]]


# ---------------------------------------------------------------- torch parity
@pytest.fixture
def torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", DTYPES)
def test_torch_parity_stable_sort(torch, dtype):
    rng = np.random.default_rng(9)
    for shape in [(5,), (3, 7), (2, 3, 4), (0, 3), (4, 0), (1, 300), (2, 3000)]:
        a = sample(rng, shape, dtype)
        for dim in range(len(shape)):
            for descending in (False, True):
                v, i = fastdl.sort(fastdl.tensor(a), dim, descending)
                tv, ti = torch.sort(torch.from_numpy(a.copy()), dim=dim, descending=descending, stable=True)
                np.testing.assert_array_equal(i.numpy(), ti.numpy())
                np.testing.assert_array_equal(v.numpy(), tv.numpy())
                np.testing.assert_array_equal(fastdl.argsort(fastdl.tensor(a), dim, descending).numpy(),
                                              torch.argsort(torch.from_numpy(a.copy()), dim=dim, descending=descending,
                                                                            stable=True).numpy())
    x = torch.tensor(3.0)
    tv, ti = torch.sort(x)
    v, i = fastdl.sort(fastdl.tensor(3.0))
    assert v.shape == tuple(tv.shape) and i.shape == tuple(ti.shape)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_torch_parity_topk_distinct(torch, dtype):
    """torch's topk orders ties as it likes; with distinct values (NaN aside) the
    results are one."""
    rng = np.random.default_rng(4)
    for shape in [(9,), (4, 6), (2, 3, 5), (3, 300), (2, 5000)]:
        a = sample(rng, shape, dtype, ties=False)
        for dim in range(len(shape)):
            n = shape[dim]
            for k in sorted({0, 1, n // 16, n // 2, n}):
                for largest in (True, False):
                    v, i = fastdl.topk(fastdl.tensor(a), k, dim, largest)
                    tv, ti = torch.topk(torch.from_numpy(a.copy()), k, dim, largest)
                    np.testing.assert_array_equal(i.numpy(), ti.numpy())
                    np.testing.assert_array_equal(v.numpy(), tv.numpy())


def test_torch_parity_nan_topk(torch):
    a = np.array([[1.0, np.nan, 3.0, -1.0, 2.0], [np.nan, 0.5, 0.25, 4.0, -2.0]])
    for largest in (True, False):
        v, i = fastdl.topk(fastdl.tensor(a), 3, largest=largest)
        tv, ti = torch.topk(torch.from_numpy(a), 3, largest=largest)
        np.testing.assert_array_equal(i.numpy(), ti.numpy())
        np.testing.assert_array_equal(v.numpy(), tv.numpy())


def test_torch_parity_gradients(torch):
    rng = np.random.default_rng(6)
    a = rng.permutation(60).reshape(3, 4, 5) * 0.5 - 7.0
    w = rng.standard_normal((3, 4, 5))
    for dim in range(3):
        for descending in (False, True):
            x, tx = fastdl.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
            (fastdl.sort(x, dim, descending).values * fastdl.tensor(w)).sum().backward()
            (torch.sort(tx, dim, descending).values * torch.from_numpy(w)).sum().backward()
            np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=0, atol=0)
            k = 2
            wk = np.take(w, range(k), axis=dim)
            x, tx = fastdl.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
            (fastdl.topk(x, k, dim, descending).values * fastdl.tensor(wk)).sum().backward()
            (torch.topk(tx, k, dim, descending).values * torch.from_numpy(wk)).sum().backward()
            np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=0, atol=0)


# ---------------------------------------------------------------- the composed (device) path
@pytest.mark.parametrize("shape", SHAPES + [(3, 37), (2, 64), (65,)], ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_bitonic_path_matches_kernel_and_numpy(shape, dtype):
    """_bitonic_argsort is what a CUDA tensor runs; on the CPU it must give the kernel's
    (and NumPy's stable) order exactly, padding and NaN class included."""
    rng = np.random.default_rng(13 + len(shape))
    a = sample(rng, shape, dtype)
    x = fastdl.tensor(a)
    for dim in range(max(len(shape), 1)):
        for descending in (False, True):
            got = sorting._bitonic_argsort(x, dim, descending)
            assert_same(got, ref_argsort(a, dim, descending))
            assert_same(got, fastdl.argsort(x, dim, descending).numpy())


def test_bitonic_path_strided_and_half_input():
    rng = np.random.default_rng(8)
    a = rng.integers(-5, 5, (9, 6)).astype(np.float32)
    a[2, 3] = np.nan
    x = fastdl.tensor(a).t()
    for dim in (0, 1):
        for descending in (False, True):
            assert_same(sorting._bitonic_argsort(x, dim, descending), ref_argsort(a.T, dim, descending))
    h = fastdl.tensor(a).to(fastdl.float16)
    assert_same(sorting._bitonic_argsort(h, 1, True), ref_argsort(a, 1, True))


def test_public_ops_through_the_composed_path(monkeypatch):
    """sort / argsort / topk as a device without the kernel runs them (the kernel lookup
    says None): same results as the kernel's, gradients included."""
    rng = np.random.default_rng(17)
    cases = [(sample(rng, (3, 10), "float32"), 1), (sample(rng, (5, 2, 3), "int64"), 0),
             (sample(rng, (4, 6), "bool"), 1), (np.asarray(2.5), 0), (np.zeros((0, 3)), 1)]
    want = []
    for a, dim in cases:
        x = fastdl.tensor(a)
        n = x.shape[dim] if x.ndim else 1
        want.append([fastdl.sort(x, dim, True), fastdl.argsort(x, dim)]
                    + [fastdl.topk(x, k, dim, largest) for k in range(n + 1) for largest in (True, False)])
    monkeypatch.setattr(sorting, "_kernel", lambda x: None)
    for (a, dim), w in zip(cases, want):
        x = fastdl.tensor(a)
        n = x.shape[dim] if x.ndim else 1
        got = [fastdl.sort(x, dim, True), fastdl.argsort(x, dim)] + [
            fastdl.topk(x, k, dim, largest) for k in range(n + 1) for largest in (True, False)]
        for g, e in zip(got, w):
            for gt_, et in (zip(g, e) if isinstance(g, tuple) else [(g, e)]):
                assert_same(gt_, et.numpy())
    x = fastdl.tensor([[3.0, 1.0, 2.0, 5.0]], requires_grad=True)
    (fastdl.topk(x, 2).values * fastdl.tensor([[10.0, 20.0]])).sum().backward()
    assert x.grad.tolist() == [[20.0, 0.0, 0.0, 10.0]]


# ---------------------------------------------------------------- errors
def test_errors_name_the_op_and_shapes():
    x = fastdl.zeros((3, 4))
    with pytest.raises(RuntimeError, match=r"topk: selected index k out of range.*k = 5.*size 4.*float32\[3, 4\]"):
        fastdl.topk(x, 5)
    with pytest.raises(RuntimeError, match=r"topk: selected index k out of range.*k = -1"):
        fastdl.topk(x, -1)
    with pytest.raises(RuntimeError, match=r"topk: .*k = 2.*size 1.*float32\[\]"):
        fastdl.topk(fastdl.tensor(1.0), 2)
    with pytest.raises(TypeError, match="topk: k must be an int"):
        fastdl.topk(x, 1.5)
    for op in ("sort", "argsort"):
        with pytest.raises(IndexError, match=rf"{op}: dimension out of range.*got 2\).*float32\[3, 4\]"):
            getattr(fastdl, op)(x, 2)
        with pytest.raises(TypeError, match=f"{op}: expected input to be a Tensor, got list"):
            getattr(fastdl, op)([3.0, 1.0])
    with pytest.raises(IndexError, match=r"topk: dimension out of range.*got -3\).*float32\[3, 4\]"):
        fastdl.topk(x, 1, dim=-3)
    with pytest.raises(TypeError, match="topk: expected input to be a Tensor, got ndarray"):
        fastdl.topk(np.zeros(3), 1)
    with pytest.raises(IndexError, match=r"sort: dimension out of range.*float32\[\]"):
        fastdl.sort(fastdl.tensor(1.0), 1)


def test_kernel_argument_errors():
    x = fastdl.zeros((3, 4))
    with pytest.raises(TypeError, match=r"argsort: expected dtype int64, got float32\[3, 4\]"):
        _C.cpu.argsort(x, fastdl.empty((3, 4)), 1, False)
    with pytest.raises(ValueError, match=r"argsort: indices_out int64\[3, 5\].* must have the shape of x float32\[3, 4\]"):
        _C.cpu.argsort(x, fastdl.empty((3, 5), dtype=fastdl.int64), 1, False)
    with pytest.raises(ValueError, match=r"argsort: indices_out int64\[2, 4\]"):
        _C.cpu.argsort(x, fastdl.empty((2, 4), dtype=fastdl.int64), 1, False)
    with pytest.raises(ValueError, match="argsort: dim 2 out of range"):
        _C.cpu.argsort(x, fastdl.empty((3, 4), dtype=fastdl.int64), 2, False)
    with pytest.raises(ValueError, match="argsort: x must be contiguous"):
        _C.cpu.argsort(x.t(), fastdl.empty((4, 3), dtype=fastdl.int64), 0, False)
    with pytest.raises(TypeError, match="argsort: unsupported dtype float16"):
        _C.cpu.argsort(x.to(fastdl.float16), fastdl.empty((3, 4), dtype=fastdl.int64), 0, False)
    # a smaller size along dim keeps the first k of each sorted line
    out = fastdl.empty((3, 2), dtype=fastdl.int64)
    _C.cpu.argsort(fastdl.tensor([[3.0, 1.0, 2.0, 0.0]] * 3), out, 1, True)
    assert out.tolist() == [[0, 2]] * 3


# ---------------------------------------------------------------- GPU
@pytest.mark.cuda
def test_cuda_sort_argsort_topk_match_numpy():
    rng = np.random.default_rng(21)
    for dtype in DTYPES:
        for shape in [(7,), (3, 5), (2, 3, 33), (0, 4), (4, 1), (2, 1000)]:
            a = sample(rng, shape, dtype)
            x = fastdl.tensor(a, device="cuda")
            for dim in range(len(shape)):
                for descending in (False, True):
                    v, i = fastdl.sort(x, dim, descending)
                    assert v.device.type == "cuda" and i.device.type == "cuda"
                    want_v, want_i = ref_sort(a, dim, descending)
                    assert_same(i.cpu(), want_i)
                    assert_same(v.cpu(), want_v)
                    assert_same(fastdl.argsort(x, dim, descending).cpu(), want_i)
                    k = shape[dim] // 2
                    v, i = fastdl.topk(x, k, dim, largest=descending)
                    want_v, want_i = ref_topk(a, k, dim, descending)
                    assert_same(i.cpu(), want_i)
                    assert_same(v.cpu(), want_v)
    a = rng.permutation(24).reshape(4, 6) * 0.5
    x = fastdl.tensor(a, device="cuda", requires_grad=True)
    fastdl.topk(x, 2, 1).values.sum().backward()
    want = np.zeros_like(a)
    np.put_along_axis(want, ref_topk(a, 2, 1)[1], 1.0, 1)
    np.testing.assert_array_equal(x.grad.cpu().numpy(), want)
