"""Defects found by tests/fuzz_ops.py (edge-case input compared with torch): each case
returned silent garbage, a wrong value or an implementation exception before its fix."""
import numpy as np
import pytest

import fastdl

f = fastdl.float32


def _t(*shape, dtype=None):
    return fastdl.ones(*shape, dtype=dtype or f)


def _expanded():
    return fastdl.tensor([[1.0, 2.0, 3.0]]).expand(2, 3)


RAISES = [
    # in-place writes into an expanded view: every row aliases one row, the result depended on write order
    ("add_-expanded", lambda: _expanded().add_(_t(2, 3)), RuntimeError, r"add_: unsupported operation: more than one element of the written-to tensor float32\[2, 3\] \(strides \[0, 1\]\)"),
    ("exp_-expanded", lambda: _expanded().exp_(), RuntimeError, "exp_: unsupported operation: more than one element"),
    ("copy_-expanded", lambda: _expanded().copy_(fastdl.arange(6.0).reshape(2, 3)), RuntimeError, "copy_: unsupported operation"),
    ("normal_-expanded", lambda: _expanded().normal_(), RuntimeError, "normal_: unsupported operation"),
    # in-place write into a view of a leaf that requires grad: the leaf's gradient would ignore it
    ("fill_-view-of-leaf", lambda: _t(3, 4).requires_grad_()[0].fill_(2), RuntimeError, "fill_: a view of a leaf Variable that requires grad"),
    ("uniform_-view-of-leaf", lambda: _t(3, 4).requires_grad_()[1].uniform_(), RuntimeError, "uniform_: a view of a leaf Variable"),
    # shape checks that silently returned something else
    ("outer-2d", lambda: fastdl.outer(_t(2, 2), _t(2)), RuntimeError, r"outer: expected 1-D arguments, got float32\[2, 2\] and float32\[2\]"),
    ("flatten-0d-dim", lambda: fastdl.tensor(1.0).flatten(5), IndexError, r"flatten: dimension out of range \(expected to be in range of \[-1, 0\], but got 5\)"),
    ("transpose-0d-dim", lambda: fastdl.tensor(1.0).transpose(0, 2), IndexError, "transpose: dimension out of range"),
    ("arange-step-sign", lambda: fastdl.arange(0, 5, -1), RuntimeError, r"arange: upper bound and lower bound inconsistent with step sign \(start=0, end=5, step=-1\)"),
    ("arange-inf", lambda: fastdl.arange(0, float("inf")), RuntimeError, "arange: unsupported range"),
    ("quantile-empty", lambda: fastdl.quantile(_t(0), 0.5), RuntimeError, r"quantile: input tensor must be non-empty, got float32\[0\]"),
    ("nanquantile-empty", lambda: _t(0, 3).nanquantile(0.5), RuntimeError, "nanquantile: input tensor must be non-empty"),
    ("bernoulli-p-range", lambda: fastdl.bernoulli(fastdl.tensor([1.5, -0.5])), RuntimeError, r"bernoulli: expected all probabilities in \[0, 1\].*float32\[2\]"),
    ("bernoulli-p-nan", lambda: fastdl.bernoulli(fastdl.tensor([float("nan")])), RuntimeError, "bernoulli: expected all probabilities"),
    ("norm-out-shape", lambda: fastdl.norm(_t(3, 4), out=_t(5)), RuntimeError, r"norm: out must be a Tensor of the result's shape \[\], got float32\[5\]"),
    ("range-out-shape", lambda: fastdl.range(0, 3, out=_t(7)), RuntimeError, r"range: out must be a Tensor of shape \[4\]"),
    # AttributeError from inside the implementation instead of a TypeError naming the op
    ("mm-number", lambda: fastdl.mm(_t(2, 2), 3), TypeError, "mm: expected mat2 to be a Tensor, got int"),
    ("bmm-number", lambda: fastdl.bmm(_t(1, 2, 2), 2.0), TypeError, "bmm: expected mat2 to be a Tensor, got float"),
    ("outer-number", lambda: fastdl.outer(_t(2), 3), TypeError, "outer: expected vec2 to be a Tensor, got int"),
    ("expand_as-number", lambda: _t(2).expand_as(3), TypeError, "expand_as: expected other to be a Tensor, got int"),
    ("view_as-number", lambda: _t(2).view_as(3), TypeError, "view_as: expected other to be a Tensor, got int"),
    ("reshape_as-number", lambda: _t(2).reshape_as(3), TypeError, "reshape_as: expected other to be a Tensor, got int"),
    ("type_as-number", lambda: _t(2).type_as(3), TypeError, "type_as: expected other to be a Tensor, got int"),
    ("is_same_size-number", lambda: _t(2).is_same_size(3), TypeError, "is_same_size: expected other to be a Tensor"),
    ("equal-number", lambda: fastdl.equal(_t(2), 3), TypeError, "equal: expected two Tensors, got Tensor and int"),
    ("poisson-generator", lambda: fastdl.poisson(_t(2), 0), TypeError, "expected generator to be a fastdl.Generator, got int"),
    ("uniform_-generator", lambda: _t(2).uniform_(0, 1, _t(2)), TypeError, "expected generator to be a fastdl.Generator, got Tensor"),
    ("bernoulli-number", lambda: fastdl.bernoulli(0.5), TypeError, "bernoulli: expected input to be a Tensor"),
    # a 0-d tensor's expand() / permute() with no arguments: torch's TypeError, not a silent view
    ("expand-no-size-0d", lambda: fastdl.tensor(3.0).expand(), TypeError, "expand\\(\\) missing 1 required positional"),
    ("permute-no-dims-0d", lambda: fastdl.tensor(3.0).permute(), TypeError, "permute\\(\\) missing 1 required positional"),
]


@pytest.mark.parametrize("name,fn,exc,msg", RAISES, ids=[r[0] for r in RAISES])
def test_fuzz_finding_raises_clearly(name, fn, exc, msg):
    with pytest.raises(exc, match=msg):
        fn()


def test_failed_inplace_on_expanded_leaves_the_tensor_unchanged():
    base = fastdl.tensor([[1.0, 2.0, 3.0]])
    with pytest.raises(RuntimeError):
        base.expand(2, 3).mul_(fastdl.tensor([[1.0, 1.0, 1.0], [5.0, 5.0, 5.0]]))
    assert base.tolist() == [[1.0, 2.0, 3.0]]


def test_fill_and_zero_of_an_expanded_view_still_work():
    base = fastdl.zeros(1, 3)
    base.expand(4, 3).fill_(2.0)  # every element gets the same value: torch allows it
    assert base.tolist() == [[2.0, 2.0, 2.0]]
    base.expand(4, 3).zero_()
    assert base.tolist() == [[0.0, 0.0, 0.0]]


def test_inplace_on_view_of_leaf_is_fine_without_grad_mode():
    x = fastdl.ones(2, 3, requires_grad=True)
    with fastdl.no_grad():
        x[0].fill_(5.0)
        x[1].mul_(2.0)
    assert x.tolist() == [[5.0, 5.0, 5.0], [2.0, 2.0, 2.0]]


def test_leaf_grad_of_a_sum_owns_its_elements():
    """sum's backward hands an expanded gradient; as .grad its elements aliased one value,
    so an in-place update with different values per element (an optimizer's, a mask) was garbage."""
    a = fastdl.ones(3, requires_grad=True)
    a.sum().backward()
    a.grad.mul_(fastdl.tensor([1.0, 2.0, 3.0]))
    assert a.grad.tolist() == [1.0, 2.0, 3.0]
    b = fastdl.ones(2, 2, requires_grad=True)
    (b * 3).sum().backward()
    b.grad[0, 0] = 7.0
    assert b.grad.tolist() == [[7.0, 3.0], [3.0, 3.0]]


def test_tensor_of_a_tensor_keeps_its_dtype():
    src = fastdl.tensor([0.1, 0.2], dtype=fastdl.float64)
    out = fastdl.tensor(src)
    assert out.dtype is fastdl.float64
    np.testing.assert_array_equal(out.numpy(), src.numpy())
    assert fastdl.tensor(fastdl.tensor([1, 2])).dtype is fastdl.int64
    assert fastdl.tensor(src, dtype=fastdl.float32).dtype is fastdl.float32


def test_nonzero_as_tuple_of_a_0d_tensor():
    (i,) = fastdl.where(fastdl.tensor(0.7))
    assert i.tolist() == [0] and i.dtype is fastdl.int64
    (j,) = fastdl.nonzero(fastdl.tensor(0.0), as_tuple=True)
    assert j.tolist() == [] and tuple(j.shape) == (0,)


def test_matches_torch_where_torch_is_installed():
    torch = pytest.importorskip("torch")
    assert tuple(fastdl.where(fastdl.tensor(2.0))[0].tolist()) == tuple(torch.where(torch.tensor(2.0))[0].tolist())
    assert fastdl.tensor(fastdl.tensor(1.0, dtype=fastdl.float64)).dtype.name == \
        str(torch.tensor(torch.tensor(1.0, dtype=torch.float64)).dtype).split(".")[1]
    for fn in (lambda L: L.arange(0, 5, -1), lambda L: L.outer(L.ones(2, 2), L.ones(2)),
               lambda L: L.ones(1, 3).expand(2, 3).add_(1), lambda L: L.quantile(L.ones(0), 0.5)):
        with pytest.raises(RuntimeError):
            fn(torch)
        with pytest.raises(RuntimeError):
            fn(fastdl)


def test_session19_fuzz_finding():
    """linear_cross_entropy names a non-tensor operand (was AttributeError: 'int' object has no attribute 'dim')."""
    with pytest.raises(TypeError, match="linear_cross_entropy: expected linear_weight to be a Tensor, got int"):
        fastdl.nn.functional.linear_cross_entropy(fastdl.randn(3, 4), 1, fastdl.tensor([0, 1, 2]))
