"""nn conv / pooling: functional conv2d / conv_transpose2d against float64 direct-loop
NumPy references and torch (forward and every gradient), gradcheck, pooling against
torch (values, indices, gradients), the modules' init / repr / state_dict against
torch, error cases, and a small CNN learning scikit-learn's digits."""
import itertools
import math

import numpy as np
import pytest

import fastdl
import fastdl.nn as nn
import fastdl.nn.functional as F
from fastdl.testing import gradcheck
from nn_helpers import T, npy, torch_or_skip  # noqa: F401

RNG = np.random.default_rng(7)




# ---------------------------------------------------------------- NumPy references


def ref_conv2d(x, w, b, stride, pads, dilation, groups):
    """Direct loops; pads = ((top, bottom), (left, right)) of zeros."""
    N, C, H, W = x.shape
    O, Cg, kh, kw = w.shape
    (sh, sw), (dh, dw) = stride, dilation
    xp = np.pad(x, ((0, 0), (0, 0)) + tuple(pads))
    OH = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    OW = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((N, O, OH, OW))
    Og = O // groups
    for n, o, oh, ow in itertools.product(range(N), range(O), range(OH), range(OW)):
        g = o // Og
        acc = 0.0
        for c, i, j in itertools.product(range(Cg), range(kh), range(kw)):
            acc += w[o, c, i, j] * xp[n, g * Cg + c, oh * sh + i * dh, ow * sw + j * dw]
        out[n, o, oh, ow] = acc + (0.0 if b is None else b[o])
    return out


def ref_conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation):
    """Scatter form: every input pixel adds weight * value into the (uncropped) output."""
    N, Cin, H, W = x.shape
    _, Og, kh, kw = w.shape
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = stride, padding, output_padding, dilation
    OH = (H - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    OW = (W - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    full = np.zeros((N, Og * groups, OH + 2 * ph + sh + dh * kh, OW + 2 * pw + sw + dw * kw))
    Cg = Cin // groups
    for n, c, h, v, i, j in itertools.product(range(N), range(Cin), range(H), range(W), range(kh), range(kw)):
        g = c // Cg
        full[n, g * Og:(g + 1) * Og, h * sh + i * dh, v * sw + j * dw] += x[n, c, h, v] * w[c, :, i, j]
    out = full[:, :, ph:ph + OH, pw:pw + OW]
    return out + (0.0 if b is None else b[None, :, None, None])


def pads_of(padding, k, dilation):
    if padding == "valid":
        return ((0, 0), (0, 0))
    if padding == "same":
        tot = [d * (kk - 1) for d, kk in zip(dilation, k)]
        return tuple((t // 2, t - t // 2) for t in tot)
    p = (padding, padding) if isinstance(padding, int) else padding
    return tuple((q, q) for q in p)


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


# (input shape, weight shape, stride, padding, dilation, groups, bias)
CONV_CASES = [
    ((2, 3, 7, 6), (4, 3, 3, 2), 1, 0, 1, 1, True),
    ((2, 4, 9, 8), (6, 2, 3, 3), 2, 1, 2, 2, True),          # stride, padding, dilation, groups
    ((2, 4, 6, 5), (8, 1, 3, 3), 1, 1, 1, 4, True),          # depthwise, channel multiplier 2
    ((1, 3, 7, 9), (5, 3, 2, 4), 1, "same", (1, 2), 1, True),  # even kernel: asymmetric 'same'
    ((1, 3, 5, 6), (2, 3, 3, 3), 1, "same", 1, 1, False),
    ((2, 2, 6, 7), (3, 2, 3, 2), 1, "valid", 1, 1, True),
    ((3, 2, 7, 5), (4, 2, 3, 1), (2, 1), (0, 2), 1, 1, True),  # non-square stride / padding
    ((3, 4, 5, 5), (6, 2, 1, 1), 1, 0, 1, 2, True),          # 1x1 fast path, grouped
    ((2, 3, 5, 7), (4, 3, 1, 1), 2, 0, 1, 1, False),         # 1x1 with stride: im2col path
    ((3, 5, 4), (2, 3, 2, 2), 1, 1, 1, 1, True),             # unbatched (C, H, W)
]


def conv_inputs(xs, ws, bias, out_channels=None):
    x = RNG.standard_normal(xs)
    w = RNG.standard_normal(ws)
    b = RNG.standard_normal(out_channels or ws[0]) if bias else None
    return x, w, b


@pytest.mark.parametrize("xs,ws,stride,padding,dilation,groups,bias", CONV_CASES)
def test_conv2d_forward_matches_numpy_loops(xs, ws, stride, padding, dilation, groups, bias):
    x, w, b = conv_inputs(xs, ws, bias)
    y = F.conv2d(T(x), T(w), None if b is None else T(b), stride, padding, dilation, groups)
    xb = x if x.ndim == 4 else x[None]
    want = ref_conv2d(xb, w, b, pair(stride), pads_of(padding, ws[2:], pair(dilation)), pair(dilation), groups)
    if x.ndim == 3:
        want = want[0]
    assert y.shape == want.shape and y.dtype is fastdl.float64
    np.testing.assert_allclose(npy(y), want, rtol=1e-12, atol=1e-12)


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # torch's note on its own padded copy
@pytest.mark.parametrize("xs,ws,stride,padding,dilation,groups,bias", CONV_CASES)
def test_conv2d_matches_torch_forward_and_gradients(xs, ws, stride, padding, dilation, groups, bias):
    torch = torch_or_skip()
    x, w, b = conv_inputs(xs, ws, bias)
    fx, fw = T(x, True), T(w, True)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    fb = None if b is None else T(b, True)
    tb = None if b is None else torch.tensor(b, requires_grad=True)
    y = F.conv2d(fx, fw, fb, stride, padding, dilation, groups)
    ty = torch.nn.functional.conv2d(tx, tw, tb, stride, padding, dilation, groups)
    np.testing.assert_allclose(npy(y), ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    gy = RNG.standard_normal(tuple(ty.shape))
    y.backward(T(gy))
    ty.backward(torch.tensor(gy))
    for f, t in [(fx, tx), (fw, tw)] + ([(fb, tb)] if b is not None else []):
        np.testing.assert_allclose(npy(f.grad), t.grad.numpy(), rtol=1e-11, atol=1e-11)


def test_conv2d_float32_and_noncontiguous_input():
    x, w, b = conv_inputs((2, 3, 8, 9), (4, 3, 3, 3), True)
    xt = T(x.astype(np.float32)).transpose(2, 3).contiguous().transpose(2, 3)  # same values, other strides
    assert not xt.is_contiguous()
    y = F.conv2d(xt, T(w.astype(np.float32)), T(b.astype(np.float32)), stride=2, padding=1)
    assert y.dtype is fastdl.float32
    want = ref_conv2d(x.astype(np.float32).astype(np.float64), w.astype(np.float32), b.astype(np.float32),
                      (2, 2), ((1, 1), (1, 1)), (1, 1), 1)
    np.testing.assert_allclose(npy(y), want, rtol=1e-5, atol=1e-5)


# (input shape, weight shape, stride, padding, output_padding, groups, dilation, bias)
CONVT_CASES = [
    ((2, 3, 4, 5), (3, 4, 3, 2), 2, 1, 1, 1, 1, True),
    ((2, 4, 4, 3), (4, 3, 3, 3), 1, 0, 0, 2, 2, True),            # groups + dilation
    ((1, 2, 3, 4), (2, 3, 3, 3), 1, 1, (1, 0), 1, 2, True),       # output_padding >= stride (< dilation)
    ((2, 4, 5, 5), (4, 2, 1, 1), 1, 0, 0, 1, 1, False),           # 1x1 fast path
    ((3, 4, 5), (3, 2, 2, 3), (2, 1), (0, 1), 0, 1, 1, True),     # unbatched, non-square
]


@pytest.mark.parametrize("xs,ws,stride,padding,opad,groups,dilation,bias", CONVT_CASES)
def test_conv_transpose2d_matches_numpy_and_torch(xs, ws, stride, padding, opad, groups, dilation, bias):
    x, w, b = conv_inputs(xs, ws, bias, ws[1] * groups)
    fx, fw = T(x, True), T(w, True)
    fb = None if b is None else T(b, True)
    y = F.conv_transpose2d(fx, fw, fb, stride, padding, opad, groups, dilation)
    xb = x if x.ndim == 4 else x[None]
    want = ref_conv_transpose2d(xb, w, b, pair(stride), pair(padding), pair(opad), groups, pair(dilation))
    if x.ndim == 3:
        want = want[0]
    np.testing.assert_allclose(npy(y), want, rtol=1e-12, atol=1e-12)
    torch = torch_or_skip()
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    tb = None if b is None else torch.tensor(b, requires_grad=True)
    ty = torch.nn.functional.conv_transpose2d(tx, tw, tb, stride, padding, opad, groups, dilation)
    gy = RNG.standard_normal(tuple(ty.shape))
    y.backward(T(gy))
    ty.backward(torch.tensor(gy))
    for f, t in [(fx, tx), (fw, tw)] + ([(fb, tb)] if b is not None else []):
        np.testing.assert_allclose(npy(f.grad), t.grad.numpy(), rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("kwargs", [dict(stride=1, padding=0), dict(stride=2, padding=1, dilation=2, groups=2),
                                    dict(padding="same", dilation=(2, 1))])
def test_conv2d_gradcheck(kwargs):
    x, w, b = conv_inputs((2, 4, 6, 5), (4, 2 if kwargs.get("groups") else 4, 3, 2), True)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, **kwargs), (T(x, True), T(w, True), T(b, True)))


def test_conv_transpose2d_gradcheck():
    x, w, b = conv_inputs((2, 4, 3, 4), (4, 3, 3, 2), True, 6)
    fn = lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2)  # noqa: E731
    assert gradcheck(fn, (T(x, True), T(w, True), T(b, True)))


def test_conv2d_errors():
    x, w = T(np.zeros((2, 3, 5, 5))), T(np.zeros((4, 3, 3, 3)))
    with pytest.raises(RuntimeError, match=r"conv2d: .*expected input \[2, 4, 5, 5\] to have 3 channels, but got 4"):
        F.conv2d(T(np.zeros((2, 4, 5, 5))), w)
    with pytest.raises(RuntimeError, match=r"conv2d: out_channels .*\(4\) must be divisible by groups \(3\)"):
        F.conv2d(T(np.zeros((2, 3, 5, 5))), T(np.zeros((4, 1, 3, 3))), groups=3)
    with pytest.raises(RuntimeError, match=r"conv2d: kernel size \(5, 5\) \(dilated\) can't be greater than the"):
        F.conv2d(T(np.zeros((1, 3, 4, 4))), T(np.zeros((4, 3, 3, 3))), dilation=2)
    with pytest.raises(ValueError, match="conv2d: invalid padding string 'full'"):
        F.conv2d(x, w, padding="full")
    with pytest.raises(ValueError, match="conv2d: padding='same' is not supported for strided"):
        F.conv2d(x, w, stride=2, padding="same")
    with pytest.raises(RuntimeError, match=r"conv2d: expected bias of shape \[4\]"):
        F.conv2d(x, w, T(np.zeros(3)))
    with pytest.raises(TypeError, match="conv2d: .*must have the same dtype"):
        F.conv2d(x, w.float())
    with pytest.raises(RuntimeError, match=r"conv2d: expected 3D \(unbatched\) or 4D"):
        F.conv2d(T(np.zeros((1, 2, 3, 5, 5))), w)
    with pytest.raises(RuntimeError, match="conv2d: stride must be positive"):
        F.conv2d(x, w, stride=0)
    with pytest.raises(RuntimeError, match="conv_transpose2d: output padding must be smaller than either stride"):
        F.conv_transpose2d(T(np.zeros((1, 4, 3, 3))), T(np.zeros((4, 2, 3, 3))), stride=2, output_padding=2)
    with pytest.raises(RuntimeError, match="conv_transpose2d: .*to have 4 channels, but got 3"):
        F.conv_transpose2d(T(np.zeros((1, 3, 3, 3))), T(np.zeros((4, 2, 3, 3))))


# ----------------------------------------------------------------------- pooling


def pool_pair(fn, tfn, x, kwargs, indices=False):
    torch = torch_or_skip()
    fx, tx = T(x, True), torch.tensor(x, requires_grad=True)
    y, ty = fn(fx, **kwargs), tfn(tx, **kwargs)
    if indices:
        (y, idx), (ty, tidx) = y, ty
        assert idx.dtype is fastdl.int64
        np.testing.assert_array_equal(npy(idx), tidx.numpy())
    assert tuple(y.shape) == tuple(ty.shape)
    np.testing.assert_allclose(npy(y), ty.detach().numpy(), rtol=1e-13, atol=1e-14)
    gy = RNG.standard_normal(tuple(ty.shape))
    y.backward(T(gy))
    ty.backward(torch.tensor(gy))
    np.testing.assert_allclose(npy(fx.grad), tx.grad.numpy(), rtol=1e-13, atol=1e-14)


MAX_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), dilation=(2, 1)),
    dict(kernel_size=3, stride=1, dilation=2, ceil_mode=True),
    dict(kernel_size=(2, 4), stride=3, padding=(1, 2), ceil_mode=True),
]


@pytest.mark.parametrize("kwargs", MAX_CASES)
@pytest.mark.parametrize("shape", [(2, 3, 9, 10), (3, 7, 8)])
def test_max_pool2d_matches_torch(kwargs, shape):
    torch = torch_or_skip()
    # small integers make ties: the first maximum must win, as in torch
    x = RNG.integers(-3, 4, shape).astype(np.float64)
    pool_pair(F.max_pool2d, torch.nn.functional.max_pool2d, x, dict(kwargs, return_indices=True), indices=True)
    pool_pair(F.max_pool2d, torch.nn.functional.max_pool2d, RNG.standard_normal(shape), kwargs)


AVG_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 0), divisor_override=5),
    dict(kernel_size=(2, 4), stride=3, padding=(1, 2), ceil_mode=True, count_include_pad=False),
]


@pytest.mark.parametrize("kwargs", AVG_CASES)
@pytest.mark.parametrize("shape", [(2, 3, 9, 10), (3, 7, 8)])
def test_avg_pool2d_matches_torch(kwargs, shape):
    torch = torch_or_skip()
    pool_pair(F.avg_pool2d, torch.nn.functional.avg_pool2d, RNG.standard_normal(shape), kwargs)


@pytest.mark.parametrize("out", [1, 3, (3, None), (None, 2), (5, 7), (9, 4)])
@pytest.mark.parametrize("shape", [(2, 3, 7, 5), (2, 6, 6)])
def test_adaptive_avg_pool2d_matches_torch(out, shape):
    torch = torch_or_skip()
    pool_pair(F.adaptive_avg_pool2d, torch.nn.functional.adaptive_avg_pool2d, RNG.standard_normal(shape),
              dict(output_size=out))


def test_pooling_float32_against_numpy():
    x = RNG.standard_normal((2, 3, 6, 6)).astype(np.float32)
    want_max = x.reshape(2, 3, 3, 2, 3, 2).max(axis=(3, 5))
    want_avg = x.astype(np.float64).reshape(2, 3, 3, 2, 3, 2).mean(axis=(3, 5))
    assert F.max_pool2d(T(x), 2).dtype is fastdl.float32
    np.testing.assert_array_equal(npy(F.max_pool2d(T(x), 2)), want_max)
    np.testing.assert_allclose(npy(F.avg_pool2d(T(x), 2)), want_avg, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(npy(F.adaptive_avg_pool2d(T(x), 3)), want_avg, rtol=1e-6, atol=1e-6)


def test_pooling_gradcheck():
    x = T(RNG.standard_normal((2, 2, 5, 6)), True)  # distinct values: max is differentiable there
    assert gradcheck(lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True), (x,))
    assert gradcheck(lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), (x,))
    assert gradcheck(lambda x: F.adaptive_avg_pool2d(x, (3, 4)), (x,))


def test_pooling_errors():
    x = T(np.zeros((1, 2, 5, 5)))
    with pytest.raises(RuntimeError, match="max_pool2d: pad should be at most half of effective kernel size"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(RuntimeError, match="avg_pool2d: pad should be at most half"):
        F.avg_pool2d(x, 3, padding=2)
    with pytest.raises(RuntimeError, match=r"max_pool2d: expected 3D or 4D \(batch mode\) input"):
        F.max_pool2d(T(np.zeros((5, 5))), 2)
    with pytest.raises(RuntimeError, match="avg_pool2d: divisor_override must be a positive int"):
        F.avg_pool2d(x, 2, divisor_override=0)
    with pytest.raises(RuntimeError, match=r"max_pool2d: output size \(0, 0\) is too small"):
        F.max_pool2d(x, 7, padding=3, stride=8, dilation=2)
    with pytest.raises(ValueError, match="adaptive_avg_pool2d: output_size must be an int or a pair"):
        F.adaptive_avg_pool2d(x, (1, 2, 3))
    with pytest.raises(TypeError, match="avg_pool2d: expected a floating point input"):
        F.avg_pool2d(fastdl.zeros((1, 1, 4, 4), dtype=fastdl.int64), 2)


# ------------------------------------------------------------------------ modules


CONV_MODULES = [
    dict(in_channels=3, out_channels=16, kernel_size=3),
    dict(in_channels=4, out_channels=8, kernel_size=(3, 5), stride=2, padding=(1, 2), dilation=2, groups=2,
         bias=False),
    dict(in_channels=4, out_channels=4, kernel_size=3, padding="same", groups=4),
    dict(in_channels=2, out_channels=3, kernel_size=3, padding=1, padding_mode="reflect"),
    dict(in_channels=2, out_channels=3, kernel_size=(2, 3), padding="same", padding_mode="circular"),
    dict(in_channels=2, out_channels=3, kernel_size=3, stride=2, padding=2, padding_mode="replicate"),
    dict(in_channels=2, out_channels=3, kernel_size=3, padding="valid"),
]


def copy_weights(tmod, fmod):
    fmod.load_state_dict({k: fastdl.tensor(v.detach().numpy()) for k, v in tmod.state_dict().items()})


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("kwargs", CONV_MODULES)
def test_conv2d_module_matches_torch(kwargs):
    torch = torch_or_skip()
    tm = torch.nn.Conv2d(**kwargs).double()
    fm = nn.Conv2d(**kwargs, dtype=fastdl.float64)
    assert repr(fm) == repr(tm)
    assert [(k, tuple(v.shape)) for k, v in fm.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in tm.state_dict().items()]
    copy_weights(tm, fm)
    x = RNG.standard_normal((2, kwargs["in_channels"], 7, 6))
    fx, tx = T(x, True), torch.tensor(x, requires_grad=True)
    y, ty = fm(fx), tm(tx)
    np.testing.assert_allclose(npy(y), ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    gy = RNG.standard_normal(tuple(ty.shape))
    y.backward(T(gy))
    ty.backward(torch.tensor(gy))
    np.testing.assert_allclose(npy(fx.grad), tx.grad.numpy(), rtol=1e-11, atol=1e-11)
    tp = dict(tm.named_parameters())
    for name, p in fm.named_parameters():
        np.testing.assert_allclose(npy(p.grad), tp[name].grad.numpy(), rtol=1e-11, atol=1e-11, err_msg=name)


def test_conv_transpose2d_module_matches_torch_with_output_size():
    torch = torch_or_skip()
    kw = dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=1, groups=2, dilation=1)
    tm, fm = torch.nn.ConvTranspose2d(**kw).double(), nn.ConvTranspose2d(**kw, dtype=fastdl.float64)
    assert repr(fm) == repr(tm)
    assert list(fm.state_dict()) == list(tm.state_dict()) and tuple(fm.weight.shape) == (4, 3, 3, 3)
    copy_weights(tm, fm)
    x = RNG.standard_normal((2, 4, 4, 5))
    for size in [None, (8, 10), (2, 6, 7, 9)]:
        y, ty = fm(T(x), output_size=size), tm(torch.tensor(x), output_size=size)
        np.testing.assert_allclose(npy(y), ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match=r"ConvTranspose2d: requested an output size of \[9, 9\]"):
        fm(T(x), output_size=(9, 9))
    other = nn.ConvTranspose2d(3, 2, (2, 3), stride=(2, 1), output_padding=(1, 0), bias=False)
    assert repr(other) == repr(torch.nn.ConvTranspose2d(3, 2, (2, 3), stride=(2, 1), output_padding=(1, 0),
                                                        bias=False))


def test_conv_init_follows_pytorch_bounds():
    fastdl.manual_seed(3)
    m = nn.Conv2d(8, 32, 3)
    bound = 1 / math.sqrt(8 * 9)  # kaiming_uniform_(a=sqrt(5)) and the bias rule give the same bound
    w, b = npy(m.weight), npy(m.bias)
    assert m.weight.dtype is fastdl.float32 and m.weight.requires_grad
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound  # std of U(-a, a) is a/sqrt(3)
    assert np.abs(b).max() <= bound
    t = nn.ConvTranspose2d(8, 6, 3, groups=2)
    tb = 1 / math.sqrt(3 * 9)  # fan_in of a transposed weight is its dim 1 (out/groups) * k*k
    assert np.abs(npy(t.weight)).max() <= tb and np.abs(npy(t.bias)).max() <= tb


def test_pool_module_reprs_and_forward():
    torch = torch_or_skip()
    pairs = [(nn.MaxPool2d(2), torch.nn.MaxPool2d(2)),
             (nn.MaxPool2d((3, 2), stride=1, padding=1, dilation=(1, 2), ceil_mode=True),
              torch.nn.MaxPool2d((3, 2), stride=1, padding=1, dilation=(1, 2), ceil_mode=True)),
             (nn.AvgPool2d(3, 2, 1, count_include_pad=False), torch.nn.AvgPool2d(3, 2, 1, count_include_pad=False)),
             (nn.AvgPool2d(2, divisor_override=3), torch.nn.AvgPool2d(2, divisor_override=3)),
             (nn.AdaptiveAvgPool2d((2, None)), torch.nn.AdaptiveAvgPool2d((2, None))),
             (nn.AdaptiveAvgPool2d(1), torch.nn.AdaptiveAvgPool2d(1))]
    x = RNG.standard_normal((2, 3, 7, 8))
    for fm, tm in pairs:
        assert repr(fm) == repr(tm)
        assert list(fm.state_dict()) == []
        np.testing.assert_allclose(npy(fm(T(x))), tm(torch.tensor(x)).numpy(), rtol=1e-13, atol=1e-14)
    y, idx = nn.MaxPool2d(2, return_indices=True)(T(x))
    _, tidx = torch.nn.MaxPool2d(2, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(npy(idx), tidx.numpy())


def test_conv_module_errors():
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 6, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        nn.Conv2d(4, 6, 3, groups=4)
    with pytest.raises(ValueError, match="groups must be a positive integer"):
        nn.Conv2d(4, 4, 3, groups=0)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(4, 4, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        nn.Conv2d(4, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for ConvTranspose2d'):
        nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect")
    with pytest.raises(RuntimeError, match=r"pad \(mode 'reflect'\).*padding size should be less than"):
        nn.Conv2d(1, 1, 3, padding=2, padding_mode="reflect")(T(np.zeros((1, 1, 2, 2))))
    with pytest.raises(RuntimeError, match="conv2d: .*expected input .* to have 4 channels, but got 3"):
        nn.Conv2d(4, 4, 3)(fastdl.zeros(1, 3, 5, 5))


# ------------------------------------------------------------------------ learning


def test_small_cnn_learns_digits(one_thread):
    pytest.importorskip("sklearn", reason="scikit-learn (the test extra) provides the digits data")
    from fastdl.data import load_digits
    xtr, ytr, xte, yte = (fastdl.tensor(a) for a in load_digits(seed=0))
    fastdl.manual_seed(0)
    conv, pool = nn.Conv2d(1, 16, 3, padding=1), nn.MaxPool2d(2)
    bound = 1 / math.sqrt(16 * 4 * 4)
    w = nn.Parameter(fastdl.rand(10, 256) * (2 * bound) - bound)
    b = nn.Parameter(fastdl.zeros(10))
    params = list(conv.parameters()) + [w, b]

    def forward(x):
        return pool(conv(x).relu()).flatten(1) @ w.T + b

    n = len(ytr)
    for _ in range(10):
        perm = fastdl.randperm(n)
        for start in range(0, n, 32):
            idx = perm[start:start + 32]
            loss = fastdl.cross_entropy(forward(xtr[idx]), ytr[idx])
            for p in params:
                p.grad = None
            loss.backward()
            with fastdl.no_grad():
                for p in params:
                    p.sub_(p.grad * 0.1)
    with fastdl.no_grad():
        acc = float((forward(xte).argmax(dim=1) == yte).float().mean())
    assert acc > 0.9  # chance is 0.1
