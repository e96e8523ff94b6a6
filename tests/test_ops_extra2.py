"""elementwise_extra / indexing_extra beyond op_table's one-output rows: scatter and
index_fill variants, triu/tril_indices, nan_to_num defaults per dtype, special values,
dtype promotion, errors that name the op and shapes, and a device-parametrized check."""
import itertools

import numpy as np
import pytest

import fastdl

try:
    import torch
except ImportError:
    torch = None

f64 = fastdl.float64


def t64(a, grad=False):
    return fastdl.tensor(np.asarray(a, dtype=np.float64), dtype=f64, requires_grad=grad)


# ---- scatter ------------------------------------------------------------------------

def test_scatter_value_and_src_larger_than_index():
    x = np.zeros((3, 5))
    idx = np.array([[0, 1, 2, 0], [1, 2, 0, 1]])
    out = fastdl.scatter(t64(x), 1, fastdl.tensor(idx), value=2.5).numpy()
    ref = x.copy()
    np.put_along_axis(ref[:2], idx, 2.5, axis=1)
    np.testing.assert_array_equal(out, ref)
    src = np.arange(1.0, 19.0).reshape(3, 6)  # bigger than index: src[:2, :4] is used
    out = fastdl.scatter(t64(x), 1, fastdl.tensor(idx), t64(src)).numpy()
    ref = x.copy()
    np.put_along_axis(ref[:2], idx, src[:2, :4], axis=1)
    np.testing.assert_array_equal(out, ref)


def test_scatter_gradients_big_src():
    x, src = t64(np.ones((4, 3)), True), t64(np.arange(12.0).reshape(3, 4), True)
    idx = fastdl.tensor(np.array([[0, 3, 1], [2, 1, 0]]))
    out = fastdl.scatter(x, 0, idx, src)
    w = np.arange(12.0).reshape(4, 3) + 1
    (out * t64(w)).sum().backward()
    gx = w.copy()
    np.put_along_axis(gx, idx.numpy(), 0.0, axis=0)
    np.testing.assert_array_equal(x.grad.numpy(), gx)  # zero where overwritten
    gs = np.zeros((3, 4))
    gs[:2, :3] = np.take_along_axis(w, idx.numpy(), 0)  # gathered; zero for the unused part of src
    np.testing.assert_array_equal(src.grad.numpy(), gs)


def test_scatter_reduce_add_accumulates_duplicates():
    out = fastdl.scatter(fastdl.ones(4), 0, fastdl.tensor([0, 0, 3]), fastdl.tensor([1.0, 2.0, 3.0]), reduce="add")
    np.testing.assert_array_equal(out.numpy(), [4.0, 1.0, 1.0, 4.0])
    with pytest.raises(NotImplementedError, match="multiply"):
        fastdl.scatter(fastdl.ones(4), 0, fastdl.tensor([0]), value=2.0, reduce="multiply")


def test_scatter_inplace_and_int():
    y = fastdl.zeros(2, 3, dtype=fastdl.int64)
    r = y.scatter_(1, fastdl.tensor([[2], [0]]), 7)
    assert r is y and y.dtype is fastdl.int64
    np.testing.assert_array_equal(y.numpy(), [[0, 0, 7], [7, 0, 0]])


def test_scatter_errors():
    x = fastdl.zeros(3, 4)
    with pytest.raises(IndexError, match=r"scatter.*out of bounds.*\[3, 4\]"):
        fastdl.scatter(x, 0, fastdl.tensor([[3, 0]]), value=1.0)
    with pytest.raises(RuntimeError, match=r"scatter.*dtype.*float64\[1, 2\]"):
        fastdl.scatter(x, 0, fastdl.tensor([[0, 1]]), t64([[1.0, 2.0]]))
    with pytest.raises(TypeError, match="scatter: index must be an int64"):
        fastdl.scatter(x, 0, fastdl.tensor([[0.0, 1.0]]), value=1.0)
    with pytest.raises(RuntimeError, match=r"scatter.*same number of dimensions"):
        fastdl.scatter(x, 0, fastdl.tensor([0, 1]), value=1.0)


# ---- index_fill ---------------------------------------------------------------------

def test_index_fill_negative_index_and_tensor_value_grad():
    x = t64(np.arange(12.0).reshape(3, 4), True)
    v = t64(3.0, True)
    out = fastdl.index_fill(x, 1, fastdl.tensor([-1, 0]), v)
    ref = np.arange(12.0).reshape(3, 4)
    ref[:, [0, 3]] = 3.0
    np.testing.assert_array_equal(out.detach().numpy(), ref)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.tile([0.0, 1, 1, 0], (3, 1)))
    assert v.grad.item() == 6.0  # torch: the value gets the sum over the filled slots


def test_index_fill_inplace_int_and_errors():
    y = fastdl.zeros(3, 2, dtype=fastdl.int64)
    assert y.index_fill_(0, fastdl.tensor([1]), 5) is y
    np.testing.assert_array_equal(y.numpy(), [[0, 0], [5, 5], [0, 0]])
    with pytest.raises(IndexError, match=r"index_fill.*out of bounds.*int64\[3, 2\]"):
        fastdl.index_fill(y, 0, fastdl.tensor([3]), 1)


# ---- triu / tril indices ------------------------------------------------------------

@pytest.mark.parametrize("row,col,off", [(3, 3, 0), (3, 5, 1), (5, 3, -2), (4, 4, 9), (0, 3, 0), (4, 2, -9)])
def test_tri_indices(row, col, off):
    for fn, npfn in ((fastdl.triu_indices, np.triu_indices), (fastdl.tril_indices, np.tril_indices)):
        out = fn(row, col, off)
        assert out.dtype is fastdl.int64 and tuple(out.shape)[0] == 2
        np.testing.assert_array_equal(out.numpy(), np.stack(npfn(row, off, col)).reshape(2, -1))
        if torch is not None:
            tfn = getattr(torch, fn.__name__)
            np.testing.assert_array_equal(out.numpy(), tfn(row, col, off).numpy())


def test_tri_indices_every_small_geometry():
    """The run-per-row construction against NumPy's mask scan, exhaustively for small sizes."""
    for row, col, off in itertools.product(range(6), range(6), range(-7, 8)):
        for fn, npfn in ((fastdl.triu_indices, np.triu_indices), (fastdl.tril_indices, np.tril_indices)):
            np.testing.assert_array_equal(fn(row, col, off).numpy(), np.stack(npfn(row, off, col)).reshape(2, -1),
                                          err_msg=f"{fn.__name__}({row}, {col}, {off})")


# ---- nan_to_num / special values ----------------------------------------------------

@pytest.mark.parametrize("dtype,big", [("float32", np.finfo(np.float32).max), ("float64", np.finfo(np.float64).max),
                                       ("float16", 65504.0)])
def test_nan_to_num_defaults_per_dtype(dtype, big):
    x = fastdl.tensor(np.array([np.nan, np.inf, -np.inf, 1.5]), dtype=getattr(fastdl, dtype))
    out = fastdl.nan_to_num(x)
    assert out.dtype is x.dtype
    np.testing.assert_array_equal(out.float().numpy() if dtype == "float16" else out.numpy(),
                                  np.array([0.0, big, -big, 1.5], dtype=np.float64 if dtype == "float64" else np.float32))
    np.testing.assert_array_equal(fastdl.nan_to_num(x, nan=1.0, posinf=2.0, neginf=-3.0).float().numpy(),
                                  [1.0, 2.0, -3.0, 1.5])
    ints = fastdl.tensor([1, -2])
    assert fastdl.nan_to_num(ints).dtype is fastdl.int64


def test_nan_to_num_gradient_zero_at_nonfinite():
    x = t64([np.nan, 2.0, np.inf], True)
    fastdl.nan_to_num(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.0])


def test_special_values():
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(fastdl.asinh(t64([0.0, 1e200, -1e200, 1e-300])).numpy(),
                                   np.arcsinh([0.0, 1e200, -1e200, 1e-300]), rtol=1e-14)
        np.testing.assert_allclose(fastdl.acosh(t64([1.0, 1e200, 0.5])).numpy(), np.arccosh([1.0, 1e200, 0.5]),
                                   rtol=1e-14)
        np.testing.assert_array_equal(fastdl.atanh(t64([1.0, -1.0, 2.0])).numpy(), np.arctanh([1.0, -1.0, 2.0]))
        np.testing.assert_allclose(fastdl.sinh(t64([1e-10, 30.0])).numpy(), np.sinh([1e-10, 30.0]), rtol=1e-14)
    inf, nan = np.inf, np.nan
    np.testing.assert_array_equal(fastdl.logaddexp(t64([inf, -inf, -inf, 2.0]), t64([inf, -inf, 1.0, inf])).numpy(),
                                  np.logaddexp([inf, -inf, -inf, 2.0], [inf, -inf, 1.0, inf]))
    np.testing.assert_array_equal(fastdl.logaddexp2(t64([inf, -inf]), t64([inf, -inf])).numpy(), [inf, -inf])
    np.testing.assert_array_equal(fastdl.xlogy(t64([0.0, 0.0, 0.0]), t64([0.0, nan, inf])).numpy(), [0.0, nan, 0.0])
    np.testing.assert_array_equal(fastdl.hypot(t64([1e300, 0.0, inf]), t64([1e300, 0.0, nan])).numpy(),
                                  np.hypot([1e300, 0.0, inf], [1e300, 0.0, nan]))
    a, b = np.array([-7.5, 7.5, -7.5, 5.0]), np.array([2.0, -2.0, -2.0, 2.5])
    np.testing.assert_array_equal(fastdl.fmod(t64(a), t64(b)).numpy(), np.fmod(a, b))
    np.testing.assert_allclose(fastdl.logit(t64([0.0, 1.0, 0.5]), eps=1e-6).numpy(),
                               [np.log(1e-6 / (1 - 1e-6)), np.log((1 - 1e-6) / 1e-6), 0.0], rtol=1e-9)


def test_hypot_and_logaddexp_gradients_at_edges():
    a, b = t64([0.0, 3.0], True), t64([0.0, 4.0], True)
    fastdl.hypot(a, b).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [0.0, 0.6])
    np.testing.assert_allclose(b.grad.numpy(), [0.0, 0.8])
    a, b = t64([1.0], True), t64([1.0], True)
    fastdl.logaddexp(a, b).sum().backward()
    np.testing.assert_allclose([a.grad.item(), b.grad.item()], [0.5, 0.5])
    x = t64([0.0, 0.5], True)
    fastdl.asinh(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1 / np.sqrt(1 + np.array([0.0, 0.25])))


# ---- dtype promotion ----------------------------------------------------------------

def test_dtype_promotion():
    i = fastdl.tensor([-7, 7, 5])
    out = fastdl.fmod(i, 3)
    assert out.dtype is fastdl.int64
    np.testing.assert_array_equal(out.numpy(), np.fmod([-7, 7, 5], 3))
    assert fastdl.fmod(i, 2.5).dtype is fastdl.float32
    for fn in (fastdl.sinh, fastdl.cosh, fastdl.asinh, fastdl.atanh, fastdl.deg2rad, fastdl.rad2deg, fastdl.logit):
        assert fn(fastdl.tensor([0, 1])).dtype is fastdl.float32, fn.__name__
    assert fastdl.trunc(i).dtype is fastdl.int64
    assert fastdl.xlogy(i, 2).dtype is fastdl.float32
    assert fastdl.hypot(fastdl.ones(2), t64([1.0, 2.0])).dtype is fastdl.float64
    assert fastdl.logaddexp(fastdl.ones(2), t64([1.0, 2.0])).dtype is fastdl.float64
    assert fastdl.addcmul(i, i, i, value=2).dtype is fastdl.int64
    assert fastdl.diff(fastdl.tensor([True, False, False])).dtype is fastdl.bool_
    np.testing.assert_array_equal(fastdl.diff(fastdl.tensor([True, False, False])).numpy(), [True, False])
    assert fastdl.trace(fastdl.tensor([[1, 2], [3, 4]])).item() == 5


# ---- errors -------------------------------------------------------------------------

def test_errors_name_op_and_shapes():
    with pytest.raises(ZeroDivisionError, match="fmod"):
        fastdl.fmod(fastdl.tensor([1, 2]), 0)
    with pytest.raises(TypeError, match=r"frac.*int64\[2\]"):
        fastdl.frac(fastdl.tensor([1, 2]))
    with pytest.raises(RuntimeError, match=r"diagonal.*float32\[3\]"):
        fastdl.diagonal(fastdl.zeros(3))
    with pytest.raises(RuntimeError, match=r"diagonal: dim1 and dim2 cannot be identical"):
        fastdl.diagonal(fastdl.zeros(3, 3), 0, 1, -1)
    with pytest.raises(RuntimeError, match=r"trace.*float32\[2, 2, 2\]"):
        fastdl.trace(fastdl.zeros(2, 2, 2))
    with pytest.raises(RuntimeError, match=r"diag.*float32\[2, 2, 2\]"):
        fastdl.diag(fastdl.zeros(2, 2, 2))
    with pytest.raises(RuntimeError, match=r"take_along_dim.*float32\[3, 4\].*int64\[2, 4\]"):
        fastdl.take_along_dim(fastdl.zeros(3, 4), fastdl.tensor(np.zeros((2, 4), dtype=np.int64)), 1)
    with pytest.raises(RuntimeError, match=r"diff.*float32\[\]"):
        fastdl.diff(fastdl.zeros(()))
    with pytest.raises(RuntimeError, match=r"addcdiv.*int64"):
        fastdl.addcdiv(fastdl.ones(2), fastdl.tensor([1, 2]), fastdl.tensor([1, 2]))


# ---- views and methods --------------------------------------------------------------

def test_diagonal_is_a_view_and_methods():
    x = fastdl.zeros(3, 3)
    d = x.diagonal()
    d.fill_(2.0)
    np.testing.assert_array_equal(x.numpy(), np.eye(3) * 2)
    y = fastdl.tensor([0.5, -1.5])
    for name in ("sinh", "cosh", "asinh", "trunc", "frac", "deg2rad", "rad2deg", "nan_to_num"):
        np.testing.assert_allclose(getattr(y, name)().numpy(), getattr(fastdl, name)(y).numpy())
    z = fastdl.tensor([0.5, -1.5])
    assert z.trunc_() is z and z.numpy().tolist() == [0.0, -1.0]
    np.testing.assert_allclose(y.fmod(1.0).numpy(), np.fmod([0.5, -1.5], 1.0))
    np.testing.assert_allclose(y.addcmul(y, y, value=2).numpy(), [0.5 + 0.5, -1.5 + 2 * 2.25])


# ---- devices ------------------------------------------------------------------------

def test_on_device_vs_numpy(device):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    A = fastdl.tensor(a, dtype=f64, device=device, requires_grad=True)
    B = fastdl.tensor(b, dtype=f64, device=device)
    checks = [
        (fastdl.sinh(A), np.sinh(a)), (fastdl.asinh(A), np.arcsinh(a)), (fastdl.fmod(A, B), np.fmod(a, b)),
        (fastdl.hypot(A, B), np.hypot(a, b)), (fastdl.logaddexp(A, B), np.logaddexp(a, b)),
        (fastdl.trunc(A), np.trunc(a)), (fastdl.diagonal(A, 1), np.diagonal(a, 1)), (fastdl.diff(A), np.diff(a)),
        (fastdl.diag_embed(A), np.einsum("ij,jk->ijk", a, np.eye(4))),
        (fastdl.take_along_dim(A, fastdl.tensor(np.array([[1], [0], [3]]), device=device), 1),
         np.take_along_axis(a, np.array([[1], [0], [3]]), 1)),
        (fastdl.index_fill(A, 0, fastdl.tensor([1], device=device), 0.0), a * np.array([[1], [0], [1]])),
        (fastdl.scatter(A, 1, fastdl.tensor([[0], [2], [1]], device=device), value=9.0),
         np.where(np.arange(4) == np.array([[0], [2], [1]]), 9.0, a)),
    ]
    for got, ref in checks:
        assert got.device == A.device
        np.testing.assert_allclose(got.detach().cpu().numpy(), ref, rtol=1e-12, atol=1e-12)
    total = sum(g.sum() for g, _ in checks)
    total.backward()
    assert A.grad is not None and A.grad.device == A.device
