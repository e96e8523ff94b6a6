"""complex64 / complex128, the completeness sweep: cumsum, the var / std family (real
results), any / all / nonzero, the transcendental functions, linear algebra (solve, inv,
det, slogdet, logdet, svdvals, eigvalsh, norms, vdot / vecdot), F.linear, the angle
gradient at 0, in-place ops under autograd, double backward, and the ops that refuse
complex (as torch's do) - against complex128 NumPy and, where installed, torch."""
import math
import warnings

import numpy as np
import pytest

import fastdl
import fastdl.nn.functional as F
from fastdl.testing import gradcheck

C64, C128 = fastdl.complex64, fastdl.complex128


def crand(*shape, seed=0):
    r = np.random.default_rng(seed)
    return r.standard_normal(shape) + 1j * r.standard_normal(shape)


def well_conditioned(n, seed=0, batch=()):
    return crand(*batch, n, n, seed=seed) + 3 * np.eye(n)


def close(got, want, tol=1e-10):
    got = got.numpy() if isinstance(got, fastdl.Tensor) else got
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def _through_real(fn):
    """fn of complex inputs as a function of their (..., 2) real views (gradcheck is real)."""
    def g(*rs):
        out = fn(*(fastdl.view_as_complex(r) for r in rs))
        outs = out if isinstance(out, tuple) else (out,)
        res = tuple(fastdl.view_as_real(o) if o.dtype.is_complex else o for o in outs)
        return res if isinstance(out, tuple) else res[0]
    return g


def real_view(a, seed=0):
    return fastdl.tensor(np.stack([a.real, a.imag], -1), dtype=fastdl.float64, requires_grad=True)


# ---- reductions and cumulative ops --------------------------------------------------------------

@pytest.mark.parametrize("dtype", [C64, C128])
def test_cumsum_var_std_any_all_nonzero(dtype):
    tol = 1e-5 if dtype is C64 else 1e-12
    a = crand(3, 4, seed=1)
    z = fastdl.tensor(a, dtype=dtype)
    a = a.astype(np.complex64 if dtype is C64 else np.complex128)
    close(z.cumsum(1), np.cumsum(a, 1), tol)
    close(fastdl.cumsum(z, 0), np.cumsum(a, 0), tol)
    assert z.cumsum(0).dtype is dtype
    rd = fastdl.float32 if dtype is C64 else fastdl.float64
    for corr in (0, 1):
        v = z.var(1, correction=corr)
        assert v.dtype is rd  # real, as torch
        close(v, np.var(a, 1, ddof=corr), tol)
        close(z.std(correction=corr), np.std(a, ddof=corr), tol)
    vv, mm = fastdl.var_mean(z, 0)
    close(vv, np.var(a, 0, ddof=1), tol)
    close(mm, a.mean(0), tol)
    ss, mm = fastdl.std_mean(z, dim=1, keepdim=True)
    close(ss, np.std(a, 1, ddof=1, keepdims=True), tol)
    w = fastdl.tensor([[0j, 1j], [0j, 0j]], dtype=dtype)
    assert w.any().item() and not w.all().item() and w.any(1).tolist() == [True, False]
    assert fastdl.tensor([1j, 2 + 0j], dtype=dtype).all().item()
    assert w.nonzero().tolist() == [[0, 1]] and fastdl.count_nonzero(w).item() == 1
    assert fastdl.argwhere(w).tolist() == [[0, 1]]


def test_cumsum_var_gradients():
    a = crand(2, 3, seed=2)
    assert gradcheck(_through_real(lambda z: z.cumsum(1)), (real_view(a),))
    assert gradcheck(_through_real(lambda z: z.var(0)), (real_view(a),))
    assert gradcheck(_through_real(lambda z: z.std()), (real_view(a),))


# ---- elementwise --------------------------------------------------------------------------------

UNARY = ["sin", "cos", "tan", "sinh", "cosh", "tanh", "sigmoid", "expm1", "log1p", "exp2", "asinh", "acosh", "atanh",
         "asin", "acos", "atan", "log2", "log10"]


def _np_unary(name, a):
    return {"sigmoid": lambda x: 1 / (1 + np.exp(-x)), "exp2": lambda x: 2 ** x, "asin": np.arcsin,
            "acos": np.arccos, "atan": np.arctan, "asinh": np.arcsinh, "acosh": np.arccosh,
            "atanh": np.arctanh}.get(name, getattr(np, name, None))(a)


@pytest.mark.parametrize("name", UNARY)
def test_unary_matches_numpy_and_gradcheck(name):
    a = crand(2, 3, seed=3) * 0.8
    z = fastdl.tensor(a)
    out = getattr(fastdl, name)(z)
    assert out.dtype is C128
    close(out, _np_unary(name, a), 1e-10)
    close(getattr(z, name)(), _np_unary(name, a), 1e-10)
    small = fastdl.tensor(crand(4, seed=4) * 1e-9)  # expm1 / log1p keep the precision near 0
    if name in ("expm1", "log1p"):
        s = small.numpy()
        # (Taylor series: NumPy's complex log1p / expm1 lose these digits)
        want = s + s * s / 2 + s ** 3 / 6 if name == "expm1" else s - s * s / 2 + s ** 3 / 3
        np.testing.assert_allclose(getattr(small, name)().numpy(), want, rtol=1e-12)
    assert gradcheck(_through_real(lambda u: getattr(u, name)()), (real_view(a),))
    assert getattr(fastdl, name)(fastdl.tensor(a.astype(np.complex64))).dtype is C64


def test_tanh_large_real_part_is_finite():
    out = fastdl.tensor([400 + 1j, -400 + 0.5j]).tanh().numpy()
    np.testing.assert_allclose(out, np.tanh(np.array([400 + 1j, -400 + 0.5j])), atol=1e-6)


def test_float_power_and_ldexp():
    a, b = crand(3, seed=5), crand(3, seed=6)
    z = fastdl.tensor(a.astype(np.complex64))
    p = fastdl.float_power(z, fastdl.tensor(b))
    assert p.dtype is C128
    close(p, a.astype(np.complex64).astype(np.complex128) ** b, 1e-10)
    assert fastdl.float_power(z, 2).dtype is C128
    close(fastdl.ldexp(fastdl.tensor(a), fastdl.tensor([1.0, 2.0, 3.0], dtype=fastdl.float64)), a * [2, 4, 8])


def test_angle_gradient_is_zero_at_zero():
    z = fastdl.tensor([0j, 1 + 1j, -1 + 0j], dtype=C128, requires_grad=True)
    out = z.angle()
    close(out.detach(), [0.0, math.pi / 4, math.pi])
    out.sum().backward()
    g = z.grad.numpy()
    assert np.isfinite(g).all() and g[0] == 0
    close(g[1], -0.5 + 0.5j)  # d angle / d(re, im) = (-im, re) / |z|^2, as re + i im
    assert fastdl.angle(fastdl.tensor([complex(-0.0, 0.0)], dtype=C128)).item() == math.atan2(0.0, -0.0)


# ---- linear algebra -----------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [C64, C128])
def test_linalg_matches_numpy(dtype):
    tol = 1e-4 if dtype is C64 else 1e-10
    A = well_conditioned(3, seed=7, batch=(2,))
    B = crand(2, 3, 2, seed=8)
    a, b = fastdl.tensor(A, dtype=dtype), fastdl.tensor(B, dtype=dtype)
    close(fastdl.linalg.solve(a, b), np.linalg.solve(A, B), tol)
    close(fastdl.linalg.solve(a, b[..., 0]), np.linalg.solve(A, B[..., :1])[..., 0], tol)
    close(fastdl.linalg.solve(a, b.mT, left=False), np.linalg.solve(A.transpose(0, 2, 1), B).transpose(0, 2, 1), tol)
    close(fastdl.linalg.inv(a), np.linalg.inv(A), tol)
    close(fastdl.inverse(a), np.linalg.inv(A), tol)
    assert fastdl.linalg.inv(a).dtype is dtype
    P = A.copy()
    P[1] = P[1][[2, 0, 1]]  # a pivot order that swaps rows
    close(fastdl.linalg.det(fastdl.tensor(P, dtype=dtype)), np.linalg.det(P), tol)
    s, la = fastdl.linalg.slogdet(fastdl.tensor(P, dtype=dtype))
    ns, nla = np.linalg.slogdet(P)
    close(s, ns, tol)
    close(la, nla, tol)
    assert la.dtype is (fastdl.float32 if dtype is C64 else fastdl.float64) and s.dtype is dtype
    close(fastdl.logdet(fastdl.tensor(P, dtype=dtype)), np.log(np.linalg.det(P)), tol)
    sing = fastdl.tensor([[1 + 1j, 2 + 2j], [1 + 1j, 2 + 2j]], dtype=dtype)
    assert abs(fastdl.linalg.det(sing).item()) == 0
    assert fastdl.linalg.slogdet(sing)[1].item() == -math.inf
    close(fastdl.linalg.svdvals(a), np.linalg.svd(A, compute_uv=False), tol)
    H = A @ A.conj().transpose(0, 2, 1)
    close(fastdl.linalg.eigvalsh(fastdl.tensor(H, dtype=dtype)), np.linalg.eigvalsh(H), tol * 10)
    close(fastdl.linalg.eigvalsh(fastdl.tensor(H, dtype=dtype), UPLO="U"), np.linalg.eigvalsh(H, UPLO="U"), tol * 10)
    close(fastdl.linalg.vector_norm(a), np.linalg.norm(A.ravel()), tol)
    close(fastdl.linalg.vector_norm(a, 1, dim=-1), np.abs(A).sum(-1), tol)
    close(fastdl.linalg.matrix_norm(a), np.linalg.norm(A, "fro", axis=(-2, -1)), tol)
    close(fastdl.linalg.matrix_norm(a, "nuc"), np.linalg.norm(A, "nuc", axis=(-2, -1)), tol)
    close(fastdl.linalg.matrix_norm(a, 2), np.linalg.norm(A, 2, axis=(-2, -1)), tol)
    close(fastdl.linalg.matrix_norm(a, float("inf")), np.linalg.norm(A, np.inf, axis=(-2, -1)), tol)
    close(fastdl.linalg.norm(a[0]), np.linalg.norm(A[0]), tol)
    assert fastdl.linalg.norm(a).dtype is (fastdl.float32 if dtype is C64 else fastdl.float64)
    close(fastdl.norm(a), np.linalg.norm(A.ravel()), tol)
    v, w = crand(3, seed=9), crand(3, seed=10)
    close(fastdl.vdot(fastdl.tensor(v, dtype=dtype), fastdl.tensor(w, dtype=dtype)), np.vdot(v, w), tol)
    close(fastdl.linalg.vecdot(a, b[..., 0:1].mT), (A.conj() * B[..., 0:1].transpose(0, 2, 1)).sum(-1), tol)
    close(fastdl.adjoint(a), A.conj().transpose(0, 2, 1), tol)
    W, bias, X = crand(4, 3, seed=11), crand(4, seed=12), crand(2, 3, seed=13)
    close(F.linear(fastdl.tensor(X, dtype=dtype), fastdl.tensor(W, dtype=dtype), fastdl.tensor(bias, dtype=dtype)),
          X @ W.T + bias, tol)


def test_linalg_gradcheck():
    A, B = well_conditioned(3, seed=14), crand(3, 2, seed=15)
    ra, rb = real_view(A), real_view(B)
    assert gradcheck(_through_real(lambda a, b: fastdl.linalg.solve(a, b)), (ra, rb))
    assert gradcheck(_through_real(lambda a: fastdl.linalg.inv(a)), (ra,))
    assert gradcheck(_through_real(lambda a: fastdl.linalg.det(a)), (ra,))
    assert gradcheck(_through_real(lambda a: fastdl.linalg.slogdet(a)), (ra,))
    assert gradcheck(_through_real(lambda a: fastdl.linalg.vector_norm(a)), (ra,))
    assert gradcheck(_through_real(lambda a, b: F.linear(a, b.mT)), (ra, rb))


# ---- in-place ops under autograd --------------------------------------------------------------

def test_inplace_ops_on_complex_keep_the_input_for_backward():
    a, b = crand(3, seed=16), crand(3, seed=17)
    w = fastdl.tensor(b)
    for inplace, outplace in [(lambda y: y.exp_(), lambda y: y.exp()), (lambda y: y.mul_(w), lambda y: y * w),
                              (lambda y: y.div_(w), lambda y: y / w), (lambda y: y.sqrt_(), lambda y: y.sqrt()),
                              (lambda y: y.reciprocal_(), lambda y: y.reciprocal())]:
        grads = []
        for f in (inplace, outplace):
            z = fastdl.tensor(a, requires_grad=True)
            y = z.clone()
            y = f(y)
            (fastdl.view_as_real(y) ** 2).sum().backward()
            grads.append(z.grad.numpy())
        close(grads[0], grads[1])
    z = fastdl.tensor(a, requires_grad=True)
    y = z.clone()
    y.exp_()
    y.abs().sum().backward()
    close(z.grad, np.exp(a.real))  # |e^z| = e^x: the gradient is real


# ---- errors ------------------------------------------------------------------------------------

@pytest.mark.parametrize("op", [
    lambda z: z < z, lambda z: z > 1, lambda z: fastdl.atan2(z, z), lambda z: fastdl.copysign(z, z),
    lambda z: fastdl.nansum(z), lambda z: z.trunc(), lambda z: fastdl.fix(z), lambda z: fastdl.isposinf(z),
    lambda z: fastdl.xlogy(z, z), lambda z: fastdl.deg2rad(z), lambda z: fastdl.logit(z),
    lambda z: fastdl.unique_consecutive(z), lambda z: F.mse_loss(z, z), lambda z: z.erf(),
    lambda z: F.interpolate(z.reshape(1, 1, 4), size=8),
])
def test_ops_torch_refuses_raise_type_error(op):
    z = fastdl.tensor([1 + 1j, 2 - 1j, 0j, 3 + 0j])
    with pytest.raises(TypeError, match="complex"):
        op(z)


def test_inplace_abs_of_complex_raises_and_gaps_name_the_op():
    z = fastdl.tensor([1 + 1j, 2 - 1j])
    with pytest.raises(RuntimeError, match="abs_.*complex64"):
        z.abs_()
    for fn, name in [(fastdl.logsumexp, "logsumexp"), (fastdl.trapezoid, "trapezoid"), (fastdl.cov, "cov")]:
        with pytest.raises(TypeError, match=f"{name}.*complex64"):
            fn(z, 0) if name == "logsumexp" else fn(z)
    with pytest.raises(ValueError, match="square"):
        fastdl.linalg.inv(fastdl.ones(2, 3, dtype=C64))
    with pytest.raises(ValueError, match="square"):
        fastdl.linalg.det(fastdl.ones(2, 3, dtype=C128))


# ---- torch parity: values, dtypes, gradients, double backward -----------------------------------

def _tc(torch, x):
    return x.detach().resolve_conj().numpy()


TORCH_OPS = [
    ("cumsum", lambda m, z, w: m.cumsum(z, 1)), ("var", lambda m, z, w: z.var(0)),
    ("std_mean", lambda m, z, w: m.std_mean(z, 1)[0] + m.std_mean(z, 1)[1].real),
    ("sin", lambda m, z, w: z.sin()), ("tanh", lambda m, z, w: m.tanh(z)), ("acosh", lambda m, z, w: z.acosh()),
    ("atan", lambda m, z, w: m.atan(z)), ("sigmoid", lambda m, z, w: m.sigmoid(z)),
    ("expm1", lambda m, z, w: m.expm1(z)), ("log1p", lambda m, z, w: m.log1p(z)),
    ("solve", lambda m, z, w: m.linalg.solve(z, w)), ("inv", lambda m, z, w: m.linalg.inv(z)),
    ("det", lambda m, z, w: m.linalg.det(z)), ("slogdet", lambda m, z, w: m.linalg.slogdet(z)[0] * 2),
    ("logabsdet", lambda m, z, w: m.linalg.slogdet(z)[1]), ("logdet", lambda m, z, w: m.logdet(z)),
    ("svdvals", lambda m, z, w: m.linalg.svdvals(z)),
    ("eigvalsh", lambda m, z, w: m.linalg.eigvalsh(z @ z.mH)),
    ("norm", lambda m, z, w: m.linalg.norm(z)), ("matrix_norm", lambda m, z, w: m.linalg.matrix_norm(z, 1)),
    ("vecdot", lambda m, z, w: m.linalg.vecdot(z, w)), ("linear", lambda m, z, w: m.nn.functional.linear(z, w)),
    ("angle", lambda m, z, w: m.angle(z * m.tensor([[0, 1, 1]] * 3, dtype=z.dtype))),
    ("float_power", lambda m, z, w: m.float_power(z, 2)),
]


@pytest.mark.parametrize("name,fn", TORCH_OPS, ids=[n for n, _ in TORCH_OPS])
def test_values_and_gradients_match_torch(name, fn):
    torch = pytest.importorskip("torch")
    A, B = well_conditioned(3, seed=18), crand(3, 3, seed=19)
    outs = []
    for m in (fastdl, torch):
        z, w = m.tensor(A, requires_grad=True), m.tensor(B, requires_grad=True)
        out = fn(m, z, w)
        loss = out.abs().sum() if out.dtype.is_complex else out.sum()
        loss.backward()
        outs.append((out, z.grad, w.grad))
    (fo, fz, fw), (to, tz, tw) = outs
    assert fo.dtype.name == str(to.dtype).split(".")[1] and tuple(fo.shape) == tuple(to.shape)
    close(fo.detach(), _tc(torch, to), 1e-9)
    close(fz, _tc(torch, tz), 1e-7)
    assert (fw is None) == (tw is None)
    if tw is not None:
        close(fw, _tc(torch, tw), 1e-7)


DOUBLE = [("mul", lambda z, w: z * w), ("div", lambda z, w: z / w), ("abs", lambda z, w: z.abs() * w),
          ("exp", lambda z, w: z.exp()), ("matmul", lambda z, w: z @ w), ("sum_sq", lambda z, w: (z * z).sum() + w)]


@pytest.mark.parametrize("name,fn", DOUBLE, ids=[n for n, _ in DOUBLE])
def test_double_backward_matches_torch(name, fn):
    torch = pytest.importorskip("torch")
    A, B = crand(2, 2, seed=20), crand(2, 2, seed=21)
    res = []
    for m in (fastdl, torch):
        z, w = m.tensor(A, requires_grad=True), m.tensor(B, requires_grad=True)
        out = fn(z, w)
        loss = out.abs().pow(2).sum() if out.dtype.is_complex else out.pow(2).sum()
        gz, = m.autograd.grad(loss, z, create_graph=True)
        second = (m.view_as_real(gz) ** 2).sum() if gz.dtype.is_complex else (gz ** 2).sum()
        ggz, ggw = m.autograd.grad(second, (z, w), allow_unused=True)
        res.append((gz, ggz, ggw))
    (fg, fgz, fgw), (tg, tgz, tgw) = res
    close(fg.detach(), _tc(torch, tg), 1e-9)
    close(fgz, _tc(torch, tgz), 1e-8)
    if tgw is None:
        assert fgw is None or np.abs(fgw.numpy()).max() == 0
    else:
        close(fgw, _tc(torch, tgw), 1e-8)


def test_refusals_agree_with_torch():
    torch = pytest.importorskip("torch")
    for name in ("lt", "gt", "atan2", "copysign", "nansum", "trunc", "isposinf", "xlogy", "deg2rad", "logit"):
        z = [1 + 1j, 2 - 1j]
        args = (lambda m: (m.tensor(z),)) if name in ("nansum", "trunc", "isposinf", "deg2rad", "logit") \
            else (lambda m: (m.tensor(z), m.tensor(z)))
        with pytest.raises((RuntimeError, TypeError)):
            getattr(torch, name)(*args(torch))
        with pytest.raises(TypeError):
            getattr(fastdl, name)(*args(fastdl))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert torch.tensor([1j]).eq(torch.tensor([1j])).item() and fastdl.tensor([1j]).eq(fastdl.tensor([1j])).item()
