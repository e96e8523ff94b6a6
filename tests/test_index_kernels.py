"""CPU indexing kernels (_C.cpu.index_select / index_add / index_put / gather /
scatter_add / count_nonzero / nonzero) against NumPy references."""
import re

import numpy as np
import pytest

from fastdl import _C
from kernel_views import kempty, kview

K = _C.cpu
DTYPES = [np.float32, np.float64, np.int64, np.bool_]
rng = np.random.default_rng(0)


def rand(shape, dtype):
    if dtype == np.bool_:
        return np.asarray(rng.random(shape) < 0.5)
    if dtype == np.int64:
        return np.asarray(rng.integers(-100, 100, size=shape), dtype=np.int64)
    return np.asarray(rng.standard_normal(shape), dtype=dtype)


def layout(arr, kind):
    """Returns (base, view) where view equals arr with the requested memory layout."""
    if kind == "contig":
        base = np.array(arr, order="C")  # keeps 0-d arrays 0-d
        return base, base
    if kind == "transposed":  # view = base.T, so base holds arr transposed
        base = np.array(arr.T, order="C")
        return base, base.T
    if kind == "strided":  # every other element along each dim
        base = np.zeros(tuple(2 * s for s in arr.shape), dtype=arr.dtype)
        view = base[tuple(slice(None, None, 2) for _ in arr.shape) + (Ellipsis,)]
        view[...] = arr
        return base, view
    raise ValueError(kind)


def kv(arr, kind="contig"):
    return kview(*layout(arr, kind))


def index_arg(values, kind="contig"):
    return kv(np.asarray(values, dtype=np.int64), kind)


@pytest.fixture(params=[1, 4], ids=["1thread", "4threads"])
def threads(request):
    """Runs a test serially and with more threads than cores: results must agree."""
    saved = _C.get_num_threads()
    _C.set_num_threads(request.param)
    yield request.param
    _C.set_num_threads(saved)


def oob(op, value, dim, size):
    return re.escape(f"{op}: index {value} is out of bounds for dim {dim} with size {size}")


# ---------------------------------------------------------------- index_select

SELECT_CASES = [  # (shape, dim, index)
    ((5,), 0, [0, 4, -1, 2, 2]),
    ((4, 6), 0, [3, -4, 1]),
    ((4, 6), 1, [5, 0, 0, -2]),
    ((3, 4, 5), 1, [-1, 2]),
    ((3, 4, 5), -1, [4, 0, 1, 4]),
    ((2, 1, 3), 1, [0, 0, -1]),
    ((4, 6), 0, []),
    ((0, 6), 1, [1, 2]),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,dim,idx", SELECT_CASES)
@pytest.mark.parametrize("kind", ["contig", "transposed", "strided"])
def test_index_select(dtype, shape, dim, idx, kind):
    x = rand(shape, dtype)
    ref = np.take(x, np.asarray(idx, dtype=np.int64), axis=dim)
    out = kempty(ref.shape, dtype)
    K.index_select(kv(x, kind), dim, index_arg(idx, "strided"), out)
    np.testing.assert_array_equal(out.numpy(), ref)


def test_index_select_large_parallel(threads):
    x = rand((300, 64, 8), np.float32)
    idx = rng.integers(-64, 64, size=100)
    out = kempty((300, 100, 8), np.float32)
    K.index_select(kv(x, "transposed"), 1, index_arg(idx), out)
    np.testing.assert_array_equal(out.numpy(), np.take(x, idx, axis=1))


def test_index_select_errors():
    x = kv(rand((5, 3), np.float32))
    with pytest.raises(IndexError, match=oob("index_select", 7, 0, 5)):
        K.index_select(x, 0, index_arg([1, 7]), kempty((2, 3)))
    with pytest.raises(IndexError, match=oob("index_select", -6, 0, 5)):
        K.index_select(x, 0, index_arg([-6]), kempty((1, 3)))
    with pytest.raises(IndexError, match="index_select: dim 2 is out of range"):
        K.index_select(x, 2, index_arg([0]), kempty((5, 1)))
    with pytest.raises(ValueError, match="index_select: out float32\\[3, 3\\]"):
        K.index_select(x, 0, index_arg([0, 1]), kempty((3, 3)))
    with pytest.raises(TypeError, match="index_select: expected dtype int64"):
        K.index_select(x, 0, kv(np.zeros(2, np.float32)), kempty((2, 3)))
    with pytest.raises(TypeError, match="index_select: expected dtype float32"):
        K.index_select(x, 0, index_arg([0]), kempty((1, 3), np.float64))
    with pytest.raises(ValueError, match="index_select: out must be contiguous"):
        K.index_select(x, 0, index_arg([0, 1]), kv(np.zeros((3, 2), np.float32), "transposed"))
    with pytest.raises(ValueError, match="index_select: index must be 1-D"):
        K.index_select(x, 0, index_arg([[0]]), kempty((1, 3)))


# ---------------------------------------------------------- index_add / index_put

def add_at_ref(target, dim, idx, src):
    ref = target.copy()
    np.add.at(ref, (slice(None),) * dim + (np.asarray(idx, dtype=np.int64),), src)
    return ref


ADD_CASES = [  # (target shape, dim, index)
    ((5,), 0, [0, 4, -1, 2, 2, 2]),
    ((4, 6), 0, [3, -4, 1, 3, 3]),
    ((4, 6), 1, [5, 0, 0, -2]),
    ((3, 4, 5), 1, [-1, 2, 2]),
    ((3, 4, 5), 2, [4, 0, 1, 4, -1]),
    ((4, 6), 0, []),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("shape,dim,idx", ADD_CASES)
@pytest.mark.parametrize("kind", ["contig", "transposed", "strided"])
def test_index_add(dtype, shape, dim, idx, kind):
    target = rand(shape, dtype)
    src_shape = list(shape)
    src_shape[dim] = len(idx)
    src = rand(tuple(src_shape), dtype)
    ref = add_at_ref(target, dim, idx, src)
    t = kview(target.copy())
    K.index_add(t, dim, index_arg(idx, "strided"), kv(src, kind))
    tol = 1e-5 if dtype == np.float32 else 0
    np.testing.assert_allclose(t.numpy(), ref, rtol=tol, atol=tol)


@pytest.mark.parametrize("shape,dim,n", [((1000, 64), 0, 2000), ((2000, 50), 1, 100), ((40, 30, 50), 1, 90)])
def test_index_add_large_parallel(shape, dim, n, threads):
    # Covers both thread splits: outer < inner (embedding backward) and outer >= inner.
    target = np.zeros(shape)
    idx = rng.integers(-shape[dim], shape[dim], size=n)
    src_shape = list(shape)
    src_shape[dim] = n
    src = rand(tuple(src_shape), np.float64)
    t = kview(target.copy())
    K.index_add(t, dim, index_arg(idx), kv(src, "transposed"))
    np.testing.assert_allclose(t.numpy(), add_at_ref(target, dim, idx, src), rtol=1e-12, atol=1e-12)


def test_index_add_is_backward_of_index_select():
    # <index_select(x), g> == <x, index_add(0, g)> for any g.
    x = rand((6, 4), np.float64)
    idx = [1, 1, 5, -1, 0]
    sel = kempty((5, 4), np.float64)
    K.index_select(kv(x), 0, index_arg(idx), sel)
    g = rand((5, 4), np.float64)
    back = kempty((6, 4), np.float64)
    K.index_add(back, 0, index_arg(idx), kv(g))
    assert np.isclose((sel.numpy() * g).sum(), (x * back.numpy()).sum())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["contig", "transposed"])
def test_index_put_assign_last_wins(dtype, kind):
    target = rand((5, 3), dtype)
    idx = [4, -5, 2, 4, 0]  # 4 twice and 0 twice (as -5): the later row wins
    src = rand((5, 3), dtype)
    ref = target.copy()
    for i, v in enumerate(idx):
        ref[v, :] = src[i, :]
    t = kview(target.copy())
    K.index_put(t, 0, index_arg(idx), kv(src, kind), False)
    np.testing.assert_array_equal(t.numpy(), ref)


@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.bool_])
def test_index_put_accumulate(dtype):
    target = rand((4, 6), dtype)
    idx = [1, 1, -1, 0]
    src = rand((4, 4), dtype)
    t = kview(target.copy())
    K.index_put(t, 1, index_arg(idx), kv(src, "strided"), True)
    if dtype == np.bool_:  # accumulating bools is logical or
        ref = target.copy()
        for i, v in enumerate(idx):
            ref[:, v] |= src[:, i]
    else:
        ref = add_at_ref(target, 1, idx, src)
    np.testing.assert_array_equal(t.numpy(), ref)


@pytest.mark.parametrize("op", ["index_add", "index_put"])
def test_index_add_put_errors(op):
    fn = getattr(K, op)
    extra = (True,) if op == "index_put" else ()
    t = kempty((5, 3))
    with pytest.raises(IndexError, match=oob(op, 5, 0, 5)):
        fn(t, 0, index_arg([0, 5]), kempty((2, 3)), *extra)
    with pytest.raises(IndexError, match=oob(op, -4, 1, 3)):
        fn(t, 1, index_arg([-4]), kempty((5, 1)), *extra)
    with pytest.raises(ValueError, match=f"{op}: src float32\\[3, 3\\]"):
        fn(t, 0, index_arg([0, 1]), kempty((3, 3)), *extra)
    with pytest.raises(ValueError, match=f"{op}: target must be contiguous"):
        fn(kv(np.zeros((3, 5), np.float32), "transposed"), 0, index_arg([0]), kempty((1, 3)), *extra)
    with pytest.raises(TypeError, match=f"{op}: expected dtype float32"):
        fn(t, 0, index_arg([0]), kempty((1, 3), np.float64), *extra)
    # A bad index anywhere leaves target untouched: validation precedes writes.
    t = kempty((5, 3))
    with pytest.raises(IndexError):
        fn(t, 0, index_arg([0, 9]), kview(np.ones((2, 3), np.float32)), *extra)
    assert not t.numpy().any()


# ------------------------------------------------------------ gather / scatter_add

def fit_slicer(index_shape, dim):
    return tuple(slice(None) if d == dim else slice(0, s) for d, s in enumerate(index_shape))


GATHER_CASES = [  # (x shape, dim, index shape, index range)
    ((5,), 0, (8,), 5),
    ((4, 6), 0, (7, 6), 4),
    ((4, 6), 1, (4, 3), 6),
    ((4, 6), 1, (2, 9), 6),  # index smaller than x outside dim
    ((3, 4, 5), 1, (3, 2, 5), 4),
    ((3, 4, 5), 2, (2, 3, 7), 5),
    ((3, 4, 5), 0, (3, 1, 5), 3),
    ((3, 4, 5), 1, (3, 0, 5), 4),
    ((0, 4), 1, (0, 2), 4),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("xshape,dim,ishape,size", GATHER_CASES)
@pytest.mark.parametrize("kind", ["contig", "transposed", "strided"])
def test_gather(dtype, xshape, dim, ishape, size, kind):
    x = rand(xshape, dtype)
    idx = rng.integers(-size, size, size=ishape)
    ref = np.take_along_axis(x[fit_slicer(ishape, dim)], np.where(idx < 0, idx + size, idx), axis=dim)
    out_base, out_view = layout(np.zeros(ishape, dtype), kind)
    K.gather(kv(x, kind), dim, index_arg(idx, kind), kview(out_base, out_view))
    np.testing.assert_array_equal(out_view, ref)


def test_gather_large_parallel(threads):
    x = rand((500, 300), np.float32)
    idx = rng.integers(-300, 300, size=(500, 200))
    out = kempty((500, 200), np.float32)
    K.gather(kv(x, "transposed"), -1, index_arg(idx), out)
    np.testing.assert_array_equal(out.numpy(), np.take_along_axis(x, idx % 300, axis=1))


def scatter_add_ref(target, dim, idx, src):
    ref = target.copy()
    coords = list(np.indices(idx.shape))
    coords[dim] = np.where(idx < 0, idx + target.shape[dim], idx)
    np.add.at(ref, tuple(coords), src[tuple(slice(0, s) for s in idx.shape)])
    return ref


SCATTER_CASES = [  # (target shape, dim, index shape, src shape)
    ((5,), 0, (12,), (12,)),
    ((4, 6), 0, (9, 6), (9, 6)),
    ((4, 6), 1, (4, 10), (5, 11)),  # src larger than index
    ((4, 6), 1, (2, 3), (4, 3)),
    ((3, 4, 5), 1, (3, 7, 5), (3, 7, 5)),
    ((3, 4, 5), 2, (2, 3, 9), (3, 3, 9)),
    ((3, 4, 5), 0, (3, 0, 5), (3, 1, 5)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("tshape,dim,ishape,sshape", SCATTER_CASES)
@pytest.mark.parametrize("kind", ["contig", "transposed", "strided"])
def test_scatter_add(dtype, tshape, dim, ishape, sshape, kind):
    target = rand(tshape, dtype)
    size = tshape[dim]
    idx = rng.integers(-size, size, size=ishape)  # longer than size: duplicates
    src = rand(sshape, dtype)
    ref = scatter_add_ref(target, dim, idx, src)
    t = kview(target.copy())
    K.scatter_add(t, dim, index_arg(idx, kind), kv(src, kind))
    tol = 1e-5 if dtype == np.float32 else 0
    np.testing.assert_allclose(t.numpy(), ref, rtol=tol, atol=tol)


def test_scatter_add_large_parallel(threads):
    target = np.zeros((400, 50))
    idx = rng.integers(-50, 50, size=(400, 300))
    src = rand((400, 300), np.float64)
    t = kview(target.copy())
    K.scatter_add(t, 1, index_arg(idx, "transposed"), kv(src, "transposed"))
    np.testing.assert_allclose(t.numpy(), scatter_add_ref(target, 1, idx, src), rtol=1e-12, atol=1e-12)


def test_scatter_add_is_backward_of_gather():
    x = rand((4, 5), np.float64)
    idx = rng.integers(0, 5, size=(4, 7))
    g_out = kempty((4, 7), np.float64)
    K.gather(kv(x), 1, index_arg(idx), g_out)
    g = rand((4, 7), np.float64)
    back = kempty((4, 5), np.float64)
    K.scatter_add(back, 1, index_arg(idx), kv(g))
    assert np.isclose((g_out.numpy() * g).sum(), (x * back.numpy()).sum())


def test_gather_scatter_errors():
    x = kv(rand((4, 5), np.float32))
    with pytest.raises(IndexError, match=oob("gather", 5, 1, 5)):
        K.gather(x, 1, index_arg([[0, 5]]), kempty((1, 2)))
    with pytest.raises(IndexError, match=oob("gather", -5, 0, 4)):
        K.gather(x, 0, index_arg([[-5]]), kempty((1, 1)))
    with pytest.raises(ValueError, match="gather: index int64\\[5, 2\\]"):
        K.gather(x, 1, index_arg(np.zeros((5, 2))), kempty((5, 2)))
    with pytest.raises(ValueError, match="gather: index int64\\[2\\]"):
        K.gather(x, 1, index_arg([0, 1]), kempty((2,)))
    with pytest.raises(ValueError, match="gather: shape mismatch"):
        K.gather(x, 1, index_arg([[0, 1]]), kempty((2, 1)))
    with pytest.raises(IndexError, match="gather: dim -3 is out of range"):
        K.gather(x, -3, index_arg([[0]]), kempty((1, 1)))
    t = kempty((4, 5))
    with pytest.raises(IndexError, match=oob("scatter_add", 4, 0, 4)):
        K.scatter_add(t, 0, index_arg([[4]]), kempty((1, 1)))
    with pytest.raises(ValueError, match="scatter_add: index int64\\[2, 3\\]"):
        K.scatter_add(t, 1, index_arg(np.zeros((2, 3))), kempty((2, 2)))
    with pytest.raises(ValueError, match="scatter_add: target must be contiguous"):
        K.scatter_add(kv(np.zeros((5, 4), np.float32), "transposed"), 1, index_arg([[0]]), kempty((1, 1)))
    assert not t.numpy().any()


# ------------------------------------------------------------------- nonzero

def sparse(shape, dtype):
    x = rand(shape, dtype)
    mask = rng.random(shape) < 0.3
    return np.where(mask, x, np.zeros((), dtype)).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (7,), (4, 6), (3, 1, 5), (0, 3), (2, 3, 4, 5)])
@pytest.mark.parametrize("kind", ["contig", "transposed", "strided"])
def test_nonzero(dtype, shape, kind):
    x = sparse(shape, dtype)
    ref = np.argwhere(x)
    xv = kv(x, kind)
    count = K.count_nonzero(xv)
    assert count == len(ref)
    out = kempty((count, len(shape)), np.int64)
    K.nonzero(xv, out)
    np.testing.assert_array_equal(out.numpy(), ref.reshape(count, len(shape)))


@pytest.mark.parametrize("kind", ["contig", "transposed", "strided"])
def test_nonzero_large_parallel(kind, threads):
    x = sparse((50, 40, 30), np.float32)  # enough elements for several chunks
    ref = np.argwhere(x)
    xv = kv(x, kind)
    assert K.count_nonzero(xv) == len(ref)
    out = kempty(ref.shape, np.int64)
    K.nonzero(xv, out)
    np.testing.assert_array_equal(out.numpy(), ref)


def test_nonzero_scalar_and_special_floats():
    x = np.array([0.0, -0.0, np.nan, np.inf, 1e-300, 0.0])
    assert K.count_nonzero(kv(x)) == 3
    out = kempty((3, 1), np.int64)
    K.nonzero(kv(x), out)
    np.testing.assert_array_equal(out.numpy()[:, 0], [2, 3, 4])
    one = kview(np.array(5.0))
    assert K.count_nonzero(one) == 1
    K.nonzero(one, kempty((1, 0), np.int64))
    stride0 = np.broadcast_to(np.array([0.0, 2.0]), (3, 2))
    base = np.array([0.0, 2.0])
    assert K.count_nonzero(kview(base, np.broadcast_to(base, (3, 2)))) == 3
    out = kempty((3, 2), np.int64)
    K.nonzero(kview(base, np.broadcast_to(base, (3, 2))), out)
    np.testing.assert_array_equal(out.numpy(), np.argwhere(stride0))


def test_nonzero_errors():
    x = kv(np.array([1.0, 0.0, 2.0]))
    with pytest.raises(ValueError, match="nonzero: out must be contiguous int64\\[2, 1\\]"):
        K.nonzero(x, kempty((3, 1), np.int64))
    with pytest.raises(TypeError, match="nonzero: expected dtype int64"):
        K.nonzero(x, kempty((2, 1), np.float32))
