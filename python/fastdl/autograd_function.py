"""torch.autograd.function and torch.autograd.grad_mode as modules (served as
fastdl.autograd.function / fastdl.autograd.grad_mode by autograd's submodule finder):
the names custom-Function and grad-mode code imports from them."""
from .autograd import Context as FunctionCtx
from .autograd import Function, once_differentiable
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled

__all__ = ["Function", "FunctionCtx", "once_differentiable", "InplaceFunction", "no_grad", "enable_grad",
           "set_grad_enabled", "inference_mode", "is_grad_enabled", "set_multithreading_enabled",
           "is_multithreading_enabled"]


class InplaceFunction(Function):
    """torch's base for Functions with an `inplace` flag (the flag is kept for the subclass)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace


_multithreading = [True]


def is_multithreading_enabled():
    """torch runs backward on a thread per device when enabled; fastdl's engine runs on the
    calling thread either way (the flag is kept for code that reads it back)."""
    return _multithreading[0]


class set_multithreading_enabled:
    """Context manager / function setting the flag above (restored on exit when used as one)."""

    def __init__(self, mode):
        self.prev = _multithreading[0]
        _multithreading[0] = bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _multithreading[0] = self.prev
        return False
