"""add_ / sub_ / mul_ / div_ run as one kernel into the tensor when no graph is
involved (ops/elementwise.binary_); these check that path against NumPy and that every
case it declines still takes the general path with its checks."""
import numpy as np
import pytest

import fastdl

RNG = np.random.default_rng(3)


def arr(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,ref", [("add_", np.add), ("sub_", np.subtract), ("mul_", np.multiply),
                                      ("div_", np.divide)])
def test_tensor_and_number_operands(name, ref, dtype):
    a, b = arr(5, 7, dtype=dtype), arr(5, 7, dtype=dtype)
    t = fastdl.tensor(a)
    version = t._buf.version
    assert getattr(t, name)(fastdl.tensor(b)) is t
    np.testing.assert_array_equal(t.numpy(), ref(a, b))
    assert getattr(t, name)(2.5) is t
    np.testing.assert_array_equal(t.numpy(), ref(ref(a, b), dtype(2.5)))
    assert t._buf.version == version + 2


def test_aliased_operands():
    a = arr(4, 4)
    t = fastdl.tensor(a)
    t.add_(t)  # the very same view: elementwise, safe
    np.testing.assert_array_equal(t.numpy(), a + a)
    t = fastdl.tensor(a)
    t.add_(t.t())  # overlapping, different strides: must read all of t.T before writing
    np.testing.assert_array_equal(t.numpy(), a + a.T)


def test_declined_cases_keep_the_general_semantics():
    t = fastdl.tensor(np.arange(6).reshape(2, 3))
    t.add_(1)  # int64
    np.testing.assert_array_equal(t.numpy(), np.arange(6).reshape(2, 3) + 1)
    a, row = arr(3, 4), arr(4)
    t = fastdl.tensor(a)
    t.sub_(fastdl.tensor(row))  # broadcast operand
    np.testing.assert_array_equal(t.numpy(), a - row)
    t = fastdl.tensor(a)
    t.add_(fastdl.tensor(row), alpha=-2.0)
    np.testing.assert_allclose(t.numpy(), a - 2 * row, rtol=1e-6)
    with pytest.raises(RuntimeError, match="result type float32 can't be cast"):
        fastdl.tensor(np.arange(3)).mul_(fastdl.tensor(arr(3)))


def test_autograd_rules_still_hold():
    w = fastdl.tensor(arr(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="mul_: a leaf Variable that requires grad"):
        w.mul_(2.0)
    with fastdl.no_grad():
        w.mul_(2.0)  # the optimizer's case: allowed, one kernel
    x = fastdl.tensor(arr(3))
    y = (x * w).sum()  # saves x for w's gradient
    x.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()
    # an operand that needs grad in grad mode: the general path records the graph
    h = fastdl.tensor(arr(3))
    h.add_(w)
    assert h.requires_grad and h.grad_fn is not None
    h.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.ones(3, np.float32))
