"""nn spatial ops, part 2 (fold / unfold and the extra pooling ops): forward against
float64 loop references in NumPy, float64 gradcheck, torch parity (values, indices and
gradients) when torch is installed, the modules' repr, and bad inputs."""
import itertools

import numpy as np
import pytest

import fastdl
import fastdl.nn as nn
import fastdl.nn.functional as F
from fastdl.testing import gradcheck
from nn_helpers import T, npy, torch_or_skip

RNG = np.random.default_rng(11)


def rand(*shape):
    return RNG.standard_normal(shape)


def out_len(n, k, s, p, d):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


# ---------------------------------------------------------------- fold / unfold

def ref_unfold(x, k, d, p, s):
    N, C, H, W = x.shape
    OH, OW = out_len(H, k[0], s[0], p[0], d[0]), out_len(W, k[1], s[1], p[1], d[1])
    cols = np.zeros((N, C * k[0] * k[1], OH * OW))
    for c, i, j, oh, ow in itertools.product(range(C), range(k[0]), range(k[1]), range(OH), range(OW)):
        h, w = oh * s[0] - p[0] + i * d[0], ow * s[1] - p[1] + j * d[1]
        if 0 <= h < H and 0 <= w < W:
            cols[:, (c * k[0] + i) * k[1] + j, oh * OW + ow] = x[:, c, h, w]
    return cols


def ref_fold(cols, size, k, d, p, s):
    N, CK, L = cols.shape
    C, (H, W) = CK // (k[0] * k[1]), size
    OW = out_len(W, k[1], s[1], p[1], d[1])
    y = np.zeros((N, C, H, W))
    for c, i, j, l in itertools.product(range(C), range(k[0]), range(k[1]), range(L)):
        h, w = (l // OW) * s[0] - p[0] + i * d[0], (l % OW) * s[1] - p[1] + j * d[1]
        if 0 <= h < H and 0 <= w < W:
            y[:, c, h, w] += cols[:, (c * k[0] + i) * k[1] + j, l]
    return y


# (kernel_size, dilation, padding, stride) as given, and as pairs
FOLD_CASES = [(2, 1, 0, 1), ((2, 3), (1, 2), (1, 0), (2, 1)), (3, 2, 1, 2)]


def pairs(args):
    return tuple(a if isinstance(a, tuple) else (a, a) for a in args)


@pytest.mark.parametrize("args", FOLD_CASES)
def test_unfold_fold_forward_against_loops(args):
    x = rand(2, 3, 6, 7)
    cols = F.unfold(T(x), *args)
    np.testing.assert_allclose(npy(cols), ref_unfold(x, *pairs(args)), rtol=0, atol=0)
    c = rand(*cols.shape)
    np.testing.assert_allclose(npy(F.fold(T(c), (6, 7), *args)), ref_fold(c, (6, 7), *pairs(args)), atol=1e-12)
    # unbatched and float32
    np.testing.assert_array_equal(npy(F.unfold(T(x[0]), *args)), npy(cols)[0])
    np.testing.assert_allclose(npy(F.fold(T(c[1].astype(np.float32)), (6, 7), *args)),
                               ref_fold(c[1:2], (6, 7), *pairs(args))[0], rtol=1e-5, atol=1e-5)


def test_unfold_fold_gradcheck_and_half():
    x = T(rand(1, 2, 4, 5), True)
    assert gradcheck(lambda t: F.unfold(t, (2, 3), 1, 1, (2, 1)), x)
    c = T(rand(1, 8, 8), True)
    assert gradcheck(lambda t: F.fold(t, (4, 5), 2, 1, 0, (2, 1)), c)
    h = F.unfold(fastdl.tensor(rand(2, 4, 4)).to(fastdl.float16), 2)
    assert h.dtype is fastdl.float16 and tuple(h.shape) == (8, 9)


def test_fold_unfold_modules_and_torch():
    torch = torch_or_skip()
    x = rand(2, 3, 5, 6)
    u, tu = nn.Unfold((2, 3), padding=1, stride=2), torch.nn.Unfold((2, 3), padding=1, stride=2)
    assert repr(u) == repr(tu)
    np.testing.assert_array_equal(npy(u(T(x))), tu(torch.tensor(x)).numpy())
    f, tf = nn.Fold((5, 6), 2, dilation=2), torch.nn.Fold((5, 6), 2, dilation=2)
    assert repr(f) == repr(tf) and list(f.state_dict()) == []
    c = rand(2, 12, 12)
    np.testing.assert_allclose(npy(f(T(c))), tf(torch.tensor(c)).numpy(), atol=1e-12)


# ---------------------------------------------------------------- max pool 3-D and adaptive max


def ref_max_pool(x, k, s, p, d, out):
    """(values, flat indices) over the last len(k) dims; padding never wins."""
    n = len(k)
    S = x.shape[-n:]
    vals = np.full(x.shape[:-n] + tuple(out), -np.inf)
    idx = np.zeros(x.shape[:-n] + tuple(out), np.int64)
    for o in itertools.product(*[range(m) for m in out]):
        best, where = None, None
        for kk in itertools.product(*[range(m) for m in k]):
            pos = [oi * si - pi + ki * di for oi, si, pi, ki, di in zip(o, s, p, kk, d)]
            if all(0 <= q < m for q, m in zip(pos, S)):
                v = x[(Ellipsis,) + tuple(pos)]
                flat = int(np.ravel_multi_index(pos, S))
                if best is None:
                    best, where = v.copy(), np.full(v.shape, flat)
                else:
                    better = v > best
                    best, where = np.where(better, v, best), np.where(better, flat, where)
        vals[(Ellipsis,) + o], idx[(Ellipsis,) + o] = best, where
    return vals, idx


def test_max_pool3d_against_loops():
    x = rand(2, 2, 5, 6, 4)
    v, i = F.max_pool3d(T(x), (3, 2, 2), (2, 1, 2), (1, 0, 1), (1, 2, 1), ceil_mode=True, return_indices=True)
    out = [3, 4, 3]  # ceil_mode: the last window along D and W starts inside the input
    rv, ri = ref_max_pool(x, (3, 2, 2), (2, 1, 2), (1, 0, 1), (1, 2, 1), out)
    np.testing.assert_array_equal(npy(v), rv)
    np.testing.assert_array_equal(i.numpy(), ri)
    assert i.dtype is fastdl.int64
    # unbatched, module, with_indices
    v0, i0 = F.max_pool3d_with_indices(T(x[0]), 2)
    np.testing.assert_array_equal(i0.numpy(), ref_max_pool(x[0], (2,) * 3, (2,) * 3, (0,) * 3, (1,) * 3, [2, 3, 2])[1])
    np.testing.assert_array_equal(npy(nn.MaxPool3d(2)(T(x[0]))), npy(v0))


def ref_adaptive_windows(n_in, n_out):
    return [(o * n_in // n_out, -(-(o + 1) * n_in // n_out)) for o in range(n_out)]


def ref_adaptive(x, out, reduce):
    n = len(out)
    S = x.shape[-n:]
    wins = [ref_adaptive_windows(m, o) for m, o in zip(S, out)]
    res = np.zeros(x.shape[:-n] + tuple(out))
    idx = np.zeros(x.shape[:-n] + tuple(out), np.int64)
    for o in itertools.product(*[range(m) for m in out]):
        sl = tuple(slice(*wins[i][oi]) for i, oi in enumerate(o))
        block = x[(Ellipsis,) + sl].reshape(x.shape[:-n] + (-1,))
        if reduce == "max":
            a = block.argmax(-1)
            res[(Ellipsis,) + o] = block.max(-1)
            local = np.unravel_index(a, [e - b for b, e in (wins[i][oi] for i, oi in enumerate(o))])
            glob = [loc + wins[i][oi][0] for i, (loc, oi) in enumerate(zip(local, o))]
            idx[(Ellipsis,) + o] = np.ravel_multi_index(glob, S)
        else:
            res[(Ellipsis,) + o] = block.mean(-1)
    return res, idx


@pytest.mark.parametrize("n,shape,out", [(1, (2, 3, 7), 3), (2, (2, 3, 7, 5), (3, None)), (2, (3, 5, 6), (4, 4)),
                                         (3, (1, 2, 5, 4, 7), (2, 3, 3)), (3, (2, 3, 3, 4), 2)])
def test_adaptive_max_pool_against_loops(n, shape, out):
    x = rand(*shape)
    fn = getattr(F, f"adaptive_max_pool{n}d")
    v, i = fn(T(x), out, return_indices=True)
    sizes = (out,) * n if isinstance(out, int) else tuple(m if o is None else o for o, m in zip(out, shape[-n:]))
    rv, ri = ref_adaptive(x, sizes, "max")
    np.testing.assert_array_equal(npy(v), rv)
    np.testing.assert_array_equal(i.numpy(), ri)
    np.testing.assert_array_equal(npy(getattr(F, f"adaptive_max_pool{n}d_with_indices")(T(x), out)[0]), rv)
    np.testing.assert_array_equal(npy(getattr(nn, f"AdaptiveMaxPool{n}d")(out)(T(x))), rv)


def test_adaptive_avg_pool3d_against_loops():
    x = rand(2, 2, 5, 4, 7)
    np.testing.assert_allclose(npy(F.adaptive_avg_pool3d(T(x), (2, 3, 4))), ref_adaptive(x, (2, 3, 4), "mean")[0],
                               atol=1e-12)
    np.testing.assert_allclose(npy(nn.AdaptiveAvgPool3d((None, 1, 3))(T(x[0]))),
                               ref_adaptive(x[0], (5, 1, 3), "mean")[0], atol=1e-12)


def ref_avg_pool3d(x, k, s, p, ceil_mode, count_include_pad, divisor_override):
    S = x.shape[-3:]
    out = []
    for m, kk, ss, pp in zip(S, k, s, p):
        num = m + 2 * pp - kk
        o = (-(-num // ss) if ceil_mode else num // ss) + 1
        if ceil_mode and (o - 1) * ss >= m + pp:
            o -= 1
        out.append(o)
    y = np.zeros(x.shape[:-3] + tuple(out))
    for o in itertools.product(*[range(m) for m in out]):
        starts = [oi * ss - pp for oi, ss, pp in zip(o, s, p)]
        ends = [min(b + kk, m + pp) for b, kk, m, pp in zip(starts, k, S, p)]
        size = np.prod([e - b for b, e in zip(starts, ends)])
        starts, ends = [max(b, 0) for b in starts], [min(e, m) for e, m in zip(ends, S)]
        block = x[(Ellipsis,) + tuple(slice(b, e) for b, e in zip(starts, ends))]
        div = divisor_override or (size if count_include_pad else np.prod([e - b for b, e in zip(starts, ends)]))
        y[(Ellipsis,) + o] = block.sum(axis=(-3, -2, -1)) / div
    return y


@pytest.mark.parametrize("args", [((2, 2, 2), (2, 2, 2), (0, 0, 0), False, True, None),
                                  ((3, 2, 3), (2, 1, 2), (1, 0, 1), True, False, None),
                                  ((3, 3, 3), (2, 2, 2), (1, 1, 1), True, True, None),
                                  ((2, 3, 2), (1, 2, 1), (1, 1, 0), False, True, 5)])
def test_avg_pool3d_against_loops(args):
    x = rand(2, 2, 5, 6, 5)
    k, s, p, ceil_mode, cip, div = args
    got = F.avg_pool3d(T(x), k, s, p, ceil_mode, cip, div)
    np.testing.assert_allclose(npy(got), ref_avg_pool3d(x, *args), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(npy(nn.AvgPool3d(k, s, p, ceil_mode, cip, div)(T(x[1]))), npy(got)[1], atol=1e-12)


def test_pooling_more_half_inputs_run_on_float32():
    x = rand(2, 3, 4, 5, 4)
    h = fastdl.tensor(x).to(fastdl.float16)
    x16 = npy(h.to(fastdl.float64))
    v, i = F.max_pool3d(h, 2, return_indices=True)
    rv, ri = ref_max_pool(x16, (2,) * 3, (2,) * 3, (0,) * 3, (1,) * 3, [2, 2, 2])
    assert v.dtype is fastdl.float16
    np.testing.assert_array_equal(npy(v.to(fastdl.float64)), rv)  # a max is exact
    np.testing.assert_array_equal(i.numpy(), ri)
    a = F.avg_pool3d(h, 2)
    assert a.dtype is fastdl.float16
    np.testing.assert_allclose(npy(a.to(fastdl.float64)), ref_avg_pool3d(x16, (2,) * 3, (2,) * 3, (0,) * 3, False,
                                                                         True, None), rtol=1e-3, atol=1e-3)
    b = F.adaptive_max_pool2d(h[0].to(fastdl.bfloat16), (3, 2))
    assert b.dtype is fastdl.bfloat16 and tuple(b.shape) == (3, 4, 3, 2)
    assert F.fractional_max_pool2d(h[0], 2, (2, 3)).dtype is fastdl.float16
    assert F.adaptive_avg_pool3d(h, 2).dtype is fastdl.float16


# ---------------------------------------------------------------- max_unpool, lp_pool


def test_max_unpool_hand_values():
    x = np.array([[[1.0, 5.0, 2.0, 0.0, 3.0, 4.0]]])
    v, i = F.max_pool1d(T(x), 2, return_indices=True)
    np.testing.assert_array_equal(i.numpy(), [[[1, 2, 5]]])
    np.testing.assert_array_equal(npy(F.max_unpool1d(v, i, 2)), [[[0, 5, 2, 0, 0, 4]]])
    np.testing.assert_array_equal(npy(nn.MaxUnpool1d(2)(v, i, output_size=[7])), [[[0, 5, 2, 0, 0, 4, 0]]])
    x2 = rand(2, 3, 4, 6)
    v2, i2 = F.max_pool2d_with_indices(T(x2), 2)
    up = npy(F.max_unpool2d(v2, i2, 2))
    ref = np.zeros_like(x2)
    np.put_along_axis(ref.reshape(2, 3, -1), i2.numpy().reshape(2, 3, -1), npy(v2).reshape(2, 3, -1), axis=-1)
    np.testing.assert_array_equal(up, ref)
    np.testing.assert_array_equal(npy(nn.MaxUnpool2d(2)(v2[0], i2[0])), ref[0])  # unbatched
    x3 = rand(1, 2, 4, 4, 2)
    v3, i3 = F.max_pool3d(T(x3), 2, return_indices=True)
    up3 = npy(F.max_unpool3d(v3, i3, 2))
    assert up3.shape == x3.shape and np.count_nonzero(up3) == 8 and set(up3[up3 != 0]) == set(npy(v3).ravel())


@pytest.mark.parametrize("n,p,k,s,ceil", [(1, 2.0, 3, 2, False), (2, 1.5, (3, 2), None, True), (3, 3, 2, 1, False)])
def test_lp_pool_against_numpy(n, p, k, s, ceil):
    shape = (2, 3) + (7, 6, 5)[:n]
    x = np.abs(rand(*shape)) + 0.1
    got = getattr(F, f"lp_pool{n}d")(T(x), p, k, s, ceil)
    kk = (k,) * n if isinstance(k, int) else k
    ss = kk if s is None else (s,) * n
    # the p-th root of the windowed sum of x^p (ceil_mode windows clipped at the end)
    pool = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}[n]
    ref = (npy(pool(T(x ** p), kk, ss, 0, ceil, False)) * 0 + 1)  # shape only
    out = np.zeros(ref.shape)
    for o in itertools.product(*[range(m) for m in ref.shape[2:]]):
        sl = tuple(slice(oi * si, oi * si + ki) for oi, si, ki in zip(o, ss, kk))
        block = x[(Ellipsis,) + sl]
        # torch's formula: mean over the padded window times its full area, i.e. the
        # sum over the part inside the input (ceil_mode windows past the end add zero
        # but the mean's divisor is the clipped count)
        cnt = block[0, 0].size
        out[(Ellipsis,) + o] = (block ** p).sum(axis=tuple(range(2, 2 + n))) / cnt * np.prod(kk)
    np.testing.assert_allclose(npy(got), out ** (1.0 / p), rtol=1e-12)
    mod = getattr(nn, f"LPPool{n}d")(p, k, s, ceil)
    np.testing.assert_allclose(npy(mod(T(x))), npy(got), rtol=1e-12)


# ---------------------------------------------------------------- gradients


def test_pooling_more_gradcheck():
    x3 = T(rand(1, 2, 4, 4, 3), True)
    assert gradcheck(lambda t: F.max_pool3d(t, 2, 1, 1), x3)
    assert gradcheck(lambda t: F.avg_pool3d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False), x3)
    assert gradcheck(lambda t: F.adaptive_avg_pool3d(t, (3, 2, 2)), x3)
    assert gradcheck(lambda t: F.adaptive_max_pool3d(t, (3, 2, 2)), x3)
    x2 = T(rand(2, 5, 7), True)
    assert gradcheck(lambda t: F.adaptive_max_pool2d(t, (3, 4)), x2)
    assert gradcheck(lambda t: F.adaptive_max_pool1d(t, 4), x2)
    assert gradcheck(lambda t: F.lp_pool2d(t.abs() + 0.1, 2.5, 2, 1), x2)
    i = F.max_pool2d(fastdl.randn(1, 2, 6, 6), 2, return_indices=True)[1]
    assert gradcheck(lambda t: F.max_unpool2d(t, i, 2), T(rand(1, 2, 3, 3), True))


# ---------------------------------------------------------------- torch parity


def _cmp(torch, got, exp, atol=1e-12):
    got = got if isinstance(got, tuple) else (got,)
    exp = exp if isinstance(exp, tuple) else (exp,)
    for g, e in zip(got, exp):
        assert tuple(g.shape) == tuple(e.shape)
        np.testing.assert_allclose(g.detach().numpy(), e.detach().numpy(), rtol=1e-10, atol=atol)


POOL_PARITY = [
    ("max_pool3d", (2, 2, 5, 6, 5), dict(kernel_size=(3, 2, 2), stride=(2, 1, 2), padding=(1, 0, 1),
                                         dilation=(1, 2, 1), ceil_mode=True, return_indices=True)),
    ("max_pool3d", (2, 5, 6, 5), dict(kernel_size=2)),
    ("avg_pool3d", (2, 2, 5, 6, 5), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                                         count_include_pad=False)),
    ("avg_pool3d", (2, 5, 6, 5), dict(kernel_size=(3, 2, 2), padding=1, divisor_override=3)),
    ("adaptive_avg_pool3d", (2, 2, 5, 6, 5), dict(output_size=(3, None, 2))),
    ("adaptive_max_pool3d", (2, 5, 6, 5), dict(output_size=(2, 4, 3), return_indices=True)),
    ("adaptive_max_pool2d", (2, 3, 7, 5), dict(output_size=(4, 3), return_indices=True)),
    ("adaptive_max_pool1d", (3, 7), dict(output_size=3, return_indices=True)),
    ("lp_pool2d", (2, 3, 7, 5), dict(norm_type=2, kernel_size=(2, 3), stride=1)),
    ("lp_pool1d", (2, 3, 7), dict(norm_type=1.5, kernel_size=2, ceil_mode=True)),
    ("lp_pool3d", (2, 2, 5, 6, 5), dict(norm_type=3, kernel_size=2)),
]


@pytest.mark.parametrize("name,shape,kw", POOL_PARITY)
def test_pooling_more_torch_parity(name, shape, kw):
    torch = torch_or_skip()
    x = rand(*shape)
    if name.startswith("lp"):
        x = np.abs(x) + 0.1
    fx, tx = T(x, True), torch.tensor(x, requires_grad=True)
    got, exp = getattr(F, name)(fx, **kw), getattr(torch.nn.functional, name)(tx, **kw)
    _cmp(torch, got, exp)
    g = rand(*(exp[0] if isinstance(exp, tuple) else exp).shape)
    (got[0] if isinstance(got, tuple) else got).backward(T(g))
    (exp[0] if isinstance(exp, tuple) else exp).backward(torch.tensor(g))
    np.testing.assert_allclose(npy(fx.grad), tx.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_max_unpool_torch_parity():
    torch = torch_or_skip()
    x = rand(2, 3, 5, 7)
    v, i = F.max_pool2d(T(x), 2, 2, return_indices=True)
    tv, ti = torch.nn.functional.max_pool2d(torch.tensor(x), 2, 2, return_indices=True)
    for kw in (dict(output_size=(5, 7)), dict(output_size=[2, 3, 4, 7])):  # indices address 7-wide rows
        _cmp(torch, F.max_unpool2d(v, i, 2, **kw), torch.nn.functional.max_unpool2d(tv, ti, 2, **kw))
    x3 = rand(2, 4, 5, 4)
    v, i = F.max_pool3d(T(x3), 2, return_indices=True)
    tv, ti = torch.nn.functional.max_pool3d(torch.tensor(x3), 2, return_indices=True)
    _cmp(torch, F.max_unpool3d(v, i, 2, output_size=(5, 5, 4)),
         torch.nn.functional.max_unpool3d(tv, ti, 2, output_size=(5, 5, 4)))


def test_pooling_more_module_reprs():
    torch = torch_or_skip()
    pairs_ = [(nn.MaxPool3d(2), torch.nn.MaxPool3d(2)), (nn.AvgPool3d(2), torch.nn.AvgPool3d(2)),
              (nn.AdaptiveAvgPool3d(2), torch.nn.AdaptiveAvgPool3d(2)),
              (nn.AdaptiveMaxPool2d((2, None)), torch.nn.AdaptiveMaxPool2d((2, None))),
              (nn.AdaptiveMaxPool1d(3), torch.nn.AdaptiveMaxPool1d(3)),
              (nn.AdaptiveMaxPool3d(3), torch.nn.AdaptiveMaxPool3d(3)),
              (nn.MaxUnpool1d(2, 1), torch.nn.MaxUnpool1d(2, 1)), (nn.MaxUnpool2d(2), torch.nn.MaxUnpool2d(2)),
              (nn.MaxUnpool3d(2, padding=1), torch.nn.MaxUnpool3d(2, padding=1)),
              (nn.LPPool1d(2, 3), torch.nn.LPPool1d(2, 3)), (nn.LPPool2d(1.5, 2, 1), torch.nn.LPPool2d(1.5, 2, 1)),
              (nn.LPPool3d(2, 2), torch.nn.LPPool3d(2, 2))]
    for ours, theirs in pairs_:
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == []


# ---------------------------------------------------------------- fractional max pool


def ref_fractional(x, u, k, out):
    """torch's generate_intervals per plane (u[..., 0] for W, u[..., 1] for H), then the
    window max; float64 samples."""
    N, C, H, W = x.shape

    def starts(uu, n_in, n_out, kk):
        if n_out == 1:
            return [n_in - kk]
        alpha = (n_in - kk) / (n_out - 1)
        return [int((i + uu) * alpha) - int(uu * alpha) for i in range(n_out - 1)] + [n_in - kk]
    vals, idx = np.zeros((N, C) + out), np.zeros((N, C) + out, np.int64)
    for n, c in itertools.product(range(N), range(C)):
        sh, sw = starts(u[n, c, 1], H, out[0], k[0]), starts(u[n, c, 0], W, out[1], k[1])
        for i, j in itertools.product(range(out[0]), range(out[1])):
            block = x[n, c, sh[i]:sh[i] + k[0], sw[j]:sw[j] + k[1]]
            a = int(block.argmax())
            vals[n, c, i, j] = block.flat[a]
            idx[n, c, i, j] = (sh[i] + a // k[1]) * W + sw[j] + a % k[1]
    return vals, idx


@pytest.mark.parametrize("shape,k,out", [((2, 3, 9, 8), (2, 3), (4, 5)), ((1, 2, 5, 5), 2, (1, 1)),
                                         ((1, 2, 7, 6), 3, (5, 4))])
def test_fractional_max_pool2d_against_loops(shape, k, out):
    x, u = rand(*shape), RNG.uniform(0, 1, (shape[0], shape[1], 2))
    v, i = F.fractional_max_pool2d(T(x), k, out, return_indices=True, _random_samples=T(u))
    kk = (k, k) if isinstance(k, int) else k
    rv, ri = ref_fractional(x, u, kk, out)
    np.testing.assert_array_equal(npy(v), rv)
    np.testing.assert_array_equal(i.numpy(), ri)
    m = nn.FractionalMaxPool2d(k, output_size=out, _random_samples=T(u))
    assert list(m.state_dict()) == ["_random_samples"]
    np.testing.assert_array_equal(npy(m(T(x))), rv)
    # unbatched: samples of shape (1, C, 2)
    v0 = F.fractional_max_pool2d_with_indices(T(x[0]), k, out, _random_samples=T(u[:1]))[0]
    np.testing.assert_array_equal(npy(v0), rv[0])
    assert gradcheck(lambda t: F.fractional_max_pool2d(t, k, out, _random_samples=T(u)), T(x, True))


def test_fractional_max_pool2d_random_and_torch():
    torch = torch_or_skip()
    x = rand(2, 3, 10, 9).astype(np.float32)
    u = RNG.uniform(0, 1, (2, 3, 2)).astype(np.float32)
    got = F.fractional_max_pool2d(T(x), 3, output_ratio=(0.5, 0.7), return_indices=True, _random_samples=T(u))
    exp = torch.nn.functional.fractional_max_pool2d(torch.tensor(x), 3, output_ratio=(0.5, 0.7), return_indices=True,
                                                    _random_samples=torch.tensor(u))
    np.testing.assert_array_equal(npy(got[0]), exp[0].numpy())
    np.testing.assert_array_equal(got[1].numpy(), exp[1].numpy())
    y = nn.FractionalMaxPool2d(2, output_ratio=0.5)(T(x))  # samples drawn: every output is some input value
    assert tuple(y.shape) == (2, 3, 5, 4) and np.isin(npy(y), x).all()
    assert repr(nn.FractionalMaxPool2d(2, output_ratio=0.5)) == repr(torch.nn.FractionalMaxPool2d(2, output_ratio=0.5))


# ---------------------------------------------------------------- errors


ERRORS = [
    (lambda: F.unfold(T(rand(2, 3, 4, 5, 6)), 2), RuntimeError, "unfold: expected 3D or 4D"),
    (lambda: F.unfold(fastdl.arange(40).reshape(1, 2, 4, 5), 2), TypeError, "unfold: expected a floating"),
    (lambda: F.unfold(T(rand(1, 1, 3, 3)), 5), RuntimeError, "sliding blocks"),
    (lambda: F.fold(T(rand(1, 7, 4)), (3, 3), 2), RuntimeError, "divisible by the product of kernel_size"),
    (lambda: F.fold(T(rand(1, 8, 5)), (3, 3), 2), RuntimeError, "calculated number of sliding blocks 2 \\* 2"),
    (lambda: F.fold(T(rand(1, 8, 4)), (3, 3), 0), RuntimeError, "kernel_size must be positive"),
    (lambda: F.max_pool3d(T(rand(2, 3, 4)), 2), RuntimeError, "max_pool3d: expected 4D or 5D"),
    (lambda: F.max_pool3d(T(rand(1, 4, 4, 4)), 2, padding=2), RuntimeError, "pad should be at most half"),
    (lambda: F.avg_pool3d(T(rand(1, 1, 1, 4, 4)), 2), RuntimeError, "avg_pool3d: output size"),
    (lambda: F.avg_pool3d(T(rand(1, 2, 4, 4)), 2, divisor_override=0), RuntimeError, "divisor_override"),
    (lambda: F.adaptive_max_pool2d(T(rand(1, 4, 4)), (2, 2, 2)), ValueError, "adaptive_max_pool2d: output_size"),
    (lambda: F.adaptive_max_pool1d(T(rand(1, 4)), -1), ValueError, "output_size must be non-negative"),  # (0: empty, torch)
    (lambda: F.adaptive_avg_pool3d(fastdl.ones(1, 2, 2, 2, dtype=fastdl.int64), 1), TypeError, "floating point"),
    (lambda: F.max_unpool2d(T(rand(1, 2, 2)), fastdl.zeros(1, 2, 3, dtype=fastdl.int64), 2), RuntimeError,
     "shape of indices"),
    (lambda: F.max_unpool2d(T(rand(1, 2, 2)), fastdl.zeros(1, 2, 2), 2), TypeError, "int64"),
    (lambda: F.max_unpool1d(T(rand(1, 2)), fastdl.tensor([[0, 9]]), 2), RuntimeError, "invalid max index 9"),
    (lambda: F.max_unpool2d(T(rand(1, 2, 2)), fastdl.zeros(1, 2, 2, dtype=fastdl.int64), 2, output_size=(9, 4)),
     ValueError, "invalid output_size"),
    (lambda: F.max_unpool2d(T(rand(1, 2, 2)), fastdl.zeros(1, 2, 2, dtype=fastdl.int64), 2, output_size=(4, 4, 4)),
     ValueError, "2 or 4 elements"),
    (lambda: F.lp_pool2d(T(rand(1, 4, 4)), "2", 2), TypeError, "lp_pool2d: norm_type"),
    (lambda: F.fractional_max_pool2d(T(rand(1, 4, 4)), 2), ValueError, "either an output_size or an output_ratio"),
    (lambda: F.fractional_max_pool2d(T(rand(1, 4, 4)), 2, (4, 3)), RuntimeError, "must be at most the input"),
    (lambda: F.fractional_max_pool2d(T(rand(2, 1, 4, 4)), 2, 2, _random_samples=T(rand(1, 1, 2))), RuntimeError,
     "_random_samples of shape"),
    (lambda: nn.FractionalMaxPool2d(2, output_ratio=1.5), ValueError, "between 0 and 1"),
    (lambda: nn.FractionalMaxPool2d(2, output_size=2, output_ratio=0.5), ValueError, "only one of"),
]


@pytest.mark.parametrize("fn,exc,match", ERRORS)
def test_pooling_more_errors(fn, exc, match):
    with pytest.raises(exc, match=match):
        fn()
