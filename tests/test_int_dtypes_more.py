"""The narrow integer dtypes int32 / int16 / int8 / uint8, second sweep: uint8 images
(bilinear resize, max pooling, byte views), int32 labels and indices, wraparound of the
ops torch computes in the narrow dtype itself, and torch's errors. NumPy references or
hand-computed values, torch parity where torch is installed."""
import warnings

import numpy as np
import pytest

import fastdl
import fastdl.nn.functional as F

NARROW = [fastdl.int32, fastdl.int16, fastdl.int8, fastdl.uint8]
IDS = [d.name for d in NARROW]


def _torch():
    return pytest.importorskip("torch")


def _same(a, t):
    """fastdl tensor a equals torch tensor t: dtype name, shape and values."""
    assert a.dtype.name == str(t.dtype).replace("torch.", ""), (a.dtype, t.dtype)
    assert tuple(a.shape) == tuple(t.shape)
    np.testing.assert_array_equal(np.asarray(a.tolist()), np.asarray(t.tolist()))


def _values(d, shape, seed=0):
    """Values spanning d's range, its extremes included."""
    info = np.iinfo(d.np)
    v = np.random.default_rng(seed).integers(info.min, info.max, size=int(np.prod(shape)), endpoint=True)
    v[:2] = [info.min, info.max]
    return v.astype(d.np).reshape(shape)


# ---- uint8 images -------------------------------------------------------------------

def test_bilinear_uint8_hand_values():
    """[0, 255] widened to 4: sources 0, 0.25, 0.75, 1 (clamped); torch's fixed-point weights
    (0.25 -> 4096 / 2**14) round 63.75 up to 64 and 191.25 down to 191."""
    x = fastdl.tensor([[[[0, 255]]]], dtype=fastdl.uint8)
    out = F.interpolate(x, size=(1, 4), mode="bilinear")
    assert out.dtype is fastdl.uint8 and out.tolist() == [[[[0, 64, 191, 255]]]]
    assert F.interpolate(x, size=(1, 2), mode="bilinear").tolist() == x.tolist()  # unchanged: a copy


def _np_bilinear(a, size, align_corners):
    """Separable float64 bilinear (torch's source positions), no rounding between passes."""
    out = a.astype(np.float64)
    for d, n_out in ((3, size[1]), (2, size[0])):
        n_in = out.shape[d]
        j = np.arange(n_out)
        if align_corners:
            real = j * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
        else:
            real = np.maximum((j + 0.5) * n_in / n_out - 0.5, 0)
        i0 = np.minimum(np.floor(real).astype(int), n_in - 1)
        i1 = np.minimum(i0 + 1, n_in - 1)
        w1 = np.clip(real - i0, 0, 1)
        sh = (-1,) + (1,) * (3 - d)
        out = np.take(out, i0, d) * (1 - w1).reshape(sh) + np.take(out, i1, d) * w1.reshape(sh)
    return out


@pytest.mark.parametrize("size,ac", [((14, 18), False), ((5, 4), False), ((11, 13), True), ((3, 20), False)])
def test_bilinear_uint8_vs_numpy_and_torch(size, ac):
    a = np.random.default_rng(1).integers(0, 256, (2, 3, 7, 9)).astype(np.uint8)
    out = F.interpolate(fastdl.tensor(a), size=size, mode="bilinear", align_corners=ac)
    assert out.dtype is fastdl.uint8 and tuple(out.shape) == (2, 3) + size
    ref = _np_bilinear(a, size, ac)  # torch rounds each pass: within one of the exact value
    assert np.abs(out.numpy().astype(np.float64) - ref).max() <= 1.0
    torch = _torch()
    t = torch.nn.functional.interpolate(torch.tensor(a), size=size, mode="bilinear", align_corners=ac)
    _same(out, t)  # bit for bit
    t = torch.nn.functional.interpolate(torch.tensor(a), scale_factor=1.7, mode="bilinear")
    _same(F.interpolate(fastdl.tensor(a), scale_factor=1.7, mode="bilinear"), t)


def _np_maxpool2d(a, k, s):
    n, c, h, w = a.shape
    oh, ow = (h - k) // s + 1, (w - k) // s + 1
    out = np.empty((n, c, oh, ow), a.dtype)
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = a[:, :, i * s:i * s + k, j * s:j * s + k].max(axis=(2, 3))
    return out


@pytest.mark.parametrize("d", NARROW, ids=IDS)
def test_max_pool_of_integers(d):
    a = _values(d, (2, 3, 6, 6), seed=2)
    x = fastdl.tensor(a)
    out = F.max_pool2d(x, 2)
    assert out.dtype is d
    np.testing.assert_array_equal(out.numpy(), _np_maxpool2d(a, 2, 2))
    np.testing.assert_array_equal(F.max_pool2d(x, 3, 1).numpy(), _np_maxpool2d(a, 3, 1))
    v3 = F.max_pool3d(x.unsqueeze(0), 2)  # (N, C, D, H, W) = (1, 2, 3, 6, 6): one window along D
    assert v3.dtype is d and tuple(v3.shape) == (1, 2, 1, 3, 3)
    ref3 = _np_maxpool2d(a[:, :2].max(axis=1, keepdims=True), 2, 2)
    np.testing.assert_array_equal(v3.numpy(), ref3.reshape(1, 2, 1, 3, 3))
    with pytest.raises(NotImplementedError, match=f"max_pool1d: not implemented for {d.name} input"):
        F.max_pool1d(x[0], 2)
    torch = _torch()
    tx = torch.tensor(a)
    tF = torch.nn.functional
    for f, t in [(F.max_pool2d(x, 3, 2, 1, return_indices=True), tF.max_pool2d(tx, 3, 2, 1, return_indices=True)),
                 (F.max_pool1d(x[0], 2, return_indices=True), tF.max_pool1d(tx[0], 2, return_indices=True)),
                 ((v3,), (tF.max_pool3d(tx.unsqueeze(0), 2),))]:
        for u, v in zip(f, t):
            _same(u, v)


def test_max_pool_int64_beyond_float64_refused():
    x = fastdl.tensor([[[[2 ** 53 + 1, 1], [2, 3]]]])
    with pytest.raises(NotImplementedError, match=r"max_pool2d: int64 input int64\[1, 1, 2, 2\]"):
        F.max_pool2d(x, 2)
    assert F.max_pool2d(x - 1, 2).tolist() == [[[[2 ** 53]]]]


def test_view_dtype_vs_numpy():
    a = np.arange(-8, 16, dtype=np.int8).reshape(2, 3, 4)
    x = fastdl.tensor(a)
    for d in (fastdl.uint8, fastdl.int16, fastdl.int32, fastdl.bool, fastdl.int8):
        v = x.view(d)
        assert v.dtype is d
        np.testing.assert_array_equal(v.numpy(), a.view(d.np))
    np.testing.assert_array_equal(x[:, :, 2:].view(fastdl.int16).numpy(), a[:, :, 2:].view(np.int16))
    np.testing.assert_array_equal(x.view(fastdl.int32).view(dtype=fastdl.uint8).numpy(), a.view(np.uint8))
    f = fastdl.tensor([1.5, -2.0])
    np.testing.assert_array_equal(f.view(fastdl.int32).numpy(), np.array([1.5, -2.0], np.float32).view(np.int32))
    v = x.view(fastdl.uint8)  # shares memory
    v[0, 0, 0] = 200
    assert int(x[0, 0, 0]) == 200 - 256
    with pytest.raises(RuntimeError, match=r"view: self.size\(-1\) must be divisible by 8 to view int8 as int64"):
        x.view(fastdl.int64)
    with pytest.raises(RuntimeError, match="view: self.dim\\(\\) cannot be 0"):
        x[0, 0, 0].view(fastdl.int16)
    with pytest.raises(RuntimeError, match="view: self.stride\\(-1\\) must be 1"):
        x.transpose(0, 2).view(fastdl.int16)
    with pytest.raises(RuntimeError, match="view: self.storage_offset\\(\\) must be divisible by 2"):
        x[:, :, 1:3].view(fastdl.int16)


def test_view_dtype_like_torch():
    torch = _torch()
    a = _values(fastdl.int16, (3, 4), seed=3)
    for src in ("int16", "uint8"):
        for dst in ("int8", "uint8", "int16", "int32", "float32", "bool"):
            x, t = fastdl.tensor(a).to(getattr(fastdl, src)), torch.tensor(a).to(getattr(torch, src))
            try:
                ref = t.view(getattr(torch, dst))
            except RuntimeError:
                with pytest.raises(RuntimeError):
                    x.view(getattr(fastdl, dst))
                continue
            r = x.view(getattr(fastdl, dst))
            assert r.dtype.name == dst and tuple(r.shape) == tuple(ref.shape)
            np.testing.assert_array_equal(r.numpy(), ref.numpy())


# ---- masks, fills and Python values written into narrow tensors ------------------------

def test_where_uint8_condition_and_overflow():
    u = fastdl.tensor([1, 0, 7], dtype=fastdl.uint8)
    with pytest.warns(UserWarning, match="uint8 condition"):
        assert fastdl.where(u, u, 9).tolist() == [1, 9, 7]
    c = fastdl.tensor([True, False, True])
    assert fastdl.where(c, -1, u).tolist() == [255, 0, 255]  # -1 wraps, as torch
    with pytest.raises(RuntimeError, match="where: value cannot be converted to type uint8 without overflow"):
        fastdl.where(c, 300, u)
    with pytest.raises(RuntimeError, match="where: value cannot be converted to type int8 without overflow"):
        fastdl.where(c, u.to(fastdl.int8), -129)
    w = fastdl.where(c, u, 2.5)
    assert w.dtype is fastdl.float32 and w.tolist() == [1.0, 2.5, 7.0]


def test_masked_fill_integer_exact_and_checked():
    big = [2 ** 31 - 1, -2 ** 31 + 1, 5]
    m = fastdl.tensor([False, False, True])
    x = fastdl.tensor(big, dtype=fastdl.int32)
    out = x.masked_fill(m, 2.9)  # truncated; the others kept exactly (no float32 detour)
    assert out.dtype is fastdl.int32 and out.tolist() == big[:2] + [2]
    assert fastdl.tensor([2 ** 62 + 1, 0]).masked_fill(fastdl.tensor([False, True]), -1.5).tolist() == [2 ** 62 + 1, -1]
    u = fastdl.tensor([1, 2, 3], dtype=fastdl.uint8)
    assert u.masked_fill(m, -1).tolist() == [1, 2, 255]
    for v, d in ((300, fastdl.uint8), (255.9, fastdl.uint8), (-129, fastdl.int8), (fastdl.tensor(40000), fastdl.int16)):
        with pytest.raises(RuntimeError, match=f"masked_fill: value cannot be converted to type {d.name}"):
            u.to(d).masked_fill(m, v)


def test_fill_diagonal_truncates_floats_into_integers():
    for d in NARROW:
        out = fastdl.zeros(3, 3, dtype=d).fill_diagonal_(2.7)
        assert out.dtype is d and out.tolist() == (np.eye(3, dtype=np.int64) * 2).tolist()


def test_pad_value_checked_strictly():
    u = fastdl.tensor([1, 2], dtype=fastdl.uint8)
    assert F.pad(u, (1, 1), value=2.5).tolist() == [2, 1, 2, 2]
    assert F.pad(u.to(fastdl.int8), (1, 0), value=-128).tolist() == [-128, 1, 2]
    for v in (-1, 256, float("nan")):
        with pytest.raises(RuntimeError, match="pad: value cannot be converted to type uint8 without overflow"):
            F.pad(u, (1, 1), value=v)


def test_tensor_of_nonfinite_values_is_a_runtime_error():
    for d in NARROW + [fastdl.int64]:
        for v in ([float("nan")], float("inf"), [[1.0, -float("inf")]]):
            with pytest.raises(RuntimeError, match=f"tensor: value cannot be converted to type {d.name}"):
                fastdl.tensor(v, dtype=d)


# ---- labels and indices -------------------------------------------------------------

def test_search_and_index_results():
    seq = fastdl.tensor([1, 3, 5, 7], dtype=fastdl.int8)
    v = fastdl.tensor([0, 3, 6, 9], dtype=fastdl.int16)
    ref = np.searchsorted(np.array([1, 3, 5, 7]), np.array([0, 3, 6, 9]))
    r = fastdl.searchsorted(seq, v, out_int32=True)
    assert r.dtype is fastdl.int32 and r.tolist() == ref.tolist()
    assert fastdl.searchsorted(seq, v).dtype is fastdl.int64
    b = fastdl.bucketize(v, seq, out_int32=True, right=True)
    assert b.dtype is fastdl.int32 and b.tolist() == np.searchsorted([1, 3, 5, 7], [0, 3, 6, 9], "right").tolist()
    for d in NARROW:
        coords = fastdl.unravel_index(fastdl.tensor([0, 5, 11], dtype=d), (3, 4))
        assert all(c.dtype is fastdl.int64 for c in coords)
        assert [c.tolist() for c in coords] == [list(c) for c in np.unravel_index([0, 5, 11], (3, 4))]
    assert fastdl.repeat_interleave(fastdl.tensor([1, 0, 2], dtype=fastdl.int32)).tolist() == [0, 2, 2]
    assert fastdl.repeat_interleave(fastdl.tensor([1, 0, 2], dtype=fastdl.int32)).dtype is fastdl.int32
    x = fastdl.arange(6.0).reshape(2, 3)
    i32 = fastdl.tensor([[2], [0]], dtype=fastdl.int32)
    assert fastdl.take_along_dim(x, i32).tolist() == [2.0, 0.0]  # flattened: torch takes int32
    with pytest.raises(RuntimeError, match=r"take_along_dim: indices must be an int64 tensor when dim is given"):
        fastdl.take_along_dim(x, i32, 1)


def test_index_and_target_dtype_errors_are_runtime_errors():
    """torch raises RuntimeError for these; fastdl's error is that and a TypeError."""
    xf = fastdl.randn(4, 3)
    cases = [
        (lambda: F.cross_entropy(xf, fastdl.tensor([0, 1, 2, 0], dtype=fastdl.int32)), r"cross_entropy: .*int32\[4\]"),
        (lambda: F.nll_loss(xf, fastdl.tensor([0, 1, 2, 0], dtype=fastdl.int16)), r"nll_loss: .*int16\[4\]"),
        (lambda: F.one_hot(fastdl.tensor([0, 2], dtype=fastdl.int32)), r"one_hot: .*int32\[2\]"),
        (lambda: xf.gather(1, fastdl.tensor([[0]] * 4, dtype=fastdl.int8)), r"gather: .*int8\[4, 1\]"),
        (lambda: xf.scatter_add(1, fastdl.tensor([[0]] * 4, dtype=fastdl.uint8), xf), r"scatter_add: .*uint8\[4, 1\]"),
        (lambda: xf.index_add(0, fastdl.tensor([0], dtype=fastdl.int16), xf[:1]), r"index_add: .*int16\[1\]"),
        (lambda: F.embedding(fastdl.tensor([0], dtype=fastdl.int16), xf), r"embedding: .*int16\[1\]"),
        (lambda: fastdl.tensor([1, 2], dtype=fastdl.int32).mean(), r"mean: .*int32\[2\]"),
        (lambda: fastdl.tensor([1, 2], dtype=fastdl.int8).var(), r"var: .*int8\[2\]"),
    ]
    for fn, msg in cases:
        with pytest.raises(RuntimeError, match=msg):
            fn()
        with pytest.raises(TypeError, match=msg):
            fn()
    assert F.cross_entropy(xf, fastdl.tensor([0, 1, 2, 0], dtype=fastdl.uint8)).dtype is fastdl.float32


def test_refused_as_torch_refuses():
    u = fastdl.tensor([[1, 2, 3]], dtype=fastdl.uint8)
    with pytest.raises(RuntimeError, match="hardtanh: cannot do hardtanh on an unsigned type with negative limits"):
        F.hardtanh(u)
    assert F.hardtanh(u, 0, 2).tolist() == [[1, 2, 2]]
    with pytest.raises(RuntimeError, match=r"gradient: torch.gradient does not support uint8 input, got uint8\[1, 3\]"):
        fastdl.gradient(u)
    for d in (fastdl.int16, fastdl.int8, fastdl.uint8):
        with pytest.raises(NotImplementedError, match=f"tril_indices: not implemented for dtype {d.name}"):
            fastdl.tril_indices(3, 3, dtype=d)
    assert fastdl.triu_indices(3, 3, dtype=fastdl.int32).dtype is fastdl.int32
    with pytest.raises(NotImplementedError, match=r"lerp: not implemented for int8 input int8\[1, 3\]"):
        u.to(fastdl.int8).lerp(u.to(fastdl.int8), 0.5)
    assert not u.is_signed() and not fastdl.is_signed(u)
    assert all(fastdl.zeros(1, dtype=d).is_signed() for d in (fastdl.int32, fastdl.int16, fastdl.int8))


# ---- wraparound where torch computes in the narrow dtype --------------------------------

def test_trapezoid_sums_pairs_in_the_narrow_dtype():
    y = np.array([[254, 1, 2, 200]], np.uint8)
    # torch: (sum(y) - (y[0] + y[-1]) * 0.5) * dx with y[0] + y[-1] wrapping in uint8 (454 -> 198)
    with np.errstate(over="ignore"):
        ref = (int(y.sum()) - int((y[0, 0] + y[0, -1]).astype(np.uint8)) * 0.5)
    out = fastdl.trapezoid(fastdl.tensor(y))
    assert out.dtype is fastdl.float32 and out.tolist() == [ref] == [358.0]
    x8 = np.array([[100, 90, -100]], np.int8)
    pts = np.array([0, 1, 3], np.int8)
    with np.errstate(over="ignore"):
        pairs = (x8[:, 1:] + x8[:, :-1]).astype(np.int8)  # 190 -> -66, -10
        ref = float((np.diff(pts) * pairs.astype(np.int64)).astype(np.int8).astype(np.int64).sum()) / 2
    assert fastdl.trapezoid(fastdl.tensor(x8), fastdl.tensor(pts)).tolist() == [ref]
    cum = fastdl.cumulative_trapezoid(fastdl.tensor(x8), fastdl.tensor(pts))
    assert cum.dtype is fastdl.float32 and cum.tolist()[0][-1] == ref
    assert fastdl.trapezoid(fastdl.tensor([[1, 2, 3]], dtype=fastdl.int16), dx=0.5).tolist() == [2.0]
    assert fastdl.trapezoid(fastdl.zeros(2, 0, dtype=fastdl.int8)).dtype is fastdl.int64


def test_gradient_differences_in_the_integer_dtype():
    """torch differences integer samples in their dtype (wrapping), then divides."""
    a = np.array([-128, 127, 0, 100], np.int8)
    with np.errstate(over="ignore"):
        d1 = (a[1:] - a[:-1]).astype(np.int64)  # 255 -> -1, -127, 100
        c = (a[2:] - a[:-2]).astype(np.int64) / 2  # 128 -> -128, -27
    ref = [float(d1[0])] + c.tolist() + [float(d1[-1])]
    out = fastdl.gradient(fastdl.tensor(a))[0]
    assert out.dtype is fastdl.float32 and out.tolist() == ref == [-1.0, -64.0, -13.5, 100.0]
    torch = _torch()
    for kw in ({}, {"spacing": 2.5, "edge_order": 2}):
        for d in (fastdl.int32, fastdl.int16, fastdl.int8):
            v = _values(d, (3, 5), seed=4)
            r, t = fastdl.gradient(fastdl.tensor(v), **kw), torch.gradient(torch.tensor(v), **kw)
            for u, w in zip(r, t):
                assert u.dtype.name == str(w.dtype)[6:]
                np.testing.assert_allclose(u.numpy(), w.numpy(), rtol=1e-6)


def test_lcm_int32_wraps_before_abs():
    a, b = fastdl.tensor([2 ** 31 - 1, 6, -4], dtype=fastdl.int32), fastdl.tensor([2, 4, 6], dtype=fastdl.int32)
    assert fastdl.lcm(a, b).tolist() == [2, 12, 12]  # 2**32 - 2 wraps to -2, then abs
    assert fastdl.lcm(fastdl.tensor([-100], dtype=fastdl.int8), fastdl.tensor([3], dtype=fastdl.int8)).tolist() == [44]


def test_add_sub_alpha_with_python_scalars():
    x = fastdl.tensor([1, 2], dtype=fastdl.int8)
    r = fastdl.add(x, 1.5, alpha=2)
    assert r.dtype is fastdl.float32 and r.tolist() == [4.0, 5.0]
    u = fastdl.sub(x.to(fastdl.uint8), 1, alpha=2)
    assert u.dtype is fastdl.uint8 and u.tolist() == [255, 0]
    assert x.add(100, alpha=2).tolist() == [(1 + 200 + 128) % 256 - 128, (2 + 200 + 128) % 256 - 128]


_PARITY = """x.view(M.uint8) | x.view(M.int16) | M.where(x.to(M.uint8), x, 0) | x.masked_fill(x > 0, 2.9)
| x.masked_fill(x < 0, -1) | M.searchsorted(M.sort(x.flatten())[0], x, out_int32=True) | M.unravel_index(x.abs() % 12, (3, 4))
| M.lcm(x // 4, x.flip(0) // 4) | M.trapezoid(x) | M.trapezoid(x, x[0]) | M.cumulative_trapezoid(x, x[0]) | M.cumulative_trapezoid(x)
| M.add(x, 3, alpha=50) | M.sub(x, 2.5, alpha=3) | x.is_signed() | F.max_pool2d(x.reshape(1, 1, 4, 6), 2)
| F.max_pool2d(x.reshape(1, 1, 4, 6), 3, 1, 1, return_indices=True)[1] | F.pad(x, (1, 2), value=7)
| M.take_along_dim(x, M.argsort(x.flatten()).to(M.int32)) | M.repeat_interleave(x.abs().flatten()[:5].to(M.int32) % 3)"""


@pytest.mark.parametrize("d", NARROW, ids=IDS)
def test_parity_with_torch(d):
    torch = _torch()
    a = _values(d, (4, 6), seed=7)
    for e in _PARITY.split("|"):
        res = []
        for M in (fastdl, torch):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res.append(eval(e.strip(), {"M": M, "F": M.nn.functional, "x": M.tensor(a)}))
        r, t = res
        if not isinstance(t, torch.Tensor) and not isinstance(t, tuple):
            assert r == t, e
            continue
        for u, v in zip(r, t) if isinstance(t, tuple) else [(r, t)]:
            assert u.dtype.name == str(v.dtype)[6:], (e, u.dtype, v.dtype)
            np.testing.assert_allclose(np.asarray(u.tolist(), np.float64), np.asarray(v.tolist(), np.float64),
                                       rtol=1e-6, err_msg=e)
