"""shape_more / scatter_more beyond the op table (tests/op_table.py rows "shape_more"):
tuple-returning ops, int / bool dtypes, in-place methods, views sharing memory, gradient
rules at ties and zeros, and parity with torch where it is installed."""
import numpy as np
import pytest

import fastdl
from fastdl.testing import gradcheck

f64 = fastdl.float64


def _np(t):
    return t.detach().numpy()


def _t64(a, grad=False):
    return fastdl.tensor(np.asarray(a, dtype=np.float64), dtype=f64, requires_grad=grad)


# ---- tuple-returning shape ops ----------------------------------------------------------

def test_meshgrid_ij_xy_and_list_form():
    a, b, c = fastdl.arange(2), fastdl.arange(3), fastdl.arange(4)
    for ix in ("ij", "xy"):
        got = fastdl.meshgrid(a, b, c, indexing=ix)
        want = np.meshgrid(np.arange(2), np.arange(3), np.arange(4), indexing=ix)
        assert len(got) == 3
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g.numpy(), w)
    got = fastdl.meshgrid([a, b])  # list form, 'ij' default
    np.testing.assert_array_equal(got[1].numpy(), np.meshgrid(np.arange(2), np.arange(3), indexing="ij")[1])


def test_meshgrid_gradient():
    x, y = _t64([1.0, 2.0], True), _t64([3.0, 4.0, 5.0], True)
    gx, gy = fastdl.meshgrid(x, y, indexing="xy")
    (gx * 2 + gy * 3).sum().backward()
    np.testing.assert_allclose(_np(x.grad), [6.0, 6.0])
    np.testing.assert_allclose(_np(y.grad), [6.0, 6.0, 6.0])


def test_broadcast_tensors_and_shapes():
    a, b = fastdl.ones(3, 1), fastdl.zeros(4)
    ra, rb = fastdl.broadcast_tensors(a, b)
    assert tuple(ra.shape) == tuple(rb.shape) == (3, 4)
    assert ra.stride() == (1, 0)  # an expanded view, as torch's
    s = fastdl.broadcast_shapes((2, 1), (3,), ())
    assert isinstance(s, fastdl.Size) and tuple(s) == (2, 3)
    with pytest.raises(RuntimeError, match="broadcast_shapes"):
        fastdl.broadcast_shapes((2,), (3,))


@pytest.mark.parametrize("ios", [3, 4, [1, 4], [2, -1, 9], [3, 1]])
def test_tensor_split_matches_numpy_array_split(ios):
    x = np.arange(14.).reshape(7, 2)
    got = fastdl.tensor_split(_t64(x), ios)
    want = np.array_split(x, ios)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(_np(g), w)


def test_tensor_split_tensor_indices_and_views():
    x = fastdl.arange(10)
    parts = fastdl.tensor_split(x, fastdl.tensor([2, 5]))
    assert [p.tolist() for p in parts] == [[0, 1], [2, 3, 4], [5, 6, 7, 8, 9]]
    assert [p.numel() for p in x.tensor_split(fastdl.tensor(3))] == [4, 3, 3]
    parts[1][0] = 100  # views share memory
    assert x[2].item() == 100


def test_hsplit_vsplit_dsplit_split_with_sizes():
    x = np.arange(24).reshape(2, 4, 3)
    t = fastdl.tensor(x)
    for fn, npfn, arg in ((fastdl.hsplit, np.hsplit, 2), (fastdl.vsplit, np.vsplit, [1]),
                          (fastdl.dsplit, np.dsplit, 3)):
        for g, w in zip(fn(t, arg), npfn(x, arg)):
            np.testing.assert_array_equal(g.numpy(), w)
    assert [p.shape[0] for p in fastdl.hsplit(fastdl.arange(6), 3)] == [2, 2, 2]  # 1-D: along dim 0
    sizes = [p.shape[1] for p in t.split_with_sizes([1, 3], 1)]
    assert sizes == [1, 3]
    with pytest.raises(RuntimeError, match="not divisible"):
        fastdl.hsplit(t, 3)
    with pytest.raises(RuntimeError, match="dsplit requires a tensor with at least 3"):
        fastdl.dsplit(fastdl.ones(2, 2), 2)


def test_atleast_nd():
    s, v, m = fastdl.tensor(1.0), fastdl.arange(3), fastdl.ones(2, 3)
    assert [tuple(fastdl.atleast_1d(t).shape) for t in (s, v, m)] == [(1,), (3,), (2, 3)]
    assert [tuple(fastdl.atleast_2d(t).shape) for t in (s, v, m)] == [(1, 1), (1, 3), (2, 3)]
    assert [tuple(fastdl.atleast_3d(t).shape) for t in (s, v, m)] == [(1, 1, 1), (1, 3, 1), (2, 3, 1)]
    out = fastdl.atleast_2d(s, v)
    assert isinstance(out, tuple) and [tuple(o.shape) for o in out] == [(1, 1), (1, 3)]
    assert isinstance(fastdl.atleast_1d([s, v]), tuple)
    assert fastdl.atleast_1d(v) is v


def test_stacks_int_dtype_and_row_stack():
    a, b = fastdl.tensor([1, 2]), fastdl.tensor([3, 4])
    assert fastdl.hstack([a, b]).tolist() == [1, 2, 3, 4]
    assert fastdl.row_stack([a, b]).tolist() == [[1, 2], [3, 4]]
    assert fastdl.column_stack([a, b]).tolist() == [[1, 3], [2, 4]]
    assert fastdl.dstack([a, b]).dtype is fastdl.int64


def test_unravel_index_and_argwhere():
    rows, cols = fastdl.unravel_index(fastdl.tensor([0, 5, 7, -1]), (3, 4))
    assert rows.tolist() == [0, 1, 1, 2] and cols.tolist() == [0, 1, 3, 3]
    r, = fastdl.unravel_index(fastdl.tensor(4), (6,))
    assert r.ndim == 0 and r.item() == 4
    with pytest.raises(TypeError, match="unravel_index: expected 'indices' to be an integer tensor"):
        fastdl.unravel_index(fastdl.tensor([1.0]), (2,))
    x = fastdl.tensor([[0, 3], [4, 0]])
    assert fastdl.argwhere(x).tolist() == [[0, 1], [1, 0]] and x.argwhere().dtype is fastdl.int64


def test_repeat_interleave_int_and_output_size():
    x = fastdl.tensor([[1, 2], [3, 4]])
    assert x.repeat_interleave(fastdl.tensor([1, 2]), dim=0, output_size=3).tolist() == [[1, 2], [3, 4], [3, 4]]
    assert fastdl.repeat_interleave(fastdl.tensor([2, 0, 1])).tolist() == [0, 0, 2]
    assert fastdl.repeat_interleave(fastdl.tensor(5), 3).tolist() == [5, 5, 5]
    with pytest.raises(RuntimeError, match="output_size 4 does not match"):
        x.repeat_interleave(fastdl.tensor([1, 2]), dim=0, output_size=4)
    with pytest.raises(RuntimeError, match="repeats can not be negative"):
        x.repeat_interleave(fastdl.tensor([1, -1]), dim=0)


def test_roll_bool_and_tile_int():
    assert fastdl.roll(fastdl.tensor([True, False, False]), 1).tolist() == [False, True, False]
    assert fastdl.tile(fastdl.tensor([1, 2]), (2, 2)).tolist() == [[1, 2, 1, 2], [1, 2, 1, 2]]


# ---- views and metadata ---------------------------------------------------------------

def test_unfold_is_a_view_with_torch_strides():
    x = fastdl.arange(12.).reshape(3, 4)
    u = x.unfold(1, 2, 1)
    assert tuple(u.shape) == (3, 3, 2) and u.stride() == (4, 1, 1)
    x[0, 1] = 50.0
    assert u[0, 0, 1].item() == 50.0 and u[0, 1, 0].item() == 50.0
    assert tuple(fastdl.tensor(3.0).unfold(0, 1, 1).shape) == (1,)


def test_as_strided_view_and_gradient():
    x = _t64(np.arange(6.0), True)
    y = x.as_strided((2, 3), (1, 2), 0)  # overlapping windows of the storage
    np.testing.assert_array_equal(_np(y), [[0, 2, 4], [1, 3, 5]])
    z = x.as_strided((3, 2), (1, 1), 1)
    np.testing.assert_array_equal(_np(z), [[1, 2], [2, 3], [3, 4]])
    z.sum().backward()
    np.testing.assert_array_equal(_np(x.grad), [0, 1, 2, 2, 1, 0])  # each position counted per use
    assert gradcheck(lambda a: a.as_strided((2, 2), (2, 1), 1), [_t64(np.random.rand(6), True)])
    with pytest.raises(RuntimeError, match="as_strided"):
        x.as_strided((3, 3), (3, 1))


def test_as_strided_of_an_expanded_input_splits_the_gradient():
    # input's elements alias storage (stride 0): each storage element's gradient is shared
    # evenly among the input elements reading it, as torch (not counted once per alias)
    def run(lib, shape, stride, offset):
        b = lib.tensor(np.arange(4.0) + 1, requires_grad=True)
        y = b.expand(3, 4).as_strided(shape, stride, offset)
        (y * lib.tensor(np.arange(float(np.prod(shape))).reshape(shape))).sum().backward()
        return b.grad.numpy()
    cases = [((2, 2), (1, 1), 1), ((3, 2), (0, 1), 0), ((4,), (1,), 0)]
    expected = [[0, 0, 3, 3], [6, 9, 0, 0], [0, 1, 2, 3]]
    for args, ref in zip(cases, expected):
        np.testing.assert_array_equal(run(fastdl, *args), ref)
    torch = pytest.importorskip("torch")
    for args in cases:
        np.testing.assert_array_equal(run(fastdl, *args), run(torch, *args))
    from fastdl.ops.shape_more import _may_overlap
    assert not _may_overlap((3, 4), (4, 1)) and not _may_overlap((2, 3), (1, 2)) and not _may_overlap((5, 1), (1, 0))
    assert _may_overlap((3, 4), (0, 1)) and _may_overlap((3, 3), (1, 1))


def test_select_and_swap_are_views():
    x = fastdl.zeros(3, 4)
    s = x.select(1, -1)
    s.fill_(7.0)
    assert x[:, 3].tolist() == [7.0, 7.0, 7.0]
    assert fastdl.swapaxes(x, 0, 1)._buf is x._buf and x.swapdims(0, 1)._buf is x._buf
    assert fastdl.ravel(x)._buf is x._buf
    n = fastdl.narrow_copy(x, 0, 0, 1)
    n.fill_(1.0)
    assert x[0, 0].item() == 0.0  # a copy


def test_metadata_methods():
    x = fastdl.ones(2, 3, dtype=fastdl.float64)
    assert x.ndimension() == 2 and x.nbytes == 48 and x.itemsize == 8
    assert x.get_device() == -1 and x.is_cpu
    assert x.is_same_size(fastdl.zeros(2, 3)) and not x.is_same_size(fastdl.zeros(3, 2))
    assert tuple(x.sum_to_size(1, 3).shape) == (1, 3) and x.sum_to_size(1, 3).tolist() == [[2.0, 2.0, 2.0]]
    with pytest.raises(RuntimeError, match="is not expandable"):
        x.sum_to_size(4)


def test_movedim_sequences_and_methods():
    x = fastdl.zeros(2, 3, 4, 5)
    assert tuple(x.movedim((0, 1), (3, 2)).shape) == (4, 5, 3, 2)
    assert tuple(x.moveaxis(-1, 0).shape) == (5, 2, 3, 4)
    assert tuple(fastdl.movedim(x, 1, 0).shape) == (3, 2, 4, 5)


# ---- in-place methods ------------------------------------------------------------------

def test_inplace_view_methods_change_shape_and_keep_grad():
    a = _t64(np.arange(6.0).reshape(2, 3), True)
    b = a * 1
    assert b.t_() is b and tuple(b.shape) == (3, 2)
    b.unsqueeze_(0)
    assert tuple(b.shape) == (1, 3, 2)
    b.squeeze_()
    b.transpose_(0, 1)
    b.swapaxes_(0, 1)
    b.swapdims_(1, 0)
    assert tuple(b.shape) == (2, 3)
    (b * fastdl.tensor([[1.0, 2, 3], [4, 5, 6]], dtype=f64)).sum().backward()
    np.testing.assert_array_equal(_np(a.grad), [[1, 2, 3], [4, 5, 6]])
    leaf = fastdl.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        leaf.t_()


def test_tril_triu_inplace_share_memory():
    x = fastdl.ones(3, 3)
    v = x.view(9)
    x.tril_(-1)
    assert v.tolist() == [0, 0, 0, 1, 0, 0, 1, 1, 0]
    y = fastdl.ones(2, 3, dtype=fastdl.int64)
    assert y.triu_(1).tolist() == [[0, 1, 1], [0, 0, 1]]


def test_fill_diagonal_wrap_and_nd():
    for shape, wrap in (((7, 3), True), ((7, 3), False), ((3, 5), True), ((4, 4), False)):
        a = np.zeros(shape)
        np.fill_diagonal(a, 2.5, wrap=wrap)
        t = fastdl.zeros(*shape, dtype=f64)
        assert t.fill_diagonal_(2.5, wrap=wrap) is t
        np.testing.assert_array_equal(t.numpy(), a)
    t = fastdl.zeros(3, 3, 3, dtype=fastdl.int64).fill_diagonal_(4)
    assert t.sum().item() == 12 and t[1, 1, 1].item() == 4
    with pytest.raises(RuntimeError, match="fill_diagonal_: all dimensions of input must be of equal length"):
        fastdl.zeros(2, 3, 3).fill_diagonal_(1)


def test_inplace_scatter_family():
    x = fastdl.zeros(3, 2)
    buf = x._buf
    x.index_copy_(0, fastdl.tensor([2, 0]), fastdl.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert x.tolist() == [[3, 4], [0, 0], [1, 2]] and x._buf is buf
    x.index_put_((fastdl.tensor([1]), fastdl.tensor([1])), fastdl.tensor(9.0))
    assert x[1, 1].item() == 9.0
    x.put_(fastdl.tensor([0, 0]), fastdl.tensor([1.0, 1.0]), accumulate=True)
    assert x[0, 0].item() == 5.0
    x.masked_scatter_(x == 0, fastdl.tensor([-1.0, -2.0]))
    assert x[1].tolist() == [-1.0, 9.0]
    y = fastdl.tensor([1, 2, 3])
    y.scatter_reduce_(0, fastdl.tensor([0, 0]), fastdl.tensor([5, 7]), "amax")
    assert y.tolist() == [7, 2, 3]
    y.index_reduce_(0, fastdl.tensor([1, 1]), fastdl.tensor([3, 4]), "prod", include_self=False)
    assert y.tolist() == [7, 12, 3]


# ---- scatter / index family: dtypes and gradient rules ----------------------------------------

def test_scatter_reduce_int_mean_floors_like_torch():
    x = fastdl.tensor([-5, 7, 9])
    out = fastdl.scatter_reduce(x, 0, fastdl.tensor([0, 0, 1]), fastdl.tensor([-2, 0, 4]), "mean")
    assert out.tolist() == [-3, 5, 9] and out.dtype is fastdl.int64  # floor(-7 / 3), (7 + 4) // 2


def test_scatter_reduce_amax_ties_share_the_gradient():
    x = _t64([1.0, 5.0], True)
    src = _t64([5.0, 5.0, 2.0], True)
    out = fastdl.scatter_reduce(x, 0, fastdl.tensor([1, 1, 0]), src, "amax")
    assert out.tolist() == [2.0, 5.0]
    out.backward(_t64([1.0, 3.0]))
    np.testing.assert_allclose(_np(x.grad), [0.0, 1.0])  # three-way tie at position 1: 3 / 3 each
    np.testing.assert_allclose(_np(src.grad), [1.0, 1.0, 1.0])


def test_scatter_reduce_prod_gradient_with_zeros():
    # position 0: one zero (its gradient is the product of the others); position 1: two zeros (all 0)
    x = _t64([2.0, 0.0], True)
    src = _t64([0.0, 3.0, 0.0, 4.0], True)
    out = fastdl.scatter_reduce(x, 0, fastdl.tensor([0, 0, 1, 1]), src, "prod")
    out.sum().backward()
    np.testing.assert_allclose(_np(x.grad), [0.0, 0.0])
    np.testing.assert_allclose(_np(src.grad), [6.0, 0.0, 0.0, 0.0])
    assert gradcheck(lambda a, b: fastdl.scatter_reduce(a, 0, fastdl.tensor([0, 0, 1, 1]), b, "prod"),
                     [_t64([2.0, 0.0], True), _t64([0.0, 3.0, 1.5, 4.0], True)])


def test_scatter_reduce_errors():
    x = fastdl.zeros(3)
    with pytest.raises(RuntimeError, match="reduce argument must be one of"):
        fastdl.scatter_reduce(x, 0, fastdl.tensor([0]), fastdl.ones(1), "max")
    with pytest.raises(IndexError, match="scatter_reduce: index 3 is out of bounds"):
        fastdl.scatter_reduce(x, 0, fastdl.tensor([3]), fastdl.ones(1), "sum")
    with pytest.raises(RuntimeError, match="same dtype"):
        fastdl.scatter_add(x, 0, fastdl.tensor([0]), fastdl.ones(1, dtype=f64))


def test_index_ops_int_and_errors():
    x = fastdl.tensor([[1, 2], [3, 4]])
    assert fastdl.index_add(x, 0, fastdl.tensor([1, 1]), fastdl.tensor([[1, 1], [2, 2]]), alpha=2).tolist() == \
        [[1, 2], [9, 10]]
    assert x.index_reduce(1, fastdl.tensor([0]), fastdl.tensor([[5], [1]]), "amin").tolist() == [[1, 2], [1, 4]]
    with pytest.raises(RuntimeError, match="index_copy: source"):
        x.index_copy(0, fastdl.tensor([0]), fastdl.tensor([[1, 2, 3]]))
    with pytest.raises(IndexError, match="index_add: index 2 is out of bounds for dimension 0 with size 2"):
        x.index_add(0, fastdl.tensor([2]), fastdl.tensor([[1, 1]]))
    with pytest.raises(RuntimeError, match="index_reduce: reduce argument must be one of prod, mean, amax, amin"):
        x.index_reduce(0, fastdl.tensor([0]), fastdl.tensor([[1, 1]]), "sum")


def test_take_put_bool_and_bounds():
    x = fastdl.tensor([[True, False], [False, True]])
    assert fastdl.take(x, fastdl.tensor([0, -1, 1])).tolist() == [True, True, False]
    with pytest.raises(IndexError, match="take: index 4 is out of bounds"):
        fastdl.take(x, fastdl.tensor([4]))
    with pytest.raises(RuntimeError, match="put: expected source .* same number of elements"):
        fastdl.put(fastdl.zeros(3), fastdl.tensor([0, 1]), fastdl.ones(3))


def test_index_put_bool_mask_and_broadcast_values():
    x = fastdl.zeros(2, 3)
    out = fastdl.index_put(x, (fastdl.tensor([True, False]),), fastdl.tensor([1.0, 2.0, 3.0]))
    assert out.tolist() == [[1, 2, 3], [0, 0, 0]] and x.sum().item() == 0.0
    with pytest.raises(RuntimeError, match="index_put: shape mismatch"):
        fastdl.index_put(x, (fastdl.tensor([0]),), fastdl.ones(2))


def test_masked_ops():
    x = fastdl.tensor([[1, 2, 3], [4, 5, 6]])
    m = fastdl.tensor([True, False, True])
    assert fastdl.masked_select(x, m).tolist() == [1, 3, 4, 6]
    assert x.masked_scatter(m, fastdl.tensor([9, 8, 7, 6, 5])).tolist() == [[9, 2, 8], [7, 5, 6]]
    with pytest.raises(RuntimeError, match="masked_scatter: the mask selects 4 elements but source"):
        x.masked_scatter(m, fastdl.tensor([1, 2]))
    with pytest.raises(TypeError, match="masked_select: mask must be a bool tensor"):
        fastdl.masked_select(x, fastdl.tensor([1, 0, 1]))


def test_view_scatters_errors_and_int():
    x = fastdl.zeros(3, 3, dtype=fastdl.int64)
    assert fastdl.diagonal_scatter(x, fastdl.tensor([1, 2, 3])).trace().item() == 6
    assert fastdl.slice_scatter(x, fastdl.ones(1, 3, dtype=fastdl.int64), start=2).sum().item() == 3
    with pytest.raises(RuntimeError, match="select_scatter: expected src to have a size equal to the slice"):
        fastdl.select_scatter(x, fastdl.ones(2, dtype=fastdl.int64), 0, 0)


def test_isin_cases():
    e = fastdl.tensor([1, 2, 3, 4])
    assert fastdl.isin(e, fastdl.tensor([[4, 2]])).tolist() == [False, True, False, True]
    assert fastdl.isin(e, 3, invert=True).tolist() == [True, True, False, True]
    assert fastdl.isin(2, e).item() is True
    assert fastdl.isin(fastdl.tensor([1.5, float("nan")]), fastdl.tensor([1.5, float("nan")])).tolist() == [True, False]
    assert fastdl.isin(e, fastdl.tensor([], dtype=fastdl.int64)).tolist() == [False] * 4
    assert fastdl.isin(fastdl.tensor([1.0, 2.0]), fastdl.tensor([2])).tolist() == [False, True]


def test_block_diag_cartesian_combinations_edges():
    assert tuple(fastdl.block_diag().shape) == (1, 0)
    assert fastdl.block_diag(fastdl.tensor([[1, 2]]), fastdl.tensor(3)).tolist() == [[1, 2, 0], [0, 0, 3]]
    assert fastdl.cartesian_prod(fastdl.tensor([1, 2])).tolist() == [1, 2]
    assert tuple(fastdl.combinations(fastdl.arange(2), 3).shape) == (0, 3)
    assert fastdl.combinations(fastdl.arange(3), 2).tolist() == [[0, 1], [0, 2], [1, 2]]


# ---- torch parity (skipped without torch) -----------------------------------------------------

def test_torch_parity_tuple_ops_and_inplace():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((4, 6))
    for a, b in zip(fastdl.tensor_split(_t64(x), [1, -2], dim=1), torch.tensor_split(torch.tensor(x), [1, -2], dim=1)):
        np.testing.assert_array_equal(_np(a), b.numpy())
    for a, b in zip(fastdl.meshgrid(_t64([1, 2]), _t64([3, 4, 5]), indexing="xy"),
                    torch.meshgrid(torch.tensor([1.0, 2]), torch.tensor([3.0, 4, 5]), indexing="xy")):
        np.testing.assert_array_equal(_np(a), b.numpy())
    for a, b in zip(fastdl.unravel_index(fastdl.tensor([-7, 3, 30]), (4, 6)),
                    torch.unravel_index(torch.tensor([-7, 3, 30]), (4, 6))):
        assert a.tolist() == b.tolist()
    t, f = torch.zeros(5, 2), fastdl.zeros(5, 2)
    t.fill_diagonal_(3.0, wrap=True)
    f.fill_diagonal_(3.0, wrap=True)
    np.testing.assert_array_equal(f.numpy(), t.numpy())
    e, te = fastdl.tensor([3, 1, 4, 1, 5]), torch.tensor([3, 1, 4, 1, 5])
    assert (fastdl.isin(e, fastdl.tensor([1, 5]), invert=True).tolist()
            == torch.isin(te, torch.tensor([1, 5]), invert=True).tolist())
    assert (fastdl.scatter_reduce(e, 0, fastdl.tensor([0, 0, 2]), fastdl.tensor([-4, 2, 9]), "mean", include_self=False)
            .tolist() == torch.scatter_reduce(te, 0, torch.tensor([0, 0, 2]), torch.tensor([-4, 2, 9]), "mean",
                                              include_self=False).tolist())


def test_torch_parity_amin_ties_gradient():
    torch = pytest.importorskip("torch")
    x = np.array([1.0, 2.0, 0.5])
    src = np.array([1.0, 1.0, 0.5, 3.0])
    idx = [0, 0, 2, 1]
    ours_x, ours_s = _t64(x, True), _t64(src, True)
    tx = torch.tensor(x, requires_grad=True)
    ts = torch.tensor(src, requires_grad=True)
    for inc in (True, False):
        ours_x.grad = ours_s.grad = tx.grad = ts.grad = None
        o = fastdl.scatter_reduce(ours_x, 0, fastdl.tensor(idx), ours_s, "amin", include_self=inc)
        r = torch.scatter_reduce(tx, 0, torch.tensor(idx), ts, "amin", include_self=inc)
        np.testing.assert_array_equal(_np(o), r.detach().numpy())
        w = np.array([1.0, 2.0, 3.0])
        o.backward(_t64(w))
        r.backward(torch.tensor(w))
        np.testing.assert_allclose(_np(ours_x.grad), tx.grad.numpy())
        np.testing.assert_allclose(_np(ours_s.grad), ts.grad.numpy())


def test_index_add_scatter_add_index_put_inplace_keep_the_graph():
    a = _t64([[1.0, 2.0], [3.0, 4.0]], True)
    src = _t64([[10.0, 20.0]], True)
    y = a * 1
    y.index_add_(0, fastdl.tensor([1]), src, alpha=3)
    y.scatter_add_(1, fastdl.tensor([[0], [0]]), src.reshape(2, 1) * 1)
    z = y * 1
    fastdl.index_put_(z, (fastdl.tensor([0]), fastdl.tensor([1])), fastdl.tensor(0.0, dtype=f64))
    np.testing.assert_array_equal(_np(z), [[11.0, 0.0], [53.0, 64.0]])
    (z * _t64([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    np.testing.assert_array_equal(_np(a.grad), [[1.0, 0.0], [3.0, 4.0]])
    np.testing.assert_array_equal(_np(src.grad), [[9.0 + 1.0, 12.0 + 3.0]])


def test_movedim_errors():
    with pytest.raises(RuntimeError, match="movedim: Invalid source or destination dims"):
        fastdl.zeros(2, 3).movedim((0, 1), 0)
    with pytest.raises(RuntimeError, match="movedim: repeated dim"):
        fastdl.zeros(2, 3).movedim((0, 0), (0, 1))
