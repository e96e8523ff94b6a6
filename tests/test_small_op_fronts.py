"""The C++ fronts of where / masked_fill (bind_elementwise_new.cpp), max(dim) / min(dim) /
argmax / argmin / topk (bind_select_new.cpp), permute / transpose (bind_view_args.cpp)
and clamp's plain-number path: randomized shapes, layouts and dtypes give the float64
NumPy reference's values (and torch's choices of index where torch is installed), the
cases they decline still reach the Python path and its errors, and gradients flow
(float64 gradcheck)."""
import numpy as np
import pytest

import fastdl
from fastdl import _C


def laid_out(rng, a, dtype):
    """a as a fastdl tensor of `dtype`, row-major, strided or transposed at random."""
    kind = int(rng.integers(0, 3)) if a.ndim else 0
    if kind == 1:  # every other element of a wider buffer
        wide = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
        wide[..., ::2] = a
        return fastdl.tensor(wide, dtype=dtype)[..., ::2]
    if kind == 2:  # reversed dims in memory
        return fastdl.tensor(np.ascontiguousarray(a.transpose()), dtype=dtype).permute(*range(a.ndim)[::-1])
    return fastdl.tensor(a, dtype=dtype)


def random_shape(rng, nd_max=3, size_max=5):
    return tuple(int(s) for s in rng.integers(1, size_max + 1, size=int(rng.integers(1, nd_max + 1))))


def ties(rng, shape):
    """Values with repeats (ties decide indices) and the odd NaN / signed zero."""
    a = rng.integers(-3, 4, size=shape).astype(np.float64)
    if rng.random() < 0.3:
        a.flat[int(rng.integers(0, a.size))] = np.nan
    return a


# ---- where / masked_fill ------------------------------------------------------------

@pytest.mark.parametrize("seed", range(30))
def test_where_front_matches_numpy(seed):
    rng = np.random.default_rng(seed)
    shape = random_shape(rng)
    sub = lambda: tuple(s if rng.random() < 0.7 else 1 for s in shape)[int(rng.integers(0, len(shape) + 1)):]
    dtype = fastdl.float32 if rng.random() < 0.5 else fastdl.float64
    c = rng.random(sub()) < 0.5
    a = rng.standard_normal(sub())
    b = rng.standard_normal(sub())
    ta, tb = laid_out(rng, a, dtype), laid_out(rng, b, dtype)
    tc = fastdl.tensor(c)
    for x, y, nx, ny in ((ta, tb, a, b), (ta, 2.5, a, 2.5), (-1, tb, -1, b)):
        got = _C.cpu_where_new(tc, x, y)
        assert got is not None and got.dtype is dtype
        want = np.where(c, nx, ny).astype(np.float32 if dtype is fastdl.float32 else np.float64)
        np.testing.assert_array_equal(got.numpy(), want)
        np.testing.assert_array_equal(fastdl.where(tc, x, y).numpy(), want)


def test_where_front_declines_what_python_decides():
    x32, x64 = fastdl.randn(3, 4), fastdl.randn(3, 4, dtype=fastdl.float64)
    m = x32 > 0
    assert _C.cpu_where_new(m, x32, x64) is None  # promotion
    assert _C.cpu_where_new(m, 1, 2) is None  # two numbers
    assert _C.cpu_where_new(m, x32, True) is None  # a bool value
    assert _C.cpu_where_new(m.to(fastdl.uint8), x32, 0.0) is None  # uint8 cond (deprecated)
    assert _C.cpu_where_new(m, fastdl.arange(4), 0) is None  # integers
    assert _C.cpu_where_new(m, fastdl.randn(5), 0.0) is None  # shapes that do not broadcast
    with pytest.raises(Exception, match="where"):
        fastdl.where(m, fastdl.randn(5), 0.0)
    assert fastdl.where(m, x32, x64).dtype is fastdl.float64
    assert fastdl.where(m, fastdl.arange(4.0).reshape(1, 4).to(fastdl.int64), 7).dtype is fastdl.int64


def test_masked_fill_front_and_its_gradient():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 5))
    m = rng.random((1, 5)) < 0.5
    x = fastdl.tensor(a)
    np.testing.assert_array_equal(x.masked_fill(fastdl.tensor(m), -7.0).numpy(), np.where(m, -7.0, a))
    np.testing.assert_array_equal(x.masked_fill(fastdl.tensor(m), 3).numpy(), np.where(m, 3.0, a))
    xi = fastdl.tensor([[1, 2], [3, 4]])  # integers: the Python path, truncating a float value as torch
    assert xi.masked_fill(xi > 2, 9.7).tolist() == [[1, 2], [9, 9]]
    with pytest.raises(TypeError, match="masked_fill"):
        x.masked_fill(fastdl.tensor(m).to(fastdl.int64), 0.0)
    xg = fastdl.tensor(a, requires_grad=True)
    assert fastdl.autograd.gradcheck(lambda t: t.masked_fill(fastdl.tensor(m), 0.5) * t, (xg,))
    assert fastdl.autograd.gradcheck(lambda t: fastdl.where(fastdl.tensor(m), t, 2.0), (xg,))


# ---- max(dim) / min(dim) / argmax / argmin ------------------------------------------

@pytest.mark.parametrize("seed", range(30))
def test_max_min_dim_front_matches_numpy(seed):
    rng = np.random.default_rng(seed)
    shape = random_shape(rng)
    a = ties(rng, shape)
    dtype = fastdl.float32 if rng.random() < 0.5 else fastdl.float64
    x = laid_out(rng, a, dtype)
    for d in range(-len(shape), len(shape)):
        for keepdim in (False, True):
            for op, arg in (("max", np.argmax), ("min", np.argmin)):
                values, indices = getattr(x, op)(d, keepdim)
                nan = np.isnan(a)
                # NaN wins (the first one), else the first extreme: numpy's argmax on NaN-first keys
                key = np.where(nan, np.inf if op == "max" else -np.inf, a)
                want_i = np.where(nan.any(axis=d), np.argmax(nan, axis=d), arg(key, axis=d))
                want_v = np.take_along_axis(a, np.expand_dims(want_i, d), d).squeeze(d)
                if keepdim:
                    want_i, want_v = np.expand_dims(want_i, d), np.expand_dims(want_v, d)
                assert indices.dtype is fastdl.int64 and values.dtype is dtype
                np.testing.assert_array_equal(indices.numpy(), want_i)
                np.testing.assert_array_equal(values.numpy(), want_v.astype(values.numpy().dtype))
                np.testing.assert_array_equal(getattr(x, "arg" + op)(d, keepdim).numpy(), want_i)


def test_arg_reduce_front_declines_what_python_decides():
    x = fastdl.randn(3, 0)
    assert _C.cpu_arg_reduce_new("argmax", x, 1, False, fastdl.int64, True) is None  # an empty dim
    with pytest.raises(Exception, match="max"):
        x.max(1)
    with pytest.raises(Exception, match="argmax"):
        x.argmax(1)
    y = fastdl.randn(3, 4)
    assert _C.cpu_arg_reduce_new("argmax", y, 2, False, fastdl.int64, False) is None
    with pytest.raises(IndexError):
        y.max(2)
    with pytest.raises(IndexError):
        y.argmax(-3)
    assert _C.cpu_arg_reduce_new("argmax", fastdl.arange(4), 0, False, fastdl.int64, False) is None
    assert fastdl.arange(4).max(0).indices.item() == 3  # integers: the Python path
    s = fastdl.tensor(2.5)
    assert s.max(0).values.item() == 2.5 and s.argmax(0).item() == 0  # 0-d: the Python path


def test_max_dim_gradient():
    rng = np.random.default_rng(1)
    x = fastdl.tensor(rng.standard_normal((3, 4, 5)), requires_grad=True)
    for d in (0, 1, -1):
        for keepdim in (False, True):
            assert fastdl.autograd.gradcheck(lambda t: t.max(d, keepdim).values * 2, (x,))
            assert fastdl.autograd.gradcheck(lambda t: t.transpose(0, 2).min(d, keepdim)[0], (x,))


# ---- topk ---------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(30))
def test_topk_front_matches_numpy(seed):
    rng = np.random.default_rng(seed)
    shape = random_shape(rng, size_max=40)
    a = ties(rng, shape)
    dtype = fastdl.float32 if rng.random() < 0.5 else fastdl.float64
    x = fastdl.tensor(a, dtype=dtype)
    for d in range(-len(shape), len(shape)):
        L = shape[d]
        for k in sorted({0, 1, min(3, L), L}):
            for largest in (True, False):
                got = _C.cpu_topk_new(x, k, d, largest, fastdl.int64)
                assert got is not None
                # the stable order with NaN as the largest value: numpy's stable argsort of the keys
                key = np.where(np.isnan(a), np.inf, a)
                order = np.argsort(-key if largest else key, axis=d, kind="stable")
                if largest:  # NaN first, then the descending order, ties to the lower position
                    order = np.argsort(np.where(np.isnan(a), -np.inf, -a), axis=d, kind="stable")
                want_i = np.take(order, np.arange(k), axis=d)
                np.testing.assert_array_equal(got[1].numpy(), want_i)
                want_v = np.take_along_axis(a, want_i, d).astype(got[0].numpy().dtype)
                np.testing.assert_array_equal(got[0].numpy(), want_v)
                v, i = x.topk(k, d, largest)
                np.testing.assert_array_equal(i.numpy(), want_i)


def test_topk_front_declines_and_differentiates():
    x = fastdl.randn(4, 6)
    assert _C.cpu_topk_new(x, 7, 1, True, fastdl.int64) is None
    with pytest.raises(RuntimeError, match="topk"):
        x.topk(7, 1)
    assert _C.cpu_topk_new(x.t(), 2, 1, True, fastdl.int64) is None  # not contiguous: the Python path
    np.testing.assert_array_equal(x.t().topk(2, 1).indices.numpy(), np.argsort(-x.t().numpy(), 1, kind="stable")[:, :2])
    xg = fastdl.tensor(np.random.default_rng(2).standard_normal((4, 6)), requires_grad=True)
    values, _ = xg.topk(3, 1)
    assert values.requires_grad
    assert fastdl.autograd.gradcheck(lambda t: t.topk(3, -1).values ** 2, (xg,))


# ---- permute / transpose / clamp ----------------------------------------------------

@pytest.mark.parametrize("seed", range(20))
def test_permute_transpose_fronts(seed):
    rng = np.random.default_rng(seed)
    shape = random_shape(rng, nd_max=4)
    a = rng.standard_normal(shape)
    x = laid_out(rng, a, fastdl.float64)
    dims = [int(d) - (len(shape) if rng.random() < 0.3 else 0) for d in rng.permutation(len(shape))]
    got = _C.permute_args(x, tuple(dims))
    assert got[0] == tuple(d % len(shape) for d in dims)
    np.testing.assert_array_equal(x.permute(*dims).numpy(), a.transpose([d % len(shape) for d in dims]))
    np.testing.assert_array_equal(x.permute(dims).numpy(), a.transpose([d % len(shape) for d in dims]))
    d0, d1 = (int(d) for d in rng.integers(-len(shape), len(shape), size=2))
    np.testing.assert_array_equal(x.transpose(d0, d1).numpy(), np.swapaxes(a, d0, d1))


def test_permute_transpose_decline_and_errors():
    x = fastdl.randn(2, 3, requires_grad=True)
    assert _C.permute_args(x, (0, 0)) is None and _C.transpose_args(x, 0, 2) is None
    with pytest.raises(RuntimeError, match="repeated dim"):
        x.permute(0, 0)
    with pytest.raises(RuntimeError, match="number of dims"):
        x.permute(0)
    with pytest.raises(IndexError):
        x.transpose(0, 2)
    assert fastdl.tensor(1.0).t().shape == ()  # 0-d: the Python path
    assert fastdl.autograd.gradcheck(lambda t: t.permute(1, 0) * fastdl.arange(3.0).reshape(3, 1), (x.double(),))


def test_clamp_plain_number_path():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((5, 7))
    for dtype in (fastdl.float32, fastdl.float64):
        x = fastdl.tensor(a, dtype=dtype)
        want = lambda lo, hi: np.clip(a, lo, hi).astype(x.numpy().dtype)
        np.testing.assert_array_equal(x.clamp(-0.5, 0.25).numpy(), want(-0.5, 0.25))
        np.testing.assert_array_equal(x.clamp(min=0).numpy(), want(0, None))
        np.testing.assert_array_equal(x.clamp(max=-1).numpy(), want(None, -1))
        assert x.clamp(-1, 1).dtype is dtype
        assert np.isnan(x.clamp(float("nan"), 1).numpy()).all()  # a NaN bound: every element NaN (torch)
    with pytest.raises(ValueError, match="clamp"):
        fastdl.randn(2).clamp()
    assert fastdl.arange(5).clamp(1, 3).tolist() == [1, 1, 2, 3, 3]  # integers keep their dtype
    assert fastdl.arange(5).clamp(0.5, 2.5).dtype is fastdl.float32  # promoted by a float bound
    xg = fastdl.tensor(a, requires_grad=True)
    assert fastdl.autograd.gradcheck(lambda t: t.clamp(-0.5, 0.5), (xg,))


# ---- gather -------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(20))
def test_gather_front_matches_numpy(seed):
    rng = np.random.default_rng(seed)
    shape = random_shape(rng)
    a = rng.standard_normal(shape)
    dtype = (fastdl.float32, fastdl.float64, fastdl.int64)[seed % 3]
    x = laid_out(rng, a, dtype)
    for d in range(-len(shape), len(shape)):
        ishape = tuple(int(rng.integers(1, s + 1)) if i != d % len(shape) else int(rng.integers(1, 6))
                       for i, s in enumerate(shape))
        idx = rng.integers(0, shape[d], size=ishape)
        got = _C.cpu_gather_new(x, d, fastdl.tensor(idx))
        assert got is not None and got.dtype is dtype
        region = x.numpy()[tuple(slice(0, s) if i != d % len(shape) else slice(None) for i, s in enumerate(ishape))]
        np.testing.assert_array_equal(got.numpy(), np.take_along_axis(region, idx, d))
        np.testing.assert_array_equal(x.gather(d, fastdl.tensor(idx)).numpy(), got.numpy())


def test_gather_front_declines_errors_and_gradient():
    x = fastdl.randn(4, 3)
    i32 = fastdl.tensor([[0], [2], [1], [0]], dtype=fastdl.int32)
    assert _C.cpu_gather_new(x, 1, i32) is None  # int32 index: the Python path converts it
    np.testing.assert_array_equal(x.gather(1, i32).numpy(), np.take_along_axis(x.numpy(), i32.numpy(), 1))
    assert _C.cpu_gather_new(x, 1, fastdl.tensor([0, 1])) is None  # another ndim: Python's error
    with pytest.raises(ValueError, match="gather"):
        x.gather(1, fastdl.tensor([0, 1]))
    with pytest.raises(IndexError, match="gather"):
        x.gather(1, fastdl.tensor([[3]]))  # out of range: the kernel's error, through the front
    with pytest.raises(IndexError):
        x.gather(2, fastdl.tensor([[0]]))
    q = fastdl.tensor(np.random.default_rng(4).standard_normal((5, 4)), requires_grad=True)
    a = fastdl.tensor([[1], [3], [0], [0], [2]])
    out = q.gather(1, a)
    assert out.requires_grad and out.grad_fn is not None
    assert fastdl.autograd.gradcheck(lambda t: t.gather(1, a) ** 2, (q,))
    assert fastdl.autograd.gradgradcheck(lambda t: t.gather(-1, a) ** 2, (q,))


# ---- cross_entropy / smooth_l1_loss ---------------------------------------------------

def _composed_cross_entropy(x, t, ignore_index, reduction):
    """The general path's ops, written out: the fused per-sample kernel, then the reduction."""
    from fastdl.ops.loss import _CrossEntropy
    per_sample = _CrossEntropy.apply(x, t, None, ignore_index, 0.0)
    if reduction == "none":
        return per_sample
    if reduction == "sum":
        return per_sample.sum()
    return per_sample.sum() / int((t != ignore_index).sum())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_cross_entropy_front_is_the_general_path_bit_for_bit(dtype, reduction):
    rng = np.random.default_rng(5)
    a = rng.standard_normal((37, 11)) * 3
    t = rng.integers(0, 11, size=37)
    t[::5] = -100
    dt = getattr(fastdl, dtype)
    x1, x2 = fastdl.tensor(a, dtype=dt, requires_grad=True), fastdl.tensor(a, dtype=dt, requires_grad=True)
    tt = fastdl.tensor(t)
    assert _C.cpu_cross_entropy_new(x1, tt, -100) is not None
    got = fastdl.nn.functional.cross_entropy(x1, tt, reduction=reduction)
    want = _composed_cross_entropy(x2, tt, -100, reduction)
    np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
    got.sum().backward()
    want.sum().backward()
    np.testing.assert_array_equal(x1.grad.numpy(), x2.grad.numpy())
    logp = a - np.log(np.exp(a).sum(1, keepdims=True))
    kept = t != -100
    per = np.where(kept, -logp[np.arange(37), np.where(kept, t, 0)], 0.0)
    ref = {"none": per, "sum": per.sum(), "mean": per.sum() / kept.sum()}[reduction]
    np.testing.assert_allclose(got.detach().numpy(), ref, rtol=1e-5 if dtype == "float32" else 1e-12)


def test_cross_entropy_front_declines_and_errors():
    x, t = fastdl.randn(4, 3), fastdl.tensor([0, 2, 1, 0])
    assert _C.cpu_cross_entropy_new(x.t().contiguous().t(), t, -100) is None  # not contiguous
    assert _C.cpu_cross_entropy_new(x, t.to(fastdl.int32), -100) is None
    assert _C.cpu_cross_entropy_new(x, fastdl.tensor([0, 1]), -100) is None
    with pytest.raises(ValueError, match="cross_entropy"):
        fastdl.nn.functional.cross_entropy(x, fastdl.tensor([0, 1]))
    with pytest.raises(IndexError):
        fastdl.nn.functional.cross_entropy(x, fastdl.tensor([0, 3, 1, 0]))  # the kernel's range check
    assert np.isnan(fastdl.nn.functional.cross_entropy(x, fastdl.full((4,), -100)).item())  # all ignored
    xg = fastdl.tensor(np.random.default_rng(6).standard_normal((5, 4)), requires_grad=True)
    tg = fastdl.tensor([0, 3, -100, 1, 2])
    assert fastdl.autograd.gradcheck(lambda z: fastdl.nn.functional.cross_entropy(z, tg), (xg,))
    assert fastdl.autograd.gradgradcheck(lambda z: fastdl.nn.functional.cross_entropy(z, tg), (xg,))


@pytest.mark.parametrize("beta", [1.0, 0.5, 2.0, 0.3])
def test_smooth_l1_is_its_composed_definition_bit_for_bit(beta):
    from fastdl.ops.elementwise import where
    rng = np.random.default_rng(7)
    a = (rng.standard_normal((64, 4)) * 2).astype(np.float32)
    b = rng.standard_normal((64, 4)).astype(np.float32)
    x1, x2 = fastdl.tensor(a, requires_grad=True), fastdl.tensor(a, requires_grad=True)
    t = fastdl.tensor(b)
    got = fastdl.nn.functional.smooth_l1_loss(x1, t, beta=beta)
    d = x2 - t
    ad = d.abs()
    want = where(ad < beta, d * d * (0.5 / beta), ad - 0.5 * beta).mean()
    assert got.item() == want.item()
    got.backward()
    want.backward()
    if beta in (1.0, 0.5, 2.0):  # powers of two: the gradient's bits too
        np.testing.assert_array_equal(x1.grad.numpy(), x2.grad.numpy())
    np.testing.assert_allclose(x1.grad.numpy(), x2.grad.numpy(), rtol=1e-6, atol=1e-9)
    dd = a.astype(np.float64) - b
    ref = np.where(np.abs(dd) < beta, 0.5 * dd * dd / beta, np.abs(dd) - 0.5 * beta).mean()
    np.testing.assert_allclose(got.item(), ref, rtol=1e-5)


def test_smooth_l1_gradients_float64():
    rng = np.random.default_rng(8)
    x = fastdl.tensor(rng.standard_normal((6, 3)) * 2, requires_grad=True)
    t = fastdl.tensor(rng.standard_normal((6, 3)), requires_grad=True)
    for beta in (1.0, 0.7, 0.0):
        f = lambda a, b: fastdl.nn.functional.smooth_l1_loss(a, b, beta=beta, reduction="sum")
        assert fastdl.autograd.gradcheck(f, (x, t))
        if beta:
            assert fastdl.autograd.gradgradcheck(f, (x, t))


# ---- full max / min, argmax(), dtype shortcuts, clone / flatten / expand ---------------

@pytest.mark.parametrize("seed", range(10))
def test_full_reductions_and_flat_argmax(seed):
    rng = np.random.default_rng(seed)
    shape = random_shape(rng)
    a = ties(rng, shape)
    x = laid_out(rng, a, fastdl.float64)
    nan = np.isnan(a).any()
    assert (np.isnan(x.max().item()) if nan else x.max().item() == a.max())
    assert (np.isnan(x.min().item()) if nan else x.min().item() == a.min())
    flat_key = np.where(np.isnan(a), np.inf, a).reshape(-1)
    want = int(np.argmax(np.isnan(a).reshape(-1))) if nan else int(np.argmax(flat_key))
    assert x.argmax().item() == want and x.argmax().shape == ()
    assert x.argmax(keepdim=True).shape == (1,) * len(shape)
    for dims in ([0], list(range(len(shape)))):
        for keepdim in (False, True):
            got = fastdl.amax(x, dims, keepdim)
            ref = np.max(a, axis=tuple(dims), keepdims=keepdim)
            np.testing.assert_array_equal(got.numpy(), ref)


def test_full_max_gradient_shares_ties():
    x = fastdl.tensor([[1.0, 3.0], [3.0, 2.0]], requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 0.5], [0.5, 0.0]])
    xg = fastdl.tensor(np.random.default_rng(9).standard_normal((3, 4)), requires_grad=True)
    for keepdim in (False, True):
        assert fastdl.autograd.gradcheck(lambda t: fastdl.amax(t, 1, keepdim) * 3, (xg,))
        assert fastdl.autograd.gradcheck(lambda t: fastdl.amin(t, [0, 1], keepdim), (xg,))
    with pytest.raises(ValueError, match="max"):
        fastdl.randn(0, 3).max()


def test_dtype_shortcuts_return_self_or_convert():
    x = fastdl.randn(3, 4)
    assert x.float() is x and x.double().dtype is fastdl.float64 and x.long().dtype is fastdl.int64
    d = x.double()
    assert d.double() is d and d.float().dtype is fastdl.float32
    xs = fastdl.randn(4, 6)[:, ::2]  # any layout of the same dtype and device: the tensor itself, as torch
    xt = x.t()
    assert xs.float() is xs and xt.float() is xt
    assert xs.to(fastdl.float32) is xs and xs.to("cpu") is xs
    c = xs.to(fastdl.float32, copy=True)
    assert c is not xs and np.array_equal(c.numpy(), xs.numpy())
    assert xs.double().dtype is fastdl.float64 and np.array_equal(xs.double().numpy(), xs.numpy())


def test_clone_flatten_expand_fronts():
    rng = np.random.default_rng(10)
    a = rng.standard_normal((3, 1, 4))
    x = fastdl.tensor(a, requires_grad=True)
    c = x.clone()
    assert c.stride() == x.stride() and np.array_equal(c.detach().numpy(), a)
    c.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones_like(a))
    nc = fastdl.tensor(np.ascontiguousarray(a.transpose(2, 1, 0))).permute(2, 1, 0)
    assert nc.clone().stride() == nc.stride()  # preserve_format keeps a dense layout
    assert x.flatten().shape == (12,) and fastdl.tensor(2.0).flatten().shape == (1,)
    assert x.flatten(1).shape == (3, 4)
    e = x.expand(2, 3, 5, 4)
    assert e.shape == (2, 3, 5, 4) and e.stride() == (0, 4, 0, 1)
    np.testing.assert_array_equal(e.detach().numpy(), np.broadcast_to(a, (2, 3, 5, 4)))
    assert x.expand(-1, -1, -1) is x and x.expand((3, 2, 4)).shape == (3, 2, 4)
    with pytest.raises(RuntimeError, match="expand"):
        x.expand(3, 2, 5)
    with pytest.raises(RuntimeError, match="expand"):
        x.expand(4)
    with pytest.raises(RuntimeError, match="expand"):
        x.expand(-1, 3, 1, 4)
    assert fastdl.autograd.gradcheck(lambda t: t.expand(2, 3, 5, 4) * 1.5, (x,))


# ---- in-place writes (assign_'s C++ copy, fill_) ---------------------------------------

def test_inplace_copy_front_and_what_it_leaves_to_python():
    rng = np.random.default_rng(11)
    a, b = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    x, y = fastdl.tensor(a), fastdl.tensor(b)
    v = x._buf.version
    assert x.copy_(y) is x and np.array_equal(x.numpy(), b) and x._buf.version == v + 1
    assert _C.cpu_assign_new(x, y) is True
    assert _C.cpu_assign_new(x, x) is False  # the same memory: Python reads it fully first
    assert _C.cpu_assign_new(x, fastdl.randn(5)) is False  # broadcasting
    assert _C.cpu_assign_new(x, y.float()) is False  # conversion
    assert _C.cpu_assign_new(fastdl.randn(1, 5).expand(4, 5), y) is False  # repeated elements
    x.copy_(fastdl.tensor(np.arange(5.0)))  # broadcast through the Python path
    np.testing.assert_array_equal(x.numpy(), np.broadcast_to(np.arange(5.0), (4, 5)))
    x[:, 1:].copy_(x[:, :-1])  # overlapping views of one buffer
    np.testing.assert_array_equal(x.numpy()[0], [0, 0, 1, 2, 3])
    with pytest.raises(RuntimeError, match="single memory location"):
        fastdl.randn(1, 5).expand(4, 5).copy_(y)
    z = fastdl.tensor(a)
    np.testing.assert_array_equal(z.relu_().numpy(), np.maximum(a, 0))
    np.testing.assert_array_equal(fastdl.tensor(a).clamp_(-0.2, 0.3).numpy(), np.clip(a, -0.2, 0.3))
    leaf = fastdl.tensor(a, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        leaf.copy_(y)
    with pytest.raises(RuntimeError, match="leaf"):
        leaf.zero_()
    with fastdl.no_grad():
        leaf.copy_(y)  # parameter updates under no_grad
        assert np.array_equal(leaf.detach().numpy(), b)
        leaf.fill_(2.0)
        assert (leaf.detach().numpy() == 2.0).all()


def test_inplace_on_graph_values_keeps_the_graph():
    a = np.random.default_rng(12).standard_normal((3, 4))
    w = fastdl.tensor(a, requires_grad=True)
    h = w * 2
    h.relu_()  # through assign_'s graph path: h takes relu's place in the graph
    h.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.where(a > 0, 2.0, 0.0))
    t = fastdl.zeros(3, 4)
    t.copy_(w * 3)  # a graph-carrying source: t joins the graph
    assert t.requires_grad and t.grad_fn is not None


@pytest.mark.parametrize("op", ["exp", "log", "sqrt", "neg", "abs", "relu", "sigmoid", "tanh", "floor", "round",
                                "sign"])
def test_inplace_unary_kernel_writes_over_its_input(op):
    rng = np.random.default_rng(13)
    a = rng.standard_normal((6, 7)) * 3
    if op in ("log", "sqrt"):
        a = np.abs(a)
    for dtype in (fastdl.float32, fastdl.float64):
        x = fastdl.tensor(a, dtype=dtype)
        want = getattr(x, op)().numpy()
        buf, v = x._buf, x._buf.version
        assert getattr(x, op + "_")() is x and x._buf is buf and x._buf.version == v + 1
        np.testing.assert_array_equal(x.numpy(), want)
        xt = fastdl.tensor(np.ascontiguousarray(a.T), dtype=dtype).t()  # not row-major: the general path
        np.testing.assert_array_equal(getattr(xt, op + "_")().numpy(), want)
    leaf = fastdl.tensor(a, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        getattr(leaf, op + "_")()


def test_full_max_min_without_graph_is_the_kernel_alone():
    """x.max() / x.min() with nothing to record skip the Function: same values (NaN
    propagated, any layout, float64), the empty-input error kept, and the graph recorded
    whenever x requires grad."""
    rng = np.random.default_rng(5)
    a = rng.standard_normal((7, 9)).astype(np.float32)
    for arr in (a, a.T, a.astype(np.float64)):
        x = fastdl.tensor(np.ascontiguousarray(arr)) if arr is not a.T else fastdl.tensor(a).t()
        assert float(x.max()) == arr.max() and float(x.min()) == arr.min()
        assert x.max().shape == () and x.max().dtype == x.dtype and not x.max().requires_grad
    n = a.copy()
    n[3, 4] = np.nan
    assert np.isnan(float(fastdl.tensor(n).max())) and np.isnan(float(fastdl.tensor(n).min()))
    with pytest.raises(ValueError, match="max: cannot reduce over an empty dimension"):
        fastdl.zeros(0, 3).max()
    w = fastdl.tensor(a, requires_grad=True)
    m = w.max()
    assert m.requires_grad
    m.backward()
    assert w.grad.numpy().sum() == 1.0
    with fastdl.no_grad():
        assert not w.max().requires_grad and float(w.min()) == a.min()
