"""group_norm / nn.GroupNorm: forward against a float64 NumPy reference (2-D to 5-D
inputs, every group count that divides C, with and without the affine map), gradcheck
of input, weight and bias, torch parity of outputs and every gradient, the module's
parameters, init, repr and state_dict against torch's, and the errors."""
import numpy as np
import pytest

import fastdl
import fastdl.nn as nn
import fastdl.nn.functional as F
from fastdl.testing import gradcheck
from nn_helpers import T, npy, torch_or_skip

RNG = np.random.default_rng(7)


def ref_group_norm(x, G, w=None, b=None, eps=1e-5):
    """PyTorch's GroupNorm in float64 NumPy: per sample and group, (x - mean) / sqrt(var + eps)
    with the biased variance, then the per-channel affine map."""
    N, C = x.shape[:2]
    xg = x.reshape(N, G, -1)
    m = xg.mean(axis=2, keepdims=True)
    v = ((xg - m) ** 2).mean(axis=2, keepdims=True)
    y = ((xg - m) / np.sqrt(v + eps)).reshape(x.shape)
    per_channel = (1, C) + (1,) * (x.ndim - 2)
    if w is not None:
        y = y * w.reshape(per_channel)
    if b is not None:
        y = y + b.reshape(per_channel)
    return y


# (input shape, group counts): 3-D and 4-D inputs with every divisor of C, plus 2-D and 5-D
SHAPES = [((4, 6, 5), (1, 2, 3, 6)), ((2, 6, 3, 4), (1, 2, 3, 6)), ((5, 4), (1, 2, 4)), ((2, 4, 2, 3, 2), (2,)),
          ((1, 8, 7), (4,))]
CASES = [(shape, G) for shape, gs in SHAPES for G in gs]


@pytest.mark.parametrize("shape,G", CASES)
@pytest.mark.parametrize("affine", [True, False])
def test_forward_matches_numpy(shape, G, affine):
    x = RNG.standard_normal(shape) * 3 + 1.5
    C = shape[1]
    w, b = (RNG.standard_normal(C), RNG.standard_normal(C)) if affine else (None, None)
    got = F.group_norm(T(x), G, None if w is None else T(w), None if b is None else T(b))
    assert got.dtype is fastdl.float64 and tuple(got.shape) == shape
    np.testing.assert_allclose(npy(got), ref_group_norm(x, G, w, b), rtol=1e-12, atol=1e-12)


def test_eps_weight_only_bias_only_and_float32():
    x = RNG.standard_normal((3, 4, 6))
    w, b = RNG.standard_normal(4), RNG.standard_normal(4)
    np.testing.assert_allclose(npy(F.group_norm(T(x), 2, T(w), eps=0.5)), ref_group_norm(x, 2, w, None, 0.5),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(npy(F.group_norm(T(x), 4, bias=T(b))), ref_group_norm(x, 4, None, b), rtol=1e-12,
                               atol=1e-12)
    got = F.group_norm(T(x.astype(np.float32)), 2, T(w.astype(np.float32)), T(b.astype(np.float32)))
    assert got.dtype is fastdl.float32
    np.testing.assert_allclose(npy(got), ref_group_norm(x, 2, w, b), rtol=1e-5, atol=1e-5)


def test_constant_group_gives_bias_and_non_contiguous_input():
    # a constant group has zero variance: (x - mean) = 0, so the output is the bias
    x = np.ones((2, 4, 3))
    b = RNG.standard_normal(4)
    np.testing.assert_allclose(npy(F.group_norm(T(x), 2, T(np.ones(4)), T(b))), np.broadcast_to(b[:, None], x.shape),
                               atol=1e-12)
    # a transposed (non-contiguous) input normalises its logical layout
    a = RNG.standard_normal((5, 4, 2))
    xt = T(a).transpose(0, 2)  # (2, 4, 5)
    assert not xt.is_contiguous()
    np.testing.assert_allclose(npy(F.group_norm(xt, 2)), ref_group_norm(a.transpose(2, 1, 0), 2), rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize("shape,G", [((3, 6, 4), 3), ((2, 4, 3, 2), 2), ((4, 6), 6), ((2, 2, 5), 1)])
def test_gradcheck_with_affine_params(shape, G):
    C = shape[1]
    x = T(RNG.standard_normal(shape), True)
    w, b = T(RNG.standard_normal(C), True), T(RNG.standard_normal(C), True)
    assert gradcheck(lambda x, w, b: F.group_norm(x, G, w, b, eps=1e-3), [x, w, b])
    assert gradcheck(lambda x: F.group_norm(x, G), [x])
    assert gradcheck(lambda x, w: F.group_norm(x, G, w), [x, w])


def test_module_gradcheck():
    m = nn.GroupNorm(2, 4, dtype=fastdl.float64)
    x = T(RNG.standard_normal((3, 4, 5)), True)
    w, b = T(RNG.standard_normal(4), True), T(RNG.standard_normal(4), True)

    def fn(x, w, b):
        m._parameters["weight"], m._parameters["bias"] = w, b
        return m(x)
    assert gradcheck(fn, [x, w, b])


@pytest.mark.parametrize("shape,G", [((4, 6, 5), 3), ((2, 6, 3, 4), 2), ((3, 4), 2), ((2, 8, 2, 2, 3), 4),
                                     ((2, 6, 3, 4), 6), ((2, 6, 3, 4), 1)])
@pytest.mark.parametrize("affine", [True, False])
def test_matches_torch_outputs_and_every_gradient(shape, G, affine):
    torch = torch_or_skip()
    C = shape[1]
    x = RNG.standard_normal(shape) * 2 - 0.5
    w, b = RNG.standard_normal(C), RNG.standard_normal(C)
    fx, tx = T(x, True), torch.tensor(x, requires_grad=True)
    fw, tw = (T(w, True), torch.tensor(w, requires_grad=True)) if affine else (None, None)
    fb, tb = (T(b, True), torch.tensor(b, requires_grad=True)) if affine else (None, None)
    fo = F.group_norm(fx, G, fw, fb, eps=1e-4)
    to = torch.nn.functional.group_norm(tx, G, tw, tb, eps=1e-4)
    np.testing.assert_allclose(npy(fo), to.detach().numpy(), rtol=1e-11, atol=1e-12)
    g = RNG.standard_normal(shape)
    (fo * T(g)).sum().backward()
    (to * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(npy(fx.grad), tx.grad.numpy(), rtol=1e-10, atol=1e-11)
    if affine:
        np.testing.assert_allclose(npy(fw.grad), tw.grad.numpy(), rtol=1e-10, atol=1e-11)
        np.testing.assert_allclose(npy(fb.grad), tb.grad.numpy(), rtol=1e-10, atol=1e-11)


@pytest.mark.parametrize("kw", [dict(), dict(affine=False), dict(eps=1e-3), dict(bias=False)])
def test_module_matches_torch(kw):
    torch = torch_or_skip()
    fm, tm = nn.GroupNorm(3, 6, **kw).double(), torch.nn.GroupNorm(3, 6, **kw).double()
    assert repr(fm) == repr(tm)
    assert [(k, tuple(v.shape)) for k, v in fm.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in tm.state_dict().items()]
    for k, v in tm.state_dict().items():  # init: weight ones, bias zeros
        np.testing.assert_array_equal(npy(fm.state_dict()[k]), v.numpy())
    with torch.no_grad():  # non-trivial affine parameters, copied across by name
        for p in tm.parameters():
            p.copy_(torch.randn(p.shape, dtype=torch.float64))
    fm.load_state_dict({k: fastdl.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    x = RNG.standard_normal((4, 6, 3, 2))
    fx, tx = T(x, True), torch.tensor(x, requires_grad=True)
    fo, to = fm(fx), tm(tx)
    np.testing.assert_allclose(npy(fo), to.detach().numpy(), rtol=1e-11, atol=1e-12)
    (fo * fo).sum().backward()
    (to * to).sum().backward()
    np.testing.assert_allclose(npy(fx.grad), tx.grad.numpy(), rtol=1e-10, atol=1e-11)
    tp = dict(tm.named_parameters())
    assert [n for n, _ in fm.named_parameters()] == list(tp)
    for name, p in fm.named_parameters():
        np.testing.assert_allclose(npy(p.grad), tp[name].grad.numpy(), rtol=1e-10, atol=1e-11, err_msg=name)


def test_module_init_parameters_and_modes():
    m = nn.GroupNorm(2, 4)
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]
    assert m.weight.dtype is fastdl.float32 and tuple(m.weight.shape) == (4,) and m.weight.requires_grad
    np.testing.assert_array_equal(npy(m.weight), np.ones(4))
    np.testing.assert_array_equal(npy(m.bias), np.zeros(4))
    assert list(nn.GroupNorm(2, 4, affine=False).parameters()) == []
    assert nn.GroupNorm(2, 4, affine=False).weight is None
    assert nn.GroupNorm(2, 4, bias=False).bias is None
    assert repr(nn.GroupNorm(2, 4)) == "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)"
    x = T(RNG.standard_normal((3, 4, 5)).astype(np.float32))
    m.eval()  # no running statistics: the same in both modes
    np.testing.assert_array_equal(npy(m(x)), npy(m.train()(x)))
    assert isinstance(nn.GroupNorm(1, 1), nn.Module) and "GroupNorm" in nn.modules.__all__


def test_errors():
    x = fastdl.zeros(2, 6, 4)
    with pytest.raises(ValueError, match=r"group_norm: expected the number of channels of input "
                                         r"float32\[2, 6, 4\] \(dim 1, 6\) to be divisible by num_groups=4"):
        F.group_norm(x, 4)
    with pytest.raises(ValueError, match=r"GroupNorm: num_channels \(6\) must be divisible by num_groups \(4\)"):
        nn.GroupNorm(4, 6)
    with pytest.raises(ValueError, match=r"GroupNorm: expected input of shape \(N, 4, \*\) \(num_channels=4 in "
                                         r"dim 1\), got float32\[2, 6, 4\]"):
        nn.GroupNorm(2, 4)(x)
    with pytest.raises(ValueError, match=r"GroupNorm: expected input of shape \(N, 4, \*\).*got float32\[2, 6, 4\]"):
        nn.GroupNorm(2, 4, affine=False)(x)
    with pytest.raises(ValueError, match=r"group_norm: weight should contain 6 elements \(one per channel of "
                                         r"float32\[2, 6, 4\]\), got float32\[4\]"):
        F.group_norm(x, 2, fastdl.ones(4))
    with pytest.raises(ValueError, match=r"group_norm: bias should contain 6 elements"):
        F.group_norm(x, 2, None, fastdl.ones(2, 3))
    with pytest.raises(TypeError, match="group_norm: weight must have the input's dtype"):
        F.group_norm(x, 2, fastdl.ones(6, dtype=fastdl.float64))
    with pytest.raises(ValueError, match=r"group_norm: expected an input of shape \(N, C, \*\) with at least 2 "
                                         r"dimensions, got float32\[6\]"):
        F.group_norm(fastdl.zeros(6), 2)
    with pytest.raises(ValueError, match="group_norm: num_groups must be a positive int, got 0"):
        F.group_norm(x, 0)
    with pytest.raises(ValueError, match="GroupNorm: num_groups must be a positive int, got 0"):
        nn.GroupNorm(0, 4)
    with pytest.raises(TypeError, match="group_norm: expected a floating point input"):
        F.group_norm(fastdl.zeros(2, 4, dtype=fastdl.int64), 2)
    with pytest.raises(TypeError, match="group_norm: expected input to be a Tensor"):
        F.group_norm(np.zeros((2, 4)), 2)
    # as PyTorch: one value per group of a single sample is an error
    with pytest.raises(ValueError, match=r"group_norm: expected more than 1 value per channel when training, got "
                                         r"input size \[1, 4\]"):
        F.group_norm(fastdl.zeros(1, 4), 4)


def test_errors_match_torch_on_the_same_inputs():
    torch = torch_or_skip()
    for shape, G in [((2, 6, 4), 4), ((1, 4), 4), ((6,), 2)]:
        with pytest.raises((ValueError, RuntimeError)):
            torch.nn.functional.group_norm(torch.zeros(shape), G)
        with pytest.raises(ValueError):
            F.group_norm(fastdl.zeros(*shape), G)
    with pytest.raises(ValueError):
        torch.nn.GroupNorm(4, 6)


@pytest.mark.cuda
def test_cuda_matches_cpu():
    """The same computation on the GPU and the CPU (runs where a GPU is present)."""
    device = "cuda"
    x = RNG.standard_normal((3, 6, 4, 2))
    w, b = RNG.standard_normal(6), RNG.standard_normal(6)
    outs, grads = [], []
    for dev in ("cpu", device):
        tx = fastdl.tensor(x, device=dev, requires_grad=True)
        tw, tb = fastdl.tensor(w, device=dev, requires_grad=True), fastdl.tensor(b, device=dev, requires_grad=True)
        y = F.group_norm(tx, 3, tw, tb)
        (y * y).sum().backward()
        outs.append(y.detach().cpu().numpy())
        grads.append([t.grad.cpu().numpy() for t in (tx, tw, tb)])
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-10, atol=1e-11)
    for a, b_ in zip(grads[1], grads[0]):
        np.testing.assert_allclose(a, b_, rtol=1e-9, atol=1e-10)
