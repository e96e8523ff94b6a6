"""Regressions for the fuzz driver's "gap" / "mismatch" cases (tests/fuzz_ops.py): calls
torch accepts that fastdl refused, or answered with other values. Each cause: a few
inputs, values against NumPy (or by hand) and against torch where it is installed."""
import math
import warnings

import numpy as np
import pytest

import fastdl

F = fastdl.nn.functional
RNG = np.random.default_rng(7)
A34 = RNG.standard_normal((3, 4)).astype(np.float32)
B4 = RNG.standard_normal(4).astype(np.float32)


def T(a, **kw):
    return fastdl.tensor(np.asarray(a), **kw)


def torch_or_skip():
    return pytest.importorskip("torch")


# ---- out= on the top-level fronts (ops/out_arg.py) ----------------------------------

OUT_CASES = [
    ("add", (A34, B4), np.add),
    ("mul", (A34, B4), np.multiply),
    ("sin", (A34,), np.sin),
    ("atan2", (A34, B4), np.arctan2),
    ("eq", (A34, A34), np.equal),
    ("clamp_min", (A34, B4), np.maximum),
]


@pytest.mark.parametrize("name,args,ref", OUT_CASES, ids=[c[0] for c in OUT_CASES])
def test_out_writes_and_returns_out(name, args, ref):
    out = fastdl.zeros(3, 4)
    res = getattr(fastdl, name)(*[T(a) for a in args], out=out)
    assert res is out
    np.testing.assert_allclose(out.numpy(), ref(*args).astype(np.float32), rtol=1e-6)
    torch = torch_or_skip()
    tout = torch.zeros(3, 4)
    getattr(torch, name)(*[torch.tensor(a) for a in args], out=tout)
    np.testing.assert_allclose(out.numpy(), tout.numpy(), rtol=1e-6)


def test_out_empty_is_resized_and_tuple_out():
    out = fastdl.zeros(0)
    fastdl.exp(T(A34), out=out)
    assert tuple(out.shape) == (3, 4)
    np.testing.assert_allclose(out.numpy(), np.exp(A34), rtol=1e-6)
    v, i = fastdl.zeros(0), fastdl.zeros(0, dtype=fastdl.int64)
    r = fastdl.max(T(A34), 1, out=(v, i))
    assert r.values is v and r.indices is i
    np.testing.assert_array_equal(v.numpy(), A34.max(1))
    np.testing.assert_array_equal(i.numpy(), A34.argmax(1))


@pytest.mark.parametrize("call,exc,msg", [
    (lambda: fastdl.sin(T(A34), out=fastdl.zeros(5)), RuntimeError, r"sin: out has shape \[5\], expected \[3, 4\]"),
    (lambda: fastdl.sin(T(A34), out=fastdl.zeros(3, 4, dtype=fastdl.int64)), RuntimeError,
     "result type float32 can't be cast to the desired output type int64"),
    (lambda: fastdl.add(T(A34, requires_grad=True), 1.0, out=fastdl.zeros(3, 4)), RuntimeError,
     "don't support automatic differentiation"),
    (lambda: fastdl.sin(T(A34), out=3), TypeError, "argument 'out' must be Tensor"),
])
def test_out_bad(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()


def test_out_keeps_hot_fronts():
    # the C++ matmul front and the Tensor operators are not wrapped
    assert fastdl.matmul is fastdl.Tensor.__dict__["__matmul__"]
    assert not hasattr(fastdl.Tensor.add, "__wrapped_no_out__")


# ---- dim 0 / -1 of a 0-d tensor ---------------------------------------------------------

ZERO_D = [
    ("sum", lambda x, d: fastdl.sum(x, d), 0.7),
    ("amax", lambda x, d: fastdl.amax(x, d), 0.7),
    ("amin", lambda x, d: x.amin(d), 0.7),
    ("mean", lambda x, d: fastdl.mean(x, d), 0.7),
    ("logsumexp", lambda x, d: fastdl.logsumexp(x, d), 0.7),
    ("nansum", lambda x, d: fastdl.nansum(x, d), 0.7),
    ("argmax", lambda x, d: fastdl.argmax(x, d), 0),
    ("argmin", lambda x, d: x.argmin(d), 0),
    ("max_values", lambda x, d: fastdl.max(x, d).values, 0.7),
    ("min_indices", lambda x, d: fastdl.min(x, d).indices, 0),
    ("any", lambda x, d: fastdl.any(x, d), True),
    ("var", lambda x, d: fastdl.var(x, d), math.nan),
]


@pytest.mark.parametrize("name,fn,want", ZERO_D, ids=[z[0] for z in ZERO_D])
@pytest.mark.parametrize("dim", [0, -1])
def test_zero_d_dim(name, fn, want, dim):
    x = fastdl.tensor(0.7, dtype=fastdl.float64)
    r = fn(x, dim)
    assert r.ndim == 0
    v = r.item()
    assert (math.isnan(v) and math.isnan(want)) or v == pytest.approx(want)
    with pytest.raises(IndexError, match="dimension out of range"):
        fn(x, 1)
    torch = torch_or_skip()
    tfn = {"sum": torch.sum, "amax": torch.amax, "mean": torch.mean, "logsumexp": torch.logsumexp,
           "nansum": torch.nansum, "argmax": torch.argmax, "any": torch.any}.get(name)
    if tfn is not None:
        t = tfn(torch.tensor(0.7, dtype=torch.float64), dim)
        assert str(t.dtype).split(".")[1] == str(r.dtype).split(".")[1].replace("bool_", "bool")
        assert t.item() == pytest.approx(v)


def test_zero_d_max_dim_gradient():
    x = fastdl.tensor(0.7, dtype=fastdl.float64, requires_grad=True)
    (fastdl.max(x, 0).values * 3).backward()
    assert x.grad.item() == 3.0


# ---- float // and % by an integer zero ------------------------------------------------

@pytest.mark.parametrize("name,ref", [("floor_divide", np.floor_divide), ("remainder", np.remainder),
                                      ("fmod", np.fmod)])
@pytest.mark.parametrize("zero", ["int", "int_tensor"])
def test_float_by_integer_zero(name, ref, zero):
    a = np.array([1.5, -2.0, 0.0, np.inf], np.float32)
    b = 0 if zero == "int" else T(np.zeros(4, np.int64))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = ref(a, np.zeros(4, np.float32))
    got = getattr(fastdl, name)(T(a), b).numpy()
    np.testing.assert_array_equal(got, want)
    with pytest.raises(ZeroDivisionError, match=f"{name}: integer division by zero"):
        getattr(fastdl, name)(T(np.array([3, 4])), b)
    torch = torch_or_skip()
    tb = 0 if zero == "int" else torch.zeros(4, dtype=torch.int64)
    np.testing.assert_array_equal(got, getattr(torch, name)(torch.tensor(a), tb).numpy())


# ---- bool maximum / minimum / max / min / clamp --------------------------------------

BA = np.array([[True, False, False], [False, False, True]])
BB = np.array([[True, True, False], [False, True, False]])
BOOL_CASES = [
    ("maximum", lambda L, a, b: L.maximum(a, b), np.logical_or(BA, BB)),
    ("minimum", lambda L, a, b: L.minimum(a, b), np.logical_and(BA, BB)),
    ("amax", lambda L, a, b: L.amax(a, 1), BA.any(1)),
    ("amin", lambda L, a, b: L.amin(a, 0), BA.all(0)),
    ("max_all", lambda L, a, b: L.max(a), np.array(True)),
    ("max_dim", lambda L, a, b: L.max(a, 1).values, BA.any(1)),
    ("min_dim_idx", lambda L, a, b: L.min(a, 1).indices, BA.argmin(1)),
    ("clamp", lambda L, a, b: L.clamp(a, b), np.logical_or(BA, BB)),
]


@pytest.mark.parametrize("name,fn,want", BOOL_CASES, ids=[c[0] for c in BOOL_CASES])
def test_bool_max_min(name, fn, want):
    got = fn(fastdl, T(BA), T(BB))
    np.testing.assert_array_equal(got.numpy(), want)
    torch = torch_or_skip()
    t = fn(torch, torch.tensor(BA), torch.tensor(BB))
    assert str(t.dtype).split(".")[1] == str(got.dtype).split(".")[1].replace("bool_", "bool")
    np.testing.assert_array_equal(got.numpy(), t.numpy())


# ---- mixed dtypes promote (kron, addr, inner with a 0-d operand) ---------------------

@pytest.mark.parametrize("name,fn,ref", [
    ("kron_f32_f64", lambda L, a, b: L.kron(a, b.double()), lambda a, b: np.kron(a, b.astype(np.float64))),
    ("kron_i64_f32", lambda L, a, b: L.kron(a.long(), b), lambda a, b: np.kron(a.astype(np.int64), b)),
    ("inner_0d", lambda L, a, b: L.inner(L.tensor(2.0, dtype=L.float64), b), lambda a, b: 2.0 * b),
    ("addr", lambda L, a, b: L.addr(a[:, :1], a[:, 0].double(), b[0].double()),
     lambda a, b: a[:, :1] + np.outer(a[:, 0].astype(np.float64), b[0].astype(np.float64))),
])
def test_mixed_dtypes_promote(name, fn, ref):
    a = np.round(A34 * 2)
    b = A34[:2, :2]
    got = fn(fastdl, T(a), T(b))
    want = ref(a.astype(np.float32) if "i64" not in name else a, b)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-6)
    torch = torch_or_skip()
    t = fn(torch, torch.tensor(a), torch.tensor(b))
    assert str(t.dtype).split(".")[1] == str(got.dtype).split(".")[1]
    np.testing.assert_allclose(got.numpy(), t.numpy(), rtol=1e-6)


@pytest.mark.parametrize("other", [2.5, 0])
def test_inner_refuses_a_number(other):
    with pytest.raises(TypeError, match="inner"):
        fastdl.inner(T(A34), other)


# ---- wrong values / dtypes ------------------------------------------------------------

def test_acosh_large_negative_is_nan():
    x = np.array([-1e30, -5e4, -2.0, 0.5, 1.0, 2.0, 1e30], np.float32)
    got = fastdl.acosh(T(x)).numpy()
    with np.errstate(invalid="ignore"):
        np.testing.assert_allclose(got, np.arccosh(x.astype(np.float64)), rtol=1e-6, equal_nan=True)
    torch = torch_or_skip()
    np.testing.assert_allclose(got, torch.acosh(torch.tensor(x)).numpy(), rtol=1e-6, equal_nan=True)


def test_frexp_exponent_int32():
    x = np.array([0.0, 1.0, -3.5, 1e-3, 1024.0], np.float32)
    m, e = fastdl.frexp(T(x))
    rm, re = np.frexp(x)
    assert e.dtype is fastdl.int32
    np.testing.assert_array_equal(e.numpy(), re)
    np.testing.assert_array_equal(m.numpy(), rm)


@pytest.mark.parametrize("eps", [float("nan"), None])
def test_logit_nan_eps_clamps_nothing(eps):
    x = np.array([0.0, 0.3, 1.0, 2.0], np.float32)
    got = fastdl.logit(T(x), eps).numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        np.testing.assert_allclose(got, np.log(x / (1 - x)), rtol=1e-6, equal_nan=True)


# ---- missing argument forms -----------------------------------------------------------

def test_histogram_default_bins():
    h, edges = fastdl.histogram(T(A34))
    assert tuple(h.shape) == (100,) and tuple(edges.shape) == (101,)
    nh, ne = np.histogram(A34, 100)
    np.testing.assert_array_equal(h.numpy(), nh)
    np.testing.assert_allclose(edges.numpy(), ne, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("args,shape,dtype", [
    ((T(A34),), (3, 4), "float32"),
    ((T(A34, dtype=fastdl.float64), 2.0), (3, 4), "float64"),
    ((T(A34), T(np.abs(B4))), (3, 4), "float32"),
    ((0.5, T(np.abs(B4), dtype=fastdl.float64)), (4,), "float64"),
])
def test_normal_tensor_forms(args, shape, dtype):
    r = fastdl.normal(*args)
    assert tuple(r.shape) == shape and r.dtype.name == dtype
    assert np.isfinite(r.numpy()).all()


def test_normal_std_zero_is_mean_and_bad():
    np.testing.assert_array_equal(fastdl.normal(T(A34), 0).numpy(), A34)
    with pytest.raises(RuntimeError, match="std >= 0"):
        fastdl.normal(T(A34), -1.0)
    with pytest.raises(TypeError, match="normal: expected a floating point"):
        fastdl.normal(T(np.arange(3)))


@pytest.mark.parametrize("dtype,value,want", [("float32", 5, 5.0), ("int64", 2.7, 2), ("float32", True, 1.0),
                                              ("int64", -1, -1)])
def test_copy_number(dtype, value, want):
    x = fastdl.zeros(2, 3, dtype=getattr(fastdl, dtype))
    assert x.copy_(value) is x
    np.testing.assert_array_equal(x.numpy(), np.full((2, 3), want))
    torch = torch_or_skip()
    t = torch.zeros(2, 3, dtype=getattr(torch, dtype)).copy_(value)
    np.testing.assert_array_equal(x.numpy(), t.numpy())


def test_copy_converts_down_and_refuses_strings():
    x = fastdl.zeros(2, dtype=fastdl.int64)
    x.copy_(T(np.array([-1.5, 3.9], np.float32)))
    np.testing.assert_array_equal(x.numpy(), [-1, 3])
    with pytest.raises(TypeError, match="copy_: expected a Tensor, got str"):
        x.copy_("a")


def test_igamma_integer_operand_promotes():
    a, x = np.array([1, 2, 3]), np.array([0.5, 1.0, 4.0], np.float32)
    got = fastdl.igamma(T(a), T(x))
    assert got.dtype is fastdl.float32
    # P(1, x) = 1 - e^-x; P(2, x) = 1 - e^-x (1 + x); P(3, x) = 1 - e^-x (1 + x + x^2 / 2)
    want = [1 - math.exp(-0.5), 1 - math.exp(-1) * 2, 1 - math.exp(-4) * (1 + 4 + 8)]
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5)
    with pytest.raises(NotImplementedError, match="igamma: not implemented for int64"):
        fastdl.igamma(T(a), T(a))


@pytest.mark.parametrize("name,call", [
    ("slice_scatter", lambda L, x, s: L.slice_scatter(x, s, 0, 0, 1)),
    ("select_scatter", lambda L, x, s: L.select_scatter(x, s[0], 0, 0)),
])
def test_view_scatter_casts_src(name, call):
    x = np.zeros((3, 4), np.float32)
    s = np.arange(4, dtype=np.int64).reshape(1, 4) + 1
    got = call(fastdl, T(x), T(s))
    assert got.dtype is fastdl.float32
    want = x.copy()
    want[0] = s[0]
    np.testing.assert_array_equal(got.numpy(), want)
    src = T(np.ones((1, 4)), dtype=fastdl.float64, requires_grad=True)
    call(fastdl, T(x), src).sum().backward()
    assert src.grad.dtype is fastdl.float64
    np.testing.assert_array_equal(src.grad.numpy(), np.ones((1, 4)))


@pytest.mark.parametrize("fn,inp,size,shape", [
    (F.adaptive_max_pool1d, (2, 3, 4), 0, (2, 3, 0)),
    (F.adaptive_max_pool2d, (2, 3, 4), (0, 2), (2, 0, 2)),
    (F.adaptive_max_pool1d, (0, 3), 5, (0, 5)),
])
def test_adaptive_max_pool_empty_results(fn, inp, size, shape):
    x = fastdl.randn(*inp, requires_grad=True)
    r, idx = fn(x, size, return_indices=True)
    assert tuple(r.shape) == shape and tuple(idx.shape) == shape and idx.dtype is fastdl.int64
    r.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(inp))
    with pytest.raises(ValueError, match="output_size must be non-negative"):
        fn(x, -1)


def test_split_zero_of_empty_dim():
    parts = fastdl.split(fastdl.zeros(0, 3), 0)
    assert len(parts) == 1 and tuple(parts[0].shape) == (0, 3)
    with pytest.raises(ValueError, match="0 only for an empty dim"):
        fastdl.split(fastdl.zeros(3, 3), 0)


@pytest.mark.parametrize("make", [lambda x: x.t(), lambda x: x[:, ::2], lambda x: x[:1].expand(3, 4)])
def test_detach_inplace_of_view_raises(make):
    x = T(A34)
    with pytest.raises(RuntimeError, match="Can't detach views in-place"):
        make(x).detach_()
    y = T(A34, requires_grad=True) * 2
    assert y.detach_() is y and not y.requires_grad


# ---- fuzz "garbage?" / "odd_exc" cases, session 32: arguments torch refuses ---------

@pytest.mark.parametrize("call,exc,msg", [
    (lambda: fastdl.normal(0.0, -1.0, size=(3,)), RuntimeError, r"expects std >= 0\.0, but found std -1"),
    (lambda: fastdl.normal(0.0, float("nan"), size=(3,)), RuntimeError, "but found std nan"),
    (lambda: fastdl.normal(fastdl.zeros(3), float("nan")), RuntimeError, "but found std nan"),
    (lambda: fastdl.normal(fastdl.zeros(3), T([1.0, float("nan"), 1.0])), RuntimeError, "all elements of std"),
    (lambda: T(A34).to_sparse(0), RuntimeError, "sparse_dim must be > 0"),
    (lambda: T(A34).to_sparse(3), RuntimeError, r"sparse_dim must be in \[0, 2\], got 3"),
    (lambda: T(A34).to_sparse(-1), RuntimeError, r"sparse_dim must be in \[0, 2\], got -1"),
    (lambda: T(A34).to_sparse(1.5), TypeError, "sparse_dim must be an int"),
    (lambda: fastdl.spmm(1, T(A34)), TypeError, "spmm: input must be a Tensor, got int"),
    (lambda: fastdl.embedding_renorm_(T(A34), 1, 1.0, 2.0), TypeError, "indices must be a Tensor, got int"),
    (lambda: fastdl.get_device_module(T(A34)), RuntimeError, "invalid value of device"),
    (lambda: fastdl.get_device_module(3), RuntimeError, "invalid value of device 3"),
])
def test_refused_arguments_raise_like_torch(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()


def test_accepted_arguments_still_work():
    x = T(A34)
    assert x.to_sparse() is x and x.to_sparse(2) is x and x.to_sparse(1) is x
    assert fastdl.get_device_module("cpu") is fastdl.cpu and fastdl.get_device_module(fastdl.device("cpu")) is fastdl.cpu
    assert fastdl.get_device_module() is fastdl.cuda
    fastdl.manual_seed(0)
    assert fastdl.normal(0.0, 0.0, size=(4,)).numpy().tolist() == [0.0] * 4
    assert tuple(fastdl.normal(fastdl.zeros(3), T([1.0, 0.0, 2.0])).shape) == (3,)
