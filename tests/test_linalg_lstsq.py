"""linalg.lstsq (ops/linalg_lstsq.py), householder_product / orgqr / geqrf / ormqr
(ops/linalg_householder.py) and svd_lowrank / pca_lowrank (ops/lowrank.py): forward
against float64 NumPy references, float64 gradcheck, torch parity (fields per driver,
shapes, values, gradients) and bad inputs."""
import numpy as np
import pytest

import fastdl
from fastdl import linalg as LA
from fastdl.testing import gradcheck

RNG = np.random.default_rng(0)


def T(x, dtype="float64", requires_grad=False):
    return fastdl.tensor(np.asarray(x), dtype=getattr(fastdl, dtype), requires_grad=requires_grad)


# ---------------------------------------------------------------- lstsq
@pytest.mark.parametrize("dtype,tol", [("float64", 1e-10), ("float32", 2e-4)])
@pytest.mark.parametrize("shapes", [((6, 3), (6, 2)), ((3, 5), (3, 2)), ((2, 6, 4), (2, 6, 3)), ((6, 3), (6,)),
                                    ((2, 1, 5, 3), (2, 4, 5, 2))])
def test_lstsq_matches_numpy(shapes, dtype, tol):
    a, b = RNG.standard_normal(shapes[0]), RNG.standard_normal(shapes[1])
    r = LA.lstsq(T(a, dtype), T(b, dtype))
    vector = len(shapes[1]) == len(shapes[0]) - 1
    bb = b[..., None] if vector else b
    want = np.linalg.pinv(a) @ bb  # broadcasts the batch dims
    want = want[..., 0] if vector else want
    assert r.solution.dtype is getattr(fastdl, dtype)
    np.testing.assert_allclose(r.solution.numpy(), want, rtol=tol, atol=tol)
    # default driver gelsy: rank filled with A's batch shape, no residuals / singular values
    assert tuple(r.rank.shape) == shapes[0][:-2] and r.rank.dtype is fastdl.int64
    assert r.residuals.shape == (0,) and r.singular_values.shape == (0,)


def test_lstsq_drivers_fill_fields():
    a, b = RNG.standard_normal((7, 3)), RNG.standard_normal((7, 2))
    x = np.linalg.lstsq(a, b, rcond=None)[0]
    res = ((a @ x - b) ** 2).sum(0)
    s = np.linalg.svd(a, compute_uv=False)
    for driver in ("gels", "gelsy", "gelsd", "gelss"):
        r = LA.lstsq(T(a), T(b), driver=driver)
        np.testing.assert_allclose(r.solution.numpy(), x, atol=1e-10)
        if driver == "gelsy":
            assert r.residuals.shape == (0,)
        else:
            np.testing.assert_allclose(r.residuals.numpy(), res, atol=1e-10)
        if driver == "gels":
            assert r.rank.shape == (0,)
        else:
            assert int(r.rank.item()) == 3
        if driver in ("gelsd", "gelss"):
            np.testing.assert_allclose(r.singular_values.numpy(), s, atol=1e-10)
        else:
            assert r.singular_values.shape == (0,)


def test_lstsq_rank_deficient_min_norm():
    a = RNG.standard_normal((6, 3))
    a[:, 2] = a[:, 0] + a[:, 1]
    b = RNG.standard_normal((6, 2))
    for driver in ("gelsy", "gelsd", "gelss"):
        r = LA.lstsq(T(a), T(b), driver=driver)
        assert int(r.rank.item()) == 2
        assert r.residuals.shape == (0,)  # not every matrix has rank n
        np.testing.assert_allclose(r.solution.numpy(), np.linalg.pinv(a) @ b, atol=1e-9)
    # rcond decides the rank: a large one drops the smaller singular values
    s = np.linalg.svd(a, compute_uv=False)
    r = LA.lstsq(T(a), T(b), rcond=float(s[1] / s[0]) * 1.01, driver="gelsd")
    assert int(r.rank.item()) == 1


def test_lstsq_gradcheck():
    a = T(RNG.standard_normal((5, 3)), requires_grad=True)
    b = T(RNG.standard_normal((5, 2)), requires_grad=True)
    assert gradcheck(lambda a, b: LA.lstsq(a, b).solution, (a, b))
    assert gradcheck(lambda a, b: LA.lstsq(a, b, driver="gelsd").residuals, (a, b))
    w = T(RNG.standard_normal((3, 4)), requires_grad=True)  # wide: the minimum-norm solution
    c = T(RNG.standard_normal((3, 2)), requires_grad=True)
    assert gradcheck(lambda a, b: LA.lstsq(a, b).solution, (w, c))


def test_lstsq_empty():
    r = LA.lstsq(T(np.zeros((0, 2))), T(np.zeros((0, 3))))
    assert r.solution.shape == (2, 3) and not r.solution.numpy().any()
    assert LA.lstsq(T(np.zeros((3, 0))), T(np.ones((3, 2)))).solution.shape == (0, 2)


@pytest.mark.parametrize("args,kw,exc", [
    ((np.ones(3), np.ones(3)), {}, ValueError),
    ((np.ones((3, 2)), np.ones((4, 2))), {}, ValueError),
    ((np.ones((2, 3, 2)), np.ones(3)), {}, ValueError),
    ((np.ones((3, 2)), np.ones((3, 1))), {"driver": "foo"}, ValueError),
    ((np.ones((3, 2)), np.ones((3, 1))), {"rcond": "x"}, TypeError),
])
def test_lstsq_bad_inputs(args, kw, exc):
    with pytest.raises(exc, match="lstsq"):
        LA.lstsq(T(args[0]), T(args[1]), **kw)


def test_lstsq_bad_dtypes():
    with pytest.raises(TypeError, match="lstsq"):
        LA.lstsq(T(np.ones((3, 2))), T(np.ones((3, 1)), "float32"))
    with pytest.raises(TypeError, match="lstsq"):
        LA.lstsq(fastdl.ones(3, 2, dtype=fastdl.int64), fastdl.ones(3, 1, dtype=fastdl.int64))


def test_lstsq_torch_parity():
    torch = pytest.importorskip("torch")
    cases = [((5, 3), (5, 2)), ((4, 1, 5, 3), (4, 2, 5, 2)), ((2, 5, 3), (2, 5)), ((5, 3), (5,)), ((2, 4), (2, 3)),
             ((0, 2), (0, 3)), ((1, 5, 3), (4, 5, 2))]
    for sa, sb in cases:
        a, b = RNG.standard_normal(sa), RNG.standard_normal(sb)
        for driver in (None, "gels", "gelsy", "gelsd", "gelss"):
            got = LA.lstsq(T(a), T(b), driver=driver)
            want = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver=driver)
            for x, y in zip(got, want):
                assert tuple(x.shape) == tuple(y.shape), (sa, sb, driver)
                np.testing.assert_allclose(x.numpy(), y.numpy(), atol=1e-10)
    a, b = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 2))
    fa, fb = T(a, requires_grad=True), T(b, requires_grad=True)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    (LA.lstsq(fa, fb).solution ** 2).sum().backward()
    (torch.linalg.lstsq(ta, tb).solution ** 2).sum().backward()
    np.testing.assert_allclose(fa.grad.numpy(), ta.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(fb.grad.numpy(), tb.grad.numpy(), atol=1e-10)


# ---------------------------------------------------------------- Householder
def _np_householder(a, tau):
    m, n = a.shape
    Q = np.eye(m)
    for i in range(len(tau)):
        v = np.zeros(m)
        v[i], v[i + 1:] = 1.0, a[i + 1:, i]
        Q = Q @ (np.eye(m) - tau[i] * np.outer(v, v))
    return Q[:, :n]


@pytest.mark.parametrize("shape", [(5, 3), (4, 4), (3, 1)])
def test_geqrf_householder_product_roundtrip(shape):
    a = RNG.standard_normal(shape)
    A = T(a)
    h, tau = fastdl.geqrf(A)
    Q = LA.householder_product(h, tau)
    np.testing.assert_allclose(Q.numpy(), _np_householder(h.numpy(), tau.numpy()), atol=1e-12)
    np.testing.assert_allclose(Q.numpy() @ np.triu(h.numpy())[: shape[1]], a, atol=1e-12)  # A = QR
    np.testing.assert_allclose(fastdl.orgqr(h, tau).numpy(), Q.numpy())
    np.testing.assert_allclose(A.geqrf()[0].numpy(), h.numpy())
    np.testing.assert_allclose(h.orgqr(tau).numpy(), Q.numpy())


def test_householder_product_batched_and_partial_tau():
    a, tau = RNG.standard_normal((2, 5, 3)), RNG.standard_normal((2, 2))
    got = LA.householder_product(T(a), T(tau)).numpy()
    for i in range(2):
        np.testing.assert_allclose(got[i], _np_householder(a[i], tau[i]), atol=1e-12)


def test_householder_and_ormqr_gradcheck():
    a = T(RNG.standard_normal((5, 3)), requires_grad=True)
    tau = T(RNG.standard_normal(3), requires_grad=True)
    assert gradcheck(LA.householder_product, (a, tau))
    c = T(RNG.standard_normal((5, 2)), requires_grad=True)
    assert gradcheck(lambda a, t, c: fastdl.ormqr(a, t, c, True, True), (a, tau, c))


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("transpose", [True, False])
def test_ormqr_matches_full_q(left, transpose):
    a = RNG.standard_normal((5, 3))
    h, tau = fastdl.geqrf(T(a))
    Q = np.linalg.qr(a, mode="complete")[0]
    Qh = _np_householder(np.pad(h.numpy(), ((0, 0), (0, 2))), tau.numpy())  # the full m x m Q of the reflectors
    np.testing.assert_allclose(np.abs(Qh[:, :3]), np.abs(Q[:, :3]), atol=1e-12)
    Qop = Qh.T if transpose else Qh
    c = RNG.standard_normal((5, 2) if left else (2, 5))
    want = Qop @ c if left else c @ Qop
    np.testing.assert_allclose(h.ormqr(tau, T(c), left, transpose).numpy(), want, atol=1e-12)


def test_householder_bad_inputs():
    with pytest.raises(ValueError, match="householder_product"):
        LA.householder_product(T(np.ones((3, 5))), T(np.ones(3)))
    with pytest.raises(ValueError, match="householder_product"):
        LA.householder_product(T(np.ones((5, 3))), T(np.ones(4)))
    with pytest.raises(ValueError, match="householder_product"):
        LA.householder_product(T(np.ones((5, 3))), T(np.ones((2, 3))))
    with pytest.raises(TypeError, match="householder_product"):
        LA.householder_product(T(np.ones((5, 3))), T(np.ones(3), "float32"))
    with pytest.raises(ValueError, match="geqrf"):
        fastdl.geqrf(T(np.ones(3)))
    with pytest.raises(ValueError, match="ormqr"):
        fastdl.ormqr(T(np.ones((5, 3))), T(np.ones(3)), T(np.ones((4, 2))))


def test_householder_torch_parity():
    torch = pytest.importorskip("torch")
    a = RNG.standard_normal((2, 5, 3))
    h, tau = fastdl.geqrf(T(a))
    th, ttau = torch.geqrf(torch.tensor(a))
    np.testing.assert_allclose(h.numpy(), th.numpy(), atol=1e-12)
    np.testing.assert_allclose(tau.numpy(), ttau.numpy(), atol=1e-12)
    fh, ft = T(h.numpy(), requires_grad=True), T(tau.numpy(), requires_grad=True)
    th2, tt2 = th.clone().requires_grad_(), ttau.clone().requires_grad_()
    Q, TQ = LA.householder_product(fh, ft), torch.linalg.householder_product(th2, tt2)
    np.testing.assert_allclose(Q.detach().numpy(), TQ.detach().numpy(), atol=1e-12)
    w = RNG.standard_normal(Q.shape)
    (Q * T(w)).sum().backward()
    (TQ * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(fh.grad.numpy(), th2.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(ft.grad.numpy(), tt2.grad.numpy(), atol=1e-10)
    c = RNG.standard_normal((2, 3, 5))
    np.testing.assert_allclose(fastdl.ormqr(h, tau, T(c), False, True).numpy(),
                               torch.ormqr(th, ttau, torch.tensor(c), False, True).numpy(), atol=1e-12)


# ---------------------------------------------------------------- svd_lowrank / pca_lowrank
def _principal_angles_ok(U, W, tol):
    """The column spaces of U and W (orthonormal columns) agree: the singular values of U^T W are all ~1."""
    s = np.linalg.svd(np.swapaxes(U, -1, -2) @ W, compute_uv=False)
    assert s.min() > 1 - tol, s


@pytest.mark.parametrize("shape", [(40, 30), (30, 40), (2, 25, 20)])
def test_svd_lowrank_recovers_low_rank(shape):
    fastdl.manual_seed(0)
    *b, m, n = shape
    A = RNG.standard_normal((*b, m, 4)) @ RNG.standard_normal((*b, 4, n))
    U, S, V = fastdl.svd_lowrank(T(A), q=6)
    assert tuple(U.shape) == (*b, m, 6) and tuple(S.shape) == (*b, 6) and tuple(V.shape) == (*b, n, 6)
    np.testing.assert_allclose(U.numpy() @ (S.numpy()[..., None] * np.swapaxes(V.numpy(), -1, -2)), A, atol=1e-9)
    u, s, vh = np.linalg.svd(A)
    np.testing.assert_allclose(S.numpy()[..., :4], s[..., :4], rtol=1e-9)
    _principal_angles_ok(U.numpy()[..., :4], u[..., :4], 1e-9)
    _principal_angles_ok(V.numpy()[..., :4], np.swapaxes(vh, -1, -2)[..., :4], 1e-9)


def test_svd_lowrank_with_M_and_pca():
    fastdl.manual_seed(1)
    A = RNG.standard_normal((30, 3)) @ RNG.standard_normal((3, 10)) + RNG.standard_normal((1, 10)) * 5
    mean = A.mean(0, keepdims=True)
    U, S, V = fastdl.svd_lowrank(T(A), q=4, M=T(mean))  # M broadcast to A: the centered matrix
    np.testing.assert_allclose(S.numpy()[:3], np.linalg.svd(A - mean, compute_uv=False)[:3], rtol=1e-9)
    U2, S2, V2 = fastdl.pca_lowrank(T(A), q=4)
    np.testing.assert_allclose(S2.numpy()[:3], S.numpy()[:3], rtol=1e-9)
    _principal_angles_ok(V2.numpy()[:, :3], np.linalg.svd(A - mean)[2][:3].T, 1e-9)
    _, S3, _ = fastdl.pca_lowrank(T(A), center=False)  # q defaults to min(6, m, n)
    assert S3.shape == (6,)
    np.testing.assert_allclose(S3.numpy()[:4], np.linalg.svd(A, compute_uv=False)[:4], rtol=1e-9)


def test_lowrank_gradient_and_errors():
    fastdl.manual_seed(2)
    A = T(RNG.standard_normal((6, 5)), requires_grad=True)
    # with q = n the sketch spans A's range: S are A's singular values, their gradient U V^T as for svdvals
    fastdl.manual_seed(3)
    S = fastdl.svd_lowrank(A, q=5, niter=4)[1]
    S.sum().backward()
    u, s, vh = np.linalg.svd(A.detach().numpy(), full_matrices=False)
    np.testing.assert_allclose(A.grad.numpy(), u @ vh, atol=1e-8)
    with pytest.raises(ValueError, match="pca_lowrank"):
        fastdl.pca_lowrank(T(np.ones((4, 3))), q=4)
    with pytest.raises(ValueError, match="niter"):
        fastdl.pca_lowrank(T(np.ones((4, 3))), niter=-1)
    with pytest.raises(ValueError, match="svd_lowrank"):
        fastdl.svd_lowrank(T(np.ones(4)))
    with pytest.raises(TypeError, match="svd_lowrank"):
        fastdl.svd_lowrank(fastdl.ones(4, 3, dtype=fastdl.int64))


def test_lowrank_torch_parity_of_subspace():
    torch = pytest.importorskip("torch")
    A = RNG.standard_normal((20, 3)) @ RNG.standard_normal((3, 12))
    torch.manual_seed(0)
    tU, tS, tV = torch.pca_lowrank(torch.tensor(A), q=3)
    U, S, V = fastdl.pca_lowrank(T(A), q=3)
    np.testing.assert_allclose(S.numpy(), tS.numpy(), rtol=1e-8)
    _principal_angles_ok(U.numpy(), tU.numpy(), 1e-8)
    _principal_angles_ok(V.numpy(), tV.numpy(), 1e-8)


# ---------------------------------------------------------------- LDL (Bunch-Kaufman)
def _ldl_matrices():
    rs = np.random.RandomState(0)
    mats = []
    for n in (1, 2, 3, 5, 8):
        a = rs.randn(n, n)
        mats.append(a + a.T)
        d = rs.randn(n, n)
        d = d + d.T
        np.fill_diagonal(d, rs.randn(n) * 0.01)  # small diagonal: 2x2 pivots
        mats.append(d)
    mats.append(np.array([[0.0, 1, 2], [1, 0, 3], [2, 3, 0]]))  # zero diagonal: a 2x2 block first
    return mats


def _reconstruct(LD, piv):
    """A from LAPACK's lower sytrf format (NumPy, float64): A = P1 L1 ... D ... L1^T P1^T."""
    n = LD.shape[0]
    U = np.eye(n)  # accumulates P1 L1 P2 L2 ...
    D = np.zeros((n, n))
    k = 0
    while k < n:
        s = 1 if piv[k] > 0 else 2
        p = (piv[k] if piv[k] > 0 else -piv[k]) - 1
        P = np.eye(n)
        P[[k + s - 1, p]] = P[[p, k + s - 1]]
        Lk = np.eye(n)
        Lk[k + s:, k:k + s] = LD[k + s:, k:k + s]
        D[k:k + s, k:k + s] = np.tril(LD[k:k + s, k:k + s]) + np.tril(LD[k:k + s, k:k + s], -1).T
        U = U @ P @ Lk
        k += s
    return U @ D @ U.T


def test_ldl_factor_reconstructs_and_solves():
    for a in _ldl_matrices():
        LD, piv = LA.ldl_factor(T(a))
        assert piv.dtype is fastdl.int64 and not np.triu(LD.numpy(), 1).any()
        np.testing.assert_allclose(_reconstruct(LD.numpy(), piv.numpy()), a, atol=1e-10)
        b = RNG.standard_normal((a.shape[0], 3))
        np.testing.assert_allclose(LA.ldl_solve(LD, piv, T(b)).numpy(), np.linalg.solve(a, b), rtol=1e-7, atol=1e-7)
    # batched, float32, only the lower triangle is read
    a = np.stack(_ldl_matrices()[6:8])
    junk = a + np.triu(RNG.standard_normal(a.shape), 1)
    LD, piv = LA.ldl_factor(T(junk, "float32"))
    b = RNG.standard_normal((2, 5, 1))
    np.testing.assert_allclose(LA.ldl_solve(LD, piv, T(b, "float32")).numpy(), np.linalg.solve(a, b), rtol=1e-3,
                               atol=1e-3)


def test_ldl_singular_and_errors():
    LD, piv, info = LA.ldl_factor_ex(T(np.zeros((2, 2))))
    assert int(info.item()) == 1 and piv.numpy().tolist() == [1, 2]
    with pytest.raises(LA.LinAlgError, match="ldl_factor"):
        LA.ldl_factor(T(np.zeros((2, 2))))
    with pytest.raises(LA.LinAlgError, match="ldl_factor_ex"):
        LA.ldl_factor_ex(T(np.zeros((2, 2))), check_errors=True)
    with pytest.raises(ValueError, match="ldl_factor"):
        LA.ldl_factor(T(np.ones((2, 3))))
    with pytest.raises(TypeError, match="ldl_factor"):
        LA.ldl_factor(fastdl.ones(2, 2, dtype=fastdl.int64))
    with pytest.raises(NotImplementedError, match="hermitian"):
        LA.ldl_factor(T(np.eye(2)), hermitian=True)
    LD, piv = LA.ldl_factor(T(np.eye(3)))
    with pytest.raises(ValueError, match="ldl_solve"):
        LA.ldl_solve(LD, piv, T(np.ones((2, 1))))
    with pytest.raises(ValueError, match="ldl_solve"):
        LA.ldl_solve(LD, fastdl.tensor([1, 2, 7]), T(np.ones((3, 1))))


def test_ldl_torch_parity():
    torch = pytest.importorskip("torch")
    for a in _ldl_matrices():
        LD, piv = LA.ldl_factor(T(a))
        tLD, tpiv = torch.linalg.ldl_factor(torch.tensor(a))
        np.testing.assert_array_equal(piv.numpy(), tpiv.numpy())
        np.testing.assert_allclose(LD.numpy(), tLD.numpy(), atol=1e-12)
        b = RNG.standard_normal((a.shape[0], 2))
        np.testing.assert_allclose(LA.ldl_solve(LD, piv, T(b)).numpy(),
                                   torch.linalg.ldl_solve(tLD, tpiv, torch.tensor(b)).numpy(), atol=1e-9)
    a = np.stack(_ldl_matrices()[2:4])
    got, want = LA.ldl_factor_ex(T(a)), torch.linalg.ldl_factor_ex(torch.tensor(a))
    for x, y in zip(got, want):
        np.testing.assert_allclose(x.numpy(), y.numpy(), atol=1e-12)
