"""scatter / scatter_ on the CPU kernels (csrc/cpu/index.cpp scatter_columns: scatter
writes, scatter_add adds, one column of the index per task, its dim walked in order), and
Tensor.scatter_'s in-place path without a graph. Against a NumPy loop over every index
element for each dim, views of index and src, a number as src, repeated indices (the last
one wins), 1 and 2 threads; the fallbacks (a graph, aliasing src, narrow dtypes) give the
same values."""
import numpy as np
import pytest

import fastdl
from fastdl.testing import gradcheck



def reference(x, dim, index, src, add):
    out = x.copy()
    for pos in np.ndindex(index.shape):
        tgt = list(pos)
        tgt[dim] = index[pos]
        v = src[pos] if isinstance(src, np.ndarray) else src
        out[tuple(tgt)] = out[tuple(tgt)] + v if add else v
    return out


@pytest.mark.parametrize("dtype,add", [(dt, False) for dt in (np.float32, np.float64, np.int64, np.bool_)]
                         + [(dt, True) for dt in (np.float32, np.float64, np.int64)])  # (bool add: an or)
@pytest.mark.parametrize("dim", [0, 1, 2])
def test_scatter_matches_reference(dtype, dim, add, threads):
    rng = np.random.default_rng(dim)
    x = (rng.standard_normal((4, 6, 5)) * 10).astype(dtype)
    ishape = [3, 4, 4]
    ishape[dim] = 7  # more index positions than the dim's size: repeated indices
    index = rng.integers(0, x.shape[dim], ishape)
    src = (rng.standard_normal((8, 8, 8)) * 10).astype(dtype)
    got = fastdl.tensor(x).scatter(dim, fastdl.tensor(index), fastdl.tensor(src), reduce="add" if add else None)
    np.testing.assert_array_equal(got.numpy(), reference(x, dim, index, src, add))
    got = fastdl.tensor(x).scatter(dim, fastdl.tensor(index), 3, reduce="add" if add else None)
    np.testing.assert_array_equal(got.numpy(), reference(x, dim, index, dtype(3), add))


def test_views_and_in_place_path(threads):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((300, 40)).astype(np.float32)
    index = rng.integers(0, 40, (30, 300)).T  # a transposed (non-contiguous) index
    src = rng.standard_normal((40, 600)).astype(np.float32)[:, ::2].T  # a strided src
    want = reference(x, 1, index, src, False)
    t = fastdl.tensor(x)
    version = t._buf.version
    out = t.scatter_(1, fastdl.tensor(index.T.copy()).t(), fastdl.tensor(src))
    assert out is t and t._buf.version == version + 1
    np.testing.assert_array_equal(t.numpy(), want)
    t = fastdl.zeros(300, 10)
    t.scatter_(1, fastdl.tensor(rng.integers(0, 10, (300, 1))), 1.0)
    np.testing.assert_array_equal(t.numpy().sum(1), np.ones(300))  # one-hot rows


def test_repeated_indices_keep_the_last():
    t = fastdl.zeros(1, 3).scatter(1, fastdl.tensor([[2, 0, 2, 2]]), fastdl.tensor([[1.0, 2.0, 3.0, 4.0]]))
    np.testing.assert_array_equal(t.numpy(), [[2.0, 0.0, 4.0]])


def test_fallbacks_give_the_same_values():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((5, 6))
    index = rng.integers(0, 6, (5, 3))
    src = rng.standard_normal((5, 3))
    want = reference(x, 1, index, src, False)
    a = fastdl.tensor(x, requires_grad=True)
    out = a * 1.0
    out.scatter_(1, fastdl.tensor(index), fastdl.tensor(src))  # records: assigned back
    np.testing.assert_array_equal(out.detach().numpy(), want)
    out.sum().backward()
    mask = np.ones_like(x)
    np.put_along_axis(mask, index, 0.0, 1)
    np.testing.assert_array_equal(a.grad.numpy(), mask)
    b = fastdl.tensor(x)
    b.scatter_(1, fastdl.tensor(index), b[:, 3:6])  # src aliases the input: read before writing
    np.testing.assert_array_equal(b.numpy(), reference(x, 1, index, x[:, 3:6].copy(), False))
    c = fastdl.tensor(x.astype(np.int32) * 0 + 7)
    c.scatter_(1, fastdl.tensor(index), 1)
    np.testing.assert_array_equal(c.numpy(), reference(np.full((5, 6), 7, np.int32), 1, index, 1, False))
    y = fastdl.tensor(x, requires_grad=True)
    s = fastdl.tensor(src, requires_grad=True)
    unique = np.stack([rng.permutation(6)[:3] for _ in range(5)])  # (src's gradient is gather: as torch's,
    assert gradcheck(lambda u, v: u.scatter(1, fastdl.tensor(unique), v), (y, s))  # exact without repeats)


def test_errors():
    t = fastdl.zeros(2, 3)
    for bad in (3, -1):  # the kernel's check (torch's rule: no negative indices) and the composed path's
        with pytest.raises(IndexError, match=f"scatter: index {bad} is out of bounds for dim(ension)? 1 with size 3"):
            t.scatter_(1, fastdl.tensor([[bad]]), 1.0)
        with pytest.raises(IndexError, match=f"scatter: index {bad} is out of bounds for dim(ension)? 1 with size 3"):
            t.to(fastdl.int32).scatter_(1, fastdl.tensor([[bad]]), 1)
        with pytest.raises(IndexError, match=f"scatter: index {bad} is out of bounds"):
            t.scatter(1, fastdl.tensor([[bad]]), 1.0, reduce="add")
    assert t.abs().sum().item() == 0  # nothing written
    with pytest.raises(RuntimeError, match="scatter: expected src to have the dtype of input"):
        t.scatter_(1, fastdl.tensor([[0]]), fastdl.ones(1, 1, dtype=fastdl.float64))
    with pytest.raises(RuntimeError, match="unsupported operation: more than one element"):
        fastdl.zeros(3).expand(2, 3).scatter_(1, fastdl.tensor([[0]]), 1.0)
