"""The one-call C++ path of t[key] and t[key] = v for index-tensor keys
(csrc/cpu/index_rows.cpp, csrc/bind/bind_index_new.cpp): a randomized sweep of x's
dtype, layout and key kinds against NumPy, with the binding called directly so a case
that silently fell back to the Python path would fail; gradients (float64 gradcheck and
double backward); and the cases it must hand back to the Python path (None)."""
import numpy as np
import pytest

import fastdl
from fastdl import _C
from fastdl.ops.indexing import _positions_like

DTYPES = [fastdl.float32, fastdl.float64, fastdl.int64, fastdl.int32, fastdl.int8, fastdl.bool,
          fastdl.float16, fastdl.complex64, fastdl.complex128]


def make_x(rng, shape, dtype, layout):
    """A tensor of `shape` and its NumPy twin, contiguous or as a strided / offset view."""
    base = rng.standard_normal([s * 2 for s in shape]) * 4
    if layout == "contiguous":
        ref = base[tuple(slice(0, s) for s in shape)].copy()
        x = fastdl.tensor(ref).to(dtype)
    elif layout == "strided":  # every other element, from an offset
        full = fastdl.tensor(base).to(dtype)
        x = full[tuple(slice(1 if s > 1 else 0, None, 2) for s in shape)][tuple(slice(0, s) for s in shape)]
    else:  # permuted: the reverse of a contiguous tensor's dims
        full = fastdl.tensor(rng.standard_normal(list(reversed(shape))) * 4).to(dtype)
        x = full.permute(*reversed(range(len(shape))))
    assert list(x.shape) == list(shape)
    return x, x.numpy().copy()


def make_key(rng, shape, kind):
    """(fastdl key, NumPy key) for x of `shape`."""
    if kind == "mask":
        m = int(rng.integers(1, len(shape) + 1))
        mask = rng.random(shape[:m]) > 0.5
        t = fastdl.tensor(mask)
        if m >= 1 and shape[0] > 1 and rng.random() < 0.5:  # a non-contiguous mask view
            t = fastdl.tensor(np.repeat(mask, 2, axis=0))[::2]
        return t, mask
    m = int(rng.integers(1, len(shape) + 1))
    kshape = [int(s) for s in rng.integers(1, 4, size=int(rng.integers(1, 3)))]
    keys, refs = [], []
    for d in range(m):
        ks = list(kshape)
        if rng.random() < 0.3:
            ks[-1] = 1  # broadcast along the last dim
        vals = rng.integers(-shape[d], shape[d], size=ks)
        t = fastdl.tensor(vals, dtype=fastdl.int32 if rng.random() < 0.3 else fastdl.int64)
        if rng.random() < 0.3:  # a transposed (non-contiguous) index tensor
            t = fastdl.tensor(np.ascontiguousarray(vals.T)).to(t.dtype).T if vals.ndim == 2 else t
        keys.append(t)
        refs.append(vals)
    if m == 1 and rng.random() < 0.5:
        return keys[0], refs[0]
    return tuple(keys), tuple(refs)


CASES = [(seed, layout) for seed in range(40) for layout in ("contiguous", "strided", "permuted")]


@pytest.mark.parametrize("seed,layout", CASES)
def test_get_matches_numpy(seed, layout):
    rng = np.random.default_rng(seed)
    shape = [int(s) for s in rng.integers(1, 5, size=int(rng.integers(1, 5)))]
    dtype = DTYPES[seed % len(DTYPES)]
    x, ref = make_x(rng, shape, dtype, layout)
    for kind in ("indices", "mask"):
        key, nkey = make_key(rng, shape, kind)
        got = _C.cpu_index_rows(x, key, None)
        assert got is not None, (shape, kind)  # the C++ path took it
        want = ref[nkey]
        assert tuple(got.shape) == want.shape and got.dtype is x.dtype
        np.testing.assert_array_equal(got.numpy(), want)
        np.testing.assert_array_equal(x[key].numpy(), want)  # the front gives the same


@pytest.mark.parametrize("seed", range(40))
def test_put_matches_numpy(seed):
    rng = np.random.default_rng(100 + seed)
    shape = [int(s) for s in rng.integers(1, 5, size=int(rng.integers(1, 5)))]
    dtype = DTYPES[seed % len(DTYPES)]
    x, ref = make_x(rng, shape, dtype, "contiguous")
    for kind in ("indices", "mask"):
        key, nkey = make_key(rng, shape, kind)
        target_shape = ref[nkey].shape
        # a value of the indexed shape, or one that broadcasts to it (its trailing dims)
        vshape = target_shape[int(rng.integers(0, len(target_shape) + 1)):]
        value = fastdl.tensor(rng.standard_normal(vshape) * 4).to(dtype)  # (repeated indices: NumPy's last wins too)
        before = x._buf.version
        assert _C.cpu_put_rows(x, key, value) is True
        ref[nkey] = value.numpy()
        np.testing.assert_array_equal(x.numpy(), ref)
        x[key] = value  # the front: the same, and a version bump
        np.testing.assert_array_equal(x.numpy(), ref)
        assert x._buf.version > before


def test_repeated_indices_last_write_wins_and_reads_repeat():
    x = fastdl.zeros(4, 2)
    x[fastdl.tensor([1, 3, 1])] = fastdl.tensor([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    np.testing.assert_array_equal(x.numpy(), [[0, 0], [3, 3], [0, 0], [2, 2]])
    np.testing.assert_array_equal(x[fastdl.tensor([3, 3, -3])].numpy(), [[2, 2], [2, 2], [3, 3]])


def test_scalar_values_and_masks():
    y = fastdl.arange(12.0).reshape(3, 4)
    y[y > 5] = 0
    np.testing.assert_array_equal(y.numpy(), np.where(np.arange(12.0).reshape(3, 4) > 5, 0, np.arange(12.0).reshape(3, 4)))
    y[fastdl.tensor([True, False, True])] = -1
    assert y.numpy()[0].tolist() == [-1] * 4 and y.numpy()[2].tolist() == [-1] * 4
    n = fastdl.arange(6).reshape(2, 3)
    n[fastdl.tensor([1]), fastdl.tensor([2])] = 7
    assert n.numpy()[1, 2] == 7 and n.dtype is fastdl.int64


def test_positions_and_gradients():
    x = fastdl.randn(4, 3, 2, dtype=fastdl.float64)
    out, pos, m = _C.cpu_index_rows(x, (fastdl.tensor([3, -4]), fastdl.tensor([[1], [2]])), _positions_like())
    assert m == 2 and pos.tolist() == [3 * 3 + 1, 0 * 3 + 1, 3 * 3 + 2, 0 * 3 + 2]
    np.testing.assert_array_equal(out.numpy(), x.numpy()[np.array([3, -4]), np.array([[1], [2]])])
    e = fastdl.randn(5, 3, dtype=fastdl.float64, requires_grad=True)
    for f in (lambda t: t[fastdl.tensor([4, 0, 4])], lambda t: t[fastdl.tensor([1, 2]), fastdl.tensor([0, 0])],
              lambda t: t[t.detach() > 0], lambda t: t.T[fastdl.tensor([[2], [0]])] ** 2):
        assert fastdl.autograd.gradcheck(f, (e,))
        assert fastdl.autograd.gradgradcheck(f, (e,))
    y = e[fastdl.tensor([1, 1])]
    assert "_Rows" in repr(y.grad_fn)  # the C++ path recorded it
    with fastdl.no_grad():
        assert e[fastdl.tensor([1])].grad_fn is None


def test_large_gather_matches_with_threads():
    rng = np.random.default_rng(0)
    data = rng.standard_normal((20000, 33)).astype(np.float32)
    idx = rng.integers(0, 20000, size=9000)
    x = fastdl.tensor(data)
    old = fastdl.get_num_threads()
    try:
        fastdl.set_num_threads(2)
        np.testing.assert_array_equal(x[fastdl.tensor(idx)].numpy(), data[idx])
        np.testing.assert_array_equal(x.T[fastdl.tensor(idx[:30] % 33)].numpy(), data.T[idx[:30] % 33])
    finally:
        fastdl.set_num_threads(old)


def test_cases_left_to_the_python_path():
    x = fastdl.arange(24.0).reshape(2, 3, 4)
    I = fastdl.tensor
    for key in (I([2]), (I([0]), I([3])), (I([0, 1]), I([0, 1, 2])), I(1), (I([0]), slice(None)),
                I([1, 0], dtype=fastdl.uint8), I([0.0]), (I([True, False]), I([0])), I([True, False, True]),
                (I([0]),) * 4, [0, 1]):
        assert _C.cpu_index_rows(x, key, None) is None, key
    v = fastdl.zeros(4)
    assert _C.cpu_put_rows(x, I([0]), v.to(fastdl.float64)) is None  # another dtype: cast by the Python path
    assert _C.cpu_put_rows(x, I([0]), fastdl.zeros(5)) is None  # does not broadcast
    assert _C.cpu_put_rows(x.transpose(0, 2), I([0]), fastdl.zeros(1)) is None  # non-contiguous target
    assert _C.cpu_put_rows(x, I([0]), x[1, 0]) is None  # shares x's buffer
    # and the Python path words the errors
    with pytest.raises(IndexError, match="index 2 is out of bounds for dimension 0 with size 2"):
        x[I([2])]
    with pytest.raises(IndexError, match="out of bounds"):
        x[I([0])] = I([1.0, 2.0, 3.0, 4.0])[I([9])]
    with pytest.raises(ValueError, match="shape mismatch"):
        x[I([0])] = fastdl.zeros(5)
    q = fastdl.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="requires grad"):
        q[I([0])] = 1.0
    x[I([0])] = x[1]  # a value from x itself: the Python path, the same result
    np.testing.assert_array_equal(x[0].numpy(), x[1].numpy())


def test_take_through_the_row_path():
    rng = np.random.default_rng(3)
    for shape in ((5,), (3, 4), (2, 3, 2), ()):
        ref = rng.standard_normal(shape)
        x = fastdl.tensor(ref, requires_grad=True)
        idx = rng.integers(-max(ref.size, 1), max(ref.size, 1), size=(2, 3))
        got = fastdl.take(x, fastdl.tensor(idx))
        np.testing.assert_array_equal(got.detach().numpy(), np.take(ref, idx))
        assert "_Rows" in repr(got.grad_fn)
        assert fastdl.autograd.gradcheck(lambda t: fastdl.take(t, fastdl.tensor(idx)), (x,))
        assert fastdl.autograd.gradgradcheck(lambda t: fastdl.take(t, fastdl.tensor(idx)), (x,))
    x = fastdl.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(fastdl.take(x.T, fastdl.tensor([1, 2])).numpy(), [3.0, 1.0])  # non-contiguous: general path
    with pytest.raises(IndexError):
        fastdl.take(x, fastdl.tensor([6]))
