"""Elementwise outputs follow their inputs' layout (csrc/common/dim_order.h,
csrc/core/elementwise_layout.h), as torch's TensorIterator lays them out: x.t() + 1 is
transposed like x.t(), a channels-last input gives a channels-last result, contiguous
and broadcast inputs give row-major results. The CPU loop walks dims in that memory
order (csrc/cpu/strided_loop.h). Values are checked against NumPy in float64, layouts
against fixed strides and, where torch is installed, against torch's own.
Strides are compared on the dims of size > 1 (a size-1 dim's stride addresses nothing)."""
import numpy as np
import pytest

import fastdl
from fastdl import channels_last

try:
    import torch
except ImportError:  # parity checks skip
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def strides_of(t):
    return tuple(st for s, st in zip(t.shape, t.stride()) if s != 1)


def rand(shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# Views of a base array: (name, base shape, function making the view of an array or tensor).
VIEWS = [
    ("t", (5, 7), lambda x: x.T if isinstance(x, np.ndarray) else x.t()),
    ("permute3", (3, 4, 5), lambda x: x.transpose(2, 0, 1) if isinstance(x, np.ndarray) else x.permute(2, 0, 1)),
    ("permute4", (2, 3, 4, 5), lambda x: x.transpose(0, 2, 3, 1) if isinstance(x, np.ndarray) else x.permute(0, 2, 3, 1)),
    ("t_sliced", (6, 5), lambda x: x.T[1:] if isinstance(x, np.ndarray) else x.t()[1:]),
    ("step", (2, 3, 8, 5), lambda x: x[:, :, ::2]),
    ("swap_inner", (4, 3, 6), lambda x: x.transpose(0, 2, 1) if isinstance(x, np.ndarray) else x.transpose(1, 2)),
]

# Strides torch gives each view's x + 1 (checked against torch below where installed).
EXPECTED_UNARY_STRIDES = {
    "t": (1, 7),
    "permute3": (1, 20, 5),
    "permute4": (60, 5, 1, 20),
    "t_sliced": (1, 4),
    "step": (60, 20, 5, 1),
    "swap_inner": (18, 1, 6),
}


@pytest.mark.parametrize("name,shape,view", VIEWS, ids=[v[0] for v in VIEWS])
@pytest.mark.parametrize("dtype", [fastdl.float32, fastdl.float64])
def test_unary_and_scalar_ops_keep_the_layout(name, shape, view, dtype):
    a = rand(shape)
    x = view(fastdl.tensor(a, dtype=dtype))
    ref = view(a)
    for out, want in ((x + 1, ref + 1), (x.exp(), np.exp(ref)), (x * 2.5, ref * 2.5), (fastdl.relu(x), np.maximum(ref, 0))):
        assert strides_of(out) == EXPECTED_UNARY_STRIDES[name]
        tol = 1e-6 if dtype is fastdl.float32 else 1e-12
        np.testing.assert_allclose(out.numpy(), want, rtol=tol, atol=tol)


@pytest.mark.parametrize("name,shape,view", VIEWS, ids=[v[0] for v in VIEWS])
def test_the_python_paths_lay_out_as_the_fast_path(name, shape, view):
    """int, bool and half results take ops/elementwise.py's Python path."""
    a = rand(shape)
    x = view(fastdl.tensor(a))
    for out in (x.int() + 1, x > 0, (x.half() * 2), fastdl.logical_not(x > 0), fastdl.maximum(x.int(), fastdl.zeros((), dtype=fastdl.int32)),
                fastdl.where(x > 0, x.half(), 0.0)):
        assert strides_of(out) == EXPECTED_UNARY_STRIDES[name], out.dtype
    np.testing.assert_array_equal((x.int() + 1).numpy(), view(a).astype(np.int32) + 1)
    np.testing.assert_array_equal((x > 0).numpy(), view(a) > 0)


def test_two_layouts_the_first_decides():
    a, b = rand((4, 6)), rand((6, 4), 1)
    x, y = fastdl.tensor(a).t(), fastdl.tensor(b)
    s, r = x + y, y + x
    assert s.stride() == (1, 6) and r.stride() == (4, 1)
    np.testing.assert_allclose(s.numpy(), a.T + b, rtol=1e-12)
    np.testing.assert_allclose(r.numpy(), b + a.T, rtol=1e-12)


def test_broadcast_operands_do_not_decide():
    a, v = rand((4, 6)), rand(4, 1)
    x = fastdl.tensor(a).t()  # (6, 4), strides (1, 6)
    out = x + fastdl.tensor(v)
    assert out.stride() == (1, 6)
    np.testing.assert_allclose(out.numpy(), a.T + v, rtol=1e-12)
    col = fastdl.tensor(rand((6, 1), 2))  # contiguous column: no say on the size-4 dim
    out = col * x
    assert out.stride() == (1, 6)
    np.testing.assert_allclose(out.numpy(), rand((6, 1), 2) * a.T, rtol=1e-12)
    row = fastdl.tensor(v).expand(6, 4) + fastdl.tensor(rand((6, 1), 3))  # both broadcast: row-major
    assert row.is_contiguous()


def test_contiguous_inputs_stay_row_major():
    x = fastdl.randn(3, 4, 5)
    for out in (x + 1, x * x, x.exp(), x + fastdl.randn(5), fastdl.where(x > 0, x, 0.0)):
        assert out.is_contiguous()


def test_channels_last_is_kept():
    x = fastdl.randn(2, 3, 4, 5).contiguous(memory_format=channels_last)
    for out in (x + 1, fastdl.relu(x), x * x, x + fastdl.randn(3, 1, 1)):
        assert out.is_contiguous(memory_format=channels_last)


def test_where_with_a_permuted_condition():
    a = rand((3, 4, 5))
    x = fastdl.tensor(a).permute(2, 0, 1)
    cond = x > 0
    out = fastdl.where(cond, x, -x)  # cond decides first: its layout is x's
    assert strides_of(out) == (1, 20, 5)
    np.testing.assert_allclose(out.numpy(), np.abs(a.transpose(2, 0, 1)), rtol=1e-12)


def test_lerp_keeps_the_layout():
    a, b = rand((5, 7)), rand((5, 7), 1)
    out = fastdl.lerp(fastdl.tensor(a).t(), fastdl.tensor(b).t(), 0.3)
    assert out.stride() == (1, 7)
    np.testing.assert_allclose(out.numpy(), (a + 0.3 * (b - a)).T, rtol=1e-12)


def test_view_and_reshape_of_a_transposed_result():
    out = fastdl.randn(5, 7).t().exp()
    with pytest.raises(RuntimeError):
        out.view(-1)  # as in torch: the result is transposed, a view cannot flatten it
    np.testing.assert_array_equal(out.reshape(-1).numpy(), out.numpy().reshape(-1))
    np.testing.assert_array_equal(out.contiguous().view(-1).numpy(), out.numpy().reshape(-1))


def test_gradients_through_permuted_inputs():
    def f(x, y):
        return (x.permute(2, 0, 1).sin() * y.permute(2, 0, 1) + x.permute(2, 0, 1)).tanh()
    x = fastdl.tensor(rand((3, 4, 5)), requires_grad=True)
    y = fastdl.tensor(rand((3, 4, 5), 1), requires_grad=True)
    assert fastdl.autograd.gradcheck(f, (x, y))


@pytest.mark.parametrize("threads", [1, 2])
def test_large_permuted_ops_split_across_threads(threads):
    """Past the threading grain the rows of the permuted walk go to several threads."""
    before = fastdl.get_num_threads()
    fastdl.set_num_threads(threads)
    try:
        a, b = rand((64, 48, 40), dtype=np.float32), rand((64, 48, 40), 1, np.float32)
        x, y = fastdl.tensor(a).permute(1, 2, 0), fastdl.tensor(b).permute(1, 2, 0)
        want = (a * b).transpose(1, 2, 0)
        out = x * y
        assert out.stride() == x.stride() == (40, 1, 1920)
        np.testing.assert_array_equal(out.numpy(), want)
        mixed = x * fastdl.tensor(b.transpose(1, 2, 0).copy())  # second operand row-major
        np.testing.assert_array_equal(mixed.numpy(), want)
        into = fastdl.empty(48, 40, 64)
        fastdl.mul(x, y, out=into)  # a given row-major out keeps its layout
        assert into.is_contiguous()
        np.testing.assert_array_equal(into.numpy(), want)
    finally:
        fastdl.set_num_threads(before)


@needs_torch
@pytest.mark.parametrize("name,shape,view", VIEWS, ids=[v[0] for v in VIEWS])
def test_layouts_match_torch(name, shape, view):
    a = rand(shape, dtype=np.float32)
    x, tx = view(fastdl.tensor(a)), view(torch.from_numpy(a))
    other = rand(tuple(x.shape), 1, np.float32)
    pairs = [
        (x + 1, tx + 1),
        (x.exp(), tx.exp()),
        (x * fastdl.tensor(other), tx * torch.from_numpy(other)),
        (fastdl.tensor(other) * x, torch.from_numpy(other) * tx),
        (x > 0, tx > 0),
        (x.double() - x, tx.double() - tx),
        (fastdl.where(x > 0, x, 0.0), torch.where(tx > 0, tx, 0.0)),
    ]
    for ours, theirs in pairs:
        assert strides_of(ours) == tuple(st for s, st in zip(theirs.shape, theirs.stride()) if s != 1)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    assert EXPECTED_UNARY_STRIDES[name] == strides_of(x + 1)
