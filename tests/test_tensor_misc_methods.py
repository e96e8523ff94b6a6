"""Small Tensor methods of torch's API: the real-dtype forms of the complex API, the
conjugate transposes, the legacy new(), in-place cumsum_ / cumprod_ / addmm_, and
post-accumulate-grad hooks."""
import numpy as np
import pytest

import fastdl

try:
    import torch
except ImportError:
    torch = None


def test_complex_api_on_real_tensors():
    x = fastdl.tensor([[1.0, 2.0], [3.0, 4.0]])
    for y in (x.conj(), x.resolve_conj(), x.resolve_neg(), x.conj_physical(), fastdl.conj(x), x.real):
        assert y is x
    assert not x.is_conj() and not x.is_neg()
    with pytest.raises(RuntimeError, match="imag is not implemented"):
        x.imag
    np.testing.assert_array_equal(x.H.numpy(), x.numpy().T)
    b = fastdl.arange(12.0).reshape(2, 3, 2)
    np.testing.assert_array_equal(b.mH.numpy(), b.numpy().swapaxes(-1, -2))
    np.testing.assert_array_equal(fastdl.adjoint(b).numpy(), b.numpy().swapaxes(-1, -2))
    with pytest.raises(RuntimeError, match="tensor.H is only supported on matrices"):
        b.H


def test_new_and_inplace_methods():
    x = fastdl.tensor([[1.0, 2.0]], dtype=fastdl.float64)
    assert tuple(x.new(2, 3).shape) == (2, 3) and x.new(2, 3).dtype is fastdl.float64
    np.testing.assert_array_equal(x.new([5, 6]).numpy(), [5.0, 6.0])
    assert x.new([5, 6]).dtype is fastdl.float64 and tuple(x.new().shape) == (0,)
    z = fastdl.tensor([1.0, 2.0, 3.0])
    assert z.cumsum_(0) is z
    np.testing.assert_array_equal(z.numpy(), [1.0, 3.0, 6.0])
    z.cumprod_(0)
    np.testing.assert_array_equal(z.numpy(), [1.0, 3.0, 18.0])
    m = fastdl.ones(2, 2)
    m.addmm_(fastdl.eye(2), fastdl.full((2, 2), 2.0), beta=0.5)
    np.testing.assert_array_equal(m.numpy(), np.full((2, 2), 2.5))
    np.testing.assert_array_equal(fastdl.tensor([1.0, -0.3, 2.0]).hardshrink(0.5).numpy(), [1.0, 0.0, 2.0])


def test_post_accumulate_grad_hook():
    w = fastdl.ones(2, requires_grad=True)
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    (w * 3).sum().backward()
    (w * 3).sum().backward()
    assert seen == [[3.0, 3.0], [6.0, 6.0]]  # after each accumulation
    handle.remove()
    (w * 3).sum().backward()
    assert len(seen) == 2
    with pytest.raises(RuntimeError, match="non-leaf"):
        (w * 2).register_post_accumulate_grad_hook(lambda t: None)


@pytest.mark.skipif(torch is None, reason="torch is not installed")
def test_post_accumulate_hook_order_matches_torch():
    def run(lib):
        w = lib.ones(2, requires_grad=True)
        log = []
        w.register_hook(lambda g: log.append(("pre", g.tolist())))
        w.register_post_accumulate_grad_hook(lambda t: log.append(("post", t.grad.tolist())))
        (w * 3).sum().backward()
        return log
    assert run(fastdl) == run(torch)
