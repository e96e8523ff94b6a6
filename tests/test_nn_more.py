"""nn part 1: InstanceNorm / RMSNorm / LocalResponseNorm / BatchNorm3d, the padding layers,
pixel / channel shuffles, ParameterList / ParameterDict, RReLU / Softmax2d / alpha dropouts /
gumbel_softmax / in-place activations, Bilinear and the lazy modules: forward against
float64 NumPy references, float64 gradcheck, torch parity (skipped without torch: values,
gradients, reprs, state_dict keys both ways) and bad inputs."""
import itertools

import numpy as np
import pytest

import fastdl
import fastdl.nn as nn
import fastdl.nn.functional as F
from fastdl.testing import gradcheck
from nn_helpers import T, npy

rng = np.random.default_rng(0)


def R(*shape):
    return rng.standard_normal(shape)


def torch_mod():
    return pytest.importorskip("torch")


def copy_to_torch(mod, tmod):
    torch = torch_mod()
    tmod.load_state_dict({k: torch.tensor(npy(v)) for k, v in mod.state_dict().items()})


# ---- normalisation -------------------------------------------------------------------

def np_instance_norm(x, w=None, b=None, eps=1e-5):
    axes = tuple(range(2, x.ndim))
    y = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + eps)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if w is not None:
        y = y * w.reshape(shape)
    if b is not None:
        y = y + b.reshape(shape)
    return y


@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 3, 4, 3), (1, 2, 2, 3, 2)])
def test_instance_norm_forward_and_grad(shape):
    x, w, b = R(*shape), R(shape[1]), R(shape[1])
    np.testing.assert_allclose(npy(F.instance_norm(T(x), weight=T(w), bias=T(b))), np_instance_norm(x, w, b),
                               rtol=1e-10, atol=1e-10)
    gradcheck(lambda a, c, d: F.instance_norm(a, weight=c, bias=d), (T(x, True), T(w, True), T(b, True)))


def test_instance_norm_running_stats_and_eval():
    x = R(4, 3, 6)
    rm, rv = fastdl.zeros(3, dtype=fastdl.float64), fastdl.ones(3, dtype=fastdl.float64)
    F.instance_norm(T(x), rm, rv, momentum=0.25)
    np.testing.assert_allclose(npy(rm), 0.25 * x.mean(2).mean(0), rtol=1e-12)
    np.testing.assert_allclose(npy(rv), 0.75 + 0.25 * x.var(2, ddof=1).mean(0), rtol=1e-12)
    out = F.instance_norm(T(x), rm, rv, use_input_stats=False, eps=0.0)
    np.testing.assert_allclose(npy(out), (x - npy(rm)[:, None]) / np.sqrt(npy(rv)[:, None]), rtol=1e-10)


@pytest.mark.parametrize("cls,shape", [("InstanceNorm1d", (2, 3, 5)), ("InstanceNorm2d", (2, 3, 4, 4)),
                                       ("InstanceNorm3d", (2, 3, 2, 3, 2)), ("InstanceNorm1d", (3, 5)),
                                       ("InstanceNorm2d", (3, 4, 4))])
def test_instance_norm_modules_match_torch(cls, shape):
    torch = torch_mod()
    for affine, track in itertools.product((False, True), repeat=2):
        m = getattr(nn, cls)(3, affine=affine, track_running_stats=track, dtype=fastdl.float64)
        tm = getattr(torch.nn, cls)(3, affine=affine, track_running_stats=track, dtype=torch.float64)
        assert list(m.state_dict()) == list(tm.state_dict()) and repr(m) == repr(tm)
        if affine:
            with fastdl.no_grad():
                m.weight.copy_(T(R(3)))
                m.bias.copy_(T(R(3)))
        copy_to_torch(m, tm)
        x = R(*shape)
        for mode in ("train", "eval"):
            getattr(m, mode)()
            getattr(tm, mode)()
            a, ta = T(x, True), torch.tensor(x, requires_grad=True)
            y, ty = m(a), tm(ta)
            np.testing.assert_allclose(npy(y), ty.detach().numpy(), rtol=1e-9, atol=1e-9)
            g = R(*shape)
            (y * T(g)).sum().backward()
            (ty * torch.tensor(g)).sum().backward()
            np.testing.assert_allclose(npy(a.grad), ta.grad.numpy(), rtol=1e-8, atol=1e-9)
        for k, v in tm.state_dict().items():
            np.testing.assert_allclose(npy(m.state_dict()[k]), v.numpy(), rtol=1e-9)


def test_rms_norm():
    torch = torch_mod()
    x, w = R(2, 3, 4), R(3, 4)
    ref = x / np.sqrt((x ** 2).mean((1, 2), keepdims=True) + 1e-3) * w
    np.testing.assert_allclose(npy(F.rms_norm(T(x), (3, 4), T(w), 1e-3)), ref, rtol=1e-12)
    ref = x / np.sqrt((x ** 2).mean(2, keepdims=True) + np.finfo(np.float64).eps)
    np.testing.assert_allclose(npy(F.rms_norm(T(x), 4)), ref, rtol=1e-12)
    gradcheck(lambda a, b: F.rms_norm(a, (4,), b), (T(x, True), T(R(4), True)))
    m, tm = nn.RMSNorm([3, 4], eps=1e-4), torch.nn.RMSNorm([3, 4], eps=1e-4)
    assert repr(m) == repr(tm) and list(m.state_dict()) == ["weight"]
    assert nn.RMSNorm(4, elementwise_affine=False).weight is None
    x32 = R(2, 3, 4).astype(np.float32)
    tm.weight.data.normal_()
    m.load_state_dict({"weight": fastdl.tensor(tm.weight.detach().numpy())})
    np.testing.assert_allclose(npy(m(T(x32))), tm(torch.tensor(x32)).detach().numpy(), rtol=1e-5, atol=1e-6)


def np_lrn(x, size, alpha, beta, k):
    C = x.shape[1]
    sq = x ** 2
    div = np.zeros_like(x)
    for c in range(C):
        lo, hi = max(0, c - size // 2), min(C, c + (size - 1) // 2 + 1)
        div[:, c] = sq[:, lo:hi].sum(1)
    return x / (k + alpha * div / size) ** beta


@pytest.mark.parametrize("shape,size", [((2, 5, 3), 3), ((2, 6, 3, 2), 2), ((1, 4, 2, 2, 2), 5)])
def test_local_response_norm(shape, size):
    x = R(*shape)
    np.testing.assert_allclose(npy(F.local_response_norm(T(x), size, 0.1, 0.6, 2.0)), np_lrn(x, size, 0.1, 0.6, 2.0),
                               rtol=1e-12)
    gradcheck(lambda a: F.local_response_norm(a, size, 0.1, 0.6, 2.0), (T(x, True),))
    assert repr(nn.LocalResponseNorm(size)) == f"LocalResponseNorm({size}, alpha=0.0001, beta=0.75, k=1.0)"


def test_batch_norm_3d():
    torch = torch_mod()
    m, tm = nn.BatchNorm3d(3, dtype=fastdl.float64), torch.nn.BatchNorm3d(3, dtype=torch.float64)
    assert repr(m) == repr(tm) and list(m.state_dict()) == list(tm.state_dict())
    x = R(2, 3, 2, 3, 2)
    np.testing.assert_allclose(npy(m(T(x))), tm(torch.tensor(x)).detach().numpy(), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(npy(m.running_var), tm.running_var.numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="5D"):
        m(T(R(2, 3, 4)))


def test_norm_errors():
    with pytest.raises(ValueError, match="instance_norm.*more than 1 spatial"):
        F.instance_norm(T(R(2, 3, 1)))
    with pytest.raises(ValueError, match="instance_norm.*3 dimensions"):
        F.instance_norm(T(R(2, 3)))
    with pytest.raises(ValueError, match="instance_norm: weight"):
        F.instance_norm(T(R(2, 3, 4)), weight=T(R(4)))
    with pytest.raises(ValueError, match="InstanceNorm1d.*num_features"):
        nn.InstanceNorm1d(4, affine=True, dtype=fastdl.float64)(T(R(2, 3, 5)))
    with pytest.warns(UserWarning, match="does not match num_features"):
        nn.InstanceNorm1d(4, dtype=fastdl.float64)(T(R(2, 3, 5)))
    with pytest.raises(ValueError, match="InstanceNorm2d: expected 3D or 4D"):
        nn.InstanceNorm2d(3)(T(R(2, 3)))
    with pytest.raises(RuntimeError, match="rms_norm.*normalized_shape"):
        F.rms_norm(T(R(2, 3)), (4,))
    with pytest.raises(ValueError, match="local_response_norm.*3D"):
        F.local_response_norm(T(R(2, 3)), 2)


# ---- padding layers ------------------------------------------------------------------

_NP_MODE = {"Constant": "constant", "Zero": "constant", "Reflection": "reflect", "Replication": "edge",
            "Circular": "wrap"}


@pytest.mark.parametrize("kind,n", list(itertools.product(_NP_MODE, (1, 2, 3))))
def test_padding_layers(kind, n):
    pad = (1, 2, 2, 0, 1, 1)[:2 * n]
    shape = (2, 3, 4, 5, 3)[:n + 2]
    args = (pad, 1.5) if kind == "Constant" else (pad,)
    m = getattr(nn, f"{kind}Pad{n}d")(*args)
    x = R(*shape)
    widths = [(0, 0), (0, 0)] + [(pad[2 * i], pad[2 * i + 1]) for i in reversed(range(n))]
    kw = {"constant_values": 1.5} if kind == "Constant" else {}
    np.testing.assert_array_equal(npy(m(T(x))), np.pad(x, widths, _NP_MODE[kind], **kw))
    np.testing.assert_array_equal(npy(m(T(x[0]))), np.pad(x[0], widths[1:], _NP_MODE[kind], **kw))
    gradcheck(m, (T(x, True),))
    torch = pytest.importorskip("torch")
    tm = getattr(torch.nn, f"{kind}Pad{n}d")(*args)
    assert repr(m) == repr(tm)
    assert repr(getattr(nn, f"{kind}Pad{n}d")(*((2, 0.0) if kind == "Constant" else (2,)))) == \
        repr(getattr(torch.nn, f"{kind}Pad{n}d")(*((2, 0.0) if kind == "Constant" else (2,))))


def test_padding_layer_errors():
    with pytest.raises(ValueError, match="CircularPad2d: expected 3D or 4D"):
        nn.CircularPad2d(1)(T(R(2, 3)))
    with pytest.raises(RuntimeError, match="padding size should be less than"):
        nn.ReflectionPad1d(3)(T(R(1, 2, 3)))


# ---- shuffles ------------------------------------------------------------------------

def np_pixel_shuffle(x, r):
    *b, c, h, w = x.shape
    y = x.reshape(*b, c // (r * r), r, r, h, w)
    n = len(b)
    y = np.transpose(y, list(range(n)) + [n, n + 3, n + 1, n + 4, n + 2])
    return y.reshape(*b, c // (r * r), h * r, w * r)


@pytest.mark.parametrize("shape,r", [((2, 8, 3, 2), 2), ((9, 2, 2), 3), ((2, 1, 4, 2, 1), 1), ((1, 2, 18, 1, 2), 3)])
def test_pixel_shuffle_roundtrip(shape, r):
    x = R(*shape)
    y = F.pixel_shuffle(T(x), r)
    np.testing.assert_array_equal(npy(y), np_pixel_shuffle(x, r))
    np.testing.assert_array_equal(npy(F.pixel_unshuffle(y, r)), x)
    np.testing.assert_array_equal(npy(nn.PixelUnshuffle(r)(nn.PixelShuffle(r)(T(x)))), x)
    gradcheck(lambda a: F.pixel_unshuffle(F.pixel_shuffle(a, r) * 2, r), (T(x, True),))


def test_shuffles_match_torch():
    torch = torch_mod()
    x = R(2, 12, 4, 6)
    np.testing.assert_array_equal(npy(F.pixel_unshuffle(T(x), 2)),
                                  torch.nn.functional.pixel_unshuffle(torch.tensor(x), 2).numpy())
    for g in (1, 2, 3, 4, 6):
        np.testing.assert_array_equal(npy(F.channel_shuffle(T(x), g)),
                                      torch.nn.functional.channel_shuffle(torch.tensor(x), g).numpy())
        np.testing.assert_array_equal(npy(F.native_channel_shuffle(T(x), g)),
                                      torch.nn.functional.native_channel_shuffle(torch.tensor(x), g).numpy())
    for m, tm in ((nn.PixelShuffle(3), torch.nn.PixelShuffle(3)), (nn.PixelUnshuffle(2), torch.nn.PixelUnshuffle(2)),
                  (nn.ChannelShuffle(4), torch.nn.ChannelShuffle(4))):
        assert repr(m) == repr(tm)


def test_channel_shuffle_reference_and_errors():
    x = R(2, 6, 3)
    ref = x[:, [0, 3, 1, 4, 2, 5]]  # groups=2: output i takes (i % 2) * 3 + i // 2
    np.testing.assert_array_equal(npy(nn.ChannelShuffle(2)(T(x))), ref)
    gradcheck(lambda a: F.channel_shuffle(a, 3), (T(x, True),))
    with pytest.raises(RuntimeError, match="channel_shuffle.*divisible by groups"):
        F.channel_shuffle(T(x), 4)
    with pytest.raises(RuntimeError, match="pixel_shuffle.*divisible by the square"):
        F.pixel_shuffle(T(R(1, 5, 2, 2)), 2)
    with pytest.raises(RuntimeError, match="pixel_unshuffle.*divisible by downscale_factor"):
        F.pixel_unshuffle(T(R(1, 1, 3, 2)), 2)
    with pytest.raises(RuntimeError, match="pixel_shuffle.*at least 3"):
        F.pixel_shuffle(T(R(4, 2)), 2)
    with pytest.raises(RuntimeError, match="pixel_shuffle: upscale_factor must be greater than 0"):
        F.pixel_shuffle(T(R(1, 4, 2, 2)), 0)


# ---- containers ----------------------------------------------------------------------

def test_parameter_list():
    pl = nn.ParameterList([fastdl.randn(2, 3), nn.Parameter(fastdl.randn(4))])
    pl.append(fastdl.randn(5))
    pl.extend([fastdl.randn(1)])
    pl += [fastdl.randn(2)]
    assert len(pl) == 5 and all(isinstance(p, nn.Parameter) for p in pl)
    assert list(pl.state_dict()) == ["0", "1", "2", "3", "4"]
    assert [tuple(p.shape) for p in pl.parameters()] == [(2, 3), (4,), (5,), (1,), (2,)]
    assert pl[-1] is pl[4] and len(pl[1:3]) == 2 and pl[1:3][0] is pl[1]
    pl[0] = fastdl.zeros(7)
    assert tuple(pl[0].shape) == (7,) and pl[0].requires_grad
    held = pl[1]
    pl.to(fastdl.float64)
    assert pl[1] is held and held.dtype is fastdl.float64
    m = nn.Module()
    m.params = pl
    assert "params.2" in m.state_dict()
    with pytest.raises(IndexError, match="out of range"):
        pl[5]
    with pytest.raises(TypeError, match="iterable"):
        pl.extend(fastdl.randn(3))
    with pytest.raises(RuntimeError, match="should not be called"):
        pl(1)
    torch = pytest.importorskip("torch")
    tpl = torch.nn.ParameterList([torch.randn(2, 3), torch.nn.Parameter(torch.randn(4))])
    assert repr(nn.ParameterList([fastdl.randn(2, 3), fastdl.randn(4)])) == repr(tpl).replace("torch.", "fastdl.")


def test_parameter_dict():
    pd = nn.ParameterDict({"b": fastdl.randn(2), "a": fastdl.randn(3)})
    assert list(pd.keys()) == ["a", "b"]  # a plain dict is taken in sorted order (torch)
    pd["c"] = fastdl.randn(1, 2)
    pd.update([("d", nn.Parameter(fastdl.randn(4)))])
    assert list(pd.state_dict()) == ["a", "b", "c", "d"]
    assert len(pd) == 4 and "c" in pd and isinstance(pd["c"], nn.Parameter)
    assert len(list(pd.parameters())) == 4
    assert pd.pop("a").shape == (3,) and "a" not in pd and "a" not in pd.state_dict()
    assert pd.get("zz") is None and pd.setdefault("e", fastdl.zeros(1)).shape == (1,)
    assert list((pd | {"f": fastdl.ones(1)}).keys())[-1] == "f"
    del pd["b"]
    assert list(pd) == ["c", "d", "e"]
    with pytest.raises(KeyError):
        pd["nope"]
    with pytest.raises(TypeError, match="keys must be strings"):
        pd[1] = fastdl.ones(1)
    torch = pytest.importorskip("torch")
    tpd = torch.nn.ParameterDict({"b": torch.randn(2), "a": torch.randn(3)})
    assert repr(nn.ParameterDict({"b": fastdl.randn(2), "a": fastdl.randn(3)})) == repr(tpd).replace("torch.",
                                                                                                    "fastdl.")


# ---- activations and dropouts --------------------------------------------------------

def test_rrelu():
    x = R(400)
    ref = np.where(x >= 0, x, x * (0.1 + 0.3) / 2)
    np.testing.assert_allclose(npy(F.rrelu(T(x), 0.1, 0.3)), ref, rtol=1e-12)
    m = nn.RReLU(0.1, 0.3).eval()
    np.testing.assert_allclose(npy(m(T(x))), ref, rtol=1e-12)
    a = T(x, True)
    y = nn.RReLU(0.1, 0.3)(a)
    y.sum().backward()
    slope = npy(a.grad)
    assert np.all(slope[x >= 0] == 1) and np.all((slope[x < 0] >= 0.1) & (slope[x < 0] <= 0.3))
    assert len(np.unique(slope[x < 0])) > 10  # drawn per element
    np.testing.assert_allclose(npy(y), x * slope, rtol=1e-12)
    b = T(x.copy())
    F.rrelu_(b, training=True)
    assert np.all(npy(b)[x >= 0] == x[x >= 0]) and np.all(npy(b)[x < 0] > x[x < 0] * 0.34)
    for fn, ref_fn in ((F.elu_, F.elu), (F.selu_, F.selu), (F.celu_, F.celu), (F.leaky_relu_, F.leaky_relu)):
        c = T(x.copy())
        assert fn(c) is c
        np.testing.assert_allclose(npy(c), npy(ref_fn(T(x))), rtol=1e-12)
    with pytest.raises(RuntimeError, match="rrelu: lower bound"):
        F.rrelu(T(x), 0.5, 0.1, training=True)
    torch = torch_mod()
    assert repr(nn.RReLU(0.2, 0.4, True)) == repr(torch.nn.RReLU(0.2, 0.4, True))


def test_softmax2d():
    x = R(2, 3, 2, 2)
    e = np.exp(x - x.max(1, keepdims=True))
    np.testing.assert_allclose(npy(nn.Softmax2d()(T(x))), e / e.sum(1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(npy(nn.Softmax2d()(T(x[0]))), (e / e.sum(1, keepdims=True))[0], rtol=1e-12)
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D"):
        nn.Softmax2d()(T(R(2, 3)))


_A = 1.7580993408473766


@pytest.mark.parametrize("feature", [False, True])
def test_alpha_dropouts(feature):
    p = 0.3
    fn = F.feature_alpha_dropout if feature else F.alpha_dropout
    x = R(40, 50, 3)
    np.testing.assert_array_equal(npy(fn(T(x), p)), x)  # training=False by default in the functional form
    a = 1 / np.sqrt((_A * _A * p + 1) * (1 - p))
    fastdl.manual_seed(1)
    xt = T(x, True)
    y = fn(xt, p, True)
    yn = npy(y)
    kept = np.isclose(yn, a * x + _A * a * p)
    dropped = np.isclose(yn, a * (_A * p - _A))
    assert np.all(kept | dropped) and 0.2 < dropped.mean() < 0.4
    if feature:  # one draw per (sample, channel)
        assert np.all(kept.all(2) | dropped.all(2))
    y.sum().backward()
    np.testing.assert_allclose(npy(xt.grad), np.where(kept, a, 0.0), rtol=1e-12)
    s = F.selu(fastdl.randn(300, 400))
    z = (nn.FeatureAlphaDropout(0.2) if feature else nn.AlphaDropout(0.2))(s.reshape(300, 400, 1))
    assert abs(float(z.mean())) < 0.1 and abs(float(z.std()) - 1) < 0.1
    m = nn.AlphaDropout(0.2).eval()
    assert m(s) is s and repr(m) == "AlphaDropout(p=0.2, inplace=False)"
    with pytest.raises(ValueError, match="probability has to be between 0 and 1"):
        fn(T(x), 1.5, True)


def test_gumbel_softmax():
    fastdl.manual_seed(0)
    x = T(R(200, 5), True)
    y = F.gumbel_softmax(x, tau=0.5)
    np.testing.assert_allclose(npy(y).sum(1), 1.0, rtol=1e-12)
    h = F.gumbel_softmax(x, tau=0.5, hard=True, dim=1)
    hn = npy(h)
    assert set(np.unique(hn)) <= {0.0, 1.0} and np.all(hn.sum(1) == 1)
    # argmax of the sample follows the logits: the biggest logit wins most often
    big = T(np.array([[0.0, 3.0, 0.0]] * 2000))
    assert npy(F.gumbel_softmax(big, hard=True)).mean(0)[1] > 0.8
    # straight-through: the hard sample's gradient is the soft sample's (same noise)
    fastdl.manual_seed(3)
    soft = F.gumbel_softmax(x, tau=2.0)
    fastdl.manual_seed(3)
    hard = F.gumbel_softmax(x, tau=2.0, hard=True)
    w = T(R(200, 5))
    g_soft = fastdl.autograd.grad((soft * w).sum(), [x])[0]
    g_hard = fastdl.autograd.grad((hard * w).sum(), [x])[0]
    np.testing.assert_allclose(npy(g_hard), npy(g_soft), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(npy(hard).argmax(1), npy(soft).argmax(1))


# ---- Bilinear ------------------------------------------------------------------------

def test_bilinear():
    x1, x2, w, b = R(2, 4, 3), R(2, 4, 5), R(6, 3, 5), R(6)
    ref = np.einsum("...i,oij,...j->...o", x1, w, x2) + b
    np.testing.assert_allclose(npy(F.bilinear(T(x1), T(x2), T(w), T(b))), ref, rtol=1e-12)
    np.testing.assert_allclose(npy(F.bilinear(T(x1[0, 0]), T(x2[0, 0]), T(w))), ref[0, 0] - b, rtol=1e-12)
    gradcheck(F.bilinear, (T(x1, True), T(x2, True), T(w, True), T(b, True)))
    m = nn.Bilinear(3, 5, 6, dtype=fastdl.float64)
    bound = 1 / np.sqrt(3)
    assert np.abs(npy(m.weight)).max() <= bound and np.abs(npy(m.bias)).max() <= bound
    assert nn.Bilinear(3, 5, 6, bias=False).bias is None
    torch = torch_mod()
    tm = torch.nn.Bilinear(3, 5, 6, dtype=torch.float64)
    assert repr(m) == repr(tm) and list(m.state_dict()) == list(tm.state_dict())
    copy_to_torch(m, tm)
    np.testing.assert_allclose(npy(m(T(x1), T(x2))), tm(torch.tensor(x1), torch.tensor(x2)).detach().numpy(),
                               rtol=1e-12)
    with pytest.raises(RuntimeError, match="bilinear: input2 size does not match weight size"):
        F.bilinear(T(x1), T(R(2, 4, 4)), T(w))
    with pytest.raises(RuntimeError, match="bilinear: input batch dimensions do not match"):
        F.bilinear(T(x1), T(R(3, 4, 5)), T(w))


# ---- lazy modules --------------------------------------------------------------------

_LAZY = [("LazyLinear", (4,), (2, 3, 5), "Linear"), ("LazyConv1d", (4, 3), (2, 3, 7), "Conv1d"),
         ("LazyConv2d", (4, 3), (3, 7, 6), "Conv2d"), ("LazyConvTranspose1d", (4, 3), (2, 3, 7), "ConvTranspose1d"),
         ("LazyConvTranspose2d", (4, 2), (2, 3, 5, 5), "ConvTranspose2d"),
         ("LazyBatchNorm1d", (), (4, 3), "BatchNorm1d"), ("LazyBatchNorm2d", (), (2, 3, 4, 4), "BatchNorm2d"),
         ("LazyInstanceNorm1d", (), (2, 3, 5), "InstanceNorm1d"),
         ("LazyInstanceNorm2d", (), (2, 3, 4, 4), "InstanceNorm2d")]


@pytest.mark.parametrize("name,args,shape,eager", _LAZY)
def test_lazy_modules(name, args, shape, eager):
    m = getattr(nn, name)(*args, dtype=fastdl.float64)
    assert m.has_uninitialized_params()
    assert isinstance(m.weight, nn.UninitializedParameter)
    held = m.weight
    x = T(R(*shape), True)
    y = m(x)
    assert type(m) is getattr(nn, eager) and not isinstance(m.weight, nn.UninitializedParameter)
    assert m.weight is held and isinstance(held, nn.Parameter)  # materialised in place
    opt = fastdl.optim.SGD(m.parameters(), lr=0.1)
    before = npy(m.weight).copy()
    (y * T(R(*y.shape))).sum().backward()  # a plain sum has no gradient through a norm's weight
    opt.step()
    assert not np.array_equal(npy(m.weight), before)
    torch = torch_mod()
    tm = getattr(torch.nn, eager)(*_eager_args(m), dtype=torch.float64)
    assert repr(m) == repr(tm) and list(m.state_dict()) == list(tm.state_dict())
    assert [tuple(v.shape) for v in m.state_dict().values()] == [tuple(v.shape) for v in tm.state_dict().values()]
    copy_to_torch(m, tm)
    m.eval()
    tm.eval()
    np.testing.assert_allclose(npy(m(x)), tm(torch.tensor(npy(x))).detach().numpy(), rtol=1e-9, atol=1e-10)


def _eager_args(m):
    if isinstance(m, nn.Linear):
        return (m.in_features, m.out_features)
    if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
        return (m.num_features,)
    if isinstance(m, (nn.InstanceNorm1d, nn.InstanceNorm2d)):
        return (m.num_features, 1e-5, 0.1, True, True)
    return (m.in_channels, m.out_channels, m.kernel_size)


def test_lazy_load_state_dict_and_errors():
    src = nn.Sequential(nn.Linear(5, 3), nn.Conv1d(6, 4, 3, groups=2))
    dst = nn.Sequential(nn.LazyLinear(3), nn.LazyConv1d(4, 3, groups=2))
    dst.load_state_dict(src.state_dict())
    assert type(dst[0]) is nn.Linear and dst[0].in_features == 5 and dst[1].in_channels == 6
    np.testing.assert_array_equal(npy(dst[1].weight), npy(src[1].weight))
    bn = nn.LazyBatchNorm1d()
    bn.load_state_dict(nn.BatchNorm1d(7).state_dict())
    assert type(bn) is nn.BatchNorm1d and bn.num_features == 7
    assert repr(nn.LazyLinear(3)) == "LazyLinear(in_features=0, out_features=3, bias=True)"
    with pytest.raises(RuntimeError, match="Expected 2D \\(unbatched\\) or 3D \\(batched\\) input to LazyConv1d"):
        nn.LazyConv1d(4, 3)(T(R(5)))
    with pytest.raises(ValueError, match="in_channels \\(3\\) must be divisible by groups \\(2\\)"):
        nn.LazyConv1d(4, 3, groups=2)(T(R(1, 3, 5)))
