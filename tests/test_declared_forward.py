"""Declared forwards (Function.fast_forward, run in C++ by bind_autograd_apply.cpp) and
Tensor methods that are a Function's apply (_C.function_method).

The reference is the Python forward of the same Function: a subclass that declares
nothing runs it (only a class's own fast_forward counts), so every case below runs both
and compares outputs bit for bit, the ctx fields backward reads, the graph's shape and
the gradients."""
import gc
import sys
import weakref

import numpy as np
import pytest

import fastdl
from fastdl import _C
from fastdl.autograd import AccumulateGrad, Node
from fastdl.ops import elementwise as ew
from fastdl.ops import reduce as red


def python_twin(cls):
    """cls with its Python forward: a subclass declaring no fast_forward of its own."""
    return type("Py" + cls.__name__, (cls,), {})


BINARY = [ew.Add, ew.Sub, ew.Mul, ew.Div]
UNARY = sorted(ew._UNARY_FN)
PARAMS = {"leaky_relu": (0.2,), "clamp": (-0.5, 0.7), "pow_scalar": (3.0,), "gelu": (1.0,), "elu": (1.3,),
          "softplus": (2.0, 3.0)}


def operand(kind, shape, dtype, grad, seed):
    if kind == "int":
        return 3
    if kind == "float":
        return -1.75
    x = np.random.default_rng(seed).standard_normal(shape) + 0.5
    if kind == "positive":
        x = np.abs(x) + 0.5
    return fastdl.tensor(x.astype(dtype), requires_grad=grad)


def same_saved(fast, slow, out_fast, out_slow, inputs):
    """The saved tuples hold the same things: an input itself, the output as a detached
    alias, or None; versions equal."""
    assert len(fast._saved) == len(slow._saved) and list(fast._versions) == list(slow._versions)
    for f, s in zip(fast._saved, slow._saved):
        if s is None:
            assert f is None
        elif any(s is x for x in inputs):
            assert f is s
        else:  # the output's alias
            assert s._buf is out_slow._buf and f._buf is out_fast._buf and f is not out_fast
            assert f.grad_fn is None and not f.requires_grad and f._shape == out_fast._shape
            assert f._strides == out_fast._strides and f._offset == out_fast._offset


def compare(cls, args, backward=True):
    """cls.apply(*args) (declared) against its Python twin; returns the output."""
    fast = cls.apply(*args)
    slow = python_twin(cls).apply(*args)
    assert fast.dtype is slow.dtype and fast.shape == slow.shape
    np.testing.assert_array_equal(fast.detach().numpy(), slow.detach().numpy())
    assert fast.requires_grad == slow.requires_grad and fast._out_index == slow._out_index
    if not slow.requires_grad:
        assert fast.grad_fn is None and slow.grad_fn is None
        return fast
    nf, ns = fast.grad_fn, slow.grad_fn
    assert type(nf) is Node and nf.fn is cls and nf.out_meta == ns.out_meta and nf.edges == ns.edges
    cf, cs = nf.ctx, ns.ctx
    assert cf.needs_input_grad == cs.needs_input_grad
    for field in ("inputs_meta", "scalars", "params", "meta"):
        assert (field in cf.__dict__) == (field in cs.__dict__), field
        assert cf.__dict__.get(field) == cs.__dict__.get(field), field
    assert ("_saved" in cf.__dict__) == ("_saved" in cs.__dict__)
    if "_saved" in cs.__dict__:
        same_saved(cf, cs, fast, slow, args)
    if backward:
        g = fastdl.tensor(np.random.default_rng(9).standard_normal(tuple(fast.shape)).astype(np.float64)).to(
            fast.dtype)
        leaves = [a for a in args if isinstance(a, fastdl.Tensor) and a.requires_grad]
        grads_fast = fastdl.autograd.grad(fast, leaves, g)
        grads_slow = fastdl.autograd.grad(slow, leaves, g)
        for a, b in zip(grads_fast, grads_slow):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    return fast


@pytest.mark.parametrize("cls", BINARY, ids=lambda c: c.__name__)
@pytest.mark.parametrize("kinds,shapes", [
    (("tensor", "positive"), ((3, 4), (3, 4))),
    (("tensor", "positive"), ((3, 4), (4,))),
    (("tensor", "positive"), ((2, 1, 4), (3, 1))),
    (("tensor", "float"), ((3, 4), None)),
    (("tensor", "int"), ((3, 4), None)),
    (("float", "positive"), (None, (3, 4))),
    (("int", "positive"), (None, (5,))),
])
@pytest.mark.parametrize("grads", [(True, True), (True, False), (False, True), (False, False)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_matches_the_python_forward(cls, kinds, shapes, grads, dtype):
    args = [operand(k, s, dtype, g, seed) for seed, (k, s, g) in enumerate(zip(kinds, shapes, grads))]
    compare(cls, args)


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("grad", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unary_matches_the_python_forward(name, grad, dtype):
    x = operand("positive" if name in ("log", "log1p", "sqrt", "rsqrt", "pow_scalar") else "tensor", (3, 5), dtype,
                grad, 1)
    compare(ew._UNARY_FN[name], [x, *PARAMS.get(name, ())])


@pytest.mark.parametrize("shape,dims,keepdim", [
    ((3, 5), [0, 1], False), ((3, 5), [1], False), ((3, 5), [0], True), ((2, 3, 4), [0, 2], False),
    ((2, 3, 4), [1], True), ((4,), [0], True), ((), [], False), ((0, 3), [0], False), ((2, 0), [0, 1], True),
])
@pytest.mark.parametrize("grad", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sum_matches_the_python_forward(shape, dims, keepdim, grad, dtype):
    x = fastdl.tensor((np.random.default_rng(4).standard_normal(shape) + 0.5).astype(dtype), requires_grad=grad)
    out = compare(red._Sum, [x, dims, keepdim, None])
    want = np.sum(x.detach().numpy().astype(np.float64), axis=tuple(dims), keepdims=keepdim)
    np.testing.assert_allclose(out.detach().numpy(), want, rtol=1e-5, atol=1e-6)
    assert out.is_contiguous()


@pytest.mark.parametrize("args", [
    (fastdl.ones(2, 3, dtype=fastdl.int64), [0], False, None),  # integers sum to int64 in Python
    (fastdl.ones(2, 3, requires_grad=True), [1], False, fastdl.float64),  # a dtype: cast first
    (fastdl.ones(2, 3), [0], 1, None),  # keepdim not a bool
])
def test_sum_cases_the_declared_path_leaves_to_python(args, monkeypatch):
    ran = []
    real = red.reduce_kernel
    monkeypatch.setattr(red, "reduce_kernel", lambda *a: ran.append(a) or real(*a))
    red._Sum.apply(*args)
    assert ran  # the Python forward ran


def test_sum_and_mean_of_float_cpu_tensors_skip_the_python_forward(monkeypatch):
    def python_forward_ran(*args):
        raise AssertionError("the Python forward ran")
    monkeypatch.setattr(red, "reduce_kernel", python_forward_ran)
    x = fastdl.randn(4, 5, requires_grad=True)
    loss = x.sum() + x.mean(dim=1).sum() + x.sum(0, keepdim=True).mean()
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((4, 5), 1 + 1 / 5 + 1 / 5), rtol=1e-6)
    with pytest.raises(AssertionError, match="Python forward ran"):
        x.sum(dtype=fastdl.float64)


def test_float_cpu_operands_never_enter_the_python_forward(monkeypatch):
    def python_forward_ran(*args):
        raise AssertionError("the Python forward ran")
    monkeypatch.setattr(ew, "binary_kernel", python_forward_ran)
    monkeypatch.setattr(ew, "unary_kernel", python_forward_ran)
    a, b = fastdl.randn(3, 4, requires_grad=True), fastdl.randn(4, dtype=fastdl.float32)
    y = ((a * b + 1.0) / (2 - b)).relu().tanh().exp().neg()
    with fastdl.no_grad():
        a * b
    with pytest.raises(AssertionError, match="Python forward ran"):
        a.double() * b  # mixed dtypes: the Python forward decides
    monkeypatch.undo()
    y.sum().backward()
    assert a.grad.shape == a.shape


def test_unary_default_params_are_the_python_defaults():
    x = fastdl.randn(4, requires_grad=True)
    out = compare(ew._UNARY_FN["relu"], [x], backward=False)
    assert out.grad_fn.ctx.params == (0.0, 0.0) and all(type(p) is float for p in out.grad_fn.ctx.params)


@pytest.mark.parametrize("args", [
    (fastdl.ones(3, dtype=fastdl.int64), fastdl.ones(3, dtype=fastdl.int64)),  # integers: Python promotes
    (fastdl.ones(3, requires_grad=True), fastdl.ones(3, dtype=fastdl.float64)),  # mixed dtypes
    (fastdl.ones(3, requires_grad=True), True),  # a bool operand
    (fastdl.ones(3, dtype=fastdl.float16).requires_grad_(), 2.0),  # half: via float32
])
def test_other_operands_take_the_python_forward(args):
    compare(ew.Div, list(args), backward=False)
    compare(ew.Mul, list(args), backward=False)


def test_errors_are_the_python_paths():
    with pytest.raises(ValueError, match="add"):
        fastdl.ones(3, requires_grad=True) + fastdl.ones(4)
    with pytest.raises(TypeError, match="mul: unsupported operand type"):
        ew.Mul.apply(fastdl.ones(3), "x")
    with pytest.raises(TypeError, match="expected at least one Tensor"):
        ew.Sub.apply(1.0, 2.0)


def test_a_malformed_declaration_is_a_type_error():
    class Bad(ew.Add):
        fast_forward = ("binary", "add", (0, 5, 0))
    with pytest.raises(TypeError, match="fast_forward must be"):
        Bad.apply(fastdl.ones(2), fastdl.ones(2))


def test_grad_mode_and_version_checks():
    a, b = fastdl.randn(3, requires_grad=True), fastdl.randn(3, requires_grad=True)
    with fastdl.no_grad():
        y = a * b
    assert y.grad_fn is None and not y.requires_grad
    x = a * 1.0
    y = x * b  # saves x for b's gradient
    x.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    y = a.relu()  # saves its output, as an alias
    with fastdl.no_grad():
        y.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    y = a / b
    y.sum().backward(retain_graph=True)
    y.sum().backward()  # retain_graph kept the saved tensors
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.sum().backward()


def test_leaf_edges_and_hooks():
    a = fastdl.randn(3, requires_grad=True)
    seen = []
    a.register_hook(lambda g: seen.append(g.numpy().copy()))
    y = a * 2.0 + a
    acc, idx = y.grad_fn.edges[1]
    assert type(acc) is AccumulateGrad and acc.leaf is a and idx == 0
    y.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.full(3, 3.0, np.float32))
    assert len(seen) == 1


def test_declared_graphs_leak_nothing():
    a, b = fastdl.randn(8, 8, requires_grad=True), fastdl.randn(8, 8, requires_grad=True)
    (a * b + b).relu().tanh().sum().backward()
    gc.collect()
    gc.disable()
    try:
        before = (sys.getrefcount(a), sys.getrefcount(b), _C.live_buffers())
        for _ in range(50):
            y = (a / b - a).exp().sigmoid() * b
        node = weakref.ref(y.grad_fn)
        del y
        assert node() is None  # no cycle: freed without the collector
        assert (sys.getrefcount(a), sys.getrefcount(b), _C.live_buffers()) == before
        for _ in range(50):
            (a * b + b).relu().sum().backward()
        assert (sys.getrefcount(a), sys.getrefcount(b)) == before[:2]
    finally:
        gc.enable()


# ---- _C.function_method ----------------------------------------------------------

def test_operators_and_methods_are_the_functions_apply():
    t = fastdl.tensor([1.0, -2.0, 3.0], requires_grad=True)
    for expr, cls in [(lambda: t + 1, ew.Add), (lambda: 1 + t, ew.Add), (lambda: t - 1, ew.Sub),
                      (lambda: 1 - t, ew.Sub), (lambda: t * t, ew.Mul), (lambda: 2 * t, ew.Mul),
                      (lambda: t / 2, ew.Div), (lambda: 2 / t, ew.Div), (lambda: -t, ew._UNARY_FN["neg"]),
                      (lambda: abs(t), ew._UNARY_FN["abs"]), (lambda: t.relu(), ew._UNARY_FN["relu"]),
                      (lambda: fastdl.Tensor.tanh(t), ew._UNARY_FN["tanh"])]:
        assert expr().grad_fn.fn is cls
    np.testing.assert_array_equal((1 - t).detach().numpy(), [0.0, 3.0, -2.0])  # reflected: apply(other, self)
    np.testing.assert_array_equal((2 / t).detach().numpy(), np.float32(2) / np.float32([1.0, -2.0, 3.0]))
    bound = t.exp
    np.testing.assert_array_equal(bound().detach().numpy(), t.exp().detach().numpy())
    assert "Exp.apply" in repr(fastdl.Tensor.exp) and fastdl.Tensor.exp.function is ew._UNARY_FN["exp"]


def test_function_method_errors():
    t = fastdl.ones(2)
    with pytest.raises(TypeError, match="no keyword arguments"):
        t.relu(inplace=True)
    with pytest.raises(TypeError, match="reflected Sub.apply .* takes 2 arguments with self, got 1"):
        fastdl.Tensor.__rsub__(t)  # (__radd__ / __rmul__ are the unreflected methods: torch's input order)
    with pytest.raises(TypeError, match="Relu.apply .* takes 1 arguments with self, got 2"):
        t.relu(0.5)
    with pytest.raises(TypeError, match="function_method"):
        _C.function_method(3, 1)
    with pytest.raises(ValueError, match="arity"):
        _C.function_method(ew.Add, 1, True)
    with pytest.raises(TypeError, match="mul: unsupported operand type"):
        t * "a"


# ---- Tensor.detach (C++: the alias Function.apply saves for outputs) ----------------

def test_detach_is_an_alias_outside_the_graph():
    class Sub(fastdl.Tensor):
        pass
    x = fastdl.randn(4, 6, requires_grad=True)
    v = (x * 2).t()[1:]
    d = v.detach()
    assert type(d) is fastdl.Tensor and d._buf is v._buf and d._base is v._base
    assert (d.shape, d.stride(), d.storage_offset()) == (v.shape, v.stride(), v.storage_offset())
    assert d.grad_fn is None and not d.requires_grad and d.grad is None
    sub = Sub._make(x._buf, x.dtype, x.shape, x.stride(), 0, x.device)
    assert type(sub.detach()) is Sub
    with pytest.raises(ValueError, match="no C\\+\\+ Tensor method 'nope'"):
        _C.tensor_method("nope")
