"""t[key], t[key] = v, take and nll_loss against torch on randomized keys that mix every
kind (ints, slices, None, Ellipsis, index tensors of int64 / int32, bool masks, lists),
on contiguous, strided and permuted tensors: the same values, shapes and gradients, and
an error exactly where torch raises one. It exercises the C++ fast paths (bind_index_new,
bind_basic_index, nll_loss) and the Python paths they hand cases to, together."""
import numpy as np
import pytest

import fastdl

torch = pytest.importorskip("torch")


def key_item(rng, size, lib):
    r = rng.random()
    if r < 0.2:
        return int(rng.integers(-size - 1, size + 1)) if size else 0
    if r < 0.4:
        return slice(int(rng.integers(-size, size + 1)) if rng.random() < 0.7 else None, None,
                     int(rng.integers(1, 3)))
    if r < 0.5:
        return None
    if r < 0.8:
        vals = rng.integers(-size - (rng.random() < 0.1), max(size, 1), size=tuple(rng.integers(1, 3, size=int(rng.integers(1, 3)))))
        dtype = (fastdl.int32, torch.int32) if rng.random() < 0.3 else (fastdl.int64, torch.int64)
        return ("idx", vals, dtype)
    return ("list", [int(v) for v in rng.integers(-size, max(size, 1), size=2)])


def build_key(items, libname):
    out = []
    for it in items:
        if isinstance(it, tuple) and it[0] == "idx":
            out.append(fastdl.tensor(it[1], dtype=it[2][0]) if libname == "fastdl" else torch.tensor(it[1], dtype=it[2][1]))
        elif isinstance(it, tuple) and it[0] == "mask":
            out.append(fastdl.tensor(it[1]) if libname == "fastdl" else torch.tensor(it[1]))
        elif isinstance(it, tuple) and it[0] == "list":
            out.append(list(it[1]))
        else:
            out.append(it)
    return out[0] if len(out) == 1 and not isinstance(out[0], (slice, type(None))) and len(items) == 1 else tuple(out)


def random_items(rng, shape):
    if rng.random() < 0.25 and shape:  # a bool mask over the leading dims
        m = int(rng.integers(1, len(shape) + 1))
        return [("mask", rng.random(shape[:m]) > 0.5)]
    items, d = [], 0
    while d < len(shape) and rng.random() < 0.85:
        it = key_item(rng, shape[d], None)
        items.append(it)
        d += it is not None
    if rng.random() < 0.2:
        items.insert(int(rng.integers(0, len(items) + 1)), Ellipsis)
    return items or [slice(None)]


def make_pair(rng, shape, layout, dtype):
    data = (rng.standard_normal(shape) * 3).astype(np.float64)
    t = torch.tensor(data).to(dtype[1])
    f = fastdl.tensor(data).to(dtype[0])
    if layout == "permuted" and len(shape) > 1:
        t = torch.tensor(np.ascontiguousarray(data.T)).to(dtype[1]).permute(*range(len(shape))[::-1])
        f = fastdl.tensor(np.ascontiguousarray(data.T)).to(dtype[0]).permute(*range(len(shape))[::-1])
    elif layout == "strided":
        big = np.repeat(data, 2, axis=-1) if shape else data
        sl = (Ellipsis, slice(None, None, 2)) if shape else ()
        t = torch.tensor(big).to(dtype[1])[sl]
        f = fastdl.tensor(big).to(dtype[0])[sl]
    return f, t


DTYPES = [(fastdl.float32, torch.float32), (fastdl.float64, torch.float64), (fastdl.int64, torch.int64),
          (fastdl.bool, torch.bool)]


def outcome(fn):
    try:
        return fn(), None
    except (IndexError, ValueError, RuntimeError, TypeError) as e:
        return None, e


@pytest.mark.parametrize("seed", range(60))
def test_getitem_and_setitem_like_torch(seed):
    rng = np.random.default_rng(seed)
    shape = tuple(int(s) for s in rng.integers(0, 5, size=int(rng.integers(1, 4))))
    dtype = DTYPES[seed % len(DTYPES)]
    for layout in ("contiguous", "strided", "permuted"):
        f, t = make_pair(rng, shape, layout, dtype)
        for _ in range(8):
            items = random_items(rng, shape)
            fk, tk = build_key(items, "fastdl"), build_key(items, "torch")
            got, ferr = outcome(lambda: f[fk])
            want, terr = outcome(lambda: t[tk])
            assert (ferr is None) == (terr is None), (items, ferr, terr)
            if terr is None:
                assert tuple(got.shape) == tuple(want.shape), items
                np.testing.assert_array_equal(got.numpy(), want.numpy())
            if layout != "contiguous" or terr is not None:
                continue
            value = rng.standard_normal(tuple(want.shape)[int(rng.integers(0, want.ndim + 1)):]) * 3
            fv, tv = fastdl.tensor(value).to(dtype[0]), torch.tensor(value).to(dtype[1])
            # repeated indices make the written value order-dependent: compare only without them
            probe = torch.arange(t.numel()).reshape(t.shape)[tk].reshape(-1)
            if probe.numel() != probe.unique().numel():
                continue
            _, ferr = outcome(lambda: f.__setitem__(fk, fv))
            _, terr = outcome(lambda: t.__setitem__(tk, tv))
            assert (ferr is None) == (terr is None), (items, ferr, terr)
            np.testing.assert_array_equal(f.numpy(), t.numpy())


@pytest.mark.parametrize("seed", range(10))
def test_gradients_through_mixed_keys_like_torch(seed):
    rng = np.random.default_rng(1000 + seed)
    shape = tuple(int(s) for s in rng.integers(1, 5, size=int(rng.integers(1, 4))))
    data = rng.standard_normal(shape)
    for _ in range(6):
        items = random_items(rng, shape)
        f = fastdl.tensor(data, requires_grad=True)
        t = torch.tensor(data, requires_grad=True)
        got, ferr = outcome(lambda: f[build_key(items, "fastdl")])
        want, terr = outcome(lambda: t[build_key(items, "torch")])
        assert (ferr is None) == (terr is None), items
        if terr is not None or want.numel() == 0:
            continue
        g = rng.standard_normal(tuple(want.shape))
        got.backward(fastdl.tensor(g))
        want.backward(torch.tensor(g))
        np.testing.assert_allclose(f.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", range(10))
def test_take_and_nll_loss_like_torch(seed):
    rng = np.random.default_rng(2000 + seed)
    shape = tuple(int(s) for s in rng.integers(1, 5, size=int(rng.integers(1, 4))))
    data = rng.standard_normal(shape)
    idx = rng.integers(-data.size - 1, data.size + 1, size=(3,))
    got, ferr = outcome(lambda: fastdl.take(fastdl.tensor(data), fastdl.tensor(idx)))
    want, terr = outcome(lambda: torch.take(torch.tensor(data), torch.tensor(idx)))
    assert (ferr is None) == (terr is None)
    if terr is None:
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    N, C = int(rng.integers(1, 6)), int(rng.integers(1, 6))
    x = rng.standard_normal((N, C))
    target = rng.integers(-1, C + (seed % 3 == 0), size=N)
    w = rng.random(C) + 0.1 if seed % 2 else None
    for reduction in ("mean", "sum", "none"):
        a, b = fastdl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        la, ferr = outcome(lambda: fastdl.nn.functional.nll_loss(
            a, fastdl.tensor(target), None if w is None else fastdl.tensor(w), ignore_index=-1, reduction=reduction))
        lb, terr = outcome(lambda: torch.nn.functional.nll_loss(
            b, torch.tensor(target), None if w is None else torch.tensor(w), ignore_index=-1, reduction=reduction))
        assert (ferr is None) == (terr is None), (target, ferr, terr)
        if terr is not None:
            continue
        np.testing.assert_allclose(la.detach().numpy(), lb.detach().numpy(), rtol=1e-12, atol=1e-12, equal_nan=True)
        la.sum().backward()
        lb.sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12, atol=1e-12, equal_nan=True)
