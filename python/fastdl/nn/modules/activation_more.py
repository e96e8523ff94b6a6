"""RReLU, Softmax2d, AlphaDropout, FeatureAlphaDropout and Bilinear (torch.nn's
constructor arguments, parameters and printing)."""
import math

from ...tensor import empty
from .. import init
from ..functional.activation_more import alpha_dropout, feature_alpha_dropout, rrelu
from ..functional.linear_more import bilinear
from ..module import Module
from ..parameter import Parameter
from ...ops.reduce import softmax
from .dropout import _DropoutNd

__all__ = ["RReLU", "Softmax2d", "AlphaDropout", "FeatureAlphaDropout", "Bilinear"]


class RReLU(Module):
    """Randomised leaky ReLU: slope ~ U(lower, upper) in training, (lower + upper) / 2 in eval."""

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        self.lower = lower
        self.upper = upper
        self.inplace = inplace

    def forward(self, input):
        return rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True" if self.inplace else "")


class Softmax2d(Module):
    """Softmax over the channels (dim -3) of (N, C, H, W) or (C, H, W) input."""

    def forward(self, input):
        if input.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.ndim}D instead")
        return softmax(input, -3)


class AlphaDropout(_DropoutNd):
    """Dropout that keeps the self-normalising mean / variance of SELU networks."""
    _fn = staticmethod(alpha_dropout)


class FeatureAlphaDropout(_DropoutNd):
    """AlphaDropout of whole channels of (N, C, *) input."""
    _fn = staticmethod(feature_alpha_dropout)


class Bilinear(Module):
    """y = x1^T A x2 + b with weight A (out_features, in1_features, in2_features), bias
    (out_features,), both U(-1/sqrt(in1_features), 1/sqrt(in1_features)) as torch."""

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(empty((out_features, in1_features, in2_features), dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(empty(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.weight.shape[1]) if self.weight.shape[1] else 0.0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
