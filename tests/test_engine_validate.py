"""The engine's gradient validation (torch's validate_outputs): a gradient of another
dtype is cast to its input's, one of a shape the input expands to is summed down to it,
any other shape raises torch's error."""
import numpy as np
import pytest

import fastdl


def _returning(lib, make_grad):
    """A Function whose backward returns make_grad(lib, g) for its one input."""
    class Ret(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            return make_grad(lib, g)
    return Ret


CASES = [  # (name, input shape, input dtype name, returned gradient)
    ("f32_for_f64", (2, 3), "float64", lambda L, g: g.to(L.float32) * 3),
    ("f64_for_f32", (2, 3), "float32", lambda L, g: g.to(L.float64) * 3),
    ("f32_for_f16", (2, 3), "float16", lambda L, g: L.full((2, 3), 0.5, dtype=L.float32)),
    ("int_for_float", (2, 3), "float32", lambda L, g: L.ones((2, 3), dtype=L.int64)),
    ("bigger_summed", (2, 3), "float32", lambda L, g: L.ones((4, 2, 3))),
    ("size1_kept", (1, 3), "float64", lambda L, g: L.arange(6, dtype=L.float64).reshape(2, 3)),
]


@pytest.mark.parametrize("name,shape,dtype,make", CASES, ids=[c[0] for c in CASES])
def test_grad_fixed_like_torch(name, shape, dtype, make):
    x = fastdl.ones(shape, dtype=getattr(fastdl, dtype), requires_grad=True)
    _returning(fastdl, make).apply(x).sum().backward()
    assert x.grad.dtype is x.dtype and tuple(x.grad.shape) == shape
    torch = pytest.importorskip("torch")
    tx = torch.ones(shape, dtype=getattr(torch, dtype), requires_grad=True)
    _returning(torch, make).apply(tx).sum().backward()
    assert x.grad.dtype.name == str(tx.grad.dtype).replace("torch.", "")
    assert np.array_equal(x.grad.numpy(), tx.grad.numpy())


BAD_SHAPES = [((2, 3), (3,)), ((2, 3), (1, 3)), ((2, 3), ()), ((2, 3), (3, 2)), ((3,), (2, 4))]


@pytest.mark.parametrize("shape,gshape", BAD_SHAPES)
def test_wrong_shape_raises_torch_message(shape, gshape):
    x = fastdl.ones(shape, requires_grad=True)
    Ret = _returning(fastdl, lambda L, g: L.ones(gshape))
    with pytest.raises(RuntimeError) as err:
        Ret.apply(x).sum().backward()
    assert x.grad is None
    msg = (f"Function RetBackward returned an invalid gradient at index 0 - got {list(gshape)} but expected shape "
           f"compatible with {list(shape)}")
    assert str(err.value) == msg
    torch = pytest.importorskip("torch")
    tx = torch.ones(shape, requires_grad=True)
    with pytest.raises(RuntimeError) as terr:
        _returning(torch, lambda L, g: L.ones(gshape)).apply(tx).sum().backward()
    assert msg in str(terr.value)


def test_index_of_the_bad_gradient_and_inner_node():
    # the second input's gradient is wrong; the node is not the root's
    class Two(fastdl.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g, g[0]
    a = fastdl.ones(2, 3, requires_grad=True)
    b = fastdl.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Function TwoBackward returned an invalid gradient at index 1 - got \[3\] "
                                           r"but expected shape compatible with \[2, 3\]"):
        (Two.apply(a, b) * 2).sum().backward()


def test_non_leaf_input_gets_cast_gradient():
    x = fastdl.ones(3, dtype=fastdl.float64, requires_grad=True)
    h = x * 2  # a non-leaf float64 input of the Function
    out = _returning(fastdl, lambda L, g: g.to(L.float32)).apply(h)
    seen = []
    h.grad_fn.register_prehook(lambda gs: seen.append(gs[0].dtype))
    out.sum().backward()
    assert seen == [fastdl.float64] and x.grad.dtype is fastdl.float64
    assert np.array_equal(x.grad.numpy(), np.full(3, 2.0))


def test_autocast_custom_fwd_cast_inputs_gradient_in_input_dtype():
    from fastdl.amp import custom_bwd, custom_fwd

    class Scale(fastdl.autograd.Function):
        @staticmethod
        @custom_fwd(device_type="cpu", cast_inputs=fastdl.float32)
        def forward(ctx, x):
            assert x.dtype is fastdl.float32
            return x * 2

        @staticmethod
        @custom_bwd(device_type="cpu")
        def backward(ctx, g):
            return g * 2  # float32, for a float64 input
    x = fastdl.ones(3, dtype=fastdl.float64, requires_grad=True)
    with fastdl.autocast("cpu"):
        y = Scale.apply(x)
    y.sum().backward()
    assert x.grad.dtype is fastdl.float64 and np.array_equal(x.grad.numpy(), np.full(3, 2.0))


def test_correct_gradients_untouched():
    # the common case passes the gradient object through unchanged (no copy, no cast)
    got = []

    class Id(fastdl.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            got.append(g)
            return g
    x = fastdl.ones(2, requires_grad=True)
    h = x * 1
    y = Id.apply(h)
    seen = []
    h.grad_fn.register_prehook(lambda gs: seen.append(gs[0]))
    y.sum().backward()
    assert seen[0] is got[0]


def test_gradcheck_still_passes_through_broadcasting_ops():
    a = fastdl.randn(2, 3, dtype=fastdl.float64, requires_grad=True)
    b = fastdl.randn(3, dtype=fastdl.float64, requires_grad=True)
    assert fastdl.autograd.gradcheck(lambda u, v: (u * v + v).exp(), (a, b))


def test_wrong_device_raises():
    # CPU-only here: the gradient claims another device (the check reads the device field
    # before anything touches the data)
    class Moved(fastdl.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            g = g.clone()
            g._device = fastdl.device("cuda:0")
            return g
    x = fastdl.ones(3, requires_grad=True)
    msg = r"^Function MovedBackward returned an invalid gradient at index 0 - expected device cpu but got cuda:0$"
    with pytest.raises(RuntimeError, match=msg):
        Moved.apply(x).sum().backward()
    assert x.grad is None
