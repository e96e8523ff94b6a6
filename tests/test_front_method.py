"""_C.front_method (csrc/bind/bind_front_method.cpp): a Tensor method whose common case is
one C++ call and whose other cases are the Python front's. matmul / mm / @ are built
this way; these tests pin the dispatch rules with recording stand-ins, then check that
matmul's fast and Python paths agree on every case that reaches either."""
import inspect

import numpy as np
import pytest

import fastdl
from fastdl import _C
from fastdl.ops import linalg


def _recorder(result):
    calls = []

    def fn(*args, **kwargs):
        calls.append((args, kwargs))
        return result(*args) if callable(result) else result
    return fn, calls


def test_fast_result_is_returned_with_allow_grad_from_the_grad_mode():
    fast, fast_calls = _recorder("fast")
    slow, slow_calls = _recorder("slow")
    m = _C.front_method(fast, slow, 2)
    assert m(1, 2) == "fast"
    with fastdl.no_grad():
        assert m(1, 2) == "fast"
    assert [c[0] for c in fast_calls] == [(1, 2, False), (1, 2, True)]  # allow_grad = not grad mode
    assert slow_calls == []


def test_none_keywords_and_other_counts_go_to_the_fallback():
    fast, fast_calls = _recorder(None)
    slow, slow_calls = _recorder("slow")
    m = _C.front_method(fast, slow, 2)
    assert m(1, 2) == "slow"
    assert m(1, other=2) == "slow"
    assert m(1, 2, 3) == "slow"
    assert m(1) == "slow"
    assert len(fast_calls) == 1  # only the call of the fast path's form tried it
    assert slow_calls == [((1, 2), {}), ((1,), {"other": 2}), ((1, 2, 3), {}), ((1,), {})]


def test_errors_of_either_side_propagate():
    def fast(a, b, allow_grad):
        raise KeyError("fast failed")

    def slow(a, b):
        raise IndexError("slow failed")
    with pytest.raises(KeyError, match="fast failed"):
        _C.front_method(fast, slow, 2)(1, 2)
    with pytest.raises(IndexError, match="slow failed"):
        _C.front_method(lambda a, b, g: None, slow, 2)(1, 2)


def test_it_binds_as_a_method_and_an_operator():
    class Box:
        def __init__(self, v):
            self.v = v

    def fast(a, b, allow_grad):
        return ("fast", a.v, b.v) if isinstance(b, Box) else None

    def slow(a, b):
        return ("slow", a.v, b)
    m = _C.front_method(fast, slow, 2)
    Box.combine = m
    Box.__matmul__ = m
    assert Box(1).combine(Box(2)) == ("fast", 1, 2)
    assert (Box(1) @ Box(2)) == ("fast", 1, 2)
    assert (Box(1) @ 5) == ("slow", 1, 5)
    assert Box.combine is m


def test_it_looks_like_its_python_front():
    m = linalg.matmul
    assert (m.__name__, m.__qualname__, m.__module__) == ("matmul", "matmul", "fastdl.ops.linalg")
    assert "matrix product" in m.__doc__
    assert str(inspect.signature(m)) == "(a, b)"
    assert m.fast is _C.cpu_matmul_new and m.fallback.__name__ == "matmul"
    assert "cpu_matmul_new" in repr(m)


@pytest.mark.parametrize("bad", [(1, 2, 3), (None, lambda: 0, 2), (lambda: 0, None, 2)])
def test_bad_construction(bad):
    with pytest.raises(TypeError):
        _C.front_method(*bad)


@pytest.mark.parametrize("arity", [0, 9])
def test_arity_range(arity):
    with pytest.raises(ValueError, match="arity"):
        _C.front_method(lambda: 0, lambda: 0, arity)


@pytest.mark.parametrize("grad", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matmul_fast_and_python_paths_agree(grad, dtype):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((5, 7)).astype(dtype), rng.standard_normal((7, 3)).astype(dtype)
    ta, tb = fastdl.tensor(a, requires_grad=grad), fastdl.tensor(b, requires_grad=grad)
    first = (ta @ tb).detach().numpy()
    for out in (ta.matmul(tb), fastdl.matmul(ta, tb), ta.mm(tb), fastdl.mm(ta, tb), linalg.matmul.fallback(ta, tb)):
        np.testing.assert_array_equal(out.detach().numpy(), first)
        assert out.requires_grad == grad and (out.grad_fn is not None) == grad
    np.testing.assert_allclose(first, a.astype(np.float64) @ b, rtol=1e-5, atol=1e-6)
    with fastdl.no_grad():
        assert not (ta @ tb).requires_grad


def test_matmul_errors_are_the_python_fronts():
    a = fastdl.randn(2, 3)
    with pytest.raises(ValueError, match=r"matmul: shape mismatch float32\[2, 3\] @ float32\[2, 3\]"):
        a @ a
    with pytest.raises(TypeError, match="same dtype"):
        a @ fastdl.randn(3, 2, dtype=fastdl.float64)
    with pytest.raises(ValueError, match="mm: expected 2-D"):
        a.mm(fastdl.randn(3))
    assert (a @ fastdl.randn(3)).shape == (2,)  # 1-D operands take the Python path
    assert fastdl.matmul(a, b=fastdl.randn(3, 4)).shape == (2, 4)  # keywords take the Python path
