"""ops/elementwise_more.py beyond the op table: int / bool operands, the bitwise ops and
operators, in-place variants, aliases, predicates, half dtypes and bad inputs, against
hand-computed values, NumPy and torch."""
import math

import numpy as np
import pytest

import fastdl
from fastdl.testing import gradcheck

T = fastdl.tensor
INF, NAN = float("inf"), float("nan")


def _np(t):
    return t.detach().numpy()


# ---- unary kernels: ints promoted, half dtypes, gradients at hand-checked points ----

@pytest.mark.parametrize("name,ref", [("tan", np.tan), ("asin", np.arcsin), ("acos", np.arccos),
                                      ("atan", np.arctan), ("exp2", np.exp2)])
def test_trig_int_bool_half(name, ref):
    f = getattr(fastdl, name)
    out = f(T([0, 1]))
    assert out.dtype is fastdl.float32
    np.testing.assert_allclose(_np(out), ref(np.array([0.0, 1.0])), rtol=1e-6)
    assert f(T([True, False])).dtype is fastdl.float32
    for dt in (fastdl.float16, fastdl.bfloat16):
        h = f(T([0.25, -0.5], dtype=dt))
        assert h.dtype is dt
        np.testing.assert_allclose(_np(h.float()), ref(np.array([0.25, -0.5])), rtol=1e-2)
    x = T([0.3, -0.6], dtype=fastdl.float64)
    np.testing.assert_allclose(_np(getattr(x, name)()), ref(_np(x)), rtol=1e-14)


def test_trig_gradients_hand_values():
    x = T([0.5], dtype=fastdl.float64, requires_grad=True)
    for f, d in [(fastdl.tan, 1 + math.tan(0.5) ** 2), (fastdl.asin, 1 / math.sqrt(0.75)),
                 (fastdl.acos, -1 / math.sqrt(0.75)), (fastdl.atan, 1 / 1.25), (fastdl.exp2, math.log(2) * 2 ** 0.5)]:
        x.grad = None
        f(x).sum().backward()
        assert x.grad.item() == pytest.approx(d, rel=1e-12)


def test_trig_domain_edges():
    out = _np(fastdl.asin(T([1.0, -1.0, 1.5], dtype=fastdl.float64)))
    assert out[0] == pytest.approx(math.pi / 2) and out[1] == pytest.approx(-math.pi / 2) and np.isnan(out[2])
    assert _np(fastdl.exp2(T([-INF, INF, 10.0])))[[0, 1, 2]].tolist() == [0.0, INF, 1024.0]


def test_atan2_gradcheck_and_scalar():
    a = T([[0.5, -1.0], [2.0, 0.3]], dtype=fastdl.float64, requires_grad=True)
    b = T([0.7, -0.4], dtype=fastdl.float64, requires_grad=True)
    assert gradcheck(fastdl.atan2, [a, b])
    # a Python scalar operand is internal only (torch.atan2's other is a Tensor)
    assert gradcheck(lambda x: fastdl.ops.elementwise.Atan2.apply(x, 2.0), [a])
    assert gradcheck(lambda x: fastdl.atan2(x, fastdl.tensor(2.0, dtype=fastdl.float64)), [a])


# ---- aliases ----

ALIASES = [("arcsin", "asin"), ("arccos", "acos"), ("arctan", "atan"), ("arctan2", "atan2"), ("arcsinh", "asinh"),
           ("arccosh", "acosh"), ("arctanh", "atanh"), ("absolute", "abs"), ("negative", "neg"),
           ("multiply", "mul"), ("subtract", "sub"), ("divide", "div"), ("true_divide", "div"),
           ("not_equal", "ne"), ("greater", "gt"), ("greater_equal", "ge"), ("less", "lt"), ("less_equal", "le"),
           ("sgn", "sign"), ("clamp_min", None), ("clamp_max", None)]


@pytest.mark.parametrize("alias,target", [a for a in ALIASES if a[1]])
def test_alias_matches_target(alias, target):
    x = T([0.3, -0.5, 0.8], dtype=fastdl.float64)
    y = T([0.7, 0.2, -0.4], dtype=fastdl.float64)
    if alias == "arccosh":
        x = x.abs() + 1
    binary = alias in ("arctan2", "multiply", "subtract", "divide", "true_divide", "not_equal", "greater",
                       "greater_equal", "less", "less_equal")
    args = (x, y) if binary else (x,)
    want = _np(getattr(fastdl, target)(*args))
    np.testing.assert_array_equal(_np(getattr(fastdl, alias)(*args)), want)
    np.testing.assert_array_equal(_np(getattr(x, alias)(*args[1:])), want)
    assert hasattr(fastdl.Tensor, alias + "_")


def test_positive():
    x = T([1, -2])
    assert fastdl.positive(x) is x and x.positive() is x
    with pytest.raises(TypeError, match="positive"):
        fastdl.positive(T([True]))


# ---- bitwise ops ----

A = np.array([12, -7, 0, 5, 2 ** 62], dtype=np.int64)
B = np.array([10, 3, -1, 5, 7], dtype=np.int64)


@pytest.mark.parametrize("name,ref", [("bitwise_and", np.bitwise_and), ("bitwise_or", np.bitwise_or),
                                      ("bitwise_xor", np.bitwise_xor)])
def test_bitwise_int_and_bool(name, ref):
    f = getattr(fastdl, name)
    out = f(T(A), T(B))
    assert out.dtype is fastdl.int64
    np.testing.assert_array_equal(_np(out), ref(A, B))
    np.testing.assert_array_equal(_np(f(T(A), 6)), ref(A, 6))
    np.testing.assert_array_equal(_np(f(T(A[:, None]), T(B))), ref(A[:, None], B))  # broadcast
    p, q = np.array([True, True, False, False]), np.array([True, False, True, False])
    bo = f(T(p), T(q))
    assert bo.dtype is fastdl.bool_
    np.testing.assert_array_equal(_np(bo), ref(p, q))
    # bool tensor with an int scalar promotes to int64, as torch
    bi = f(T(p), 1)
    assert bi.dtype is fastdl.int64
    np.testing.assert_array_equal(_np(bi), ref(p.astype(np.int64), 1))


def test_bitwise_not_and_shifts():
    np.testing.assert_array_equal(_np(fastdl.bitwise_not(T(A))), ~A)
    np.testing.assert_array_equal(_np(fastdl.bitwise_not(T([True, False]))), [False, True])
    sh = np.array([0, 1, 3, 63, 64, 100, -1], dtype=np.int64)
    x = np.array([1, -5, 7, 1, 1, -8, 4], dtype=np.int64)
    left = _np(fastdl.bitwise_left_shift(T(x), T(sh)))
    right = _np(fastdl.bitwise_right_shift(T(x), T(sh)))
    # torch: an out-of-range count (negative or >= 64) gives 0, or -1 for a negative right-shifted value
    assert left.tolist() == [1, -10, 56, -2 ** 63, 0, 0, 0]
    assert right.tolist() == [1, -3, 0, 0, 0, -1, 0]
    np.testing.assert_array_equal(_np(fastdl.bitwise_left_shift(2, T([1, 3]))), [4, 16])
    np.testing.assert_array_equal(_np(fastdl.bitwise_left_shift(T([True, False]), 1)), [2, 0])


def test_bitwise_operators():
    a, b = T(A), T(B)
    np.testing.assert_array_equal(_np(a & b), A & B)
    np.testing.assert_array_equal(_np(a | b), A | B)
    np.testing.assert_array_equal(_np(a ^ b), A ^ B)
    np.testing.assert_array_equal(_np(~a), ~A)
    np.testing.assert_array_equal(_np(a << 2), A << 2)
    np.testing.assert_array_equal(_np(a >> 1), A >> 1)
    np.testing.assert_array_equal(_np(3 & a), 3 & A)
    np.testing.assert_array_equal(_np(3 | a), 3 | A)
    np.testing.assert_array_equal(_np(3 ^ a), 3 ^ A)
    np.testing.assert_array_equal(_np(1 << T([2, 5])), [4, 32])
    np.testing.assert_array_equal(_np(64 >> T([2, 5])), [16, 2])
    m = T([True, False, True])
    np.testing.assert_array_equal(_np(m & T([True, True, False])), [True, False, False])
    np.testing.assert_array_equal(_np(~m), [False, True, False])
    c = T(A.copy())
    ref = c
    c &= 6
    c |= 1
    c ^= 2
    c <<= 1
    c >>= 1
    assert c is ref
    np.testing.assert_array_equal(_np(c), (((A & 6) | 1) ^ 2) << 1 >> 1)


@pytest.mark.parametrize("name", ["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift",
                                  "bitwise_right_shift", "gcd", "lcm"])
def test_integer_ops_reject_floats(name):
    f = getattr(fastdl, name)
    with pytest.raises(TypeError, match=name):
        f(T([1.0]), T([1.0]))
    if name in ("gcd", "lcm"):  # torch.gcd / lcm take a Tensor other only
        with pytest.raises(TypeError, match=rf"{name}\(\): argument 'other' must be Tensor"):
            f(T([1]), 1.5)
        return
    with pytest.raises(NotImplementedError, match=name):  # torch's type for it
        f(T([1]), 1.5)


def test_bitwise_rejects_float_operators_and_bool_shifts():
    with pytest.raises(TypeError, match="bitwise_not"):
        ~T([1.0])
    with pytest.raises(TypeError, match="bitwise_and"):
        T([1.0]) & T([1.0])
    with pytest.raises(TypeError, match="bitwise_left_shift"):
        T([True]) << T([True])


def test_gcd_lcm():
    a, b = np.array([12, -18, 0, 7, 0]), np.array([8, 12, 5, -21, 0])
    np.testing.assert_array_equal(_np(fastdl.gcd(T(a), T(b))), np.gcd(a, b))
    np.testing.assert_array_equal(_np(fastdl.lcm(T(a), T(b))), np.lcm(a, b))
    np.testing.assert_array_equal(_np(T(a).gcd(T(4))), np.gcd(a, 4))


# ---- binary / misc ----

def test_float_power_dtypes():
    for base in (T([2, 3]), T([2.0, 3.0]), T([True, False])):
        assert fastdl.float_power(base, 2).dtype is fastdl.float64
    assert fastdl.float_power(2, T([1, 3])).tolist() == [2.0, 8.0]
    x = T([2.0], dtype=fastdl.float64)
    x.float_power_(3)
    assert x.tolist() == [8.0]
    with pytest.raises(RuntimeError, match="float_power_"):
        T([2.0]).float_power_(2)


def test_copysign_ints_zero_and_grad():
    assert fastdl.copysign(T([1, 2]), -1).tolist() == [-1.0, -2.0]
    assert np.signbit(_np(fastdl.copysign(T([0.0]), -0.0)))[0]
    x = T([1.0, -2.0, 0.0], dtype=fastdl.float64, requires_grad=True)
    y = T([-1.0, -1.0, -1.0], dtype=fastdl.float64, requires_grad=True)
    fastdl.copysign(x, y).sum().backward()
    assert x.grad.tolist() == [-1.0, 1.0, 0.0] and y.grad.tolist() == [0.0, 0.0, 0.0]


def test_fmax_fmin_nan_and_grad():
    a, b = T([NAN, 1.0, NAN, 3.0]), T([2.0, NAN, NAN, 1.0])
    np.testing.assert_array_equal(_np(fastdl.fmax(a, b)), [2.0, 1.0, NAN, 3.0])
    np.testing.assert_array_equal(_np(fastdl.fmin(a, b)), [2.0, 1.0, NAN, 1.0])
    assert fastdl.fmax(T([1, 5]), T([3, 2])).tolist() == [3, 5]
    assert fastdl.fmin(T([True, False]), T([True, True])).tolist() == [True, False]
    x = T([1.0, 2.0, 0.0], requires_grad=True)
    w = T([1.0, NAN, 4.0], requires_grad=True)
    fastdl.fmax(x, w).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 0.0] and w.grad.tolist() == [0.0, 0.0, 1.0]  # a tie goes to input


def test_heaviside():
    x = T([-1.5, 0.0, 2.0])
    assert fastdl.heaviside(x, T([0.5])).tolist() == [0.0, 0.5, 1.0]
    assert fastdl.heaviside(T([-1, 0, 2]), T([5])).tolist() == [0, 5, 1]
    with pytest.raises(RuntimeError, match="heaviside"):
        fastdl.heaviside(x, T([1]))
    with pytest.raises(TypeError, match="heaviside"):
        fastdl.heaviside(x, 0.5)


def test_ldexp_frexp_roundtrip():
    x = np.array([0.0, -3.5, 1e-310, 7.25, 1024.0, -0.1])
    m, e = fastdl.frexp(T(x, dtype=fastdl.float64))
    rm, re = np.frexp(x)
    np.testing.assert_array_equal(_np(m), rm)
    assert e.dtype is fastdl.int32  # as torch
    np.testing.assert_array_equal(_np(e), re)
    np.testing.assert_array_equal(_np(fastdl.ldexp(m, e)), x)
    sm, se = fastdl.frexp(T([INF, -INF, NAN]))
    assert _np(se).tolist() == [0, 0, 0] and _np(sm)[0] == INF and _np(sm)[1] == -INF and np.isnan(_np(sm)[2])
    assert fastdl.ldexp(T([1, 2]), T([3])).dtype is fastdl.float32
    with pytest.raises(TypeError, match="frexp"):
        fastdl.frexp(T([1, 2]))
    mm, ee = T([6.0]).frexp()
    assert mm.tolist() == [0.75] and ee.tolist() == [3]


def test_nextafter():
    one = T([1.0], dtype=fastdl.float64)
    assert _np(fastdl.nextafter(one, T([2.0], dtype=fastdl.float64)))[0] == np.nextafter(1.0, 2.0)
    assert _np(fastdl.nextafter(T([1.0]), T([0.0])))[0] == np.nextafter(np.float32(1), np.float32(0))
    with pytest.raises(TypeError, match="nextafter"):
        fastdl.nextafter(T([1]), T([2]))


def test_predicates():
    x = T([-0.0, 0.0, -1.0, NAN, -NAN, -INF, INF])
    assert fastdl.signbit(x).tolist() == list(np.signbit(_np(x)))
    assert fastdl.signbit(T([-1, 0, 3])).tolist() == [True, False, False]
    assert fastdl.signbit(T([True])).tolist() == [False]
    assert fastdl.isneginf(x).tolist() == [False] * 5 + [True, False]
    assert fastdl.isposinf(x).tolist() == [False] * 6 + [True]
    assert fastdl.isposinf(T([1, 2])).tolist() == [False, False]
    assert fastdl.isreal(x).tolist() == [True] * 7 and x.isreal().dtype is fastdl.bool_
    assert fastdl.is_complex(x) is False and x.is_complex() is False
    assert fastdl.is_floating_point(x) and not fastdl.is_floating_point(T([1]))
    assert fastdl.is_nonzero(T([2.0])) and not T([[0]]).is_nonzero()
    assert T([1]).is_signed() and not T([True]).is_signed() and T([1.0]).is_signed()
    with pytest.raises(RuntimeError, match="more than one value"):
        fastdl.is_nonzero(T([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="no values"):
        fastdl.is_nonzero(T([]))
    with pytest.raises(TypeError, match="signbit"):
        fastdl.signbit([1.0])


# ---- in-place variants ----

INPLACE_UNARY = ["cos", "sin", "tan", "asin", "acos", "atan", "ceil", "expm1", "log1p", "log2", "log10", "rsqrt",
                 "reciprocal", "exp2", "sgn", "arcsin", "arctan", "negative", "absolute"]


@pytest.mark.parametrize("name", INPLACE_UNARY)
def test_inplace_unary(name):
    x = T([0.3, 0.7], dtype=fastdl.float64)
    want = _np(getattr(fastdl, name)(x))
    y = x.clone()
    v = y._buf.version
    assert getattr(y, name + "_")() is y
    np.testing.assert_array_equal(_np(y), want)
    assert y._buf.version > v


INPLACE_BINARY = ["atan2", "arctan2", "clamp_min", "clamp_max", "remainder", "floor_divide", "eq", "ne", "lt", "le",
                  "gt", "ge", "logical_and", "logical_or", "logical_xor", "copysign", "ldexp",
                  "multiply", "subtract", "divide", "true_divide", "not_equal", "greater", "greater_equal", "less",
                  "less_equal", "heaviside", "nextafter"]


@pytest.mark.parametrize("name", INPLACE_BINARY)
def test_inplace_binary(name):
    x = T([0.5, -1.5, 0.0], dtype=fastdl.float64)
    other = T([1.0, -1.0, 0.25], dtype=fastdl.float64) if name != "ldexp" else T([1, 2, 3])
    want = _np(getattr(fastdl, name)(x, other)).astype(np.float64)
    y = x.clone()
    assert getattr(y, name + "_")(other) is y
    assert y.dtype is fastdl.float64
    np.testing.assert_array_equal(_np(y), want)


def test_inplace_int_and_bool():
    x = T([6, 9, -4])
    x.gcd_(T([4, 6, 6])).lcm_(T([3, 3, 5]))
    assert x.tolist() == [6, 3, 10]
    x.bitwise_not_()
    assert x.tolist() == [-7, -4, -11]
    x.bitwise_and_(7).bitwise_or_(8).bitwise_xor_(1).bitwise_left_shift_(2).bitwise_right_shift_(1)
    assert x.tolist() == [(((v & 7) | 8) ^ 1) << 2 >> 1 for v in [-7, -4, -11]]
    m = T([True, False])
    m.logical_not_()
    assert m.tolist() == [False, True]
    with pytest.raises(RuntimeError, match="tan_"):
        T([1, 2]).tan_()  # float result into an int tensor


def test_inplace_autograd():
    leaf = T([0.3, 0.4], dtype=fastdl.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        leaf.tan_()
    y = leaf * 1.0
    y.tan_()
    y.sum().backward()
    np.testing.assert_allclose(_np(leaf.grad), 1 + np.tan([0.3, 0.4]) ** 2, rtol=1e-12)
    leaf.grad = None
    z = leaf * 2.0
    z.clamp_min_(0.7)
    z.sum().backward()
    assert leaf.grad.tolist() == [0.0, 2.0]


# ---- torch parity for what the table does not cover ----

def test_torch_parity_ints_bools():
    torch = pytest.importorskip("torch")
    a, b = np.array([12, -7, 0, 5, 3]), np.array([10, 3, 2, 5, 70])
    for name in ["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift", "gcd",
                 "lcm", "fmax", "fmin", "copysign", "float_power", "ldexp", "heaviside", "atan2"]:
        ours = getattr(fastdl, name)(T(a), T(b))
        theirs = getattr(torch, name)(torch.tensor(a), torch.tensor(b))
        assert ours.dtype.name == str(theirs.dtype).replace("torch.", "").replace("long", "int64"), name
        np.testing.assert_allclose(_np(ours), theirs.numpy(), rtol=1e-6, err_msg=name)
    for name in ["tan", "asin", "acos", "atan", "exp2", "signbit", "sgn", "isneginf", "isposinf", "isreal",
                 "bitwise_not"]:
        for x in (np.array([0, 1, -1]), np.array([True, False])):
            if name in ("sgn",) and x.dtype == bool:
                continue
            ours = getattr(fastdl, name)(T(x))
            theirs = getattr(torch, name)(torch.tensor(x))
            np.testing.assert_allclose(_np(ours), theirs.numpy(), rtol=1e-6, err_msg=name)
            assert ours.dtype.name.replace("bool", "bool") == str(theirs.dtype).replace("torch.", "").replace(
                "long", "int64"), name
    x = np.array([-0.0, 0.0, -2.5, np.inf, -np.inf, np.nan])
    for name in ["signbit", "isneginf", "isposinf", "isreal", "sgn"]:
        np.testing.assert_array_equal(_np(getattr(fastdl, name)(T(x))), getattr(torch, name)(torch.tensor(x)).numpy())
    pm, pe = torch.frexp(torch.tensor(x))
    fm, fe = fastdl.frexp(T(x, dtype=fastdl.float64))
    np.testing.assert_array_equal(_np(fm), pm.numpy())
    np.testing.assert_array_equal(_np(fe), pe.numpy())


def test_torch_has_no_missing_inplace_of_this_area():
    torch = pytest.importorskip("torch")
    wanted = """cos_ sin_ tan_ asin_ acos_ atan_ ceil_ expm1_ log1p_ log2_ log10_ rsqrt_ reciprocal_ exp2_ atan2_
    clamp_min_ clamp_max_ remainder_ floor_divide_ eq_ ne_ lt_ le_ gt_ ge_ logical_and_ logical_or_ logical_xor_
    logical_not_ sgn_ copysign_ heaviside_ arcsin_ arccos_ arctan_ arctan2_ arcsinh_ arccosh_ arctanh_ absolute_
    negative_ multiply_ subtract_ divide_ true_divide_ not_equal_ greater_ greater_equal_ less_ less_equal_
    bitwise_and_ bitwise_or_ bitwise_xor_ bitwise_not_ bitwise_left_shift_ bitwise_right_shift_ gcd_ lcm_ ldexp_
    nextafter_ float_power_""".split()
    assert all(hasattr(torch.Tensor, n) for n in wanted)
    assert [n for n in wanted if not hasattr(fastdl.Tensor, n)] == []


@pytest.mark.parametrize("grad", [False, True])
def test_lerp_uses_torchs_two_sided_formula(grad):
    """a + w (b - a) for |w| < 0.5, else b - (b - a)(1 - w) (1 - w rounded to float32 as a
    float32 kernel sees it): exact at w = 0 and w = 1, with or without a graph, in place
    too; a tensor weight picks the formula per element."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(257).astype(np.float32) * 10 for _ in range(2))
    for w in (0.0, 0.3, -0.2, 0.5, 0.7, 1.0, 2.5, -0.6):
        x, y = fastdl.tensor(a, requires_grad=grad), fastdl.tensor(b)
        got = fastdl.lerp(x, y, w).detach().numpy()
        w32 = np.float32(w)
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        d = (b - a).astype(np.float64)
        want = (a64 + d * w32) if abs(w) < 0.5 else (b64 - d * np.float32(np.float32(1) - w32))
        # three float32 roundings, each within half an ulp of operands up to |a| + |b| (+ |w d|)
        bound = 2 * np.finfo(np.float32).eps * (np.abs(a64) + np.abs(b64)) * max(1.0, abs(w))
        assert (np.abs(got - want) <= bound).all(), w
    np.testing.assert_array_equal(fastdl.lerp(fastdl.tensor(a, requires_grad=grad), fastdl.tensor(b), 1.0)
                                  .detach().numpy(), b)
    np.testing.assert_array_equal(fastdl.lerp(fastdl.tensor(a, requires_grad=grad), fastdl.tensor(b), 0.0)
                                  .detach().numpy(), a)
    t = fastdl.tensor(a)
    t.lerp_(fastdl.tensor(b), 1.0)
    np.testing.assert_array_equal(t.numpy(), b)
    wt = np.array([0.0, 1.0, 0.25, 0.75] * 64 + [1.0], np.float32)
    got = fastdl.lerp(fastdl.tensor(a), fastdl.tensor(b), fastdl.tensor(wt)).numpy()
    np.testing.assert_array_equal(got[wt == 1.0], b[wt == 1.0])
    np.testing.assert_array_equal(got[wt == 0.0], a[wt == 0.0])


def test_lerp_gradients_float64():
    from fastdl.testing import gradcheck
    rng = np.random.default_rng(1)
    a, b = (fastdl.tensor(rng.standard_normal(6), requires_grad=True) for _ in range(2))
    for w in (0.2, 0.8):
        assert gradcheck(lambda p, q: fastdl.lerp(p, q, w), [a, b])
    wt = fastdl.tensor(rng.uniform(-0.5, 1.5, 6), requires_grad=True)
    assert gradcheck(lambda p, q, r: fastdl.lerp(p, q, r), [a, b, wt])


def test_addcmul_without_a_graph_works_in_the_products_memory():
    """addcmul with nothing to record multiplies and adds in the product's own memory: the
    same bits as input + t1 * t2 * value; broadcast inputs, a graph and in-place keep working."""
    rng = np.random.default_rng(2)
    a, b, c = (rng.standard_normal((16, 9)).astype(np.float32) for _ in range(3))
    A, B, C = T(a), T(b), T(c)
    for v in (1, 0.5, -3.0):
        np.testing.assert_array_equal(fastdl.addcmul(A, B, C, value=v).numpy(), (A + B * C * v).numpy())
    np.testing.assert_array_equal(A.numpy(), a)  # input untouched
    row = T(b[0])
    np.testing.assert_array_equal(fastdl.addcmul(A, row, row).numpy(), (A + row * row).numpy())
    np.testing.assert_array_equal(fastdl.addcmul(row, B, C).numpy(), (row + B * C).numpy())
    x = T(a.astype(np.float64), requires_grad=True)
    assert gradcheck(lambda t: fastdl.addcmul(t, t, T(c.astype(np.float64)), value=0.5), [x])
    y = T(a)
    y.addcmul_(B, C, value=2.0)
    np.testing.assert_array_equal(y.numpy(), (A + B * C * 2.0).numpy())


# ---- hypot and nan_to_num as table rows (common/elementwise_ops.h Hypot / NanToNum) ----

def test_hypot_float32_is_the_rounded_float64_hypot():
    """float32 squares and sums in double: the result is float64 hypot rounded to float32
    across the whole range (no overflow near float's max, no underflow of tiny squares)."""
    rng = np.random.default_rng(21)
    a = (rng.standard_normal(200_000) * 10.0 ** rng.integers(-44, 38, 200_000)).astype(np.float32)
    b = (rng.standard_normal(200_000) * 10.0 ** rng.integers(-44, 38, 200_000)).astype(np.float32)
    got = fastdl.hypot(T(a), T(b)).numpy()
    with np.errstate(over="ignore"):
        want = np.hypot(a.astype(np.float64), b.astype(np.float64)).astype(np.float32)
    assert np.count_nonzero(got != want) <= 2  # double rounding: at most a rare last-bit tie
    np.testing.assert_array_max_ulp(got, want, maxulp=1)
    np.testing.assert_array_equal(fastdl.hypot(T(a[:5000]), T(b[:1])).numpy(), np.hypot(a[:5000], b[:1]))


@pytest.mark.parametrize("dtype", [fastdl.float32, fastdl.float64])
def test_hypot_special_values(dtype):
    a = T([INF, -INF, NAN, NAN, 0.0, -0.0, 3.0, 1e300 if dtype is fastdl.float64 else 3e38], dtype=dtype)
    b = T([NAN, NAN, INF, NAN, 0.0, -0.0, -4.0, 1e300 if dtype is fastdl.float64 else 3e38], dtype=dtype)
    want = np.hypot(a.numpy().astype(np.float64), b.numpy().astype(np.float64))
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(fastdl.hypot(a, b).numpy(), want.astype(a.numpy().dtype))
    x, y = T([3.0, 0.0, -1e-3], dtype=fastdl.float64, requires_grad=True), T([4.0, 2.0, 5.0],
                                                                              dtype=fastdl.float64, requires_grad=True)
    assert gradcheck(fastdl.hypot, (x, y))


def test_nan_to_num_one_pass_and_asymmetric_neginf():
    x = T([NAN, INF, -INF, 1.5, -2.0], requires_grad=True)
    np.testing.assert_array_equal(_np(fastdl.nan_to_num(x)), [0.0, 3.4028234663852886e38, -3.4028234663852886e38,
                                                             1.5, -2.0])
    big = 3.4028234663852886e38  # neginf stays -max when only posinf is given
    np.testing.assert_array_equal(_np(fastdl.nan_to_num(x, nan=7.0, posinf=1.0)), [7.0, 1.0, -big, 1.5, -2.0])
    np.testing.assert_array_equal(_np(fastdl.nan_to_num(x, posinf=2.0, neginf=-2.0)), [0.0, 2.0, -2.0, 1.5, -2.0])
    np.testing.assert_array_equal(_np(fastdl.nan_to_num(x, posinf=1.0, neginf=-9.0)), [0.0, 1.0, -9.0, 1.5, -2.0])
    np.testing.assert_array_equal(_np(fastdl.nan_to_num(x, posinf=1e39)), [0.0, INF, -big, 1.5, -2.0])
    fastdl.nan_to_num(x, nan=1.0).sum().backward()
    np.testing.assert_array_equal(_np(x.grad), [0.0, 0.0, 0.0, 1.0, 1.0])  # torch: grad where x is finite
    z = T([1.0, 2.0], dtype=fastdl.float64, requires_grad=True)
    assert gradcheck(lambda t: fastdl.nan_to_num(t * 2.0), (z,))


# ---- lerp's kernel (common/elementwise_ops.h lerp_scalar) ----

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("w", [0.0, 0.25, 0.49999, 0.5, 0.8, 1.0, -0.3, 2.0])
def test_lerp_kernel_matches_the_composed_roundings(dtype, w):
    """Without a graph lerp is one kernel pass; with one it is b - a, a product and a sum
    as ops: the same roundings, so the same bits, for broadcasts and strided views."""
    rng = np.random.default_rng(5)
    a = rng.standard_normal((64, 34)).astype(dtype)
    b = rng.standard_normal((64, 34)).astype(dtype)
    for x, y in ((a, b), (a[:, ::2], b[:, 1::2]), (a[:1], b), (a.T, b.T)):
        fast = fastdl.lerp(T(x), T(y), w).numpy()
        graph = fastdl.lerp(T(x, requires_grad=True), T(y), w).detach().numpy()
        np.testing.assert_array_equal(fast, graph)
        d = (y.astype(dtype) - x).astype(dtype)
        scale = dtype(w) if abs(dtype(w)) < 0.5 else dtype(1) - dtype(w)
        p = (d * scale).astype(dtype)
        np.testing.assert_array_equal(fast, np.broadcast_to(x + p if abs(dtype(w)) < 0.5 else y - p, fast.shape))


def test_lerp_in_place_kernel_and_fallbacks():
    rng = np.random.default_rng(6)
    a, b = rng.standard_normal((5, 7)).astype(np.float32), rng.standard_normal((5, 7)).astype(np.float32)
    t = T(a)
    version = t._buf.version
    assert t.lerp_(T(b), 0.3) is t and t._buf.version == version + 1
    np.testing.assert_array_equal(t.numpy(), fastdl.lerp(T(a), T(b), 0.3).numpy())
    t = T(a)
    t.lerp_(t, 0.7)  # end is t itself
    np.testing.assert_array_equal(t.numpy(), a)
    t = T(a)
    t[:, 1:].lerp_(t[:, :-1], 0.5)  # end overlaps t: the out-of-place result is assigned back
    want = a.copy()
    want[:, 1:] = a[:, :-1] - (a[:, :-1] - a[:, 1:]) * np.float32(0.5)  # w = 0.5: the b - (b - a)(1 - w) side
    np.testing.assert_array_equal(t.numpy(), want)
    t = T(a)
    t.lerp_(T(b[:1]), 0.25)  # a broadcast end
    np.testing.assert_array_equal(t.numpy(), fastdl.lerp(T(a), T(b[:1]), 0.25).numpy())
    leaf = T(a, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        leaf.lerp_(T(b), 0.3)
