"""1-D conv / pooling (conv1d, conv_transpose1d, max/avg/adaptive_avg_pool1d and their
modules): forward against float64 direct-loop NumPy references, gradcheck, torch parity
of values and every gradient, the modules' parameters / repr / padding modes against
torch, and errors that speak in 1-D terms. They run the 2-D kernels over a height-1
view, so these tests also pin that the view adds and removes the axis correctly."""
import itertools

import numpy as np
import pytest

import fastdl
import fastdl.nn as nn
import fastdl.nn.functional as F
from fastdl.testing import gradcheck
from nn_helpers import T, npy, torch_or_skip

RNG = np.random.default_rng(11)


# ---------------------------------------------------------------- NumPy references

def ref_conv1d(x, w, b, stride, pads, dilation, groups):
    """Direct loops over (N, C, L); pads = (left, right) zeros."""
    N, C, _ = x.shape
    O, Cg, k = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), pads))
    L_out = (xp.shape[2] - dilation * (k - 1) - 1) // stride + 1
    out = np.zeros((N, O, L_out))
    Og = O // groups
    for n, o, t in itertools.product(range(N), range(O), range(L_out)):
        g = o // Og
        acc = sum(w[o, c, i] * xp[n, g * Cg + c, t * stride + i * dilation] for c in range(Cg) for i in range(k))
        out[n, o, t] = acc + (0.0 if b is None else b[o])
    return out


def ref_conv_transpose1d(x, w, b, stride, padding, output_padding, groups, dilation):
    """Scatter form: every input element adds weight * value into the uncropped output."""
    N, Cin, L = x.shape
    _, Og, k = w.shape
    L_out = (L - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1
    full = np.zeros((N, Og * groups, L_out + 2 * padding + stride + dilation * k))
    Cg = Cin // groups
    for n, c, t, i in itertools.product(range(N), range(Cin), range(L), range(k)):
        g = c // Cg
        full[n, g * Og:(g + 1) * Og, t * stride + i * dilation] += x[n, c, t] * w[c, :, i]
    return full[:, :, padding:padding + L_out] + (0.0 if b is None else b[None, :, None])


def ref_pool1d(x, k, stride, padding, dilation, ceil_mode, reduce):
    """Windows over a -inf (max) or zero (avg, count_include_pad) padded axis."""
    L = x.shape[-1]
    num = L + 2 * padding - dilation * (k - 1) - 1
    L_out = (-(-num // stride) if ceil_mode else num // stride) + 1
    if ceil_mode and (L_out - 1) * stride >= L + padding:
        L_out -= 1
    out = np.zeros(x.shape[:-1] + (L_out,))
    for t in range(L_out):
        taps = [t * stride - padding + i * dilation for i in range(k)]
        real = [j for j in taps if 0 <= j < L]
        if reduce == "max":
            out[..., t] = x[..., real].max(axis=-1)
        else:  # count_include_pad: the window clipped to the padded input
            end = min(t * stride - padding + k, L + padding)
            out[..., t] = x[..., real].sum(axis=-1) / (end - (t * stride - padding))
    return out


# (input shape, weight shape, stride, padding, dilation, groups, bias)
CONV_CASES = [
    ((2, 3, 11), (4, 3, 3), 1, 0, 1, 1, True),
    ((2, 4, 13), (6, 2, 3), 2, 1, 2, 2, True),       # stride, padding, dilation, groups
    ((2, 4, 9), (8, 1, 3), 1, 1, 1, 4, True),        # depthwise, channel multiplier 2
    ((1, 3, 10), (5, 3, 4), 1, "same", 2, 1, True),  # even kernel: asymmetric 'same'
    ((2, 2, 7), (3, 2, 2), 1, "valid", 1, 1, False),
    ((3, 4, 8), (6, 2, 1), 1, 0, 1, 2, True),        # pointwise, grouped
    ((3, 9), (2, 3, 3), 1, 1, 1, 1, True),           # unbatched (C, L)
]


def _pads(padding, k, dilation):
    if padding == "valid":
        return (0, 0)
    if padding == "same":
        t = dilation * (k - 1)
        return (t // 2, t - t // 2)
    return (padding, padding)


def _inputs(xs, ws, bias, out_channels=None):
    return (RNG.standard_normal(xs), RNG.standard_normal(ws),
            RNG.standard_normal(out_channels or ws[0]) if bias else None)


@pytest.mark.parametrize("xs,ws,stride,padding,dilation,groups,bias", CONV_CASES)
def test_conv1d_forward_matches_numpy_loops(xs, ws, stride, padding, dilation, groups, bias):
    x, w, b = _inputs(xs, ws, bias)
    y = F.conv1d(T(x), T(w), None if b is None else T(b), stride, padding, dilation, groups)
    xb = x if x.ndim == 3 else x[None]
    want = ref_conv1d(xb, w, b, stride, _pads(padding, ws[2], dilation), dilation, groups)
    want = want if x.ndim == 3 else want[0]
    assert y.shape == want.shape and y.dtype is fastdl.float64
    np.testing.assert_allclose(npy(y), want, rtol=1e-12, atol=1e-12)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("xs,ws,stride,padding,dilation,groups,bias", CONV_CASES)
def test_conv1d_matches_torch_forward_and_gradients(xs, ws, stride, padding, dilation, groups, bias):
    torch = torch_or_skip()
    x, w, b = _inputs(xs, ws, bias)
    fs = [T(a, True) for a in (x, w) + ((b,) if bias else ())]
    ts = [torch.tensor(a, requires_grad=True) for a in (x, w) + ((b,) if bias else ())]
    y = F.conv1d(fs[0], fs[1], fs[2] if bias else None, stride, padding, dilation, groups)
    ty = torch.nn.functional.conv1d(ts[0], ts[1], ts[2] if bias else None, stride, padding, dilation, groups)
    np.testing.assert_allclose(npy(y), ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    gy = RNG.standard_normal(tuple(ty.shape))
    y.backward(T(gy))
    ty.backward(torch.tensor(gy))
    for f, t in zip(fs, ts):
        np.testing.assert_allclose(npy(f.grad), t.grad.numpy(), rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("kwargs", [dict(), dict(stride=2, padding=1, dilation=2, groups=2),
                                    dict(padding="same", dilation=3)])
def test_conv1d_gradcheck(kwargs):
    x, w, b = _inputs((2, 4, 9), (4, 2 if kwargs.get("groups") else 4, 3), True)
    assert gradcheck(lambda x, w, b: F.conv1d(x, w, b, **kwargs), (T(x, True), T(w, True), T(b, True)))


def test_conv1d_float32_noncontiguous_input():
    x, w, b = _inputs((2, 3, 12), (4, 3, 3), True)
    xt = T(x.astype(np.float32))[:, :, ::2]  # a strided view of the last axis
    assert not xt.is_contiguous()
    y = F.conv1d(xt, T(w.astype(np.float32)), T(b.astype(np.float32)), padding=1)
    assert y.dtype is fastdl.float32
    want = ref_conv1d(x.astype(np.float32).astype(np.float64)[:, :, ::2], w.astype(np.float32),
                      b.astype(np.float32), 1, (1, 1), 1, 1)
    np.testing.assert_allclose(npy(y), want, rtol=1e-5, atol=1e-5)


# (input shape, weight shape, stride, padding, output_padding, groups, dilation, bias)
CONVT_CASES = [
    ((2, 3, 5), (3, 4, 3), 2, 1, 1, 1, 1, True),
    ((2, 4, 6), (4, 3, 3), 1, 0, 0, 2, 2, True),   # groups + dilation
    ((1, 2, 4), (2, 3, 3), 1, 1, 1, 1, 2, True),   # output_padding >= stride (< dilation)
    ((3, 5), (3, 2, 2), 3, 0, 2, 1, 1, False),     # unbatched
]


@pytest.mark.parametrize("xs,ws,stride,padding,opad,groups,dilation,bias", CONVT_CASES)
def test_conv_transpose1d_matches_numpy_and_torch(xs, ws, stride, padding, opad, groups, dilation, bias):
    x, w, b = _inputs(xs, ws, bias, ws[1] * groups)
    fs = [T(a, True) for a in (x, w) + ((b,) if bias else ())]
    y = F.conv_transpose1d(fs[0], fs[1], fs[2] if bias else None, stride, padding, opad, groups, dilation)
    xb = x if x.ndim == 3 else x[None]
    want = ref_conv_transpose1d(xb, w, b, stride, padding, opad, groups, dilation)
    np.testing.assert_allclose(npy(y), want if x.ndim == 3 else want[0], rtol=1e-12, atol=1e-12)
    torch = torch_or_skip()
    ts = [torch.tensor(a, requires_grad=True) for a in (x, w) + ((b,) if bias else ())]
    ty = torch.nn.functional.conv_transpose1d(ts[0], ts[1], ts[2] if bias else None, stride, padding, opad,
                                              groups, dilation)
    gy = RNG.standard_normal(tuple(ty.shape))
    y.backward(T(gy))
    ty.backward(torch.tensor(gy))
    for f, t in zip(fs, ts):
        np.testing.assert_allclose(npy(f.grad), t.grad.numpy(), rtol=1e-11, atol=1e-11)


def test_conv_transpose1d_gradcheck():
    x, w, b = _inputs((2, 4, 5), (4, 3, 3), True, 6)
    fn = lambda x, w, b: F.conv_transpose1d(x, w, b, stride=2, padding=1, output_padding=1, groups=2)  # noqa: E731
    assert gradcheck(fn, (T(x, True), T(w, True), T(b, True)))


def test_conv1d_errors_speak_in_1d_terms():
    x, w = T(np.zeros((2, 3, 9))), T(np.zeros((4, 3, 3)))
    with pytest.raises(RuntimeError, match=r"conv1d: .*expected input \[2, 4, 9\] to have 3 channels, but got 4"):
        F.conv1d(T(np.zeros((2, 4, 9))), w)
    with pytest.raises(RuntimeError, match=r"conv1d: kernel size \(5,\) \(dilated\) can't be greater than the "
                                           r"padded input size \(4,\)"):
        F.conv1d(T(np.zeros((1, 3, 4))), w, dilation=2)
    with pytest.raises(RuntimeError, match=r"conv1d: expected 2D \(unbatched\) or 3D \(batched\) input"):
        F.conv1d(T(np.zeros((1, 3, 4, 9))), w)
    with pytest.raises(RuntimeError, match=r"conv1d: expected a 3D weight"):
        F.conv1d(x, T(np.zeros((4, 3, 1, 3))))
    with pytest.raises(ValueError, match=r"conv1d: stride must be an int, got \(1, 2\)"):
        F.conv1d(x, w, stride=(1, 2))
    with pytest.raises(ValueError, match="conv1d: padding='same' is not supported for strided"):
        F.conv1d(x, w, stride=2, padding="same")
    with pytest.raises(RuntimeError, match=r"conv1d: expected bias of shape \[4\]"):
        F.conv1d(x, w, T(np.zeros(3)))
    with pytest.raises(RuntimeError, match=r"conv_transpose1d: output padding must be smaller"):
        F.conv_transpose1d(T(np.zeros((1, 4, 5))), T(np.zeros((4, 2, 3))), stride=2, output_padding=2)
    with pytest.raises(TypeError, match="conv1d: expected a floating point input"):
        F.conv1d(fastdl.zeros((2, 3, 9), dtype=fastdl.int64), w)


# ---------------------------------------------------------------- pooling

POOL_CASES = [  # kernel, stride, padding, dilation, ceil_mode
    (3, None, 0, 1, False), (4, 2, 2, 1, True), (3, 2, 1, 2, False), (2, 3, 1, 1, True), (5, 1, 2, 1, False),
]


@pytest.mark.parametrize("k,stride,padding,dilation,ceil_mode", POOL_CASES)
def test_max_pool1d_matches_numpy_and_torch(k, stride, padding, dilation, ceil_mode):
    x = RNG.standard_normal((2, 3, 13))
    fx = T(x, True)
    y, idx = F.max_pool1d(fx, k, stride, padding, dilation, ceil_mode, return_indices=True)
    want = ref_pool1d(x, k, stride or k, padding, dilation, ceil_mode, "max")
    np.testing.assert_array_equal(npy(y), want)
    np.testing.assert_array_equal(np.take_along_axis(x, npy(idx), axis=-1), want)  # the index of each max
    assert idx.dtype is fastdl.int64
    torch = torch_or_skip()
    tx = torch.tensor(x, requires_grad=True)
    ty, tidx = torch.nn.functional.max_pool1d(tx, k, stride, padding, dilation, ceil_mode, return_indices=True)
    np.testing.assert_array_equal(npy(idx), tidx.numpy())
    gy = RNG.standard_normal(tuple(ty.shape))
    y.backward(T(gy))
    ty.backward(torch.tensor(gy))
    np.testing.assert_allclose(npy(fx.grad), tx.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("k,stride,padding,ceil_mode,count_include_pad",
                         [(3, None, 0, False, True), (4, 2, 2, True, True), (4, 2, 2, True, False),
                          (3, 2, 1, False, False)])
def test_avg_pool1d_matches_numpy_torch_and_gradcheck(k, stride, padding, ceil_mode, count_include_pad):
    x = RNG.standard_normal((2, 3, 11))
    y = F.avg_pool1d(T(x), k, stride, padding, ceil_mode, count_include_pad)
    if count_include_pad:
        np.testing.assert_allclose(npy(y), ref_pool1d(x, k, stride or k, padding, 1, ceil_mode, "avg"),
                                   rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda t: F.avg_pool1d(t, k, stride, padding, ceil_mode, count_include_pad), (T(x, True),))
    torch = torch_or_skip()
    want = torch.nn.functional.avg_pool1d(torch.tensor(x), k, stride, padding, ceil_mode, count_include_pad)
    np.testing.assert_allclose(npy(y), want.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("out", [1, 4, 5, 13, 20, (None,)])
def test_adaptive_avg_pool1d(out):
    x = RNG.standard_normal((2, 3, 13))
    y = F.adaptive_avg_pool1d(T(x), out)
    L_out = 13 if out == (None,) else out
    want = np.stack([x[..., (o * 13) // L_out:-(-((o + 1) * 13) // L_out)].mean(axis=-1) for o in range(L_out)], -1)
    np.testing.assert_allclose(npy(y), want, rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda t: F.adaptive_avg_pool1d(t, out), (T(x, True),))


def test_pool1d_unbatched_and_errors():
    x = RNG.standard_normal((3, 10))
    np.testing.assert_array_equal(npy(F.max_pool1d(T(x), 2)), x.reshape(3, 5, 2).max(-1))
    np.testing.assert_allclose(npy(F.avg_pool1d(T(x), 2)), x.reshape(3, 5, 2).mean(-1), rtol=1e-12)
    with pytest.raises(RuntimeError, match=r"max_pool1d: expected 2D or 3D \(batch mode\) input"):
        F.max_pool1d(T(np.zeros((1, 2, 3, 4))), 2)
    with pytest.raises(RuntimeError, match=r"max_pool1d: pad should be at most half"):
        F.max_pool1d(T(x), 2, padding=2)
    with pytest.raises(RuntimeError, match=r"avg_pool1d: output size \(0,\) is too small"):
        F.avg_pool1d(T(np.zeros((3, 2))), 3)
    with pytest.raises(ValueError, match=r"adaptive_avg_pool1d: output_size must be an int, got \(2, 2\)"):
        F.adaptive_avg_pool1d(T(x), (2, 2))


# ---------------------------------------------------------------- modules

@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("kwargs", [dict(), dict(stride=2, padding=1, groups=2), dict(padding="same", dilation=2),
                                    dict(padding=2, padding_mode="reflect"), dict(padding=1, padding_mode="circular"),
                                    dict(padding="same", padding_mode="replicate", bias=False)])
def test_conv1d_module_matches_torch(kwargs):
    torch = torch_or_skip()
    m = nn.Conv1d(4, 6, 3, **kwargs).double()
    tm = torch.nn.Conv1d(4, 6, 3, **kwargs).double()
    assert list(m.state_dict()) == list(tm.state_dict())
    assert repr(m) == repr(tm)
    assert tuple(m.weight.shape) == (6, 4 // kwargs.get("groups", 1), 3)
    tm.load_state_dict({k: torch.tensor(npy(v)) for k, v in m.state_dict().items()})
    x = RNG.standard_normal((2, 4, 9))
    fx, tx = T(x, True), torch.tensor(x, requires_grad=True)
    y, ty = m(fx), tm(tx)
    np.testing.assert_allclose(npy(y), ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(npy(fx.grad), tx.grad.numpy(), rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(npy(m.weight.grad), tm.weight.grad.numpy(), rtol=1e-11, atol=1e-11)


def test_conv1d_module_init_bounds():
    m = nn.Conv1d(4, 6, 5)
    bound = 1 / np.sqrt(4 * 5)  # kaiming_uniform(a=sqrt(5)) and the bias both give 1/sqrt(fan_in)
    assert np.abs(npy(m.weight)).max() <= bound and np.abs(npy(m.bias)).max() <= bound
    with pytest.raises(RuntimeError, match=r"pad \(mode 'reflect'\).*padding size should be less than"):
        nn.Conv1d(2, 2, 3, padding=4, padding_mode="reflect")(fastdl.zeros((1, 2, 3)))


def test_conv_transpose1d_module_output_size():
    torch = torch_or_skip()
    m = nn.ConvTranspose1d(4, 3, 3, stride=2, padding=1).double()
    tm = torch.nn.ConvTranspose1d(4, 3, 3, stride=2, padding=1).double()
    tm.load_state_dict({k: torch.tensor(npy(v)) for k, v in m.state_dict().items()})
    assert repr(m) == repr(tm)
    x = RNG.standard_normal((2, 4, 6))
    for size in (None, [12], [2, 3, 12]):
        y, ty = m(T(x), output_size=size), tm(torch.tensor(x), output_size=size)
        np.testing.assert_allclose(npy(y), ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match=r"ConvTranspose1d: requested an output size of \[14\]"):
        m(T(x), output_size=[14])


def test_pool1d_modules():
    x = T(RNG.standard_normal((2, 3, 12)))
    assert repr(nn.MaxPool1d(3)) == "MaxPool1d(kernel_size=3, stride=3, padding=0, dilation=1, ceil_mode=False)"
    out, idx = nn.MaxPool1d(3, return_indices=True)(x)
    assert tuple(out.shape) == tuple(idx.shape) == (2, 3, 4)
    np.testing.assert_allclose(npy(nn.AvgPool1d(4, 2, 1)(x)), npy(F.avg_pool1d(x, 4, 2, 1)))
    assert tuple(nn.AdaptiveAvgPool1d(5)(x).shape) == (2, 3, 5)
    assert repr(nn.AdaptiveAvgPool1d(5)) == "AdaptiveAvgPool1d(output_size=5)"


def test_a_1d_cnn_learns():
    """Conv1d + MaxPool1d + AdaptiveAvgPool1d telling rising from falling ramps with noise."""
    fastdl.manual_seed(0)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 256)
    ramp = np.linspace(-1, 1, 32)
    x = (np.where(y[:, None] == 1, ramp, -ramp) + 0.5 * rng.standard_normal((256, 32)))[:, None, :].astype(np.float32)
    model = nn.Sequential(nn.Conv1d(1, 8, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2), nn.Conv1d(8, 8, 3),
                          nn.ReLU(), nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(8, 2))
    opt = fastdl.optim.Adam(model.parameters(), lr=1e-2)
    xt, yt = fastdl.tensor(x), fastdl.tensor(y)
    for _ in range(60):
        loss = F.cross_entropy(model(xt), yt)
        opt.zero_grad()
        loss.backward()
        opt.step()
    acc = (npy(model(xt)).argmax(1) == y).mean()
    assert acc > 0.9, acc


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_conv1d_and_pools_on_each_device(device, dtype):
    """conv1d's output and both gradients against NumPy (dx as the transposed conv of gy,
    dw as the correlation of gy with the padded input), and the pools, on each device."""
    x, w, b = _inputs((2, 4, 12), (6, 2, 3), True)
    gy = RNG.standard_normal((2, 6, 6))
    dt = getattr(fastdl, dtype)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == "float32" else dict(rtol=1e-11, atol=1e-11)
    x, w, b, gy = (a.astype(dtype).astype(np.float64) for a in (x, w, b, gy))  # exact in either dtype
    fx, fw, fb = (fastdl.tensor(a, dtype=dt, device=device, requires_grad=True) for a in (x, w, b))
    y = F.conv1d(fx, fw, fb, stride=2, padding=1, groups=2)
    assert y.device.type == device
    np.testing.assert_allclose(npy(y.cpu()), ref_conv1d(x, w, b, 2, (1, 1), 1, 2), **tol)
    y.backward(fastdl.tensor(gy, dtype=dt, device=device))
    np.testing.assert_allclose(npy(fx.grad.cpu()), ref_conv_transpose1d(gy, w, None, 2, 1, 1, 2, 1)[:, :, :12], **tol)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1)))
    dw = np.zeros_like(w)
    for o, c, i in itertools.product(range(6), range(2), range(3)):
        dw[o, c, i] = np.sum(gy[:, o, :] * xp[:, (o // 3) * 2 + c, i:i + 12:2][:, :6])
    np.testing.assert_allclose(npy(fw.grad.cpu()), dw, **tol)
    np.testing.assert_allclose(npy(fb.grad.cpu()), gy.sum(axis=(0, 2)), **tol)
    xd = fastdl.tensor(x, dtype=dt, device=device)
    np.testing.assert_allclose(npy(F.max_pool1d(xd, 3, 2, 1).cpu()), ref_pool1d(x, 3, 2, 1, 1, False, "max"), **tol)
    np.testing.assert_allclose(npy(F.avg_pool1d(xd, 3, 2, 1).cpu()), ref_pool1d(x, 3, 2, 1, 1, False, "avg"), **tol)
