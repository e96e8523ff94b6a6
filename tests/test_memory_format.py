"""Memory formats (fastdl/_memory_format.py): channels_last / channels_last_3d /
contiguous_format / preserve_format through contiguous, is_contiguous, clone, to, empty,
the *_like factories, resize_, Module.to and nn.utils.convert_conv*_weight_memory_format.
The layout rules are torch's; strides are compared on the dims of size > 1 (a size-1
dim's stride addresses nothing, and torch's own choice there depends on its view history)."""
import itertools
import pickle

import numpy as np
import pytest

import fastdl
import fastdl.nn as nn
from fastdl import channels_last, channels_last_3d, contiguous_format, preserve_format


def strides_of(t):
    return tuple(st for s, st in zip(t.shape, t.stride()) if s != 1)


def cl_strides(n, c, h, w):
    return (h * w * c, 1, w * c, c)


def test_format_objects():
    assert repr(channels_last) == "fastdl.channels_last"
    assert isinstance(preserve_format, fastdl.memory_format)
    assert pickle.loads(pickle.dumps(channels_last_3d)) is channels_last_3d
    assert (fastdl.pi, fastdl.e, fastdl.newaxis) == (np.pi, np.e, None)
    assert fastdl.inf == float("inf") and fastdl.nan != fastdl.nan


def test_contiguous_channels_last_values_strides_and_grad():
    x = fastdl.randn(2, 3, 4, 5, dtype=fastdl.float64, requires_grad=True)
    y = x.contiguous(memory_format=channels_last)
    assert y.stride() == cl_strides(2, 3, 4, 5)
    assert y.is_contiguous(memory_format=channels_last) and not y.is_contiguous()
    np.testing.assert_array_equal(y.detach().numpy(), x.detach().numpy())
    assert y.contiguous(memory_format=channels_last) is y  # already laid out: no copy
    back = y.contiguous()
    assert back.is_contiguous() and back.stride() == (60, 20, 5, 1)
    (y * fastdl.arange(120, dtype=fastdl.float64).reshape(2, 3, 4, 5)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.arange(120.0).reshape(2, 3, 4, 5))


def test_gradcheck_through_layout_changes():
    x = fastdl.randn(2, 3, 2, 2, dtype=fastdl.float64, requires_grad=True)
    assert fastdl.autograd.gradcheck(lambda t: t.contiguous(memory_format=channels_last).sin(), (x,))
    assert fastdl.autograd.gradcheck(lambda t: t.transpose(1, 3).clone() * 2, (x,))
    assert fastdl.autograd.gradcheck(lambda t: t.to(memory_format=channels_last).exp(), (x,))


def test_channels_last_3d():
    x = fastdl.randn(2, 3, 4, 5, 6)
    y = x.contiguous(memory_format=channels_last_3d)
    assert y.stride() == (360, 1, 90, 18, 3)
    assert y.is_contiguous(memory_format=channels_last_3d)
    assert not y.is_contiguous(memory_format=channels_last)  # wrong rank: never
    np.testing.assert_array_equal(y.numpy(), x.numpy())


def test_ops_on_channels_last_inputs_give_the_same_values():
    fastdl.manual_seed(0)
    x = fastdl.randn(2, 3, 8, 8)
    conv, bn = nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4)
    ref = nn.functional.max_pool2d(bn(conv(x)).relu(), 2)
    xc = x.contiguous(memory_format=channels_last)
    conv.to(memory_format=channels_last)
    assert conv.weight.is_contiguous(memory_format=channels_last)
    out = nn.functional.max_pool2d(bn(conv(xc)).relu(), 2)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (3, 1, 4, 2), (2, 3, 4, 5, 2)])
def test_clone_preserves_dense_layouts(shape):
    base = fastdl.randn(*shape)
    for perm in itertools.permutations(range(len(shape))):
        x = base.permute(*perm)
        y = x.clone()
        assert y.stride() == x.stride()  # dense: the same strides (torch's preserve_format)
        np.testing.assert_array_equal(y.numpy(), x.numpy())
        assert y.clone(memory_format=contiguous_format).is_contiguous()


def test_clone_of_sliced_input_keeps_its_dim_order():
    x = fastdl.randn(2, 3, 4, 6).contiguous(memory_format=channels_last)[:, :, :, ::2]
    y = x.clone()
    assert y.is_contiguous(memory_format=channels_last)
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    z = fastdl.randn(4, 6).t()[::2]  # (3, 4) with strides (2, 6): order kept, made dense
    assert strides_of(z.clone()) == (1, 3)


def test_factories_follow_the_input_layout():
    x = fastdl.randn(2, 3, 4, 5).contiguous(memory_format=channels_last)
    for make in (fastdl.empty_like, fastdl.zeros_like, fastdl.ones_like, fastdl.rand_like, fastdl.randn_like,
                 lambda t, **k: fastdl.full_like(t, 7.0, **k), lambda t, **k: fastdl.randint_like(t, 5, **k)):
        y = make(x)
        assert y.stride() == x.stride(), make
        assert make(x, memory_format=contiguous_format).is_contiguous()
    np.testing.assert_array_equal(fastdl.full_like(x, 7.0).numpy(), np.full((2, 3, 4, 5), 7.0, np.float32))
    z = fastdl.zeros_like(x, requires_grad=True)
    assert z.requires_grad and z.is_leaf
    e = fastdl.empty(2, 3, 4, 5, memory_format=channels_last)
    assert e.stride() == cl_strides(2, 3, 4, 5)


def test_to_keeps_or_changes_the_layout():
    x = fastdl.randn(2, 3, 4, 5)
    assert x.to(memory_format=contiguous_format) is x
    y = x.to(memory_format=channels_last)
    assert y.is_contiguous(memory_format=channels_last)
    assert y.to(memory_format=channels_last) is y
    d = y.double()  # a dtype change preserves the layout
    assert d.stride() == y.stride() and d.dtype == fastdl.float64
    np.testing.assert_allclose(d.numpy(), x.numpy())
    t = x.transpose(0, 3).double()
    assert t.stride() == x.transpose(0, 3).stride()


def test_resize_with_memory_format():
    x = fastdl.zeros(2, 3, 4, 5)
    x.resize_(2, 3, 5, 4, memory_format=channels_last)
    assert x.stride() == cl_strides(2, 3, 5, 4)
    y = fastdl.randn(4, 3).t()
    y.resize_(3, 4)  # same size, no format: torch keeps the strides
    assert y.stride() == (1, 3)


def test_convert_conv_weight_memory_format():
    m = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Sequential(nn.ConvTranspose2d(4, 2, 2)), nn.Linear(3, 3))
    params = list(m.parameters())
    opt = fastdl.optim.SGD(m.parameters(), lr=0.1)
    x = fastdl.randn(1, 3, 6, 6)
    before = m[:3](x).detach().numpy()
    nn.utils.convert_conv2d_weight_memory_format(m, channels_last)
    assert m[0].weight.is_contiguous(memory_format=channels_last)
    assert m[2][0].weight.is_contiguous(memory_format=channels_last)
    assert m[3].weight.is_contiguous()
    assert list(m.parameters())[0] is params[0]
    np.testing.assert_allclose(m[:3](x).detach().numpy(), before, rtol=1e-5, atol=1e-6)
    m[:3](x).sum().backward()
    opt.step()  # the optimizer still holds the (re-laid-out) parameters
    m3 = nn.Conv3d(2, 2, 2)
    nn.utils.convert_conv3d_weight_memory_format(m3, channels_last_3d)
    assert m3.weight.is_contiguous(memory_format=channels_last_3d)


def test_module_to_converts_only_4d_tensors():
    m = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    m.to(memory_format=channels_last)
    assert m[0].weight.is_contiguous(memory_format=channels_last)
    assert m[1].weight.is_contiguous()


def test_bad_formats_raise():
    x = fastdl.randn(2, 3, 4)
    with pytest.raises(RuntimeError, match="rank 4"):
        x.contiguous(memory_format=channels_last)
    with pytest.raises(RuntimeError, match="preserve"):
        x.contiguous(memory_format=preserve_format)
    with pytest.raises(TypeError, match="memory_format"):
        x.clone(memory_format="channels_last")
    with pytest.raises(TypeError, match="memory_format"):
        x.is_contiguous(memory_format=1)
    with pytest.raises(RuntimeError, match="rank 5"):
        fastdl.empty(2, 3, 4, 5, memory_format=channels_last_3d)
    assert not x.is_contiguous(memory_format=channels_last)


def test_torch_parity_of_strides():
    torch = pytest.importorskip("torch")
    fmts = {channels_last: torch.channels_last, contiguous_format: torch.contiguous_format,
            preserve_format: torch.preserve_format}
    base = np.random.default_rng(0).standard_normal((2, 3, 4, 6)).astype(np.float32)
    views = [lambda t: t, lambda t: t.permute(0, 2, 3, 1), lambda t: t.transpose(1, 3)[..., ::2],
             lambda t: t.contiguous(memory_format=(channels_last if isinstance(t, fastdl.Tensor)
                                                   else torch.channels_last))[:, :, ::2]]
    for view in views:
        x, t = view(fastdl.tensor(base)), view(torch.tensor(base))
        if x.ndim != 4:
            continue
        for fmt, tfmt in fmts.items():
            assert strides_of(x.clone(memory_format=fmt)) == strides_of(t.clone(memory_format=tfmt))
            assert strides_of(fastdl.empty_like(x, memory_format=fmt)) == \
                strides_of(torch.empty_like(t, memory_format=tfmt))
            if fmt is not preserve_format:
                assert x.is_contiguous(memory_format=fmt) == t.is_contiguous(memory_format=tfmt)
                assert strides_of(x.contiguous(memory_format=fmt)) == strides_of(t.contiguous(memory_format=tfmt))
