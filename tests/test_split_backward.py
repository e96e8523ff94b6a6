"""split / chunk as one node (ops/shape.py's _Split, torch's SplitBackward): the pieces are
views of the input; backward joins the pieces' gradients along the split dim, a zero
block for a piece that got none (a zero-filled gradient with the others copied in when
no graph is recorded, the differentiable cat under create_graph). Checked against the
gradient written out with NumPy, by float64 gradcheck / gradgradcheck, and against torch
where installed."""
import numpy as np
import pytest

import fastdl
from fastdl.autograd import gradcheck, gradgradcheck

try:
    import torch
except ImportError:  # parity checks skip
    torch = None


def rand(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("used", [(0, 1, 2), (1,), (0, 2), ()])
def test_gradient_of_the_used_pieces(dim, used):
    a = rand((6, 9))
    x = fastdl.tensor(a, requires_grad=True)
    pieces = x.chunk(3, dim)
    weights = [rand(p.shape, 10 + i) for i, p in enumerate(pieces)]
    loss = x.sum() * 0.0  # a graph even when no piece is used
    for i in used:
        loss = loss + (pieces[i] * fastdl.tensor(weights[i])).sum()
    loss.backward()
    want = np.concatenate([w if i in used else np.zeros_like(w) for i, w in enumerate(weights)], axis=dim)
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-12, atol=0)


def test_pieces_are_views_of_the_input():
    x = fastdl.arange(12.0).reshape(3, 4)
    a, b = x.split([1, 3], 1)
    x[0, 1] = 100.0
    assert b[0, 0].item() == 100.0 and a.shape == (3, 1) and b.shape == (3, 3)
    assert b.stride() == x.stride()


def test_uneven_empty_and_single_pieces():
    a = rand((7, 5))
    x = fastdl.tensor(a, requires_grad=True)
    pieces = x.split([3, 0, 4], 0)
    assert [p.shape[0] for p in pieces] == [3, 0, 4]
    (pieces[0].sum() * 2 + pieces[2].exp().sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), np.concatenate([np.full((3, 5), 2.0), np.exp(a[3:])]), rtol=1e-12)
    y = fastdl.tensor(a, requires_grad=True)
    (only,) = y.split(7, 0)
    (only * 3).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), np.full((7, 5), 3.0))


def test_negative_section_is_refused():
    with pytest.raises(RuntimeError, match=r"split: split_sizes must be non-negative, got \[5, -1, 2\]"):
        fastdl.zeros(6, 2).split([5, -1, 2], 0)


def test_gradcheck_and_gradgradcheck():
    def f(x):
        a, b, c = x.split([2, 3, 1], 1)
        return (a.sin().sum(1, keepdim=True) * c + b.square().sum(1, keepdim=True))
    x = fastdl.tensor(rand((4, 6)), requires_grad=True)
    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))

    def unused(x):  # a piece without a gradient under create_graph
        a, _, c = x.chunk(3, 0)
        return (a * c).tanh()
    x = fastdl.tensor(rand((6, 3), 1), requires_grad=True)
    assert gradcheck(unused, (x,))
    assert gradgradcheck(unused, (x,))


@pytest.mark.skipif(torch is None, reason="torch not installed")
def test_matches_torch():
    a = rand((5, 8, 3)).astype(np.float32)
    grads = []
    for lib in (fastdl, torch):
        x = (torch.tensor(a) if lib is torch else fastdl.tensor(a)).requires_grad_(True)
        p = x.split([3, 1, 4], 1)
        (p[0].exp().sum() + (p[2] * 2).sum()).backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)
