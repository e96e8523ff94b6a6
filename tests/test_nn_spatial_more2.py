"""nn spatial ops, part 2 (continued): conv3d / conv_transpose3d, affine_grid, grid_sample
and the upsample aliases: forward against float64 loop references in NumPy (or exact
values), float64 gradcheck, torch parity (values and gradients) when torch is
installed, the modules against torch, and bad inputs."""
import itertools
import warnings

import numpy as np
import pytest

import fastdl
import fastdl.nn as nn
import fastdl.nn.functional as F
from fastdl.testing import gradcheck
from nn_helpers import T, npy, torch_or_skip

RNG = np.random.default_rng(5)


def rand(*shape):
    return RNG.standard_normal(shape)


def trip(v):
    return (v,) * 3 if isinstance(v, int) else tuple(v)


# ---------------------------------------------------------------- conv3d


def ref_conv3d(x, w, b, stride, pads, dilation, groups):
    """Direct loops; pads = ((front, back), (top, bottom), (left, right)) of zeros."""
    N, C = x.shape[:2]
    O, Cg, *k = w.shape
    xp = np.pad(x, ((0, 0), (0, 0)) + tuple(pads))
    out = [(m - d * (kk - 1) - 1) // s + 1 for m, kk, s, d in zip(xp.shape[2:], k, stride, dilation)]
    y = np.zeros((N, O) + tuple(out))
    Og = O // groups
    for o, od, oh, ow in itertools.product(range(O), *[range(m) for m in out]):
        g = o // Og
        for c, i, j, l in itertools.product(range(Cg), *[range(m) for m in k]):
            pos = (od * stride[0] + i * dilation[0], oh * stride[1] + j * dilation[1], ow * stride[2] + l * dilation[2])
            y[:, o, od, oh, ow] += w[o, c, i, j, l] * xp[(slice(None), g * Cg + c) + pos]
    return y + (0.0 if b is None else b[None, :, None, None, None])


def ref_conv_transpose3d(x, w, b, stride, padding, output_padding, groups, dilation):
    N, Cin = x.shape[:2]
    _, Og, *k = w.shape
    out = [(m - 1) * s - 2 * p + d * (kk - 1) + op + 1
           for m, s, p, d, kk, op in zip(x.shape[2:], stride, padding, dilation, k, output_padding)]
    full = np.zeros((N, Og * groups) + tuple(o + 2 * p + s + d * kk for o, p, s, d, kk in
                                             zip(out, padding, stride, dilation, k)))
    Cg = Cin // groups
    for c, id_, ih, iw, i, j, l in itertools.product(range(Cin), *[range(m) for m in x.shape[2:]],
                                                      *[range(m) for m in k]):
        g = c // Cg
        pos = (id_ * stride[0] + i * dilation[0], ih * stride[1] + j * dilation[1], iw * stride[2] + l * dilation[2])
        full[(slice(None), slice(g * Og, (g + 1) * Og)) + pos] += x[:, c, id_, ih, iw, None] * w[c, :, i, j, l]
    y = full[:, :, padding[0]:padding[0] + out[0], padding[1]:padding[1] + out[1], padding[2]:padding[2] + out[2]]
    return y + (0.0 if b is None else b[None, :, None, None, None])


CONV3D_CASES = [  # input, weight, stride, padding, dilation, groups, bias
    ((2, 2, 4, 5, 4), (3, 2, 2, 3, 2), 1, 0, 1, 1, True),
    ((1, 4, 5, 4, 5), (4, 2, 3, 2, 2), (2, 1, 2), (1, 0, 1), (1, 2, 1), 2, True),
    ((4, 4, 5, 4), (2, 4, 2, 3, 2), 1, "same", (2, 1, 1), 1, False),  # unbatched, even kernel: asymmetric
    ((1, 3, 4, 4, 4), (2, 3, 3, 3, 3), 2, "valid", 1, 1, True),
]


def conv3d_pads(padding, k, dilation):
    if padding == "valid":
        return ((0, 0),) * 3
    if padding == "same":
        tot = [d * (kk - 1) for d, kk in zip(dilation, k)]
        return tuple((t // 2, t - t // 2) for t in tot)
    return tuple((p, p) for p in trip(padding))


@pytest.mark.parametrize("case", CONV3D_CASES)
def test_conv3d_against_loops(case):
    xs, ws, stride, padding, dilation, groups, bias = case
    x, w = rand(*xs), rand(*ws)
    b = rand(ws[0]) if bias else None
    got = F.conv3d(T(x), T(w), None if b is None else T(b), stride, padding, dilation, groups)
    xb = x if len(xs) == 5 else x[None]
    ref = ref_conv3d(xb, w, b, trip(stride), conv3d_pads(padding, ws[2:], trip(dilation)), trip(dilation), groups)
    np.testing.assert_allclose(npy(got), ref if len(xs) == 5 else ref[0], rtol=1e-10, atol=1e-12)


CONVT3D_CASES = [  # input, weight, stride, padding, output_padding, groups, dilation
    ((2, 2, 3, 2, 3), (2, 3, 2, 3, 2), 1, 0, 0, 1, 1),
    ((1, 4, 2, 3, 2), (4, 1, 3, 2, 2), (2, 1, 2), (1, 0, 1), (1, 0, 1), 2, (1, 2, 1)),
    ((2, 2, 2, 3), (2, 2, 2, 2, 3), 3, 2, 2, 1, 1),  # unbatched; output_padding > padding
]


@pytest.mark.parametrize("case", CONVT3D_CASES)
def test_conv_transpose3d_against_loops(case):
    xs, ws, stride, padding, output_padding, groups, dilation = case
    x, w, b = rand(*xs), rand(*ws), rand(ws[1] * groups)
    got = F.conv_transpose3d(T(x), T(w), T(b), stride, padding, output_padding, groups, dilation)
    xb = x if len(xs) == 5 else x[None]
    ref = ref_conv_transpose3d(xb, w, b, trip(stride), trip(padding), trip(output_padding), groups, trip(dilation))
    np.testing.assert_allclose(npy(got), ref if len(xs) == 5 else ref[0], rtol=1e-10, atol=1e-12)


def test_conv3d_gradcheck():
    x, w, b = T(rand(1, 2, 4, 3, 3), True), T(rand(2, 1, 2, 2, 2), True), T(rand(2), True)
    assert gradcheck(lambda x, w, b: F.conv3d(x, w, b, (2, 1, 1), 1, 1, 2), (x, w, b))
    assert gradcheck(lambda x, w, b: F.conv3d(x, w, b, 1, "same", (2, 1, 1), 2), (x, w, b))
    assert gradcheck(lambda x, w, b: F.conv_transpose3d(x, w, b, 2, 1, 1, 2), (x, w, b))


@pytest.mark.parametrize("case", CONV3D_CASES[1:3])
def test_conv3d_torch_parity(case):
    torch = torch_or_skip()
    xs, ws, stride, padding, dilation, groups, _ = case
    x, w, b = rand(*xs), rand(*ws), rand(ws[0])
    fx, fw, fb = T(x, True), T(w, True), T(b, True)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    got = F.conv3d(fx, fw, fb, stride, padding, dilation, groups)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's note on 'same' with an even kernel
        exp = torch.nn.functional.conv3d(tx, tw, tb, stride, padding, dilation, groups)
    np.testing.assert_allclose(npy(got), exp.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = rand(*exp.shape)
    got.backward(T(g))
    exp.backward(torch.tensor(g))
    for a, e in ((fx, tx), (fw, tw), (fb, tb)):
        np.testing.assert_allclose(npy(a.grad), e.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_conv_transpose3d_torch_parity():
    torch = torch_or_skip()
    xs, ws, stride, padding, output_padding, groups, dilation = CONVT3D_CASES[1]
    x, w, b = rand(*xs), rand(*ws), rand(ws[1] * groups)
    fx, fw, fb = T(x, True), T(w, True), T(b, True)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    got = F.conv_transpose3d(fx, fw, fb, stride, padding, output_padding, groups, dilation)
    exp = torch.nn.functional.conv_transpose3d(tx, tw, tb, stride, padding, output_padding, groups, dilation)
    np.testing.assert_allclose(npy(got), exp.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = rand(*exp.shape)
    got.backward(T(g))
    exp.backward(torch.tensor(g))
    for a, e in ((fx, tx), (fw, tw), (fb, tb)):
        np.testing.assert_allclose(npy(a.grad), e.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_conv3d_module_against_torch(mode):
    torch = torch_or_skip()
    m = nn.Conv3d(2, 4, (3, 2, 3), padding="same", padding_mode=mode, dtype=fastdl.float64)
    t = torch.nn.Conv3d(2, 4, (3, 2, 3), padding="same", padding_mode=mode).double()
    assert repr(m) == repr(t)
    assert list(m.state_dict()) == list(t.state_dict())
    assert {k: tuple(v.shape) for k, v in m.state_dict().items()} == {k: tuple(v.shape) for k, v in
                                                                      t.state_dict().items()}
    with torch.no_grad():
        t.weight.copy_(torch.tensor(npy(m.weight)))
        t.bias.copy_(torch.tensor(npy(m.bias)))
    x = rand(2, 2, 4, 5, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(npy(m(T(x))), t(torch.tensor(x)).detach().numpy(), rtol=1e-10, atol=1e-12)
    bound = 1 / np.sqrt(2 * 3 * 2 * 3)  # kaiming_uniform(a=sqrt(5)) and the bias both reach 1/sqrt(fan_in)
    assert np.abs(npy(m.weight)).max() <= bound and np.abs(npy(m.bias)).max() <= bound


def test_conv_transpose3d_module_against_torch():
    torch = torch_or_skip()
    m = nn.ConvTranspose3d(4, 6, 3, stride=2, padding=1, groups=2, bias=False)
    t = torch.nn.ConvTranspose3d(4, 6, 3, stride=2, padding=1, groups=2, bias=False)
    assert repr(m) == repr(t) and list(m.state_dict()) == ["weight"] and tuple(m.weight.shape) == (4, 3, 3, 3, 3)
    with torch.no_grad():
        t.weight.copy_(torch.tensor(npy(m.weight)))
    x = rand(1, 4, 2, 3, 2).astype(np.float32)
    got = m(T(x), output_size=(4, 6, 4))
    exp = t(torch.tensor(x), output_size=(4, 6, 4))
    np.testing.assert_allclose(npy(got), exp.detach().numpy(), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="requested an output size"):
        m(T(x), output_size=(9, 6, 4))


# ---------------------------------------------------------------- affine_grid


def ref_affine_grid(theta, size, align_corners):
    def lin(n):
        if n <= 1:
            return np.zeros(1)
        r = np.linspace(-1, 1, n)
        return r if align_corners else r * (n - 1) / n
    spatial = size[2:]
    mesh = np.meshgrid(*[lin(m) for m in spatial], indexing="ij")
    base = np.stack(list(reversed(mesh)) + [np.ones(spatial)], -1)
    return np.einsum("...k,nik->n...i", base, theta)


@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 1, 3), (2, 3, 2, 4, 3)])
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_against_numpy(size, align_corners):
    n = len(size) - 2
    theta = rand(2, n, n + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the unit-size note
        got = F.affine_grid(T(theta), size, align_corners)
        np.testing.assert_allclose(npy(got), ref_affine_grid(theta, size, align_corners), rtol=1e-12, atol=1e-12)
        th = T(rand(2, n, n + 1), True)
        assert gradcheck(lambda t: F.affine_grid(t, size, align_corners), th)


def test_affine_grid_identity_and_torch():
    torch = torch_or_skip()
    eye = np.array([[[1.0, 0, 0], [0, 1, 0]]])
    g = npy(F.affine_grid(T(eye), (1, 1, 2, 3), align_corners=True))
    np.testing.assert_array_equal(g[0, :, :, 0], [[-1, 0, 1], [-1, 0, 1]])
    np.testing.assert_array_equal(g[0, :, :, 1], [[-1, -1, -1], [1, 1, 1]])
    theta = rand(2, 3, 4).astype(np.float32)
    with pytest.warns(UserWarning, match="align_corners=False"):
        got = F.affine_grid(T(theta), [2, 1, 3, 4, 5])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exp = torch.nn.functional.affine_grid(torch.tensor(theta), [2, 1, 3, 4, 5])
    assert got.dtype is fastdl.float32
    np.testing.assert_allclose(npy(got), exp.numpy(), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- grid_sample


def ref_grid_sample(x, grid, mode, padding_mode, align_corners):
    """Loops over (n, output pixel) for bilinear / nearest with zeros or border padding."""
    N, C, H, W = x.shape
    out = np.zeros((N, C) + grid.shape[1:3])

    def src(g, m):
        c = (g + 1) / 2 * (m - 1) if align_corners else ((g + 1) * m - 1) / 2
        return np.clip(c, 0, m - 1) if padding_mode == "border" else c

    def at(n, yy, xx):
        return x[n, :, yy, xx] if 0 <= yy < H and 0 <= xx < W else np.zeros(C)
    for n, i, j in itertools.product(range(N), *[range(m) for m in grid.shape[1:3]]):
        ix, iy = src(grid[n, i, j, 0], W), src(grid[n, i, j, 1], H)
        if mode == "nearest":
            out[n, :, i, j] = at(n, int(np.rint(iy)), int(np.rint(ix)))
            continue
        x0, y0 = int(np.floor(ix)), int(np.floor(iy))
        fx, fy = ix - x0, iy - y0
        out[n, :, i, j] = ((1 - fx) * (1 - fy) * at(n, y0, x0) + fx * (1 - fy) * at(n, y0, x0 + 1)
                           + (1 - fx) * fy * at(n, y0 + 1, x0) + fx * fy * at(n, y0 + 1, x0 + 1))
    return out


@pytest.mark.parametrize("mode,padding_mode,align_corners", list(itertools.product(
    ["bilinear", "nearest"], ["zeros", "border"], [False, True])))
def test_grid_sample_against_loops(mode, padding_mode, align_corners):
    x, grid = rand(2, 3, 4, 5), RNG.uniform(-1.3, 1.3, (2, 3, 4, 2))
    got = F.grid_sample(T(x), T(grid), mode, padding_mode, align_corners)
    np.testing.assert_allclose(npy(got), ref_grid_sample(x, grid, mode, padding_mode, align_corners),
                               rtol=1e-12, atol=1e-12)


def test_grid_sample_identity_grid_is_exact():
    x = rand(2, 3, 4, 5).astype(np.float32)
    theta = T(np.tile(np.array([[[1.0, 0, 0], [0, 1, 0]]], np.float32), (2, 1, 1)))
    for ac in (False, True):
        grid = F.affine_grid(theta, (2, 3, 4, 5), align_corners=ac)
        for mode in ("bilinear", "nearest", "bicubic"):
            np.testing.assert_allclose(npy(F.grid_sample(T(x), grid, mode, align_corners=ac)), x, atol=2e-6)


def test_grid_sample_gradcheck_input_and_grid():
    x = T(rand(1, 2, 3, 4), True)
    grid = T(RNG.uniform(-1.2, 1.2, (1, 2, 3, 2)), True)
    for mode, pm, ac in [("bilinear", "zeros", False), ("bilinear", "border", True),
                         ("bilinear", "reflection", False), ("bicubic", "reflection", True),
                         ("bicubic", "zeros", False)]:
        assert gradcheck(lambda a, b: F.grid_sample(a, b, mode, pm, ac), (x, grid))
    assert gradcheck(lambda a: F.grid_sample(a, grid.detach(), "nearest", "zeros", False), x)
    x3 = T(rand(1, 1, 2, 3, 2), True)
    g3 = T(RNG.uniform(-1.2, 1.2, (1, 2, 1, 2, 3)), True)
    assert gradcheck(lambda a, b: F.grid_sample(a, b, "bilinear", "reflection", True), (x3, g3))


GRID_PARITY = list(itertools.product(["bilinear", "nearest", "bicubic"], ["zeros", "border", "reflection"],
                                     [False, True]))


@pytest.mark.parametrize("mode,padding_mode,align_corners", GRID_PARITY)
def test_grid_sample_torch_parity(mode, padding_mode, align_corners):
    torch = torch_or_skip()
    x, grid = rand(2, 3, 5, 4), RNG.uniform(-1.5, 1.5, (2, 3, 6, 2))
    shapes = [(x, grid)]
    if mode != "bicubic":  # 5-D input: trilinear / nearest
        shapes.append((rand(2, 2, 4, 3, 5), RNG.uniform(-1.5, 1.5, (2, 2, 3, 2, 3))))
    for xv, gv in shapes:
        fx, fg = T(xv, True), T(gv, True)
        tx, tg = torch.tensor(xv, requires_grad=True), torch.tensor(gv, requires_grad=True)
        got = F.grid_sample(fx, fg, mode, padding_mode, align_corners)
        exp = torch.nn.functional.grid_sample(tx, tg, mode, padding_mode, align_corners)
        np.testing.assert_allclose(npy(got), exp.detach().numpy(), rtol=1e-10, atol=1e-12)
        w = rand(*exp.shape)
        (got * T(w)).sum().backward()
        (exp * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(npy(fx.grad), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
        fgrad = np.zeros(gv.shape) if fg.grad is None else npy(fg.grad)
        np.testing.assert_allclose(fgrad, tg.grad.numpy(), rtol=1e-9, atol=1e-10)


def test_grid_sample_float32_and_half():
    x, grid = rand(1, 2, 4, 4).astype(np.float32), RNG.uniform(-1, 1, (1, 3, 3, 2)).astype(np.float32)
    ref = ref_grid_sample(x.astype(np.float64), grid.astype(np.float64), "bilinear", "zeros", False)
    got = F.grid_sample(T(x), T(grid), align_corners=False)
    assert got.dtype is fastdl.float32
    np.testing.assert_allclose(npy(got), ref, rtol=1e-5, atol=1e-5)
    h = F.grid_sample(T(x).to(fastdl.float16), T(grid).to(fastdl.float16), align_corners=False)
    assert h.dtype is fastdl.float16


# ---------------------------------------------------------------- upsample aliases


def test_upsample_aliases():
    x = T(rand(1, 2, 3, 4))
    with pytest.warns(UserWarning, match="upsample_bilinear` is deprecated"):
        got = F.upsample_bilinear(x, scale_factor=2)
    np.testing.assert_array_equal(npy(got), npy(F.interpolate(x, scale_factor=2, mode="bilinear",
                                                              align_corners=True)))
    with pytest.warns(UserWarning, match="upsample_nearest` is deprecated"):
        got = F.upsample_nearest(x, size=(5, 7))
    np.testing.assert_array_equal(npy(got), npy(F.interpolate(x, size=(5, 7))))
    with pytest.warns(UserWarning, match="`nn.functional.upsample` is deprecated"):
        got = F.upsample(x, size=(6, 5), mode="bilinear")
    np.testing.assert_array_equal(npy(got), npy(F.interpolate(x, size=(6, 5), mode="bilinear")))
    # align_corners=True maps the corner pixels onto themselves
    with pytest.warns(UserWarning):
        up = npy(F.upsample_bilinear(x, (5, 7)))
    for i, j in ((0, 0), (0, -1), (-1, 0), (-1, -1)):
        np.testing.assert_array_equal(up[..., i, j], npy(x)[..., i, j])


def test_upsample_aliases_torch_parity():
    torch = torch_or_skip()
    x = rand(1, 2, 3, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, kw in [("upsample_bilinear", dict(size=(5, 6))), ("upsample_nearest", dict(scale_factor=2)),
                         ("upsample", dict(scale_factor=1.5, mode="bilinear"))]:
            np.testing.assert_allclose(npy(getattr(F, name)(T(x), **kw)),
                                       getattr(torch.nn.functional, name)(torch.tensor(x), **kw).numpy(),
                                       rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- errors


def _grid(*shape):
    return T(RNG.uniform(-1, 1, shape))


ERRORS = [
    (lambda: F.conv3d(T(rand(2, 3, 3)), T(rand(2, 2, 2, 2, 2))), RuntimeError, "conv3d: expected 4D"),
    (lambda: F.conv3d(T(rand(1, 3, 3, 3, 3)), T(rand(2, 2, 2, 2, 2))), RuntimeError, "to have 2 channels"),
    (lambda: F.conv3d(T(rand(1, 2, 1, 3, 3)), T(rand(2, 2, 2, 2, 2))), RuntimeError, "can't be greater"),
    (lambda: F.conv3d(T(rand(1, 2, 3, 3, 3)), T(rand(2, 2, 2, 2, 2)), stride=2, padding="same"), ValueError,
     "not supported for strided"),
    (lambda: F.conv3d(T(rand(1, 2, 3, 3, 3)), T(rand(2, 2, 2, 2, 2)), padding="full"), ValueError,
     "invalid padding string"),
    (lambda: F.conv3d(T(rand(1, 2, 3, 3, 3)), T(rand(2, 2, 2, 2, 2)), T(rand(3))), RuntimeError, "bias of shape"),
    (lambda: F.conv3d(T(rand(1, 2, 3, 3, 3)).float(), T(rand(2, 2, 2, 2, 2))), TypeError, "same dtype"),
    (lambda: F.conv_transpose3d(T(rand(1, 2, 3, 3, 3)), T(rand(2, 2, 2, 2, 2)), stride=2, output_padding=2),
     RuntimeError, "output padding must be smaller"),
    (lambda: F.conv_transpose3d(T(rand(1, 3, 3, 3, 3)), T(rand(2, 2, 2, 2, 2))), RuntimeError, "2 channels"),
    (lambda: F.conv3d(T(rand(1, 2, 3, 3, 3)).half(), T(rand(2, 2, 2, 2, 2))), TypeError,
     "conv3d: input float16.*weight float64.*same dtype"),
    (lambda: nn.Conv3d(3, 4, 2, groups=2), ValueError, "in_channels must be divisible"),
    (lambda: F.affine_grid(T(rand(2, 2, 3)), [2, 1, 4, 4, 4], False), ValueError, "Nx3x4"),
    (lambda: F.affine_grid(T(rand(2, 2, 3)), [2, 1, 4], False), NotImplementedError, "4D and 5D sizes"),
    (lambda: F.affine_grid(fastdl.ones(1, 2, 3, dtype=fastdl.int64), [1, 1, 2, 2], False), ValueError,
     "floating point"),
    (lambda: F.affine_grid(T(rand(2, 2, 3)), [2, 1, 0, 4], False), ValueError, "positive output size"),
    (lambda: F.affine_grid(T(rand(2, 2, 3)), [3, 1, 2, 4], False), ValueError, "batch of 3"),
    (lambda: F.grid_sample(T(rand(1, 1, 3, 3)), _grid(1, 2, 2, 2), mode="cubic", align_corners=False), ValueError,
     "expected mode"),
    (lambda: F.grid_sample(T(rand(1, 1, 3, 3)), _grid(1, 2, 2, 2), padding_mode="wrap", align_corners=False),
     ValueError, "expected padding_mode"),
    (lambda: F.grid_sample(T(rand(1, 1, 3, 3)), _grid(1, 2, 2, 3), align_corners=False), RuntimeError,
     "size 2 in last dimension"),
    (lambda: F.grid_sample(T(rand(2, 1, 3, 3)), _grid(1, 2, 2, 2), align_corners=False), RuntimeError,
     "same batch size"),
    (lambda: F.grid_sample(T(rand(1, 1, 3, 3)), _grid(1, 2, 2, 2).float(), align_corners=False), RuntimeError,
     "same floating point dtype"),
    (lambda: F.grid_sample(T(rand(1, 3, 3)), _grid(1, 2, 2), align_corners=False), RuntimeError, "4D or 5D"),
    (lambda: F.grid_sample(T(rand(1, 1, 2, 3, 3)), _grid(1, 2, 2, 2, 3), "bicubic", align_corners=False),
     RuntimeError, "bicubic interpolation only supports 4D"),
]


@pytest.mark.parametrize("fn,exc,match", ERRORS)
def test_spatial_more2_errors(fn, exc, match):
    with pytest.raises(exc, match=match):
        fn()
