"""The C++ fast paths of view / reshape (csrc/bind/bind_view_args.cpp) and cat / stack
(bind_cat_new.cpp): randomized shapes and layouts give exactly the geometry and values
of the Python definitions (ops/shape.infer_shape, _view_strides, _Cat), the cases they
must decline return None, and gradients still flow (float64 gradcheck)."""
import numpy as np
import pytest

import fastdl
from fastdl import _C
from fastdl.ops.shape import _view_strides, infer_shape


def random_tensor(rng, shape):
    base = fastdl.arange(float(max(int(np.prod(shape)) * 4, 1)))
    kind = rng.integers(0, 3)
    n = int(np.prod(shape))
    if kind == 0 or n == 0:
        return base[:n].reshape(shape)
    if kind == 1:  # every other element
        return base[:2 * n:2].reshape(shape)
    return base[:n].reshape(shape[::-1]).permute(tuple(range(len(shape)))[::-1])  # reversed dims


def random_target(rng, shape):
    n = int(np.prod(shape))
    dims = []
    rest = n
    for _ in range(int(rng.integers(0, 4))):
        f = [d for d in range(1, rest + 1) if rest % d == 0] if rest else [0, 1]
        d = int(rng.choice(f))
        dims.append(d)
        rest = rest // d if d else rest
    dims.append(rest)
    if rng.random() < 0.3:
        dims[int(rng.integers(0, len(dims)))] = -1
    if rng.random() < 0.1:
        dims.append(int(rng.integers(2, 4)))  # a size that does not match
    return tuple(dims)


@pytest.mark.parametrize("seed", range(40))
def test_view_geometry_matches_python(seed):
    rng = np.random.default_rng(seed)
    shape = tuple(int(s) for s in rng.integers(0, 4, size=int(rng.integers(0, 4))))
    x = random_tensor(rng, shape)
    for _ in range(10):
        target = random_target(rng, shape)
        args = (target,) if rng.random() < 0.5 else target
        got = _C.view_args(x, args)
        try:
            want_shape = infer_shape("view", x, args)
        except (RuntimeError, TypeError):
            assert got is None, (shape, target)
            continue
        assert got is not None and got[0] == want_shape, (shape, target)
        assert got[1] == _view_strides(x, want_shape), (shape, x.stride(), target)
        np.testing.assert_array_equal(x.reshape(*args).numpy(), x.numpy().reshape(want_shape))


def test_view_declines_and_errors():
    x = fastdl.zeros(2, 3)
    for args in ((-1, -1), (5,), (2.0, 3), (True, 6), (np.int64(6),), (-2, 3), ([2, 3], 1)):
        assert _C.view_args(x, args) is None, args
    assert _C.view_args(x.t(), (6,)) == ((6,), None)  # cannot be a view: reshape copies
    with pytest.raises(RuntimeError, match="view: size"):
        x.t().view(6)
    np.testing.assert_array_equal(x.t().reshape(6).numpy(), np.zeros(6))
    with pytest.raises(RuntimeError, match="invalid for input of size 6"):
        x.view(4, 2)
    assert x.view(np.int64(6)).shape == (6,)  # declined here, taken by the Python path


@pytest.mark.parametrize("seed", range(30))
def test_cat_and_stack_match_numpy(seed):
    rng = np.random.default_rng(100 + seed)
    dtype = [fastdl.float32, fastdl.float64, fastdl.int64, fastdl.bool, fastdl.float16, fastdl.complex64][seed % 6]
    nd = int(rng.integers(0, 4))
    base = [int(s) for s in rng.integers(0, 4, size=nd)]
    k = int(rng.integers(1, 4))
    # stack: equal shapes
    arrays = [rng.standard_normal(base) for _ in range(k)]
    ts = [fastdl.tensor(a).to(dtype) for a in arrays]
    refs = [t.numpy() for t in ts]
    d = int(rng.integers(-nd - 1, nd + 1))
    got = _C.cpu_cat_new(ts, d, False, True)
    assert got is not None
    np.testing.assert_array_equal(got.numpy(), np.stack(refs, d))
    np.testing.assert_array_equal(fastdl.stack(ts, d).numpy(), np.stack(refs, d))
    if nd == 0:
        return
    # cat: sizes differ along d
    d = int(rng.integers(-nd, nd))
    shapes = [list(base) for _ in range(k)]
    for s in shapes:
        s[d] = int(rng.integers(0, 4))
    if nd == 1 and any(s[0] == 0 for s in shapes):
        shapes = [[max(s[0], 1)] for s in shapes]  # (1-D empties are the Python path's)
    ts = [fastdl.tensor(rng.standard_normal(s)).to(dtype) for s in shapes]
    refs = [t.numpy() for t in ts]
    got = _C.cpu_cat_new(tuple(ts), d, False, False)
    assert got is not None
    np.testing.assert_array_equal(got.numpy(), np.concatenate(refs, d))
    np.testing.assert_array_equal(fastdl.cat(ts, d).numpy(), np.concatenate(refs, d))


def test_cat_declines_and_gradients():
    a, b = fastdl.randn(2, 3), fastdl.randn(4, 3)
    for args in (([a, b.double()], 0), ([a, b.t()], 0), ([a, fastdl.zeros(0)], 0), ([], 0), ([a, b], 2),
                 ([a, b], 1), ([a, [1.0]], 0), ((a,), -3)):
        assert _C.cpu_cat_new(args[0], args[1], False, False) is None, args
    w = fastdl.randn(2, 3, requires_grad=True)
    assert _C.cpu_cat_new([a, w], 0, False, False) is None  # a graph to record: the Python front
    out = fastdl.cat([a, w], 0)
    assert out.grad_fn is not None
    np.testing.assert_array_equal(fastdl.cat([a, b.double()]).numpy(), np.concatenate([a.numpy(), b.numpy()]))
    x = fastdl.randn(2, 3, dtype=fastdl.float64, requires_grad=True)
    y = fastdl.randn(1, 3, dtype=fastdl.float64, requires_grad=True)
    assert fastdl.autograd.gradcheck(lambda p, q: fastdl.cat([p, q * 2, p], 0), (x, y))
    assert fastdl.autograd.gradcheck(lambda p: fastdl.stack([p, p ** 2], -1), (x,))
    assert fastdl.autograd.gradgradcheck(lambda p, q: fastdl.cat([p ** 2, q], 0), (x, y))
    with fastdl.no_grad():
        assert fastdl.cat([x, x]).grad_fn is None and fastdl.stack([x, x]).grad_fn is None


def test_unsqueeze_strides_match_torch():
    torch = pytest.importorskip("torch")
    for shape in ((3, 4), (3,), (), (2, 1, 3)):
        f, t = fastdl.zeros(shape), torch.zeros(shape)
        for x, y in ((f, t), (f.t() if len(shape) == 2 else f, t.t() if len(shape) == 2 else t)):
            for d in range(-x.ndim - 1, x.ndim + 1):
                assert tuple(x.unsqueeze(d).stride()) == tuple(y.unsqueeze(d).stride()), (shape, d)
