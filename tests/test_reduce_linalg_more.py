"""Reductions, products, statistics and LU helpers (ops/reduce_more.py, stats_more.py,
linalg_more.py, linalg_factor_more.py) beyond what op_table's rows cover: prod's gradient
with zeros, integer dtypes, named results, info outputs, histogram / logspace / cov weights,
cdist's gradient at zero distance, Tensor methods and in-place variants, errors."""
import math
import warnings

import numpy as np
import pytest

import fastdl
from fastdl.testing import gradcheck


def _t(a, **kw):
    return fastdl.tensor(np.asarray(a, dtype=np.float64), **kw)


# ---------------------------------------------------------------- prod
def test_prod_gradient_with_zeros_is_product_of_the_others():
    x = _t([[2.0, 0.0, 3.0, 4.0],     # one zero: only it gets 2 * 3 * 4
            [0.0, 5.0, 0.0, 7.0],     # two zeros: all zero
            [1.5, 2.0, -1.0, 3.0]],   # none: prod / x
           requires_grad=True)
    fastdl.prod(x, 1).sum().backward()
    expected = np.array([[0.0, 24.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [-6.0, -4.5, 9.0, -3.0]])
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_prod_all_gradient_with_one_zero():
    x = _t([3.0, 0.0, 2.0, 5.0, -1.0], requires_grad=True)
    g, = fastdl.autograd.grad(fastdl.prod(x), x)
    np.testing.assert_array_equal(g.numpy(), [0.0, -30.0, 0.0, 0.0, 0.0])
    assert gradcheck(lambda v: fastdl.prod(v, 0), [_t([3.0, 0.0, 2.0, 0.0], requires_grad=True)])
    assert gradcheck(lambda v: fastdl.prod(v), [_t([[3.0, 0.0], [2.0, 7.0], [1.0, -2.0]], requires_grad=True)])


def test_prod_float32_multiplies_in_double_and_rounds_once():
    """The reduce kernel's Prod (double accumulator): float32 rows whose float partial
    products would underflow still give the rounded float64 product; the gradient
    differentiates twice (exclusive running products, no division)."""
    rng = np.random.default_rng(3)
    a = rng.uniform(0.5, 2.0, (7, 300)).astype(np.float32)
    a[:, :100] *= np.float32(1e-3)  # partial products far below float's range ...
    a[:, 100:] *= np.float32(1e1)  # ... back inside it by the end of the row
    want = np.prod(a.astype(np.float64), axis=1).astype(np.float32)
    got = fastdl.prod(fastdl.tensor(a), 1)
    assert got.dtype is fastdl.float32
    np.testing.assert_array_max_ulp(got.numpy(), want, maxulp=1)
    np.testing.assert_array_max_ulp(fastdl.prod(fastdl.tensor(a)[:, ::3].t(), 0).numpy(),
                                    np.prod(a[:, ::3].astype(np.float64), axis=1).astype(np.float32), maxulp=1)
    x = _t(rng.uniform(0.5, 1.5, (3, 4)), requires_grad=True)
    assert fastdl.testing.gradgradcheck(lambda v: fastdl.prod(v, 1), [x])


def test_prod_int_and_bool_dtypes_and_dtype_arg():
    assert fastdl.prod(fastdl.tensor([2, 3, 4])).dtype is fastdl.int64
    assert fastdl.prod(fastdl.tensor([2, 3, 4])).item() == 24
    assert fastdl.prod(fastdl.tensor([True, False]), 0).item() == 0
    assert fastdl.prod(fastdl.tensor([True, True])).dtype is fastdl.int64
    assert fastdl.prod(fastdl.tensor([2, 3]), dtype=fastdl.float64).dtype is fastdl.float64
    big = fastdl.tensor([3] * 39)  # 3^39 needs int64, exact
    assert fastdl.prod(big).item() == 3 ** 39
    h = fastdl.tensor([1.5, 2.0, 3.0], dtype=fastdl.float16)
    assert fastdl.prod(h).dtype is fastdl.float16 and float(fastdl.prod(h)) == 9.0


def test_prod_shapes_empty_and_method():
    x = fastdl.ones(2, 0, 3)
    np.testing.assert_array_equal(fastdl.prod(x, 1).numpy(), np.ones((2, 3)))
    assert fastdl.prod(x).item() == 1.0
    assert tuple(fastdl.ones(2, 3).prod(1, keepdim=True).shape) == (2, 1)
    assert fastdl.tensor(2.5).prod(0).item() == 2.5
    odd = np.arange(1.0, 8.0)  # 7 elements: the odd one carried through the rounds
    assert fastdl.prod(_t(odd)).item() == math.factorial(7)


# ---------------------------------------------------------------- nan reductions, aminmax
def test_nansum_nanmean_int_and_all_nan():
    assert fastdl.nansum(fastdl.tensor([1, 2, 3])).dtype is fastdl.int64
    assert math.isnan(fastdl.nanmean(_t([math.nan, math.nan])).item())
    x = _t([1.0, math.nan, 3.0], requires_grad=True)
    fastdl.nanmean(x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.5, 0.0, 0.5])
    with pytest.raises(TypeError, match="nanmean: expected a floating point"):
        fastdl.nanmean(fastdl.tensor([1, 2]))


def test_aminmax_named_and_gradient():
    x = _t([[1.0, 5.0, 5.0], [-2.0, 0.0, 3.0]], requires_grad=True)
    r = fastdl.aminmax(x, dim=1)
    assert r._fields == ("min", "max")
    np.testing.assert_array_equal(r.min.detach().numpy(), [1.0, -2.0])
    np.testing.assert_array_equal(r.max.detach().numpy(), [5.0, 3.0])
    (r.max.sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0.5, 0.5], [0, 0, 1]])  # ties share, as amax
    assert fastdl.tensor([3, 1, 2]).aminmax().min.item() == 1
    with pytest.raises(RuntimeError, match="aminmax"):
        fastdl.aminmax(fastdl.ones(0))


def test_std_mean_correction():
    x = np.random.default_rng(0).standard_normal((4, 5))
    s, m = fastdl.std_mean(_t(x), dim=1, correction=0)
    np.testing.assert_allclose(s.numpy(), x.std(1), rtol=1e-12)
    np.testing.assert_allclose(m.numpy(), x.mean(1), rtol=1e-12)


# ---------------------------------------------------------------- products
def test_cross_default_dim_warns_and_picks_first_size3_dim():
    a, b = np.random.default_rng(1).standard_normal((2, 4, 3, 3))
    with pytest.warns(UserWarning, match="without specifying the dim"):
        got = fastdl.cross(_t(a), _t(b))
    np.testing.assert_allclose(got.numpy(), np.cross(a, b, axis=1), rtol=1e-12)
    np.testing.assert_allclose(fastdl.linalg.cross(_t(a), _t(b)).numpy(), np.cross(a, b), rtol=1e-12)


def test_products_int_and_methods():
    a = fastdl.tensor([[1, 2], [3, 4]])
    np.testing.assert_array_equal(fastdl.kron(a, a).numpy(), np.kron([[1, 2], [3, 4]], [[1, 2], [3, 4]]))
    np.testing.assert_array_equal(fastdl.vander(fastdl.tensor([1, 2, 3])).numpy(), np.vander([1, 2, 3]))
    assert fastdl.vander(fastdl.tensor([1, 2, 3])).dtype is fastdl.int64
    np.testing.assert_array_equal(fastdl.linalg.matrix_power(a, 3).numpy(), np.linalg.matrix_power([[1, 2], [3, 4]], 3))
    m, v = _t([[1.0, 2.0], [3.0, 4.0]]), _t([1.0, -1.0])
    np.testing.assert_array_equal(m.mv(v).numpy(), [-1.0, -1.0])
    i = _t([1.0, 1.0])
    i.addmv_(m, v, beta=2)
    np.testing.assert_array_equal(i.numpy(), [1.0, 1.0])
    assert m.matrix_exp().shape == (2, 2) and v.vdot(v).item() == 2.0
    # beta = 0 ignores NaN in input, as torch
    out = fastdl.addmv(_t([math.nan, math.nan]), m, v, beta=0)
    np.testing.assert_array_equal(out.numpy(), [-1.0, -1.0])


def test_matrix_exp_known_values():
    # exp of a rotation generator: [[cos, -sin], [sin, cos]]; of a nilpotent: I + N
    t = 2.5
    r = fastdl.linalg.matrix_exp(_t([[0.0, -t], [t, 0.0]]))
    np.testing.assert_allclose(r.numpy(), [[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]], atol=1e-14)
    n = fastdl.matrix_exp(_t([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]]))
    np.testing.assert_allclose(n.numpy(), [[1, 1, 0.5], [0, 1, 1], [0, 0, 1]], atol=1e-15)
    big = fastdl.matrix_exp(_t(np.diag([30.0, -30.0])))  # scaled by 2^s, squared back
    np.testing.assert_allclose(np.diag(big.numpy()), np.exp([30.0, -30.0]), rtol=1e-13)


def test_tensordot_inner_multi_dot_errors():
    with pytest.raises(ValueError, match="tensordot: contracted dimensions need to match"):
        fastdl.tensordot(fastdl.ones(2, 3), fastdl.ones(2, 3), 1)
    with pytest.raises(ValueError, match="inner"):
        fastdl.inner(fastdl.ones(2, 3), fastdl.ones(2))
    with pytest.raises(ValueError, match="linalg.multi_dot: expected at least 2 tensors"):
        fastdl.linalg.multi_dot([fastdl.ones(2, 2)])
    with pytest.raises(ValueError, match="linalg.multi_dot: tensor 1 must be 2-D"):
        fastdl.linalg.multi_dot([fastdl.ones(2, 2), fastdl.ones(2), fastdl.ones(2, 2)])
    with pytest.raises(ValueError, match="linalg.cross: inputs dimension -1 must have length 3"):
        fastdl.linalg.cross(fastdl.ones(2, 4), fastdl.ones(2, 4))
    with pytest.raises(TypeError, match="linalg.matrix_power: n must be an int"):
        fastdl.linalg.matrix_power(fastdl.ones(2, 2), 1.5)


# ---------------------------------------------------------------- distances
def test_cdist_gradient_is_zero_at_zero_distance_both_paths():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    for rows in (4, 30):  # direct and matmul-expansion paths
        a, b = rng.standard_normal((3, 2)), rng.standard_normal((rows, 2))
        b[1] = a[0]
        x, y = _t(a, requires_grad=True), _t(b, requires_grad=True)
        tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        d, td = fastdl.cdist(x, y), torch.cdist(tx, ty)
        assert d[0, 1].item() == 0.0
        d.sum().backward()
        td.sum().backward()
        assert np.isfinite(x.grad.numpy()).all()
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_cdist_compute_mode_and_errors():
    a, b = np.random.default_rng(4).standard_normal((2, 5, 3))
    for mode in ("use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist"):
        np.testing.assert_allclose(fastdl.cdist(_t(a), _t(b), compute_mode=mode).numpy(),
                                   np.linalg.norm(a[:, None] - b[None], axis=-1), rtol=1e-12)
    with pytest.raises(ValueError, match="cdist: only supports non-negative p"):
        fastdl.cdist(_t(a), _t(b), p=-1)
    with pytest.raises(ValueError, match="cdist: x1 and x2 must have the same number of columns"):
        fastdl.cdist(fastdl.ones(2, 3), fastdl.ones(2, 4))
    with pytest.raises(ValueError, match="compute_mode"):
        fastdl.cdist(_t(a), _t(b), compute_mode="fast")
    with pytest.raises(ValueError, match="pdist: only supports 2-D"):
        fastdl.pdist(fastdl.ones(3))


# ---------------------------------------------------------------- statistics
def test_cov_weights_against_numpy_and_torch():
    rng = np.random.default_rng(5)
    x, fw, aw = rng.standard_normal((3, 6)), np.array([1, 2, 0, 3, 1, 1]), rng.random(6)
    for corr in (0, 1, 2):
        got = fastdl.cov(_t(x), correction=corr, fweights=fastdl.tensor(fw), aweights=_t(aw))
        np.testing.assert_allclose(got.numpy(), np.cov(x, ddof=corr, fweights=fw, aweights=aw), rtol=1e-12)
    xt = _t(x, requires_grad=True)
    assert gradcheck(lambda v: fastdl.cov(v, fweights=fastdl.tensor(fw), aweights=_t(aw)), [xt])
    with pytest.raises(TypeError, match="cov: expected fweights to have an integral dtype"):
        fastdl.cov(_t(x), fweights=_t(aw))
    with pytest.raises(ValueError, match="cov: fweights cannot be negative"):
        fastdl.cov(_t(x), fweights=fastdl.tensor([1, -1, 1, 1, 1, 1]))
    with pytest.raises(ValueError, match="cov: expected input to have two or fewer dimensions"):
        fastdl.cov(fastdl.ones(2, 2, 2))
    with pytest.warns(RuntimeWarning, match="degrees of freedom"):
        assert math.isinf(fastdl.cov(_t([1.0, 2.0]), correction=2).item())


def test_histogram_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    x, w = rng.standard_normal(200), rng.random(200)
    cases = [((7,), {}), ((5,), {"range": (-1.0, 1.0)}), ((4,), {"weight": w, "density": True}),
             ((np.array([-2.0, -0.5, 0.0, 0.5, 3.0]),), {}), ((3,), {"range": (2.0, 2.0)})]
    for args, kw in cases:
        fa = [_t(a) if isinstance(a, np.ndarray) else a for a in args]
        ta = [torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
        fkw = {k: _t(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        tkw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        h, e = fastdl.histogram(_t(x), *fa, **fkw)
        th, te = torch.histogram(torch.tensor(x), *ta, **tkw)
        np.testing.assert_allclose(h.numpy(), th.numpy(), rtol=1e-12)
        np.testing.assert_allclose(e.numpy(), te.numpy(), rtol=1e-12)
    # the right edge falls in the last bin; values outside are dropped
    h, _ = fastdl.histogram(_t([0.0, 1.0, 2.0, 3.0, 4.0, 9.0]), 4, range=(0.0, 4.0))
    np.testing.assert_array_equal(h.numpy(), [1, 1, 1, 2])
    assert fastdl.histogram(_t(x), 3).bin_edges.shape == (4,)
    with pytest.raises(TypeError, match="histogram: expected a floating point tensor"):
        fastdl.histogram(fastdl.tensor([1, 2]), 2)
    with pytest.raises(RuntimeError, match="histogram: range of"):
        fastdl.histogram(_t([1.0, math.nan]), 2)


def test_logspace_against_torch():
    torch = pytest.importorskip("torch")
    for args, kw in (((-2, 3, 7), {}), ((0, 1, 5), {"base": 2.0}), ((1, 3, 1), {}), ((1, 3, 0), {}),
                     ((-1, 2, 6), {"dtype": "float64"})):
        got = fastdl.logspace(*args, **{k: getattr(fastdl, v) if k == "dtype" else v for k, v in kw.items()})
        ref = torch.logspace(*args, **{k: getattr(torch, v) if k == "dtype" else v for k, v in kw.items()})
        assert str(got.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
        np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-6)


def test_trapezoid_gradient_renorm_int_and_errors():
    assert fastdl.trapezoid(fastdl.tensor([1, 2, 3])).item() == 4.0
    assert fastdl.trapz(_t([1.0, 2.0, 3.0]), dx=2.0).item() == 8.0
    np.testing.assert_array_equal(fastdl.cumulative_trapezoid(_t([1.0, 3.0, 5.0])).numpy(), [2.0, 6.0])
    g = fastdl.gradient(fastdl.tensor([1, 4, 9, 16]))
    np.testing.assert_array_equal(g[0].numpy(), [3.0, 4.0, 6.0, 7.0])
    coords = _t([0.0, 1.0, 3.0, 6.0])
    np.testing.assert_allclose(fastdl.gradient(_t([0.0, 1.0, 9.0, 36.0]), spacing=(coords,))[0].numpy(),
                               np.gradient([0.0, 1.0, 9.0, 36.0], [0.0, 1.0, 3.0, 6.0]), rtol=1e-12)
    with pytest.raises(ValueError, match="trapezoid: there must be one x value for each sample point"):
        fastdl.trapezoid(fastdl.ones(3), fastdl.ones(4))
    with pytest.raises(ValueError, match="gradient: expected each dimension size to be at least edge_order"):
        fastdl.gradient(fastdl.ones(2), edge_order=2)
    with pytest.raises(ValueError, match="renorm: non-positive norm"):
        fastdl.renorm(fastdl.ones(2, 2), 0, 0, 1.0)
    r = _t([[3.0, 4.0], [0.3, 0.4]])
    r.renorm_(2, 0, 1.0)
    np.testing.assert_allclose(r.numpy(), [[0.6 / (1 + 2e-8), 0.8 / (1 + 2e-8)], [0.3, 0.4]], rtol=1e-9)


# ---------------------------------------------------------------- LU family and *_ex
def test_lu_unpack_reconstructs_and_top_level_lu():
    rng = np.random.default_rng(7)
    a = rng.standard_normal((2, 4, 4))
    LU, piv = fastdl.lu(_t(a))
    assert piv.dtype is fastdl.int64
    P, L, U = fastdl.lu_unpack(LU, piv)
    np.testing.assert_allclose((P @ L @ U).numpy(), a, rtol=1e-12, atol=1e-12)
    P2, L2, U2 = fastdl.linalg.lu(_t(a))
    np.testing.assert_array_equal(P2.numpy(), P.numpy())
    Pn, Le, Ue = fastdl.lu_unpack(LU, piv, unpack_data=False)
    assert Le.numel() == 0 and Ue.numel() == 0 and Pn.shape == (2, 4, 4)
    x = fastdl.lu_solve(_t(rng.standard_normal((2, 4, 1))), LU, piv)
    assert x.shape == (2, 4, 1)
    LU3, piv3, info = fastdl.lu(_t(np.zeros((3, 3))), get_infos=True)
    assert info.item() > 0
    with pytest.raises(fastdl.linalg.LinAlgError, match="lu: U"):
        fastdl.lu(_t(np.zeros((3, 3))))
    with pytest.raises(RuntimeError, match="linalg.lu: LU without pivoting"):
        fastdl.linalg.lu(_t(a), pivot=False)


def test_ex_variants_report_info_instead_of_raising():
    sing = _t([[1.0, 2.0], [2.0, 4.0]])
    inv, info = fastdl.linalg.inv_ex(sing)
    assert info.item() == 2 and info.dtype is fastdl.int64
    assert fastdl.linalg.inv_ex(_t(np.eye(2))).info.item() == 0
    with pytest.raises(fastdl.linalg.LinAlgError, match="linalg.inv_ex"):
        fastdl.linalg.inv_ex(sing, check_errors=True)
    L, info = fastdl.linalg.cholesky_ex(_t([[1.0, 0.0], [0.0, -1.0]]))
    assert info.item() == 2
    with pytest.raises(fastdl.linalg.LinAlgError, match="not positive-definite"):
        fastdl.linalg.cholesky_ex(_t([[1.0, 0.0], [0.0, -1.0]]), check_errors=True)
    X, info = fastdl.linalg.solve_ex(sing, _t([1.0, 1.0]))
    assert info.item() == 2 and X.shape == (2,)
    batch = _t(np.stack([np.eye(2), [[1.0, 2.0], [2.0, 4.0]]]))
    assert fastdl.linalg.inv_ex(batch).info.tolist() == [0, 2]
    assert math.isinf(fastdl.linalg.cond(sing, 1).item())
    LUf, pivf, info = fastdl.linalg.lu_factor_ex(sing)
    assert info.item() == 2


def test_triangular_solve_legacy_and_cond_errors():
    rng = np.random.default_rng(8)
    A = np.triu(rng.standard_normal((3, 3))) + 3 * np.eye(3)
    b = rng.standard_normal((3, 2))
    X, Ac = fastdl.triangular_solve(_t(b), _t(A))
    np.testing.assert_allclose(X.numpy(), np.linalg.solve(A, b), rtol=1e-12)
    np.testing.assert_array_equal(Ac.numpy(), A)
    X1, _ = fastdl.triangular_solve(_t(b), _t(A), unitriangular=True)
    np.testing.assert_allclose(X1.numpy(), np.linalg.solve(np.triu(A, 1) + np.eye(3), b), rtol=1e-12)
    with pytest.raises(ValueError, match="linalg.cond: got an invalid norm type"):
        fastdl.linalg.cond(_t(A), 3)


def test_cholesky_inverse_gradient_matches_torch_on_full_factor():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    L = np.tril(rng.standard_normal((3, 3))) + 3 * np.eye(3)
    for upper in (False, True):
        f = L.T.copy() if upper else L
        x, tx = _t(f, requires_grad=True), torch.tensor(f, requires_grad=True)
        w = rng.standard_normal((3, 3))
        (fastdl.cholesky_inverse(x, upper) * _t(w)).sum().backward()
        (torch.cholesky_inverse(tx, upper) * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------- SVD (one-sided Jacobi kernel)
def _dev(x, dtype="float64", device="cpu"):
    return fastdl.tensor(np.asarray(x), dtype=getattr(fastdl, dtype), device=device)


@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (6, 4), (4, 6), (2, 33, 8), (3, 2, 5)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_svd_matches_numpy(shape, dtype, device):
    rng = np.random.default_rng(sum(shape))
    a = rng.standard_normal(shape)
    tol = dict(rtol=2e-4, atol=2e-4) if dtype == "float32" else dict(rtol=1e-10, atol=1e-10)
    for layout in ("contiguous", "transposed"):
        x = _dev(a, dtype, device) if layout == "contiguous" else _dev(np.swapaxes(a, -1, -2).copy(), dtype, device).mT
        U, S, Vh = fastdl.linalg.svd(x, full_matrices=False)
        u, s, vh = (t.cpu().numpy().astype(np.float64) for t in (U, S, Vh))
        np.testing.assert_allclose(s, np.linalg.svd(a, compute_uv=False), **tol)
        np.testing.assert_allclose((u * s[..., None, :]) @ vh, a, **tol)
        k = min(shape[-2:])
        np.testing.assert_allclose(np.swapaxes(u, -1, -2) @ u, np.broadcast_to(np.eye(k), u.shape[:-2] + (k, k)), **tol)
        np.testing.assert_allclose(vh @ np.swapaxes(vh, -1, -2), np.broadcast_to(np.eye(k), u.shape[:-2] + (k, k)), **tol)
        assert (np.diff(s, axis=-1) <= 0).all()  # descending


def test_svd_full_matrices_rank_deficient_and_errors():
    rng = np.random.default_rng(20)
    r = rng.standard_normal((5, 2)) @ rng.standard_normal((2, 4))  # rank 2
    U, S, Vh = fastdl.linalg.svd(_t(r))
    assert U.shape == (5, 5) and Vh.shape == (4, 4)
    np.testing.assert_allclose(U.numpy().T @ U.numpy(), np.eye(5), atol=1e-12)
    np.testing.assert_allclose(Vh.numpy() @ Vh.numpy().T, np.eye(4), atol=1e-12)
    np.testing.assert_allclose((U.numpy()[:, :4] * S.numpy()) @ Vh.numpy(), r, atol=1e-12)
    z = fastdl.linalg.svd(fastdl.zeros(3, 2, dtype=fastdl.float64), full_matrices=False)
    np.testing.assert_array_equal(z.S.numpy(), [0.0, 0.0])
    np.testing.assert_allclose(z.U.numpy().T @ z.U.numpy(), np.eye(2))  # zero columns completed orthonormally
    assert fastdl.linalg.matrix_rank(_t(r)).item() == 2
    with pytest.raises(fastdl.linalg.LinAlgError, match=r"linalg.svd: \(Batch element 1\): The algorithm failed"):
        fastdl.linalg.svd(_t(np.stack([np.eye(2), np.full((2, 2), np.nan)])))
    with pytest.raises(TypeError, match="linalg.svd: expected A to be float32 or float64"):
        fastdl.linalg.svd(fastdl.ones(2, 2, dtype=fastdl.int64))
    with pytest.raises(ValueError, match="linalg.svdvals: A must be batches of matrices"):
        fastdl.linalg.svdvals(fastdl.ones(3))


@pytest.mark.parametrize("scale", [1e-30, 1e25])
def test_svd_scales_huge_and_tiny_float32_entries(scale):
    a = np.random.default_rng(21).standard_normal((6, 4))
    s = fastdl.linalg.svdvals(_dev(a * scale, "float32")).numpy().astype(np.float64)
    np.testing.assert_allclose(s / scale, np.linalg.svd(a, compute_uv=False), rtol=1e-4)


def test_svd_small_singular_values_are_accurate():
    """One-sided Jacobi keeps relative accuracy where eigh(A^T A) would lose it."""
    q1, _ = np.linalg.qr(np.random.default_rng(22).standard_normal((5, 5)))
    q2, _ = np.linalg.qr(np.random.default_rng(23).standard_normal((4, 4)))
    sv = np.array([1.0, 1e-3, 1e-6, 1e-9])
    a = q1[:, :4] * sv @ q2.T
    np.testing.assert_allclose(fastdl.linalg.svdvals(_t(a)).numpy(), sv, rtol=1e-6)


def test_svd_gradients():
    rng = np.random.default_rng(24)
    for shape in ((4, 3), (3, 4), (2, 3, 3)):
        a = rng.standard_normal(shape)
        assert gradcheck(fastdl.linalg.svdvals, [_t(a, requires_grad=True)])
        # gauge-invariant functions of U and V (distinct singular values)
        assert gradcheck(lambda x: (lambda r: (r.U * r.S.sqrt().unsqueeze(-2)) @ r.Vh)(
            fastdl.linalg.svd(x, full_matrices=False)), [_t(a, requires_grad=True)])
        assert gradcheck(lambda x: (lambda r: r.U @ r.U.mT)(fastdl.linalg.svd(x, full_matrices=False)),
                         [_t(a, requires_grad=True)])
        assert gradcheck(lambda x: fastdl.linalg.pinv(x), [_t(a, requires_grad=True)])


def test_svd_family_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(25)
    a = rng.standard_normal((2, 5, 3))
    r = rng.standard_normal((5, 2)) @ rng.standard_normal((2, 4))
    sq = rng.standard_normal((4, 4))

    def both(fn_f, fn_t, x, grad=True):
        xf, xt = _t(x, requires_grad=grad), torch.tensor(x, requires_grad=grad)
        yf, yt = fn_f(xf), fn_t(xt)
        np.testing.assert_allclose(yf.detach().numpy(), yt.detach().numpy(), rtol=1e-9, atol=1e-12)
        if grad:
            w = rng.standard_normal(tuple(yt.shape))
            (yf * _t(w)).sum().backward()
            (yt * torch.tensor(w)).sum().backward()
            np.testing.assert_allclose(xf.grad.numpy(), xt.grad.numpy(), rtol=1e-8, atol=1e-10)

    both(fastdl.linalg.svdvals, torch.linalg.svdvals, a)
    both(lambda x: (lambda r_: r_.U @ r_.Vh)(fastdl.linalg.svd(x, full_matrices=False)),
         lambda x: (lambda r_: r_.U @ r_.Vh)(torch.linalg.svd(x, full_matrices=False)), a)
    both(fastdl.linalg.pinv, torch.linalg.pinv, a)
    both(fastdl.linalg.pinv, torch.linalg.pinv, r, grad=False)
    both(lambda x: fastdl.linalg.pinv(x, hermitian=True), lambda x: torch.linalg.pinv(x, hermitian=True),
         r @ r.T, grad=False)
    both(fastdl.pinverse, torch.pinverse, r, grad=False)
    for p in (None, 2, -2, "nuc"):
        both(lambda x: fastdl.linalg.cond(x, p), lambda x: torch.linalg.cond(x, p), sq)
    for kw in ({}, {"atol": 0.5}, {"rtol": 0.3}, {"hermitian": True}):
        x = r @ r.T if kw.get("hermitian") else r
        assert fastdl.linalg.matrix_rank(_t(x), **kw).item() == torch.linalg.matrix_rank(torch.tensor(x), **kw).item()
    U, S, V = fastdl.svd(_t(sq))
    tU, tS, tV = torch.svd(torch.tensor(sq))
    np.testing.assert_allclose(np.abs(V.numpy()), np.abs(tV.numpy()), rtol=1e-9, atol=1e-12)
    U, S, V = fastdl.svd(_t(r), some=False)
    assert U.shape == (5, 5) and V.shape == (4, 4)
    U, S, V = _t(r).svd(compute_uv=False)
    assert U.shape == (5, 5) and float(U.abs().sum()) == 0.0 and V.shape == (4, 4)
    sing = [[1.0, 0.0], [0.0, 0.0]]
    for p in (None, "nuc"):
        assert math.isinf(fastdl.linalg.cond(_t(sing), p).item())


def test_svd_kernel_checks_its_arguments():
    from fastdl import _C
    f64, i64 = fastdl.float64, fastdl.int64
    with pytest.raises(ValueError, match="svd: A must have at least as many rows as columns"):
        _C.cpu.svd(fastdl.zeros(2, 3, dtype=f64), fastdl.empty(3, dtype=f64), fastdl.empty(3, 3, dtype=f64),
                   fastdl.empty((), dtype=i64))
    with pytest.raises(ValueError, match=r"svd: S must have shape \[2\]"):
        _C.cpu.svd(fastdl.zeros(3, 2, dtype=f64), fastdl.empty(3, dtype=f64), fastdl.empty(2, 2, dtype=f64),
                   fastdl.empty((), dtype=i64))
    with pytest.raises(TypeError, match="svd: info must be int64"):
        _C.cpu.svd(fastdl.zeros(3, 2, dtype=f64), fastdl.empty(2, dtype=f64), fastdl.empty(2, 2, dtype=f64),
                   fastdl.empty((), dtype=f64))


def test_tensorinv_tensorsolve_errors():
    with pytest.raises(ValueError, match="linalg.tensorinv: expected self.shape"):
        fastdl.linalg.tensorinv(fastdl.ones(2, 3, 4), 1)
    with pytest.raises(ValueError, match="linalg.tensorsolve: expected A's leading dims"):
        fastdl.linalg.tensorsolve(fastdl.ones(2, 3, 6), fastdl.ones(3, 2))
