"""Channel dropout: F.dropout1d / dropout2d / dropout3d and nn.Dropout1d / Dropout2d /
Dropout3d. Whole channels are zeroed and the kept ones scaled by exactly 1/(1-p), the
dropped fraction is near p, draws are reproducible under fastdl.manual_seed, eval mode
and p=0 are the identity, p=1 zeroes everything, the gradient is the mask (and
gradcheck passes at a fixed seed), in-place forms write into the input, and the
handling of each input rank (unbatched inputs, warnings, errors) is torch's."""
import warnings

import numpy as np
import pytest

import fastdl
import fastdl.nn as nn
import fastdl.nn.functional as F
from fastdl.testing import gradcheck
from nn_helpers import T, npy, torch_or_skip

RNG = np.random.default_rng(3)

# (name, batched shape (N, C, *), unbatched shape (C, *) or None when the op has none)
OPS = [("dropout1d", (3, 5, 4), (5, 4)), ("dropout2d", (3, 5, 4, 2), None),
       ("dropout3d", (3, 5, 2, 3, 2), (5, 2, 3, 2))]
MODULES = {"dropout1d": "Dropout1d", "dropout2d": "Dropout2d", "dropout3d": "Dropout3d"}
CASES = [(name, shape, True) for name, shape, _ in OPS] + [(name, shape, False) for name, _, shape in OPS if shape]


def channels(a, batched):
    """The input's channels as rows: (N*C, positions), or (C, positions) unbatched."""
    return a.reshape(a.shape[0] * a.shape[1] if batched else a.shape[0], -1)


@pytest.mark.parametrize("name,shape,batched", CASES)
@pytest.mark.parametrize("p", [0.25, 0.5, 0.8])
@pytest.mark.parametrize("dtype", [fastdl.float64, fastdl.float32])
def test_whole_channels_zeroed_and_kept_ones_scaled_exactly(name, shape, batched, p, dtype):
    np_dtype = np.float64 if dtype is fastdl.float64 else np.float32
    x = (RNG.standard_normal(shape) + 3.0).astype(np_dtype)  # no zeros in the input
    y = npy(getattr(F, name)(fastdl.tensor(x, dtype=dtype), p))
    assert y.dtype == np_dtype and y.shape == shape
    rows, xr = channels(y, batched), channels(x, batched)
    dropped = np.all(rows == 0, axis=1)
    kept = np.all(rows != 0, axis=1)
    assert np.all(dropped | kept)  # every channel entirely dropped or entirely kept
    np.testing.assert_array_equal(rows[kept], xr[kept] * np_dtype(1.0 / (1.0 - p)))


@pytest.mark.parametrize("name,shape,batched", [("dropout1d", (8, 1250, 3), True), ("dropout2d", (4, 2500, 2, 2), True),
                                                ("dropout3d", (10000, 2, 1, 1), False)])
@pytest.mark.parametrize("p", [0.2, 0.6])
def test_dropped_fraction_is_near_p(name, shape, batched, p):
    y = npy(getattr(F, name)(fastdl.ones(*shape), p))
    frac = np.all(channels(y, batched) == 0, axis=1).mean()
    assert abs(frac - p) < 0.025  # 10,000 channels: 5 sigma is at most 0.025


@pytest.mark.parametrize("name,shape,batched", CASES)
def test_reproducible_under_manual_seed(name, shape, batched):
    x = T(RNG.standard_normal(shape))
    fn = getattr(F, name)
    fastdl.manual_seed(12)
    a = npy(fn(x, 0.5))
    b = npy(fn(x, 0.5))
    fastdl.manual_seed(12)
    np.testing.assert_array_equal(npy(fn(x, 0.5)), a)
    np.testing.assert_array_equal(npy(fn(x, 0.5)), b)
    assert not np.array_equal(a, b)  # consecutive draws differ (deterministic at this seed)


@pytest.mark.parametrize("name,shape,batched", CASES)
def test_eval_p0_and_p1(name, shape, batched):
    fn = getattr(F, name)
    x = T(RNG.standard_normal(shape), True)
    assert fn(x, 0.5, training=False) is x
    assert fn(x, 0.0) is x
    y = fn(x, 1.0)
    assert tuple(y.shape) == shape and np.all(npy(y) == 0)
    y.sum().backward()
    np.testing.assert_array_equal(npy(x.grad), np.zeros(shape))
    m = getattr(nn, MODULES[name])(0.5)
    m.eval()
    assert m(x) is x
    m.train()
    assert np.any(npy(m(x)) != npy(x))


@pytest.mark.parametrize("name,shape,batched", CASES)
def test_gradient_is_the_mask(name, shape, batched):
    p = 0.4
    x = T(RNG.standard_normal(shape) + 3.0, True)
    y = getattr(F, name)(x, p)
    g = RNG.standard_normal(shape)
    (y * T(g)).sum().backward()
    mask = npy(y) / npy(x)  # 0 or 1/(1-p), constant over each channel
    assert set(np.unique(mask.round(12))) == {0.0, round(1 / (1 - p), 12)}
    np.testing.assert_allclose(npy(x.grad), g * mask, rtol=1e-14, atol=0)
    xs = T(RNG.standard_normal(shape), True)
    assert gradcheck(lambda t: (fastdl.manual_seed(5), getattr(F, name)(t, p))[1], [xs])


@pytest.mark.parametrize("name,shape,batched", CASES)
def test_inplace_writes_into_the_input(name, shape, batched):
    a = RNG.standard_normal(shape) + 3.0
    x = T(a)
    fastdl.manual_seed(4)
    y = getattr(F, name)(x, 0.5, inplace=True)
    assert y is x and tuple(x.shape) == shape
    fastdl.manual_seed(4)
    np.testing.assert_array_equal(npy(x), npy(getattr(F, name)(T(a), 0.5)))
    # in place on a non-leaf keeps the graph: the gradient is still the mask
    leaf = T(a, True)
    fastdl.manual_seed(4)
    z = getattr(F, name)(leaf * 1.0, 0.5, inplace=True)
    z.sum().backward()
    np.testing.assert_allclose(npy(leaf.grad), npy(x) / a, rtol=1e-15, atol=0)


@pytest.mark.parametrize("name,shape,batched", CASES[:3])
def test_bad_p_and_input_raise(name, shape, batched):
    x = fastdl.ones(*shape)
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match=f"{name}: probability has to be between 0 and 1, but got {p}"):
            getattr(F, name)(x, p)
        with pytest.raises(ValueError, match=f"{MODULES[name]}: probability has to be between 0 and 1, but got {p}"):
            getattr(nn, MODULES[name])(p)
    with pytest.raises(TypeError, match=f"{name}: expected a floating point input"):
        getattr(F, name)(fastdl.ones(*shape, dtype=fastdl.int64), 0.5)
    with pytest.raises(TypeError, match=f"{name}: expected input to be a Tensor"):
        getattr(F, name)(np.ones(shape), 0.5)


def test_rank_handling():
    with pytest.raises(RuntimeError, match=r"dropout1d: Expected 2D or 3D input, but received a 4D input"):
        F.dropout1d(fastdl.ones(2, 3, 4, 5))
    with pytest.raises(RuntimeError, match=r"dropout1d: Expected 2D or 3D input, but received a 1D input"):
        F.dropout1d(fastdl.ones(3), training=False)  # checked in eval too, as torch
    # dropout2d on 3-D input: (N, C, L), with a warning
    with pytest.warns(UserWarning, match="dropout2d: Received a 3D input to dropout2d and assuming that "
                                         "channel-wise 1D dropout"):
        y = npy(F.dropout2d(fastdl.ones(4, 300, 2), 0.5))
    assert np.all(np.all(y == y[:, :, :1], axis=2))  # constant over L
    assert len(np.unique(y[:, :, 0].any(axis=0))) == 2  # but not constant over N: dim 0 is the batch
    with pytest.warns(UserWarning, match=r"dropout2d: Received a 5-D input to dropout2d, which is deprecated"):
        F.dropout2d(fastdl.ones(2, 3, 2, 2, 2))
    with pytest.warns(UserWarning, match=r"dropout3d: Received a 3-D input to dropout3d, which is deprecated"):
        y = npy(F.dropout3d(fastdl.ones(300, 2, 2), 0.5))
    assert np.all(y.reshape(300, -1) == y.reshape(300, -1)[:, :1])  # unbatched: dim 0 holds the channels
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning for the ranks each op is meant for
        F.dropout1d(fastdl.ones(2, 3)), F.dropout1d(fastdl.ones(2, 3, 4)), F.dropout2d(fastdl.ones(1, 2, 3, 4))
        F.dropout3d(fastdl.ones(2, 3, 4, 5)), F.dropout3d(fastdl.ones(1, 2, 3, 4, 5))
    with pytest.warns(UserWarning, match="dropout2d: Received a 1-D input"):
        with pytest.raises(RuntimeError, match=r"dropout2d: feature dropout requires at least 2 dimensions in the "
                                               r"input, got float32\[4\]"):
            F.dropout2d(fastdl.ones(4), 0.5)


def _mask_dims(a):
    """The dims along which a dropped-or-kept pattern of a ones input varies."""
    kept = a != 0
    return tuple(d for d in range(a.ndim) if not np.all(kept == kept.take([0], axis=d)))


@pytest.mark.parametrize("name", ["dropout1d", "dropout2d", "dropout3d"])
@pytest.mark.parametrize("ndim", [1, 2, 3, 4, 5, 6])
def test_rank_handling_matches_torch(name, ndim):
    """Per rank: torch and fastdl raise the same exception type or warn the same messages,
    and drop along the same dims (which dims form a channel)."""
    torch = torch_or_skip()
    torch.manual_seed(0)
    shape = (40, 30, 5, 3, 2, 2)[:ndim]  # enough draws that every mask dim varies

    def run(fn, x):
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            try:
                out = fn(x, 0.5)
            except Exception as e:  # noqa: BLE001
                return type(e), None, [str(w.message) for w in rec]
        return None, out, [str(w.message) for w in rec]
    t_err, t_out, t_warn = run(getattr(torch.nn.functional, name), torch.ones(shape))
    f_err, f_out, f_warn = run(getattr(F, name), fastdl.ones(*shape))
    assert f_err is t_err
    assert f_warn == t_warn
    if t_out is not None:
        assert tuple(f_out.shape) == tuple(t_out.shape)
        assert _mask_dims(npy(f_out)) == _mask_dims(t_out.numpy())


def test_modules_repr_and_state_match_torch():
    torch = torch_or_skip()
    for name in ("Dropout1d", "Dropout2d", "Dropout3d"):
        for kw in (dict(), dict(p=0.3, inplace=True)):
            fm, tm = getattr(nn, name)(**kw), getattr(torch.nn, name)(**kw)
            assert repr(fm) == repr(tm)
            assert fm.p == tm.p and fm.inplace == tm.inplace
            assert list(fm.state_dict()) == [] and list(fm.parameters()) == []
    assert {"Dropout1d", "Dropout2d", "Dropout3d"} <= set(nn.modules.__all__)


def test_module_in_a_network_trains_and_evaluates():
    net = nn.Sequential(nn.Linear(4, 6), nn.Unflatten(1, (3, 2)), nn.Dropout1d(0.5))
    x = T(RNG.standard_normal((5, 4)).astype(np.float32))
    fastdl.manual_seed(1)
    y = npy(net(x))
    assert np.all(np.all(y == 0, axis=2) | np.all(y != 0, axis=2))
    net.eval()
    ref = npy(net[1](net[0](x)))
    np.testing.assert_array_equal(npy(net(x)), ref)
    fastdl.manual_seed(1)
    net.train()
    np.testing.assert_array_equal(npy(net(x)), y)


@pytest.mark.cuda
def test_cuda_matches_cpu():
    """The same computation on the GPU and the CPU (runs where a GPU is present)."""
    device = "cuda"
    # the same seed draws the same mask on either device (one counter-based generator)
    x = RNG.standard_normal((3, 8, 4, 2))
    outs = []
    for dev in ("cpu", device):
        fastdl.manual_seed(9)
        t = fastdl.tensor(x, device=dev, requires_grad=True)
        y = F.dropout2d(t, 0.5)
        y.sum().backward()
        outs.append((y.detach().cpu().numpy(), t.grad.cpu().numpy()))
    np.testing.assert_array_equal(outs[1][0], outs[0][0])
    np.testing.assert_array_equal(outs[1][1], outs[0][1])
