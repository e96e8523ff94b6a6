"""Activation functions with torch.nn.functional's names, arguments and defaults.
Each is one elementwise kernel (a row of ops/elementwise.py's UNARY table) or an op
fastdl already has; `inplace=True` writes the result back into the input."""
from ...autograd import is_grad_enabled
from ...ops.elementwise import _UNARY_FN, assign_, sigmoid, tanh
from ...ops.reduce import log_softmax, softmax
from ...ops._util import check_tensor

__all__ = ["relu", "relu_", "leaky_relu", "gelu", "silu", "elu", "softplus", "sigmoid", "tanh", "softmax",
           "log_softmax"]


def _apply(fn, x, inplace, op, saves_input, *params):
    """fn.apply(x, *params), written back into x when inplace. A backward that reads
    its input gets a copy, since x itself is about to be overwritten (PyTorch saves
    the original input of such in-place ops the same way)."""
    if not inplace:
        return fn.apply(x, *params)
    src = x.clone() if saves_input and is_grad_enabled() and x.requires_grad else x
    return assign_(x, fn.apply(src, *params), op + "_")


def relu(input, inplace=False):
    check_tensor("relu", input)
    return _apply(_UNARY_FN["relu"], input, inplace, "relu", False)  # backward reads the output


def relu_(input):
    return relu(input, inplace=True)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    check_tensor("leaky_relu", input)
    return _apply(_UNARY_FN["leaky_relu"], input, inplace, "leaky_relu", True, float(negative_slope))


_GELU_MODES = {"none": 0.0, "tanh": 1.0}


def gelu(input, approximate="none"):
    """x * Phi(x); approximate='tanh' uses 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    check_tensor("gelu", input)
    if approximate not in _GELU_MODES:
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return _UNARY_FN["gelu"].apply(input, _GELU_MODES[approximate])


def silu(input, inplace=False):
    check_tensor("silu", input)
    return _apply(_UNARY_FN["silu"], input, inplace, "silu", True)


def elu(input, alpha=1.0, inplace=False):
    check_tensor("elu", input)
    return _apply(_UNARY_FN["elu"], input, inplace, "elu", True, float(alpha))


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (PyTorch)."""
    check_tensor("softplus", input)
    if beta == 0:
        raise ValueError("softplus: beta must be non-zero")
    return _UNARY_FN["softplus"].apply(input, float(beta), float(threshold))
