"""float16 / bfloat16 through the ops whose kernels take float32 / float64 only:
convolution, pooling, normalisation (nn/functional/_half.py), softmax / log_softmax /
cross_entropy, maximum / minimum, and the index kernels (ops/_util.py index_backend).
Each computes in float32 and rounds once to the half dtype, as torch's CPU kernels do:
checked bit for bit against the float32 op on the same (exactly widened) values, and
against torch where it is installed."""
import numpy as np
import pytest

import fastdl
import fastdl.nn.functional as F

HALF = ["float16", "bfloat16"]
rng = np.random.default_rng(0)
X4 = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
X3 = rng.standard_normal((2, 3, 8)).astype(np.float32)
X2 = rng.standard_normal((4, 6)).astype(np.float32)
W4 = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
W3 = rng.standard_normal((4, 3, 3)).astype(np.float32)
G3 = rng.standard_normal(3).astype(np.float32)
G6 = rng.standard_normal(6).astype(np.float32)

# name -> fn(lib, F, make): make(array) builds a tensor of the dtype under test
LAYERS = {
    "conv2d": lambda L, F, t: F.conv2d(t(X4), t(W4), t(G3[:2].repeat(2)), padding=1),
    "conv1d": lambda L, F, t: F.conv1d(t(X3), t(W3), stride=2),
    "conv_transpose2d": lambda L, F, t: F.conv_transpose2d(t(X4), t(W4.transpose(1, 0, 2, 3).copy()), stride=2),
    "max_pool2d": lambda L, F, t: F.max_pool2d(t(X4), 2),
    "max_pool2d_indices": lambda L, F, t: F.max_pool2d(t(X4), 3, 2, return_indices=True),
    "max_pool1d": lambda L, F, t: F.max_pool1d(t(X3), 2),
    "avg_pool2d": lambda L, F, t: F.avg_pool2d(t(X4), 3, 1, 1),
    "adaptive_avg_pool2d": lambda L, F, t: F.adaptive_avg_pool2d(t(X4), (2, 3)),
    "adaptive_max_pool2d": lambda L, F, t: F.adaptive_max_pool2d(t(X4), 2),
    "layer_norm": lambda L, F, t: F.layer_norm(t(X2), (6,), t(G6), t(G6)),
    "group_norm": lambda L, F, t: F.group_norm(t(X4), 3, t(G3), t(G3)),
    "batch_norm_train": lambda L, F, t: F.batch_norm(t(X4), None, None, t(G3), t(G3), training=True),
    "instance_norm": lambda L, F, t: F.instance_norm(t(X4)),
    "softmax": lambda L, F, t: F.softmax(t(X2), 1),
    "log_softmax": lambda L, F, t: F.log_softmax(t(X2), 0),
    "cross_entropy": lambda L, F, t: F.cross_entropy(t(X2), L.tensor(np.array([0, 2, 1, 5]))),
    "maximum": lambda L, F, t: L.maximum(t(X2), t(X2[::-1].copy())),
    "clamp_min": lambda L, F, t: L.clamp(t(X2), min=0.1),
}


def _outs(r):
    return list(r) if isinstance(r, tuple) else [r]


@pytest.mark.parametrize("dtype", HALF)
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_half_is_float32_rounded_once(name, dtype):
    hd = getattr(fastdl, dtype)
    fn = LAYERS[name]
    got = _outs(fn(fastdl, F, lambda a: fastdl.tensor(a).to(hd)))
    # the same values widened exactly to float32, computed there, rounded once
    ref = _outs(fn(fastdl, F, lambda a: fastdl.tensor(a).to(hd).float()))
    for g, r in zip(got, ref):
        if r.dtype is fastdl.float32:
            assert g.dtype is hd
            np.testing.assert_array_equal(g.float().numpy(), r.to(hd).float().numpy())
        else:  # indices
            np.testing.assert_array_equal(g.numpy(), r.numpy())


@pytest.mark.parametrize("dtype", HALF)
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_half_matches_torch(name, dtype):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as TF
    fn = LAYERS[name]
    got = _outs(fn(fastdl, F, lambda a: fastdl.tensor(a).to(getattr(fastdl, dtype))))
    ref = _outs(fn(torch, TF, lambda a: torch.tensor(a).to(getattr(torch, dtype))))
    tol = 3e-2 if dtype == "bfloat16" else 4e-3
    for g, r in zip(got, ref):
        assert str(g.dtype).split(".")[-1] == str(r.dtype).split(".")[-1]
        if r.dtype.is_floating_point:
            np.testing.assert_allclose(g.float().numpy(), r.float().numpy(), rtol=tol, atol=tol)
        else:
            np.testing.assert_array_equal(g.numpy(), r.numpy())


@pytest.mark.parametrize("dtype", HALF)
def test_half_gradients_flow_in_the_half_dtype(dtype):
    hd = getattr(fastdl, dtype)
    x = fastdl.tensor(X4).to(hd).requires_grad_()
    w = fastdl.tensor(W4).to(hd).requires_grad_()
    # smooth layers only: a bfloat16 rounding may flip a ReLU or a max-pool tie
    y = F.avg_pool2d(F.group_norm(F.conv2d(x, w, padding=1), 2).tanh(), 2)
    y.float().sum().backward()
    assert x.grad.dtype is hd and w.grad.dtype is hd
    xf = fastdl.tensor(X4).to(hd).float().requires_grad_()
    wf = fastdl.tensor(W4).to(hd).float().requires_grad_()
    F.avg_pool2d(F.group_norm(F.conv2d(xf, wf, padding=1), 2).tanh(), 2).sum().backward()
    tol = 5e-2 if dtype == "bfloat16" else 1e-2
    np.testing.assert_allclose(w.grad.float().numpy(), wf.grad.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", HALF)
def test_half_batch_norm_module_updates_its_running_stats(dtype):
    hd = getattr(fastdl, dtype)
    bn = fastdl.nn.BatchNorm2d(3).to(hd)
    assert bn.running_mean.dtype is hd
    bn(fastdl.tensor(X4).to(hd))
    mean = X4.astype(np.float64).mean(axis=(0, 2, 3))
    tol = 2e-2 if dtype == "bfloat16" else 2e-3
    np.testing.assert_allclose(bn.running_mean.float().numpy(), 0.1 * mean, rtol=tol, atol=tol)
    assert bn.num_batches_tracked.item() == 1
    torch = pytest.importorskip("torch")
    tb = torch.nn.BatchNorm2d(3).to(getattr(torch, dtype))
    tb(torch.tensor(X4).to(getattr(torch, dtype)))
    np.testing.assert_allclose(bn.running_var.float().numpy(), tb.running_var.float().numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", HALF)
def test_half_index_kernels(dtype):
    # index_select / gather / setitem move half values exactly; index_add / scatter_add /
    # embedding's backward accumulate in float32, rounded once
    hd = getattr(fastdl, dtype)
    x = fastdl.tensor(X2).to(hd)
    xv = x.float().numpy()
    idx = fastdl.tensor(np.array([3, 0, 3]))
    np.testing.assert_array_equal(x.index_select(0, idx).float().numpy(), xv[[3, 0, 3]])
    gidx = fastdl.tensor(np.array([[0, 5], [1, 1], [2, 0], [4, 3]]))
    np.testing.assert_array_equal(x.gather(1, gidx).float().numpy(), np.take_along_axis(xv, gidx.numpy(), 1))
    y = x.clone()
    y[fastdl.tensor(np.array([1, 2]))] = fastdl.tensor(np.ones((2, 6), np.float32)).to(hd)
    assert y.dtype is hd and (y.float().numpy()[1:3] == 1).all() and (y.float().numpy()[0] == xv[0]).all()
    z = fastdl.zeros(4, 6, dtype=hd).index_add(0, idx, x[:3])
    ref = np.zeros((4, 6))
    np.add.at(ref, [3, 0, 3], xv[:3].astype(np.float64))
    np.testing.assert_array_equal(z.float().numpy(), fastdl.tensor(ref.astype(np.float32)).to(hd).float().numpy())
    w = fastdl.tensor(X2).to(hd).requires_grad_()
    e = F.embedding(fastdl.tensor(np.array([[1, 1], [0, 3]])), w)
    assert e.dtype is hd
    e.float().sum().backward()
    assert w.grad.dtype is hd
    np.testing.assert_array_equal(w.grad.float().numpy()[:, 0], [1, 2, 0, 1])


def test_half_entr_keeps_the_dtype():
    x = fastdl.tensor(np.array([0.0, 0.5, -1.0, 2.0], np.float32)).to(fastdl.float16)
    y = fastdl.special.entr(x)
    assert y.dtype is fastdl.float16
    np.testing.assert_allclose(y.float().numpy(), [0, 0.34657, -np.inf, -1.38629], rtol=1e-3)


def test_float32_path_unchanged_by_the_wrapper():
    # the decorator hands float32 / float64 calls straight through (the same object results)
    x = fastdl.tensor(X4)
    assert F.conv2d(x, fastdl.tensor(W4)).dtype is fastdl.float32
    assert F.conv2d.__wrapped__ is not None and F.conv2d.__name__ == "conv2d"


def test_half_conv_needs_weights_of_its_dtype_norms_do_not():
    # torch: a convolution insists on one dtype; its norms take float32 parameters
    x = fastdl.tensor(X4).half()
    with pytest.raises(TypeError, match=r"conv2d: input float16.*weight float32.*same dtype"):
        F.conv2d(x, fastdl.tensor(W4))
    with pytest.raises(TypeError, match=r"conv2d: input float16.*bias bfloat16"):
        F.conv2d(x, fastdl.tensor(W4).half(), fastdl.zeros(4, dtype=fastdl.bfloat16))
    y = F.group_norm(x, 3, fastdl.tensor(G3), fastdl.tensor(G3))
    assert y.dtype is fastdl.float16


@pytest.mark.parametrize("dtype", HALF)
def test_half_random_draws(dtype):
    # drawn in float32 and rounded once; uniform draws cut to the half mantissa first, so
    # rand stays below 1 (a float32 draw above 1 - 2^-12 would round up to 1.0 in float16)
    hd = getattr(fastdl, dtype)
    fastdl.manual_seed(3)
    u = fastdl.rand(200000, dtype=hd)
    assert u.dtype is hd
    uv = u.float().numpy()
    assert uv.min() >= 0 and uv.max() < 1 and abs(uv.mean() - 0.5) < 0.01
    step = 2.0 ** -(11 if dtype == "float16" else 8)
    assert np.all(uv / step == np.floor(uv / step))
    fastdl.manual_seed(3)
    np.testing.assert_array_equal(fastdl.rand(200000, dtype=hd).float().numpy(), uv)  # reproducible
    n = fastdl.randn(100000, dtype=hd).float().numpy()
    assert abs(n.mean()) < 0.02 and abs(n.std() - 1) < 0.02
    v = fastdl.empty(50000, dtype=hd).uniform_(-2, 2).float().numpy()
    assert v.min() >= -2 and v.max() < 2
    d = F.dropout(fastdl.ones(10000, dtype=hd), 0.25)
    assert d.dtype is hd and set(np.unique(d.float().numpy())) <= {0.0, np.float32(fastdl.tensor(4 / 3).to(hd).item())}
