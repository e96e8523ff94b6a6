"""fastdl.linalg's factorizations and solves (ops/linalg_factor.py on the kernels of
csrc/common/linalg_factor.h): forward against float64 NumPy references over batch /
broadcast shapes, sizes, dtypes and memory layouts; gradcheck of every differentiable op;
errors (shapes, dtypes, singular and indefinite input); the raw kernels (pivoting,
info, argument checks); torch parity for values, gradients and error types."""
import numpy as np
import pytest

import fastdl
from fastdl import _C
from fastdl import linalg as LA
from fastdl.testing import gradcheck

SIZES = [1, 2, 3, 8, 33]
TOL = {"float32": dict(rtol=2e-4, atol=2e-4), "float64": dict(rtol=1e-9, atol=1e-9)}


def well_conditioned(rng, shape):
    """Random matrices with a dominant diagonal: cond(A) stays small for every n."""
    n = shape[-1]
    return rng.standard_normal(shape) + n * np.eye(n)


def spd(rng, shape):
    x = rng.standard_normal(shape)
    return x @ np.swapaxes(x, -1, -2) + shape[-1] * np.eye(shape[-1])


def make(x, dtype="float64", layout="contiguous", device="cpu"):
    """x as a fastdl tensor with the given memory layout (same values)."""
    x = np.asarray(x)
    if layout == "transposed":  # a .mT view of the transposed copy
        return fastdl.tensor(np.ascontiguousarray(np.swapaxes(x, -1, -2)), dtype=getattr(fastdl, dtype),
                             device=device).mT
    if layout == "sliced":  # every other column of a wider tensor
        wide = np.zeros(x.shape[:-1] + (2 * x.shape[-1],))
        wide[..., ::2] = x
        return fastdl.tensor(wide, dtype=getattr(fastdl, dtype), device=device)[..., ::2]
    return fastdl.tensor(x, dtype=getattr(fastdl, dtype), device=device)


def close(got, want, dtype):
    np.testing.assert_allclose(got.cpu().numpy().astype(np.float64), want, **TOL[dtype])


def tri_ref(a, b, upper, unit=False):
    """NumPy reference of a triangular solve: np.linalg.solve on the triangle."""
    t = np.triu(a) if upper else np.tril(a)
    if unit:
        n = a.shape[-1]
        t = t * (1 - np.eye(n)) + np.eye(n)
    return np.linalg.solve(t, b)


# ---------------------------------------------------------------- forward vs NumPy
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "sliced"])
def test_forward_matches_numpy(n, dtype, layout, device):
    rng = np.random.default_rng(n)
    a = well_conditioned(rng, (2, 3, n, n))
    b = rng.standard_normal((2, 3, n, 2))
    s = spd(rng, (3, n, n))
    A, B, S = make(a, dtype, layout, device), make(b, dtype, layout, device), make(s, dtype, layout, device)
    close(LA.solve(A, B), np.linalg.solve(a, b), dtype)
    close(LA.inv(A), np.linalg.inv(a), dtype)
    sgn, logabs = np.linalg.slogdet(a)
    # det of A / n: A's own det (~n^n) overflows float32 at n = 33, as torch's does
    np.testing.assert_allclose(LA.det(A / n).cpu().numpy() / np.linalg.det(a / n), 1, rtol=TOL[dtype]["rtol"] * n)
    close(LA.slogdet(A).sign, sgn, dtype)
    close(LA.slogdet(A).logabsdet, logabs, dtype)
    close(LA.cholesky(S), np.linalg.cholesky(s), dtype)
    close(LA.cholesky(S, upper=True), np.swapaxes(np.linalg.cholesky(s), -1, -2), dtype)
    for upper in (False, True):
        for unit in (False, True):
            close(LA.solve_triangular(A, B, upper=upper, unitriangular=unit), tri_ref(a, b, upper, unit), dtype)
    close(fastdl.cholesky_solve(B[0], LA.cholesky(S)), np.linalg.solve(s, b[0]), dtype)


@pytest.mark.parametrize("shapes", [((4, 4), (4, 3)), ((2, 1, 4, 4), (3, 4, 2)), ((4, 4), (5, 4, 1)),
                                    ((3, 4, 4), (1, 4, 2)), ((3, 4, 4), (4,)), ((3, 4, 4), (3, 4)),
                                    ((0, 4, 4), (0, 4, 1)), ((0, 0), (0, 2))])
def test_solve_broadcasts_batches_and_vectors(shapes):
    rng = np.random.default_rng(1)
    sa, sb = shapes
    a, b = well_conditioned(rng, sa), rng.standard_normal(sb)
    got = LA.solve(make(a), make(b))
    want = (np.linalg.solve(a, b[..., None])[..., 0] if len(sb) == 1 or sb == sa[:-1]
            else np.linalg.solve(np.broadcast_to(a, np.broadcast_shapes(sa[:-2], sb[:-2]) + sa[-2:]), b)
            if a.size else np.zeros(np.broadcast_shapes(sa[:-2], sb[:-2]) + sb[-2:]))
    assert tuple(got.shape) == want.shape
    close(got, want, "float64")


def test_left_false_solves_from_the_right():
    rng = np.random.default_rng(2)
    a, b = well_conditioned(rng, (2, 5, 5)), rng.standard_normal((2, 3, 5))
    A, B = make(a), make(b)
    close(LA.solve(A, B, left=False), np.swapaxes(np.linalg.solve(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2)),
                                                  -1, -2), "float64")
    for upper in (False, True):
        want = b @ np.linalg.inv(np.triu(a) if upper else np.tril(a))
        close(LA.solve_triangular(A, B, upper=upper, left=False), want, "float64")
    v = rng.standard_normal(5)
    close(LA.solve(A, make(v), left=False), v @ np.linalg.inv(a), "float64")  # a row vector x A = v


def test_many_matrices_run_on_threads_like_one():
    """A batch big enough for parallel_for: each matrix as if alone."""
    rng = np.random.default_rng(3)
    a, b = well_conditioned(rng, (96, 33, 33)), rng.standard_normal((96, 33, 4))
    close(LA.solve(make(a), make(b)), np.linalg.solve(a, b), "float64")
    s = spd(rng, (96, 33, 33))
    close(LA.cholesky(make(s)), np.linalg.cholesky(s), "float64")


def test_det_slogdet_logdet_special_values():
    sing = np.array([[1.0, 2.0], [2.0, 4.0]])
    neg = np.array([[0.0, 1.0], [1.0, 0.0]])  # det -1 (one row swap)
    A = make(np.stack([sing, neg, np.eye(2)]))
    np.testing.assert_array_equal(LA.det(A).numpy(), [0.0, -1.0, 1.0])
    sgn, logabs = LA.slogdet(A)
    np.testing.assert_array_equal(sgn.numpy(), [0.0, -1.0, 1.0])
    np.testing.assert_array_equal(logabs.numpy(), [-np.inf, 0.0, 0.0])
    ld = fastdl.logdet(A).numpy()
    assert ld[0] == -np.inf and np.isnan(ld[1]) and ld[2] == 0.0
    assert LA.det(make(np.zeros((0, 0)))).item() == 1.0  # the empty product, as torch


def test_cholesky_reads_only_the_lower_triangle():
    rng = np.random.default_rng(4)
    s = spd(rng, (3, 6, 6))
    garbage = s + np.triu(rng.standard_normal((6, 6)) * 100, 1)
    close(LA.cholesky(make(garbage)), np.linalg.cholesky(s), "float64")


def test_solve_triangular_reads_only_its_triangle():
    rng = np.random.default_rng(5)
    a, b = well_conditioned(rng, (6, 6)), rng.standard_normal((6, 2))
    noisy = np.tril(a) + np.triu(rng.standard_normal((6, 6)) * 1e3, 1)
    close(LA.solve_triangular(make(noisy), make(b), upper=False), tri_ref(a, b, False), "float64")


def test_lu_factor_reconstructs_a():
    rng = np.random.default_rng(6)
    a = rng.standard_normal((3, 7, 7))  # no dominant diagonal: pivoting needed
    LU, piv = LA.lu_factor(make(a))
    assert piv.dtype is fastdl.int64 and tuple(piv.shape) == (3, 7)
    lu, p = LU.numpy(), piv.numpy()
    for m in range(3):
        lower, upper = np.tril(lu[m], -1) + np.eye(7), np.triu(lu[m])
        perm = np.arange(7)
        for k in range(7):  # LAPACK: row k was swapped with row p[k] - 1, in order
            perm[[k, p[m, k] - 1]] = perm[[p[m, k] - 1, k]]
        np.testing.assert_allclose((lower @ upper)[np.argsort(perm)], a[m], atol=1e-12)
        assert np.all(np.abs(np.tril(lu[m], -1)) <= 1 + 1e-15)  # partial pivoting bounds L


# ---------------------------------------------------------------- the raw kernels
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_kernel_pivots_a_permutation_matrix(dtype):
    a = make([[0.0, 1.0], [1.0, 0.0]], dtype)
    piv, info = fastdl.empty(2, dtype=fastdl.int64), fastdl.empty((), dtype=fastdl.int64)
    _C.cpu.lu_factor(a, piv, info)  # in place
    np.testing.assert_array_equal(a.numpy(), np.eye(2))
    np.testing.assert_array_equal(piv.numpy(), [2, 2])
    assert info.item() == 0
    b = make([[3.0], [5.0]], dtype)
    _C.cpu.lu_solve(a, piv, b)
    np.testing.assert_array_equal(b.numpy(), [[5.0], [3.0]])


def test_kernel_pivoting_keeps_a_tiny_pivot_accurate():
    # without the row swap the 1e-20 pivot would give x = [0, 1]
    x = LA.solve(make([[1e-20, 1.0], [1.0, 1.0]]), make([1.0, 2.0])).numpy()
    np.testing.assert_allclose(x, [1.0, 1.0], rtol=1e-15)


def test_kernel_info_reports_the_pivot_and_the_minor():
    a = make(np.stack([np.eye(3), np.diag([1.0, 1.0, 0.0])]))
    piv, info = fastdl.empty((2, 3), dtype=fastdl.int64), fastdl.empty(2, dtype=fastdl.int64)
    _C.cpu.lu_factor(a, piv, info)
    np.testing.assert_array_equal(info.numpy(), [0, 3])
    s = make(np.stack([np.eye(3), np.diag([1.0, -1.0, 1.0]), np.diag([1.0, 1.0, np.nan])]))
    info = fastdl.empty(3, dtype=fastdl.int64)
    _C.cpu.cholesky(s, info)
    np.testing.assert_array_equal(info.numpy(), [0, 2, 3])


def test_kernel_argument_checks():
    f64, i64 = fastdl.float64, fastdl.int64
    a, piv, info = fastdl.zeros(2, 3, 3, dtype=f64), fastdl.empty(2, 3, dtype=i64), fastdl.empty(2, dtype=i64)
    with pytest.raises(ValueError, match=r"lu_factor: A must be batches of square matrices .*float64\[2, 3, 4\]"):
        _C.cpu.lu_factor(fastdl.zeros(2, 3, 4, dtype=f64), piv, info)
    with pytest.raises(TypeError, match=r"lu_factor: expected A to be float32 or float64, got int64"):
        _C.cpu.lu_factor(fastdl.zeros(2, 3, 3, dtype=i64), piv, info)
    with pytest.raises(TypeError, match=r"cholesky: expected A to be float32 or float64, got float16"):
        _C.cpu.cholesky(fastdl.zeros(3, 3, dtype=fastdl.float16), fastdl.empty((), dtype=i64))
    with pytest.raises(ValueError, match=r"lu_factor: A must be contiguous"):
        _C.cpu.lu_factor(fastdl.zeros(3, 2, 3, dtype=f64).transpose(0, 1), piv, info)
    with pytest.raises(ValueError, match=r"lu_factor: pivots must have shape \[2, 3\], got int64\[3\]"):
        _C.cpu.lu_factor(a, fastdl.empty(3, dtype=i64), info)
    with pytest.raises(TypeError, match=r"lu_factor: info must be int64"):
        _C.cpu.lu_factor(a, piv, fastdl.empty(2, dtype=f64))
    with pytest.raises(ValueError, match=r"lu_solve: B must be \(\.\.\., n, k\) with A's batch dims"):
        _C.cpu.lu_solve(a, piv, fastdl.zeros(3, 3, 1, dtype=f64))
    with pytest.raises(TypeError, match=r"solve_triangular: B must have A's dtype"):
        _C.cpu.solve_triangular(a, fastdl.zeros(2, 3, 1), True, False)


# ---------------------------------------------------------------- gradients
def _t(x):
    return fastdl.tensor(x).requires_grad_()


@pytest.mark.parametrize("n", [1, 2, 3, 8])
def test_gradcheck(n):
    rng = np.random.default_rng(10 + n)
    A, B = _t(well_conditioned(rng, (2, n, n))), _t(rng.standard_normal((2, n, 3)))
    A1, v = _t(well_conditioned(rng, (n, n))), _t(rng.standard_normal(n))
    S = _t(spd(rng, (2, n, n)))
    sym = lambda s: (s + s.mT) * 0.5  # noqa: E731  cholesky reads one triangle: differentiate on symmetric input
    assert gradcheck(lambda a, b: LA.solve(a, b), (A, B))
    assert gradcheck(lambda a, b: LA.solve(a, b), (A1, B))  # broadcast A
    assert gradcheck(lambda a, b: LA.solve(a, b), (A, v))  # vector rhs
    assert gradcheck(lambda a, b: LA.solve(a, b.mT, left=False), (A, B))
    assert gradcheck(LA.inv, (A,))
    assert gradcheck(lambda a: LA.lu_factor(a).LU, (_t(rng.standard_normal((2, n, n))),))  # with row swaps
    assert gradcheck(LA.det, (A,))
    assert gradcheck(lambda a: LA.slogdet(a).logabsdet, (A,))
    assert gradcheck(fastdl.logdet, (S,))
    assert gradcheck(lambda s: LA.cholesky(sym(s)), (S,))
    assert gradcheck(lambda s: LA.cholesky(sym(s), upper=True), (S,))
    for upper in (False, True):
        for unit in (False, True):
            assert gradcheck(lambda a, b: LA.solve_triangular(a, b, upper=upper, unitriangular=unit), (A, B))
            assert gradcheck(lambda a, b: LA.solve_triangular(a, b.mT, upper=upper, left=False,
                                                              unitriangular=unit), (A1, B))
    assert gradcheck(lambda s, b: fastdl.cholesky_solve(b, LA.cholesky(sym(s))), (S, B))
    assert gradcheck(lambda s, b: fastdl.cholesky_solve(b, LA.cholesky(sym(s), upper=True), upper=True), (S, B))


def test_triangular_gradient_stays_in_the_triangle():
    rng = np.random.default_rng(7)
    A, B = _t(well_conditioned(rng, (4, 4))), _t(rng.standard_normal((4, 2)))
    LA.solve_triangular(A, B, upper=True, unitriangular=True).sum().backward()
    np.testing.assert_array_equal(np.tril(A.grad.numpy()), 0)


# ---------------------------------------------------------------- errors
def test_argument_errors():
    f, i = fastdl.float64, fastdl.int64
    with pytest.raises(ValueError, match=r"linalg.inv: A must be batches of square matrices .*\[2, 3\]"):
        LA.inv(fastdl.zeros(2, 3, dtype=f))
    with pytest.raises(ValueError, match=r"linalg.det: A must be batches of square matrices"):
        LA.det(fastdl.zeros(3, dtype=f))
    with pytest.raises(TypeError, match=r"linalg.cholesky: expected A to be float32 or float64, got int64"):
        LA.cholesky(fastdl.zeros(2, 2, dtype=i))
    with pytest.raises(TypeError, match=r"linalg.solve: expected A to be float32 or float64, got float16"):
        LA.solve(fastdl.zeros(2, 2, dtype=fastdl.float16), fastdl.zeros(2, 1, dtype=fastdl.float16))
    with pytest.raises(TypeError, match=r"linalg.solve: expected A and B to have the same dtype"):
        LA.solve(fastdl.eye(2, dtype=f), fastdl.zeros(2, 1))
    with pytest.raises(ValueError, match=r"linalg.solve: incompatible shapes of A float64\[3, 3\] and B"):
        LA.solve(fastdl.eye(3, dtype=f), fastdl.zeros(2, 1, dtype=f))
    with pytest.raises(ValueError, match=r"linalg.solve: shapes \[2\] and \[3\] cannot be broadcast"):
        LA.solve(fastdl.zeros(2, 3, 3, dtype=f), fastdl.zeros(3, 3, 1, dtype=f))
    with pytest.raises(ValueError, match=r"linalg.solve_triangular: incompatible shapes"):
        LA.solve_triangular(fastdl.eye(3, dtype=f), fastdl.zeros(3, 2, dtype=f), upper=True, left=False)
    with pytest.raises(ValueError, match=r"cholesky_solve: incompatible shapes of L float64\[3, 3\]"):
        fastdl.cholesky_solve(fastdl.zeros(2, 1, dtype=f), fastdl.eye(3, dtype=f))
    with pytest.raises(TypeError, match=r"linalg.solve: expected B to be a Tensor"):
        LA.solve(fastdl.eye(2, dtype=f), [1.0, 2.0])


def test_singular_and_indefinite_raise_linalg_error():
    assert issubclass(LA.LinAlgError, RuntimeError)
    a = np.stack([np.eye(3), np.diag([1.0, 0.0, 1.0])])
    with pytest.raises(LA.LinAlgError, match=r"linalg.inv: \(Batch element 1\): The diagonal element 2 is zero"):
        LA.inv(make(a))
    with pytest.raises(LA.LinAlgError, match=r"linalg.solve: \(Batch element 1\): .* singular"):
        LA.solve(make(a), make(np.ones((2, 3, 1))))
    with pytest.raises(LA.LinAlgError, match=r"^linalg.solve: The diagonal element 1 is zero"):
        LA.solve(make(np.zeros((2, 2))), make(np.ones(2)))
    s = np.stack([np.eye(3), np.eye(3), np.diag([1.0, 1.0, -1.0])])
    with pytest.raises(LA.LinAlgError, match=r"linalg.cholesky: \(Batch element 2\): .*not positive-definite "
                                            r"\(the leading minor of order 3 is not positive-definite\)"):
        LA.cholesky(make(s))


def test_top_level_names_and_methods():
    rng = np.random.default_rng(8)
    a, s = well_conditioned(rng, (2, 4, 4)), spd(rng, (4, 4))
    A, S = make(a), make(s)
    close(fastdl.inverse(A), np.linalg.inv(a), "float64")
    close(A.inverse(), np.linalg.inv(a), "float64")
    close(fastdl.det(A), np.linalg.det(a), "float64")
    close(A.det(), np.linalg.det(a), "float64")
    close(A.slogdet().logabsdet, np.linalg.slogdet(a)[1], "float64")
    close(fastdl.slogdet(A)[0], np.linalg.slogdet(a)[0], "float64")
    close(S.logdet(), np.log(np.linalg.det(s)), "float64")
    close(fastdl.cholesky(S), np.linalg.cholesky(s), "float64")
    close(S.cholesky(True), np.linalg.cholesky(s).T, "float64")
    close(fastdl.cholesky(S, upper=True), np.linalg.cholesky(s).T, "float64")


# ---------------------------------------------------------------- torch parity
def _pair(x):
    torch = pytest.importorskip("torch")
    return fastdl.tensor(x).requires_grad_(), torch.tensor(x, requires_grad=True)


CASES = {
    "solve": (lambda m, a, b: m.linalg.solve(a, b), "A", "B"),
    "solve_left_false": (lambda m, a, b: m.linalg.solve(a, b.mT, left=False), "A", "B"),
    "solve_vector": (lambda m, a, b: m.linalg.solve(a, b[..., 0]), "A", "B"),
    "inv": (lambda m, a: m.linalg.inv(a), "A"),
    "lu_factor": (lambda m, a: m.linalg.lu_factor(a - 5 * m.eye(5, dtype=a.dtype))[0], "A"),
    "det": (lambda m, a: m.linalg.det(a), "A"),
    "slogdet": (lambda m, a: m.linalg.slogdet(a)[1] + m.linalg.slogdet(a)[0], "A"),
    "logdet": (lambda m, a: m.logdet(a), "S"),
    "cholesky": (lambda m, a: m.linalg.cholesky(a), "S"),
    "cholesky_upper": (lambda m, a: m.linalg.cholesky(a, upper=True), "S"),
    "solve_triangular": (lambda m, a, b: m.linalg.solve_triangular(a, b, upper=True), "A", "B"),
    "solve_triangular_unit_right": (lambda m, a, b: m.linalg.solve_triangular(a, b.mT, upper=False, left=False,
                                                                              unitriangular=True), "A", "B"),
    "cholesky_solve": (lambda m, s, b: m.cholesky_solve(b, m.linalg.cholesky(s)), "S", "B"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_torch_parity_values_and_gradients(case):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    data = {"A": well_conditioned(rng, (2, 5, 5)), "B": rng.standard_normal((2, 5, 3)), "S": spd(rng, (2, 5, 5))}
    fn, *names = CASES[case]
    pairs = [_pair(data[k]) for k in names]
    ours, theirs = fn(fastdl, *[p[0] for p in pairs]), fn(torch, *[p[1] for p in pairs])
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    w = rng.standard_normal(tuple(theirs.shape))
    (ours * fastdl.tensor(w)).sum().backward()
    (theirs * torch.tensor(w)).sum().backward()
    for p in pairs:
        np.testing.assert_allclose(p[0].grad.numpy(), p[1].grad.numpy(), rtol=1e-9, atol=1e-10)


def test_torch_parity_lu_factor_and_errors():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(11).standard_normal((3, 6, 6))
    LU, piv = LA.lu_factor(make(a))
    tLU, tpiv = torch.linalg.lu_factor(torch.tensor(a))
    np.testing.assert_allclose(LU.numpy(), tLU.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(piv.numpy(), tpiv.numpy())
    sing = np.diag([1.0, 0.0])
    for ours, theirs in [(lambda: LA.inv(make(sing)), lambda: torch.linalg.inv(torch.tensor(sing))),
                         (lambda: LA.cholesky(make(-np.eye(2))), lambda: torch.linalg.cholesky(-torch.eye(2)))]:
        with pytest.raises(torch.linalg.LinAlgError) as t_err:
            theirs()
        with pytest.raises(LA.LinAlgError) as f_err:
            ours()
        assert str(f_err.value) == str(t_err.value)
    np.testing.assert_array_equal(LA.det(make(sing)).numpy(), torch.linalg.det(torch.tensor(sing)).numpy())


# ---------------------------------------------------------------- qr and eigh
QR_SHAPES = [(1, 1), (3, 3), (5, 3), (3, 5), (2, 8, 8), (2, 33, 5), (3, 4, 33)]


@pytest.mark.parametrize("shape", QR_SHAPES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "sliced"])
def test_qr_matches_numpy(shape, dtype, layout, device):
    rng = np.random.default_rng(sum(shape))
    a = rng.standard_normal(shape)
    m, n = shape[-2:]
    for mode in ("reduced", "complete", "r"):
        Q, R = LA.qr(make(a, dtype, layout, device), mode=mode)
        want_q, want_r = np.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
        close(R, want_r, dtype)  # LAPACK's reflectors: the same signs as NumPy / torch
        if mode == "r":
            assert tuple(Q.shape) == (0,)
        else:
            close(Q, want_q, dtype)
            np.testing.assert_allclose(matmul_np(Q, R), a, **TOL[dtype])
    assert np.all(np.tril(LA.qr(make(a, dtype, layout, device)).R.cpu().numpy(), -1) == 0)


def matmul_np(Q, R):
    return Q.cpu().numpy().astype(np.float64) @ R.cpu().numpy().astype(np.float64)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_eigh_matches_numpy(n, dtype, layout, device):
    rng = np.random.default_rng(n)
    x = rng.standard_normal((2, n, n))
    s = x + np.swapaxes(x, -1, -2)
    noisy = np.tril(s) + np.triu(rng.standard_normal((n, n)) * 100, 1)  # only UPLO's triangle is read
    for uplo, inp in (("L", noisy), ("U", np.swapaxes(noisy, -1, -2))):
        w, V = LA.eigh(make(inp, dtype, layout, device), UPLO=uplo)
        close(w, np.linalg.eigvalsh(s), dtype)
        v = V.cpu().numpy().astype(np.float64)
        tol = TOL[dtype]["atol"] * n
        np.testing.assert_allclose(v @ np.swapaxes(v, -1, -2), np.broadcast_to(np.eye(n), s.shape), atol=tol)
        np.testing.assert_allclose(s @ v, v * w.cpu().numpy()[..., None, :], atol=tol * n)


def test_eigh_repeated_and_diagonal_input():
    w, V = LA.eigh(make(np.diag([3.0, 1.0, 2.0, 1.0])))
    np.testing.assert_array_equal(w.numpy(), [1.0, 1.0, 2.0, 3.0])
    np.testing.assert_array_equal(np.abs(V.numpy()).sum(0), [1, 1, 1, 1])  # permuted unit vectors
    w, _ = LA.eigh(make(np.ones((3, 3))))
    np.testing.assert_allclose(w.numpy(), [0.0, 0.0, 3.0], atol=1e-14)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_eigh_kernel_reports_input_it_cannot_handle(bad):
    with pytest.raises(LA.LinAlgError, match=r"linalg.eigh: \(Batch element 1\): The algorithm failed to converge"):
        LA.eigh(make(np.stack([np.eye(2), np.full((2, 2), bad)]), "float32"))


@pytest.mark.parametrize("scale", [1e-30, 1e25])
def test_qr_eigh_scale_huge_and_tiny_float32_entries(scale):
    """Sums of squares of such entries overflow or vanish in float32: the kernels scale."""
    rng = np.random.default_rng(15)
    x = rng.standard_normal((6, 6))
    s = x + x.T
    w = LA.eigh(make(s * scale, "float32")).eigenvalues.numpy().astype(np.float64)
    np.testing.assert_allclose(w / scale, np.linalg.eigvalsh(s), rtol=1e-4, atol=1e-4)
    Q, R = LA.qr(make(x * scale, "float32"))
    np.testing.assert_allclose(matmul_np(Q, R) / scale, x, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(R.numpy() / scale, np.linalg.qr(x)[1], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape", [(4, 4), (2, 5, 3), (2, 3, 5), (1, 6, 1)])
def test_qr_gradcheck(shape):
    A = _t(np.random.default_rng(12).standard_normal(shape))
    assert gradcheck(lambda a: LA.qr(a), (A,))
    if shape[-2] <= shape[-1]:
        assert gradcheck(lambda a: LA.qr(a, mode="complete"), (A,))


@pytest.mark.parametrize("n", [1, 2, 5])
def test_eigh_gradcheck(n):
    x = np.random.default_rng(13).standard_normal((2, n, n))
    S = _t(x + np.swapaxes(x, -1, -2) + np.diag(np.arange(n) * 3.0))  # well-separated eigenvalues
    sym = lambda s: (s + s.mT) * 0.5  # noqa: E731
    # eigenvectors up to sign: a sign-invariant function of them
    assert gradcheck(lambda s: (lambda r: (r.eigenvalues, r.eigenvectors * r.eigenvectors[..., :1, :]))(
        LA.eigh(sym(s))), (S,))
    assert gradcheck(lambda s: LA.eigh(sym(s), UPLO="U").eigenvalues, (S,))


def test_qr_eigh_errors():
    with pytest.raises(ValueError, match="linalg.qr: qr received unrecognized mode 'full'"):
        LA.qr(fastdl.zeros(3, 3), mode="full")
    with pytest.raises(ValueError, match=r"linalg.qr: A must be batches of matrices"):
        LA.qr(fastdl.zeros(3))
    with pytest.raises(TypeError, match="linalg.qr: expected A to be float32 or float64, got int64"):
        LA.qr(fastdl.zeros(3, 3, dtype=fastdl.int64))
    with pytest.raises(ValueError, match="linalg.eigh: A must be batches of square matrices"):
        LA.eigh(fastdl.zeros(3, 2))
    with pytest.raises(ValueError, match="linalg.eigh: UPLO must be 'L' or 'U'"):
        LA.eigh(fastdl.eye(2), UPLO="X")
    with pytest.raises(RuntimeError, match="not differentiable when mode='complete' and nrows > ncols"):
        LA.qr(_t(np.ones((3, 2))), mode="complete").Q.sum().backward()
    with pytest.raises(RuntimeError, match="not computed when mode='r'"):
        LA.qr(_t(np.ones((3, 2))), mode="r").R.sum().backward()
    with pytest.raises(ValueError, match=r"qr: Q must be \(\.\.\., m, c\) with c <= m = 2"):
        _C.cpu.qr(fastdl.zeros(2, 2), fastdl.empty(2), fastdl.empty(2, 3))
    with pytest.raises(ValueError, match=r"eigh: eigenvectors must have shape \[2, 2\]"):
        _C.cpu.eigh(fastdl.zeros(2, 2), fastdl.empty(2), fastdl.empty(2), fastdl.empty((), dtype=fastdl.int64))


@pytest.mark.parametrize("case", ["qr_tall", "qr_wide", "eigh"])
def test_torch_parity_qr_eigh(case):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(14)
    x = rng.standard_normal((2, 5, 3) if case == "qr_tall" else (2, 3, 5) if case == "qr_wide" else (2, 4, 4))
    if case == "eigh":
        x = x + np.swapaxes(x, -1, -2)
    ours, theirs = _pair(x)
    if case == "eigh":  # eigenvectors agree up to sign: compare |V| and a sign-invariant loss
        (w, V), (tw, tV) = LA.eigh(ours), torch.linalg.eigh(theirs)
        np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(np.abs(V.detach().numpy()), np.abs(tV.detach().numpy()), atol=1e-10)
        f, tf = (w.sum() + (V * V[..., :1, :]).sum() * 2), (tw.sum() + (tV * tV[..., :1, :]).sum() * 2)
    else:
        (Q, R), (tQ, tR) = LA.qr(ours), torch.linalg.qr(theirs)
        for a, b in ((Q, tQ), (R, tR)):
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)
        w = rng.standard_normal(tuple(tQ.shape))
        f, tf = (Q * fastdl.tensor(w)).sum() + R.sum(), (tQ * torch.tensor(w)).sum() + tR.sum()
    f.backward()
    tf.backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-8, atol=1e-10)
