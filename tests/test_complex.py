"""complex64 / complex128: storage (copy, fill, conversion, DLPack, NumPy, save / load,
printing), promotion, views (view_as_real / view_as_complex, .real / .imag), arithmetic
against NumPy, autograd against torch's convention (gradcheck through view_as_real, and
torch's own complex gradients), and the ops that refuse complex operands."""
import warnings

import numpy as np
import pytest

import fastdl
from fastdl.testing import gradcheck

C64, C128 = fastdl.complex64, fastdl.complex128


def crand(*shape, seed=0, dtype=np.complex128):
    r = np.random.default_rng(seed)
    return (r.standard_normal(shape) + 1j * r.standard_normal(shape)).astype(dtype)


def ct(a, requires_grad=False):
    return fastdl.tensor(a, requires_grad=requires_grad)


# ---- dtype, storage, conversion ----------------------------------------------------------------

def test_dtype_objects_and_names():
    assert fastdl.cfloat is C64 and fastdl.cdouble is C128
    assert C64.itemsize == 8 and C128.itemsize == 16 and C64.code == 10 and C128.code == 11
    assert C64.is_complex and not C64.is_floating_point
    assert fastdl.zeros(2, dtype="complex64").dtype is C64 and fastdl.zeros(1, dtype=complex).dtype is C128
    assert fastdl.zeros(1, dtype=np.complex64).dtype is C64


def test_tensor_from_python_and_numpy_round_trip():
    t = fastdl.tensor([1 + 2j, 3 - 1j])
    assert t.dtype is C64 and t.is_complex() and fastdl.is_complex(t) and not t.is_floating_point()
    assert t.tolist() == [1 + 2j, 3 - 1j] and t[1].item() == 3 - 1j
    a = crand(3, 4)
    u = fastdl.from_numpy(a)
    assert u.dtype is C128
    np.testing.assert_array_equal(u.numpy(), a)
    np.testing.assert_array_equal(np.asarray(u.t()), a.T)  # a strided view


def test_copy_fill_and_real_conversion():
    x = fastdl.tensor([1.5, -2.0])
    z = x.to(C64)
    np.testing.assert_array_equal(z.numpy(), [1.5 + 0j, -2 + 0j])
    assert x.cfloat().dtype is C64 and x.cdouble().dtype is C128
    assert fastdl.tensor([1, 2]).to(C128).tolist() == [1 + 0j, 2 + 0j]
    w = fastdl.tensor([1 + 2j, -3.5 - 1j])
    with pytest.warns(UserWarning, match="discards the imaginary part"):
        r = w.to(fastdl.float32)
    assert r.tolist() == [1.0, -3.5]
    with pytest.warns(UserWarning):
        assert w.to(fastdl.bool_).tolist() == [True, True]
    np.testing.assert_array_equal(w.to(C128).to(C64).numpy(), w.numpy())
    f = fastdl.full((2, 2), 1 - 2j)
    assert f.dtype is C64 and f.tolist() == [[1 - 2j] * 2] * 2
    assert fastdl.full((2,), 3, dtype=C128).tolist() == [3 + 0j] * 2
    assert fastdl.zeros(2, dtype=C64).tolist() == [0j, 0j] and fastdl.ones(1, dtype=C128).tolist() == [1 + 0j]
    c = w.clone()
    c[0] = 5 - 5j
    assert c.tolist() == [5 - 5j, -3.5 - 1j] and w[0].item() == 1 + 2j
    assert fastdl.where(fastdl.tensor([True, False]), w, c).tolist() == [1 + 2j, -3.5 - 1j]


def test_randn_complex_parts_have_half_variance():
    fastdl.manual_seed(0)
    z = fastdl.randn(20000, dtype=C64)
    assert z.dtype is C64
    a = z.numpy()
    assert abs(a.real.var() - 0.5) < 0.03 and abs(a.imag.var() - 0.5) < 0.03


def test_printing_like_torch():
    assert repr(fastdl.tensor([1 + 2j, 3 - 1j])) == "tensor([1.+2.j, 3.-1.j])"
    assert repr(fastdl.tensor([1 + 2j], dtype=C128)) == "tensor([1.+2.j], dtype=fastdl.complex128)"
    assert repr(fastdl.tensor([1.5 + 2j])) == "tensor([1.5000+2.j])"


def test_dlpack_and_save_load(tmp_path):
    a = crand(2, 3)
    t = fastdl.tensor(a)
    np.testing.assert_array_equal(np.from_dlpack(t), a)
    np.testing.assert_array_equal(fastdl.from_dlpack(a).numpy(), a)
    fastdl.save({"z": t, "w": t.to(C64)}, tmp_path / "c.safetensors")
    back = fastdl.load(tmp_path / "c.safetensors")
    assert back["z"].dtype is C128 and back["w"].dtype is C64
    np.testing.assert_array_equal(back["z"].numpy(), a)


def test_dlpack_with_torch():
    torch = pytest.importorskip("torch")
    a = crand(3, seed=3, dtype=np.complex64)
    tt = torch.utils.dlpack.from_dlpack(fastdl.tensor(a))
    assert tt.dtype == torch.complex64
    np.testing.assert_array_equal(tt.numpy(), a)
    back = fastdl.from_dlpack(torch.tensor(a))
    assert back.dtype is C64


def test_promotion_table():
    f32, f64 = fastdl.ones(2), fastdl.ones(2, dtype=fastdl.float64)
    c64, c128 = fastdl.ones(2, dtype=C64), fastdl.ones(2, dtype=C128)
    rt = fastdl.result_type
    assert rt(f64, c64) is C128 and rt(f32, c64) is C64 and rt(c64, c128) is C128
    assert rt(f64, 1j) is C128 and rt(f32, 1j) is C64 and rt(fastdl.ones(2, dtype=fastdl.int64), 1j) is C64
    assert rt(c64, fastdl.tensor(1.0, dtype=fastdl.float64)) is C64  # a 0-d float64: category only
    assert rt(f64, fastdl.tensor(1j)) is C128
    assert rt(f32, fastdl.tensor(1j, dtype=C128)) is C64
    assert fastdl.promote_types(fastdl.float64, C64) is C128


def test_promotion_matches_torch():
    torch = pytest.importorskip("torch")
    names = ["float32", "float64", "int64", "complex64", "complex128", "float16", "bool"]
    for x in names:
        for y in names:
            for zero in (False, True):
                a = fastdl.ones(2, dtype=getattr(fastdl, x if x != "bool" else "bool_"))
                b = fastdl.ones((), dtype=getattr(fastdl, y if y != "bool" else "bool_")) if zero else \
                    fastdl.ones(2, dtype=getattr(fastdl, y if y != "bool" else "bool_"))
                ta = torch.ones(2, dtype=getattr(torch, x))
                tb = torch.ones((), dtype=getattr(torch, y)) if zero else torch.ones(2, dtype=getattr(torch, y))
                want = str(torch.result_type(ta, tb)).split(".")[1]
                if want != "complex32":  # fastdl has no complex32 (float16 with complex: complex64)
                    assert fastdl.result_type(a, b).name == want, (x, y, zero)
        a = fastdl.ones(2, dtype=getattr(fastdl, x if x != "bool" else "bool_"))
        want = str(torch.result_type(torch.ones(2, dtype=getattr(torch, x)), 2j)).split(".")[1]
        if want != "complex32":  # fastdl has no complex32: float16 with a complex number gives complex64
            assert fastdl.result_type(a, 2j).name == want, x


# ---- views ----------------------------------------------------------------------------------------

def test_view_as_real_and_complex_share_memory():
    z = ct(crand(2, 3))
    r = fastdl.view_as_real(z)
    assert tuple(r.shape) == (2, 3, 2) and r.dtype is fastdl.float64 and r.stride() == (6, 2, 1)
    np.testing.assert_array_equal(r.numpy()[..., 1], z.numpy().imag)
    r[0, 0, 1] = 7.0
    assert z[0, 0].item().imag == 7.0
    back = fastdl.view_as_complex(r)
    assert back.dtype is C128 and back.data_ptr() == z.data_ptr()
    zt = z.t()  # a strided complex view
    np.testing.assert_array_equal(fastdl.view_as_real(zt).numpy()[..., 0], z.numpy().real.T)


def test_real_imag_views_and_setters():
    z = ct(crand(3))
    a = z.numpy().copy()
    np.testing.assert_array_equal(z.real.numpy(), a.real)
    np.testing.assert_array_equal(fastdl.imag(z).numpy(), a.imag)
    z.imag[0] = 5.0
    assert z[0].item() == complex(a[0].real, 5.0)
    z.real = fastdl.tensor([1.0, 2.0, 3.0], dtype=fastdl.float64)
    np.testing.assert_array_equal(z.numpy().real, [1, 2, 3])


def test_complex_polar_conj_abs_angle_sgn():
    re, im = fastdl.tensor([1.0, -2.0, 0.0]), fastdl.tensor([2.0, 0.5, 0.0])
    z = fastdl.complex(re, im)
    want = re.numpy() + 1j * im.numpy()
    np.testing.assert_array_equal(z.numpy(), want)
    np.testing.assert_allclose(fastdl.abs(z).numpy(), np.abs(want), rtol=1e-6)
    np.testing.assert_allclose(z.angle().numpy(), np.angle(want), rtol=1e-6)
    np.testing.assert_allclose(fastdl.sgn(z).numpy(), np.where(want == 0, 0, want / np.where(want == 0, 1, abs(want))),
                               rtol=1e-6)
    np.testing.assert_array_equal(z.conj().numpy(), want.conj())
    np.testing.assert_array_equal(fastdl.conj_physical(z).numpy(), want.conj())
    assert not z.conj().is_conj() and z.resolve_conj() is z
    p = fastdl.polar(fastdl.tensor([2.0]), fastdl.tensor([np.pi / 2]))
    np.testing.assert_allclose(p.numpy(), [2j], atol=1e-6)
    np.testing.assert_allclose(fastdl.angle(fastdl.tensor([-1.0, 2.0])).numpy(), [np.pi, 0.0])
    m = ct(crand(2, 3))
    np.testing.assert_array_equal(m.mH.numpy(), m.numpy().conj().T)
    np.testing.assert_array_equal(m.H.numpy(), m.numpy().conj().T)


# ---- arithmetic against NumPy -------------------------------------------------------------------

def _np(x):
    return x.numpy() if isinstance(x, fastdl.Tensor) else x


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_arithmetic_matches_numpy(dtype):
    tol = 1e-5 if dtype == np.complex64 else 1e-12
    a, b = crand(3, 4, seed=1, dtype=dtype), crand(4, seed=2, dtype=dtype)
    x, y = ct(a), ct(b)
    real = fastdl.tensor(np.arange(1.0, 5.0), dtype=fastdl.float32 if dtype == np.complex64 else fastdl.float64)
    cases = [(x + y, a + b), (x - y, a - b), (x * y, a * b), (x / y, a / b), (-x, -a), (x * real, a * _np(real)),
             (real / x, _np(real) / a), (x * (2 - 1j), a * (2 - 1j)), ((1 + 1j) / x, (1 + 1j) / a), (x + 2, a + 2),
             (x.exp(), np.exp(a)), (x.log(), np.log(a)), (x.sqrt(), np.sqrt(a)), (x.reciprocal(), 1 / a),
             (x ** 2, a ** 2), (x ** -3, a ** -3.0), (x ** 0.5, a ** 0.5), (x ** 0, a ** 0),
             (fastdl.pow(x, 1.7), a ** 1.7), (x.sum(), a.sum()), (x.sum(0), a.sum(0)), (x.mean(1), a.mean(1)),
             (x.sum(dim=1, keepdim=True), a.sum(1, keepdims=True)), (x.prod(1), a.prod(1)), (x.prod(), a.prod()),
             (x @ y, a @ b), (x.t() @ x, a.T @ a), (fastdl.mm(x, x.t()), a @ a.T),
             (fastdl.bmm(x[None], x.t()[None]), (a @ a.T)[None]), (x @ real, a @ _np(real)),
             (fastdl.cat([x, x]), np.concatenate([a, a])), (fastdl.stack([y, y], 1), np.stack([b, b], 1)),
             (x.reshape(2, 6), a.reshape(2, 6)), (x[1:, ::2], a[1:, ::2]), (x.transpose(0, 1).contiguous(), a.T)]
    for i, (got, want) in enumerate(cases):
        assert got.dtype.name == np.result_type(want).name or np.result_type(want).kind != "c", i
        scale = max(1.0, np.abs(want).max())
        np.testing.assert_allclose(got.numpy(), want, atol=tol * scale * 10, rtol=tol * 10, err_msg=str(i))
    assert (x * 1.5).dtype.name == a.dtype.name
    # float64 with complex64 gives complex128 (torch.result_type)
    assert (ct(a.astype(np.complex64)) * fastdl.ones(4, dtype=fastdl.float64)).dtype is C128


def test_comparisons_and_isclose():
    x = fastdl.tensor([1 + 2j, 3 - 1j, 2 + 0j])
    y = fastdl.tensor([1 + 2j, 3 + 1j, 2 + 0j])
    assert (x == y).tolist() == [True, False, True] and (x != y).tolist() == [False, True, False]
    assert (x == 2).tolist() == [False, False, True] and (x == (3 - 1j)).tolist() == [False, True, False]
    assert fastdl.isclose(x, x + 1e-7).all() and not fastdl.allclose(x, y)
    assert fastdl.allclose(x, x * (1 + 1e-7j))
    assert fastdl.equal(x, x.clone())
    nan = fastdl.tensor([complex(float("nan"), 1.0)])
    assert fastdl.isclose(nan, nan, equal_nan=True).tolist() == [True] and fastdl.isnan(nan).tolist() == [True]


# ---- autograd --------------------------------------------------------------------------------------

def _through_real(fn):
    """fn of complex inputs as a function of their real views (gradcheck is real)."""
    def g(*rs):
        out = fn(*(fastdl.view_as_complex(r) if r.ndim and r.shape[-1] == 2 else r for r in rs))
        return fastdl.view_as_real(out) if out.dtype.is_complex else out
    return g


@pytest.mark.parametrize("name,fn", [
    ("mul", lambda a, b: a * b), ("div", lambda a, b: a / b), ("add_sub", lambda a, b: a + b - 2 * a),
    ("exp_log", lambda a, b: (a.exp() + b.log())), ("sqrt_rec", lambda a, b: a.sqrt() * b.reciprocal()),
    ("pow", lambda a, b: a ** 3 + b ** 1.5), ("abs", lambda a, b: (a * b).abs()), ("angle", lambda a, b: a.angle()),
    ("sum_mean_prod", lambda a, b: a.sum(0) + b.mean() + a.prod(0)), ("matmul", lambda a, b: a @ b.t()),
    ("conj_real_imag", lambda a, b: a.conj() * b.real + b.imag), ("sgn", lambda a, b: a.sgn()),
])
def test_gradcheck_complex(name, fn):
    r = np.random.default_rng(7)
    a = fastdl.tensor(r.standard_normal((2, 3, 2)) + 1.5, dtype=fastdl.float64, requires_grad=True)
    b = fastdl.tensor(r.standard_normal((2, 3, 2)) + 1.5, dtype=fastdl.float64, requires_grad=True)
    assert gradcheck(_through_real(fn), (a, b))


def test_gradients_match_torch():
    torch = pytest.importorskip("torch")
    a, b = crand(2, 3, seed=4), crand(2, 3, seed=5)
    w = np.random.default_rng(6).standard_normal((2, 3))
    ops = [lambda m, x, y: (x * y).abs().sum(), lambda m, x, y: (m.view_as_real(x / y) ** 2).sum(),
           lambda m, x, y: ((x.exp() * y.conj()).real * m.tensor(w)).sum(),
           lambda m, x, y: (x @ y.transpose(0, 1)).imag.sum(), lambda m, x, y: (x.sqrt() + y.log()).abs().sum(),
           lambda m, x, y: (x ** 2 * y.prod()).real.sum(), lambda m, x, y: x.angle().sum() + y.sgn().imag.sum()]
    for i, op in enumerate(ops):
        fa, fb = fastdl.tensor(a, requires_grad=True), fastdl.tensor(b, requires_grad=True)
        op(fastdl, fa, fb).backward()
        ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        op(torch, ta, tb).backward()
        assert fa.grad.dtype is C128
        np.testing.assert_allclose(fa.grad.numpy(), ta.grad.resolve_conj().numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=str(i))
        np.testing.assert_allclose(fb.grad.numpy(), tb.grad.resolve_conj().numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=str(i))


def test_real_input_gets_real_gradient():
    x = fastdl.tensor([1.0, 2.0], dtype=fastdl.float64, requires_grad=True)
    z = x * (1 + 2j)
    assert z.dtype is C128 and z.requires_grad
    fastdl.view_as_real(z).sum().backward()
    assert x.grad.dtype is fastdl.float64
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])
    y = fastdl.tensor([1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (y.to(C64) * 2j).to(fastdl.float32).sum().backward()
    assert y.grad.tolist() == [0.0]


# ---- bad inputs ------------------------------------------------------------------------------------

def test_view_as_complex_and_real_errors():
    with pytest.raises(RuntimeError, match="last dimension of size 2"):
        fastdl.view_as_complex(fastdl.ones(3, 3))
    with pytest.raises(RuntimeError, match="stride 1"):
        fastdl.view_as_complex(fastdl.ones(2, 4).t())
    with pytest.raises(RuntimeError, match="divisible by 2"):
        fastdl.view_as_complex(fastdl.ones(3, 3)[:, :2])
    with pytest.raises(RuntimeError, match="float and double"):
        fastdl.view_as_complex(fastdl.ones(3, 2, dtype=fastdl.int64))
    with pytest.raises(RuntimeError, match="only supported for complex"):
        fastdl.view_as_real(fastdl.ones(3))
    with pytest.raises(RuntimeError, match="same dtype|one dtype"):
        fastdl.complex(fastdl.ones(2), fastdl.ones(2, dtype=fastdl.float64))


@pytest.mark.parametrize("op", [
    lambda z: z.relu(), lambda z: z.max(), lambda z: z < z, lambda z: z.floor(), lambda z: z.erf(),
    lambda z: fastdl.maximum(z, z), lambda z: z.sign(), lambda z: z.lgamma(), lambda z: z >= 1,
])
def test_unsupported_ops_raise_type_error(op):
    z = fastdl.tensor([1 + 1j, 2 - 1j])
    with pytest.raises(TypeError, match="complex"):
        op(z)


def test_advanced_indexing_and_shape_ops():
    a = crand(3, 4, seed=9)
    z = ct(a)
    idx = fastdl.tensor([2, 0, 2])
    np.testing.assert_array_equal(z[idx].numpy(), a[[2, 0, 2]])
    np.testing.assert_array_equal(z[z.real > 0].numpy(), a[a.real > 0])
    np.testing.assert_array_equal(fastdl.flip(z, [1]).numpy(), a[:, ::-1])
    np.testing.assert_array_equal(z.roll(1, 0).numpy(), np.roll(a, 1, 0))
    gi = np.array([[0, 3], [1, 1], [2, 0]])
    np.testing.assert_array_equal(fastdl.gather(z, 1, fastdl.tensor(gi)).numpy(), np.take_along_axis(a, gi, 1))
    w = fastdl.zeros(3, dtype=fastdl.complex128).index_add(0, fastdl.tensor([0, 0]), z[0, :2])
    np.testing.assert_array_equal(w.numpy(), [a[0, 0] + a[0, 1], 0, 0])
    x = fastdl.tensor(a[0], requires_grad=True)
    x[fastdl.tensor([0, 0, 2])].abs().sum().backward()
    want = np.zeros(4, complex)
    want[[0, 2]] = [2 * a[0, 0] / abs(a[0, 0]), a[0, 2] / abs(a[0, 2])]
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-12)


def test_inplace_fill_and_scalar_conversion():
    z = fastdl.tensor([1 + 2j, 3 - 1j])
    w = z.clone()
    w += 1
    w.mul_(2j)
    np.testing.assert_allclose(w.numpy(), (z.numpy() + 1) * 2j)
    assert z.clone().fill_(1 - 1j).tolist() == [1 - 1j] * 2 and z.clone().zero_().tolist() == [0j, 0j]
    assert z.clone().copy_(fastdl.tensor([5.0, 6.0])).tolist() == [5 + 0j, 6 + 0j]
    assert complex(z[1]) == 3 - 1j
    with pytest.raises(TypeError, match="complex value"):
        fastdl.ones(2).fill_(1j)
    x = fastdl.tensor([1 + 2j], requires_grad=True)
    with pytest.raises(RuntimeError, match="real scalar outputs"):
        x.sum().backward()
