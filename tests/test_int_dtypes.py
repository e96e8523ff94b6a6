"""The narrow integer dtypes int32 / int16 / int8 / uint8: conversions, NumPy / DLPack /
save round trips, type promotion and the common ops, against NumPy, hand-computed values
and torch (where installed)."""
import itertools
import warnings

import numpy as np
import pytest

import fastdl
from fastdl import dtypes as _dt

NARROW = [fastdl.int32, fastdl.int16, fastdl.int8, fastdl.uint8]
ALL = [fastdl.float32, fastdl.float64, fastdl.float16, fastdl.bfloat16, fastdl.int64, fastdl.bool,
       fastdl.int32, fastdl.int16, fastdl.int8, fastdl.uint8]
IDS = [d.name for d in NARROW]


def _torch():
    return pytest.importorskip("torch")


def _tdt(torch, d):
    return getattr(torch, d.name)


def _same(a, t):
    """fastdl tensor a equals torch tensor t: dtype name, shape and values."""
    assert a.dtype.name == str(t.dtype).replace("torch.", ""), (a.dtype, t.dtype)
    assert tuple(a.shape) == tuple(t.shape)
    if a.dtype.is_floating_point:  # float math (sqrt, true division) within an ulp or so
        np.testing.assert_allclose(np.asarray(a.tolist()), np.asarray(t.tolist()), rtol=3e-7)
    else:
        np.testing.assert_array_equal(np.asarray(a.tolist()), np.asarray(t.tolist()))


def _values(d, n=24, seed=0):
    """Values spanning d's range, its extremes included."""
    info = np.iinfo(d.np)
    rng = np.random.default_rng(seed)
    v = rng.integers(info.min, info.max, size=n, endpoint=True, dtype=np.int64)
    v[:4] = [info.min, info.max, 0, 1]
    return v.astype(d.np)


# ---- dtype objects ------------------------------------------------------------------

def test_dtype_objects_and_aliases():
    assert (fastdl.int, fastdl.short, fastdl.char, fastdl.byte) == (fastdl.int32, fastdl.int16, fastdl.int8, fastdl.uint8)
    for d, size in zip(NARROW, (4, 2, 1, 1)):
        assert d.itemsize == size and not d.is_floating_point and repr(d) == f"fastdl.{d.name}"
        t = fastdl.zeros(3, dtype=d)
        assert t.dtype is d and t.element_size() == size and not t.is_floating_point()
    x = fastdl.tensor([1.9, -2.9, 300.0])
    assert x.int().dtype is fastdl.int32 and x.short().dtype is fastdl.int16
    assert x.char().dtype is fastdl.int8 and x.byte().dtype is fastdl.uint8 and x.long().dtype is fastdl.int64
    assert x.int().tolist() == [1, -2, 300] and x.char().tolist() == [1, -2, 44] and x.byte().tolist() == [1, 254, 44]


def test_iinfo_matches_numpy_and_torch():
    for d in NARROW:
        info, ref = fastdl.iinfo(d), np.iinfo(d.np)
        assert (info.bits, info.min, info.max, info.dtype) == (ref.bits, ref.min, ref.max, d.name)
    torch = _torch()
    for d in NARROW:
        t = torch.iinfo(_tdt(torch, d))
        assert (fastdl.iinfo(d).min, fastdl.iinfo(d).max) == (t.min, t.max)
        assert repr(fastdl.iinfo(d)) == repr(t)


def test_legacy_type_names():
    x = fastdl.tensor([1, 2], dtype=fastdl.int32)
    assert x.type() == "fastdl.IntTensor" and fastdl.zeros(1, dtype=fastdl.uint8).type() == "fastdl.ByteTensor"
    assert x.type(fastdl.int8).dtype is fastdl.int8 and x.type("torch.ShortTensor").dtype is fastdl.int16
    assert x.type("torch.int16").dtype is fastdl.int16 and x.type(fastdl.CharTensor).dtype is fastdl.int8
    assert isinstance(x, fastdl.IntTensor) and fastdl.ByteTensor([1, 300 % 256]).dtype is fastdl.uint8
    assert fastdl.zeros(1).type() == "fastdl.FloatTensor"
    with pytest.raises(ValueError, match="invalid type"):
        x.type("torch.NoSuchTensor")


def test_integer_tensors_never_require_grad():
    for d in NARROW:
        with pytest.raises(RuntimeError, match="floating point"):
            fastdl.zeros(2, dtype=d, requires_grad=True)
        with pytest.raises(RuntimeError, match="floating point"):
            fastdl.tensor([1, 2], dtype=d).requires_grad_()


# ---- conversions --------------------------------------------------------------------

_FLOATS = [3.7, -3.7, 0.5, -0.5, 255.9, 300.0, -300.0, 128.0, -129.0, 1e10, -1e10, 2.0 ** 31, -2.0 ** 31 - 1,
           float("nan"), float("inf"), -float("inf")]


def test_float_to_int_truncates_toward_zero():
    x = fastdl.tensor([3.7, -3.7, 0.9, -0.9, 100.5], dtype=fastdl.float64)
    for d in NARROW[:3]:
        assert x.to(d).tolist() == [3, -3, 0, 0, 100]
    assert x.to(fastdl.uint8).tolist() == [3, 253, 0, 0, 100]  # -3 wraps, as torch


@pytest.mark.parametrize("src", ["float64", "float32", "float16"])
def test_float_to_int_matches_torch(src):
    """Out-of-range values and NaN follow torch's (x86) casts: int32 / int16 / int8 through a
    32-bit conversion, uint8 and int64 through a 64-bit one, then the low bits."""
    torch = _torch()
    vals = _FLOATS if src != "float16" else [v for v in _FLOATS if abs(v) < 6e4 or v != v]
    x = fastdl.tensor(vals, dtype=fastdl.float64).to(getattr(fastdl, src))
    t = torch.tensor(vals, dtype=torch.float64).to(getattr(torch, src))
    for d in NARROW + [fastdl.int64]:
        _same(x.to(d), t.to(_tdt(torch, d)))
        _same(x[::2].to(d), t[::2].to(_tdt(torch, d)))  # the strided loop


def test_int_conversions_wrap_like_numpy():
    v = np.array([300, -1, 70000, 2 ** 40 + 5, -2 ** 63, 2 ** 63 - 1, 128, -129], dtype=np.int64)
    x = fastdl.tensor(v)
    for d in NARROW:
        np.testing.assert_array_equal(x.to(d).numpy(), v.astype(d.np))
        for e in NARROW:  # narrow -> narrow
            np.testing.assert_array_equal(x.to(d).to(e).numpy(), v.astype(d.np).astype(e.np))
        np.testing.assert_array_equal(x.to(d).to(fastdl.float64).numpy(), v.astype(d.np).astype(np.float64))
        np.testing.assert_array_equal(x.to(d).bool().numpy(), v.astype(d.np).astype(bool))
        np.testing.assert_array_equal(fastdl.tensor([True, False]).to(d).numpy(), np.array([1, 0], d.np))


def test_half_and_narrow_ints():
    x = fastdl.tensor([1.5, -2.5, 300.0, 65504.0], dtype=fastdl.float16)
    assert x.to(fastdl.int32).tolist() == [1, -2, 300, 65504]
    assert x.to(fastdl.int8).tolist() == [1, -2, 44, -32]
    assert fastdl.tensor([257, 7], dtype=fastdl.int16).to(fastdl.bfloat16).float().tolist() == [256.0, 7.0]
    assert fastdl.tensor([255, 7], dtype=fastdl.uint8).to(fastdl.float16).float().tolist() == [255.0, 7.0]


def test_tensor_constructor_checks_python_values_as_torch():
    assert fastdl.tensor([-1], dtype=fastdl.uint8).tolist() == [255]
    assert fastdl.tensor([-255, 255], dtype=fastdl.uint8).tolist() == [1, 255]
    assert fastdl.tensor([3.7, -3.7], dtype=fastdl.int8).tolist() == [3, -3]
    assert fastdl.tensor(np.array([300]), dtype=fastdl.uint8).tolist() == [44]  # arrays are cast, wrapping
    for data, d in [([300], fastdl.uint8), ([-256], fastdl.uint8), ([128], fastdl.int8), ([255.9], fastdl.uint8),
                    ([-1.5], fastdl.uint8), ([2 ** 31], fastdl.int32), ([40000], fastdl.int16)]:
        with pytest.raises(RuntimeError, match=f"cannot be converted to type {d.name}"):
            fastdl.tensor(data, dtype=d)
    torch = _torch()
    for data in ([-1], [-255], [255], [3.7, -3.7], [127.9], [-128.5]):
        for d in NARROW:
            try:
                t = torch.tensor(data, dtype=_tdt(torch, d))
            except RuntimeError:
                with pytest.raises(RuntimeError):
                    fastdl.tensor(data, dtype=d)
            else:
                _same(fastdl.tensor(data, dtype=d), t)


def test_creation_functions():
    for d in NARROW:
        assert fastdl.arange(5, dtype=d).tolist() == [0, 1, 2, 3, 4] and fastdl.arange(5, dtype=d).dtype is d
        assert fastdl.full((2,), 7, dtype=d).tolist() == [7, 7]
        assert fastdl.ones(2, dtype=d).tolist() == [1, 1] and fastdl.zeros_like(fastdl.ones(2, dtype=d)).dtype is d
        assert fastdl.eye(2, dtype=d).tolist() == [[1, 0], [0, 1]]
    with pytest.raises(RuntimeError, match="cannot be converted to type uint8"):
        fastdl.full((1,), 300, dtype=fastdl.uint8)  # as torch.full
    assert fastdl.arange(250, 260, dtype=fastdl.uint8).tolist()[-4:] == [0, 1, 2, 3]


# ---- NumPy, DLPack, save / load, printing ---------------------------------------------

@pytest.mark.parametrize("d", NARROW, ids=IDS)
def test_numpy_round_trip(d):
    a = _values(d).reshape(4, 6)
    t = fastdl.tensor(a)
    assert t.dtype is d
    np.testing.assert_array_equal(t.numpy(), a)
    assert t.numpy().dtype == a.dtype
    s = fastdl.from_numpy(a)
    assert s.dtype is d and fastdl.as_tensor(a).dtype is d
    a[0, 0] = 5
    assert s[0, 0].item() == 5  # shares memory
    np.testing.assert_array_equal(t.t().numpy(), a.T if False else t.numpy().T)
    np.testing.assert_array_equal(np.asarray(t[:, ::2]), t.numpy()[:, ::2])


@pytest.mark.parametrize("d", NARROW, ids=IDS)
def test_dlpack_round_trip(d):
    a = _values(d).reshape(4, 6)
    t = fastdl.from_dlpack(a)
    assert t.dtype is d
    np.testing.assert_array_equal(t.numpy(), a)
    back = np.from_dlpack(t[:, 1:])
    assert back.dtype == a.dtype
    np.testing.assert_array_equal(back, a[:, 1:])
    torch = _torch()
    tt = torch.from_dlpack(t)
    assert tt.dtype == _tdt(torch, d)
    np.testing.assert_array_equal(tt.numpy(), a)
    f = fastdl.from_dlpack(torch.tensor(a))
    assert f.dtype is d
    np.testing.assert_array_equal(f.numpy(), a)


def test_save_load_and_pickle(tmp_path):
    import copy
    import pickle
    obj = {d.name: fastdl.tensor(_values(d)) for d in NARROW}
    fastdl.save(obj, tmp_path / "ints.safetensors")
    back = fastdl.load(tmp_path / "ints.safetensors")
    for d in NARROW:
        assert back[d.name].dtype is d
        np.testing.assert_array_equal(back[d.name].numpy(), obj[d.name].numpy())
        for c in (pickle.loads(pickle.dumps(obj[d.name])), copy.deepcopy(obj[d.name])):
            assert c.dtype is d
            np.testing.assert_array_equal(c.numpy(), obj[d.name].numpy())


def test_printing():
    torch = _torch()
    for d in NARROW:
        v = [1, 2, 100]
        assert repr(fastdl.tensor(v, dtype=d)) == repr(torch.tensor(v, dtype=_tdt(torch, d))).replace("torch", "fastdl")


# ---- promotion ----------------------------------------------------------------------

def test_promotion_grid_matches_torch():
    torch = _torch()
    for a, b in itertools.product(ALL, ALL):
        ta, tb = _tdt(torch, a), _tdt(torch, b)
        assert fastdl.promote_types(a, b) is getattr(fastdl, str(torch.promote_types(ta, tb))[6:]), (a, b)
        x, y = fastdl.ones(2, dtype=a), fastdl.ones(2, dtype=b)
        tx, ty = torch.ones(2, dtype=ta), torch.ones(2, dtype=tb)
        for fx, fy, rx, ry in [(x, y, tx, ty), (x, y[0], tx, ty[0]), (x[0], y, tx[0], ty), (x[0], y[0], tx[0], ty[0])]:
            assert fastdl.result_type(fx, fy).name == str(torch.result_type(rx, ry))[6:], (fx.shape, a, fy.shape, b)
        for s in (True, 3, 1000, 2.5):
            assert fastdl.result_type(x, s).name == str(torch.result_type(tx, s))[6:], (a, s)


def test_narrow_plus_python_int_stays_narrow():
    u = fastdl.tensor([250], dtype=fastdl.uint8)
    assert (u + 10).tolist() == [4] and (u + 10).dtype is fastdl.uint8
    assert (u + 1000).tolist() == [226] and (u + fastdl.tensor(1000)).tolist() == [226]
    assert (u + 2.5).dtype is fastdl.float32 and (u + 2.5).tolist() == [252.5]
    assert (u + fastdl.tensor([1], dtype=fastdl.int8)).dtype is fastdl.int16


# ---- elementwise ops ----------------------------------------------------------------

_BINARY = ["add", "sub", "mul", "floor_divide", "remainder", "bitwise_and", "bitwise_or", "bitwise_xor",
           "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge", "div", "true_divide"]


@pytest.mark.parametrize("d", NARROW, ids=IDS)
def test_binary_ops_wrap_like_torch(d):
    torch = _torch()
    a, b = _values(d, seed=1), _values(d, seed=2)
    b[b == 0] = 3
    x, y, tx, ty = fastdl.tensor(a), fastdl.tensor(b), torch.tensor(a), torch.tensor(b)
    for op in _BINARY:
        _same(getattr(fastdl, op)(x, y), getattr(torch, op)(tx, ty))
        for s in (7, -3, 1000):
            if op in ("maximum", "minimum"):  # tensors only, in torch
                continue
            if op in ("floor_divide", "remainder", "div", "true_divide") and s == 1000 and d is fastdl.int8:
                continue
            _same(getattr(fastdl, op)(x, s), getattr(torch, op)(tx, s))
    for e in NARROW + [fastdl.int64]:  # mixed dtypes promote first
        z = y.to(e)
        _same(x + z, tx + torch.tensor(b).to(_tdt(torch, e)))
        _same(x * z[:1], tx * torch.tensor(b).to(_tdt(torch, e))[:1])
    _same(x / 2, tx / 2)
    _same(x ** 2, tx ** 2)
    _same(x ** 2.0, tx ** 2.0)


def test_wraparound_hand_values():
    i8 = fastdl.tensor([-128, 127], dtype=fastdl.int8)
    assert (i8 // -1).tolist() == [-128, -127]  # -128 // -1 overflows back to -128, as torch
    assert (i8 % -1).tolist() == [0, 0]
    assert (-i8).tolist() == [-128, -127] and i8.abs().tolist() == [-128, 127]
    assert (i8 + 1).tolist() == [-127, -128] and (i8 * 2).tolist() == [0, -2]
    assert (fastdl.tensor([5], dtype=fastdl.uint8) - 10).tolist() == [251]
    i32 = fastdl.tensor([2 ** 31 - 1], dtype=fastdl.int32)
    assert (i32 + 1).tolist() == [-2 ** 31]
    with pytest.raises((ZeroDivisionError, RuntimeError)):
        fastdl.tensor([5], dtype=fastdl.int8) // 0


@pytest.mark.parametrize("d", NARROW, ids=IDS)
def test_bitwise_shifts_unary_like_torch(d):
    torch = _torch()
    a = _values(d, seed=3)
    x, tx = fastdl.tensor(a), torch.tensor(a)
    for s in (0, 1, 3, 7, 9, 31):
        _same(x << s, tx << s)
        _same(x >> s, tx >> s)
    _same(~x, ~tx)
    _same(fastdl.bitwise_not(x), torch.bitwise_not(tx))
    _same(-x if d is not fastdl.uint8 else x.neg(), -tx if d is not torch.uint8 else tx.neg())
    _same(x.abs(), tx.abs())
    _same(fastdl.sign(x), torch.sign(tx))
    _same(x.clamp(-5, 100), tx.clamp(-5, 100))
    _same(x.clamp(min=3), tx.clamp(min=3))
    _same(fastdl.where(x > 0, x, fastdl.zeros(1, dtype=d)), torch.where(tx > 0, tx, torch.zeros(1, dtype=tx.dtype)))
    _same(x.float(), tx.float())
    _same(fastdl.sqrt(x.abs().float()), torch.sqrt(tx.abs().float()))


# ---- reductions, scans, sorting -----------------------------------------------------

@pytest.mark.parametrize("d", NARROW, ids=IDS)
def test_reductions_like_torch(d):
    torch = _torch()
    a = _values(d, seed=4).reshape(4, 6)
    x, tx = fastdl.tensor(a), torch.tensor(a)
    _same(x.sum(), tx.sum())  # int64, whatever the integer dtype
    _same(x.sum(1), tx.sum(1))
    _same(x.sum(0, dtype=d), tx.sum(0, dtype=_tdt(torch, d)))  # wraps in d
    small = fastdl.tensor(a % 5), torch.tensor(a % 5)
    _same(small[0].prod(1), small[1].prod(1))
    _same(small[0].prod(), small[1].prod())
    _same(x.cumsum(1), tx.cumsum(1))
    _same(x.cumsum(0, dtype=d), tx.cumsum(0, dtype=_tdt(torch, d)))
    _same(x.max(), tx.max())
    _same(x.min(), tx.min())
    for f in ("max", "min"):
        v, i = getattr(x, f)(1)
        tv, ti = getattr(tx, f)(1)
        _same(v, tv)
        _same(i, ti)
    _same(x.amax(0), tx.amax(0))
    _same(x.argmax(), tx.argmax())
    _same(x.argmin(1), tx.argmin(1))
    v, i = x.sort(1)
    tv, ti = tx.sort(dim=1, stable=True)
    _same(v, tv)
    _same(i, ti)
    v, i = x.sort(0, descending=True)
    _same(v, tx.sort(0, descending=True)[0])
    v, i = x.topk(3, 1)
    tv, ti = tx.topk(3, 1)
    _same(v, tv)
    _same(x.argsort(1), tx.argsort(dim=1, stable=True))
    with pytest.raises((RuntimeError, TypeError), match="mean"):
        x.mean()


# ---- indexing -----------------------------------------------------------------------

def test_int32_index_tensors():
    torch = _torch()
    a = np.arange(20.0).reshape(4, 5)
    x, tx = fastdl.tensor(a), torch.tensor(a)
    i = np.array([3, 0, 3, 1])
    fi, ti = fastdl.tensor(i, dtype=fastdl.int32), torch.tensor(i, dtype=torch.int32)
    _same(x[fi], tx[ti])
    _same(x[:, fi], tx[:, ti])
    _same(x[fi, fi], tx[ti, ti])
    _same(x.index_select(1, fi), tx.index_select(1, ti))
    g = np.array([[0, 1, 4, 2, 3]] * 4)
    _same(x.gather(1, fastdl.tensor(g, dtype=fastdl.int32)), tx.gather(1, torch.tensor(g, dtype=torch.int32)))
    z, tz = fastdl.zeros(4, 5, dtype=fastdl.float64), torch.zeros(4, 5, dtype=torch.float64)
    _same(z.scatter(1, fastdl.tensor(g, dtype=fastdl.int32), x), tz.scatter(1, torch.tensor(g, dtype=torch.int32), tx))
    _same(z.scatter_add(1, fastdl.tensor(g, dtype=fastdl.int32), x),
          tz.scatter_add(1, torch.tensor(g, dtype=torch.int32), tx))
    _same(z.index_add(0, fi, x), tz.index_add(0, ti, tx))
    w = np.random.default_rng(0).standard_normal((5, 3))
    e = fastdl.nn.functional.embedding(fi, fastdl.tensor(w))
    _same(e, torch.nn.functional.embedding(ti, torch.tensor(w)))
    y, ty = x.clone(), tx.clone()
    y[fi] = 7.0
    ty[ti] = 7.0
    _same(y, ty)
    assert x[fastdl.tensor(2, dtype=fastdl.int32)].tolist() == a[2].tolist()  # a 0-d int32 index


def test_narrow_data_tensors_index():
    torch = _torch()
    for d in NARROW:
        a = _values(d).reshape(4, 6)
        x, tx = fastdl.tensor(a), torch.tensor(a)
        i = fastdl.tensor([2, 0, 2]), torch.tensor([2, 0, 2])
        _same(x[i[0]], tx[i[1]])
        _same(x[x > 0], tx[tx > 0])
        _same(x[1:3, ::2], tx[1:3, ::2])
        _same(x.index_select(1, i[0]), tx.index_select(1, i[1]))
        _same(x.gather(0, i[0].reshape(3, 1).expand(3, 6)), tx.gather(0, i[1].reshape(3, 1).expand(3, 6)))
        y, ty = x.clone(), tx.clone()
        y[i[0]] = 5
        ty[i[1]] = 5
        _same(y, ty)
        y[:, 0] = fastdl.tensor([1, 2, 3, 4], dtype=d)
        ty[:, 0] = torch.tensor([1, 2, 3, 4], dtype=_tdt(torch, d))
        _same(y, ty)
        y[y > 3] = 0
        ty[ty > 3] = 0
        _same(y, ty)
        _same(x.scatter(1, i[0].reshape(1, 3).expand(4, 3), x), tx.scatter(1, i[1].reshape(1, 3).expand(4, 3), tx))


def test_bad_index_dtypes():
    x = fastdl.arange(10.0)
    for d in (fastdl.int16, fastdl.int8):
        i = fastdl.tensor([1, 2], dtype=d)
        with pytest.raises(IndexError, match=d.name):
            x[i]
        with pytest.raises(TypeError, match=f"index_select.*{d.name}"):
            x.index_select(0, i)
        with pytest.raises(TypeError, match=f"gather.*{d.name}"):
            x.gather(0, i)
        with pytest.raises(TypeError, match=f"embedding.*{d.name}"):
            fastdl.nn.functional.embedding(i, fastdl.ones(3, 2))
    with pytest.raises(TypeError, match="one_hot.*int32"):
        fastdl.nn.functional.one_hot(fastdl.tensor([1], dtype=fastdl.int32))
    with pytest.raises(TypeError, match="cross_entropy.*int32"):
        fastdl.nn.functional.cross_entropy(fastdl.ones(2, 3), fastdl.tensor([0, 1], dtype=fastdl.int32))
    with pytest.raises(TypeError, match="nll_loss.*int8"):
        fastdl.nn.functional.nll_loss(fastdl.ones(2, 3), fastdl.tensor([0, 1], dtype=fastdl.int8))


def test_uint8_class_targets_as_torch():
    torch = _torch()
    x = np.random.default_rng(0).standard_normal((4, 3))
    t = np.array([0, 2, 1, 2], np.uint8)
    for f in ("cross_entropy", "nll_loss"):
        a = getattr(fastdl.nn.functional, f)(fastdl.tensor(x), fastdl.tensor(t))
        b = getattr(torch.nn.functional, f)(torch.tensor(x), torch.tensor(t))
        np.testing.assert_allclose(a.item(), b.item(), rtol=1e-12)


def test_uint8_mask_index_is_deprecated_bool_mask():
    x = fastdl.arange(4.0)
    m = fastdl.tensor([1, 0, 1, 0], dtype=fastdl.uint8)
    with pytest.warns(UserWarning, match="uint8 is now deprecated"):
        assert x[m].tolist() == [0.0, 2.0]


# ---- shape ops and the rest ---------------------------------------------------------

@pytest.mark.parametrize("d", NARROW, ids=IDS)
def test_shape_ops(d):
    torch = _torch()
    a = _values(d).reshape(4, 6)
    x, tx = fastdl.tensor(a), torch.tensor(a)
    _same(fastdl.cat([x, x[:1]]), torch.cat([tx, tx[:1]]))
    _same(fastdl.stack([x, x], 1), torch.stack([tx, tx], 1))
    _same(x.reshape(3, 8), tx.reshape(3, 8))
    _same(x.t().contiguous(), tx.t().contiguous())
    _same(x.transpose(0, 1).reshape(-1), tx.transpose(0, 1).reshape(-1))
    _same(x.unsqueeze(0).expand(2, 4, 6).clone(), tx.unsqueeze(0).expand(2, 4, 6).clone())
    _same(x.flip(0), tx.flip(0))
    _same(x.to(fastdl.int64), tx.to(torch.int64))
    _same(fastdl.where(x > 0, x, x // 2), torch.where(tx > 0, tx, tx // 2))
    _same(fastdl.unique(x % 5), torch.unique(tx % 5))
    _same(fastdl.isin(x % 5, fastdl.tensor([1, 3], dtype=d)), torch.isin(tx % 5, torch.tensor([1, 3], dtype=tx.dtype)))
    _same(fastdl.eq(x, x.flip(1)), torch.eq(tx, tx.flip(1)))
    _same(fastdl.bincount((x % 5).abs().reshape(-1)), torch.bincount((tx % 5).abs().reshape(-1)))
    _same(x.masked_fill(x > 0, 3), tx.masked_fill(tx > 0, 3))
    assert fastdl.equal(x, x.clone())


@pytest.mark.parametrize("d", NARROW, ids=IDS)
def test_inplace_ops_keep_dtype(d):
    torch = _torch()
    a = _values(d)
    x, tx = fastdl.tensor(a), torch.tensor(a)
    x += 100
    tx += 100
    _same(x, tx)
    x.mul_(3)
    tx.mul_(3)
    _same(x, tx)
    x.fill_(7)
    x.zero_()
    assert x.tolist() == [0] * len(a)


# ---- a broad sweep: one expression, fastdl and torch --------------------------------

_SWEEP = """M.median(x) | M.median(x,1)[0] | M.kthvalue(x,2,1)[0] | M.mode(x,1)[0] | M.cummax(x,1)[0] | M.cummin(x,1)[1]
| M.nonzero(x) | M.count_nonzero(x) | M.any(x) | M.all(x,1) | M.roll(x,1,1) | x.repeat(2,1) | M.chunk(x,2)[1]
| M.narrow(x,1,1,2) | M.diag(x[:4,:4]) | M.tril(x) | M.triu(x,1) | M.trace(x[:4,:4]) | M.matmul(x,x.t()) | M.mm(x,x.t())
| M.outer(x[0],x[1]) | M.dot(x[0],x[1]) | M.searchsorted(M.sort(x[0])[0], x[1]) | M.fmod(x,3) | M.remainder(x,-3)
| M.gcd(x,x.flip(0)) | M.logical_and(x,x.flip(0)) | M.square(x) | M.diff(x,dim=1) | M.rot90(x) | M.masked_select(x,x>0)
| M.msort(x) | M.aminmax(x)[0] | M.amin(x,1) | M.fmax(x,x.flip(0)) | M.prod(x%3,1) | M.cumprod(x%3,1) | M.exp(x)
| M.sigmoid(x) | M.relu(x) | M.floor(x) | M.round(x) | M.isnan(x) | M.nan_to_num(x) | M.where(x>0,x,2.5)
| M.hstack([x,x]) | M.einsum('ij->j',x) | M.argsort(x,1,descending=True) | M.topk(x,2,largest=False)[0]
| M.minimum(x,M.tensor(2,dtype=x.dtype)) | M.copysign(x,-1) | M.float_power(x,2) | M.sub(x,x) | M.addcmul(x,x,x)
| M.unique(x,return_counts=True)[1] | M.full_like(x,3) | x.new_tensor([1,2]) | M.kron(x[:2,:2],x[:2,:2])
| x.clone().index_fill_(1,M.tensor([0]),9) | x.clone().index_copy_(0,M.tensor([1]),x[:1]) | x.unfold(1,2,2)
| x.sum(dtype=M.int32) | x.half() | x.bfloat16().float() | x == x.float() | x < 2.5 | M.isin(x,x[0]) | M.isclose(x,x)
| M.nn.functional.pad(x,(1,1),value=3) | M.bitwise_left_shift(x,M.tensor(3,dtype=x.dtype)) | M.floor_divide(x,-7)"""


@pytest.mark.parametrize("d", NARROW, ids=IDS)
def test_sweep_like_torch(d):
    torch = _torch()
    a = np.random.default_rng(5).integers(np.iinfo(d.np).min // 2, np.iinfo(d.np).max // 2, size=(4, 6)).astype(d.np)
    for e in _SWEEP.split("|"):
        r = eval(e.strip(), {"M": fastdl, "x": fastdl.tensor(a)})
        t = eval(e.strip(), {"M": torch, "x": torch.tensor(a)})
        if isinstance(t, torch.Tensor):
            _same(r, t)
        else:
            assert r == t, e


def test_randint_into_narrow():
    for d in NARROW:
        r = fastdl.randint(0, 7, (100,), dtype=d)
        assert r.dtype is d and 0 <= int(r.min()) and int(r.max()) < 7
        assert fastdl.randint_like(r, 3).dtype is d


_INT32_INDEX_OPS = """M.take_along_dim(x, i, 1) | x.index_fill(1, j, 9) | x.index_copy(0, j, x[:1]) | x.take(j)
| x.scatter_reduce(1, i, x[:, :1], 'sum') | x.index_reduce(0, j, x[:1], 'prod') | x.index_add(0, j, x[:1])
| M.nn.functional.embedding_bag(j.reshape(1, 1), M.ones(3, 2)) | M.repeat_interleave(x, M.tensor([1, 2], dtype=M.int32), 0)
| M.nn.functional.embedding_bag(M.tensor([0, 1, 2], dtype=M.int32), M.ones(3, 2), M.tensor([0, 2], dtype=M.int32))
| M.nn.functional.one_hot(j) | M.bincount(j) | x[i] | x.gather(1, i) | x.scatter(1, i, 5.0) | x.index_put((j,), M.tensor(1.0))"""


def test_int32_indices_accepted_where_torch_accepts_them():
    torch = _torch()
    for e in _INT32_INDEX_OPS.split("|"):
        res = []
        for M in (fastdl, torch):
            env = {"M": M, "x": M.arange(6.0).reshape(2, 3), "i": M.tensor([[0], [1]], dtype=M.int32),
                   "j": M.tensor([0], dtype=M.int32)}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # index_reduce is beta in torch
                try:
                    res.append(eval(e.strip(), env))
                except (RuntimeError, TypeError, IndexError) as err:
                    res.append(err)
        f, t = res
        assert isinstance(f, Exception) == isinstance(t, Exception), (e, f, t)
        if isinstance(f, Exception):
            assert "int32" in str(f) or "int64" in str(f), (e, f)
        else:
            _same(f, t)


_SWEEP_1D = [
    "x.mean(dtype=M.float32)", "M.sum(x,dtype=M.float32)", "x.cumsum(0,dtype=M.float64)", "x.prod(dtype=M.int16)",
    "M.nansum(x,dtype=M.int8)", "M.clamp(x,-5,100)", "M.clamp(x,M.tensor(-5),M.tensor(100))", "x.clip(0,2)",
    "x.div(3,rounding_mode='floor')", "x.div(3,rounding_mode='trunc')", "x.div(-3,rounding_mode='floor')",
    "M.true_divide(x,x+1)", "x.reciprocal()", "x.sqrt()", "M.tensor(5,dtype=x.dtype).item()", "int(x[0])", "float(x[1])",
    "x.tolist()", "M.sgn(x)", "x.float().int()", "M.as_tensor(x, dtype=M.int64)", "x.bitwise_and(7)", "x ^ 255",
    "x | M.tensor([1],dtype=M.int64)", "x & True", "x.remainder(M.tensor([3],dtype=M.int8))", "x.fmod(-3)",
    "x // x.clamp(min=1)", "x % x.clamp(min=1)"]


@pytest.mark.parametrize("d", NARROW, ids=IDS)
def test_sweep_full_range_like_torch(d):
    torch = _torch()
    a = _values(d, n=12, seed=6)
    for e in _SWEEP_1D:
        r = eval(e.strip(), {"M": fastdl, "x": fastdl.tensor(a)})
        t = eval(e.strip(), {"M": torch, "x": torch.tensor(a)})
        if isinstance(t, torch.Tensor):
            assert r.dtype.name == str(t.dtype)[6:] and r.tolist() == pytest.approx(t.tolist(), rel=1e-6, nan_ok=True), e
        else:
            assert r == t or (r != r and t != t), e


def test_clamp_bounds_checked_and_wrapped_as_torch():
    assert fastdl.tensor([1, 2], dtype=fastdl.uint8).clamp(-5, 100).tolist() == [100, 100]  # -5 is 251 in uint8
    with pytest.raises(RuntimeError, match="clamp: value cannot be converted to type int8 without overflow"):
        fastdl.tensor([1], dtype=fastdl.int8).clamp(min=-1000)


def test_trunc_division_of_integers_is_exact():
    """div(rounding_mode='trunc') of integers: no float quotient (int32 extremes lose digits in float32)."""
    torch = _torch()
    a = [-2 ** 31, 2 ** 31 - 1, -187450641, -5, 7, 0, -6, 6]
    for d in (fastdl.int64, fastdl.int32, fastdl.int8, fastdl.uint8):
        x, tx = fastdl.tensor(a).to(d), torch.tensor(a).to(_tdt(torch, d))
        for b in (3, -3):
            _same(x.div(b, rounding_mode="trunc"), tx.div(b, rounding_mode="trunc"))
        _same(fastdl.div(-7, x.clamp(min=1), rounding_mode="trunc"), torch.div(-7, tx.clamp(min=1), rounding_mode="trunc"))
        _same(x.div(x.flip(0).clamp(min=1), rounding_mode="trunc"),
              tx.div(tx.flip(0).clamp(min=1), rounding_mode="trunc"))
    assert fastdl.tensor([-7, 7]).div(2, rounding_mode="trunc").tolist() == [-3, 3]
