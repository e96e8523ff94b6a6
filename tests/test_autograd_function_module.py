"""fastdl.autograd.function / fastdl.autograd.grad_mode as importable modules (torch's
import paths for custom Functions) and the multithreading flag."""
import numpy as np
import pytest

import fastdl


def test_import_paths_give_the_same_objects():
    from fastdl.autograd.function import Function, FunctionCtx, InplaceFunction, once_differentiable
    from fastdl.autograd.grad_mode import enable_grad, inference_mode, no_grad, set_grad_enabled
    assert Function is fastdl.autograd.Function and once_differentiable is fastdl.autograd.once_differentiable
    assert no_grad is fastdl.no_grad and enable_grad is fastdl.enable_grad
    assert set_grad_enabled is fastdl.set_grad_enabled and inference_mode is fastdl.inference_mode
    assert issubclass(InplaceFunction, Function) and FunctionCtx is fastdl.autograd.Context


def test_custom_function_from_the_function_module():
    from fastdl.autograd.function import InplaceFunction, once_differentiable

    class Cube(InplaceFunction):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 3 * x * x * g

    x = fastdl.tensor([1.0, -2.0], dtype=fastdl.float64, requires_grad=True)
    Cube.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 12.0])
    assert Cube(inplace=True).inplace


def test_multithreading_flag():
    assert fastdl.autograd.is_multithreading_enabled()
    with fastdl.autograd.set_multithreading_enabled(False):
        assert not fastdl.autograd.is_multithreading_enabled()
    assert fastdl.autograd.is_multithreading_enabled()


def test_torch_has_the_same_names():
    torch = pytest.importorskip("torch")
    import torch.autograd.function as tf
    import torch.autograd.grad_mode as tg
    from fastdl.autograd import function as ff
    for name in ("Function", "FunctionCtx", "InplaceFunction", "once_differentiable"):
        assert hasattr(tf, name) and hasattr(ff, name)
    for name in ("no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "set_multithreading_enabled"):
        assert hasattr(tg, name) and hasattr(ff, name)
    assert torch.autograd.is_multithreading_enabled() == fastdl.autograd.is_multithreading_enabled()
