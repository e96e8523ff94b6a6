"""Activation functions with torch.nn.functional's names, arguments and defaults.
Each is one elementwise kernel (a row of ops/elementwise.py's UNARY table) or an op
fastdl already has; `inplace=True` writes the result back into the input."""
from ...ops.elementwise import _UNARY_FN, assign_, relu as _relu, sigmoid, tanh
from ...ops.reduce import log_softmax, softmax
from ...ops._util import check_tensor

__all__ = ["relu", "relu_", "leaky_relu", "gelu", "silu", "elu", "softplus", "sigmoid", "tanh", "softmax",
           "log_softmax"]


def _maybe_inplace(x, y, inplace, op):
    return assign_(x, y, op + "_") if inplace else y


def relu(input, inplace=False):
    check_tensor("relu", input)
    return _maybe_inplace(input, _relu(input), inplace, "relu")


def relu_(input):
    return relu(input, inplace=True)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    check_tensor("leaky_relu", input)
    return _maybe_inplace(input, _UNARY_FN["leaky_relu"].apply(input, float(negative_slope)), inplace, "leaky_relu")


_GELU_MODES = {"none": 0.0, "tanh": 1.0}


def gelu(input, approximate="none"):
    """x * Phi(x); approximate='tanh' uses 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    check_tensor("gelu", input)
    if approximate not in _GELU_MODES:
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return _UNARY_FN["gelu"].apply(input, _GELU_MODES[approximate])


def silu(input, inplace=False):
    check_tensor("silu", input)
    return _maybe_inplace(input, _UNARY_FN["silu"].apply(input), inplace, "silu")


def elu(input, alpha=1.0, inplace=False):
    check_tensor("elu", input)
    return _maybe_inplace(input, _UNARY_FN["elu"].apply(input, float(alpha)), inplace, "elu")


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (PyTorch)."""
    check_tensor("softplus", input)
    if beta == 0:
        raise ValueError("softplus: beta must be non-zero")
    return _UNARY_FN["softplus"].apply(input, float(beta), float(threshold))
