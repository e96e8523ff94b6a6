"""The activations added to fastdl.nn.functional / fastdl.nn beyond the elementwise rows
of op_table.py: PyTorch's subgradients at every kink (fixed values, and against torch),
extreme inputs, the in-place forms, prelu / glu / softmin against float64 NumPy and
torch, the modules (reprs, PReLU's parameter and state_dict), the errors, and a CUDA run."""
import math
import warnings

import numpy as np
import pytest

import fastdl
import fastdl.nn as nn
import fastdl.nn.functional as F
from fastdl.testing import gradcheck

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # parity tests skip cleanly without torch
    torch = TF = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")

SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def T(a, grad=False, dtype=fastdl.float64):
    return fastdl.tensor(np.asarray(a, dtype=np.float64), dtype=dtype, requires_grad=grad)


def value_and_grad(fn, x, **kw):
    t = T(x, grad=True)
    y = fn(t, **kw)
    y.sum().backward()
    return y.detach().numpy(), t.grad.numpy()


# ---- gradients at the kinks -----------------------------------------------------------
# (name, kwargs, inputs at and around the kinks, expected values, expected gradients):
# PyTorch's choices, which these compositions reproduce

KINKS = [
    ("hardtanh", {}, [-1.0, 1.0, 0.0, -2.0, 2.0], [-1, 1, 0, -1, 1], [0, 0, 1, 0, 0]),
    ("hardtanh", {"min_val": 0.5, "max_val": 0.5}, [0.0, 0.5, 1.0], [0.5, 0.5, 0.5], [0, 0, 0]),
    ("relu6", {}, [0.0, 6.0, 3.0, -1.0, 7.0], [0, 6, 3, 0, 6], [0, 0, 1, 0, 0]),
    ("hardsigmoid", {}, [-3.0, 3.0, 0.0, -4.0, 4.0], [0, 1, 0.5, 0, 1], [0, 0, 1 / 6, 0, 0]),
    ("hardswish", {}, [-3.0, 3.0, 0.0, -4.0, 4.0], [0, 3, 0, 0, 4], [0, 1, 0.5, 0, 1]),
    ("selu", {}, [0.0], [0.0], [SELU_SCALE * SELU_ALPHA]),
    ("celu", {"alpha": 2.0}, [0.0], [0.0], [1.0]),
    ("prelu_like_leaky", {}, [0.0], [0.0], [0.25]),
    ("logsigmoid", {}, [0.0], [-math.log(2)], [0.5]),
    ("softsign", {}, [0.0], [0.0], [1.0]),
    ("softshrink", {}, [0.5, -0.5, 0.0, 1.0, -1.0], [0, 0, 0, 0.5, -0.5], [0, 0, 0, 1, 1]),
    ("softshrink", {"lambd": 0.0}, [0.0, 1.0], [0, 1], [0, 1]),
    ("hardshrink", {}, [0.5, -0.5, 0.0, 1.0, -1.0], [0, 0, 0, 1, -1], [0, 0, 0, 1, 1]),
    ("hardshrink", {"lambd": -1.0}, [0.0, 0.3], [0, 0.3], [1, 1]),
    ("threshold", {"threshold": 0.5, "value": -3.0}, [0.5, 0.6, 0.0], [-3, 0.6, -3], [0, 1, 0]),
]


def _fn(name):
    if name == "prelu_like_leaky":
        return lambda x: F.prelu(x, T([0.25]))
    return getattr(F, name)


@pytest.mark.parametrize("name,kw,x,y,g", KINKS, ids=[f"{k[0]}-{i}" for i, k in enumerate(KINKS)])
def test_kink_values_and_gradients(name, kw, x, y, g):
    val, grad = value_and_grad(_fn(name), x, **kw)
    np.testing.assert_allclose(val, y, rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(grad, g, rtol=1e-15, atol=1e-15)


ELEMENTWISE = [("hardtanh", {}), ("hardtanh", {"min_val": -0.5, "max_val": 2.0}), ("relu6", {}),
               ("hardsigmoid", {}), ("hardswish", {}), ("mish", {}), ("selu", {}), ("celu", {}),
               ("celu", {"alpha": 2.0}), ("celu", {"alpha": -0.5}), ("logsigmoid", {}), ("softsign", {}),
               ("tanhshrink", {}), ("softshrink", {}), ("softshrink", {"lambd": 0.0}), ("hardshrink", {}),
               ("hardshrink", {"lambd": -1.0}), ("threshold", {"threshold": 0.5, "value": -3.0})]
# the kinks of all of them, saturated and overflowing regions, and NaN
SPECIAL = [-3.0, 3.0, -1.0, 1.0, 0.0, 6.0, 0.5, -0.5, -0.2, 2.0, -4.0, 4.0, 7.0, -30.0, 30.0, -700.0, 700.0, -1000.0,
           1000.0, float("nan")]


@needs_torch
@pytest.mark.parametrize("name,kw", ELEMENTWISE, ids=[f"{n}-{i}" for i, (n, _) in enumerate(ELEMENTWISE)])
def test_special_values_match_torch(name, kw):
    """Values (NaN included) and gradients at the kinks and the extremes. The gradient at a
    NaN input is not compared: torch's own differs between its vectorised and scalar loops."""
    val, grad = value_and_grad(getattr(F, name), SPECIAL, **kw)
    tx = torch.tensor(SPECIAL, dtype=torch.float64, requires_grad=True)
    ty = getattr(TF, name)(tx, **kw)
    ty.sum().backward()
    np.testing.assert_allclose(val, ty.detach().numpy(), rtol=1e-13, atol=0)
    finite = ~np.isnan(SPECIAL)
    # hardsigmoid: torch's backward uses the float32 constant 1.0f / 6.0f (3e-8 off) even in float64
    rtol = 1e-7 if name == "hardsigmoid" else 1e-13
    np.testing.assert_allclose(grad[finite], tx.grad.numpy()[finite], rtol=rtol, atol=0)


def test_extremes_are_finite_and_exact():
    val, grad = value_and_grad(F.logsigmoid, [-800.0, 800.0, -40.0, 40.0])
    np.testing.assert_allclose(val, [-800.0, 0.0, -40.0 - math.exp(-40.0), -math.exp(-40.0)], rtol=1e-14)
    np.testing.assert_allclose(grad, [1.0, 0.0, 1.0, math.exp(-40.0)], rtol=1e-14)
    val, grad = value_and_grad(F.mish, [1000.0, -1000.0])
    np.testing.assert_array_equal(val, [1000.0, 0.0])
    np.testing.assert_array_equal(grad, [1.0, 0.0])
    # the negative branch's slope far below 0: exp(x), not (exp(x) - 1) + 1 cancelled to 0
    _, grad = value_and_grad(F.selu, [-40.0, -800.0])
    np.testing.assert_allclose(grad, [SELU_SCALE * SELU_ALPHA * math.exp(-40.0), 0.0], rtol=1e-13)
    _, grad = value_and_grad(lambda x: F.celu(x, alpha=2.0), [-100.0])
    np.testing.assert_allclose(grad, [math.exp(-50.0)], rtol=1e-13)
    # the branch where() discards never overflows into the gradient
    _, grad = value_and_grad(lambda x: F.celu(x, alpha=0.5), [800.0])
    np.testing.assert_array_equal(grad, [1.0])


@pytest.mark.parametrize("name,kw", ELEMENTWISE, ids=[f"{n}-{i}" for i, (n, _) in enumerate(ELEMENTWISE)])
def test_float32_keeps_dtype(name, kw):
    x = np.random.default_rng(0).standard_normal((3, 4)) * 3
    out = getattr(F, name)(T(x, dtype=fastdl.float32), **kw)
    assert out.dtype is fastdl.float32
    ref = getattr(F, name)(T(x), **kw).numpy()
    np.testing.assert_allclose(out.numpy(), ref, rtol=2e-6, atol=2e-6)


# ---- in-place forms -------------------------------------------------------------------

INPLACE = [("hardtanh", {}), ("relu6", {}), ("hardsigmoid", {}), ("hardswish", {}), ("mish", {}), ("selu", {}),
           ("celu", {"alpha": 1.5}), ("threshold", {"threshold": 0.2, "value": 5.0})]


@pytest.mark.parametrize("name,kw", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace_writes_input_and_keeps_gradients(name, kw):
    x = np.random.default_rng(1).standard_normal((3, 4)) * 3
    fn = getattr(F, name)
    expected_val, expected_grad = value_and_grad(fn, x, **kw)
    t = T(x)
    out = fn(t, inplace=True, **kw)
    assert out is t
    np.testing.assert_array_equal(t.numpy(), expected_val)
    # a non-leaf input: the result takes its place in the graph
    leaf = T(x, grad=True)
    mid = leaf * 1.0
    fn(mid, inplace=True, **kw).sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), expected_grad, rtol=1e-15)
    with pytest.raises(RuntimeError, match=f"{name}_: a leaf Variable that requires grad"):
        fn(T(x, grad=True), inplace=True, **kw)


def test_trailing_underscore_forms():
    x = T([-2.0, 0.3, 2.0])
    assert F.hardtanh_(x, -1.0, 1.0) is x
    np.testing.assert_array_equal(x.numpy(), [-1.0, 0.3, 1.0])
    assert F.threshold_(x, 0.5, 9.0) is x
    np.testing.assert_array_equal(x.numpy(), [9.0, 9.0, 1.0])


# ---- prelu, glu, softmin ---------------------------------------------------------------

def np_prelu(x, w):
    w = np.asarray(w)
    wb = w.reshape(()) if w.size == 1 else w.reshape([-1] + [1] * (x.ndim - 2))
    return np.where(x > 0, x, wb * x)


def np_glu(x, dim=-1):
    a, b = np.split(x, 2, axis=dim)
    return a / (1 + np.exp(-b))


def np_softmin(x, dim):
    e = np.exp(-x - (-x).max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def _away0(a):
    return np.where(np.abs(a) < 0.1, a + np.where(a >= 0, 0.2, -0.2), a)


PRELU = [((2, 3, 4), (3,)), ((2, 3, 4), (1,)), ((4, 3), (3,)), ((5,), (1,)), ((), (1,)), ((2, 3), ()),
         ((2, 3, 2, 2), (3,))]


@pytest.mark.parametrize("xs,ws", PRELU, ids=[f"{list(x)}-{list(w)}" for x, w in PRELU])
def test_prelu(xs, ws):
    rng = np.random.default_rng(2)
    x, w = _away0(np.asarray(rng.standard_normal(xs))), rng.random(ws) * 0.5
    out = F.prelu(T(x), T(w))
    np.testing.assert_allclose(out.numpy(), np_prelu(x, w), rtol=1e-15)
    assert gradcheck(F.prelu, [T(x, grad=True), T(w, grad=True)])
    if torch is not None:
        ours, theirs = [T(x, grad=True), T(w, grad=True)], [torch.tensor(a, requires_grad=True) for a in (x, w)]
        gout = np.random.default_rng(3).standard_normal(xs)
        (F.prelu(*ours) * T(gout)).sum().backward()
        (TF.prelu(*theirs) * torch.tensor(gout)).sum().backward()
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12)


GLU = [((4, 6), -1), ((4, 6), 1), ((6, 3), 0), ((2, 4, 3), 1), ((8,), 0), ((2, 0, 4), -1)]


@pytest.mark.parametrize("shape,dim", GLU, ids=[f"{list(s)}-dim{d}" for s, d in GLU])
def test_glu(shape, dim):
    x = np.random.default_rng(4).standard_normal(shape)
    np.testing.assert_allclose(F.glu(T(x), dim).numpy(), np_glu(x, dim), rtol=1e-14)
    if x.size:
        assert gradcheck(lambda t: F.glu(t, dim), [T(x, grad=True)])
    if torch is not None:
        np.testing.assert_allclose(F.glu(T(x), dim).numpy(), TF.glu(torch.tensor(x), dim).numpy(), rtol=1e-14)


SOFTMIN = [((3, 4), 1), ((3, 4), 0), ((2, 3, 4), -1), ((5,), 0), ((2, 6), 1)]


@pytest.mark.parametrize("shape,dim", SOFTMIN, ids=[f"{list(s)}-dim{d}" for s, d in SOFTMIN])
def test_softmin(shape, dim):
    x = np.random.default_rng(5).standard_normal(shape) * 3
    np.testing.assert_allclose(F.softmin(T(x), dim).numpy(), np_softmin(x, dim), rtol=1e-13)
    out32 = F.softmin(T(x, dtype=fastdl.float32), dim, dtype=fastdl.float64)
    assert out32.dtype is fastdl.float64
    assert gradcheck(lambda t: F.softmin(t, dim), [T(x, grad=True)])
    if torch is not None:
        ours, theirs = T(x, grad=True), torch.tensor(x, requires_grad=True)
        gout = np.random.default_rng(6).standard_normal(shape)
        (F.softmin(ours, dim) * T(gout)).sum().backward()
        (TF.softmin(theirs, dim) * torch.tensor(gout)).sum().backward()
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_softmin_implicit_dim_warns_like_torch():
    x = np.random.default_rng(7).standard_normal((2, 3))
    with pytest.warns(UserWarning, match="softmin: implicit dimension choice for softmin has been deprecated"):
        out = F.softmin(T(x))
    np.testing.assert_allclose(out.numpy(), np_softmin(x, 1), rtol=1e-13)
    with pytest.warns(UserWarning, match="implicit dimension"):
        nn.Softmin()(T(x))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.Softmin(dim=0)(T(x))


# ---- modules ----------------------------------------------------------------------------

MODULES = [
    ("Threshold", (0.1, 20.0), {}, "threshold", {"threshold": 0.1, "value": 20.0}),
    ("Hardtanh", (), {"min_val": -2.0, "max_val": 0.5}, "hardtanh", {"min_val": -2.0, "max_val": 0.5}),
    ("ReLU6", (), {}, "relu6", {}), ("Hardsigmoid", (), {}, "hardsigmoid", {}),
    ("Hardswish", (), {}, "hardswish", {}), ("Mish", (), {}, "mish", {}), ("SELU", (), {}, "selu", {}),
    ("CELU", (), {"alpha": 0.7}, "celu", {"alpha": 0.7}), ("LogSigmoid", (), {}, "logsigmoid", {}),
    ("Softsign", (), {}, "softsign", {}), ("Tanhshrink", (), {}, "tanhshrink", {}),
    ("Softshrink", (0.3,), {}, "softshrink", {"lambd": 0.3}), ("Hardshrink", (), {}, "hardshrink", {}),
    ("GLU", (), {"dim": 0}, "glu", {"dim": 0}), ("Softmin", (), {"dim": 1}, "softmin", {"dim": 1}),
]


@pytest.mark.parametrize("cls,args,kw,fname,fkw", MODULES, ids=[m[0] for m in MODULES])
def test_module_forward_is_functional(cls, args, kw, fname, fkw):
    x = np.random.default_rng(8).standard_normal((4, 6)) * 2
    out = getattr(nn, cls)(*args, **kw)(T(x))
    np.testing.assert_array_equal(out.numpy(), getattr(F, fname)(T(x), **fkw).numpy())


REPRS = ["Threshold(0.1, 20)", "Threshold(0.1, 20, inplace=True)", "Hardtanh()", "Hardtanh(-2, 2, True)", "ReLU6()",
         "ReLU6(True)", "Hardsigmoid(True)", "Hardswish()", "Mish(inplace=True)", "SELU()", "SELU(True)",
         "CELU(2.0)", "CELU(inplace=True)", "PReLU()", "PReLU(3, 0.1)", "LogSigmoid()", "Softsign()",
         "Tanhshrink()", "Softshrink()", "Softshrink(0.3)", "Hardshrink(1)", "GLU()", "GLU(1)", "Softmin()",
         "Softmin(1)"]


@needs_torch
@pytest.mark.parametrize("spec", REPRS)
def test_module_repr_matches_torch(spec):
    assert repr(eval("nn." + spec)) == repr(eval("torch.nn." + spec))


@needs_torch
@pytest.mark.parametrize("cls,args,kw,fname,fkw", MODULES, ids=[m[0] for m in MODULES])
def test_module_matches_torch(cls, args, kw, fname, fkw):
    x = np.random.default_rng(9).standard_normal((4, 6)) * 3
    ours, theirs = T(x, grad=True), torch.tensor(x, requires_grad=True)
    out, ref = getattr(nn, cls)(*args, **kw)(ours), getattr(torch.nn, cls)(*args, **kw)(theirs)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-13, atol=1e-15)
    gout = np.random.default_rng(10).standard_normal(tuple(ref.shape))
    (out * T(gout)).sum().backward()
    (ref * torch.tensor(gout)).sum().backward()
    # torch's hardsigmoid and celu backward round a coefficient (1/6; alpha or 1/alpha) to float32 even in float64
    rtol = 1e-12 if cls not in ("Hardsigmoid", "CELU") else 3e-7
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=rtol, atol=1e-15)


def test_prelu_module_parameter():
    m = nn.PReLU(3, init=0.1)
    assert m.num_parameters == 3 and m.init == 0.1
    params = list(m.named_parameters())
    assert [n for n, _ in params] == ["weight"] and params[0][1].requires_grad
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.full(3, 0.1, np.float32))
    assert list(m.state_dict()) == ["weight"]
    x = np.random.default_rng(11).standard_normal((2, 3, 4))
    m(T(x, dtype=fastdl.float32)).sum().backward()  # the weight's dtype: torch's prelu does not promote
    np.testing.assert_allclose(m.weight.grad.numpy(), np.where(x > 0, 0, x).sum(axis=(0, 2)), rtol=1e-5)  # float32
    assert nn.PReLU(dtype=fastdl.float64).weight.dtype is fastdl.float64


@needs_torch
def test_prelu_state_dict_round_trips_with_torch():
    ours, theirs = nn.PReLU(4, 0.3), torch.nn.PReLU(4, 0.3)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    np.testing.assert_array_equal(ours.state_dict()["weight"].numpy(), theirs.state_dict()["weight"].numpy())
    w = np.array([0.1, -0.2, 0.3, 0.05], dtype=np.float32)
    ours.load_state_dict({"weight": fastdl.tensor(w)})
    theirs.load_state_dict({"weight": torch.tensor(w)})
    x = np.random.default_rng(12).standard_normal((2, 4, 3)).astype(np.float32)
    np.testing.assert_allclose(ours(fastdl.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-6)


# ---- errors -------------------------------------------------------------------------------

def test_errors_name_the_op():
    x = T([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="hardtanh: min_val cannot be greater than max_val, got min_val=2.0, "
                                         "max_val=1.0"):
        F.hardtanh(x, 2.0, 1.0)
    with pytest.raises(ValueError, match=r"Hardtanh: max_val \(1.0\) must be greater than min_val \(1.0\)"):
        nn.Hardtanh(1.0, 1.0)
    with pytest.warns(FutureWarning, match="min_value"):
        assert nn.Hardtanh(min_value=-3.0).min_val == -3.0
    with pytest.raises(RuntimeError, match="celu: ZeroDivisionError: alpha cannot be 0 for CELU"):
        F.celu(x, alpha=0.0)
    with pytest.raises(RuntimeError, match="softshrink: lambda must be greater or equal to 0, but found to be -1"):
        F.softshrink(x, -1.0)
    for name in ("hardtanh", "relu6", "mish", "logsigmoid", "softsign", "tanhshrink", "glu", "softmin"):
        with pytest.raises(TypeError, match=f"{name}: expected input to be a Tensor, got list"):
            getattr(F, name)([1.0, 2.0])
    with pytest.raises(TypeError, match=r"logsigmoid: expected a floating point tensor, got int64\[2\]"):
        F.logsigmoid(fastdl.tensor([1, 2]))


def test_prelu_errors():
    with pytest.raises(RuntimeError, match=r"prelu: expected weight to be a scalar or 1-D tensor, got "
                                           r"float64\[1, 3\]"):
        F.prelu(T(np.ones((2, 3))), T(np.ones((1, 3))))
    with pytest.raises(RuntimeError, match=r"prelu: mismatch of parameter numbers and input channel size: found 2 "
                                           r"parameters and 3 channels \(input float64\[2, 3\], weight "
                                           r"float64\[2\]\)"):
        F.prelu(T(np.ones((2, 3))), T(np.ones(2)))
    with pytest.raises(RuntimeError, match=r"found 3 parameters and 1 channels"):
        F.prelu(T(np.ones(3)), T(np.ones(3)))
    with pytest.raises(TypeError, match="prelu: expected weight to be a Tensor, got float"):
        F.prelu(T(np.ones(3)), 0.25)


def test_glu_errors():
    with pytest.raises(RuntimeError, match=r"glu: halving dimension must be even, but dimension 1 is size 5 "
                                           r"\(input float64\[2, 5\]\)"):
        F.glu(T(np.ones((2, 5))))
    with pytest.raises(RuntimeError, match="glu: glu does not support scalars"):
        F.glu(T(1.0))
    with pytest.raises(IndexError, match=r"glu: dimension out of range \(expected to be in range of \[-2, 1\], but "
                                         r"got 2\)"):
        F.glu(T(np.ones((2, 4))), dim=2)


# ---- CUDA ----------------------------------------------------------------------------------

@pytest.mark.cuda
def test_activations_on_cuda_match_numpy():
    """Every activation on the GPU: values against NumPy, gradients against the CPU run."""
    rng = np.random.default_rng(13)
    x = _away0(rng.standard_normal((4, 6)) * 3)
    x = np.where(np.abs(np.abs(x) - 3) < 0.1, x + 0.3, x)  # off hardsigmoid's / hardswish's kinks
    x = np.where(np.abs(np.abs(x) - 1) < 0.1, x + 0.3, x)  # off hardtanh's
    x = np.where(np.abs(np.abs(x) - 0.5) < 0.1, x + 0.3, x)  # off the shrinks'
    refs = {
        "hardtanh": np.clip(x, -1, 1), "relu6": np.clip(x, 0, 6), "hardsigmoid": np.clip(x / 6 + 0.5, 0, 1),
        "hardswish": x * np.clip(x + 3, 0, 6) / 6, "mish": x * np.tanh(np.log1p(np.exp(x))),
        "selu": SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0))),
        "celu": np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
        "logsigmoid": np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x))), "softsign": x / (1 + np.abs(x)),
        "tanhshrink": x - np.tanh(x), "softshrink": np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0)),
        "hardshrink": np.where(np.abs(x) > 0.5, x, 0.0), "glu": np_glu(x), "softmin": np_softmin(x, 1),
        "prelu": np_prelu(x, np.full(1, 0.25)),
    }
    calls = {"glu": lambda t: F.glu(t), "softmin": lambda t: F.softmin(t, 1),
             "prelu": lambda t: F.prelu(t, fastdl.tensor([0.25], device=t.device, dtype=t.dtype))}
    for name, ref in refs.items():
        fn = calls.get(name, getattr(F, name))
        outs, grads = [], []
        for dev in ("cpu", "cuda"):
            t = fastdl.tensor(x, device=dev, requires_grad=True)
            y = fn(t)
            assert y.device.type == dev
            (y * y).sum().backward()
            outs.append(y.detach().cpu().numpy())
            grads.append(t.grad.cpu().numpy())
        np.testing.assert_allclose(outs[1], ref, rtol=1e-10, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(grads[1], grads[0], rtol=1e-10, atol=1e-12, err_msg=name)
    # the in-place form on the device
    t = fastdl.tensor(x, device="cuda")
    assert F.hardtanh_(t) is t
    np.testing.assert_allclose(t.cpu().numpy(), np.clip(x, -1, 1))
    # the PReLU module moves to the device with its weight
    m = nn.PReLU(6).to("cuda")
    assert m.weight.device.type == "cuda"
    out = m(fastdl.tensor(x, dtype=fastdl.float32, device="cuda"))
    np.testing.assert_allclose(out.cpu().numpy(), np_prelu(x, np.full(6, 0.25)), rtol=1e-6, atol=1e-6)


def test_expm1_and_elu_gradients_stay_exact_far_below_zero():
    """d/dx expm1(x) = exp(x), and elu's slope below 0 is alpha * exp(x): computed from
    the output as y + 1 (or y + alpha) they cancel to nothing for x << 0."""
    x = np.array([-40.0, -30.0, -5.0, -1e-3])
    for fn, slope in [(lambda t: t.expm1(), np.exp(x)), (lambda t: F.elu(t, alpha=2.0), 2.0 * np.exp(x)),
                      (lambda t: F.elu(t * 1.0, alpha=2.0, inplace=True), 2.0 * np.exp(x))]:
        t = fastdl.tensor(x, requires_grad=True)
        fn(t).sum().backward()
        np.testing.assert_allclose(t.grad.numpy(), slope, rtol=1e-13, atol=0)


def test_hardtanh_and_relu6_are_one_clamp_kernel_with_torch_gradient():
    """hardtanh / relu6 run the clamp functor (table row "hardtanh"): -0 stays -0 as in
    torch's clamp; the gradient is 0 at and beyond the bounds and passes NaN through."""
    a = np.array([-0.0, 0.0, 6.0, -1.0, np.nan, 7.0, 3.0, -2.0, 1.0, -1.0, 0.5], np.float32)
    for f, lo, hi in [(lambda t: F.relu6(t), 0.0, 6.0), (lambda t: F.hardtanh(t), -1.0, 1.0),
                      (lambda t: F.hardtanh(t, -0.5, 2.0), -0.5, 2.0)]:
        x = fastdl.tensor(a, requires_grad=True)
        y = f(x)
        y.sum().backward()
        with np.errstate(invalid="ignore"):
            want = np.where(np.isnan(a), a, np.where(a < lo, lo, np.where(a > hi, hi, a))).astype(np.float32)
            grad = np.where((a <= lo) | (a >= hi), 0.0, 1.0).astype(np.float32)
        np.testing.assert_array_equal(y.detach().numpy().view(np.uint32)[~np.isnan(a)], want.view(np.uint32)[~np.isnan(a)])
        assert np.isnan(y.detach().numpy()[4])
        np.testing.assert_array_equal(x.grad.numpy(), grad)
    xd = fastdl.tensor(np.linspace(-2, 2, 9) + 0.05, dtype=fastdl.float64, requires_grad=True)
    assert fastdl.autograd.gradcheck(lambda t: F.hardtanh(t, -0.5, 0.5), (xd,))
    assert fastdl.autograd.gradgradcheck(lambda t: F.hardtanh(t, -0.5, 0.5) * t, (xd,))
    x = fastdl.tensor(a.copy())
    assert F.hardtanh_(x) is x and np.signbit(x.numpy()[0]) and x.numpy()[5] == 1.0
    np.testing.assert_array_equal(F.relu6(fastdl.tensor([-3, 0, 9], dtype=fastdl.int32)).numpy(), [0, 0, 6])
