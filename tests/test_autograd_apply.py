"""Function.apply, which is C++ (csrc/bind/bind_autograd_apply.cpp): what it records,
the grad mode around forward, references (no leak, the graph dies with its outputs) and
errors. The op tests exercise it on every op; these pin the contract itself."""
import gc
import sys
import weakref

import numpy as np
import pytest

import fastdl
from fastdl import _C
from fastdl.autograd import AccumulateGrad, Function, Node


class Record(Function):
    """Returns what forward saw, and its inputs' sum (float) plus an int tensor."""
    seen = []

    @staticmethod
    def forward(ctx, *args):
        Record.seen.append((ctx.needs_input_grad, fastdl.is_grad_enabled()))
        ts = [a for a in args if isinstance(a, fastdl.Tensor)]
        total = ts[0] * 1.0
        for t in ts[1:]:
            total = total + t
        return total, fastdl.tensor([len(args)]), "meta"

    @staticmethod
    def backward(ctx, g, g_int, g_meta):
        return tuple(g if n else None for n in ctx.needs_input_grad)


class Boom(Function):
    @staticmethod
    def forward(ctx, x):
        raise ValueError("boom in forward")


def test_needs_input_grad_and_grad_mode_in_forward():
    a = fastdl.ones(2, requires_grad=True)
    b = fastdl.ones(2)
    Record.seen.clear()
    out, count, meta = Record.apply(a, 3, b, a)
    assert Record.seen[-1] == ((True, False, False, True), False)  # forward runs without recording
    assert fastdl.is_grad_enabled()
    assert out.requires_grad and isinstance(out.grad_fn, Node) and out._out_index == 0
    assert not count.requires_grad and count.grad_fn is None  # integer outputs never require grad
    assert meta == "meta"
    node = out.grad_fn
    assert node.fn is Record and node.out_meta[2] is None
    assert node.out_meta[0] == (out.shape, out.dtype, out.device)
    acc, idx = node.edges[0]
    assert type(acc) is AccumulateGrad and acc.leaf is a and idx == 0 and a._accumulator is acc
    assert node.edges[1] is None and node.edges[2] is None and node.edges[3] == node.edges[0]
    out.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 2.0])


def test_no_record_without_grad():
    a = fastdl.ones(2, requires_grad=True)
    Record.seen.clear()
    with fastdl.no_grad():
        out, _, _ = Record.apply(a, a)
    assert Record.seen[-1] == ((False, False), False)
    assert out.grad_fn is None and not out.requires_grad
    out, _, _ = Record.apply(fastdl.ones(2), 1.0)
    assert Record.seen[-1] == ((False, False), True) and out.grad_fn is None


def test_non_leaf_edges_point_at_the_producer():
    a = fastdl.ones(3, requires_grad=True)
    y = a * 2
    out, _, _ = Record.apply(y)
    assert out.grad_fn.edges[0] == (y.grad_fn, 0)
    assert _C.edge_of(y) == (y.grad_fn, 0)


@pytest.mark.parametrize("grad", [True, False])
def test_grad_mode_is_restored_when_forward_raises(grad):
    x = fastdl.ones(2, requires_grad=grad)
    with pytest.raises(ValueError, match="boom in forward"):
        Boom.apply(x)
    assert fastdl.is_grad_enabled()
    with fastdl.no_grad():
        with pytest.raises(ValueError, match="boom"):
            Boom.apply(x)
        assert not fastdl.is_grad_enabled()


@pytest.mark.parametrize("n", [1, 8, 9, 16, 17, 40])
def test_many_arguments(n):
    xs = [fastdl.full((2,), float(i), requires_grad=i % 2 == 0) for i in range(n)]
    Record.seen.clear()
    out, count, _ = Record.apply(*xs)
    assert Record.seen[-1][0] == tuple(i % 2 == 0 for i in range(n))
    assert count.item() == n
    out.sum().backward()
    for i, x in enumerate(xs):
        assert (x.grad is not None) == (i % 2 == 0)


def test_apply_errors():
    with pytest.raises(TypeError):
        Record.apply(fastdl.ones(1), key=1)
    with pytest.raises(TypeError, match="edge_of: expected a Tensor"):
        _C.edge_of(3)

    class NoForward(Function):
        pass
    with pytest.raises(NotImplementedError, match="must define forward"):
        NoForward.apply(fastdl.ones(1))


def test_graph_dies_with_its_outputs_and_nothing_leaks():
    a = fastdl.ones(4, requires_grad=True)
    out, _, _ = Record.apply(a, a)
    node = weakref.ref(out.grad_fn)
    del out
    gc.collect()
    assert node() is None
    Record.apply(a, a)[0].sum().backward()  # a.grad exists from here on
    gc.collect()
    before = (sys.getrefcount(Record), sys.getrefcount(a), _C.live_buffers())
    for _ in range(200):
        out, _, _ = Record.apply(a, a)
        out.sum().backward()
    del out
    gc.collect()
    assert (sys.getrefcount(Record), sys.getrefcount(a), _C.live_buffers()) == before


def test_saved_outputs_make_no_reference_cycle():
    """relu/tanh/exp save their output: the ctx keeps a detached alias, so an unused graph
    and its buffers die with their last reference, without the garbage collector."""
    x = fastdl.randn(8, 8, requires_grad=True)
    gc.collect()
    gc.disable()
    try:
        base = _C.live_buffers()
        for _ in range(20):
            y = x.relu().tanh().exp()
        node = weakref.ref(y.grad_fn)
        del y
        assert node() is None and _C.live_buffers() == base
    finally:
        gc.enable()


def test_saved_output_alias_keeps_values_and_version_check():
    x = fastdl.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    y = x.exp()
    (saved,) = [t for t in y.grad_fn.ctx._saved if t is not None]
    assert saved is not y and saved._buf is y._buf and saved.grad_fn is None and not saved.requires_grad
    y.sum().backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.numpy(), np.exp([-1.0, 0.5, 2.0]), rtol=1e-6)
    with fastdl.no_grad():
        y.mul_(2.0)  # an in-place write to the saved output
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
