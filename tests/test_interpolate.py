"""F.interpolate and nn.Upsample / UpsamplingNearest2d / UpsamplingBilinear2d: NumPy
references for 'nearest' and for align_corners=True (bi)linear, autograd against finite
differences, torch parity of values and input gradients for every mode, align_corners,
size or scale_factor (integer and not), up and down, 3-D to 5-D, module reprs against
torch's, and the errors."""
import numpy as np
import pytest

import fastdl
import fastdl.nn as nn
import fastdl.nn.functional as F
from fastdl.testing import gradcheck

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # torch parity tests skip cleanly without torch
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# ---- NumPy references ------------------------------------------------------------------

def _np_nearest(x, sizes):
    """'nearest' with output sizes: source index floor(j * in / out), in exact integers."""
    for k, n_out in enumerate(sizes):
        d, n_in = 2 + k, x.shape[2 + k]
        x = np.take(x, np.minimum(np.arange(n_out) * n_in // n_out, n_in - 1), axis=d)
    return x


def _np_linear_align_corners(x, sizes):
    """align_corners=True: output j samples input position j * (in - 1) / (out - 1),
    interpolating linearly between its two neighbours, one spatial dim at a time."""
    for k, n_out in enumerate(sizes):
        d, n_in = 2 + k, x.shape[2 + k]
        pos = np.arange(n_out) * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
        i0 = np.minimum(np.floor(pos).astype(int), n_in - 1)
        i1 = np.minimum(i0 + 1, n_in - 1)
        w = (pos - i0).reshape((-1,) + (1,) * (x.ndim - 1 - d))
        x = np.take(x, i0, axis=d) * (1 - w) + np.take(x, i1, axis=d) * w
    return x


@pytest.mark.parametrize("shape,size", [
    ((2, 3, 5), 10), ((2, 3, 5), 3), ((2, 3, 6), 4), ((1, 2, 4), 1), ((2, 3, 4, 5), (8, 10)),
    ((2, 3, 4, 6), (2, 3)), ((1, 2, 3, 3), (7, 5)), ((1, 1, 2, 3, 4), (4, 3, 8)),
])
def test_nearest_matches_numpy(shape, size):
    x = _x(shape)
    sizes = [size] * (len(shape) - 2) if isinstance(size, int) else list(size)
    out = F.interpolate(fastdl.tensor(x), size=size, mode="nearest")
    np.testing.assert_array_equal(out.numpy(), _np_nearest(x, sizes))


@pytest.mark.parametrize("shape,size,mode", [
    ((2, 3, 5), 9, "linear"), ((2, 3, 5), 3, "linear"), ((2, 3, 4), 1, "linear"),
    ((2, 3, 4, 5), (7, 9), "bilinear"), ((2, 3, 6, 5), (4, 2), "bilinear"), ((1, 2, 3, 3), (8, 3), "bilinear"),
    ((1, 2, 3, 4, 2), (5, 2, 3), "trilinear"),
])
def test_align_corners_linear_matches_numpy(shape, size, mode):
    x = _x(shape)
    sizes = [size] * (len(shape) - 2) if isinstance(size, int) else list(size)
    out = F.interpolate(fastdl.tensor(x), size=size, mode=mode, align_corners=True)
    np.testing.assert_allclose(out.numpy(), _np_linear_align_corners(x, sizes), rtol=1e-12, atol=1e-12)


def test_bilinear_half_pixel_by_hand():
    """align_corners=False at scale 2: output j samples (j + 0.5) / 2 - 0.5, clamped at 0."""
    x = np.array([[[0.0, 4.0, 8.0]]])
    out = F.interpolate(fastdl.tensor(x), scale_factor=2, mode="linear")
    np.testing.assert_allclose(out.numpy(), [[[0.0, 1.0, 3.0, 5.0, 7.0, 8.0]]])
    out = F.interpolate(fastdl.tensor(x), size=5, mode="linear", align_corners=True)
    np.testing.assert_allclose(out.numpy(), [[[0.0, 2.0, 4.0, 6.0, 8.0]]])
    out = F.interpolate(fastdl.tensor(x), size=6, mode="nearest-exact")
    np.testing.assert_allclose(out.numpy(), [[[0.0, 0.0, 4.0, 4.0, 8.0, 8.0]]])


# ---- torch parity ------------------------------------------------------------------------

SIZES = [dict(size=s) for s in (1, 2, 3, 5, 8, 13)] + \
        [dict(scale_factor=s) for s in (0.5, 0.7, 1.5, 1.7, 2, 2.5, 3, 1 / 3)] + \
        [dict(scale_factor=s, recompute_scale_factor=True) for s in (0.7, 1.7, 2.5)]
MODES = [(3, "nearest", None), (3, "nearest-exact", None), (3, "linear", False), (3, "linear", True),
         (4, "nearest", None), (4, "nearest-exact", None), (4, "bilinear", False), (4, "bilinear", True),
         (5, "nearest", None), (5, "trilinear", False), (5, "trilinear", True), (3, "area", None), (4, "area", None)]


def _torch_parity(x, g_seed=1, **kw):
    f, t = fastdl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    try:
        to = TF.interpolate(t, **kw)
    except RuntimeError:  # an empty output (a small input scaled down): fastdl refuses it too
        with pytest.raises(RuntimeError):
            F.interpolate(f, **kw)
        return
    fo = F.interpolate(f, **kw)
    assert tuple(fo.shape) == tuple(to.shape)
    tol = 1e-12 if x.dtype == np.float64 else 2e-6
    np.testing.assert_allclose(fo.detach().numpy(), to.detach().numpy(), rtol=tol, atol=tol)
    g = np.random.default_rng(g_seed).standard_normal(tuple(to.shape)).astype(x.dtype)
    (fo * fastdl.tensor(g)).sum().backward()
    (to * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(f.grad.numpy(), t.grad.numpy(), rtol=tol * 10, atol=tol * 10)


@needs_torch
@pytest.mark.parametrize("nd,mode,align_corners", MODES, ids=[f"{m}-{n}d-{a}" for n, m, a in MODES])
@pytest.mark.parametrize("kw", SIZES, ids=lambda kw: "-".join(f"{k}={v:.3g}" for k, v in kw.items()))
@pytest.mark.parametrize("n_in", [1, 4, 7])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_matches_torch(nd, mode, align_corners, kw, n_in, dtype):
    x = _x((2, 3) + (n_in,) * (nd - 2)).astype(dtype)
    if mode == "area" and int(n_in * kw.get("scale_factor", 1)) < 1:
        pytest.skip("an empty output: torch's adaptive pool gives one, and rejects it in backward")
    _torch_parity(x, mode=mode, align_corners=align_corners, **kw)


@needs_torch
@pytest.mark.parametrize("mode,align_corners", [("nearest", None), ("nearest-exact", None), ("bilinear", False),
                                                ("bilinear", True)])
@pytest.mark.parametrize("kw", [dict(size=(3, 7)), dict(size=(9, 2)), dict(scale_factor=(1.5, 0.6)),
                                dict(scale_factor=(2, 3)), dict(scale_factor=(0.5, 1.3), recompute_scale_factor=True)],
                         ids=str)
def test_matches_torch_per_dim_sizes(mode, align_corners, kw):
    _torch_parity(_x((2, 3, 5, 4)), mode=mode, align_corners=align_corners, **kw)


@needs_torch
@pytest.mark.parametrize("nd", [3, 5])
@pytest.mark.parametrize("scale", [1.2, 2.2])
def test_nearest_where_torch_backward_disagrees_with_its_forward(nd, scale):
    """3-D / 5-D 'nearest' with a scale_factor that keeps or doubles the size: torch's
    forward reads floor(j / scale), its backward the unchanged / j // 2 positions. The
    values match torch; the gradient is the adjoint of this forward (every output's
    gradient added to the input it read), which torch's is not here."""
    x = _x((2, 3) + (4,) * (nd - 2))
    f = fastdl.tensor(x, requires_grad=True)
    fo = F.interpolate(f, scale_factor=scale)
    to = TF.interpolate(torch.tensor(x), scale_factor=scale)
    np.testing.assert_array_equal(fo.detach().numpy(), to.numpy())
    fo.sum().backward()
    # the adjoint: how often each input element was read
    counts = TF.interpolate(torch.arange(x.size, dtype=torch.float64).reshape(x.shape), scale_factor=scale)
    ref = np.bincount(counts.numpy().astype(np.int64).ravel(), minlength=x.size).reshape(x.shape)
    np.testing.assert_array_equal(f.grad.numpy(), ref)


@pytest.mark.parametrize("mode,align_corners,shape,kw", [
    ("linear", False, (2, 2, 5), dict(scale_factor=1.7)), ("linear", True, (2, 2, 5), dict(size=3)),
    ("bilinear", False, (1, 2, 3, 4), dict(size=(5, 3))), ("bilinear", True, (1, 2, 4, 3), dict(scale_factor=2)),
    ("nearest", None, (1, 2, 3, 4), dict(scale_factor=(2, 0.5))), ("nearest-exact", None, (2, 2, 5), dict(size=7)),
    ("trilinear", False, (1, 1, 2, 3, 2), dict(size=(3, 2, 4))), ("area", None, (1, 2, 5, 4), dict(size=(3, 2))),
])
def test_gradcheck(mode, align_corners, shape, kw):
    x = fastdl.tensor(_x(shape, seed=2), requires_grad=True)
    assert gradcheck(lambda t: F.interpolate(t, mode=mode, align_corners=align_corners, **kw), [x])


# ---- dtypes, batches, modules ------------------------------------------------------------

def test_dtypes():
    x = _x((1, 2, 3, 4))
    h = F.interpolate(fastdl.tensor(x, dtype=fastdl.float16), scale_factor=2, mode="bilinear")
    assert h.dtype is fastdl.float16
    ref = F.interpolate(fastdl.tensor(x), scale_factor=2, mode="bilinear").numpy()
    np.testing.assert_allclose(h.float().numpy(), ref, rtol=2e-3, atol=2e-3)
    ints = np.arange(12).reshape(1, 1, 3, 4)
    out = F.interpolate(fastdl.tensor(ints), size=(6, 8))  # nearest copies, so any dtype works
    assert out.dtype is fastdl.int64
    np.testing.assert_array_equal(out.numpy(), _np_nearest(ints, [6, 8]))
    with pytest.raises(TypeError, match=r"interpolate: bilinear interpolation needs a floating point input.*int64"):
        F.interpolate(fastdl.tensor(ints), size=(6, 8), mode="bilinear")


def test_empty_batch_and_unchanged_size():
    out = F.interpolate(fastdl.tensor(np.zeros((0, 2, 5))), size=3, mode="linear")
    assert out.shape == (0, 2, 3)
    x = fastdl.tensor(_x((1, 2, 3, 4)), requires_grad=True)
    same = F.interpolate(x, size=(3, 4), mode="bilinear")
    assert same is not x
    np.testing.assert_array_equal(same.detach().numpy(), x.detach().numpy())


def test_upsample_modules_forward():
    x = fastdl.tensor(_x((1, 2, 3, 4)))
    for m, kw in [(nn.Upsample(scale_factor=2), dict(scale_factor=2.0)),
                  (nn.Upsample(size=(5, 7), mode="bilinear"), dict(size=(5, 7), mode="bilinear", align_corners=False)),
                  (nn.Upsample(scale_factor=(1.5, 2), mode="nearest-exact"), dict(scale_factor=(1.5, 2.0),
                                                                                   mode="nearest-exact")),
                  (nn.UpsamplingNearest2d(scale_factor=3), dict(scale_factor=3.0)),
                  (nn.UpsamplingBilinear2d(size=(6, 5)), dict(size=(6, 5), mode="bilinear", align_corners=True)),
                  (nn.UpsamplingBilinear2d(scale_factor=2), dict(scale_factor=2.0, mode="bilinear",
                                                                 align_corners=True))]:
        np.testing.assert_array_equal(m(x).numpy(), F.interpolate(x, **kw).numpy())
    up = nn.UpsamplingBilinear2d(scale_factor=2)
    assert (up.mode, up.align_corners, up.scale_factor, up.size, up.name) == ("bilinear", True, 2.0, None,
                                                                             "UpsamplingBilinear2d")


REPRS = [
    (lambda m: m.Upsample(scale_factor=2), "Upsample(scale_factor=2.0, mode='nearest')"),
    (lambda m: m.Upsample(size=(3, 4), mode="bilinear", align_corners=True), "Upsample(size=(3, 4), mode='bilinear')"),
    (lambda m: m.Upsample(scale_factor=(2, 3)), "Upsample(scale_factor=(2.0, 3.0), mode='nearest')"),
    (lambda m: m.Upsample(size=5, mode="linear"), "Upsample(size=5, mode='linear')"),
    (lambda m: m.UpsamplingNearest2d(scale_factor=2), "UpsamplingNearest2d(scale_factor=2.0, mode='nearest')"),
    (lambda m: m.UpsamplingBilinear2d(size=5), "UpsamplingBilinear2d(size=5, mode='bilinear')"),
    (lambda m: m.Upsample(), "Upsample(size=None, mode='nearest')"),
]


@pytest.mark.parametrize("i", range(len(REPRS)))
def test_module_reprs(i):
    make, expected = REPRS[i]
    assert repr(make(nn)) == expected
    if torch is not None:
        assert repr(make(torch.nn)) == expected


# ---- errors ------------------------------------------------------------------------------

X3, X4 = np.zeros((1, 2, 5)), np.zeros((1, 2, 4, 5))

# (input, keyword arguments, exception, words in the message)
ERRORS = [
    (X3, dict(size=3, scale_factor=2), ValueError, ["interpolate", "only one of size or scale_factor"]),
    (X3, dict(), ValueError, ["interpolate", "either size or scale_factor"]),
    (X3, dict(size=(3, 4)), ValueError, ["interpolate", "same number of spatial dimensions", "[5]", "(3, 4)"]),
    (X3, dict(scale_factor=(2, 2)), ValueError, ["interpolate", "scale_factor", "same number of spatial dimensions"]),
    (X3, dict(size=(3.0,)), TypeError, ["interpolate", "size", "int"]),
    (X3, dict(size=3, recompute_scale_factor=True), ValueError, ["interpolate", "recompute_scale_factor",
                                                                 "explicit size"]),
    (X3, dict(size=3, align_corners=True), ValueError, ["interpolate", "align_corners", "interpolating modes"]),
    (X3, dict(size=0), RuntimeError, ["interpolate", "greater than 0", "input (W: 5)", "output (W: 0)"]),
    (X3, dict(scale_factor=0.1), RuntimeError, ["interpolate", "greater than 0", "output (W: 0)"]),
    (X3, dict(scale_factor=-2), RuntimeError, ["interpolate", "greater than 0", "output (W: -10)"]),
    (X4, dict(size=(3, 0), mode="bilinear"), RuntimeError, ["interpolate", "(H: 4, W: 5)", "(H: 3, W: 0)"]),
    (X4, dict(scale_factor=float("inf")), RuntimeError, ["interpolate", "int64"]),
    (X3, dict(size=3, mode="bilinear"), NotImplementedError, ["interpolate", "3D input", "needs 4D"]),
    (X4, dict(size=3, mode="linear"), NotImplementedError, ["interpolate", "4D input", "needs 3D"]),
    (X3, dict(size=3, mode="foo"), NotImplementedError, ["interpolate", "'foo'"]),
    (np.zeros((2, 5)), dict(size=3), NotImplementedError, ["interpolate", "2D", "3D, 4D and 5D"]),
    (np.zeros((1, 0, 5)), dict(size=3, mode="linear"), RuntimeError, ["interpolate", "non-empty", "float64[1, 0, 5]"]),
    (np.zeros((1, 2, 0)), dict(size=3), RuntimeError, ["interpolate", "greater than 0", "input (W: 0)"]),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors(i):
    x, kw, exc, words = ERRORS[i]
    with pytest.raises(exc) as info:
        F.interpolate(fastdl.tensor(x), **kw)
    for w in words:
        assert w in str(info.value), (w, str(info.value))


@needs_torch
@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_torch_rejects_the_same(i):
    x, kw, exc, _ = ERRORS[i]
    # torch raises the same type, except where its C++ binding rejects a float size (TypeError either way)
    with pytest.raises(exc):
        TF.interpolate(torch.tensor(x), **kw)


def test_not_implemented_modes():
    for kw in (dict(mode="bicubic"), dict(mode="bilinear", antialias=True)):
        with pytest.raises(NotImplementedError, match="interpolate"):
            F.interpolate(fastdl.tensor(X4), size=3, **kw)
    with pytest.raises(NotImplementedError, match="area"):
        F.interpolate(fastdl.tensor(np.zeros((1, 1, 2, 2, 2))), size=3, mode="area")


def test_on_device(device):
    """Each mode on each device against the NumPy references, with the input gradient
    of a sum (each input's share of the outputs)."""
    x = _x((2, 3, 4, 5))
    t = fastdl.tensor(x, dtype=fastdl.float32, device=device, requires_grad=True)
    near = F.interpolate(t, size=(8, 10))
    assert near.device.type == device
    np.testing.assert_allclose(near.detach().cpu().numpy(), _np_nearest(x, [8, 10]), rtol=1e-6)
    lin = F.interpolate(t, size=(7, 3), mode="bilinear", align_corners=True)
    np.testing.assert_allclose(lin.detach().cpu().numpy(), _np_linear_align_corners(x, [7, 3]), rtol=1e-5, atol=1e-5)
    (near.sum() + lin.sum()).backward()
    near_share = 4.0  # each input is read by a 2 x 2 block of the 8 x 10 output
    # the bilinear part: d sum / d x = the weights each input gets, from the reference on unit inputs
    share = np.zeros((4, 5))
    for i in range(4):
        for j in range(5):
            e = np.zeros((1, 1, 4, 5))
            e[0, 0, i, j] = 1.0
            share[i, j] = _np_linear_align_corners(e, [7, 3]).sum()
    np.testing.assert_allclose(t.grad.cpu().numpy(), np.broadcast_to(near_share + share, x.shape), rtol=1e-5, atol=1e-5)
